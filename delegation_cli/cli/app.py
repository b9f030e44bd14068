"""The ``delegation`` command line (Typer): the application, its commands in the order
``--help`` lists them, and the one place where exit codes and errors are decided.

Each command (``commands/``) parses its arguments, calls one function of the library, renders
the result and returns its exit code.  :func:`handled` runs it with the invocation's
:class:`~.environment.Environment`, makes its code the process's exit code, and turns every
failure, raised as :class:`DelegationError`, into ``FILE:LINE:COL: error: ...`` lines on
stderr and an exit code.  Exit codes are defined in ``errors.ExitCode`` and listed in the
README.  :func:`main` and :func:`check_files_main` are the console scripts.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from .. import __version__
from ..core.errors import DelegationError, ExitCode
from ..core.i18n import _
from . import usage
from .commands import (
    Command,
    check,
    close,
    correct,
    export,
    importing,
    init,
    log,
    migrate,
    portfolio,
    publish,
    reconcile,
    report,
    write,
)
from .environment import Environment
from .options import LangOpt, Signed
from .output import emit

app = typer.Typer(
    name="delegation",
    cls=usage.Group,
    help=_("Budget ledger for a convention de délégation de gestion: record commitments (AE) "
    "and payments (CP), refuse what the convention forbids, report every month."),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

files_app = typer.Typer(
    name="delegation-check-files",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

COMMANDS: tuple[Command, ...] = (
    check.check, init.init,
    write.commit, write.pay, write.release, write.forecast, write.note, correct.cancel, correct.service_fait,
    log.log, report.report, reconcile.reconcile, portfolio.portfolio, publish.publish, close.close,
    migrate.migrate,
    importing.import_, export.export,
)
"""The commands of ``delegation``, in the order its ``--help`` lists them."""


def handled(run: Callable[..., ExitCode]) -> Signed[None]:
    """The command ``run`` as Typer calls it: given the invocation's environment, with its
    exit code made the process's, every failure one line per problem on stderr and a
    documented exit code."""

    def parameters() -> list[inspect.Parameter]:
        return list(inspect.signature(run, eval_str=True).parameters.values())[1:]  # all but the environment

    def invoke(**kwargs: Any) -> None:
        code = _guarded(run, kwargs)
        if code != ExitCode.OK:
            raise typer.Exit(int(code))

    return Signed(invoke, run, parameters)


def _guarded(run: Callable[..., ExitCode], kwargs: dict[str, Any]) -> ExitCode:
    """What ``run`` returns; its failures rendered on stderr and raised as their exit code."""
    from ..report.progress import ProgressBar
    from ..store.reader import PROGRESS
    from .output import OutputError, silence

    bar = ProgressBar()
    token = PROGRESS.set(bar)
    try:
        return run(Environment.current(), **kwargs)
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


def _version(value: bool) -> None:
    if value:
        emit(_("delegation {version}").format(version=__version__) + "\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help=_("Show the version and exit."))] = False,
    lang: LangOpt = None,
) -> None:
    """Budget ledger for a convention de délégation de gestion."""


def _register() -> None:
    for declared in COMMANDS:
        app.command(declared.name, cls=usage.Command, help=declared.help)(handled(declared.run))
    files_app.command(cls=usage.Command, help=check.check_files.help)(handled(check.check_files.run))


_register()


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
    from .output import OutputError, silence

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


__all__ = ["COMMANDS", "app", "check_files_main", "files_app", "handled", "main"]
