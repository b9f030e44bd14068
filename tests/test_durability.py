"""Durability and concurrency of the ledger, with real processes.

* 8 processes × 50 commitments to one team whose cap admits only 125 of them: exactly what
  fits is accepted, the rest refused, no line lost or interleaved (bench/concurrency.py).
* A writer killed with SIGKILL at random moments never loses an acknowledged entry; at most
  the last line is torn, and `check --repair` restores a clean ledger (bench/crash.py, whose
  longer run is in docs/reliability.md).  So for an import of thousands of rows killed
  anywhere, often inside the write of its block: after repair the ledger holds all its rows
  or none; and for a writer that alternates appends with the closing of months.
* Readers running while a colleague closes months never report the intact ledger as
  tampered (bench/concurrency.py --readers).
* A crash is simulated at every byte of a last append (the file cut there): the reader
  reports the torn line with its number and repair keeps every complete entry, and never a
  cut line (each line ends with its checksum).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from .conftest import ROOT, Cli
from .support import parse_ledger_bytes


def _bench(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_concurrent_writers_cannot_both_pass_a_check_only_one_fits_in(tmp_path: Path) -> None:
    # 8 processes x 50 commitments of 1 000 EUR to friches, whose cap is 125 000 EUR.
    figures = _bench("concurrency").run(8, 50, 1000, tmp_path)
    assert figures["failures"] == []
    assert (figures["accepted"], figures["refused"], figures["lines"], figures["unique_ids"]) == (125, 275, 125, 125)


@pytest.mark.slow
def test_readers_never_see_an_intact_ledger_as_broken_while_months_are_closed(tmp_path: Path) -> None:
    # Two processes run `check` again and again while a third closes eleven months, appending
    # between closings: each read sees the ledger before or after a seal, never half of it.
    figures = _bench("concurrency").readers_and_closers(2, 2, tmp_path)
    assert (figures["failures"], figures["false_alarms"], figures["seals"]) == ([], 0, 11)
    # Each reader read before the first seal and reads on until the last: never a false alarm.
    assert isinstance(figures["reads"], int) and figures["reads"] >= 2 * 2


@pytest.mark.slow
def test_sigkill_never_loses_an_acknowledged_entry(tmp_path: Path) -> None:
    figures = _bench("crash").run(kills=4, min_appends=8, seed=20191209, workdir=tmp_path, cut=False)
    assert figures["failures"] == []
    assert figures["kills"] >= 4 and figures["acknowledged_appends"] >= 8


@pytest.mark.slow
def test_sigkill_of_an_import_leaves_all_its_rows_or_none(tmp_path: Path) -> None:
    figures = _bench("crash").run(kills=3, min_appends=0, seed=20191209, workdir=tmp_path, cut=False,
                                  writers=("import",), import_rows=3000)
    assert figures["failures"] == []
    imports = figures["imports"]
    assert figures["kills"] == imports["killed"] == 3 and figures["partial_blocks_after_repair"] == 0
    # Each killed import is one of: acknowledged, whole but unacknowledged (killed in fsync),
    # interrupted inside its block (repaired whole), or not written at all.
    assert imports["killed"] == (imports["acknowledged"] + imports["whole_unacknowledged"]
                                 + imports["killed_mid_block"] + imports["nothing_written"])
    assert figures["repairs"] == imports["killed_mid_block"]


@pytest.mark.slow
def test_sigkill_of_a_writer_that_closes_months_never_loses_a_seal(tmp_path: Path) -> None:
    figures = _bench("crash").run(kills=3, min_appends=0, seed=20191209, workdir=tmp_path, cut=False,
                                  writers=("close",))
    assert figures["failures"] == []
    assert figures["kills"] == figures["writers"]["close"] == 3
    assert figures["torn_blocks_seen"] == 0


@pytest.mark.slow
def test_cut_at_every_byte_of_the_last_append(tmp_path: Path, cli: Cli, seed_copy: Path) -> None:
    assert cli("commit", "--team", "friches", "100", "--date", "2020-03-01").exit_code == 0
    ledger = tmp_path / "ledgers" / "seed.ledger"
    complete = ledger.read_bytes()
    assert cli("commit", "--team", "friches", "200", "--date", "2020-03-02",
               "--label", "dernière ligne").exit_code == 0
    full = ledger.read_bytes()
    crash = _bench("crash")
    for cut in range(len(complete) + 1, len(full)):
        ledger.write_bytes(full[:cut])
        state = parse_ledger_bytes(full[:cut], "seed.ledger")
        assert [p.render() for p in state.problems] == [
            f"seed.ledger:3:1: error: the last line is incomplete (no newline: a write was "
            f"interrupted); run `delegation check --repair` to move its {cut - len(complete)} "
            "bytes to a side file"]
        assert len(state.entries) == 1
        for side in ledger.parent.glob("seed.ledger.torn-*"):
            side.unlink()
        assert cli("check", "--repair").exit_code == 0
        # Only a line whole but for its newline (its checksum proves it) is kept, its newline
        # added; a cut anywhere else — even one that would read as a shorter entry, such as
        # after its amount — is moved aside.
        kept = crash._complete(full[len(complete):cut])
        assert kept == (cut == len(full) - 1)
        assert ledger.read_bytes() == (full[:cut] + b"\n" if kept else complete)
