"""What a path names, checked before anything is read from it or written to it: only a
regular file of bounded size is a ledger (a named pipe, a device, a directory, a kernel
pseudo-file are refused, exit 2, saying what they are)."""


import os
import stat
from pathlib import Path

from ..core.errors import DelegationError, fail, not_a_file
from ..core.i18n import _

MAX_LEDGER_BYTES = 1 << 32
"""4 GiB: the largest ledger any command reads or appends to (a million entries take about
130 MB).  Checked on the open file before anything is read or written."""
PROBE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
WRITE_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)


def unopenable(path: Path, exc: OSError, what: str | None = None) -> DelegationError:
    """Why ``path`` could not be opened for reading: what it is when it is no file (a socket
    cannot be opened at all), else the system's reason; ``what`` names the file expected
    (a ledger file when not given)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        return not_a_file(mode, str(path), _("ledger file") if what is None else what)
    return fail(_("cannot read: {reason}").format(reason=exc.strerror), code="file-unreadable", path=str(path))


def require_ledger_file(fd: int, shown: str) -> None:
    """Refuse (exit 2), before anything is read, what is open on ``fd`` unless it is a regular
    file of at most :data:`MAX_LEDGER_BYTES` bytes; then make its reads blocking again.

    A regular file that reports 0 bytes but has contents is a kernel pseudo-file (``/proc``,
    ``/sys``): its size says nothing of what a read returns, so it is refused too (one byte
    is read to tell)."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise not_a_file(st.st_mode, shown, _("ledger file"))
    os.set_blocking(fd, True)
    if st.st_size > MAX_LEDGER_BYTES:
        raise fail(_("file is {size} bytes, too large for a ledger (at most {max})").format(
                   size=st.st_size, max=MAX_LEDGER_BYTES),
                   code="file-too-large", path=shown)
    try:
        contents = st.st_size == 0 and os.pread(fd, 1, 0)
    except OSError as exc:
        raise fail(_("cannot read: {reason}").format(reason=exc.strerror), code="file-unreadable",
                   path=shown) from None
    if contents:
        raise fail(_("reports a size of 0 bytes but has contents: a kernel pseudo-file (such as /proc/...), "
                     "not a ledger file"), code="file-pseudo", path=shown)


def refuse_special(path: Path) -> None:
    """Refuse (exit 2) an existing ``path`` that is not a ledger file, looked at read-only and
    without blocking, before it is ever opened for writing (opening some devices for writing
    acts on them)."""
    try:
        fd = os.open(path, PROBE_FLAGS)
    except FileNotFoundError:
        return
    except OSError:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return
        if not stat.S_ISREG(mode):
            raise not_a_file(mode, str(path), _("ledger file")) from None
        return  # unreadable: opening it for writing will say why
    try:
        require_ledger_file(fd, str(path))
    finally:
        os.close(fd)
