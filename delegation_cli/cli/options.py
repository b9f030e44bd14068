"""The options and arguments several commands share, each defined once, and the parsers of
their values.

This module owns ``--convention``, ``--ledger``, ``--lang``, ``--date``, ``--dry-run``,
``--author``, ``--json``, ``--label``, ``--team``, ``--csv-dialect`` and the ``AMOUNT``
argument; :class:`WriteOptions`, the option group of the writing commands; and
:func:`grouped`, which gives a command the options of a group after its own (through
:class:`Signed`, the function as Typer reads it).

An option defined here has its help translated once, when this module is imported (after
``__main__`` chose the language); one written in a command's signature, when Typer builds the
command line.  Both are the same in a ``delegation`` process; they differ only in a process
that changes its language in between (tests run in-process), which is why ``--output`` and
``COMMITMENT`` are still written in each command's signature.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import typer

from ..core import i18n
from ..core.dialects import CsvDialect
from ..core.i18n import _
from ..core.money import AmountError, parse_amount
from .completion import complete_team

R = TypeVar("R")

# Value parsers --------------------------------------------------------------------------


def as_amount(text: str) -> int:
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise typer.BadParameter(str(exc)) from None


def as_date(text: str) -> dt.date:
    from ..core.entries import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def as_digest(text: str) -> str:
    digest = text.strip().lower()
    if re.fullmatch(r"[0-9a-f]{12,64}", digest) is None:
        raise typer.BadParameter(_("{value} is not a fingerprint (expected 12 to 64 hexadecimal digits of a "
                                   "seal's sha256)").format(value=repr(text[:80])))
    return digest


def as_month(text: str) -> str:
    from ..core.entries import parse_month

    try:
        return parse_month(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


# Shared options -------------------------------------------------------------------------


class Lang(enum.StrEnum):
    fr = "fr"
    en = "en"


def month_option(help_text: str) -> Any:
    """``--month YYYY-MM`` (read by :func:`as_month`), with what the month means to the command."""
    return typer.Option("--month", parser=as_month, metavar="YYYY-MM", help=help_text)


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
    typer.Option("--date", parser=as_date, metavar="YYYY-MM-DD", help=_("Date of the operation (default: today).")),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help=_("Show the entry and the resulting availability; write nothing.")),
]
JsonOpt = Annotated[bool, typer.Option("--json", help=_("Print the recorded entry as JSON."))]
LabelOpt = Annotated[str | None, typer.Option("--label", help=_("Free text describing the entry."))]
AuthorOpt = Annotated[str | None, typer.Option("--author", help=_("Who records it (default: login name)."))]
TeamOpt = Annotated[str, typer.Option("--team", help=_("Team id, as in the convention."),
                                      autocompletion=complete_team)]
DialectOpt = Annotated[CsvDialect, typer.Option("--csv-dialect", case_sensitive=False,
                                                help=_("rfc4180 (comma, decimal point) or excel-fr "
                                                "(semicolon, decimal comma, BOM)."))]

AMOUNT_HELP = _("Amount in euros, cents allowed: 20000, 20000.50, '20 000,50 €'.")


class euros(int):  # noqa: N801 - the name --help shows after AMOUNT: ``AMOUNT <euros>``
    """Annotation of the AMOUNT arguments, for --help only: their values are plain ``int`` cents."""


AmountArg = Annotated[euros, typer.Argument(parser=as_amount, metavar="AMOUNT", help=AMOUNT_HELP)]


# Option groups --------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteOptions:
    """The options every writing command (commit, pay, release, forecast, note) takes after
    its own, in this order."""

    author: AuthorOpt = None
    dry_run: DryRunOpt = False
    as_json: JsonOpt = False
    convention: ConventionOpt = "convention.yaml"
    ledger: LedgerOpt = None
    lang: LangOpt = None


def grouped(group: type[Any]) -> Callable[[Callable[..., R]], Signed[R]]:
    """Give a command the options of ``group`` (a dataclass of option annotations and
    defaults) after its own, as its ``--help`` lists them; the command receives them as one
    object, its keyword-only argument ``options``."""
    names = [field.name for field in dataclasses.fields(group)]

    def decorate(fn: Callable[..., R]) -> Signed[R]:
        def parameters() -> list[inspect.Parameter]:
            hints = typing.get_type_hints(group, include_extras=True)
            own = [p for p in inspect.signature(fn, eval_str=True).parameters.values() if p.name != "options"]
            return [*own, *(inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=field.default,
                                              annotation=hints[field.name]) for field in dataclasses.fields(group))]

        def run(*args: Any, **kwargs: Any) -> R:
            options = group(**{name: kwargs.pop(name) for name in names})
            return fn(*args, options=options, **kwargs)

        return Signed(run, fn, parameters)

    return decorate


class Signed(Generic[R]):
    """A command's function as Typer reads it: ``run``, under the name of ``fn``, taking the
    parameters ``parameters()`` returns.

    Their annotations (the options' help among them) are evaluated when Typer first reads
    them in a language, as a plain function's are when Typer builds the command line: the
    wrappers (:func:`grouped`, ``app.handled``) change nothing to the help nor to when it is
    translated.  The result is kept for that language (the help depends on nothing else), as
    Typer reads a signature several times for each command."""

    def __init__(self, run: Callable[..., R], fn: Callable[..., Any],
                 parameters: Callable[[], list[inspect.Parameter]]) -> None:
        functools.update_wrapper(self, fn, assigned=("__module__", "__name__", "__qualname__", "__doc__"),
                                 updated=())
        self._run = run
        self._fn = fn
        self._parameters = parameters
        self._signature: tuple[str, inspect.Signature] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> R:
        return self._run(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        language = i18n.language()
        if self._signature is None or self._signature[0] != language:
            signature = inspect.signature(self._fn, eval_str=True).replace(parameters=self._parameters())
            self._signature = (language, signature)
        return self._signature[1]

    @property
    def __annotations__(self) -> dict[str, Any]:  # type: ignore[override]
        signature = self.__signature__
        return {p.name: p.annotation for p in signature.parameters.values()} | {"return": signature.return_annotation}

