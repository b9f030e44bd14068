"""Problems, errors and exit codes: the vocabulary every other module reports in.

This module owns three things and imports nothing from the package but :mod:`i18n`:

* :class:`Problem`, a finding about user data (a convention file, a ledger line, a
  command's argument), carried as a value, like beancount's validation errors.  It is
  rendered ``FILE:LINE:COL: severity: message``.
* :class:`DelegationError`, raised when a command cannot go on; it carries its problems
  and the exit code the command must end with.
* :class:`ExitCode`, the single place where exit codes are defined (documented in the
  README's "Exit codes" section);

and what every reader of files shares: the errors :func:`fail` and :func:`not_a_file`, and
:func:`raw_forbidden`, the characters that may not appear raw in a line or a path.
"""

from __future__ import annotations

import enum
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .i18n import N_, _


class ExitCode(enum.IntEnum):
    """Exit codes of every ``delegation`` command."""

    OK = 0
    """Success; warnings may have been printed."""
    PROBLEMS = 1
    """The input was read but breaks a rule: invalid convention or ledger, refused entry,
    alert with ``--fail-on-alert``, warnings with ``--strict``."""
    USAGE = 2
    """Bad command line, or a file that cannot be read at all (missing, a directory, not
    UTF-8, not YAML, too large)."""
    WRITE_FAILED = 3
    """The operating system refused a write (permissions, disk full); the ledger is left as
    it was before the command.  Also a reading command that could not print its output."""
    RECORDED_UNCONFIRMED = 4
    """The ledger was written (and fsynced), but the confirmation could not be printed (a
    closed pipe, a full disk): the entry is recorded, do not record it again."""


class Severity(enum.StrEnum):
    """How serious a problem is: errors block, warnings inform, info is for reports."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_WORDS = {Severity.ERROR: N_("error"), Severity.WARNING: N_("warning"), Severity.INFO: N_("info")}
"""The word shown for each severity (translated when rendered; JSON keeps the value)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about user data.

    Attributes:
        path: the file it is about (as given by the user), or ``None`` for an argument.
        line: 1-based line number, or ``None`` when the problem concerns the whole file.
        column: 1-based column, or ``None``.
        severity: error, warning or info.
        code: a stable identifier (``ae-year-exceeded``) for scripts and editors.
        message: what is wrong, with figures, and what was expected.
    """

    path: str | None
    line: int | None
    column: int | None
    severity: Severity
    code: str
    message: str

    def render(self) -> str:
        """``FILE:LINE:COL: severity: message`` (missing parts are left out)."""
        where = [p for p in (self.path, self.line, self.column) if p is not None]
        prefix = ":".join(str(p) for p in where)
        head = f"{prefix}: " if prefix else ""
        severity = _(SEVERITY_WORDS[self.severity])
        return head + _("{severity}: {message}").format(severity=severity, message=self.message)

    def as_json(self) -> dict[str, object]:
        """The problem as a JSON-ready mapping (``check --format json``)."""
        return {
            "file": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
        }

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when at least one problem is an error."""
    return any(p.severity is Severity.ERROR for p in problems)


class DelegationError(Exception):
    """A command cannot go on.  Carries the problems to print and the exit code."""

    def __init__(self, problems: Sequence[Problem], exit_code: ExitCode = ExitCode.PROBLEMS):
        super().__init__("; ".join(p.render() for p in problems))
        self.problems = list(problems)
        self.exit_code = exit_code


def fail(
    message: str,
    *,
    code: str,
    path: str | None = None,
    line: int | None = None,
    column: int | None = None,
    exit_code: ExitCode = ExitCode.USAGE,
) -> DelegationError:
    """Build a :class:`DelegationError` holding one error (``raise fail(...)``)."""
    problem = Problem(path, line, column, Severity.ERROR, code, message)
    return DelegationError([problem], exit_code)


RAW_FORBIDDEN = frozenset(("Cc", "Cf", "Zl", "Zp"))
"""Unicode categories that may not appear raw in a ledger line or a path: controls (NUL, tab,
line feed and ESC included), format characters such as the bidi overrides, line and paragraph
separators."""


def raw_forbidden(text: str) -> int | None:
    """Index of the first character of ``text`` in :data:`RAW_FORBIDDEN`, or None."""
    if text.isprintable():
        return None
    return next((i for i, c in enumerate(text) if unicodedata.category(c) in RAW_FORBIDDEN), None)


def not_a_file(mode: int, shown: str, what: str, code: str | None = None) -> DelegationError:
    """The error (exit 2) for a path that is not a regular file, saying what it is and what
    was expected; ``code`` replaces the code of each kind (``bad-argument`` for an output)."""
    if stat.S_ISDIR(mode):
        return fail(_("is a directory (expected a {what})").format(what=what), code=code or "file-is-directory",
                    path=shown)
    if stat.S_ISFIFO(mode):
        kind, code_of = _("is a named pipe (FIFO), not a file"), code or "file-is-fifo"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind, code_of = _("is a device, not a file"), code or "file-is-device"
    elif stat.S_ISSOCK(mode):
        kind, code_of = _("is a socket, not a file"), code or "file-is-socket"
    else:
        kind, code_of = _("is not a regular file"), code or "file-not-regular"
    return fail(_("{kind} (expected a {what})").format(kind=kind, what=what), code=code_of, path=shown)
