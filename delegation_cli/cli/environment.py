"""The terminal decisions of one invocation: whether stdout is a terminal, its width, colours,
the language messages are written in.

This module owns :class:`Environment`, made once per command run (by ``app.handled``, after
the command line was read, so ``--lang`` is known) and handed to the command, which passes
its width and colour to the renderers: no command asks the terminal or the environment
variables itself.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass

from ..core import i18n


@dataclass(frozen=True)
class Environment:
    """What the renderers need to know about where their text goes."""

    stdout_isatty: bool
    """stdout is a terminal."""
    width: int
    """The width text is laid out to: the terminal's (``COLUMNS`` when set), 0 (no limit) when
    stdout is not a terminal."""
    color: bool
    """Colours: on a terminal, or when ``FORCE_COLOR`` asks; never with ``NO_COLOR``."""
    forced_color: bool
    """Colours where no terminal shows them (a pipe, a file): ``FORCE_COLOR`` without ``NO_COLOR``."""
    language: str
    """The language messages are written in (``--lang``, else the locale's)."""

    @classmethod
    def current(cls) -> Environment:
        """This process's: its stdout, ``COLUMNS``, ``NO_COLOR``, ``FORCE_COLOR``, language."""
        tty = sys.stdout.isatty()
        forced = "NO_COLOR" not in os.environ and bool(os.environ.get("FORCE_COLOR"))
        return cls(stdout_isatty=tty, width=_terminal_width() if tty else 0,
                   color="NO_COLOR" not in os.environ and (tty or forced), forced_color=forced,
                   language=i18n.language())

    def to_file(self) -> Environment:
        """The same invocation writing to a file (``--output``) instead of stdout: no
        terminal, so no width, and colours only when forced."""
        return dataclasses.replace(self, stdout_isatty=False, width=0, color=self.forced_color)


def _terminal_width() -> int:
    """The terminal's width: ``COLUMNS`` when set, else what the terminal says."""
    import shutil

    return shutil.get_terminal_size((100, 24)).columns
