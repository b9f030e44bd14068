"""``delegation migrate``: convert a ledger to the current format version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ...core.errors import ExitCode
from ...core.i18n import _, ngettext
from ..environment import Environment
from ..options import ConventionOpt, LangOpt, LedgerOpt
from ..output import said
from . import command


@command(help=_(
    "Convert a ledger written by an earlier version of the format to the current one, line for line.\n\n"
    "Every entry and seal is kept as it is (seals stay valid); each line gains its checksum, so that a line cut "
    "by a crash can never read as an entry. The former file is kept beside the ledger. Refused when the "
    "ledger has an error.\n\n"
    "Example: delegation migrate --dry-run"))
def migrate(
    env: Environment,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_("Check that the conversion reads back the same "
                                                              "entries; write nothing."))] = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...core.lines import FORMAT_VERSION
    from ...store.actions import ledger_path_for, migrate_ledger
    from ...store.convention import require_convention

    loaded = require_convention(Path(convention))
    done = migrate_ledger(loaded, ledger_path_for(loaded, ledger), now=dt.datetime.now(dt.UTC), dry_run=dry_run)
    if done.version == FORMAT_VERSION:
        text = _("{path}: already in format version {version}; nothing to do").format(
            path=done.ledger, version=FORMAT_VERSION)
    elif done.backup is None:
        text = ngettext("{path}: would convert (dry run, nothing written) from format version {old} to {new}: "
                        "{count} entry line read back identical",
                        "{path}: would convert (dry run, nothing written) from format version {old} to {new}: "
                        "{count} entry lines read back identical", done.entries).format(
            path=done.ledger, old=done.version, new=FORMAT_VERSION, count=done.entries)
    else:
        text = ngettext("{path}: converted from format version {old} to {new}: {count} entry line, each now "
                        "ending with its checksum; the former file is kept as {backup}",
                        "{path}: converted from format version {old} to {new}: {count} entry lines, each now "
                        "ending with its checksum; the former file is kept as {backup}", done.entries).format(
            path=done.ledger, old=done.version, new=FORMAT_VERSION, count=done.entries, backup=done.backup)
    return said(text + "\n", written=done.backup is not None)
