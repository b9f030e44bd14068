"""The ``delegation`` command line (Typer): parse arguments, call the core, render, exit.

Each command body loads what it needs, calls one function of ``actions``, renders the
result with ``report`` and returns; errors are raised as :class:`DelegationError` and
turned into ``FILE:LINE:COL: error: ...`` lines on stderr and an exit code in one place,
:func:`_handled`.  Exit codes are defined in ``errors.ExitCode`` and listed in the README.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import datetime as dt
import enum
import functools
import gettext
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer ≥ 0.2x ships its own copy of click; older ones use click itself
    from typer._click import exceptions as click_errors
    from typer._click.core import Context
    from typer._click.formatting import HelpFormatter
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as click_errors  # type: ignore[no-redef, unused-ignore]
    from click.core import Context  # type: ignore[no-redef, assignment, unused-ignore]
    from click.formatting import HelpFormatter  # type: ignore[no-redef, assignment, unused-ignore]

from .. import __version__
from ..core import i18n
from ..core.errors import DelegationError, ExitCode, fail
from ..core.i18n import N_, _, ngettext
from ..core.money import AmountError, parse_amount
from ..report.csv import CsvDialect

# Click's and Typer's own words --------------------------------------------------------------
#
# Click marks its words for the stdlib ``gettext`` (global domain, language from the
# environment); the copy of click that typer ≥ 0.2x vendors (``typer._click``) writes most of
# them as plain f-strings, and only ``typer.core`` still calls ``gettext.gettext``. Binding
# the stdlib global domain to our catalogue would miss those f-strings and could not follow
# ``--lang`` (a context variable, not the environment). So, what holds whichever copy of click
# is in use:
# * the ``_`` / ``ngettext`` that typer's and click's modules imported from the stdlib are
#   replaced by ours (:func:`_use_our_catalogue`): section titles, ``default: …``, ``required``;
# * the words click writes as literals reach the user through few places, all ours here: the
#   help formatter (the ``Usage:`` prefix, section titles), the help of the ``--help`` and
#   completion options (:func:`_click_help`), and usage errors, which :func:`_short`
#   translates by matching click's English message against the templates below — those are
#   left English by the replaced ``_`` so that they are translated in that one place.
# The msgids are written here exactly as click and typer write them (so that extraction keeps
# them in the catalogue).

_CLICK_WORDS = (
    N_("Usage: "), N_("Arguments"), N_("Options"), N_("Commands"), N_("(dynamic)"), N_("default: {default}"),
    N_("required"), N_("env var: {var}"), N_("Aborted!"), N_("{heading}:"),
)
_CLICK_HELP = (
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
    N_("Install completion for the specified shell."),
    N_("Show completion for the specified shell, to copy it or customize the installation."),
)
_CLICK_ERRORS = (  # the more specific first: the first that matches the whole message is used
    N_("No such command {name!r}. Did you mean {suggestions}?"),
    N_("No such command {name!r}."),
    N_("Missing command."),
    N_("No such option: {name} (Possible options: {possibilities})"),
    N_("No such option: {name}"),
    N_("Got unexpected extra argument(s) ({args})"),
    N_("Got unexpected extra argument ({args})"),
    N_("Got unexpected extra arguments ({args})"),
    N_("Missing argument {name}. Choose from:\n\t{choices}"),
    N_("Missing option {name}. Choose from:\n\t{choices}"),
    N_("Missing argument {name}."),
    N_("Missing option {name}."),
    N_("Missing parameter {name}."),
    N_("Option {name!r} requires an argument."),
    N_("Option {name!r} does not take a value."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
)


def _template(msgid: str) -> re.Pattern[str]:
    pieces = re.split(r"\{(\w+)(?:!r)?\}", msgid)
    pattern = "".join(re.escape(piece) if index % 2 == 0 else f"(?P<{piece}>.+?)"
                      for index, piece in enumerate(pieces))
    return re.compile(pattern, re.DOTALL)


_ERROR_TEMPLATES = [(msgid, _template(msgid)) for msgid in _CLICK_ERRORS]


def _click_message(message: str) -> str:
    """Click's English usage error ``message`` in the current language (as it is if no template fits)."""
    for msgid, template in _ERROR_TEMPLATES:
        match = template.fullmatch(message)
        if match is None:
            continue
        values: dict[str, Any] = match.groupdict()
        for name in re.findall(r"\{(\w+)!r\}", msgid):
            try:  # the text click wrote is the value's repr: give format() the value back
                values[name] = ast.literal_eval(values[name])
            except (ValueError, SyntaxError):
                return message
        translated = _(msgid).format(**values)
        return translated
    return message


def _click_gettext(message: str) -> str:
    return message if message in _CLICK_ERRORS else _(message)


def _click_ngettext(singular: str, plural: str, count: int) -> str:
    if singular in _CLICK_ERRORS:
        return singular if count == 1 else plural
    return ngettext(singular, plural, count)


def _use_our_catalogue() -> None:
    """Give typer's and click's modules our ``_`` and ``ngettext`` in place of the stdlib's."""
    replacements: dict[Any, Any] = {gettext.gettext: _click_gettext, gettext.ngettext: _click_ngettext}
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in ("typer", "click"):
            continue
        for attr in ("_", "gettext", "ngettext"):
            value = getattr(module, attr, None)
            if value is not None and any(value is original for original in replacements):
                setattr(module, attr, replacements[value])


_use_our_catalogue()


@contextlib.contextmanager
def _click_help(params: list[Any]) -> Iterator[None]:
    """The help of click's and typer's own options (--help, --install-completion…) translated
    while the help is written."""
    changed = [(param, param.help) for param in params if getattr(param, "help", None) in _CLICK_HELP]
    for param, text in changed:
        param.help = _(text)
    try:
        yield
    finally:
        for param, text in changed:
            param.help = text


class _Formatter(HelpFormatter):
    """Click's help formatter, its own words (``Usage:``, section titles) translated."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:  # click's own, with the colon French sets apart
        title = _("{heading}:").format(heading=_(heading))
        self.write(f"{'':>{self.current_indent}}{title}\n")


class _Context(Context):
    formatter_class = _Formatter


class _Command(TyperCommand):
    """A ``delegation`` command: its help in the current language."""

    context_class = _Context

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with _click_help(self.get_params(ctx)):
            super().format_help(ctx, formatter)


class _ShortUsageError(click_errors.UsageError):
    """A usage error shown in two lines, the error then where to read the usage, instead of
    Click's four-line banner (exit code 2, as Click's)."""

    def __init__(self, message: str, command_path: str) -> None:
        super().__init__(message)
        self.command_path = command_path

    def show(self, file: Any = None) -> None:
        typer.echo(_("error: {message}").format(message=self.message) + "\n"
                   + _("hint: see {command} --help").format(command=self.command_path), err=True)


def _negative_number(text: str) -> bool:
    return len(text) > 1 and text[0] == "-" and (text[1].isdigit() or text[1] in ".,")


_NOT_ONE_OF = re.compile(r"(?:Value error, )?(?P<got>'.*') is not one of (?P<choices>.*)\.")


def _short(exc: click_errors.UsageError, args: list[str] | None = None) -> click_errors.UsageError:
    """The two-line form of a usage error (help requests pass through unchanged).

    ``args`` are the command line's words: a negative amount (``-5``, ``-5.50``) reaches Click
    as an unknown option, reported here as the negative amount it is."""
    if isinstance(exc, click_errors.NoArgsIsHelpError | _ShortUsageError):
        return exc
    ctx = exc.ctx
    path = ctx.command_path if ctx is not None else "delegation"
    message = _click_message(exc.format_message())
    if isinstance(exc, click_errors.NoSuchOption) and _negative_number(exc.option_name):
        params = ctx.command.params if ctx is not None else []
        if any(p.name == "amount" for p in params):
            raw = next((a for a in args or [] if a.startswith(exc.option_name) and _negative_number(a)),
                       exc.option_name)
            try:
                parse_amount(raw)
            except AmountError as error:  # '-5' is negative: amounts are positive (expected …)
                message = _("Invalid value for {name}: {message}").format(name="'AMOUNT'", message=error)
    elif isinstance(exc, click_errors.BadParameter):
        choice = _NOT_ONE_OF.fullmatch(exc.message)
        if choice is not None:
            accepted = choice["choices"].replace("'", "")
            where = exc.param_hint if isinstance(exc.param_hint, str) else (
                exc.param.get_error_hint() if exc.param is not None else None)
            if where is None:
                message = _("Invalid value: {value} (expected one of: {choices})").format(
                    value=choice["got"], choices=accepted)
            else:
                message = _("Invalid value for {name}: {value} (expected one of: {choices})").format(
                    name=where, value=choice["got"], choices=accepted)
    return _ShortUsageError(message, path)


class _Group(TyperGroup):
    """The ``delegation`` group: usage errors in two lines (:class:`_ShortUsageError`), its
    help in the current language; a command runs in a copy of the context, so that the
    language ``--lang`` sets does not outlive it (several commands in one process: tests)."""

    context_class = _Context

    def main(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.copy_context().run(super().main, *args, **kwargs)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with _click_help(self.get_params(ctx)):
            super().format_help(ctx, formatter)

    def make_context(self, info_name: str | None, args: list[str], parent: Context | None = None,
                     **extra: Any) -> Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click_errors.UsageError as exc:
            raise _short(exc) from None

    def invoke(self, ctx: Context) -> Any:
        args = [*ctx._protected_args, *ctx.args]
        try:
            return super().invoke(ctx)
        except click_errors.UsageError as exc:
            raise _short(exc, args) from None


app = typer.Typer(
    name="delegation",
    cls=_Group,
    help=_("Budget ledger for a convention de délégation de gestion: record commitments (AE) "
    "and payments (CP), refuse what the convention forbids, report every month."),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])


def _emit(text: str | bytes) -> None:
    """What a command prints on stdout, in one go (``output.emit``)."""
    from .output import emit

    emit(text)


def _handled(fn: F) -> F:
    """Map every failure to one line per problem on stderr and a documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..report.terminal import ProgressBar
        from ..store.reader import PROGRESS
        from .output import OutputError, emit, silence

        bar = ProgressBar()
        token = PROGRESS.set(bar)
        try:
            return fn(*args, **kwargs)
        except DelegationError as exc:
            from ..report.messages import problems_text

            bar.close()
            typer.echo(problems_text(exc.problems), err=True, nl=False)
            raise typer.Exit(int(exc.exit_code)) from None
        except OutputError as exc:
            bar.close()
            silence()
            with contextlib.suppress(OutputError):
                emit(_("error: cannot write the output: {reason}").format(reason=exc.reason) + "\n", err=True)
            raise typer.Exit(int(ExitCode.WRITE_FAILED)) from None
        except OSError as exc:
            from ..report.cells import visible

            bar.close()
            reason = exc.strerror or str(exc)
            if exc.filename:
                typer.echo(_("{file}: error: {message}").format(file=visible(str(exc.filename)), message=reason),
                           err=True)
            else:
                typer.echo(_("error: {message}").format(message=reason), err=True)
            raise typer.Exit(int(ExitCode.WRITE_FAILED)) from None
        finally:
            bar.close()
            PROGRESS.reset(token)

    return wrapper  # type: ignore[return-value]


# Argument parsers ---------------------------------------------------------------------


def _amount(text: str) -> int:
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise typer.BadParameter(str(exc)) from None


def _date(text: str) -> dt.date:
    from ..core.entries import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _digest(text: str) -> str:
    digest = text.strip().lower()
    if re.fullmatch(r"[0-9a-f]{12,64}", digest) is None:
        raise typer.BadParameter(_("{value} is not a fingerprint (expected 12 to 64 hexadecimal digits of a "
                                   "seal's sha256)").format(value=repr(text[:80])))
    return digest


def _month(text: str) -> str:
    from ..core.entries import parse_month

    try:
        return parse_month(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class CheckFormat(enum.StrEnum):
    text = "text"
    json = "json"


class ForecastType(enum.StrEnum):
    ae = "ae"
    cp = "cp"


class EntryKind(enum.StrEnum):
    commitment = "commitment"
    payment = "payment"
    release = "release"
    forecast = "forecast"
    note = "note"


ConventionOpt = Annotated[
    str,
    typer.Option("--convention", "-c", envvar="DELEGATION_CONVENTION", metavar="PATH",
                 help=_("Convention YAML file (else $DELEGATION_CONVENTION, else ./convention.yaml).")),
]
LedgerOpt = Annotated[
    str | None,
    typer.Option("--ledger", metavar="PATH", help=_("Ledger file, instead of the convention's.")),
]
DateOpt = Annotated[
    dt.date | None,
    typer.Option("--date", parser=_date, metavar="YYYY-MM-DD", help=_("Date of the operation (default: today).")),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help=_("Show the entry and the resulting availability; write nothing.")),
]
JsonOpt = Annotated[bool, typer.Option("--json", help=_("Print the recorded entry as JSON."))]
LabelOpt = Annotated[str | None, typer.Option("--label", help=_("Free text describing the entry."))]
AuthorOpt = Annotated[str | None, typer.Option("--author", help=_("Who records it (default: login name)."))]
def _completion_loaded(ctx: typer.Context) -> Any:
    """The convention file of the command being completed (-c, else $DELEGATION_CONVENTION,
    else ./convention.yaml) as loaded, or None: completion never fails or prints an error."""
    import os

    from ..store.convention import load_convention

    path = ctx.params.get("convention") or os.environ.get("DELEGATION_CONVENTION") or "convention.yaml"
    try:
        loaded = load_convention(Path(path))
    except Exception:  # noqa: BLE001 - a shell completion must stay silent whatever the files hold
        return None
    return loaded if loaded.convention is not None else None


def _completion_convention(ctx: typer.Context) -> Any:
    loaded = _completion_loaded(ctx)
    return None if loaded is None else loaded.convention


def _complete_team(ctx: typer.Context, incomplete: str) -> list[str]:
    conv = _completion_convention(ctx)
    return [t.id for t in conv.teams if t.id.startswith(incomplete)] if conv is not None else []


def _complete_marche(ctx: typer.Context, incomplete: str) -> list[str]:
    conv = _completion_convention(ctx)
    return [m.id for m in conv.marches if m.id.startswith(incomplete)] if conv is not None else []


def _complete_kind(ctx: typer.Context, incomplete: str) -> list[str]:
    conv = _completion_convention(ctx)
    return sorted(p for p in conv.marche_of_prestation if p.startswith(incomplete)) if conv is not None else []


def _complete_commitment(ctx: typer.Context, incomplete: str) -> list[str]:
    """Open commitments' bons de commande references (else ids) from the ledger in use."""
    loaded = _completion_loaded(ctx)
    if loaded is None:
        return []
    from ..store.book import read_book
    from ..store.reader import opened_for_reading

    try:
        path = Path(ctx.params["ledger"]) if ctx.params.get("ledger") else loaded.ledger_path()
        with opened_for_reading(path) as fd:
            state = read_book(loaded.convention, fd, str(path)).state
    except Exception:  # noqa: BLE001 - a shell completion must stay silent whatever the files hold
        return []
    names = [c.ref or c.id for c in state.commitments.values() if c.remaining > 0]
    return [n for n in names if n.startswith(incomplete)]


TeamOpt = Annotated[str, typer.Option("--team", help=_("Team id, as in the convention."),
                                      autocompletion=_complete_team)]
class Lang(enum.StrEnum):
    fr = "fr"
    en = "en"


def _set_language(value: Lang | str | None) -> Lang | str | None:
    """``--lang``: what is printed after the command line is read is in that language (help and
    texts written before it were already chosen by ``__main__`` from the same ``--lang``)."""
    if value is not None:
        i18n.set_language(str(getattr(value, "value", value)).lower())
    return value


LangOpt = Annotated[
    Lang | None,
    typer.Option("--lang", case_sensitive=False, is_eager=True, callback=_set_language,
                 help=_("Language of what the command prints (fr or en; default: the locale's, and for the "
                        "report the convention's reporting.language, else French).")),
]
AMOUNT_HELP = _("Amount in euros, cents allowed: 20000, 20000.50, '20 000,50 €'.")


class euros(int):  # noqa: N801 - the name --help shows after AMOUNT: ``AMOUNT <euros>``
    """Annotation of the AMOUNT arguments, for --help only: their values are plain ``int`` cents."""


AmountArg = Annotated[euros, typer.Argument(parser=_amount, metavar="AMOUNT", help=AMOUNT_HELP)]


def _version(value: bool) -> None:
    if value:
        _emit(_("delegation {version}").format(version=__version__) + "\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help=_("Show the version and exit."))] = False,
    lang: LangOpt = None,
) -> None:
    """Budget ledger for a convention de délégation de gestion."""


# check ---------------------------------------------------------------------------------


@app.command(cls=_Command, help=_(
    "Validate a convention file and its ledger; report every problem at once.\n\n"
    "Example: delegation check examples/fabrique-numerique-s3.yaml"))
@_handled
def check(
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
        "--anchor", metavar="SHA256", parser=_digest,
        help=_("Verify that the ledger still holds the sealed history of this fingerprint (the « empreinte du "
               "registre » of a report: a seal's sha256, or its first 12 digits at least)."))] = None,
    lang: LangOpt = None,
) -> None:
    from ..report.cells import visible
    from ..report.json import problems_json
    from ..report.messages import check_summary, problems_text
    from ..store.actions import run_check
    from ..store.convention import explain_missing

    try:
        result = run_check(Path(path or convention), ledger=ledger, repair_torn=repair, anchor=anchor)
    except DelegationError as exc:
        raise explain_missing(exc, Path(path or convention)) from None
    if result.repaired:
        _said(visible(result.repaired) + "\n", written=True)
    if output is CheckFormat.json:
        _emit(problems_json(result.problems))
    else:
        typer.echo(problems_text(result.problems), err=True, nl=False)
        _emit(check_summary(result))
    failed = result.errors or (strict and result.warnings)
    if failed:
        raise typer.Exit(int(ExitCode.PROBLEMS))


# init ----------------------------------------------------------------------------------


@app.command(cls=_Command, help=_(
    "Create a repository of conventions: a convention template in French to fill in (convention.yaml), "
    "ledgers/, .gitattributes (ledgers merged line by line), .gitignore and .pre-commit-config.yaml.\n\n"
    "Nothing is written when any of these files exists already (exit 2).\n\n"
    "Example: delegation init conventions-2024"))
@_handled
def init(
    folder: Annotated[str, typer.Argument(metavar="[FOLDER]",
                                          help=_("Folder of the new repository (default: the current "
                                                 "folder; created if missing)."))] = ".",
    lang: LangOpt = None,
) -> None:
    from ..store.scaffold import CONVENTION, init_repository

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
    ]
    _said("\n".join(lines) + "\n", written=True)


# writing commands ------------------------------------------------------------------------


def _record(convention: str, ledger: str | None, draft_for: Callable[..., Any], dry_run: bool,
            as_json: bool) -> None:
    from ..report.json import outcome_json
    from ..report.messages import outcome_text, problems_text
    from ..store.actions import ledger_path_for, record
    from ..store.convention import require_convention

    loaded = require_convention(Path(convention))
    assert loaded.convention is not None
    draft = draft_for(loaded.convention)
    outcome = record(loaded, ledger_path_for(loaded, ledger), draft, dry_run=dry_run)
    text = outcome_json(outcome) if as_json else outcome_text(outcome)
    _said(text, problems_text(outcome.warnings) if outcome.warnings else "", written=outcome.written)


def _said(out: str, err: str = "", *, written: bool) -> None:
    """Print what a writing command did: after its ledger was written, a failure to print
    exits with RECORDED_UNCONFIRMED (4), never with an error that would make the user record
    the entry again."""
    from .output import emit, emit_recorded

    if written:
        if not emit_recorded(out, err):
            raise typer.Exit(int(ExitCode.RECORDED_UNCONFIRMED))
        return
    emit(out)
    emit(err, err=True)


@app.command(cls=_Command, help=_(
    "Record a commitment (a bon de commande): consumes AE of its year and the team's cap.\n\n"
    "Example: delegation commit --team friches 20000 --date 2019-12-10 --ref BC-1"))
@_handled
def commit(
    amount: AmountArg,
    team: TeamOpt,
    date: DateOpt = None,
    ref: Annotated[str | None, typer.Option("--ref", help=_("Bon de commande / EJ number."))] = None,
    marche: Annotated[str | None, typer.Option("--marche", help=_("Marché id (default: the prestation's)."),
                                               autocompletion=_complete_marche)] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=_("Prestation kind (annexe 3), e.g. devops."),
                                             autocompletion=_complete_kind)] = None,
    label: LabelOpt = None,
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..store.actions import check_label, draft_commitment, stamp

    now = stamp(author)
    text = check_label(label)
    _record(convention, ledger, lambda conv: draft_commitment(
        conv, team=team, amount=amount, date=date, ref=ref, marche=marche,
        prestation=kind, label=text, stamp=now), dry_run, as_json)


@app.command(cls=_Command, help=_(
    "Record a payment on a commitment: consumes CP of the payment's year.\n\n"
    "Example: delegation pay BC-1 5000 --date 2020-02-01 --service-fait 2020-01-27"))
@_handled
def pay(
    commitment: Annotated[str, typer.Argument(metavar="COMMITMENT", autocompletion=_complete_commitment,
                                              help=_("Commitment id or bon de commande reference."))],
    amount: AmountArg,
    date: DateOpt = None,
    service_fait: Annotated[dt.date | None, typer.Option("--service-fait", parser=_date,
                                                         metavar="YYYY-MM-DD",
                                                         help=_("Date the service was certified."))] = None,
    ref: Annotated[str | None, typer.Option("--ref", help=_("Demande de paiement number."))] = None,
    label: LabelOpt = None,
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..store.actions import check_label, draft_payment, stamp

    now = stamp(author)
    text = check_label(label)
    _record(convention, ledger, lambda conv: draft_payment(
        commitment=commitment, amount=amount, date=date,
        service_fait=service_fait, ref=ref, label=text, stamp=now), dry_run, as_json)


@app.command(cls=_Command, help=_(
    "Release (dégager) part or all of a commitment's reste à payer.\n\n"
    "AE come back to the commitment's year only when released in that same year.\n\n"
    "Example: delegation release BC-1 2500 --date 2020-06-30"))
@_handled
def release(
    commitment: Annotated[str, typer.Argument(metavar="COMMITMENT", autocompletion=_complete_commitment,
                                              help=_("Commitment id or bon de commande reference."))],
    amount: Annotated[euros | None, typer.Argument(parser=_amount, metavar="AMOUNT",
                                                   help=_("Amount released (default: the whole reste à payer); "
                                                   "in euros, cents allowed: 20000, 20000.50, '20 000,50 €'."))]
    = None,
    date: DateOpt = None,
    label: LabelOpt = None,
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..store.actions import check_label, draft_release, stamp

    now = stamp(author)
    text = check_label(label)
    _record(convention, ledger, lambda conv: draft_release(
        commitment=commitment, amount=amount, date=date, label=text,
        stamp=now), dry_run, as_json)


@app.command(cls=_Command, help=_(
    "Record a forecast order (AE) or payment (CP) for a month; consumes nothing.\n\n"
    "Example: delegation forecast --team friches 30000 --month 2020-04 --type ae"))
@_handled
def forecast(
    amount: AmountArg,
    team: TeamOpt,
    month: Annotated[str, typer.Option("--month", parser=_month, metavar="YYYY-MM",
                                       help=_("Month planned."))],
    forecast_type: Annotated[ForecastType, typer.Option("--type", case_sensitive=False,
                                                                        help=_("ae: an order; cp: a payment."))],
    date: DateOpt = None,
    label: LabelOpt = None,
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..store.actions import check_label, draft_forecast, stamp

    now = stamp(author)
    text = check_label(label)
    _record(convention, ledger, lambda conv: draft_forecast(
        team=team, amount=amount, month=month, forecast_type=forecast_type.value,
        date=date, label=text, stamp=now), dry_run, as_json)


@app.command(cls=_Command, help=_(
    "Record a dated progress note for a team (avancement des travaux).\n\n"
    "Example: delegation note --team friches \"Comité d'investissement le 15 juin\""))
@_handled
def note(
    team: TeamOpt,
    text: Annotated[str, typer.Argument(metavar="TEXT", help=_("The progress note."))],
    date: DateOpt = None,
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..store.actions import check_label, draft_note, stamp

    now = stamp(author)
    body = check_label(text, "TEXT")
    _record(convention, ledger, lambda conv: draft_note(
        team=team, text=body, date=date, stamp=now), dry_run, as_json)


# log -------------------------------------------------------------------------------------


@app.command(cls=_Command, help=_(
    "List the ledger's entries, in file order; the lines that cannot be read (or break a rule) are printed on "
    "stderr, and the exit code is then 1.\n\n"
    "Example: delegation log --team friches --kind payment --format csv"))
@_handled
def log(
    team: Annotated[str | None, typer.Option("--team", help=_("Only this team."))] = None,
    month: Annotated[str | None, typer.Option("--month", parser=_month, metavar="YYYY-MM",
                                              help=_("Only entries dated in this month."))] = None,
    kind: Annotated[EntryKind | None, typer.Option("--kind", case_sensitive=False,
                                                                 help=_("Only this kind of entry."))] = None,
    output: Annotated[Format, typer.Option("--format", case_sensitive=False,
                                                               help=_("table, json or csv."))] = Format.table,
    dialect: DialectOpt = CsvDialect.RFC4180,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..report.csv import log_csv
    from ..report.json import log_json
    from ..report.messages import problems_text
    from ..report.terminal import log_table
    from ..store.actions import read_entries, select_entries
    from ..store.convention import require_convention

    loaded = require_convention(Path(convention))
    _, book = read_entries(loaded, ledger)
    entries = select_entries(book.entries or [], team=team, month=month, kind=kind.value if kind else None)
    if book.problems:
        typer.echo(problems_text(book.problems), err=True, nl=False)
    if output is Format.json:
        _emit(log_json(entries))
    elif output is Format.csv:
        _emit(log_csv(entries, dialect))
    else:
        from ..report.terminal import render_text

        tty = sys.stdout.isatty()
        width = _terminal_width() if tty else 0
        text = render_text([log_table(entries)], width=width, color=_color(tty))
        _emit(text if text.endswith("\n") else text + "\n")  # as rendered: echo would strip colours
    if book.errors:
        raise typer.Exit(int(ExitCode.PROBLEMS))


# report ----------------------------------------------------------------------------------


class ReportFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    pdf = "pdf"


@app.command(cls=_Command, help=_(
    "Print the monthly report (compte rendu of article 5): spending, progress, forecasts, alerts.\n\n"
    "Figures are as of the last day of the month; entries dated after it are ignored.\n\n"
    "Example: delegation report --month 2020-06 --format markdown"))
@_handled
def report(
    month: Annotated[str | None, typer.Option("--month", parser=_month, metavar="YYYY-MM",
                                              help=_("Month reported (default: this month, "
                                                     "within the period)."))] = None,
    team: Annotated[str | None, typer.Option("--team", help=_("Only this team."))] = None,
    final: Annotated[bool, typer.Option("--final", help=_("The end-of-convention report."))] = False,
    output: Annotated[ReportFormat, typer.Option("--format", case_sensitive=False,
                                                 help=_("table, json, csv, markdown, html or pdf."))] = (
        ReportFormat.table
    ),
    output_file: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                                    help=_("Write to FILE (atomically) instead of stdout."))] = None,
    full: Annotated[bool, typer.Option("--full", help=_("The whole report on the terminal (the table format "
                                                        "shows the synthèse, alerts, teams, years, forecasts "
                                                        "and notes)."))] = False,
    fail_on_alert: Annotated[bool, typer.Option("--fail-on-alert",
                                                help=_("Exit 1 on an alert of severity warning or error."))] = False,
    allow_invalid: Annotated[bool, typer.Option("--allow-invalid",
                                                help=_("Render the report even when the ledger has errors "
                                                "(they come first)."))] = False,
    dialect: DialectOpt = CsvDialect.RFC4180,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..core.i18n import using
    from ..report.build import build_report
    from ..report.figures import alerting
    from ..store.actions import write_output
    from ..store.convention import require_convention

    loaded = require_convention(Path(convention))
    if output is ReportFormat.pdf and output_file is None and sys.stdout.isatty():
        raise fail(_("a PDF is not shown on a terminal: add --output FILE (or redirect stdout to a file)"),
                   code="bad-argument")
    result = build_report(loaded, ledger=ledger, month=month, team=team, final=final, today=dt.date.today(),
                          allow_invalid=allow_invalid, lang=lang)
    with using(result.language):
        rendered = _render_report(result, output, dialect, full=full or output_file is not None,
                                  terminal=output_file is None)
    if output_file is not None:
        write_output(Path(output_file), rendered, protected=loaded.ledger_path() if ledger is None else Path(ledger),
                     convention=loaded.path)
    else:
        _emit(rendered)  # as rendered (typer.echo would strip forced colours), bytes for a PDF
    alerts = alerting(result)
    if fail_on_alert and alerts:
        raise typer.Exit(int(ExitCode.PROBLEMS))


def _render_report(result: Any, output: ReportFormat, dialect: CsvDialect, *, full: bool,
                   terminal: bool) -> str | bytes:
    """The report in one format: the table as the terminal (or a pipe) shows it."""
    from ..report import formats as rendering

    if output is ReportFormat.table:
        tty = terminal and sys.stdout.isatty()
        width = _terminal_width() if tty else 0
        color = _color(tty)
        text = rendering.render_text(rendering.report_renderables(result, full=full, width=width), width=width,
                                     color=color)
        return text if text.endswith("\n") else text + "\n"
    if output in (ReportFormat.html, ReportFormat.pdf):
        from ..report import document

        return document.report_html(result) if output is ReportFormat.html else document.report_pdf(result)
    if output is ReportFormat.csv:
        return rendering.report_csv(result, dialect)
    return rendering.report_json(result) if output is ReportFormat.json else rendering.report_markdown(result)


def _color(tty: bool) -> bool:
    """Colours on a terminal, or when ``FORCE_COLOR`` asks; never with ``NO_COLOR``."""
    return "NO_COLOR" not in os.environ and (tty or bool(os.environ.get("FORCE_COLOR")))


def _terminal_width() -> int:
    """The terminal's width: ``COLUMNS`` when set, else what the terminal says."""
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


# portfolio -------------------------------------------------------------------------------


class PortfolioFormat(enum.StrEnum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"
    html = "html"


@app.command(cls=_Command, help=_(
    "Summarise many conventions, one line each: figures of each one's report, check verdict, alerts; then "
    "totals per délégant and per programme, and the alerts that require informing a délégant.\n\n"
    "PATHs are convention files, or folders searched for them (YAML files with a budget: or teams: key). "
    "A convention that fails check is listed with its first problem and the exit code is then 1; so is a "
    "folder that cannot be searched.\n\n"
    "Example: delegation portfolio examples/ --format markdown"))
@_handled
def portfolio(
    paths: Annotated[list[str] | None, typer.Argument(metavar="[PATH]...",
                                                      help=_("Convention files or folders (default: the "
                                                             "current folder)."))] = None,
    month: Annotated[str | None, typer.Option("--month", parser=_month, metavar="YYYY-MM",
                                              help=_("Month reported for every convention (default: this "
                                                     "month, within each convention's period)."))] = None,
    output: Annotated[PortfolioFormat, typer.Option("--format", case_sensitive=False,
                                                    help=_("table, markdown, csv, json or html."))] = (
        PortfolioFormat.table
    ),
    output_file: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                                    help=_("Write to FILE (atomically) instead of stdout."))] = None,
    dialect: DialectOpt = CsvDialect.RFC4180,
    lang: LangOpt = None,
) -> None:
    from ..core.i18n import REPORT_DEFAULT, language
    from ..report.formats import render_portfolio as render
    from ..report.messages import problems_text
    from ..report.portfolio import build_portfolio, problems_of
    from ..store.actions import write_output

    document = str(lang.value) if lang is not None else REPORT_DEFAULT
    result = build_portfolio(paths or [], month=month, today=dt.date.today(), lang=document, messages=language())
    tty = output_file is None and sys.stdout.isatty()
    rendered = render(result, output.value, dialect, width=_terminal_width() if tty else 0, color=_color(tty))
    problems = problems_of(result)
    if problems:
        typer.echo(problems_text(problems), err=True, nl=False)
    if output_file is not None:
        write_output(Path(output_file), rendered)  # any existing ledger or YAML file is refused
    else:
        _emit(rendered)
    if result.invalid:
        raise typer.Exit(int(ExitCode.PROBLEMS))


# close -----------------------------------------------------------------------------------


@app.command(cls=_Command, help=_(
    "Close a month: append a seal (SHA-256, chained) over every entry dated up to its end.\n\n"
    "Afterwards entries dated in a closed month are refused, and `check` reports any sealed entry that was "
    "modified, deleted, inserted or moved.\n\n"
    "Example: delegation close 2020-06"))
@_handled
def close(
    month: Annotated[str, typer.Argument(parser=_month, metavar="YYYY-MM", help=_("The month to close."))],
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..store.actions import author_name, close_month, ledger_path_for
    from ..store.convention import require_convention

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
    _said(line.format(month=month, seal=seal.id, count=count, sha256=seal.sha256) + "\n", written=not dry_run)


@app.command(cls=_Command, help=_(
    "Convert a ledger written by an earlier version of the format to the current one, line for line.\n\n"
    "Every entry and seal is kept as it is (seals stay valid); each line gains its checksum, so that a line cut "
    "by a crash can never read as an entry. The former file is kept beside the ledger. Refused when the "
    "ledger has an error.\n\n"
    "Example: delegation migrate --dry-run"))
@_handled
def migrate(
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_("Check that the conversion reads back the same "
                                                              "entries; write nothing."))] = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..core.lines import FORMAT_VERSION
    from ..store.actions import ledger_path_for, migrate_ledger
    from ..store.convention import require_convention

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
    _said(text + "\n", written=done.backup is not None)


# import ----------------------------------------------------------------------------------


@app.command("import", cls=_Command, help=_(
    "Import entries in bulk from a CSV file: all rows are appended, or none.\n\n"
    "Every row is checked with the ledger (availability control in date order); rows already in the ledger are "
    "reported as duplicates and skipped.\n\n"
    "Example: delegation import suivi-2020.csv --dry-run"))
@_handled
def import_(
    source: Annotated[str, typer.Argument(metavar="FILE.csv", help=_("CSV file with a header row."))],
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..report.messages import import_text, problems_text
    from ..store.actions import ledger_path_for, stamp
    from ..store.convention import require_convention
    from ..store.importer import import_csv

    loaded = require_convention(Path(convention))
    result = import_csv(loaded, ledger_path_for(loaded, ledger), Path(source), dry_run=dry_run,
                        stamp=stamp(author))
    notes = problems_text([*result.duplicates, *result.warnings]) if result.duplicates or result.warnings else ""
    _said(import_text(result), notes, written=result.written and bool(result.entries))


# export ----------------------------------------------------------------------------------


class ExportFormat(enum.StrEnum):
    hledger = "hledger"
    beancount = "beancount"
    csv = "csv"
    json = "json"


DialectOpt = Annotated[CsvDialect, typer.Option("--csv-dialect", case_sensitive=False,
                                                help=_("rfc4180 (comma, decimal point) or excel-fr "
                                                "(semicolon, decimal comma, BOM)."))]


@app.command(cls=_Command, help=_(
    "Export the whole ledger to hledger/ledger, beancount, CSV or JSON.\n\n"
    "Balances of the hledger and beancount exports give back the report's figures.\n\n"
    "Example: delegation export --format hledger | hledger -f - balance"))
@_handled
def export(
    output_format: Annotated[ExportFormat, typer.Option("--format", case_sensitive=False,
                                                                         help=_("hledger, beancount, csv or json."))],
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                               help=_("Write to FILE (atomically) instead of stdout."))] = None,
    until: Annotated[dt.date | None, typer.Option("--until", parser=_date, metavar="YYYY-MM-DD",
                                                  help=_("Only entries dated up to this day."))] = None,
    dialect: DialectOpt = CsvDialect.RFC4180,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> None:
    from ..store.actions import read_entries, write_output
    from ..store.convention import require_convention

    loaded = require_convention(Path(convention))
    conv = loaded.convention
    assert conv is not None
    path, book = read_entries(loaded, ledger)
    book.require_valid()
    entries = [e for e in book.entries or [] if until is None or e.date <= until]
    if output_format is ExportFormat.hledger:
        from ..report.export import to_hledger

        text = to_hledger(conv, entries, source=str(path), until=until)
    elif output_format is ExportFormat.beancount:
        from ..report.export import to_beancount

        text = to_beancount(conv, entries, source=str(path), until=until)
    elif output_format is ExportFormat.csv:
        from ..report.csv import log_csv

        text = log_csv(entries, dialect)
    else:
        from ..report.json import export_json

        text = export_json(conv.id, str(path), until, entries)
    if output:
        write_output(Path(output), text, protected=path, convention=loaded.path)
    else:
        _emit(text)


# delegation-check-files (the pre-commit hook) ------------------------------------------

files_app = typer.Typer(
    name="delegation-check-files",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@files_app.command(cls=_Command, help=_(
    "Check the conventions concerned by the files given (the pre-commit hook): a YAML file that is a "
    "convention, and for a ledger the conventions of the repository whose ledger: names it.\n\n"
    "Exit 1 when any check fails.\n\n"
    "Example: delegation-check-files convention.yaml ledgers/convention.ledger"))
@_handled
def check_files(
    files: Annotated[list[str] | None, typer.Argument(metavar="FILE...",
                                                      help=_("Files a commit touches (conventions, ledgers; "
                                                             "other files are ignored)."))] = None,
    lang: LangOpt = None,
) -> None:
    from ..report.messages import check_summary, problems_text
    from ..store.scaffold import check_files as run

    result = run([Path(f) for f in files or []])
    for checked in result.checks:
        typer.echo(problems_text(checked.problems), err=True, nl=False)
        _emit(check_summary(checked))
    if result.problems:
        typer.echo(problems_text(result.problems), err=True, nl=False)
    if result.exit_code is not ExitCode.OK:
        raise typer.Exit(int(result.exit_code))


def check_files_main() -> None:
    """Console-script entry point of ``delegation-check-files``."""
    import signal

    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    from .output import use_any_encoding

    use_any_encoding()
    _run(files_app)


def main() -> None:
    """Console-script entry point.

    A reader that stops early (``delegation log | head``) ends the process quietly through
    SIGPIPE, as for other Unix tools, instead of an error exit.
    """
    import signal

    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    from .output import use_any_encoding

    use_any_encoding()
    for index, arg in enumerate(sys.argv[1:], 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:  # bytes the locale could not decode (kept as surrogates)
            shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            typer.echo(_("error: argument {index} ({shown}) is not valid UTF-8 text at character {position} "
                         "(expected UTF-8)").format(index=index, shown=shown, position=exc.start + 1), err=True)
            raise SystemExit(int(ExitCode.USAGE)) from None
    _run(app)


def _run(application: Callable[[], Any]) -> None:
    """Run the application; what it could not print (``--version > /dev/full``) is one line on
    stderr and exit 3, never a traceback, and stdout is flushed here, not by the interpreter's
    last words."""
    from .output import OutputError, emit, silence

    code: Any = 0
    try:
        application()
    except SystemExit as exc:
        code = exc.code
    except (OSError, OutputError) as exc:
        silence()
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        with contextlib.suppress(OutputError):
            emit(_("error: cannot write the output: {reason}").format(reason=reason) + "\n", err=True)
        raise SystemExit(int(ExitCode.WRITE_FAILED)) from None
    try:
        sys.stdout.flush()
    except (OSError, ValueError) as exc:
        silence()
        if code in (0, None):
            with contextlib.suppress(OutputError):
                emit(_("error: cannot write the output: {reason}").format(
                    reason=getattr(exc, "strerror", None) or exc) + "\n", err=True)
            code = int(ExitCode.WRITE_FAILED)
    raise SystemExit(code)


__all__ = ["app", "check_files_main", "files_app", "main"]
