"""Reading a small UTF-8 text file (a convention, a CSV file to import), or one clear error.

This module owns the checks every such file goes through before and while it is read: a
regular file (a FIFO, a device, a directory or a socket is refused at once), at most a given
size (whatever size the file reports), no NUL byte (binary data), UTF-8 throughout (else the
line and column where it stops being so); each raises :class:`DelegationError` (exit 2).
A ledger has its own read path (``reader``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import fail, not_a_file
from ..core.i18n import _
from .files import PROBE_FLAGS, unopenable

_CHUNK = 1 << 20


def read_text(path: Path, *, max_bytes: int, what: str) -> str:
    """Read a small UTF-8 text file, or raise a one-line error (exit 2): :func:`text_lines`
    joined."""
    return "".join(text_lines(path, max_bytes=max_bytes, what=what))


def read_bytes(path: Path, *, max_bytes: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (else exit 2, saying why)."""
    return b"".join(_regular_chunks(path, max_bytes=max_bytes, what=what))


def text_lines(path: Path, *, max_bytes: int, what: str) -> Iterator[str]:
    """The lines of a UTF-8 text file (each with its line feed, the last one perhaps without),
    read a megabyte at a time — never the whole file at once — or a one-line error (exit 2)
    raised when the reading reaches it: a NUL byte (binary data), a byte that is not UTF-8
    (with its line and column), more than ``max_bytes``.

    The file is checked before anything is read: opened without blocking (a named pipe
    then opens at once), it must be a regular file — a FIFO, a device (``/dev/zero``), a
    directory or a socket is refused at once.  At most ``max_bytes`` are read, whatever
    size the file reports (a ``/proc`` file reports 0).  A byte-order mark is dropped."""
    shown = str(path)
    carry = b""
    line = 1  # the number of the first line of ``carry``
    first = True
    for chunk in _regular_chunks(path, max_bytes=max_bytes, what=what):
        if first:
            first = False
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        if not cut:
            carry = data
            continue
        yield from _split_lines(_decoded(data[:cut], line, shown, what))
        line += data.count(b"\n", 0, cut)
        carry = data[cut:]
    if carry:
        yield _decoded(carry, line, shown, what)


def _split_lines(text: str) -> list[str]:
    """``text`` (ending with a line feed) in lines that keep their line feed; only LF splits
    (a CR, U+2028 or a form feed inside a quoted CSV cell stays in its line)."""
    return [f"{part}\n" for part in text[:-1].split("\n")]


def _decoded(data: bytes, line: int, shown: str, what: str) -> str:
    """``data`` (starting at line ``line``) as text, or the error naming where it stops being
    UTF-8 text."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise fail(_("contains a NUL byte: binary data (expected a {what} in UTF-8 text)").format(what=what),
                   code="file-binary", path=shown, line=line + data.count(b"\n", 0, nul))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = line + data.count(b"\n", 0, exc.start)
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(_("invalid UTF-8 byte 0x{byte} (expected a {what} in UTF-8 text)").format(
                       byte=f"{data[exc.start]:02x}", what=what),
                   code="file-encoding", path=shown, line=at, column=col) from None


def _regular_chunks(path: Path, *, max_bytes: int, what: str) -> Iterator[bytes]:
    """The bytes of a regular file, a megabyte at a time, at most ``max_bytes`` of them (else
    exit 2)."""
    shown = str(path)
    try:
        fd = os.open(path, PROBE_FLAGS)
    except FileNotFoundError:
        raise fail(_("no such file (expected a {what})").format(what=what), code="file-missing", path=shown) from None
    except OSError as exc:  # a socket cannot be opened (ENXIO): say what it is
        raise unopenable(path, exc, what) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_a_file(st.st_mode, shown, what)
        os.set_blocking(fd, True)
        if st.st_size > max_bytes:
            raise fail(_("file is {size} bytes, too large for a {what} (at most {max_bytes})").format(
                           size=st.st_size, what=what, max_bytes=max_bytes),
                       code="file-too-large", path=shown)
        total = 0
        while total <= max_bytes:  # the limit holds while reading: st_size may be 0 (/proc) or stale
            try:
                chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            except OSError as exc:
                raise fail(_("cannot read: {reason}").format(reason=exc.strerror), code="file-unreadable",
                           path=shown) from None
            if not chunk:
                return
            total += len(chunk)
            if total > max_bytes:
                break
            yield chunk
        raise fail(_("file is more than {max_bytes} bytes, too large for a {what} (at most {max_bytes})").format(
                       what=what, max_bytes=max_bytes),
                   code="file-too-large", path=shown)
    finally:
        os.close(fd)
