"""``delegation check``, and ``delegation-check-files``, the pre-commit hook: validate
conventions and their ledgers, every problem at once."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from ...core.errors import DelegationError, ExitCode
from ...core.i18n import _
from ..environment import Environment
from ..options import ConventionOpt, LangOpt, LedgerOpt, as_digest
from ..output import emit, said
from . import command


class CheckFormat(enum.StrEnum):
    text = "text"
    json = "json"


@command(help=_(
    "Validate a convention file and its ledger; report every problem at once.\n\n"
    "Example: delegation check examples/fabrique-numerique-s3.yaml"))
def check(
    env: Environment,
    path: Annotated[str | None, typer.Argument(metavar="[CONVENTION.yaml]",
                                               help=_("Convention file (default: -c, "
                                               "$DELEGATION_CONVENTION or ./convention.yaml)."))] = None,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    output: Annotated[CheckFormat, typer.Option("--format", case_sensitive=False,
                                                                    help=_("text, or json for editors and CI."))] = (
        CheckFormat.text
    ),
    strict: Annotated[bool, typer.Option("--strict", help=_("Fail (exit 1) on warnings too."))] = False,
    repair: Annotated[bool, typer.Option("--repair", help=_("Mend what an interrupted write left: move a partial "
                                         "last line, or a block of lines written together but not all, to a side "
                                         "file."))] = False,
    anchor: Annotated[str | None, typer.Option(
        "--anchor", metavar="SHA256", parser=as_digest,
        help=_("Verify that the ledger still holds the sealed history of this fingerprint (the « empreinte du "
               "registre » of a report: a seal's sha256, or its first 12 digits at least)."))] = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...report.cells import visible
    from ...report.messages import check_summary, problems_text
    from ...store.actions import run_check
    from ...store.convention import explain_missing

    try:
        result = run_check(Path(path or convention), ledger=ledger, repair_torn=repair, anchor=anchor)
    except DelegationError as exc:
        raise explain_missing(exc, Path(path or convention)) from None
    if result.repaired:
        unconfirmed = said(visible(result.repaired) + "\n", written=True)
        if unconfirmed:
            return unconfirmed
    if output is CheckFormat.json:
        from ...report.json import problems_json  # the report's JSON module, only when asked for

        emit(problems_json(result.problems))
    else:
        typer.echo(problems_text(result.problems), err=True, nl=False)
        emit(check_summary(result))
    failed = result.errors or (strict and result.warnings)
    return ExitCode.PROBLEMS if failed else ExitCode.OK


@command(help=_(
    "Check the conventions concerned by the files given (the pre-commit hook): a YAML file that is a "
    "convention, and for a ledger the conventions of the repository whose ledger: names it.\n\n"
    "Exit 1 when any check fails.\n\n"
    "Example: delegation-check-files convention.yaml ledgers/convention.ledger"))
def check_files(
    env: Environment,
    files: Annotated[list[str] | None, typer.Argument(metavar="FILE...",
                                                      help=_("Files a commit touches (conventions, ledgers; "
                                                             "other files are ignored)."))] = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...report.messages import check_summary, problems_text
    from ...store.scaffold import check_files as run

    result = run([Path(f) for f in files or []])
    for checked in result.checks:
        typer.echo(problems_text(checked.problems), err=True, nl=False)
        emit(check_summary(checked))
    if result.problems:
        typer.echo(problems_text(result.problems), err=True, nl=False)
    return result.exit_code
