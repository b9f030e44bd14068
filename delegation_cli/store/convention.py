"""Reading a convention file: YAML text -> :class:`model.Convention`, with line numbers.

This module owns the convention file and every way it can be wrong:

* what cannot be read at all — missing, a directory, too large, binary, not UTF-8
  (:mod:`text_files`); a YAML syntax error, nesting deeper than :data:`MAX_DEPTH`, aliases
  that expand it beyond :data:`MAX_EXPANDED` characters or :data:`MAX_NODES` values
  (:mod:`yaml_plain`) — raises :class:`DelegationError` with exit code 2;
* what is read but invalid comes back as :class:`Problem` values located at
  ``FILE:LINE:COL``: first what is not plain YAML (tags, merge keys, directives, an anchor
  defined twice, an alias inside its own value, a list or mapping as a key), refused on the
  composed nodes before anything is built from them (:func:`yaml_plain.compose`); then
  schema errors (:mod:`schema_problems`) and broken rules (``core.convention_rules``);
* a convention in the plainest YAML (:mod:`yaml_fast`) is read without ruamel, and trusted only
  when it has no problem at all: any problem, and ruamel reads it again to locate them all;
* a value still equal to :data:`PLACEHOLDER` (the ``delegation init`` template's
  ``A_COMPLETER``) is a field left to fill in: one ``to-fill-in`` problem per such value, and
  the schema is not checked until none is left (no pile of type errors about placeholders).

:func:`looks_like_convention` tells whether a YAML text or file is a convention at all, and
:func:`peek_convention`, without validating it, which ledger it names (the pre-commit
hook's search).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import DelegationError, ExitCode, Problem, Severity, fail, has_errors, raw_forbidden
from ..core.i18n import _
from .text_files import read_text
from .yaml_plain import Bounds, Document, compose, construct, is_mapping, locate, located_values, top_level_keys

if TYPE_CHECKING:
    from ..core.convention_rules import Finding
    from ..core.model import Convention

MAX_BYTES = 1_000_000
"""A convention is a page of YAML; anything above a megabyte is refused unread."""
MAX_NODES = 100_000
"""Values — scalars (keys included), lists and mappings — the document holds once its aliases
are expanded (each counted every time an alias uses it)."""
MAX_EXPANDED = 4_000_000
"""Characters the document holds once its aliases are expanded: every scalar (keys included)
counted each time an alias repeats it.  Four times :data:`MAX_BYTES`: an alias may repeat a
block of the file, it may not turn a page of YAML into gigabytes of text for every command
that reads the convention (a 900 kB name repeated by 2 000 aliases is 1.8 GB)."""
MAX_DEPTH = 50
"""Collections (lists, mappings) nested in one another, aliases expanded."""
PLACEHOLDER = "A_COMPLETER"
"""The value the ``delegation init`` template gives every field to fill in."""


def bounds() -> Bounds:
    """The bounds of a convention's YAML, from :data:`MAX_DEPTH`, :data:`MAX_NODES` and
    :data:`MAX_EXPANDED` as they stand when it is read."""
    return Bounds(depth=MAX_DEPTH, values=MAX_NODES, chars=MAX_EXPANDED)


def _is_ledger(text: str) -> bool:
    """Whether ``text`` starts with a ledger's header line."""
    from ..core.lines import HEADER_PREFIX  # the ledger's format, imported only once a convention is read

    return text.startswith(HEADER_PREFIX)


@dataclass(frozen=True)
class LoadedConvention:
    """A convention read from a file, with its path and the problems found in it."""

    path: Path
    convention: Convention | None
    problems: list[Problem]

    @property
    def folder(self) -> Path:
        return self.path.parent

    def ledger_path(self) -> Path:
        """The convention's ledger (``ledger:``, relative to the YAML file's folder).

        Resolved, symbolic links included, it must stay inside the convention's folder
        (resolved too): a convention cannot make the tool read or write a file elsewhere
        through a link (exit 2).  ``..`` and absolute paths are already refused as a rule of
        the convention (``ledger-outside``)."""
        assert self.convention is not None
        declared = self.convention.ledger_path
        path = self.folder / declared
        _require_inside(path, self.folder, declared, str(self.path))
        return path


def _require_inside(path: Path, folder: Path, declared: str, shown: str) -> None:
    """Refuse (exit 2) a ledger path that, resolved, leaves the resolved ``folder``."""
    try:
        home = folder.resolve()
        target = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symbolic link loop
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _("a loop of symbolic links")
        raise fail(_("ledger path {path} cannot be resolved: {reason}").format(path=repr(declared), reason=reason),
                   code="ledger-unresolvable", path=shown) from None
    if not target.is_relative_to(home):
        raise fail(_("ledger path {path} resolves to {target}, outside the convention's folder {folder} "
                     "(a symbolic link leads out of it; expected the ledger inside the folder)").format(
                         path=repr(declared), target=target, folder=home),
                   code="ledger-outside", path=shown)


def load_convention(path: Path) -> LoadedConvention:
    """Read, parse and validate a convention file.

    Raises :class:`DelegationError` (exit 2) when the file cannot be read as YAML; returns
    every other problem (schema, rules) in ``problems``, with the convention when the
    schema holds.
    """
    text = read_text(path, max_bytes=MAX_BYTES, what=_("convention YAML file"))
    return _load_text(text, path)


def _load_text(text: str, path: Path) -> LoadedConvention:
    from pydantic import ValidationError

    from ..core.convention_rules import convention_findings
    from ..core.model import Convention  # the model, only once a convention is read

    shown = str(path)
    if _is_ledger(text):
        raise fail(_("is a delegation ledger, not a convention (expected a convention YAML file; a ledger is "
                     "given with --ledger: delegation check -c CONVENTION.yaml --ledger {path})").format(path=shown),
                   code="file-is-ledger", path=shown, line=1, column=1)
    quick = _read_quickly(text)
    if quick is not None:
        return LoadedConvention(path, quick, [])
    document = compose(text, shown, bounds())
    problems = list(document.problems)
    if has_errors(problems):
        return LoadedConvention(path, None, problems)
    data = construct(document, shown)
    problems.extend(_placeholders(data, shown))
    if has_errors(problems):
        return LoadedConvention(path, None, problems)
    if not is_mapping(data):
        raise fail(_("the document is not a mapping of fields (expected `id: ...`, `title: ...`, ...)"),
                   code="yaml-not-mapping", path=shown, line=1, column=1,
                   exit_code=ExitCode.PROBLEMS)
    try:
        conv = Convention.model_validate(dict(data))
    except ValidationError as exc:
        from .schema_problems import schema_problems  # only a file with schema errors needs it

        problems.extend(schema_problems(exc, data, shown))
        return LoadedConvention(path, None, problems)
    problems.extend(_locate_finding(f, data, shown) for f in convention_findings(conv))
    return LoadedConvention(path, conv, problems)


def _read_quickly(text: str) -> Convention | None:
    """The convention, read without ruamel (:mod:`yaml_fast`) when its text is plain enough and
    it has no problem at all; else None, and ruamel reads it again to locate every problem (a
    text that holds :data:`PLACEHOLDER` anywhere, even in a comment, is left to it at once)."""
    if PLACEHOLDER in text:
        return None
    from pydantic import ValidationError

    from ..core.convention_rules import convention_findings
    from ..core.model import Convention
    from .yaml_fast import read

    data = read(text, bounds())
    if data is None:
        return None
    try:
        conv = Convention.model_validate(data)
    except ValidationError:
        return None
    return None if convention_findings(conv) else conv


def _locate_finding(finding: Finding, root: object, shown: str) -> Problem:
    line, col = locate(root, finding.loc)
    return Problem(shown, line, col, finding.severity, finding.code, finding.message)


def _placeholders(root: object, shown: str) -> list[Problem]:
    """One ``to-fill-in`` error per value still equal to :data:`PLACEHOLDER`, in file order."""
    found = [Problem(shown, line, col, Severity.ERROR, "to-fill-in",
                     _("{field}: field to fill in (replace {placeholder} with the value the "
                       "convention's text gives)").format(
                         field=".".join(str(p) for p in loc) or _("the document"), placeholder=PLACEHOLDER))
             for loc, line, col, value in located_values(root)
             if isinstance(value, str) and value.strip() == PLACEHOLDER]
    return sorted(found, key=lambda p: (p.line or 0, p.column or 0))


def require_convention(path: Path) -> LoadedConvention:
    """Load a convention for a command that needs a valid one; raise otherwise."""
    try:
        loaded = load_convention(path)
    except DelegationError as exc:
        raise explain_missing(exc, path) from None
    errors = [p for p in loaded.problems if p.severity is Severity.ERROR]
    if errors or loaded.convention is None:
        raise DelegationError(errors, ExitCode.PROBLEMS)
    return loaded


def explain_missing(exc: DelegationError, path: Path) -> DelegationError:
    """``exc`` with, when it says the convention ``path`` does not exist, how to give one:
    ``-c PATH``, ``$DELEGATION_CONVENTION``, and the YAML files of the current folder."""
    import dataclasses

    def hinted(problem: Problem) -> Problem:
        if problem.code != "file-missing" or problem.path != str(path):
            return problem
        try:
            here = sorted(p.name for p in Path.cwd().iterdir()
                          if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
        except OSError:
            here = []
        listed = ", ".join(here[:10]) + (", …" if len(here) > 10 else "")
        files = _(" (YAML files here: {files})").format(files=listed) if here else ""
        return dataclasses.replace(problem, message=_("{message}; give one with -c PATH or "
                                                      "$DELEGATION_CONVENTION{files}").format(
                                                          message=problem.message, files=files))

    problems = [hinted(p) for p in exc.problems]
    if problems == list(exc.problems):
        return exc
    return DelegationError(problems, exc.exit_code)


# --------------------------------------------------------------------------------------
# Is this YAML a convention, and which ledger does it name?
# --------------------------------------------------------------------------------------

CONVENTION_KEYS = frozenset({"id", "period", "parties", "imputation", "budget", "teams", "ledger"})
"""Top-level keys that make a YAML mapping a convention (two of them are enough)."""


def looks_like_convention(source: str | Path) -> bool:
    """Whether a YAML file (a path) or its text is taken for a convention: a mapping with at
    least two of :data:`CONVENTION_KEYS` at the top, or text that cannot be parsed as YAML
    (``check`` then says what is wrong with it) — not a ledger, not a ``.pre-commit-config.yaml``
    or a CI file.  A file that cannot be read raises :class:`DelegationError` (exit 2): the
    caller decides what that means."""
    if isinstance(source, Path):
        return _sniffed(read_text(source, max_bytes=MAX_BYTES, what=_("convention YAML file")), str(source))[0]
    return _sniffed(source, "<text>")[0]


def _sniffed(text: str, shown: str) -> tuple[bool, Document | dict[str, Any] | None]:
    """Whether a YAML text looks like a convention (:func:`looks_like_convention`), and its
    data when the quick reader (:mod:`yaml_fast`) reads it — the very data ruamel builds — else
    its composed document (None when it cannot be parsed)."""
    if _is_ledger(text):
        return False, None
    from .yaml_fast import read  # a portfolio looks at every YAML file of a folder: ruamel only where needed

    quick = read(text, bounds())
    if quick is not None:
        return len(CONVENTION_KEYS & quick.keys()) >= 2, quick
    try:
        document = compose(text, shown, bounds())
        keys = top_level_keys(document.root)
    except Exception:  # noqa: BLE001 - any parse failure: check will say which
        return True, None
    return keys is not None and len(CONVENTION_KEYS & keys) >= 2, document


@dataclass(frozen=True)
class Peeked:
    """What :func:`peek_convention` saw of a YAML file that looks like a convention."""

    ledger: str | None
    """The ledger path it names (``ledger:``, else ``ledgers/<id>.ledger``), as written;
    ``None`` when it names none that can be read (the file is then checked as it is)."""


def peek_convention(path: Path) -> Peeked | None:
    """Whether the YAML file ``path`` is a convention (:func:`looks_like_convention`), and its
    ledger, without validating it.

    ``None`` for a file that is not one, or that cannot be read.  A file that cannot be
    parsed as YAML is taken for a convention whose ledger is unknown, so that ``check`` says
    what is wrong with it."""
    try:
        text = read_text(path, max_bytes=MAX_BYTES, what=_("convention YAML file"))
    except DelegationError:
        return None
    convention, document = _sniffed(text, str(path))
    if not convention:
        return None
    if isinstance(document, dict):  # read by the quick reader
        data: Any = document
    elif document is None or has_errors(document.problems):  # not plain YAML: check says what
        return Peeked(None)
    else:
        try:
            data = construct(document, str(path))
        except Exception:  # noqa: BLE001 - any parse failure: check will say which
            return Peeked(None)
    if not isinstance(data, dict):  # ruamel's mapping is a dict too
        return None
    ledger, ident = data.get("ledger"), data.get("id")
    if isinstance(ledger, str) and ledger.strip() != PLACEHOLDER:
        # a path with a control character is named by no file: check says where it is
        return Peeked(ledger if raw_forbidden(ledger) is None else None)
    if ledger is None and isinstance(ident, str) and ident.strip() != PLACEHOLDER:
        from ..core.model import default_ledger_path

        return Peeked(default_ledger_path(ident))
    return Peeked(None)
