"""The ``delegation`` program's entry point (also ``python -m delegation_cli``).

The language is chosen before the command line is built, so that ``--help`` is written in
it: ``--lang`` anywhere among the arguments, else the locale (``i18n.locale_language``).
"""

from __future__ import annotations

import sys


def main() -> None:
    from .i18n import argv_language, set_language

    set_language(argv_language(sys.argv[1:]))
    from .cli import main as run

    run()


if __name__ == "__main__":
    main()
