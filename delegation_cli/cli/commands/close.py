"""``delegation close``: seal a month."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ...core.errors import ExitCode
from ...core.i18n import _, ngettext
from ..environment import Environment
from ..options import AuthorOpt, ConventionOpt, DryRunOpt, LangOpt, LedgerOpt, as_month
from ..output import said
from . import command


@command(help=_(
    "Close a month: append a seal (SHA-256, chained) over every entry dated up to its end.\n\n"
    "Afterwards entries dated in a closed month are refused, and `check` reports any sealed entry that was "
    "modified, deleted, inserted or moved.\n\n"
    "Example: delegation close 2020-06"))
def close(
    env: Environment,
    month: Annotated[str, typer.Argument(parser=as_month, metavar="YYYY-MM", help=_("The month to close."))],
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...store.actions import author_name, close_month, ledger_path_for
    from ...store.convention import require_convention

    loaded = require_convention(Path(convention))
    seal = close_month(loaded, ledger_path_for(loaded, ledger), month, author=author_name(author),
                       today=dt.date.today(), dry_run=dry_run)
    count = len(seal.digests)
    if dry_run:
        line = ngettext("Would close (dry run, nothing written) {month}: seal {seal} covers {count} entry, "
                        "sha256 {sha256}",
                        "Would close (dry run, nothing written) {month}: seal {seal} covers {count} entries, "
                        "sha256 {sha256}", count)
    else:
        line = ngettext("Closed {month}: seal {seal} covers {count} entry, sha256 {sha256}",
                        "Closed {month}: seal {seal} covers {count} entries, sha256 {sha256}", count)
    return said(line.format(month=month, seal=seal.id, count=count, sha256=seal.sha256) + "\n", written=not dry_run)
