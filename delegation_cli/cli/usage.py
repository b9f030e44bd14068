"""What Click and Typer print themselves, in the current language: help pages and usage errors.

This module owns the words of Click and Typer (``Usage:``, section titles, the help of
``--help``, usage errors), the help formatter that writes them, the command and group classes
every ``delegation`` command uses (:class:`Command`, :class:`Group`), and the two-line form of
a usage error (:func:`_short`).
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import dataclasses
import enum
import gettext
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

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

from ..core.i18n import N_, _, ngettext
from ..core.money import AmountError, parse_amount

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


# Values converted without pydantic ----------------------------------------------------------
#
# Typer ≥ 0.2x converts every parameter's text through a pydantic TypeAdapter built when the
# command line is read: it imports pydantic and builds one schema per parameter, for --help's
# completion and every command, even those that never touch a model.  The parameters of
# ``delegation`` are of five plain kinds — text, a list of texts, a flag, a choice of an
# enumeration, a value our own parser reads — which :func:`_plain` converts exactly as those
# adapters do (typer's own choice matching, the same error text), without pydantic.  Anything
# else keeps typer's adapter, and so does an older typer without runtime parameters.

try:
    from typer._coercion import RuntimeParam as _RuntimeParam
    from typer._param_types import coerce_cli_choice as _choice
except ImportError:  # pragma: no cover - depends on the installed typer
    _Plain = None
else:

    @dataclasses.dataclass(frozen=True)
    class _Plain(_RuntimeParam):  # type: ignore[no-redef, misc, unused-ignore]
        """A parameter's conversion by ``convert(text, ctx)``; its ValueError is a usage error,
        as a pydantic validation error is."""

        convert: Callable[[Any, Any], Any]

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return self.convert(value, ctx)
            except ValueError as exc:
                raise click_errors.BadParameter(str(exc), ctx=ctx, param=param) from None


def _plain(param: Any) -> Any:
    """A runtime parameter converting ``param``'s text without pydantic, or None when its type
    is not one of the plain kinds (typer's adapter converts it then)."""
    descriptor = getattr(param, "type_descriptor", None)
    if _Plain is None or descriptor is None or descriptor.file_annotation is not None:
        return None
    info, annotation = descriptor.parameter_info, descriptor.annotation
    convert: Callable[[Any, Any], Any]
    if info.parser is not None:
        parser = info.parser
        convert = lambda value, ctx: parser(value)  # noqa: E731
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        choices = list(annotation)
        convert = lambda value, ctx: _choice(value, choices=choices,  # noqa: E731
                                             case_sensitive=info.case_sensitive, ctx=ctx)
    elif annotation is str:
        convert = lambda value, ctx: str(value)  # noqa: E731
    elif annotation == list[str]:
        convert = lambda value, ctx: list(value)  # noqa: E731
    elif annotation is bool and param.is_flag and not param.envvar:
        convert = lambda value, ctx: value  # noqa: E731 - a flag's value is a bool already
    else:
        return None
    return _Plain(parameter_info=info, annotation=annotation, convert=convert)


def _convert_plainly(params: list[Any]) -> None:
    """Give each of ``params`` whose type is plain its pydantic-free conversion (:func:`_plain`)."""
    for param in params:
        if getattr(param, "_runtime_param", False) is None:
            param._runtime_param = _plain(param)


class Command(TyperCommand):
    """A ``delegation`` command: its help in the current language, its values converted
    without pydantic (:func:`_plain`)."""

    context_class = _Context

    def get_params(self, ctx: Context) -> list[Any]:
        params = super().get_params(ctx)
        _convert_plainly(params)
        return params

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


class Group(TyperGroup):
    """The ``delegation`` group: usage errors in two lines (:class:`_ShortUsageError`), its
    help in the current language; a command runs in a copy of the context, so that the
    language ``--lang`` sets does not outlive it (several commands in one process: tests)."""

    context_class = _Context

    def get_params(self, ctx: Context) -> list[Any]:
        params = super().get_params(ctx)
        _convert_plainly(params)
        return params

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
