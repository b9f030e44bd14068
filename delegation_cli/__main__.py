"""``python -m delegation_cli``: the same command line as ``delegation``."""

from .cli import main

main()
