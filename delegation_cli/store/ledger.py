"""Writing a ledger: the only way to append, and the one way to replace a whole file.

* :func:`locked_ledger` holds an exclusive lock while the caller re-reads, checks and
  appends; each append is one ``write`` of complete lines followed by ``fsync``; a failed
  write is rolled back to the previous size;
* :func:`write_atomically` replaces a whole file (exports) through a temporary file created
  exclusively, never following a link.

Reading is ``reader.py``'s, the line format ``core/lines.py``'s, what a crash leaves and the
version upgrade ``repair.py``'s."""


import contextlib
import fcntl
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..core.errors import DelegationError, ExitCode, Problem, Severity, fail
from ..core.i18n import _
from ..core.lines import FORMAT_VERSION, HEADER_PREFIX, file_lines, header_line
from .files import WRITE_FLAGS, refuse_special, require_ledger_file
from .reader import BOM, opened_for_reading

# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


class LockedLedger:
    """A ledger file held under an exclusive lock (see :func:`locked_ledger`)."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self.fd = fd
        self.appended = False

    def append(self, bodies: list[str], *, header: str | None = None) -> None:
        """Append entry lines (as :func:`format_entry` writes them) in one write, each with
        its checksum, several as one block (:func:`file_lines`), then fsync; roll back on
        failure.  ``header`` starts a new file; an existing one must be of the current
        format version (a version 1 ledger is migrated first)."""
        if header is None:
            _require_current_version(self.fd, str(self.path))
        text = "".join(f"{line}\n" for line in ([header] if header else []) + file_lines(bodies))
        data = text.encode("utf-8")
        before = os.fstat(self.fd).st_size
        try:
            view = memoryview(data)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
            os.fsync(self.fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, before)
                os.fsync(self.fd)
            raise fail(_("cannot write: {reason}; the ledger was left as it was").format(reason=exc.strerror),
                       code="write-failed", path=str(self.path),
                       exit_code=ExitCode.WRITE_FAILED) from None
        self.appended = True


def _open_locked(path: Path) -> tuple[int, bool]:
    """Open (creating if needed) and lock ``path``; retry if it was replaced meanwhile.

    An existing path that is not a ledger file (a FIFO, a device, a directory, a socket, a
    pseudo-file, a file above :data:`MAX_LEDGER_BYTES`) is refused (exit 2) before it is
    opened for writing, and what was opened is checked again (it may have been replaced)."""
    while True:
        created = False
        refuse_special(path)
        try:
            fd = os.open(path, WRITE_FLAGS | os.O_CREAT | os.O_EXCL, 0o644)
            created = True
        except FileExistsError:
            fd = os.open(path, WRITE_FLAGS)
        try:
            require_ledger_file(fd, str(path))
            fcntl.flock(fd, fcntl.LOCK_EX)
            st = os.fstat(fd)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                os.close(fd)
                continue
            if (st.st_ino, st.st_dev) != (current.st_ino, current.st_dev):
                os.close(fd)
                continue
        except BaseException:
            os.close(fd)
            raise
        return fd, created


@contextlib.contextmanager
def locked_ledger(path: Path, *, require_header: bool = True) -> Iterator[LockedLedger]:
    """Hold the ledger under an exclusive lock while the caller reads, checks, appends.

    The file (and its folder) is created if missing; if the caller appends nothing, what
    was created is removed again, so a refused command leaves no trace.  A path that is
    not a regular file is refused before anything is read or written (exit 2), and so is
    an existing non-empty file whose first line is not a ledger header (exit 1; unless
    ``require_header`` is False, for :func:`repair`, which checks the header itself).  An
    existing empty file is taken as a new ledger: the caller writes the header first.
    """
    created_dirs: list[Path] = []
    parent = path.parent
    while not parent.exists():
        created_dirs.append(parent)
        parent = parent.parent
    try:
        for folder in reversed(created_dirs):
            folder.mkdir()
        fd, created = _open_locked(path)
    except OSError as exc:
        _remove_dirs(created_dirs)
        raise fail(_("cannot open for writing: {reason}").format(reason=exc.strerror), code="write-failed",
                   path=str(path), exit_code=ExitCode.WRITE_FAILED) from None
    except DelegationError:
        _remove_dirs(created_dirs)
        raise
    if require_header and not created:
        try:
            _require_header(fd, str(path))
        except BaseException:
            os.close(fd)
            raise
    locked = LockedLedger(path, fd)
    try:
        yield locked
    finally:
        if created and not locked.appended:
            with contextlib.suppress(OSError):
                os.unlink(path)
        if created and locked.appended:
            fsync_dir(path.parent)
        os.close(fd)  # releases the lock
        if not locked.appended:
            _remove_dirs(created_dirs)


def _require_header(fd: int, shown: str) -> None:
    """Refuse (exit 1) to append to a non-empty file that does not start with a ledger
    header (after a byte-order mark, which the reader names): a mistyped ``--ledger`` never
    damages another file.  Only the first bytes are read."""
    head = os.pread(fd, len(BOM) + len(HEADER_PREFIX), 0).removeprefix(BOM)
    prefix = HEADER_PREFIX.encode("ascii")
    if head.startswith(prefix) or prefix.startswith(head):  # a header, or one torn (the reader says so)
        return
    raise DelegationError([
        Problem(shown, 1, 1, Severity.ERROR, "ledger-header",
                _("not a ledger: the first line is not the header ({header} expected)").format(
                    header=repr(header_line("<id>")))),
        Problem(shown, None, None, Severity.ERROR, "ledger-not-writable",
                _("refusing to append to a file that is not a ledger")),
    ], ExitCode.PROBLEMS)


def version_of(fd: int) -> int | None:
    """The format version a ledger's header names (only the first bytes are read), None when
    its first bytes are no header."""
    head = os.pread(fd, len(BOM) + len(HEADER_PREFIX) + 12, 0).removeprefix(BOM)
    if not head.startswith(HEADER_PREFIX.encode("ascii")):
        return None
    version = head[len(HEADER_PREFIX):].split(b" ", 1)[0].split(b"\n", 1)[0]
    return int(version) if version.isdigit() and len(version) < 6 else None


def old_version_refusal(shown: str, version: int) -> Problem:
    """Why nothing is appended to a ledger of an earlier format version."""
    return Problem(shown, 1, None, Severity.ERROR, "ledger-old-version",
                   _("this ledger is in format version {version}, which is read but no longer written (its lines "
                     "carry no checksum); run `delegation migrate` to convert it to version {current}, every entry "
                     "and seal kept as it is").format(version=version, current=FORMAT_VERSION))


def _require_current_version(fd: int, shown: str) -> None:
    version = version_of(fd)
    if version is not None and version != FORMAT_VERSION:
        raise DelegationError([old_version_refusal(shown, version)], ExitCode.PROBLEMS)


Writer = Callable[[list[str]], None]
"""Appends entry lines (as :func:`format_entry` writes them) to a ledger held under its lock,
in one write: each line with its checksum, several as one block."""


@contextlib.contextmanager
def appending(path: Path, header: str, *, dry_run: bool) -> Iterator[tuple[int | None, Writer | None]]:
    """The ledger open on a descriptor (None: no file yet) and the function that appends to
    it: under its exclusive lock (``header`` is written first to a new file), or read-only
    with no writer (None) for a dry run.  The caller reads, checks and writes inside the
    ``with``: nothing changes the file meanwhile."""
    if dry_run:
        with opened_for_reading(path) as fd:
            yield fd, None
        return
    with locked_ledger(path) as locked:
        first = header if os.fstat(locked.fd).st_size == 0 else None

        def write(lines: list[str]) -> None:
            locked.append(lines, header=first)

        yield locked.fd, write


def write_atomically(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Replace ``path`` with ``data`` (or its pieces, as they are made) all at once: written
    to a temporary file beside it, fsynced, renamed over it, the folder fsynced.  A reader
    sees the old file or the new, never a part; on failure (of the write, or of what makes
    the pieces) the old one is left as it was and the temporary file removed."""
    import tempfile  # only the commands that write a whole file need it

    temporary: Path | None = None
    try:
        # A new name, created exclusively and never through a link (``mkstemp``): a link
        # planted in a shared folder at a predictable name cannot turn the write elsewhere.
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        temporary = Path(name)
        try:
            os.fchmod(fd, 0o644)
            pieces = iter((data,) if isinstance(data, bytes) else data)
            while (piece := _made(pieces)) is not None:
                view = memoryview(piece)
                while view:
                    view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        fsync_dir(path.parent)
    except BaseException as exc:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()
        if isinstance(exc, _NotMade) and exc.__cause__ is not None:
            raise exc.__cause__ from None
        if not isinstance(exc, OSError):
            raise
        raise fail(_("cannot write: {reason}").format(reason=exc.strerror), code="write-failed", path=str(path),
                   exit_code=ExitCode.WRITE_FAILED) from None


class _NotMade(Exception):
    """A piece of what is written could not be made (its own error in ``__cause__``)."""


def _made(pieces: Iterator[bytes]) -> bytes | None:
    """The next piece (None after the last); an error in making it is told apart from the write's."""
    try:
        return next(pieces, None)
    except OSError as exc:
        raise _NotMade from exc


def _remove_dirs(dirs: list[Path]) -> None:
    for folder in dirs:
        with contextlib.suppress(OSError):
            folder.rmdir()


def fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
