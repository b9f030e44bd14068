"""Crash harness: a writer killed with SIGKILL at random moments never loses an acknowledged entry.

    python bench/crash.py [--kills 100] [--min-appends 200] [--seed 1]

Each round starts a writer process that appends commitments to a ledger through the same
code path as `delegation commit`, printing each entry's reference once the append has
returned (after fsync): that print is the acknowledgement.  The harness kills it with
SIGKILL after a random delay, then checks the invariants:

1. every acknowledged entry is present and intact (it parses, with its reference);
2. at most the last line is torn, and nothing else is wrong with the file;
3. if a line is torn, `delegation check` reports it and `check --repair` restores a ledger
   that `check` accepts, without losing an acknowledged entry.

It also cuts the file at every byte of its last line (a crash inside `write`, which SIGKILL
cannot produce on a local file) and checks that the reader reports the torn line and that
repair gives back exactly the previous bytes.  It prints the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

WRITER = """
import datetime as dt, sys
from pathlib import Path
from delegation_cli.actions import draft_commitment, record, stamp as stamp_of
from delegation_cli.convention import require_convention

loaded = require_convention(Path("convention.yaml"))
path = loaded.ledger_path()
stamp = stamp_of("crash")
teams = [t.id for t in loaded.convention.teams]
for i in range(int(sys.argv[1]), 10**9):
    build = draft_commitment(loaded.convention, team=teams[i % len(teams)], amount=1,
                               date=dt.date(2020, 3, 1), ref=f"BC-{i}", marche=None, prestation=None,
                               label="x" * (i % 300), stamp=stamp)
    record(loaded, path, build, dry_run=False)
    print(f"BC-{i}", flush=True)
"""


def _delegation(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "delegation_cli", *args], cwd=cwd, capture_output=True,
                          text=True, check=False)


def run(kills: int, min_appends: int, seed: int, workdir: Path, *, cut: bool = True) -> dict[str, object]:
    from delegation_cli.ledger import parse_ledger_bytes

    seed_text = (ROOT / "examples" / "fabrique-numerique-s3.yaml").read_text(encoding="utf-8")
    (workdir / "convention.yaml").write_text(
        seed_text.replace("ledger: ledgers/fabrique-numerique-s3.ledger", "ledger: crash.ledger"), encoding="utf-8")
    ledger = workdir / "crash.ledger"
    rng = random.Random(seed)
    acknowledged: list[str] = []
    torn_seen = repairs = rounds = 0
    failures: list[str] = []
    start = 0
    started = time.monotonic()
    while rounds < kills or len(acknowledged) < min_appends:
        if rounds >= 10 * (kills + min_appends):
            failures.append(f"the writers made no progress in {rounds} rounds")
            break
        rounds += 1
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(start)], cwd=workdir,
                                stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        time.sleep(rng.uniform(0.25, 0.9))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        acknowledged += out.split()
        state = parse_ledger_bytes(ledger.read_bytes() if ledger.exists() else b"", str(ledger))
        refs = {e.ref for e in state.entries}
        lost = [r for r in acknowledged if r not in refs]
        if lost:
            failures.append(f"round {rounds}: acknowledged entries lost: {lost[:5]}")
        codes = [p.code for p in state.problems]
        if codes not in ([], ["ledger-torn-line"]):
            failures.append(f"round {rounds}: unexpected problems {codes}")
        if state.torn:
            torn_seen += 1
            if "incomplete" not in _delegation("check", cwd=workdir).stderr:
                failures.append(f"round {rounds}: check did not report the torn line")
            if _delegation("check", "--repair", cwd=workdir).returncode != 0:
                failures.append(f"round {rounds}: repair failed")
            repairs += 1
        if ledger.exists() and _delegation("check", cwd=workdir).returncode != 0:
            failures.append(f"round {rounds}: check failed after the kill")
        start = (rounds + 1) * 1_000_000
    cut_points = _cut_everywhere(workdir, ledger, failures) if cut else 0
    return {
        "kills": rounds, "acknowledged_appends": len(acknowledged), "torn_lines_seen": torn_seen,
        "repairs": repairs, "cut_points_checked": cut_points, "failures": failures,
        "seconds": round(time.monotonic() - started, 1),
    }


def _complete(line: bytes) -> bool:
    """Whether a cut last line is whole but for its newline: it ends with the checksum of
    what precedes it (repair then keeps it; any other cut is moved aside)."""
    import zlib

    body, sep, crc = line.rpartition(b" crc=")
    return bool(sep) and crc == b"%08x" % zlib.crc32(body)


def _cut_everywhere(workdir: Path, ledger: Path, failures: list[str]) -> int:
    from delegation_cli.ledger import parse_ledger_bytes

    full = ledger.read_bytes()
    complete = full[: full.rstrip(b"\n").rfind(b"\n") + 1]
    checked = 0
    for cut in range(len(complete) + 1, len(full)):
        ledger.write_bytes(full[:cut])
        state = parse_ledger_bytes(full[:cut], str(ledger))
        if [p.code for p in state.problems] != ["ledger-torn-line"]:
            failures.append(f"cut at byte {cut}: {[p.code for p in state.problems]}")
        for side in workdir.glob("crash.ledger.torn-*"):
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
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(args.kills, args.min_appends, args.seed, Path(tmp))
    print(json.dumps(figures, indent=2))
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
