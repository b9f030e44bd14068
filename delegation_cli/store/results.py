"""What the commands found or did, as plain values between the core and the rendering.

This module owns the result types that ``actions`` and ``importer`` return and ``report``
renders — :class:`CheckResult`, :class:`Outcome`, :class:`ImportResult` — so that the
rendering depends on values, not on the workflows that produce them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.entries import Entry
from ..core.errors import Problem, Severity
from ..core.replay import Availability


@dataclass
class CheckResult:
    """Everything ``delegation check`` found."""

    convention_path: Path
    problems: list[Problem]
    ledger_path: Path | None = None
    ledger_entries: int | None = None
    ledger_exists: bool = True
    """False when the convention's own ledger is not created yet (an empty ledger)."""
    repaired: str | None = None
    anchor: Entry | None = None
    """The seal ``check --anchor`` found intact, if it was asked for."""

    @property
    def errors(self) -> int:
        return sum(p.severity is Severity.ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity is Severity.WARNING for p in self.problems)


@dataclass
class Outcome:
    """The result of a writing command."""

    entry: Entry
    written: bool
    ledger_path: Path
    warnings: list[Problem] = field(default_factory=list)
    availability: Availability | None = None
    target: Entry | None = None
    """The entry a cancellation or a service fait names, as it was recorded."""


@dataclass
class ImportResult:
    """What an import did (or would do, with ``--dry-run``)."""

    source: str
    ledger: Path
    entries: list[Entry]
    duplicates: list[Problem]
    warnings: list[Problem] = field(default_factory=list)
    written: bool = False
    """False for a dry run."""


@dataclass
class Migration:
    """What ``delegation migrate`` did (or would do, with ``--dry-run``)."""

    ledger: Path
    version: int
    """The format version the ledger was in."""
    entries: int = 0
    """Entry lines written with their checksum."""
    backup: Path | None = None
    """Where the file in its former version was kept; None for a dry run or nothing to do."""
