"""``delegation init``: create a repository of conventions and say what to do next."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ...core.errors import ExitCode
from ...core.i18n import _
from ..environment import Environment
from ..options import LangOpt
from ..output import said
from . import command


@command(help=_(
    "Create a repository of conventions: a convention template in French to fill in (convention.yaml), "
    "ledgers/, .gitattributes (ledgers merged line by line), .gitignore, .pre-commit-config.yaml and "
    ".gitlab-ci.yml (merge requests checked, monthly reports and open data on a schedule).\n\n"
    "Nothing is written when any of these files exists already (exit 2).\n\n"
    "Example: delegation init conventions-2024"))
def init(
    env: Environment,
    folder: Annotated[str, typer.Argument(metavar="[FOLDER]",
                                          help=_("Folder of the new repository (default: the current "
                                                 "folder; created if missing)."))] = ".",
    lang: LangOpt = None,
) -> ExitCode:
    from ...store.scaffold import CONVENTION, init_repository

    written = init_repository(Path(folder))
    lines = [_("Created a repository of conventions in {folder}:").format(folder=folder)]
    lines += [f"  {path}" for path in written]
    convention_file = Path(folder) / CONVENTION
    lines += [
        "",
        _("Next steps:"),
        _("  1. Fill in {file}: replace every A_COMPLETER with what the convention's text says "
          "(the comments say where to find it).").format(file=convention_file),
        _("  2. Run delegation check -c {file}: it lists the fields still to fill in, until the "
          "convention is valid.").format(file=convention_file),
        _("  3. Keep it in git: git init, git add ., git commit; then pre-commit install, to check "
          "conventions and ledgers before every commit."),
        _("  4. On GitLab, .gitlab-ci.yml checks every merge request; schedule a monthly pipeline for the "
          "reports, the open data and the portfolio (docs/pipeline.md)."),
    ]
    return said("\n".join(lines) + "\n", written=True)
