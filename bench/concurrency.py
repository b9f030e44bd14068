"""Concurrency harness: many writers against tight limits; exactly what fits is accepted.

    python bench/concurrency.py [--processes 8] [--commitments 50] [--amount 1000]
    python bench/concurrency.py --readers 4


Each process commits ``--commitments`` times ``--amount`` € to the same team of the
reference convention (cap 125 000 €), through the same code path as `delegation commit`,
all at once.  Afterwards: the accepted total equals exactly what fits under the cap, the
ledger has one line per success, every line parses (no two lines interleave), every id is
unique, and `delegation check` accepts the ledger.  With ``--readers N``, N processes run
`check` again and again while another closes eleven months and appends between closings: no
read may see the intact ledger as broken.  Prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

WORKER = """
import datetime as dt, sys
from pathlib import Path
from delegation_cli.store.actions import draft_commitment, record, stamp
from delegation_cli.store.convention import require_convention
from delegation_cli.core.errors import DelegationError

loaded = require_convention(Path("convention.yaml"))
path = loaded.ledger_path()
worker, count, amount = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ok = refused = 0
for i in range(count):
    build = draft_commitment(loaded.convention, team="friches", amount=amount * 100,
                               date=dt.date(2020, 3, 1), ref=f"BC-{worker}-{i}", marche=None,
                               prestation=None, label="", stamp=stamp(f"w{worker}"))
    try:
        record(loaded, path, build, dry_run=False)
        ok += 1
    except DelegationError:
        refused += 1
print(ok, refused)
"""

CAP_CENTS = 125_000_00


def run(processes: int, commitments: int, amount: int, workdir: Path) -> dict[str, object]:
    from tests.support import read_ledger

    seed_text = (ROOT / "examples" / "fabrique-numerique-s3.yaml").read_text(encoding="utf-8")
    (workdir / "convention.yaml").write_text(
        seed_text.replace("ledger: ledgers/fabrique-numerique-s3.ledger", "ledger: concurrent.ledger"),
        encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(w), str(commitments), str(amount)], cwd=workdir,
                              stdout=subprocess.PIPE, text=True, env=env) for w in range(processes)]
    results = [tuple(map(int, p.communicate()[0].split())) for p in procs]
    seconds = time.monotonic() - started
    accepted = sum(r[0] for r in results)
    refused = sum(r[1] for r in results)
    ledger = read_ledger(workdir / "concurrent.ledger")
    lines = (workdir / "concurrent.ledger").read_text(encoding="utf-8").splitlines()[1:]
    fits = min(processes * commitments, CAP_CENTS // (amount * 100))
    check = subprocess.run([sys.executable, "-m", "delegation_cli", "check"], cwd=workdir, capture_output=True,
                           text=True, env=env, check=False)
    failures = []
    if accepted != fits:
        failures.append(f"{accepted} accepted, {fits} fit")
    if len(lines) != accepted or len(ledger.entries) != accepted:
        failures.append(f"{len(lines)} lines, {len(ledger.entries)} entries for {accepted} successes")
    if ledger.problems:
        failures.append(f"unreadable lines: {[p.render() for p in ledger.problems[:3]]}")
    if len({e.id for e in ledger.entries}) != len(ledger.entries):
        failures.append("duplicate ids")
    if sum(e.amount for e in ledger.entries) != fits * amount * 100:
        failures.append("accepted total differs from what fits")
    if check.returncode != 0:
        failures.append(f"check failed: {check.stderr[:200]}")
    return {"processes": processes, "attempts": processes * commitments, "accepted": accepted, "refused": refused,
            "fit": fits, "lines": len(lines), "unique_ids": len({e.id for e in ledger.entries}),
            "seconds": round(seconds, 1), "appends_per_second": round((accepted + refused) / seconds, 1),
            "failures": failures}


CLOSER = """
import datetime as dt, sys
from pathlib import Path
from delegation_cli.store.actions import close_month, draft_commitment, record, stamp
from delegation_cli.store.convention import require_convention

loaded = require_convention(Path("convention.yaml"))
path = loaded.ledger_path()
for month in range(1, 12):
    close_month(loaded, path, f"2020-{month:02d}", author="closer", today=dt.date(2021, 1, 1), dry_run=False)
    for i in range(int(sys.argv[1])):
        build = draft_commitment(loaded.convention, team="friches", amount=100, date=dt.date(2020, month + 1, 2),
                                 ref=f"BC-late-{month}-{i}", marche=None, prestation=None, label="", stamp=stamp("w"))
        record(loaded, path, build, dry_run=False)
print("done", flush=True)
"""

READER = """
import sys, time
from pathlib import Path
from delegation_cli.store.actions import run_check
from delegation_cli.core.errors import DelegationError

runs = false = 0
first = ""
stop = Path(sys.argv[1])
while True:
    result = run_check(Path("convention.yaml"))
    runs += 1
    if result.errors:
        false += 1
        first = first or result.problems[0].render()
    if runs == 1:
        print("ready", flush=True)  # reading: the closer may start
    if stop.exists():
        break
print(runs, false, first.replace(" ", "_") or "-", flush=True)
"""


def readers_and_closers(readers: int, per_month: int, workdir: Path) -> dict[str, object]:
    """``readers`` processes run `check` again and again while another closes eleven months of
    a sound ledger and appends between the closings: a reader must never see an intact ledger
    as broken (it reads under a shared lock, up to the size the file had when it began)."""
    seed_text = (ROOT / "examples" / "fabrique-numerique-s3.yaml").read_text(encoding="utf-8")
    (workdir / "convention.yaml").write_text(
        seed_text.replace("ledger: ledgers/fabrique-numerique-s3.ledger", "ledger: readers.ledger"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stop = workdir / "stop"
    seed_script = _seed_months(workdir, env)
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", READER, str(stop)], cwd=workdir, stdout=subprocess.PIPE,
                              text=True, env=env) for __ in range(readers)]
    for proc in procs:  # every reader is reading before the first month is closed
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    closer = subprocess.run([sys.executable, "-c", CLOSER, str(per_month)], cwd=workdir, capture_output=True,
                            text=True, env=env, check=False)
    stop.write_text("")
    outputs = [p.communicate()[0].split() for p in procs]
    seconds = time.monotonic() - started
    runs = sum(int(o[0]) for o in outputs)
    false = sum(int(o[1]) for o in outputs)
    failures = [] if closer.returncode == 0 else [f"closer failed: {closer.stderr[-300:]}"]
    if false:
        failures.append(f"{false} of {runs} reads saw an intact ledger as broken: "
                        f"{next(o[2] for o in outputs if o[2] != '-').replace('_', ' ')}")
    check = subprocess.run([sys.executable, "-m", "delegation_cli", "check"], cwd=workdir, capture_output=True,
                           text=True, env=env, check=False)
    if check.returncode != 0:
        failures.append(f"check failed afterwards: {check.stderr[:200]}")
    return {"readers": readers, "reads": runs, "false_alarms": false, "seals": 11, "entries": seed_script,
            "seconds": round(seconds, 1), "failures": failures}


def _seed_months(workdir: Path, env: dict[str, str]) -> int:
    """A ledger with commitments in every month of 2020 (what the closer seals)."""
    rows = ["date,kind,team,amount,ref"]
    rows += [f"2020-{month:02d}-01,commitment,{team},10,BC-{month}-{team}" for month in range(1, 13)
             for team in ("friches", "acces-4-all", "biocarburants")]
    (workdir / "seed.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "delegation_cli", "import", "seed.csv"], cwd=workdir, check=True,
                   capture_output=True, env=env)
    return len(rows) - 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--commitments", type=int, default=50)
    parser.add_argument("--amount", type=int, default=1000, help="euros per commitment")
    parser.add_argument("--readers", type=int, default=0,
                        help="instead: this many readers run `check` while a process closes months")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.readers:
            figures = readers_and_closers(args.readers, 20, Path(tmp))
        else:
            figures = run(args.processes, args.commitments, args.amount, Path(tmp))
    print(json.dumps(figures, indent=2))
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
