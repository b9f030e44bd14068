"""Mending what a crash left, and upgrading an older ledger.

:func:`repair` moves an interrupted block whole, or a cut last line, to a side file (a last
line whose checksum proves it whole only gets its newline); :func:`migrate` rewrites a
version 1 ledger in version 2, line for line.  Nothing before the interrupted write is ever
changed."""


import contextlib
import datetime as dt
import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..core.entries import (
    Entry,
)
from ..core.errors import DelegationError, ExitCode, fail, raw_forbidden
from ..core.i18n import _, ngettext
from ..core.lines import (
    FORMAT_VERSION,
    HEADER_PREFIX,
    MAX_SEAL_LINE,
    READ_VERSIONS,
    LineError,
    format_entry,
    header_line,
    parse_line,
    sealed_line,
    split_suffix,
)
from .ledger import LockedLedger, fsync_dir, locked_ledger
from .reader import BLOCK, BOM, LedgerFile, LedgerReader, fd_blocks, scan


def repair(path: Path, now: dt.datetime, convention_id: str) -> str | None:
    """Make whole a ledger of convention ``convention_id`` that a write interrupted (a crash, a
    kill, a power loss); return what was done, or None when there is nothing to repair (or no
    file).

    Only a file whose first line is this convention's header is touched: anything else (a
    YAML file, an image, another convention's ledger) is refused (exit 1), unchanged, and so
    is what is not a regular file (exit 2).  What an interrupted write leaves is moved to
    ``<ledger>.torn-YYYYMMDDTHHMMSS`` (fsynced) and the ledger cut back before it:

    * a last block the file ends inside (version 2: ``block=N`` with fewer than N lines
      after it) is moved whole, so that a killed import leaves all its rows or none;
    * a last line without its newline is moved — unless, in a version 2 ledger, its checksum
      proves it whole (only the newline is missing) and it completes what it belongs to:
      then the newline is added.  A version 1 line has no checksum: a cut line could read as
      a different entry, so it is always moved (it was never acknowledged: every write ends
      with its newline before it is).

    Nothing else is ever changed: lines before the interrupted write stay byte for byte."""
    if not path.exists():
        return None
    shown = str(path)
    with locked_ledger(path, require_header=False) as locked:
        fd = locked.fd
        size = os.fstat(fd).st_size
        if size == 0:
            return None
        header_ends = _check_header(fd, size, convention_id, shown)
        state = scan(fd, shown)
        if header_ends is None:  # the header, whole, lacks only its newline
            _append_newline(fd, shown)
            return _("{path}:1: kept the header line, which lacked only its final newline; the newline was "
                     "added").format(path=shown)
        whole = None
        if state.torn is not None and header_ends and state.version == FORMAT_VERSION:
            whole = _whole_line(fd, state.torn[1], size - state.torn[1], state.torn[0])
        if state.torn_block is not None:
            return _mend_block(path, fd, state, whole, now)
        if state.torn is None:
            return None
        lineno, offset = state.torn
        if whole is not None and whole[1] <= 1:
            _append_newline(fd, shown)
            return _("{path}:{line}: kept the last line, a complete {kind} ({id}) that lacked only its final "
                     "newline; the newline was added").format(path=shown, line=lineno, kind=whole[0].kind,
                                                              id=whole[0].id)
        moved = size - offset
        side = _move_aside(path, fd, offset, size, now)
        return ngettext("{path}:{line}: moved the incomplete last line ({count} bytes) to {side}",
                        "{path}:{line}: moved the incomplete last line ({count} bytes) to {side}", moved).format(
            path=shown, line=lineno, count=moved, side=side)


def _check_header(fd: int, size: int, convention_id: str, shown: str) -> bool | None:
    """Refuse a file whose first line is not this convention's header (or the start of one a
    crash cut short); return whether the header ends with its newline, None when it is
    whole but lacks only that."""
    head = os.pread(fd, _HEADER_PROBE, 0)
    end = head.find(b"\n")
    first = head[:end] if end >= 0 else head if len(head) == size else b"\n"
    first = first.removeprefix(BOM)
    whole_header = _header_of(first) == convention_id
    torn_header = end < 0 and first.startswith(HEADER_PREFIX.encode("ascii")) and any(
        header_line(convention_id, version).encode("utf-8").startswith(first) for version in READ_VERSIONS)
    if not whole_header and not torn_header:
        raise _not_this_ledger(first, convention_id, shown)
    if end < 0 and whole_header:
        return None
    return end >= 0


def _mend_block(path: Path, fd: int, state: LedgerFile, whole: tuple[Entry, int] | None, now: dt.datetime) -> str:
    """The file ends inside its last block: keep a last line that its checksum proves whole
    and that completes the block (adding its newline), else move the whole block aside."""
    shown = str(path)
    assert state.torn_block is not None
    line, count, found = state.torn_block
    if whole is not None and whole[1] == 0 and found + 1 == count:
        _append_newline(fd, shown)
        return _("{path}:{line}: kept the last line, a complete {kind} ({id}) that lacked only its final "
                 "newline and completes its block; the newline was added").format(
            path=shown, line=state.torn[0] if state.torn else line, kind=whole[0].kind, id=whole[0].id)
    size = state.size
    offset = _offset_of_line(fd, line, size)
    lines = found + (1 if state.torn is not None else 0)
    side = _move_aside(path, fd, offset, size, now)
    return ngettext("{path}:{line}: moved the interrupted block ({count} line of the {announced} it "
                    "announces, {bytes} bytes) to {side}; none of its entries counts",
                    "{path}:{line}: moved the interrupted block ({count} lines of the {announced} it "
                    "announces, {bytes} bytes) to {side}; none of its entries counts", lines).format(
        path=shown, line=line, count=lines, announced=count, bytes=size - offset, side=side)


def _offset_of_line(fd: int, line: int, size: int) -> int:
    """The byte offset at which line ``line`` (1-based) of the file starts."""
    offset = 0
    left = line - 1
    for chunk in fd_blocks(fd, size):
        newlines = chunk.count(b"\n")
        if newlines < left:
            left -= newlines
            offset += len(chunk)
            continue
        at = -1
        for __ in range(left):
            at = chunk.index(b"\n", at + 1)
        return offset + at + 1
    return size


def upgraded_lines(lines: Iterable[str], convention_id: str) -> Iterator[str]:
    """A version 1 ledger's lines (without their newlines) as version 2 writes them, line for
    line: the header names version 2, each entry is written canonically with its checksum
    (:func:`sealed_line`), comments and blank lines stay as they are.  Raises
    :class:`LineError` on a line that does not read."""
    for lineno, text in enumerate(lines, 1):
        if lineno == 1:
            yield header_line(convention_id)
        elif not text or text[0] == "#" or text.isspace():
            yield text
        else:
            yield sealed_line(format_entry(parse_line(text, lineno)))


def migrate(locked: LockedLedger, convention_id: str, now: dt.datetime, *, dry_run: bool) -> tuple[int, Path | None]:
    """Rewrite the version 1 ledger held by ``locked`` in version 2, line for line (its line
    numbers, entries and seals unchanged: seals hash the entries' canonical text, never the
    checksums); return the entry lines written and where the version 1 file was kept.

    The new file is written beside the ledger (created exclusively, fsynced), read back and
    compared entry by entry with the old one, then renamed over it; the old file stays as
    ``<ledger>.v1-YYYYMMDDTHHMMSS``.  With ``dry_run`` the comparison is made and nothing is
    kept.  The caller has checked the ledger has no error."""
    import tempfile  # only migrate and the whole-file writers need it

    path, fd = locked.path, locked.fd
    size = os.fstat(fd).st_size
    out, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        os.fchmod(out, os.fstat(fd).st_mode & 0o777)
        count = 0
        pending: list[str] = []
        for line in upgraded_lines(_text_lines(fd, size), convention_id):
            count += "crc=" in line[-13:]
            pending.append(line)
            if len(pending) >= 10_000:
                _write_all(out, "".join(f"{t}\n" for t in pending).encode("utf-8"))
                pending.clear()
        _write_all(out, "".join(f"{t}\n" for t in pending).encode("utf-8"))
        os.fsync(out)
        _same_entries(fd, size, out, str(path))
        if dry_run:
            return count, None
        backup = _free_name(path, f"{path.name}.v1-{now.strftime('%Y%m%dT%H%M%S')}")
        os.link(path, backup)
        os.replace(temporary, path)
        fsync_dir(path.parent)
        locked.appended = True
        return count, backup
    finally:
        os.close(out)
        with contextlib.suppress(OSError):
            temporary.unlink()


def _text_lines(fd: int, size: int) -> Iterator[str]:
    """The lines of a ledger that reads without error (no line is torn), without newlines."""
    carry = b""
    for chunk in fd_blocks(fd, size):
        block = carry + chunk
        cut = block.rfind(b"\n") + 1
        carry = block[cut:]
        yield from block[:cut - 1].decode("utf-8").split("\n") if cut else ()


def _same_entries(fd: int, size: int, out: int, shown: str) -> None:
    """Refuse (and write nothing) unless the file on ``out`` reads without a problem and gives
    exactly the entries of the one on ``fd``, line for line."""
    old, new = LedgerReader(fd, shown), LedgerReader(out, shown)
    for before, after in itertools.zip_longest(old, new):
        if before != after:  # pragma: no cover - upgraded_lines writes each entry as it reads it
            line = before.line if before is not None else after.line if after is not None else 0
            raise fail(_("line {line} would not read back the same; nothing was changed").format(line=line),
                       code="migrate-failed", path=shown, exit_code=ExitCode.PROBLEMS)
    if new.info.problems or new.info.lines != old.info.lines:  # pragma: no cover - as above
        raise fail(_("the converted ledger would not read back the same; nothing was changed"),
                   code="migrate-failed", path=shown, exit_code=ExitCode.PROBLEMS)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _free_name(path: Path, stem: str) -> Path:
    """``stem`` beside ``path``, or ``stem-2``, ``stem-3``... when it is taken."""
    candidate = path.with_name(stem)
    attempt = 2
    while os.path.lexists(candidate):
        candidate = path.with_name(f"{stem}-{attempt}")
        attempt += 1
    return candidate


_HEADER_PROBE = 4096
"""Bytes read to find the first line: a header is far shorter."""


def _header_of(first: bytes) -> str | None:
    """The convention id named by a first line (bytes, without its newline) that is a header
    this version reads, as the reader takes it; else None."""
    try:
        text = first.decode("utf-8").removesuffix("\r")
    except UnicodeDecodeError:
        return None
    if not text.startswith(HEADER_PREFIX):
        return None
    version, __, rest = text[len(HEADER_PREFIX):].partition(" ")
    if version not in {str(v) for v in READ_VERSIONS} or not rest.startswith("convention="):
        return None
    return rest[len("convention="):].strip()


def _not_this_ledger(first: bytes, convention_id: str, shown: str) -> DelegationError:
    expected = header_line(convention_id)
    other = _header_of(first)
    if other is not None:
        why = _("not a ledger of convention {convention}: its header names convention {other}").format(
            convention=convention_id, other=repr(other))
    else:
        why = _("not a ledger: the first line is not the header")
    return fail(_("{why} ({expected} expected); --repair changes nothing in it").format(
                why=why, expected=repr(expected)), code="repair-refused",
                path=shown, line=1, exit_code=ExitCode.PROBLEMS)


def _whole_line(fd: int, offset: int, length: int, lineno: int) -> tuple[Entry, int] | None:
    """The last line of a version 2 ledger (from ``offset``, without a newline) with the size
    of the block it opens, if its checksum proves it whole and it reads as an entry."""
    if length > MAX_SEAL_LINE + 64:
        return None
    try:
        text = os.pread(fd, length, offset).decode("utf-8")
    except UnicodeDecodeError:
        return None
    body, opens, why = split_suffix(text)
    if why is not None or raw_forbidden(body) is not None:
        return None
    try:
        return parse_line(body, lineno), opens
    except LineError:
        return None


def _append_newline(fd: int, shown: str) -> None:
    """Append the missing final newline (the file is open in append mode), then fsync."""
    before = os.fstat(fd).st_size
    try:
        while os.write(fd, b"\n") != 1:
            pass
        os.fsync(fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, before)
        raise fail(_("cannot write: {reason}; the ledger was left as it was").format(reason=exc.strerror),
                   code="write-failed", path=shown, exit_code=ExitCode.WRITE_FAILED) from None


def _move_aside(path: Path, fd: int, offset: int, size: int, now: dt.datetime) -> Path:
    """Copy the bytes from ``offset`` to a new side file (fsynced), then cut the ledger there."""
    stem = f"{path.name}.torn-{now.strftime('%Y%m%dT%H%M%S')}"
    side = path.with_name(stem)
    for attempt in range(2, 1000):  # two repairs within a second each get their own side file
        try:
            out = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            break
        except FileExistsError:
            side = path.with_name(f"{stem}-{attempt}")
    else:  # pragma: no cover - a thousand side files in one second
        raise fail(_("cannot write: {reason}").format(reason=os.strerror(17)), code="write-failed",
                   path=str(side), exit_code=ExitCode.WRITE_FAILED)
    try:
        at = offset
        while at < size:
            chunk = os.pread(fd, min(BLOCK, size - at), at)
            if not chunk:
                break
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view):]
            at += len(chunk)
        os.fsync(out)
    finally:
        os.close(out)
    fsync_dir(path.parent)
    os.ftruncate(fd, offset)
    os.fsync(fd)
    return side
