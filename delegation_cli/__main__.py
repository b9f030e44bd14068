"""The ``delegation`` program's entry point (also ``python -m delegation_cli``).

The language is chosen before the command line is built, so that ``--help`` is written in
it: ``--lang`` anywhere among the arguments, else the locale (``i18n.locale_language``).
"""

from __future__ import annotations

import os
import sys


def _without_pydantic_plugins() -> None:
    """No third-party pydantic plugin observes the program's validation (their documented
    switch, ``PYDANTIC_DISABLE_PLUGINS``, unless the environment sets it): looking for them
    walks every installed package's metadata at start, a tenth of a command's start-up."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def main() -> None:
    from .core.i18n import argv_language, set_language

    _without_pydantic_plugins()
    set_language(argv_language(sys.argv[1:]))
    from .cli.app import main as run

    run()


def check_files() -> None:
    """``delegation-check-files FILE...``: the pre-commit hook (see ``.pre-commit-hooks.yaml``)."""
    from .core.i18n import argv_language, set_language

    _without_pydantic_plugins()
    set_language(argv_language(sys.argv[1:]))
    from .cli.app import check_files_main

    check_files_main()


if __name__ == "__main__":
    main()
