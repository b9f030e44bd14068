"""The caches beside a ledger: what replaying its start gave, and rendered reports.

This module owns two kinds of file next to a ledger, each an optimisation only:

``<ledger>.cache``, the replay-state cache, lets ``commit`` (and the other writing commands,
their ``--dry-run``) and ``check`` read only what was appended to a ledger since it was last
replayed, instead of the whole file.  One file, mapped in memory, holding:

* what it covers: the byte offset (a whole number of lines), the number of lines and the
  digest of those bytes (:class:`PrefixDigest`); the digest of the convention file and of
  this program's replay code; the ledger's header; the seal state;
* the replayed state at that offset: the per-year, per-team and envelope totals
  (:class:`budget.Replay`'s figures); every commitment with its payments and releases, as
  fixed-size records sorted by the hash of its id (each with a CRC-32), and an index of
  their references; the sorted 64-bit hashes of every id and payment reference.  A command
  looks up the few it needs by binary search, so its memory stays flat in the ledger's size;
* what ``check`` found in those lines (replay and seal problems).

``<ledger>.cache.d/report-*``, the report memos, keep a rendered report with the digest of
the ledger bytes it was computed from (:func:`read_memo`, :func:`write_memo`).

A cache is used only when every key matches and the digest of the ledger bytes it covers
is the recorded one, recomputed on every run; otherwise — missing, stale, from another
convention or version, damaged, unreadable — it is ignored, the ledger is read in full
exactly as without it, and a new one is written.  A hash found among the filed ids or
references is never taken as proof: the command starts again without the cache
(:class:`Unusable`).  Only a clean ledger is cached (every line readable, header of this
convention).  Cache files are never modified in place: a new one is written next to it
and renamed over it, so concurrent commands each see a whole file or none.
``DELEGATION_CACHE=off`` disables every cache.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import mmap
import os
import struct
import threading
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .budget import CommitmentState, Issue, Replay, locate, replay
from .errors import Problem, Severity
from .fingerprint import caches_enabled, code_digest
from .ledger import Entry, LedgerFile, bulk, line_blocks, parse_ledger_bytes, read_fd, read_range
from .model import Convention
from .seal import closed_through, last_seal, verify, written_after_close

SCHEMA = 2
CHUNK = 1 << 20
REFRESH_ENTRIES = 1_000
"""A valid cache is rewritten when more than this many entries follow what it covers."""

_CODE_MODULES = ("budget.py", "cache.py", "ledger.py", "model.py", "money.py", "seal.py", "errors.py")


def cache_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + ".cache")


def convention_key(convention_file: Path) -> str | None:
    """What identifies the convention and the code a cached state was computed with: any
    change to either invalidates the cache."""
    code = code_digest(*_CODE_MODULES)
    try:
        data = convention_file.read_bytes()
    except OSError:
        return None
    return None if code is None else f"{SCHEMA}-{hashlib.blake2b(data, digest_size=16).hexdigest()}-{code}"


# --------------------------------------------------------------------------------------
# The file: a header, then sections (sorted arrays of 64-bit hashes, fixed-width records)
# --------------------------------------------------------------------------------------

MAGIC = b"delegation-cache\n"
_BODY = struct.Struct("<qqqqiiiHHH")
"""A commitment: amount, paid, released, line, date and last payment (proleptic ordinals,
0 for none), payments, team index, length of its id, of its reference (0xFFFF: none)."""
_PLACE = struct.Struct("<II")
"""Then: where its id and reference start in the strings; CRC-32 of the body and strings."""
_RECORD_SIZE = _BODY.size + _PLACE.size
_NO_REF = 0xFFFF
_VERIFIED = ("ids", "payment_refs", "dangling", "c_hash", "r_hash", "r_idx")
"""Sections whose BLAKE2b digest is checked when the cache is opened; each commitment record
carries its own CRC, checked when it is read."""


class Unusable(Exception):
    """The cache turned out unreadable or inconsistent while a command was using it: the
    command starts again from the ledger alone (nothing was written yet)."""


def key_hash(text: str) -> int:
    """The 64-bit hash under which an id or a reference is filed: the CRC-32 of its bytes and
    of its bytes reversed (fast; a hash found in the cache only sends the command to the
    full read, so a collision costs time, never a wrong answer)."""
    data = text.encode("utf-8")
    return zlib.crc32(data) << 32 | zlib.crc32(data[::-1])


def _sorted_hashes(values: Iterable[str], also: Iterable[int] = ()) -> bytes:
    crc = zlib.crc32
    merged = [crc(b) << 32 | crc(b[::-1]) for b in map(str.encode, values)]
    merged.extend(also)
    merged.sort()
    return array("Q", merged).tobytes()


CommitmentRow = tuple[str, "str | None", str, int, int, int, int, int, int, int]
"""(id, ref, team, date ordinal, amount, paid, released, payments, last payment ordinal, line)."""


def _row_of(state: CommitmentState) -> CommitmentRow:
    e = state.entry
    last = state.last_payment.toordinal() if state.last_payment else 0
    return (e.id, e.ref, e.team, e.date.toordinal(), e.amount, state.paid, state.released, state.payments,
            last, e.line)


def _encode_commitments(rows: Iterable[CommitmentRow]) -> tuple[dict[str, bytes], list[str]]:
    """The commitment sections: records sorted by id hash, their strings, the reference index."""
    teams: dict[str, int] = {}
    keyed = sorted(((key_hash(r[0]), r) for r in rows), key=lambda kr: kr[0])
    records = bytearray()
    strings = bytearray()
    refs: list[tuple[int, int]] = []
    pack, place, crc32 = _BODY.pack, _PLACE.pack, zlib.crc32
    for index, (_, (ident, ref, team, date, amount, paid, released, payments, last, line)) in enumerate(keyed):
        id_bytes = ident.encode("utf-8")
        ref_bytes = ref.encode("utf-8") if ref is not None else b""
        team_index = teams.setdefault(team, len(teams))
        body = pack(amount, paid, released, line, date, last, payments, team_index, len(id_bytes),
                    len(ref_bytes) if ref is not None else _NO_REF)
        text = id_bytes + ref_bytes
        records += body
        records += place(len(strings), crc32(text, crc32(body)))
        strings += text
        if ref is not None:
            refs.append((key_hash(ref), index))
    refs.sort()
    sections = {
        "c_hash": array("Q", [h for h, _ in keyed]).tobytes(), "c_rec": bytes(records), "c_str": bytes(strings),
        "r_hash": array("Q", [h for h, _ in refs]).tobytes(), "r_idx": array("I", [i for _, i in refs]).tobytes(),
    }
    return sections, list(teams)


class Store:
    """An open cache file: its header, and lookups by binary search in its sections."""

    def __init__(self, path: Path):
        with open(path, "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._views: list[memoryview] = []
        try:
            self._open()
        except Exception:
            self.close()
            raise

    def _view(self, view: memoryview) -> memoryview:
        self._views.append(view)
        return view

    def _open(self) -> None:
        view = self._view(memoryview(self._map))
        if view[: len(MAGIC)] != MAGIC:
            raise Unusable("not a cache file")
        size = int.from_bytes(view[len(MAGIC): len(MAGIC) + 8], "little")
        start = len(MAGIC) + 8
        self.header: dict[str, Any] = json.loads(bytes(view[start: start + size]))
        base = start + size
        self._sections: dict[str, memoryview] = {}
        self._digests: dict[str, str | None] = {}
        for name, (offset, length, digest) in self.header["sections"].items():
            part = self._view(view[base + offset: base + offset + length])
            if len(part) != length:
                raise Unusable("truncated")
            if name in _VERIFIED and hashlib.blake2b(part, digest_size=16).hexdigest() != digest:
                raise Unusable(f"section {name} damaged")
            self._sections[name], self._digests[name] = part, digest
        missing = {*_VERIFIED, "c_rec", "c_str", "problems"} - set(self._sections)
        if missing:
            raise Unusable(f"sections missing: {sorted(missing)}")
        self.ids = self._view(self._sections["ids"].cast("Q"))
        self.payment_refs = self._view(self._sections["payment_refs"].cast("Q"))
        self.dangling = self._view(self._sections["dangling"].cast("Q"))
        self.c_hash = self._view(self._sections["c_hash"].cast("Q"))
        self.r_hash = self._view(self._sections["r_hash"].cast("Q"))
        self.r_idx = self._view(self._sections["r_idx"].cast("I"))
        self.teams: list[str] = self.header["teams"]
        if len(self._sections["c_rec"]) != len(self.c_hash) * _RECORD_SIZE or len(self.r_idx) != len(self.r_hash):
            raise Unusable("inconsistent sections")

    # lookups ------------------------------------------------------------------------

    @staticmethod
    def _has(view: memoryview, h: int) -> bool:
        i = bisect_left(view, h)
        return i < len(view) and view[i] == h

    def has_hash(self, section: str, text: str) -> bool:
        return self._has(getattr(self, section), key_hash(text))

    def record(self, index: int) -> CommitmentRow:
        start = index * _RECORD_SIZE
        body = bytes(self._sections["c_rec"][start: start + _BODY.size])
        amount, paid, released, line, date, last, payments, team, id_len, ref_len = _BODY.unpack(body)
        offset, crc = _PLACE.unpack(self._sections["c_rec"][start + _BODY.size: start + _RECORD_SIZE])
        n_ref = 0 if ref_len == _NO_REF else ref_len
        text = bytes(self._sections["c_str"][offset: offset + id_len + n_ref])
        if zlib.crc32(text, zlib.crc32(body)) != crc or len(text) != id_len + n_ref or team >= len(self.teams):
            raise Unusable(f"commitment record {index} damaged")
        ident = text[:id_len].decode("utf-8")
        ref = None if ref_len == _NO_REF else text[id_len:].decode("utf-8")
        return (ident, ref, self.teams[team], date, amount, paid, released, payments, last, line)

    def commitment(self, ident: str) -> CommitmentRow | None:
        h = key_hash(ident)
        i = bisect_left(self.c_hash, h)
        while i < len(self.c_hash) and self.c_hash[i] == h:
            row = self.record(i)
            if row[0] == ident:
                return row
            i += 1
        return None

    def commitment_of_ref(self, ref: str) -> str | None:
        h = key_hash(ref)
        i = bisect_left(self.r_hash, h)
        while i < len(self.r_hash) and self.r_hash[i] == h:
            row = self.record(self.r_idx[i])
            if row[1] == ref:
                return row[0]
            i += 1
        return None

    def rows(self) -> Iterable[CommitmentRow]:
        return (self.record(i) for i in range(len(self.c_hash)))

    def problems(self, shown: str) -> tuple[list[Problem], list[Problem]]:
        """What ``check`` found in the lines covered: (replay problems, seal problems)."""
        data = bytes(self._sections["problems"])
        if hashlib.blake2b(data, digest_size=16).hexdigest() != self._digests["problems"]:
            raise Unusable("problems damaged")
        replay_problems, seal_problems = json.loads(data)
        return _problems_from(replay_problems, shown), _problems_from(seal_problems, shown)

    def close(self) -> None:
        for view in reversed(self._views):  # casts and slices before what they view
            view.release()
        with contextlib.suppress(BufferError):
            self._map.close()


def _write_file(target: Path, header: dict[str, Any], sections: dict[str, bytes]) -> None:
    """Write a cache atomically: a temporary file, fsync, rename over the old one."""
    layout: dict[str, list[Any]] = {}
    offset = 0
    for name, data in sections.items():
        digest = hashlib.blake2b(data, digest_size=16).hexdigest() if name in (*_VERIFIED, "problems") else None
        layout[name] = [offset, len(data), digest]
        offset += len(data)
    head = json.dumps({**header, "sections": layout}).encode("utf-8")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(MAGIC + len(head).to_bytes(8, "little") + head)
            for data in sections.values():
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


# --------------------------------------------------------------------------------------
# Lookups backed by the cache (only what a command touches is read)
# --------------------------------------------------------------------------------------


class _BackedCommitments(dict[str, CommitmentState]):
    """Commitments: those touched in this run in memory, the others read from the cache."""

    def __init__(self, store: Store):
        super().__init__()
        self._store = store

    def _find(self, key: str) -> CommitmentState | None:
        found = super().get(key)
        if found is not None:
            return found
        row = self._store.commitment(key)
        if row is None:
            return None
        ident, ref, team, date, amount, paid, released, payments, last, line = row
        entry = Entry(date=dt.date.fromordinal(date), kind="commitment", id=ident, team=team, amount=amount,
                      ref=ref, line=line)
        state = CommitmentState(entry, paid, released, dt.date.fromordinal(last) if last else None, payments)
        super().__setitem__(key, state)
        return state

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
    """Ids or references: those added in this run, and those filed (by hash) in the cache.

    A hash found in the cache is taken for a real duplicate only after the whole ledger has
    been read: the command starts again without the cache (:class:`Unusable`), so a hash
    collision can never produce a false finding."""

    def __init__(self, store: Store, section: str):
        super().__init__()
        self._store, self._section = store, section

    def __contains__(self, key: object) -> bool:
        if super().__contains__(key):
            return True
        if isinstance(key, str) and self._store.has_hash(self._section, key):
            raise Unusable(f"{key} may already be in the ledger")
        return False

    def added(self) -> Iterable[str]:
        return super().__iter__()


class _BackedRefs(dict[str, str]):
    """Bon de commande reference -> commitment id, from this run or from the cache."""

    def __init__(self, store: Store):
        super().__init__()
        self._store = store

    def _find(self, key: str) -> str | None:
        if super().__contains__(key):
            return super().__getitem__(key)
        return self._store.commitment_of_ref(key)

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
# What a cache says of the lines it covers
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
# Reading and writing
# --------------------------------------------------------------------------------------


@dataclass
class Resumed:
    """A ledger read through its cache: the state at the end of what the cache covers, the
    tail read and parsed, and a state to replay the tail into."""

    covered: Covered
    state: Replay
    tail: LedgerFile
    store: Store
    digest: PrefixDigest  # of what the cache covers, to refresh it
    tail_lines: int

    def close(self) -> None:
        self.store.close()


DIGEST_BLOCK = 4 << 20


@dataclass(frozen=True)
class PrefixDigest:
    """The digest of a file's first ``length`` bytes: BLAKE2b of the length and of the
    BLAKE2b of each 4 MB block (blocks are hashed on two threads: hashing releases the
    interpreter lock, so validating a cache costs half the time on two cores)."""

    length: int
    blocks: tuple[bytes, ...]

    def hexdigest(self) -> str:
        return hashlib.blake2b(self.length.to_bytes(8, "little") + b"".join(self.blocks), digest_size=32).hexdigest()


def _hash_blocks(read: Callable[[int, int], bytes], start: int, length: int) -> list[bytes] | None:
    """Digests of the blocks of ``[start, length)`` (``start`` on a block boundary); None if
    fewer bytes could be read."""
    count = (length - start + DIGEST_BLOCK - 1) // DIGEST_BLOCK
    blocks: list[bytes] = [b""] * count
    short = [False]

    def work(first: int) -> None:
        for k in range(first, count, 2):
            at = start + k * DIGEST_BLOCK
            size = min(DIGEST_BLOCK, length - at)
            data = read(at, size)
            if len(data) != size:
                short[0] = True
                return
            blocks[k] = hashlib.blake2b(data, digest_size=32).digest()

    helper = threading.Thread(target=work, args=(1,)) if count > 1 else None
    if helper is not None:
        helper.start()
    work(0)
    if helper is not None:
        helper.join()
    return None if short[0] else blocks


def prefix_digest(fd: int, length: int, since: PrefixDigest | None = None) -> PrefixDigest | None:
    """The :class:`PrefixDigest` of the first ``length`` bytes of the file open on ``fd``,
    reusing the whole blocks of ``since`` (a digest of fewer bytes of the same file); None
    if the file is shorter."""
    kept: tuple[bytes, ...] = ()
    if since is not None and since.length <= length:
        kept = since.blocks[: since.length // DIGEST_BLOCK]  # its last block, if partial, is hashed again
    hashed = _hash_blocks(lambda at, size: read_range(fd, at, at + size), len(kept) * DIGEST_BLOCK, length)
    return None if hashed is None else PrefixDigest(length, kept + tuple(hashed))


def bytes_digest(data: bytes) -> PrefixDigest:
    """The :class:`PrefixDigest` of ``data`` itself."""
    hashed = _hash_blocks(lambda at, size: data[at: at + size], 0, len(data))
    assert hashed is not None
    return PrefixDigest(len(data), tuple(hashed))


def resume(ledger: Path, fd: int, key: str | None, state: Replay, *, with_problems: bool) -> Resumed | None:
    """The ledger read from its cache onward, or None when there is no usable cache (the
    caller then reads the whole file).  ``state`` is a fresh :class:`Replay`, filled here;
    ``with_problems``: also load what ``check`` found in the lines the cache covers."""
    if key is None or not caches_enabled():
        return None
    path = cache_path(ledger)
    store: Store | None = None
    try:
        store = Store(path)
        header = store.header
        if header.get("schema") != SCHEMA or header.get("key") != key:
            store.close()
            return None
        info = header["covered"]
        size = os.fstat(fd).st_size
        offset = int(info["offset"])
        digested = prefix_digest(fd, offset) if offset <= size else None
        if digested is None or digested.hexdigest() != info["digest"]:
            store.close()
            return None
        shown = str(ledger)
        replay_problems, seal_problems = store.problems(shown) if with_problems else ([], [])
        covered = Covered(
            offset=offset, lines=int(info["lines"]), digest=info["digest"], entries=int(info["entries"]),
            last_date=dt.date.fromisoformat(info["last_date"]) if info["last_date"] else None,
            convention_id=info["convention_id"], has_header=bool(info["has_header"]),
            replay_problems=replay_problems, seal_problems=seal_problems,
            closed=_seal_from(info["closed"]), last_seal=_seal_from(info["last_seal"]))
        _restore_figures(state, header["figures"])
        state.commitments = _BackedCommitments(store)
        state.commitment_refs = _BackedRefs(store)
        state.payment_refs = _BackedSet(store, "payment_refs")
        state.ids = _BackedSet(store, "ids")
        state.dangling = _BackedSet(store, "dangling")
        tail_bytes = read_range(fd, offset, size)
        tail = parse_ledger_bytes(tail_bytes, shown, first_line=covered.lines + 1)
        tail.size = size
        tail.has_header, tail.convention_id = covered.has_header, covered.convention_id
        return Resumed(covered, state, tail, store, digested, tail_bytes.count(b"\n"))
    except (Unusable, OSError, ValueError, KeyError, TypeError, IndexError, json.JSONDecodeError):
        if store is not None:
            store.close()
        return None


def _header(key: str, covered: Covered, state: Replay, teams: list[str]) -> dict[str, Any]:
    info = {
        "offset": covered.offset, "lines": covered.lines, "digest": covered.digest,
        "entries": covered.entries, "last_date": covered.last_date.isoformat() if covered.last_date else None,
        "convention_id": covered.convention_id, "has_header": covered.has_header,
        "closed": _seal_json(covered.closed), "last_seal": _seal_json(covered.last_seal),
    }
    return {"schema": SCHEMA, "key": key, "covered": info, "figures": _figures(state), "teams": teams}


def _problem_section(covered: Covered) -> bytes:
    return json.dumps([_problems_json(covered.replay_problems), _problems_json(covered.seal_problems)]).encode()


def write_full(ledger: Path, key: str | None, covered: Covered, state: Replay) -> None:
    """Write a new cache for ``state``, the replay of the ledger's first ``covered.offset``
    bytes.  A failure to write is not an error: the cache is an optimisation."""
    if key is None or not caches_enabled():
        return
    with bulk():
        commitments, teams = _encode_commitments(_row_of(s) for s in state.commitments.values())
        sections = {"ids": _sorted_hashes(state.ids), "payment_refs": _sorted_hashes(state.payment_refs),
                    "dangling": _sorted_hashes(state.dangling), **commitments,
                    "problems": _problem_section(covered)}
    _write_file(cache_path(ledger), _header(key, covered, state, teams), sections)


def write_resumed(ledger: Path, key: str | None, resumed: Resumed, covered: Covered) -> None:
    """Write a new cache covering the tail too: what the cache held, with what the tail
    changed (``resumed.state`` after the tail's replay)."""
    if key is None or not caches_enabled():
        return
    state, store = resumed.state, resumed.store
    commitments = state.commitments
    assert isinstance(commitments, _BackedCommitments)
    with bulk():
        touched = {s.entry.id: _row_of(s) for s in commitments.touched()}
        rows = [row for row in store.rows() if row[0] not in touched]
        rows.extend(touched.values())
        encoded, teams = _encode_commitments(rows)
        sections: dict[str, bytes] = {}
        for name in ("ids", "payment_refs", "dangling"):
            backed = getattr(state, name)
            assert isinstance(backed, _BackedSet)
            sections[name] = _sorted_hashes(backed.added(), getattr(store, name))
        sections.update(encoded)
        sections["problems"] = _problem_section(covered)
    _write_file(cache_path(ledger), _header(key, covered, state, teams), sections)


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
    issues: list[Issue] | None  # the replay's issues (full read only): None means read through the cache


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
    resumed = resume(ledger_path, fd, key, Replay(conv, thresholds=False), with_problems=exact_check)
    if resumed is not None:
        try:
            done = _from_cache(resumed, ledger_path, fd, key, exact_check=exact_check)
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
    seals = [e for e in entries if e.kind == "seal"]
    counted = len(entries) - len(seals)
    last_date = max((e.date for e in entries), default=None)
    closed = closed_through(seals)
    done = Replayed(ledger, state, problems, seal_problems, counted, last_date, closed, issues)
    clean = (ledger.size > 0 and not ledger.problems and ledger.has_header
             and ledger.convention_id in (None, conv.id))
    if clean and key is not None and caches_enabled():
        digested = prefix_digest(fd, ledger.size)
        if digested is not None:
            covered = Covered(ledger.size, ledger.lines, digested.hexdigest(), counted, last_date,
                              ledger.convention_id, ledger.has_header, problems, seal_problems, closed,
                              last_seal(seals))
            write_full(ledger_path, key, covered, state)
    return done


def _from_cache(resumed: Resumed, ledger_path: Path, fd: int, key: str | None, *,
                exact_check: bool) -> Replayed | None:
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
    tail_problems = locate(issues, shown)
    sealed = covered.last_seal
    tail_seal_problems = [written_after_close(e, sealed[1], shown) for e in new
                          if sealed is not None and not seals and e.date <= sealed[0]]
    closed = covered.closed
    if seals:
        closed = closed_through(([closed[1]] if closed else []) + seals)
    entries = covered.entries + sum(e.kind != "seal" for e in new)
    last_date = max([e.date for e in new] + ([last] if last else []), default=None)
    refresh = len(new) > REFRESH_ENTRIES and not seals
    before, sealed_before = (resumed.store.problems(shown) if refresh and not exact_check
                             else (covered.replay_problems, covered.seal_problems))
    problems = before + tail_problems
    seal_problems = sealed_before + tail_seal_problems
    if refresh:
        whole = prefix_digest(fd, tail.size, since=resumed.digest)
        if whole is not None:
            refreshed = Covered(tail.size, covered.lines + resumed.tail_lines, whole.hexdigest(), entries,
                                last_date, covered.convention_id, covered.has_header, problems, seal_problems,
                                covered.closed, covered.last_seal)
            write_resumed(ledger_path, key, resumed, refreshed)
    return Replayed(tail, state, problems, seal_problems, entries, last_date, closed, None)


# --------------------------------------------------------------------------------------
# Report memos: a rendered report kept with what it depends on
# --------------------------------------------------------------------------------------

MEMO_LIMIT = 16
"""Rendered reports kept per ledger (the least recently written are removed)."""
_REPORT_CODE = ("figures.py", "report.py", "actions.py")


def memo_path(ledger: Path, key: str | None, options: dict[str, Any]) -> Path | None:
    """Where the rendered report for ``options`` (month, team, format...) is kept, or None
    when caches are off.  The name covers the convention, the code and the options."""
    code = code_digest(*_REPORT_CODE)
    if key is None or code is None or not caches_enabled():
        return None
    name = json.dumps([key, code, options], sort_keys=True)
    digest = hashlib.blake2b(name.encode(), digest_size=16).hexdigest()
    return ledger.with_name(ledger.name + ".cache.d") / f"report-{digest}"


@dataclass(frozen=True)
class Memo:
    """A usable rendered report: the memo file, open (so that another command replacing or
    removing it meanwhile changes nothing), where its text starts, and whether it alerts."""

    handle: BinaryIO
    length: int
    alerting: bool

    def chunks(self) -> Iterator[bytes]:
        with self.handle:
            left = self.length
            while left > 0:
                chunk = self.handle.read(min(CHUNK, left))
                if not chunk:  # cannot happen: memos are replaced, never changed in place
                    raise OSError("report memo shortened while read")
                left -= len(chunk)
                yield chunk


def read_memo(path: Path | None, fd: int | None, as_of: dt.date) -> Memo | None:
    """The memo at ``path`` if the ledger still holds exactly what the report was computed
    from: the same bytes up to the last line it depended on, then only well-formed entries
    dated after ``as_of`` (appended since, which the report ignores)."""
    if path is None or fd is None:
        return None
    handle: BinaryIO | None = None
    try:
        handle = open(path, "rb")  # noqa: SIM115 - kept open by the Memo returned
        header = json.loads(handle.readline(65_536))
        length = os.fstat(handle.fileno()).st_size - handle.tell()
        offset, size = int(header["offset"]), os.fstat(fd).st_size
        usable = header.get("as_of") == as_of.isoformat() and header.get("length") == length and offset <= size
        digested = prefix_digest(fd, offset) if usable else None
        if digested is not None and digested.hexdigest() == header["digest"] \
                and _all_after(read_range(fd, offset, size), as_of):
            return Memo(handle, length, bool(header["alerting"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    if handle is not None:
        handle.close()
    return None


def _all_after(tail: bytes, as_of: dt.date) -> bool:
    """Whether every line of ``tail`` is a well-formed entry (or a comment) dated after
    ``as_of``; read about a megabyte at a time, keeping no entry."""
    for block in line_blocks(tail, len(tail), CHUNK):
        part = parse_ledger_bytes(block, "", first_line=2)
        if part.problems or any(e.date <= as_of for e in part.entries):
            return False
    return True


def write_memo(path: Path | None, data: bytes, depends_on: bytes, as_of: dt.date, *, alerting: bool) -> None:
    """Keep a rendered report; ``depends_on`` is the start of the ledger up to (and with)
    the last line the report depended on."""
    if path is None:
        return
    digest = bytes_digest(depends_on)
    header = {"as_of": as_of.isoformat(), "offset": len(depends_on), "lines": depends_on.count(b"\n"),
              "digest": digest.hexdigest(), "alerting": alerting,
              "length": len(data)}
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(json.dumps(header).encode() + b"\n")
            handle.write(data)
        os.replace(temporary, path)
        kept = sorted(path.parent.glob("report-*"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in kept[MEMO_LIMIT:]:
            old.unlink()
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
