"""The replay-state cache: what replaying the start of a ledger gave, kept beside it.

This module owns ``<ledger>.cache``, an SQLite file that lets ``commit`` (and the other
writing commands, their ``--dry-run``) and ``check`` read only what was appended to a
ledger since it was last replayed, instead of the whole file.  It holds:

* what it covers: the byte offset (a whole number of lines), the number of lines, and the
  BLAKE2b digest of those bytes; the digest of the convention file and of this program's
  replay code; the ledger's header;
* the replayed state at that offset: the per-year, per-team and envelope totals
  (:class:`budget.Replay`'s figures), every commitment with its payments and releases,
  every id and reference taken (indexed tables, read one row at a time: a command looks up
  the few it needs, so memory stays flat in the size of the ledger);
* what ``check`` found in those lines (replay and seal problems) and the seal state.

A cache is an optimisation only.  It is used when every key matches and the digest of the
ledger's first ``offset`` bytes is the recorded one (recomputed on every run); otherwise —
missing, stale, from another convention or version, corrupt, unreadable — it is ignored
and the ledger is replayed in full, exactly as without it, and a new cache is written.
Only a clean ledger is cached (every line readable, header of this convention).  A cache
file is never modified in place: a new one is written next to it and renamed over it, so
concurrent commands each see a whole cache or none.  ``DELEGATION_CACHE=off`` disables it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .budget import CommitmentState, Issue, Replay, locate, replay
from .errors import Problem, Severity
from .fingerprint import caches_enabled, code_digest
from .ledger import Entry, LedgerFile, parse_ledger_bytes, read_fd
from .model import Convention
from .seal import closed_through, last_seal, verify, written_after_close

SCHEMA = 1
CHUNK = 1 << 20
REFRESH_ENTRIES = 1_000
"""A valid cache is rewritten when more than this many entries follow what it covers."""

_CODE_MODULES = ("budget.py", "cache.py", "ledger.py", "model.py", "money.py", "seal.py", "errors.py")
enabled = caches_enabled


def cache_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + ".cache")


def convention_key(convention_file: Path) -> str | None:
    """What identifies the convention and the code a cached state was computed with: any
    change to either invalidates the cache."""
    try:
        data = convention_file.read_bytes()
        return f"{SCHEMA}-{hashlib.blake2b(data, digest_size=16).hexdigest()}-{code_digest(*_CODE_MODULES)}"
    except OSError:
        return None


# --------------------------------------------------------------------------------------
# Lookups backed by the cache's tables (only what a command touches is read)
# --------------------------------------------------------------------------------------


class Unusable(Exception):
    """The cache turned out unreadable or inconsistent while a command was using it: the
    command starts again from the ledger alone (nothing was written yet)."""


def _row_check(*values: object) -> int:
    """A checksum of a row, stored with it: a damaged row is noticed, not believed."""
    return zlib.crc32("\x1f".join(map(str, values)).encode())


def _fetch(db: sqlite3.Connection, query: str, key: str) -> Any:
    try:
        return db.execute(query, (key,)).fetchone()
    except sqlite3.Error as exc:
        raise Unusable(str(exc)) from None


class _BackedCommitments(dict[str, CommitmentState]):
    """Commitments: those touched in this run in memory, the others read from the cache."""

    def __init__(self, db: sqlite3.Connection):
        super().__init__()
        self._db = db

    def _load(self, key: str) -> CommitmentState | None:
        row = _fetch(self._db, "SELECT date, team, amount, ref, line, paid, released, payments, last_payment, "
                               "checksum FROM commitments WHERE id = ?", key)
        if row is None:
            return None
        if _row_check(key, *row[:-1]) != row[-1]:
            raise Unusable(f"damaged commitment row {key}")
        date, team, amount, ref, line, paid, released, payments, last_payment, _ = row
        entry = Entry(date=dt.date.fromisoformat(date), kind="commitment", id=key, team=team, amount=amount,
                      ref=ref, line=line)
        state = CommitmentState(entry, paid, released,
                                dt.date.fromisoformat(last_payment) if last_payment else None, payments)
        super().__setitem__(key, state)
        return state

    def _find(self, key: str) -> CommitmentState | None:
        found = super().get(key)
        return self._load(key) if found is None else found

    def get(self, key: str, default: Any = None) -> Any:
        found = self._find(key)
        return default if found is None else found

    def __getitem__(self, key: str) -> CommitmentState:
        found = self._find(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) is not None

    def setdefault(self, key: str, default: CommitmentState) -> CommitmentState:
        found = self._find(key)
        if found is None:
            super().__setitem__(key, default)
            return default
        return found

    def touched(self) -> Iterable[CommitmentState]:
        return super().values()


class _BackedSet(set[str]):
    """A set of ids or references: those added in this run, and those in a cache table."""

    def __init__(self, db: sqlite3.Connection, table: str):
        super().__init__()
        self._db, self._query = db, f"SELECT 1 FROM {table} WHERE key = ?"

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or (
            isinstance(key, str) and _fetch(self._db, self._query, key) is not None)


class _BackedRefs(dict[str, str]):
    """Bon de commande reference -> commitment id, from this run or from the cache."""

    def __init__(self, db: sqlite3.Connection):
        super().__init__()
        self._db = db

    def _find(self, key: str) -> str | None:
        if super().__contains__(key):
            return super().__getitem__(key)
        row = _fetch(self._db, "SELECT id, checksum FROM commitment_refs WHERE key = ?", key)
        if row is not None and _row_check(key, row[0]) != row[1]:
            raise Unusable(f"damaged reference row {key}")
        return None if row is None else str(row[0])

    def get(self, key: str, default: Any = None) -> Any:
        found = self._find(key)
        return default if found is None else found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) is not None

    def __getitem__(self, key: str) -> str:
        found = self._find(key)
        if found is None:
            raise KeyError(key)
        return found


# --------------------------------------------------------------------------------------
# What a cache holds besides the tables
# --------------------------------------------------------------------------------------


@dataclass
class Covered:
    """What the cache says of the lines it covers."""

    offset: int
    lines: int
    digest: str
    entries: int  # entries other than seals
    last_date: dt.date | None
    convention_id: str | None
    has_header: bool
    replay_problems: list[Problem] = field(default_factory=list)
    seal_problems: list[Problem] = field(default_factory=list)
    closed: tuple[dt.date, Entry] | None = None  # seal.closed_through
    last_seal: tuple[dt.date, Entry] | None = None  # seal.last_seal


def _seal_json(value: tuple[dt.date, Entry] | None) -> list[Any] | None:
    if value is None:
        return None
    day, seal = value
    return [day.isoformat(), seal.date.isoformat(), seal.id, seal.month, seal.line]


def _seal_from(value: list[Any] | None) -> tuple[dt.date, Entry] | None:
    if value is None:
        return None
    day, date, ident, month, line = value
    return dt.date.fromisoformat(day), Entry(date=dt.date.fromisoformat(date), kind="seal", id=ident, team="",
                                             month=month, line=line)


def _problems_json(problems: list[Problem]) -> list[list[Any]]:
    return [[p.line, p.column, p.severity.value, p.code, p.message] for p in problems]


def _problems_from(rows: list[list[Any]], path: str) -> list[Problem]:
    return [Problem(path, line, column, Severity(severity), code, message)
            for line, column, severity, code, message in rows]


def _figures(state: Replay) -> dict[str, Any]:
    return {
        "ae_used": list(state.ae_used.items()), "cp_used": list(state.cp_used.items()),
        "team_net": list(state.team_net.items()), "team_paid": list(state.team_paid.items()),
        "team_year": [[t, y, v] for (t, y), v in state.team_year.items()],
        "released_other_year": list(state.released_other_year.items()),
        "total_net": state.total_net, "total_paid": state.total_paid,
    }


def _restore_figures(state: Replay, figures: dict[str, Any]) -> None:
    for name in ("ae_used", "cp_used", "team_net", "team_paid", "released_other_year"):
        target = getattr(state, name)
        for key, value in figures[name]:
            target[key] = value
    for team, year, value in figures["team_year"]:
        state.team_year[(team, year)] = value
    state.total_net, state.total_paid = figures["total_net"], figures["total_paid"]


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


@dataclass
class Resumed:
    """A ledger read through its cache: the state at the end of what the cache covers, the
    tail read and parsed, and a state to replay the tail into."""

    covered: Covered
    state: Replay
    tail: LedgerFile
    db: sqlite3.Connection
    hasher: Any  # the digest of the whole file read, to refresh the cache
    tail_lines: int

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()


def _prefix_digest(fd: int, offset: int, *, count_lines: bool = False) -> tuple[Any, int] | None:
    """(BLAKE2b of the first ``offset`` bytes, their number of lines if asked), or None if
    the file is shorter."""
    h = hashlib.blake2b(digest_size=32)
    position = lines = 0
    while position < offset:
        chunk = os.pread(fd, min(CHUNK, offset - position), position)
        if not chunk:
            break
        h.update(chunk)
        if count_lines:
            lines += chunk.count(b"\n")
        position += len(chunk)
    return (h, lines) if position == offset else None


def resume(ledger: Path, fd: int, key: str | None, state: Replay) -> Resumed | None:
    """The ledger read from its cache onward, or None when there is no usable cache (the
    caller then reads the whole file).  ``state`` is a fresh :class:`Replay`, filled here."""
    if key is None or not enabled():
        return None
    path = cache_path(ledger)
    if not path.is_file():
        return None
    db: sqlite3.Connection | None = None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("schema") != str(SCHEMA) or meta.get("key") != key:
            db.close()
            return None
        info = json.loads(meta["covered"])
        size = os.fstat(fd).st_size
        offset = int(info["offset"])
        if offset > size:
            db.close()
            return None
        digested = _prefix_digest(fd, offset)
        if digested is None or digested[0].hexdigest() != info["digest"]:
            db.close()
            return None
        hasher = digested[0]
        shown = str(ledger)
        covered = Covered(
            offset=offset, lines=int(info["lines"]), digest=info["digest"], entries=int(info["entries"]),
            last_date=dt.date.fromisoformat(info["last_date"]) if info["last_date"] else None,
            convention_id=info["convention_id"], has_header=bool(info["has_header"]),
            replay_problems=_problems_from(info["replay_problems"], shown),
            seal_problems=_problems_from(info["seal_problems"], shown),
            closed=_seal_from(info["closed"]), last_seal=_seal_from(info["last_seal"]))
        _restore_figures(state, json.loads(meta["figures"]))
        state.commitments = _BackedCommitments(db)
        state.commitment_refs = _BackedRefs(db)
        state.payment_refs = _BackedSet(db, "payment_refs")
        state.ids = _BackedSet(db, "ids")
        state.dangling = _BackedSet(db, "dangling")
        tail_bytes = _read_from(fd, offset, size)
        hasher.update(tail_bytes)
        tail = parse_ledger_bytes(tail_bytes, shown, first_line=covered.lines + 1)
        tail.size = size
        tail.has_header, tail.convention_id = covered.has_header, covered.convention_id
        return Resumed(covered, state, tail, db, hasher, tail_bytes.count(b"\n"))
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()
        return None


def _read_from(fd: int, offset: int, size: int) -> bytes:
    chunks = []
    while offset < size:
        chunk = os.pread(fd, min(size - offset, 1 << 24), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

_TABLES = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE commitments (id TEXT PRIMARY KEY, date TEXT NOT NULL, team TEXT NOT NULL, "
    "amount INTEGER NOT NULL, ref TEXT, line INTEGER NOT NULL, paid INTEGER NOT NULL, "
    "released INTEGER NOT NULL, payments INTEGER NOT NULL, last_payment TEXT, checksum INTEGER NOT NULL) "
    "WITHOUT ROWID",
    "CREATE TABLE commitment_refs (key TEXT PRIMARY KEY, id TEXT NOT NULL, checksum INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE payment_refs (key TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE ids (key TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE dangling (key TEXT PRIMARY KEY) WITHOUT ROWID",
)


def _commitment_rows(states: Iterable[CommitmentState]) -> Iterable[tuple[Any, ...]]:
    for s in states:
        e = s.entry
        row = (e.id, e.date.isoformat(), e.team, e.amount, e.ref, e.line, s.paid, s.released, s.payments,
               s.last_payment.isoformat() if s.last_payment else None)
        yield (*row, _row_check(*row))


def _ref_rows(refs: Iterable[tuple[str, str]]) -> Iterable[tuple[str, str, int]]:
    return ((ref, ident, _row_check(ref, ident)) for ref, ident in refs)


def _meta(key: str, covered: Covered, state: Replay) -> list[tuple[str, str]]:
    info = {
        "offset": covered.offset, "lines": covered.lines, "digest": covered.digest,
        "entries": covered.entries, "last_date": covered.last_date.isoformat() if covered.last_date else None,
        "convention_id": covered.convention_id, "has_header": covered.has_header,
        "replay_problems": _problems_json(covered.replay_problems),
        "seal_problems": _problems_json(covered.seal_problems),
        "closed": _seal_json(covered.closed), "last_seal": _seal_json(covered.last_seal),
    }
    return [("schema", str(SCHEMA)), ("key", key), ("covered", json.dumps(info)),
            ("figures", json.dumps(_figures(state)))]


def write_full(ledger: Path, key: str | None, covered: Covered, state: Replay) -> None:
    """Write a new cache for ``state``, the replay of the ledger's first ``covered.offset``
    bytes.  A failure to write is not an error: the cache is an optimisation."""
    if key is None or not enabled():
        return

    def fill(db: sqlite3.Connection) -> None:
        for statement in _TABLES:
            db.execute(statement)
        db.executemany("INSERT INTO commitments VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       _commitment_rows(state.commitments.values()))
        db.executemany("INSERT INTO commitment_refs VALUES (?,?,?)", _ref_rows(state.commitment_refs.items()))
        db.executemany("INSERT INTO payment_refs VALUES (?)", ((r,) for r in state.payment_refs))
        db.executemany("INSERT INTO ids VALUES (?)", ((i,) for i in state.ids))
        db.executemany("INSERT INTO dangling VALUES (?)", ((i,) for i in state.dangling))
        db.executemany("INSERT INTO meta VALUES (?,?)", _meta(key, covered, state))

    _replace(ledger, None, fill)


def write_resumed(ledger: Path, key: str | None, resumed: Resumed, covered: Covered) -> None:
    """Write a new cache covering the tail too: a copy of the current cache with what the
    tail changed (``resumed.state`` after the tail's replay)."""
    if key is None or not enabled():
        return
    state = resumed.state
    assert isinstance(state.commitments, _BackedCommitments)

    def fill(db: sqlite3.Connection) -> None:
        assert isinstance(state.commitments, _BackedCommitments)
        db.executemany("INSERT OR REPLACE INTO commitments VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       _commitment_rows(state.commitments.touched()))
        db.executemany("INSERT OR IGNORE INTO commitment_refs VALUES (?,?,?)",
                       _ref_rows(dict.items(state.commitment_refs)))
        for table, values in (("payment_refs", state.payment_refs), ("ids", state.ids),
                              ("dangling", state.dangling)):
            db.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?)", ((v,) for v in set.__iter__(values)))
        db.execute("DELETE FROM meta")
        db.executemany("INSERT INTO meta VALUES (?,?)", _meta(key, covered, state))

    _replace(ledger, cache_path(ledger), fill)


def _replace(ledger: Path, base: Path | None, fill: Any) -> None:
    target = cache_path(ledger)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        if base is not None:
            with open(base, "rb") as source, open(temporary, "wb") as copy:
                while chunk := source.read(CHUNK * 8):
                    copy.write(chunk)
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute("BEGIN")
            fill(db)
            db.execute("COMMIT")
        finally:
            db.close()
        fd = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except (OSError, sqlite3.Error):
        with contextlib.suppress(OSError):
            temporary.unlink()


# --------------------------------------------------------------------------------------
# A ledger replayed, through its cache when it can be
# --------------------------------------------------------------------------------------


@dataclass
class Replayed:
    """A ledger replayed in date order, with what ``check`` and the writing commands need.

    Attributes:
        ledger: the file read: every entry (full read) or only the tail after the cache.
        state: the running figures after every entry (thresholds off).
        problems: the replay problems of every entry, located (``budget.check_entries``
            without the carry-over checks).
        seal_problems: what ``seal.verify`` finds.
        entries: the number of entries other than seals.
        last_date: the latest date of an entry.
        closed: ``seal.closed_through`` of the ledger.
        issues: the replay issues, when the whole ledger was read (not from the cache).
    """

    ledger: LedgerFile
    state: Replay
    problems: list[Problem]
    seal_problems: list[Problem]
    entries: int
    last_date: dt.date | None
    closed: tuple[dt.date, Entry] | None
    issues: list[Issue] | None  # the replay's issues (full read only)

    @property
    def from_cache(self) -> bool:
        return self.issues is None


def replayed(conv: Convention, ledger_path: Path, fd: int | None, key: str | None, *,
             exact_check: bool) -> Replayed:
    """Replay the ledger open on ``fd`` (None: it does not exist), through its cache when
    the cache is usable, else in full (then writing a new cache).

    ``exact_check``: the caller reports every problem (``check``), so the cache is used only
    when its result is exactly the full read's: not when the tail holds a seal (its
    verification needs the entries it covers) or a commitment that an earlier payment or
    release named before it existed (the earlier message would name it).
    """
    shown = str(ledger_path)
    if fd is None:
        empty = LedgerFile(shown, exists=False)
        state, _ = replay(conv, [])
        return Replayed(empty, state, [], [], 0, None, None, [])
    resumed = resume(ledger_path, fd, key, Replay(conv, thresholds=False))
    if resumed is not None:
        try:
            done = _from_cache(resumed, ledger_path, key, exact_check=exact_check)
        except Unusable:
            done = None
        if done is not None:
            return done  # its lookups read the cache until the command ends
        resumed.close()
    return _in_full(conv, ledger_path, fd, key)


def _in_full(conv: Convention, ledger_path: Path, fd: int, key: str | None) -> Replayed:
    shown = str(ledger_path)
    ledger = read_fd(fd, shown)
    entries = ledger.entries
    state, issues = replay(conv, entries)
    problems = locate(issues, shown)
    seal_problems = verify(entries, shown)
    dates = [e.date for e in entries if e.kind != "seal"]
    last_date = max((e.date for e in entries), default=None)
    closed = closed_through(entries)
    done = Replayed(ledger, state, problems, seal_problems, len(dates), last_date, closed, issues)
    clean = (ledger.size > 0 and not ledger.problems and ledger.has_header
             and ledger.convention_id in (None, conv.id))
    if clean and key is not None and enabled():
        digested = _prefix_digest(fd, ledger.size, count_lines=True)
        if digested is not None:
            covered = Covered(ledger.size, digested[1], digested[0].hexdigest(), len(dates), last_date,
                              ledger.convention_id, ledger.has_header, problems, seal_problems, closed,
                              last_seal(entries))
            write_full(ledger_path, key, covered, state)
    return done


def _from_cache(resumed: Resumed, ledger_path: Path, key: str | None, *, exact_check: bool) -> Replayed | None:
    covered, state, tail = resumed.covered, resumed.state, resumed.tail
    shown = str(ledger_path)
    if tail.problems:
        return None  # the full read reports them in their context
    new = tail.entries
    last = covered.last_date
    if last is not None and any(e.date < last for e in new):
        return None  # the tail changes the order of the replay
    seals = [e for e in new if e.kind == "seal"]
    if exact_check and (seals or any(e.kind == "commitment" and e.id in state.dangling for e in new)):
        return None
    state.later_commitments = {e.id: e for e in new if e.kind == "commitment"}
    issues = []
    for entry in sorted(new, key=lambda e: e.date):
        issues.extend(state.apply(entry))
    problems = covered.replay_problems + locate(issues, shown)
    seal_problems = list(covered.seal_problems)
    sealed = covered.last_seal
    if sealed is not None and not seals:
        seal_problems += [written_after_close(e, sealed[1], shown) for e in new if e.date <= sealed[0]]
    closed = covered.closed
    if seals:
        closed = closed_through(([closed[1]] if closed else []) + seals)
    entries = covered.entries + sum(e.kind != "seal" for e in new)
    last_date = max([e.date for e in new] + ([last] if last else []), default=None)
    if len(new) > REFRESH_ENTRIES and not seals:
        refreshed = Covered(tail.size, covered.lines + resumed.tail_lines, resumed.hasher.hexdigest(), entries,
                            last_date, covered.convention_id, covered.has_header, problems, seal_problems,
                            covered.closed, covered.last_seal)
        write_resumed(ledger_path, key, resumed, refreshed)
    return Replayed(tail, state, problems, seal_problems, entries, last_date, closed, None)
