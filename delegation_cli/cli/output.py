"""What a command prints, and what a failure to print means.

This module owns the last step of every command, writing its text to stdout or stderr:

* :func:`use_any_encoding` lets every output encoding print: a character the encoding
  cannot write (the narrow no-break space of ``125 000,00 €`` in Latin-1, an accent in
  ASCII) is written as its nearest plain equivalent (a space, ``e``, ``EUR``, ``"``), never
  as an error;
* :func:`emit` writes a text whole, or not at all where that can be undone: to a regular
  file (``> report.json``) a failed write is cut back to where it began, so that a JSON
  document is complete or absent;
* :func:`emit_recorded` is the rule after a ledger was written and fsynced: failing to print
  the confirmation (a closed pipe, a full disk) never turns into a failure exit or a
  traceback, which would make the user record the entry twice; the command exits with
  :attr:`ExitCode.RECORDED_UNCONFIRMED` and says so on stderr if it can;
* :func:`said` is how every writing command prints what it did, by that rule when it wrote.

A failure to print what a reading command computed is a failed write (exit 3), said in one
line (:class:`OutputError`).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from ..core.errors import ExitCode, fail
from ..core.i18n import _

_PLAIN = {
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ",
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "<", "\u203a": ">",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u20ac": "EUR", "\u00b0": "o", "\u2022": "*", "\u2192": "->", "\u2190": "<-",
    "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE", "\u00df": "ss", "\ufeff": "",
    "\u2264": "<=", "\u2265": ">=", "\u00d7": "x", "\u2248": "~",
}
"""French typography and a few signs, as plain ASCII."""
HANDLER = "delegation-plain"
"""The codec error handler :func:`use_any_encoding` installs."""


def plain(char: str) -> str:
    """The nearest plain (ASCII) writing of one character: a typographic space as a space,
    curly quotes and guillemets as straight ones, an accented letter without its accent,
    ``€`` as ``EUR``; ``?`` when there is none."""
    if char in _PLAIN:
        return _PLAIN[char]
    base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return base or "?"


def _fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    encoding = error.encoding
    out = []
    for char in error.object[error.start:error.end]:
        replacement = plain(char)
        try:
            replacement.encode(encoding)
        except (UnicodeError, LookupError):
            replacement = "?"
        out.append(replacement)
    return "".join(out), error.end


def use_any_encoding() -> None:
    """Let stdout and stderr print in any encoding (see the module docstring)."""
    with contextlib.suppress(LookupError):
        codecs.lookup_error(HANDLER)
        return
    codecs.register_error(HANDLER, _fallback)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "strict") in ("strict", "surrogateescape"):
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=HANDLER)


class OutputError(Exception):
    """Writing to stdout or stderr failed: the reason (the system's words)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _encoded(stream: TextIO, text: str) -> bytes:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    errors = getattr(stream, "errors", None) or "strict"
    try:
        return text.encode(encoding, errors)
    except UnicodeEncodeError:
        use_any_encoding()
        return text.encode(encoding, HANDLER)


def _encoder(stream: TextIO) -> Callable[[str], bytes]:
    """Text to the stream's bytes, piece after piece as one text (a byte-order mark at most once)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    errors = getattr(stream, "errors", None) or "strict"
    try:
        incremental = codecs.getincrementalencoder(encoding)(errors)
    except LookupError:
        return lambda piece: _encoded(stream, piece)

    def encode(piece: str) -> bytes:
        try:
            return incremental.encode(piece)
        except UnicodeEncodeError:
            return _encoded(stream, piece)

    return encode


def emit(text: str | bytes | Iterable[str], *, err: bool = False) -> None:
    """Write ``text`` (or bytes, such as a PDF; or the pieces of a long document, as they are
    made) to stdout (stderr with ``err``), or raise :class:`OutputError`.

    To a regular file the text is written whole or not at all: a failed write (disk full,
    a file size limit) is cut back to where it began."""
    stream = sys.stderr if err else sys.stdout
    if isinstance(text, (str, bytes)):
        if not text:
            return
        pieces: Iterable[str | bytes] = (text,)
    else:
        pieces = text
    try:
        stream.flush()
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError) as exc:  # no descriptor (a test's buffer) or already closed
        if isinstance(exc, OSError) and not _no_descriptor(exc):
            raise OutputError(exc.strerror or str(exc)) from None
        for piece in pieces:
            _write_stream(stream, piece)
        return
    start = None
    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.fstat(fd).st_mode):
            start = os.lseek(fd, 0, os.SEEK_END if _appending(fd) else os.SEEK_CUR)
    encode = _encoder(stream)
    try:
        for piece in pieces:
            view = memoryview(piece if isinstance(piece, bytes) else encode(piece))
            while view:
                view = view[os.write(fd, view):]
    except BaseException as exc:  # a write that failed, or a piece that could not be made
        if start is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
                os.lseek(fd, start, os.SEEK_SET)
        if not isinstance(exc, OSError):
            raise
        raise OutputError(exc.strerror or str(exc)) from None


def _no_descriptor(exc: OSError) -> bool:
    import io

    return isinstance(exc, io.UnsupportedOperation)


def _appending(fd: int) -> bool:
    import fcntl

    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)


def _write_stream(stream: TextIO, text: str | bytes) -> None:
    try:
        if isinstance(text, bytes):
            stream.buffer.write(text)
        else:
            stream.write(text)
        stream.flush()
    except UnicodeEncodeError:
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            raise OutputError(_("cannot encode the output")) from None
        buffer.write(_encoded(stream, text) if isinstance(text, str) else text)
        buffer.flush()
    except (OSError, ValueError) as exc:
        raise OutputError(getattr(exc, "strerror", None) or str(exc)) from None


def silence() -> None:
    """After stdout failed: point it at nothing, so that nothing more is tried on it (not even
    the interpreter's last flush)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    with contextlib.suppress(Exception):
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process


def ignore_broken_pipes() -> None:
    """From now on a closed pipe is an error value (EPIPE) rather than the end of the process:
    called once a ledger was written, so that the command can still say what it did."""
    import signal

    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def emit_recorded(out: str, err: str = "") -> bool:
    """Print a writing command's confirmation (``out``) and warnings (``err``) after its
    ledger write succeeded.  Returns False when the confirmation could not be printed: the
    caller exits with ``RECORDED_UNCONFIRMED``; stderr was told so, if it could be."""
    ignore_broken_pipes()
    try:
        emit(out)
    except OutputError as exc:
        silence()
        with contextlib.suppress(OutputError):
            emit(_("note: the ledger was written, but its confirmation could not be printed ({reason}); do not "
                   "record it again: `delegation log` shows it\n").format(reason=exc.reason), err=True)
        return False
    with contextlib.suppress(OutputError):
        emit(err, err=True)
    return True


def said(out: str, err: str = "", *, written: bool) -> ExitCode:
    """Print what a writing command did (``out``; ``err``, its warnings, on stderr): after its
    ledger was written, a failure to print is RECORDED_UNCONFIRMED (4), never an error that
    would make the user record the entry again."""
    if written:
        return ExitCode.OK if emit_recorded(out, err) else ExitCode.RECORDED_UNCONFIRMED
    emit(out)
    emit(err, err=True)
    return ExitCode.OK


def refuse_binary_on_terminal(fmt: str, stdout_isatty: bool) -> None:
    """A PDF or a workbook (``ods``, ``xlsx``: :data:`formats.BINARY`) is never written to a
    terminal: refused (exit 2), saying to write it to a file."""
    from ..report.formats import BINARY

    if fmt not in BINARY or not stdout_isatty:
        return
    if fmt == "pdf":
        raise fail(_("a PDF is not shown on a terminal: add --output FILE (or redirect stdout to a file)"),
                   code="bad-argument")
    raise fail(_("a .{format} workbook is not shown on a terminal: add --output FILE (or redirect stdout to a "
                 "file)").format(format=fmt), code="bad-argument")


def deliver(rendered: str | bytes | Iterable[str], output_file: str | None, *, protected: Path | None = None,
            convention: Path | None = None) -> None:
    """A command's document to ``--output FILE`` (written atomically, refused over the ledger
    ``protected`` or the ``convention``: ``actions.write_output``), else to stdout as rendered
    (typer.echo would strip forced colours; bytes for a PDF or a workbook)."""
    if output_file is None:
        emit(rendered)
        return
    from ..store.actions import write_output

    write_output(Path(output_file), rendered, protected=protected, convention=convention)


def sheet_language(fmt: str, lang: object) -> str:
    """The language a rendering of the ledger's entries is written in: a workbook is a document,
    in French unless ``--lang`` says (:data:`i18n.REPORT_DEFAULT`); other formats follow the
    messages' language."""
    from ..core.i18n import REPORT_DEFAULT, language

    chosen = getattr(lang, "value", None)
    if chosen is not None:
        return str(chosen)
    return REPORT_DEFAULT if fmt in ("ods", "xlsx") else language()
