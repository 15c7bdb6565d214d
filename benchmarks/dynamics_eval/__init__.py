"""Generated evaluation set of the dynamics map and tempo (see evalset.py and score.py)."""
