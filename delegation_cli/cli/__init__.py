"""Command line: the Typer application, its options and its commands."""
