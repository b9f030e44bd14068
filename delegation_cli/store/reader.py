"""Reading a ledger: one streaming pass a block at a time, under a shared lock.

:class:`LedgerReader` streams a file's entries and collects its problems (unreadable lines,
a missing header, a line without its checksum, a torn last line or block) with their line
numbers; canonical lines take one regular expression each.  Every read is bounded: a line is
refused at its limit without being held whole, runs of blank lines or NUL bytes are skipped
in linear time."""


import contextlib
import contextvars
import fcntl
import gc
import itertools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..core.entries import (
    Entry,
)
from ..core.errors import Problem, Severity, raw_forbidden
from ..core.i18n import _, ngettext
from ..core.lines import (
    HEADER_PREFIX,
    MAX_LINE,
    MAX_SEAL_LINE,
    READ_VERSIONS,
    LineError,
    header_line,
    parse_canonical_line,
    parse_line_fully,
    split_suffix,
)
from .files import PROBE_FLAGS, require_ledger_file, unopenable

# --------------------------------------------------------------------------------------
# Reading: one streaming pass
# --------------------------------------------------------------------------------------


@dataclass
class LedgerFile:
    """What reading a ledger file found, besides its entries.

    Attributes:
        path: the file as named by the user.
        entries: the entries that parse, in file order, when a caller keeps them
            (:class:`LedgerReader` streams them).
        problems: unreadable lines, header problems, a torn last line or block.
        exists: False when the file does not exist yet (an empty ledger).
        convention_id: the convention named in the header, if any.
        torn: (line number, byte offset where it starts) of a torn last line, if any.
        torn_block: (line number where it starts, lines it announces, lines found) of a
            last block the file ends before completing, if any.
        size: the bytes read (the file's size when the read began).
        has_header: whether the first line is a ledger header.
        version: the format version its header names (None: no header this version reads).
        lines: complete lines read (each ends with a newline).
        stopped: the line at which reading stopped after :data:`MAX_PROBLEMS` problems.
    """

    path: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    exists: bool = True
    convention_id: str | None = None
    torn: tuple[int, int] | None = None
    torn_block: tuple[int, int, int] | None = None
    size: int = 0
    has_header: bool = False
    version: int | None = None
    lines: int = 0
    stopped: int | None = None


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects (entries and
    per-commitment states): its repeated full passes over a growing heap cost ~20 % at a
    million entries."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


BLOCK = 1 << 22
"""Bytes read (and decoded) at a time: the file is never held whole, as bytes or text."""
MAX_PROBLEMS = 1_000
"""Unreadable lines after which a reader stops: a file with so many is not a ledger (a file
of NUL bytes, a binary named by mistake), and reading on would only pile up messages."""
_MAX_RAW_LINE = MAX_SEAL_LINE * 4 + 1
"""Bytes beyond which a line is refused without being read whole (UTF-8 takes at most 4
bytes a character)."""
_SPARSE = b"\n\n\n\n"
"""Four line feeds in a row: a block with them is read by its non-blank lines only (a ledger
of blank lines is read at the speed of a byte search)."""
_NONBLANK = re.compile(r"[^\n]+")


BOM = b"\xef\xbb\xbf"

Progress = Callable[[int, int, str, str], None]
"""Told (done, total, what, unit) as long work goes on: bytes of a ledger read, rows of an import."""
PROGRESS: contextvars.ContextVar[Progress | None] = contextvars.ContextVar("progress", default=None)
"""Where the command line shows progress (a bar on a terminal); None: nowhere.  Readers call
it once per block of about 4 MB, so it costs nothing on small files."""


def fd_blocks(fd: int, limit: int, size: int | None = None) -> Iterator[bytes]:
    """The bytes of ``fd`` up to ``limit`` (its size when the read began: what a concurrent
    writer appends meanwhile is not read), a block at a time."""
    size = size or BLOCK
    offset = 0
    while offset < limit:
        chunk = os.pread(fd, min(size, limit - offset), offset)
        if not chunk:
            return
        offset += len(chunk)
        yield chunk


_SEAL_LINE = re.compile(rb"(?m)^\d{4}-\d\d-\d\d seal ")
_TARGET = re.compile(rb"(?m)^\d{4}-\d\d-\d\d (?:cancel|service-fait) [^\n]*? (?:entry|payment)="
                     rb"([A-Za-z0-9][A-Za-z0-9._/:+-]{0,63})")


def _nonblank_lines(text: str, start_lineno: int) -> Iterator[tuple[int, str]]:
    """(line number, text) of the lines of ``text`` that are not blank, the first being line
    ``start_lineno + 1``: a file of blank lines is walked at the speed of a search."""
    at = 0
    lineno = start_lineno + 1
    for match in _NONBLANK.finditer(text):
        lineno += text.count("\n", at, match.start())
        at = match.start()
        yield lineno, match.group()


def _split_lines(body: bytes, start_lineno: int) -> Iterator[tuple[int, str | bytes]]:
    """(line number, text) of the complete lines ``body`` holds (their newlines taken off),
    the first being line ``start_lineno + 1``; bytes for every line of a piece that is not
    UTF-8; blank lines left out where they abound."""
    try:
        text: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and _SPARSE in body:
        yield from _nonblank_lines(text, start_lineno)
        return
    texts: list[str] | list[bytes] = text.split("\n") if text is not None else body.split(b"\n")
    del text
    yield from zip(itertools.count(start_lineno + 1), texts)


class LedgerReader:
    """The entries of a ledger, streamed in file order from an open descriptor (None: no
    file, an empty ledger), a block of about 4 MB at a time, up to the size the file had
    when the reader was made (or ``limit`` bytes, when fewer); the command line's progress bar
    is told how it goes, unless ``progress`` is False.

    Iterating yields each entry that parses; everything else — a byte-order mark, a missing
    or unsupported header, CR LF endings, invalid UTF-8, raw control characters, a line
    that breaks the grammar or (version 2) whose checksum is missing or wrong, a line too
    long to be one, a torn last line, a last block the file ends inside — is appended to
    ``info.problems`` with its line and column.  Right after an entry is yielded, ``text``
    is its line (without its checksum) when that line is canonical (exactly as
    :func:`format_entry` writes it), else None: a seal's digest can then hash it without
    formatting the entry again.  Reading stops after :data:`MAX_PROBLEMS` problems.
    """

    def __init__(self, fd: int | None, shown: str, limit: int | None = None, *, progress: bool = True):
        self.info = LedgerFile(shown, exists=fd is not None)
        self.text: str | None = None
        self._fd = fd
        self._progress = PROGRESS.get() if progress else None
        self._total = os.fstat(fd).st_size if fd is not None else 0
        if limit is not None:  # what an earlier read of the same file read, and no more
            self._total = min(self._total, limit)
        self._block_left = 0
        self._block_start = (0, 0)

    def _blocks(self) -> Iterator[bytes]:
        return fd_blocks(self._fd, self._total) if self._fd is not None else iter(())

    def look_ahead(self) -> tuple[int, frozenset[str]]:
        """What a replay needs to know before it starts (a fast scan of the file's bytes, no
        parsing): how many lines look like seals — a reader of seals keeps the entries they
        cover only while seals lie ahead — and the ids named by lines that look like a
        cancellation or a service fait — the replay keeps those entries as it meets them."""
        count = 0
        targets: set[str] = set()
        carry = b""
        for chunk in self._blocks():
            block = carry + chunk
            cut = block.rfind(b"\n") + 1
            if b" seal " in block[:cut]:
                count += len(_SEAL_LINE.findall(block, 0, cut))
            if b" cancel " in block[:cut] or b" service-fait " in block[:cut]:
                targets.update(ident.decode("ascii") for ident in _TARGET.findall(block, 0, cut))
            carry = block[cut:]
            if len(carry) > _MAX_RAW_LINE:
                carry = b""
        return count, frozenset(targets)

    def _lines(self) -> Iterator[tuple[int, str | bytes]]:
        """(line number, text) of every complete line after nothing but the header was
        checked, in order; blank lines may be left out.  Bytes when a line is not UTF-8.
        Sets ``info.size``, ``info.lines`` and, for a last line without its newline,
        ``info.torn``; a line longer than :data:`_MAX_RAW_LINE` bytes is reported and
        skipped without ever being held whole."""
        info = self.info
        shown = info.path
        lineno = 0
        carry = b""
        first = True
        skipping = False  # inside a line too long to hold, until its newline
        skipped_from = 0
        consumed = 0  # bytes before the current chunk
        for chunk in self._blocks():
            info.size += len(chunk)
            if self._progress is not None:
                self._progress(info.size, self._total, shown, "bytes")
            if skipping:  # inside a line too long to hold: on to its newline
                newline = chunk.find(b"\n")
                if newline < 0:
                    consumed += len(chunk)
                    continue
                consumed += newline + 1
                chunk, skipping = chunk[newline + 1:], False
            block = carry + chunk if carry else chunk
            cut = block.rfind(b"\n") + 1
            if not cut:
                if len(block) > _MAX_RAW_LINE:
                    lineno += 1
                    skipped_from = consumed - len(carry)
                    self._overlong(lineno)
                    skipping, carry = True, b""
                    consumed += len(chunk)
                    continue
                carry = block
                consumed += len(chunk)
                continue
            if first:
                first = False
                if block.startswith(BOM):
                    self._bom()
                    block, cut = block[3:], cut - 3
            consumed += len(chunk)
            carry = block[cut:]
            body = block[:cut - 1]
            del block
            yield from _split_lines(body, lineno)
            lineno += body.count(b"\n") + 1
            del body
        info.lines = lineno
        if first and carry.startswith(BOM):
            self._bom()
            carry = carry[3:]
        if skipping:
            info.torn = (lineno, skipped_from)
        elif carry:
            self._unterminated(lineno + 1, carry)

    def _unterminated(self, lineno: int, carry: bytes) -> None:
        """The file ends with ``carry``, a line without its newline: torn by an interrupted
        write — or, alone in the file and no header, not a ledger at all."""
        info = self.info
        prefix = HEADER_PREFIX.encode("ascii")
        if lineno == 1 and not (carry.startswith(prefix) or prefix.startswith(carry)):
            self._header("")  # one line, without a newline, that is no header: not a ledger
            return
        info.torn = (lineno, info.size - len(carry))
        info.problems.append(Problem(
            info.path, lineno, 1, Severity.ERROR, "ledger-torn-line",
            ngettext("the last line is incomplete (no newline: a write was interrupted); run `delegation "
                     "check --repair` to move its {count} bytes to a side file",
                     "the last line is incomplete (no newline: a write was interrupted); run `delegation "
                     "check --repair` to move its {count} bytes to a side file", len(carry)).format(
                count=len(carry))))

    def _overlong(self, lineno: int) -> None:
        self.info.problems.append(Problem(
            self.info.path, lineno, 1, Severity.ERROR, "ledger-line-too-long",
            _("line is longer than {max} bytes: not a ledger line (it was not read whole)").format(
                max=_MAX_RAW_LINE)))

    def __iter__(self) -> Iterator[Entry]:
        info = self.info
        shown = info.path
        problems = info.problems
        fast_parse = parse_canonical_line
        split = split_suffix
        v2 = False
        header = False
        for lineno, raw in self._lines():
            if len(problems) >= MAX_PROBLEMS:
                self._stop(lineno)
                return
            if not header and lineno != 1:  # the first line was blank, or too long to read
                self._header("")
                return
            if isinstance(raw, bytes):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    problems.append(Problem(shown, lineno, exc.start + 1, Severity.ERROR, "ledger-encoding",
                                            _("invalid UTF-8 byte 0x{byte} (expected UTF-8 text)").format(
                                                byte=f"{raw[exc.start]:02x}")))
                    continue
            else:
                text = raw
            if lineno == 1:
                if text.endswith("\r"):
                    problems.append(Problem(shown, 1, len(text.encode("utf-8")), Severity.ERROR, "ledger-crlf",
                                            _("line ends with CR LF (expected LF line endings)")))
                    text = text[:-1]
                if not self._header(text):
                    return
                header = True
                v2 = info.version == 2
                continue
            if v2:
                body, opens, why = split(text) if text and text[0] != "#" and text[-1] != "\r" else ("", 1, "")
                if not opens and why is None:  # the common case: its checksum matches, it opens no block
                    if self._block_left > 0:
                        self._block_left -= 1
                    text = body
                else:
                    checked = self._checked(text, lineno)
                    if checked is None:
                        continue
                    text = checked
            if len(text) <= MAX_LINE:  # a canonical line is printable by construction
                entry = fast_parse(text, lineno)
                if entry is not None:
                    self.text = text
                    yield entry
                    continue
            entry = self._slow(text, lineno)
            if entry is not None:
                self.text = None
                yield entry
        if self._block_left > 0:
            self._torn_block()

    def _checked(self, text: str, lineno: int) -> str | None:
        """A version 2 line's entry text, its checksum and block marker taken off (a wrong or
        missing checksum reported); None for a comment or a blank line (no checksum)."""
        problems = self.info.problems
        if text.endswith("\r"):
            problems.append(Problem(self.info.path, lineno, len(text.encode("utf-8")), Severity.ERROR,
                                    "ledger-crlf", _("line ends with CR LF (expected LF line endings)")))
            text = text[:-1]
        if not text or text[0] == "#":
            self._slow(text, lineno)
            return None
        whole = len(text)
        text, opens, why = split_suffix(text)
        self._count_block(lineno, opens)
        if why is not None and raw_forbidden(text) is None:  # else the raw character is the news
            problems.append(Problem(self.info.path, lineno, whole - 11 if len(text) < whole else None,
                                    Severity.ERROR, "ledger-checksum", why))
        return text

    def _torn_block(self) -> None:
        """The file ends inside its last block: reported on the block's first line, before a
        torn last line if there is one."""
        info, problems = self.info, self.info.problems
        line, count = self._block_start
        found = count - self._block_left
        info.torn_block = (line, count, found)
        at = len(problems) - 1 if info.torn is not None and problems and problems[-1].code == "ledger-torn-line" \
            else len(problems)
        problems.insert(at, Problem(
            info.path, line, None, Severity.ERROR, "ledger-torn-block",
            ngettext("the block of {count} lines written together from this line ends after {found} line "
                     "(a write was interrupted, none of it counts); run `delegation check --repair` to move "
                     "the block to a side file",
                     "the block of {count} lines written together from this line ends after {found} lines "
                     "(a write was interrupted, none of it counts); run `delegation check --repair` to move "
                     "the block to a side file", found).format(count=count, found=found)))

    def _count_block(self, lineno: int, opens: int) -> None:
        """Follow the blocks of a version 2 file: a line opening a block of N announces N - 1
        more lines; one opening a block inside another is an error."""
        if opens:
            if self._block_left > 0:
                self.info.problems.append(Problem(
                    self.info.path, lineno, None, Severity.ERROR, "ledger-block",
                    _("a block starts here inside the block of {count} lines that starts on line {line}").format(
                        count=self._block_start[1], line=self._block_start[0])))
            self._block_left = opens - 1
            self._block_start = (lineno, opens)
        elif self._block_left > 0:
            self._block_left -= 1

    def _stop(self, lineno: int) -> None:
        self.info.stopped = lineno
        self.info.problems.append(Problem(
            self.info.path, lineno, None, Severity.ERROR, "ledger-too-many-problems",
            _("{count} problems found: reading stopped here (a file with so many is not a ledger; is it the "
              "right file?)").format(count=MAX_PROBLEMS)))

    def _bom(self) -> None:
        self.info.problems.append(Problem(self.info.path, 1, 1, Severity.ERROR, "ledger-bom",
                                          _("the file starts with a byte-order mark (expected plain UTF-8 without "
                                            "BOM)")))

    def _header(self, text: str) -> bool:
        """Read the first line; False when the file is not a ledger this version reads."""
        info = self.info
        if text.startswith(HEADER_PREFIX):
            version, __, rest = text[len(HEADER_PREFIX):].partition(" ")
            if version not in {str(v) for v in READ_VERSIONS}:
                info.problems.append(Problem(
                    info.path, 1, len(HEADER_PREFIX) + 1, Severity.ERROR, "ledger-version",
                    _("ledger format version {version} is not supported (expected one of: {expected})").format(
                        version=repr(version), expected=", ".join(map(str, READ_VERSIONS)))))
                return False
            info.has_header = True
            info.version = int(version)
            if rest.startswith("convention="):
                info.convention_id = rest[len("convention="):].strip()
            return True
        info.problems.append(Problem(
            info.path, 1, 1, Severity.ERROR, "ledger-header",
            _("not a ledger: the first line is not the header ({header} expected)").format(
                header=repr(header_line("<id>")))))
        return False

    def _slow(self, text: str, lineno: int) -> Entry | None:
        """A line the one-regex path did not take: a comment, a blank line, an entry written
        otherwise than canonically, or an error."""
        shown, problems = self.info.path, self.info.problems
        if text.endswith("\r"):
            problems.append(Problem(shown, lineno, len(text.encode("utf-8")), Severity.ERROR,
                                    "ledger-crlf", _("line ends with CR LF (expected LF line endings)")))
            text = text[:-1]
        if not text or text[0] == "#" or text.isspace():
            return None
        bad = raw_forbidden(text)
        if bad is not None:
            problems.append(Problem(shown, lineno, bad + 1, Severity.ERROR, "ledger-control",
                                    _("raw control or format character U+{code} (expected it escaped inside a "
                                      "label)").format(code=f"{ord(text[bad]):04X}")))
            return None
        try:
            return parse_line_fully(text, lineno)
        except LineError as exc:
            problems.append(Problem(shown, lineno, exc.column, Severity.ERROR, "ledger-syntax", str(exc)))
            return None


def scan(fd: int | None, shown: str) -> LedgerFile:
    """Read a ledger through, keeping no entry: what :class:`LedgerReader` found."""
    reader = LedgerReader(fd, shown)
    for __ in reader:
        pass
    return reader.info


def let_go(fd: int | None) -> None:
    """Release the shared lock :func:`opened_for_reading` took, the descriptor kept open."""
    if fd is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def opened_for_reading(path: Path) -> Iterator[int | None]:
    """An open descriptor on a ledger to read, under a shared lock, None if it does not exist.

    Nothing is read before the file is known to be a ledger file (:func:`require_ledger_file`):
    it is opened without blocking, so that a named pipe opens at once, and refused (exit 2)
    unless it is a regular file of at most :data:`MAX_LEDGER_BYTES`.  The shared lock waits
    for a writer (``commit``, ``import``, ``close``, ``check --repair``, ``migrate``) to finish,
    so that a reader never sees half of what it appends or cuts; readers do not wait for
    each other.  Where the file system has no locks, the reader still reads only up to the
    size the file had when it began (:class:`LedgerReader`)."""
    shown = str(path)
    try:
        fd = os.open(path, PROBE_FLAGS)
    except FileNotFoundError:
        yield None
        return
    except OSError as exc:
        raise unopenable(path, exc) from None
    try:
        require_ledger_file(fd, shown)
        with contextlib.suppress(OSError):  # no locks on this file system: read up to the size at the start
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield fd
    finally:
        os.close(fd)
