"""Reading a convention file: YAML text -> :class:`model.Convention`, with line numbers.

This module owns the convention file on disk and every way it can be wrong:

* what cannot be read at all (missing, a directory, too large, binary, not UTF-8, a YAML
  syntax error, nesting or aliases that would explode) raises :class:`DelegationError`
  with exit code 2;
* what is read but invalid (a YAML tag that tries to build an object, a schema error, a
  broken rule) comes back as :class:`Problem` values located at ``FILE:LINE:COL``;
* a value still equal to :data:`PLACEHOLDER` (the ``delegation init`` template's
  ``A_COMPLETER``) is a field left to fill in: one ``to-fill-in`` problem per such value, and
  the schema is not checked until none is left (no pile of type errors about placeholders).

:func:`peek_convention` tells, without validating, whether a YAML file is a convention and
which ledger it names (the pre-commit hook's search).

YAML numbers never pass through a binary float: the loader keeps their source text
(:class:`model.YamlNumber`) and each field converts it exactly.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DelegationError, ExitCode, Problem, Severity, fail, has_errors, not_a_file
from .i18n import N_, _, ngettext, using
from .model import Convention, Finding, Loc, YamlNumber, convention_findings

if TYPE_CHECKING:
    from pydantic import ValidationError
    from ruamel.yaml import YAML

MAX_BYTES = 1_000_000
"""A convention is a page of YAML; anything above a megabyte is refused unread."""
MAX_NODES = 100_000
"""Values visited when walking the document (aliases counted each time they are used)."""
MAX_DEPTH = 50
PLACEHOLDER = "A_COMPLETER"
"""The value the ``delegation init`` template gives every field to fill in."""


def _yaml() -> YAML:
    """A round-trip YAML loader that keeps numbers and dates as their source text."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import RoundTripConstructor

    class _ExactConstructor(RoundTripConstructor):
        def construct_yaml_int(self, node: Any) -> Any:
            return YamlNumber(node.value.replace("_", ""))

        def construct_yaml_float(self, node: Any) -> Any:
            return YamlNumber(node.value.replace("_", ""))

        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            # Kept as text: the model checks the date (2019-02-30, month 13) and the problem
            # is located like any other, instead of ruamel raising a bare ValueError.
            return node.value

    _ExactConstructor.add_constructor("tag:yaml.org,2002:int", _ExactConstructor.construct_yaml_int)
    _ExactConstructor.add_constructor("tag:yaml.org,2002:float", _ExactConstructor.construct_yaml_float)
    _ExactConstructor.add_constructor("tag:yaml.org,2002:timestamp", _ExactConstructor.construct_yaml_timestamp)
    yaml = YAML(typ="rt")
    yaml.Constructor = _ExactConstructor
    yaml.allow_duplicate_keys = False
    return yaml


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


def read_text(path: Path, *, max_bytes: int, what: str) -> str:
    """Read a small UTF-8 text file, or raise a one-line error (exit 2).

    The file is checked before anything is read: opened without blocking (a named pipe
    then opens at once), it must be a regular file — a FIFO, a device (``/dev/zero``), a
    directory or a socket is refused at once.  At most ``max_bytes`` are read, whatever
    size the file reports (a ``/proc`` file reports 0)."""
    shown = str(path)
    data = _read_regular(path, max_bytes=max_bytes, what=what)
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise fail(_("contains a NUL byte: binary data (expected a {what} in UTF-8 text)").format(what=what),
                   code="file-binary", path=shown, line=line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(_("invalid UTF-8 byte 0x{byte} (expected a {what} in UTF-8 text)").format(
                       byte=f"{data[exc.start]:02x}", what=what),
                   code="file-encoding", path=shown, line=line, column=col) from None
    return text


_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
_CHUNK = 1 << 20


def _read_regular(path: Path, *, max_bytes: int, what: str) -> bytes:
    """The bytes of a regular file, at most ``max_bytes`` of them (else exit 2)."""
    shown = str(path)
    try:
        fd = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        raise fail(_("no such file (expected a {what})").format(what=what), code="file-missing", path=shown) from None
    except OSError as exc:  # a socket cannot be opened (ENXIO): say what it is
        raise _open_error(path, exc, what) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_a_file(st.st_mode, shown, what)
        os.set_blocking(fd, True)
        if st.st_size > max_bytes:
            raise fail(_("file is {size} bytes, too large for a {what} (at most {max_bytes})").format(
                           size=st.st_size, what=what, max_bytes=max_bytes),
                       code="file-too-large", path=shown)
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:  # the limit holds while reading: st_size may be 0 (/proc) or stale
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise fail(_("file is more than {max_bytes} bytes, too large for a {what} (at most {max_bytes})").format(
                           what=what, max_bytes=max_bytes),
                       code="file-too-large", path=shown)
        return b"".join(chunks)
    except OSError as exc:
        raise fail(_("cannot read: {reason}").format(reason=exc.strerror), code="file-unreadable", path=shown) from None
    finally:
        os.close(fd)


def _open_error(path: Path, exc: OSError, what: str) -> DelegationError:
    shown = str(path)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        return not_a_file(mode, shown, what)
    return fail(_("cannot read: {reason}").format(reason=exc.strerror), code="file-unreadable", path=shown)


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
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    shown = str(path)
    if text.startswith(LEDGER_HEADER):
        raise fail(_("is a delegation ledger, not a convention (expected a convention YAML file; a ledger is "
                     "given with --ledger: delegation check -c CONVENTION.yaml --ledger {path})").format(path=shown),
                   code="file-is-ledger", path=shown, line=1, column=1)
    _refuse_deep_flow(text, shown)
    try:
        with warnings.catch_warnings():  # ruamel warns about reused anchors: not the user's concern here
            warnings.simplefilter("ignore")
            data = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or exc.context or _("syntax error")).strip()
        raise fail(_("not valid YAML: {problem}").format(problem=what), code="yaml-syntax", path=shown,
                   line=mark.line + 1 if mark else None,
                   column=mark.column + 1 if mark else None) from None
    except YAMLError as exc:
        raise fail(_("not valid YAML: {problem}").format(problem=str(exc).strip().splitlines()[0]),
                   code="yaml-syntax", path=shown) from None
    except RecursionError:
        raise fail(_("not valid YAML: nested too deeply"), code="yaml-too-deep", path=shown) from None

    problems = list(_walk(data, shown))
    if has_errors(problems):
        return LoadedConvention(path, None, problems)
    problems.extend(_placeholders(data, shown))
    if has_errors(problems):
        return LoadedConvention(path, None, problems)
    if not isinstance(data, CommentedMap):
        raise fail(_("the document is not a mapping of fields (expected `id: ...`, `title: ...`, ...)"),
                   code="yaml-not-mapping", path=shown, line=1, column=1,
                   exit_code=ExitCode.PROBLEMS)
    try:
        conv = Convention.model_validate(dict(data))
    except ValidationError as exc:
        problems.extend(_schema_problems(exc, data, shown))
        return LoadedConvention(path, None, problems)
    problems.extend(_locate_finding(f, data, shown) for f in convention_findings(conv))
    return LoadedConvention(path, conv, problems)


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


LEDGER_HEADER = "# delegation-ledger v"


# --------------------------------------------------------------------------------------


def _refuse_deep_flow(text: str, shown: str) -> None:
    """Refuse ``[[[[…`` before the YAML parser spends seconds recursing into it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth, line, quote = 0, 1, ""
    for char in text:
        if char == "\n":
            line += 1
        elif quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise fail(_("nested more than {depth} levels deep").format(depth=MAX_DEPTH), code="yaml-too-deep",
                           path=shown, line=line)
        elif char in "]}":
            depth = max(depth - 1, 0)


def _walk(root: Any, shown: str) -> Iterable[Problem]:
    """Refuse tags, aliases that explode, and nesting beyond reason."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    visited = 0
    stack: list[tuple[Any, int, tuple[int | None, int | None]]] = [(root, 0, (1, 1))]
    while stack:
        node, depth, pos = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            raise fail(_("the document expands to more than {count} values (aliases "
                         "used as a bomb, or referring to themselves); a convention is a page "
                         "of YAML").format(count=MAX_NODES), code="yaml-too-large",
                       path=shown)
        if depth > MAX_DEPTH:
            raise fail(_("nested more than {depth} levels deep").format(depth=MAX_DEPTH), code="yaml-too-deep",
                       path=shown, line=pos[0], column=pos[1])
        tag = getattr(node, "tag", None)
        tag_value = getattr(tag, "value", None) if tag is not None else None
        if tag_value is not None:
            yield Problem(shown, pos[0], pos[1], Severity.ERROR, "yaml-tag",
                          _("YAML tag {tag} is not allowed (expected plain values: "
                            "text, numbers, dates, lists and mappings)").format(tag=tag_value))
            continue
        if isinstance(node, CommentedMap):
            for key in node:
                line, col = node.lc.value(key)
                stack.append((node[key], depth + 1, (line + 1, col + 1)))
        elif isinstance(node, CommentedSeq):
            for i, item in enumerate(node):
                line, col = node.lc.item(i)
                stack.append((item, depth + 1, (line + 1, col + 1)))


def _placeholders(root: Any, shown: str) -> list[Problem]:
    """One ``to-fill-in`` error per value still equal to :data:`PLACEHOLDER`, in file order."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    found: list[Problem] = []
    stack: list[tuple[Any, Loc, tuple[int, int]]] = [(root, (), (1, 1))]
    while stack:
        node, loc, pos = stack.pop()
        if isinstance(node, CommentedMap):
            for key in node:
                line, col = node.lc.value(key)
                stack.append((node[key], (*loc, str(key)), (line + 1, col + 1)))
        elif isinstance(node, CommentedSeq):
            for i, item in enumerate(node):
                line, col = node.lc.item(i)
                stack.append((item, (*loc, i), (line + 1, col + 1)))
        elif isinstance(node, str) and node.strip() == PLACEHOLDER:
            field = ".".join(str(p) for p in loc) or _("the document")
            found.append(Problem(shown, pos[0], pos[1], Severity.ERROR, "to-fill-in",
                                 _("{field}: field to fill in (replace {placeholder} with the value the "
                                   "convention's text gives)").format(field=field, placeholder=PLACEHOLDER)))
    return sorted(found, key=lambda p: (p.line or 0, p.column or 0))


@dataclass(frozen=True)
class Peeked:
    """What :func:`peek_convention` saw of a YAML file that looks like a convention."""

    ledger: str | None
    """The ledger path it names (``ledger:``, else ``ledgers/<id>.ledger``), as written;
    ``None`` when it names none that can be read (the file is then checked as it is)."""


CONVENTION_KEYS = frozenset({"id", "period", "parties", "imputation", "budget", "teams", "ledger"})
"""Top-level keys that make a YAML mapping a convention (two of them are enough)."""


def peek_convention(path: Path) -> Peeked | None:
    """Whether the YAML file ``path`` is a convention, and its ledger, without validating it.

    ``None`` for a file that is not one: unreadable, or a mapping with fewer than two of the
    convention's top-level keys (a ``.pre-commit-config.yaml``, a CI file…).  A file that
    cannot be parsed as YAML is taken for a convention whose ledger is unknown, so that
    ``check`` says what is wrong with it."""
    from ruamel.yaml.comments import CommentedMap

    try:
        text = read_text(path, max_bytes=MAX_BYTES, what=_("convention YAML file"))
    except DelegationError:
        return None
    if text.startswith(LEDGER_HEADER):
        return None
    try:
        _refuse_deep_flow(text, str(path))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = _yaml().load(text)
    except Exception:  # noqa: BLE001 - any parse failure: check will say which
        return Peeked(None)
    if not isinstance(data, CommentedMap) or len(CONVENTION_KEYS & {str(k) for k in data}) < 2:
        return None
    ledger, ident = data.get("ledger"), data.get("id")
    if isinstance(ledger, str) and ledger.strip() != PLACEHOLDER:
        return Peeked(ledger)
    if ledger is None and isinstance(ident, str) and ident.strip() != PLACEHOLDER:
        return Peeked(f"ledgers/{ident}.ledger")
    return Peeked(None)


def _locate(root: Any, loc: Loc, *, on_key: bool = False) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the value at ``loc``, or of its nearest ancestor."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node = root
    line, col = 1, 1
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            l0, c0 = node.lc.key(part) if (last and on_key) else node.lc.value(part)
            line, col = l0 + 1, c0 + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            l0, c0 = node.lc.item(part)
            line, col = l0 + 1, c0 + 1
            node = node[part]
        else:
            break
    return line, col


def _locate_finding(finding: Finding, root: Any, shown: str) -> Problem:
    line, col = _locate(root, finding.loc)
    return Problem(shown, line, col, finding.severity, finding.code, finding.message)


def _field_names(loc: Loc) -> list[str] | None:
    """The fields allowed at the mapping that ``loc`` points into (for unknown keys)."""
    from typing import get_args, get_origin

    from pydantic import BaseModel

    model: Any = Convention
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        ann = info.annotation
        while get_origin(ann) is not None:
            args = [a for a in get_args(ann) if a is not type(None) and a is not Ellipsis]
            if not args:
                break
            ann = args[0]
        model = ann
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None


DATE_EXPECTED = N_("expected a date YYYY-MM-DD, such as 2019-12-09")
"""What a date field should look like (translate it with ``_`` where shown)."""

_DATE_REASONS = (
    N_("day value is outside expected range"),
    N_("month value is outside expected range of 1-12"),
)
"""pydantic's reasons for a well-formed date that does not exist, for the catalogue."""


def _date_problem(err: Any) -> str:
    """What is wrong with a date field, and the form expected: ``'14/03/2023' is not a date
    (expected a date YYYY-MM-DD, such as 2019-12-09)``; a well-formed date that does not exist
    (``2019-02-30``) says which part is out of range."""
    value = err.get("input")
    got = repr(str(value)) if isinstance(value, str | int) and len(str(value)) < 60 else _("the value")
    reason = str((err.get("ctx") or {}).get("error", ""))
    if "outside expected range" in reason:
        return _("{value} is not a calendar date: {reason} ({expected})").format(
            value=got, reason=_(reason), expected=_(DATE_EXPECTED))
    return _("{value} is not a date ({expected})").format(value=got, expected=_(DATE_EXPECTED))


_PYDANTIC_MESSAGES = {
    "string_type": N_("Input should be a valid string"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "decimal_type": N_("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "finite_number": N_("Input should be a finite number"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "literal_error": N_("Input should be {expected}"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_("Input should be a valid dictionary or object to extract fields from"),
    "dict_type": N_("Input should be a valid dictionary"),
    "tuple_type": N_("Input should be a valid tuple"),
    "list_type": N_("Input should be a valid list"),
    "iterable_type": N_("Input should be iterable"),
    "none_required": N_("Input should be None"),
}
"""pydantic's own messages for the error types a convention can meet, for the catalogue
(pydantic writes English only): the English is pydantic's, word for word."""


def _pydantic_message(err: Any) -> str:
    """pydantic's message for ``err`` in the current language; pydantic's own English when the
    type is not in :data:`_PYDANTIC_MESSAGES` (or the sizes), or when pydantic words it
    otherwise than the catalogue's English."""
    kind, english = err["type"], err["msg"]
    ctx = dict(err.get("ctx") or {})
    if kind in ("too_short", "too_long"):
        size = ctx.get("min_length" if kind == "too_short" else "max_length")
        if not isinstance(size, int):
            return str(english)
        ctx["size"] = size
        try:
            with using("en"):
                same = _sized_template(kind, size).format(**ctx) == english
            return _sized_template(kind, size).format(**ctx) if same else str(english)
        except (KeyError, IndexError, ValueError):
            return str(english)
    template = _PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return str(english)
    try:
        if template.format(**ctx) != english:
            return str(english)
        if kind == "literal_error":
            ctx["expected"] = _alternatives(str(ctx.get("expected", "")))
        return _(template).format(**ctx)
    except (KeyError, IndexError, ValueError):
        return str(english)


def _sized_template(kind: str, size: int) -> str:
    """pydantic's ``too_short`` or ``too_long`` message for a tuple (the only sized fields of a
    convention), in the current language."""
    if kind == "too_short":
        return ngettext("Tuple should have at least {size} item after validation, not {actual_length}",
                        "Tuple should have at least {size} items after validation, not {actual_length}", size)
    return ngettext("Tuple should have at most {size} item after validation, not {actual_length}",
                    "Tuple should have at most {size} items after validation, not {actual_length}", size)


def _alternatives(expected: str) -> str:
    """pydantic's list of the values allowed (``'signature' or 'start'``), its last ``or``
    in the current language."""
    head, sep, last = expected.rpartition("' or '")
    if not sep:
        return expected
    return _("{choices} or {last}").format(choices=head + "'", last="'" + last)


def _schema_problems(exc: ValidationError, root: Any, shown: str) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        kind = err["type"]
        dotted = ".".join(str(p) for p in loc)
        if kind == "extra_forbidden":
            allowed = _field_names(loc)
            hint = _(" (expected one of: {fields})").format(fields=", ".join(allowed)) if allowed else ""
            message = _("unknown field {field}{hint}").format(field=repr(dotted), hint=hint)
            line, col = _locate(root, loc, on_key=True)
        elif kind == "missing":
            message = _("missing field {field}").format(field=repr(dotted))
            line, col = _locate(root, loc)
        elif kind.startswith(("date_", "datetime_")):
            message = _("{field}: {problem}").format(field=dotted, problem=_date_problem(err))
            line, col = _locate(root, loc)
        else:
            msg = err["msg"].removeprefix("Value error, ") if kind == "value_error" else _pydantic_message(err)
            value = err.get("input")
            shown_value = _(" (got {value})").format(value=repr(value)) \
                if isinstance(value, str | int) and len(repr(value)) < 60 and kind not in ("value_error",) else ""
            message = _("{field}: {problem}{got}").format(field=dotted, problem=msg, got=shown_value)
            line, col = _locate(root, loc)
        problems.append(Problem(shown, line, col, Severity.ERROR, f"schema-{kind}".replace("_", "-"),
                                message))
    return problems
