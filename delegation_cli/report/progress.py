"""The progress bar of long reads and imports on a terminal (:data:`store.reader.PROGRESS`).

A module of its own: every command sets the bar up (``cli.app``), so that what it imports is
what every command's start-up pays — rich only once a bar is worth drawing.
"""

from __future__ import annotations

from typing import Any

from .cells import visible


class ProgressBar:
    """A progress bar on stderr for long work (:data:`reader.PROGRESS`): shown only on a
    terminal, and only for a ledger above 10 MB (about 100 000 entries) or an import of more
    than 100 000 rows; created on the first report worth showing, removed when done."""

    THRESHOLDS = {"bytes": 10_000_000, "rows": 100_000}

    def __init__(self, console: Any = None):
        self.console = console
        """The rich console to draw on (default: stderr, created when first needed)."""
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, done: int, total: int, what: str, unit: str) -> None:
        if total < self.THRESHOLDS.get(unit, 0):
            return
        if self.console is None:
            import sys

            if not sys.stderr.isatty():
                return
            from rich.console import Console

            self.console = Console(stderr=True)
        if not self.console.is_terminal:
            return
        if self._bar is None:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            self._bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(),
                                 console=self.console, transient=True)
            self._bar.start()
        if what not in self._tasks:
            self._tasks[what] = self._bar.add_task(visible(what), total=total)
        self._bar.update(self._tasks[what], completed=done, total=total)
        if done >= total:  # read through: the bar goes before the command prints its result
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._tasks.clear()
