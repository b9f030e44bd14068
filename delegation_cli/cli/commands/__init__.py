"""The commands, one module per command or small family; ``app`` registers them in the order
``delegation --help`` lists them.

This package owns :func:`command`, which names a command and its help next to its function.
A command's function takes the invocation's :class:`~..environment.Environment` first, then
what its command line gave; it parses, calls the library, renders, and returns its exit code
(``app.handled`` turns failures and codes into the process's exit).  Modules import only light
ones at the top (``--help`` and completion import every command); the store, the reports and
rich are imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...core.errors import ExitCode

Run = Callable[..., ExitCode]


@dataclass(frozen=True)
class Command:
    """A command as ``app`` registers it: its function, its help, its name when the function's
    would not do (``import``)."""

    run: Run
    help: str
    name: str | None = None


def command(help: str, name: str | None = None) -> Callable[[Run], Command]:
    """Declare the function below as a command with this ``help``."""

    def declare(run: Run) -> Command:
        return Command(run, help, name)

    return declare
