"""Crash harness: writers killed with SIGKILL at random moments never lose an acknowledged
entry, and an interrupted import never leaves part of its rows behind.

    python bench/crash.py [--kills 100] [--min-appends 200] [--seed 1]
                          [--writers commit,import,close] [--import-rows 8000]

This module owns the crash harness: the writer processes it kills, the invariants it checks
after every kill, and the figures it prints as one JSON object.  Each round starts one
writer process on a ledger of a ten-year convention (bench/generate.py, no entries), of a
kind drawn from ``--writers`` (default: ``commit`` only, as before):

* ``commit``: appends commitments one by one through the same code path as
  `delegation commit`, printing each reference once the append has returned (after fsync):
  that print is the acknowledgement;
* ``import``: imports a CSV of ``--import-rows`` commitments (thousands of rows: one write
  of a block of about a megabyte) through the same code path as `delegation import`, and
  prints once the import has returned.  Half of these writers are killed after a random
  delay (*timed*); the other half (*watched*) as soon as the ledger has grown past a random point of the block
  being written (the harness watches the file's size), so that the kill lands inside the
  write — the kernel stops a large write at a fatal signal, between two pages;
* ``close``: alternates an append (a commitment dated in the next open month) with
  `delegation close` of that month, printing each reference and each seal's id once its call
  has returned.

Each writer says when it has loaded the program and the convention.  The harness then waits
for a random number of acknowledgements (0–12 for ``commit``, 0–8 for ``close``, none for a
timed ``import``) and a random part of the time one more call takes (measured on the last
one), and kills the writer with SIGKILL: the kills land anywhere in the calls, however long
the ledger makes them.  Then it checks:

1. every acknowledged entry (commitment, seal, every row of an acknowledged import) is
   present and intact;
2. the only problems are the interrupted write's: ``ledger-torn-line`` (a single-line
   writer), or ``ledger-torn-line`` and/or ``ledger-torn-block`` (an import), and
   `delegation check --format json` reports exactly those;
3. after `check --repair`, the ledger holds either every row of the killed import or none
   of them (counted by their references: a partial block is a failure), nothing else is
   wrong, no acknowledged entry was moved aside, and `delegation check` accepts the ledger.

A ledger is started afresh (an *episode*) when it exceeds ``--rotate-mb`` or when the closer
has sealed every month it may (months that are over); what was acknowledged in it is checked
first.  At the end, the file is cut at every byte of its last line (a crash inside a
single-line `write`; the run's ledger, or a fresh one ending with two commitments when it
is large or the run had other writers) and the harness checks that the reader reports the
torn line and that repair gives back exactly the previous bytes (or keeps a line whose
checksum proves it whole).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from delegation_cli.core.entries import Entry

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

WRITERS = ("commit", "import", "close")
LEDGER = "crash.ledger"
LATE = "2029-12-01"
"""The date of the commit and import writers' entries: after every month the closer seals."""

WRITER = """
import datetime as dt, sys
from pathlib import Path
from delegation_cli.store.actions import draft_commitment, record, stamp as stamp_of
from delegation_cli.store.convention import require_convention

loaded = require_convention(Path("convention.yaml"))
path = loaded.ledger_path()
stamp = stamp_of("crash")
teams = [t.id for t in loaded.convention.teams]
date = dt.date.fromisoformat(sys.argv[2])
print("START", flush=True)
for i in range(int(sys.argv[1]), 10**9):
    build = draft_commitment(loaded.convention, team=teams[i % len(teams)], amount=1,
                               date=date, ref=f"BC-{i}", marche=None, prestation=None,
                               label="x" * (i % 300), stamp=stamp)
    record(loaded, path, build, dry_run=False)
    print(f"BC-{i}", flush=True)
"""

IMPORTER = """
import sys, time
from pathlib import Path
from delegation_cli.store.actions import stamp
from delegation_cli.store.convention import require_convention
from delegation_cli.store.importer import import_csv

loaded = require_convention(Path("convention.yaml"))
print("START", flush=True)
started = time.monotonic()
result = import_csv(loaded, loaded.ledger_path(), Path(sys.argv[1]), dry_run=False, stamp=stamp("crash"))
print("IMPORT", sys.argv[2], len(result.entries), time.monotonic() - started, flush=True)
"""

CLOSER = """
import datetime as dt, sys
from pathlib import Path
from delegation_cli.store.actions import close_month, draft_commitment, record, stamp as stamp_of
from delegation_cli.store.convention import require_convention
from tests.support import read_ledger

loaded = require_convention(Path("convention.yaml"))
path = loaded.ledger_path()
teams = [t.id for t in loaded.convention.teams]
sealed = [e.month for e in read_ledger(path).entries if e.kind == "seal"]
year, month = map(int, (max(sealed) if sealed else "2019-12").split("-"))
today = dt.date.today()
print("START", flush=True)
for i in range(int(sys.argv[1]), 10**9):
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if (year, month) >= (2029, 11) or dt.date(year, month, 1) + dt.timedelta(days=40) >= today:
        print("FULL", flush=True)  # no month left to close: the harness starts a new ledger
        break
    build = draft_commitment(loaded.convention, team=teams[i % len(teams)], amount=1, date=dt.date(year, month, 5),
                             ref=f"CL-{i}", marche=None, prestation=None, label="", stamp=stamp_of("crash"))
    record(loaded, path, build, dry_run=False)
    print(f"CL-{i}", flush=True)
    seal = close_month(loaded, path, f"{year}-{month:02d}", author="crash", today=today, dry_run=False)
    print("SEAL", seal.id, flush=True)
"""


def _delegation(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "delegation_cli", *args], cwd=cwd, capture_output=True,
                          text=True, check=False, env=_env())


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": ""}


def convention_text() -> str:
    """A convention over ten years (2020–2029) and forty teams with room for millions of
    one-cent commitments: the closer has months to seal, the writers never hit a limit."""
    spec = importlib.util.spec_from_file_location("bench_generate", HERE / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text, __ = module.generate(0)
    return str(text).replace("ledger: ledger.ledger", f"ledger: {LEDGER}")


class Figures:
    """What a run counts (a plain class: the harness is loaded from its file by the tests)."""

    def __init__(self) -> None:
        self.rounds = 0
        self.by_writer = dict.fromkeys(WRITERS, 0)
        self.acknowledged_appends = self.acknowledged_entries = self.seals_acknowledged = 0
        self.imports_acknowledged = self.imports_killed_mid_block = self.imports_whole_unacknowledged = 0
        self.imports_nothing_written = self.imports_watched = self.imports_killed_on_growth = 0
        self.partial_blocks_after_repair = self.torn_lines_seen = self.torn_blocks_seen = self.repairs = 0
        self.episodes = 1
        self.failures: list[str] = []


class Harness:
    """The rounds of one run: the ledger of the current episode, what was acknowledged in
    it, the figures."""

    def __init__(self, workdir: Path, seed: int, import_rows: int, rotate_bytes: int):
        from delegation_cli.core.lines import header_line

        self.workdir = workdir
        self.ledger = workdir / LEDGER
        self.header = (header_line("bench") + "\n").encode("utf-8")
        self.rng = random.Random(seed)
        self.import_rows = import_rows
        self.rotate_bytes = rotate_bytes
        self.figures = Figures()
        self.refs: set[str] = set()  # acknowledged references of this episode
        self.seals: set[str] = set()  # acknowledged seal ids of this episode
        self.imports: dict[str, int] = {}  # acknowledged imports of this episode: prefix -> rows
        self.next_ref = 0
        self.bytes_per_row = 125  # learnt from the first import written whole
        self.call_seconds = {"commit": 0.1, "close": 0.2, "import": 1.5}  # learnt from the calls acknowledged
        (workdir / "convention.yaml").write_text(convention_text(), encoding="utf-8")
        self.ledger.write_bytes(self.header)

    def fail(self, text: str) -> None:
        self.figures.failures.append(f"round {self.figures.rounds}: {text}")

    # One round ---------------------------------------------------------------------------

    def round(self, kind: str) -> None:
        f = self.figures
        f.rounds += 1
        f.by_writer[kind] += 1
        start = self.next_ref
        self.next_ref += 1_000_000
        before = self.ledger.stat().st_size
        prefix = None
        if kind == "commit":
            out = self._kill_after_acks(self._start(WRITER, str(start), LATE), kind, self.rng.randint(0, 12))
        elif kind == "close":
            out = self._kill_after_acks(self._start(CLOSER, str(start)), kind, self.rng.randint(0, 8))
        else:
            prefix = f"BC-imp{start}-"
            self._write_csv(prefix)
            proc = self._start(IMPORTER, "rows.csv", prefix)
            if self.rng.random() < 0.5:
                self.figures.imports_watched += 1
                target = before + int(self.rng.random() * self.import_rows * self.bytes_per_row)
                out = self._kill_on_growth(proc, target)
            else:
                out = self._kill_after_acks(proc, kind, 0)
        full = self._acknowledge(out.split("\n"))
        self._check_after_kill(kind, before, prefix)
        if full or self.ledger.stat().st_size > self.rotate_bytes:
            self.new_episode()

    def _start(self, script: str, *args: str) -> subprocess.Popen[str]:
        """A writer process, once it has loaded the program and the convention (it says
        START then): the kills land in its work, not in Python's start-up."""
        proc = subprocess.Popen([sys.executable, "-c", script, *args], cwd=self.workdir, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env())
        assert proc.stdout is not None
        proc.stdout.readline()
        return proc

    def _kill_after_acks(self, proc: subprocess.Popen[str], kind: str, acks: int) -> str:
        """SIGKILL after ``acks`` acknowledgements, then a random part of the time one more
        call takes (as long as the last one did, up to 20 % more): the kills land anywhere in
        a call, whatever the size of the ledger makes it last."""
        assert proc.stdout is not None
        lines = []
        last = time.monotonic()
        for __ in range(acks):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            now = time.monotonic()
            self.call_seconds[kind] = now - last
            last = now
        time.sleep(self.rng.uniform(0, 1.2 * self.call_seconds[kind]))
        return "".join(lines) + self._kill(proc)

    def _kill(self, proc: subprocess.Popen[str]) -> str:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        if proc.returncode != -signal.SIGKILL:  # it ended by itself: it must have ended well
            if proc.returncode != 0 or "Traceback" in err:
                self.fail(f"the writer ended with {proc.returncode}: {err[-500:]}")
        return out

    def _kill_on_growth(self, proc: subprocess.Popen[str], target: int) -> str:
        """SIGKILL as soon as the ledger is longer than ``target`` bytes (inside the write of
        the block, most often), or when the writer ends by itself."""
        fd = os.open(self.ledger, os.O_RDONLY)
        fstat = os.fstat
        deadline = time.monotonic() + 120
        grown = False
        try:
            while not grown and proc.poll() is None and time.monotonic() < deadline:
                for __ in range(2000):
                    if fstat(fd).st_size > target:
                        grown = True
                        break
        finally:
            if grown and proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            os.close(fd)
        self.figures.imports_killed_on_growth += grown
        return self._kill(proc)

    def _write_csv(self, prefix: str) -> None:
        rows = ["date,kind,team,amount,ref,label"]
        rows += [f"{LATE},commitment,team-{j % 40:02d},0.01,{prefix}{j},ligne {j} de l'import"
                 for j in range(self.import_rows)]
        (self.workdir / "rows.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    def _acknowledge(self, lines: list[str]) -> bool:
        f = self.figures
        full = False
        for line in lines:
            words = line.split()
            if not words:
                continue
            if words[0] == "FULL":
                full = True
            elif words[0] == "SEAL":
                self.seals.add(words[1])
                f.acknowledged_appends += 1
                f.seals_acknowledged += 1
            elif words[0] == "IMPORT":
                self.imports[words[1]] = int(words[2])
                self.call_seconds["import"] = float(words[3])
                f.acknowledged_appends += 1
                f.acknowledged_entries += int(words[2])
                f.imports_acknowledged += 1
            else:
                self.refs.add(words[0])
                f.acknowledged_appends += 1
                f.acknowledged_entries += 1
        return full

    def _check_after_kill(self, kind: str, before: int, prefix: str | None) -> None:
        from tests.support import parse_ledger_bytes

        f = self.figures
        data = self.ledger.read_bytes()
        state = parse_ledger_bytes(data, LEDGER)
        codes = [p.code for p in state.problems]
        allowed: list[list[str]] = [[], ["ledger-torn-line"]]
        if prefix is not None:
            allowed += [["ledger-torn-block"], ["ledger-torn-block", "ledger-torn-line"]]
        if codes not in allowed:
            self.fail(f"{kind}: unexpected problems after the kill: {[p.render() for p in state.problems][:5]}")
        self._present(state.entries, "after the kill")
        f.torn_lines_seen += "ledger-torn-line" in codes
        f.torn_blocks_seen += "ledger-torn-block" in codes
        if prefix is not None:
            written = sum(1 for e in state.entries if e.ref is not None and e.ref.startswith(prefix))
            if codes:
                f.imports_killed_mid_block += 1
            elif written == self.import_rows:
                if prefix not in self.imports:
                    f.imports_whole_unacknowledged += 1
                self.bytes_per_row = max(1, (len(data) - before) // self.import_rows)
            elif written == 0 and len(data) == before:
                f.imports_nothing_written += 1
            else:
                self.fail(f"import: {written} of {self.import_rows} rows and no problem reported")
        if codes:
            self._repair(codes, prefix)
        elif len(data) != before and not data.endswith(b"\n"):
            self.fail("the ledger does not end with a newline, and no problem was reported")
        check = _delegation("check", cwd=self.workdir)
        if check.returncode != 0:
            self.fail(f"check exits {check.returncode} after the kill: {check.stderr[:300]}")

    def _repair(self, codes: list[str], prefix: str | None) -> None:
        from tests.support import parse_ledger_bytes

        f = self.figures
        reported = _delegation("check", "--format", "json", cwd=self.workdir)
        try:
            found = [p["code"] for p in json.loads(reported.stdout)]
        except (ValueError, TypeError, KeyError):
            found = None
        if reported.returncode != 1 or found != codes:
            self.fail(f"check --format json reports {found} (exit {reported.returncode}) for {codes}")
        repaired = _delegation("check", "--repair", cwd=self.workdir)
        f.repairs += 1
        if repaired.returncode != 0:
            self.fail(f"check --repair exits {repaired.returncode}: {repaired.stderr[:300]}")
        state = parse_ledger_bytes(self.ledger.read_bytes(), LEDGER)
        if state.problems:
            self.fail(f"after repair: {[p.render() for p in state.problems][:5]}")
        self._present(state.entries, "after repair")
        if prefix is not None:
            written = sum(1 for e in state.entries if e.ref is not None and e.ref.startswith(prefix))
            if written not in (0, self.import_rows):
                f.partial_blocks_after_repair += 1
                self.fail(f"a partial block after repair: {written} of the import's {self.import_rows} rows")

    def _present(self, entries: Sequence[Entry], when: str) -> None:
        refs = {e.ref for e in entries}
        ids = {e.id for e in entries}
        lost = sorted(r for r in self.refs if r not in refs)
        lost += sorted(s for s in self.seals if s not in ids)
        for prefix, rows in self.imports.items():
            count = sum(1 for r in refs if isinstance(r, str) and r.startswith(prefix))
            if count != rows:
                lost.append(f"{rows - count} rows of the acknowledged import {prefix}*")
        if lost:
            self.fail(f"acknowledged entries lost {when}: {lost[:5]}")

    def new_episode(self) -> None:
        for side in self.workdir.glob(f"{LEDGER}*"):
            side.unlink()
        self.ledger.write_bytes(self.header)
        self.refs.clear()
        self.seals.clear()
        self.imports.clear()
        self.figures.episodes += 1


def run(kills: int, min_appends: int, seed: int, workdir: Path, *, cut: bool = True,
        writers: tuple[str, ...] = ("commit",), import_rows: int = 8000,
        rotate_bytes: int = 2_500_000) -> dict[str, object]:
    """``kills`` rounds at least (and until ``min_appends`` appends were acknowledged), each
    of a writer kind drawn from ``writers``; the figures, with ``failures`` empty when every
    invariant held."""
    unknown = set(writers) - set(WRITERS)
    if unknown or not writers:
        raise ValueError(f"writers must be among {WRITERS}, not {sorted(unknown) or 'none'}")
    started = time.monotonic()
    harness = Harness(workdir, seed, import_rows, rotate_bytes)
    f = harness.figures
    while f.rounds < kills or f.acknowledged_appends < min_appends:
        if f.rounds >= 10 * (kills + min_appends):
            f.failures.append(f"the writers made no progress in {f.rounds} rounds")
            break
        harness.round(harness.rng.choice(writers))
    cut_points = 0
    if cut:
        if harness.ledger.stat().st_size > 1_000_000:  # every cut is a repair that reads the file: keep it short
            harness.new_episode()
        if writers != ("commit",) or not harness.refs:  # the last write must be a single line
            for n in range(2):
                _delegation("commit", "--team", "team-00", "0.01", "--date", LATE, "--ref", f"BC-last-{n}",
                            "--label", "dernière ligne", cwd=workdir)
        cut_points = _cut_everywhere(workdir, harness.ledger, f.failures)
    imports = {
        "rows_each": import_rows, "killed": f.by_writer["import"], "acknowledged": f.imports_acknowledged,
        "killed_mid_block": f.imports_killed_mid_block, "whole_unacknowledged": f.imports_whole_unacknowledged,
        "nothing_written": f.imports_nothing_written, "watched": f.imports_watched,
        "killed_on_growth": f.imports_killed_on_growth,
    }
    return {
        "kills": f.rounds, "writers": f.by_writer, "acknowledged_appends": f.acknowledged_appends,
        "acknowledged_entries": f.acknowledged_entries, "seals_acknowledged": f.seals_acknowledged,
        "imports": imports, "partial_blocks_after_repair": f.partial_blocks_after_repair,
        "torn_lines_seen": f.torn_lines_seen, "torn_blocks_seen": f.torn_blocks_seen, "repairs": f.repairs,
        "episodes": f.episodes, "cut_points_checked": cut_points, "failures": f.failures,
        "seconds": round(time.monotonic() - started, 1),
    }


def _complete(line: bytes) -> bool:
    """Whether a cut last line is whole but for its newline: it ends with the checksum of
    what precedes it (repair then keeps it; any other cut is moved aside)."""
    body, sep, crc = line.rpartition(b" crc=")
    return bool(sep) and crc == b"%08x" % zlib.crc32(body)


def _cut_everywhere(workdir: Path, ledger: Path, failures: list[str]) -> int:
    from tests.support import parse_ledger_bytes

    full = ledger.read_bytes()
    complete = full[: full.rstrip(b"\n").rfind(b"\n") + 1]
    checked = 0
    for cut in range(len(complete) + 1, len(full)):
        ledger.write_bytes(full[:cut])
        state = parse_ledger_bytes(full[:cut], str(ledger))
        if [p.code for p in state.problems] != ["ledger-torn-line"]:
            failures.append(f"cut at byte {cut}: {[p.code for p in state.problems]}")
        for side in workdir.glob(f"{LEDGER}.torn-*"):
            side.unlink()
        expected = full[:cut] + b"\n" if _complete(full[len(complete):cut]) else complete
        if _delegation("check", "--repair", cwd=workdir).returncode != 0 or ledger.read_bytes() != expected:
            failures.append(f"cut at byte {cut}: repair did not restore the previous bytes")
        checked += 1
    ledger.write_bytes(full)
    return checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--min-appends", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writers", default="commit",
                        help="comma-separated writer kinds drawn at random for each round: commit, import, close")
    parser.add_argument("--import-rows", type=int, default=8000, help="rows of each imported CSV")
    parser.add_argument("--rotate-mb", type=float, default=2.5, help="start a new ledger beyond this size")
    args = parser.parse_args(argv)
    writers = tuple(w.strip() for w in args.writers.split(",") if w.strip())
    if set(writers) - set(WRITERS) or not writers:
        parser.error(f"--writers: choose among {', '.join(WRITERS)}")
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(args.kills, args.min_appends, args.seed, Path(tmp), writers=writers,
                      import_rows=args.import_rows, rotate_bytes=int(args.rotate_mb * 1_000_000))
    print(json.dumps(figures, indent=2))
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
