"""Fixtures of the batch tests (helpers and data live in batch_data.py)."""

from batch_data import catalogue, cli_main

__all__ = ["catalogue", "cli_main"]
