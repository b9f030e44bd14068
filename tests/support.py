"""Ledgers read from bytes, for the tests and the harnesses in ``bench/``: each goes through
the real read path (:class:`LedgerReader`, :func:`read_book`) on an in-memory file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from delegation_cli.core.budget import carry_over_problems, locate, replay
from delegation_cli.core.entries import Entry
from delegation_cli.core.errors import Problem
from delegation_cli.core.model import Convention
from delegation_cli.store.book import Book, Window, read_book
from delegation_cli.store.reader import LedgerFile, LedgerReader, bulk, opened_for_reading


@contextlib.contextmanager
def in_memory(data: bytes) -> Iterator[int]:
    """A descriptor on an anonymous in-memory file holding ``data``, at its start."""
    fd = os.memfd_create("ledger", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
        yield fd
    finally:
        os.close(fd)


def _kept(reader: LedgerReader) -> LedgerFile:
    with bulk():
        reader.info.entries = list(reader)
    return reader.info


def parse_ledger_bytes(data: bytes, shown: str) -> LedgerFile:
    """The bytes of a whole ledger file, read: its entries (kept) and every problem."""
    with in_memory(data) as fd:
        return _kept(LedgerReader(fd, shown))


def read_ledger(path: Path) -> LedgerFile:
    """A ledger file read with its entries kept; a missing file is an empty ledger."""
    with opened_for_reading(path) as fd:
        return _kept(LedgerReader(fd, str(path)))


def read_book_bytes(conv: Convention, data: bytes, shown: str, *, keep: bool = False,
                    window: Window | None = None) -> Book:
    """:func:`read_book` on the bytes of a ledger file."""
    with in_memory(data) as fd:
        return read_book(conv, fd, shown, keep=keep, window=window)


def check_entries(conv: Convention, entries: Sequence[Entry], path: str) -> list[Problem]:
    """Every problem of a sequence of entries against their convention, by line: what `check`
    reports of a ledger holding them (the replay's issues, then the carry-overs)."""
    state = replay(conv, entries)
    located = sorted(locate(state.issues, path), key=lambda problem: problem.line or 0)
    return located + carry_over_problems(conv, state, path)
