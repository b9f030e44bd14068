"""Durability and concurrency of the ledger, with real processes.

* 8 processes commit concurrently to one team whose cap admits only some of them: exactly
  what fits is accepted, the rest refused, no line lost or interleaved.
* A writer killed with SIGKILL at random moments never loses an acknowledged entry; at most
  the last line is torn, and `check --repair` restores a clean ledger.
* A crash is simulated at every byte of a last append (the file cut there): the reader
  reports the torn line with its number and repair keeps every complete entry.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from delegation_cli.ledger import parse_ledger_bytes, read_ledger

from .conftest import SEED_TEXT, Cli


def _seed(tmp_path: Path) -> Path:
    path = tmp_path / "convention.yaml"
    path.write_text(SEED_TEXT.replace("ledger: ledgers/fabrique-numerique-s3.ledger",
                                      "ledger: seed.ledger"), encoding="utf-8")
    return path


def test_concurrent_writers_cannot_both_pass_a_check_only_one_fits_in(tmp_path: Path) -> None:
    _seed(tmp_path)
    # friches' cap is 125 000 €: 8 processes × 3 commitments of 10 000 € -> exactly 12 fit.
    script = (
        "import subprocess, sys\n"
        "codes = []\n"
        "for i in range(3):\n"
        "    r = subprocess.run([sys.executable, '-m', 'delegation_cli', 'commit', '--team',\n"
        "        'friches', '10000', '--date', '2020-03-01', '--ref', f'BC-{sys.argv[1]}-{i}'],\n"
        "        capture_output=True, text=True)\n"
        "    codes.append(str(r.returncode))\n"
        "print(' '.join(codes))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(n)], cwd=tmp_path,
                              stdout=subprocess.PIPE, text=True) for n in range(8)]
    codes = [code for p in procs for code in p.communicate(timeout=300)[0].split()]
    assert sorted(codes) == ["0"] * 12 + ["1"] * 12
    ledger = read_ledger(tmp_path / "seed.ledger")
    assert ledger.problems == []
    assert len(ledger.entries) == 12
    assert sum(e.amount for e in ledger.entries) == 120_000_00
    assert len({e.id for e in ledger.entries}) == 12
    assert len({e.ref for e in ledger.entries}) == 12
    lines = (tmp_path / "seed.ledger").read_text().splitlines()
    assert len(lines) == 13


WRITER = """
import datetime as dt, sys
from pathlib import Path
from delegation_cli.actions import Stamp, commitment_builder, record
from delegation_cli.convention import require_convention

loaded = require_convention(Path("convention.yaml"))
path = loaded.ledger_path()
stamp = Stamp.now("crash")
for i in range(int(sys.argv[1]), 10**6):
    team = ("friches", "biocarburants", "acces-4-all")[i % 3]
    build = commitment_builder(loaded.convention, team=team, amount=1, date=dt.date(2020, 3, 1),
                               ref=f"BC-{i}", marche=None, prestation=None,
                               label="x" * (i % 200), stamp=stamp)
    outcome = record(loaded, path, build, dry_run=False)
    print(outcome.entry.ref, flush=True)
"""


def test_sigkill_never_loses_an_acknowledged_entry(tmp_path: Path, cli: Cli) -> None:
    _seed(tmp_path)
    ledger_path = tmp_path / "seed.ledger"
    acknowledged: list[str] = []
    rng = random.Random(20191209)
    start = 0
    for round_ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(start)], cwd=tmp_path,
                                stdout=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.6, 1.2))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        acknowledged += out.split()
        data = ledger_path.read_bytes()
        state = parse_ledger_bytes(data, "seed.ledger")
        refs = [e.ref for e in state.entries]
        assert set(acknowledged) <= set(refs)
        assert [p.code for p in state.problems] in ([], ["ledger-torn-line"])
        if state.torn:
            repaired = cli("check", "--repair")
            assert repaired.exit_code == 0, repaired.stderr
            assert "moved the incomplete last line" in repaired.stdout
        assert cli("check").exit_code == 0
        start = 1000 * (round_ + 1)
    assert len(acknowledged) > 5


def test_cut_at_every_byte_of_the_last_append(tmp_path: Path, cli: Cli) -> None:
    _seed(tmp_path)
    assert cli("commit", "--team", "friches", "100", "--date", "2020-03-01").exit_code == 0
    ledger = tmp_path / "seed.ledger"
    complete = ledger.read_bytes()
    assert cli("commit", "--team", "friches", "200", "--date", "2020-03-02",
               "--label", "dernière ligne").exit_code == 0
    full = ledger.read_bytes()
    for cut in range(len(complete) + 1, len(full)):
        ledger.write_bytes(full[:cut])
        state = parse_ledger_bytes(full[:cut], "seed.ledger")
        assert [p.render() for p in state.problems] == [
            f"seed.ledger:3:1: error: the last line is incomplete (no newline: a write was "
            f"interrupted); run `delegation check --repair` to move its {cut - len(complete)} "
            "bytes to a side file"]
        assert len(state.entries) == 1
        for side in tmp_path.glob("seed.ledger.torn-*"):
            side.unlink()
        assert cli("check", "--repair").exit_code == 0
        assert ledger.read_bytes() == complete
