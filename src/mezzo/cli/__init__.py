"""The ``mezzo`` command line (typer). Thin: parses, calls the API, prints."""
