"""Format version 2: a checksum ends every line, several lines written at once form a block,
version 1 is read and migrated, reads are bounded.

Checksums are computed here with zlib from the format's definition (``crc=`` and the CRC-32 of
the line's UTF-8 bytes before it), never with the program's own function.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from delegation_cli.store.reader import MAX_PROBLEMS

from .conftest import MINI, Cli, dedent, sha, with_checksums
from .support import parse_ledger_bytes

LEDGER = Path("mini.ledger")
HEADER = "# delegation-ledger v2 convention=mini"


@pytest.fixture
def mini(cli: Cli, tmp_path: Path) -> Cli:
    # The cap at 500 € makes teams × cap = envelope: the convention itself has no warning.
    (tmp_path / "convention.yaml").write_text(MINI.replace("team_cap: 600", "team_cap: 500"), encoding="utf-8")
    return cli


def crc(text: str) -> str:
    return f"{zlib.crc32(text.encode('utf-8')):08x}"


def rows(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text("date,kind,team,amount,ref\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def render(data: bytes) -> list[str]:
    return [p.render() for p in parse_ledger_bytes(data, "l.ledger").problems]


# --------------------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------------------


def test_an_import_is_one_block_whose_first_line_says_how_many_lines_it_holds(mini: Cli, tmp_path: Path) -> None:
    rows(tmp_path, "2021-03-01,commitment,alpha,10,BC-1", "2021-03-02,commitment,beta,20,BC-2",
         "2021-03-03,commitment,alpha,30,BC-3")
    assert mini("import", "rows.csv", "--author", "alice").exit_code == 0
    lines = LEDGER.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER
    bodies = [line.rsplit(" crc=", 1)[0] for line in lines[1:]]
    assert [line.rsplit(" crc=", 1)[1] for line in lines[1:]] == [crc(body) for body in bodies]
    assert bodies[0].endswith(" by=alice block=3")
    assert not any(" block=" in body for body in bodies[1:])
    assert mini("commit", "--team", "beta", "5", "--date", "2021-03-04").exit_code == 0
    last = LEDGER.read_text(encoding="utf-8").splitlines()[-1]
    assert " block=" not in last and last.endswith(f" crc={crc(last[:-13])}")  # one line: no block


def test_a_line_without_its_checksum_or_not_matching_it_is_an_error() -> None:
    good = "2021-03-01 commitment c-1 alpha 10.00 ref=BC-1"
    original = "2021-03-01 commitment c-2 alpha 10.00 ref=BC-2"
    edited = f"2021-03-01 commitment c-2 alpha 99.00 ref=BC-2 crc={crc(original)}"
    data = f"{HEADER}\n{good} crc={crc(good)}\n2021-03-01 commitment c-3 alpha 10.00\n{edited}\n".encode()
    assert render(data) == [
        "l.ledger:3: error: the line does not end with its checksum (expected crc= and 8 hexadecimal digits: the "
        "line was cut by an interrupted write, or written by hand)",
        f"l.ledger:4:{len(edited) - 11}: error: the line does not match its checksum crc={edited[-8:]} (it was "
        "changed after it was written, or damaged): entries are never edited; restore the line as it was and record "
        "a correction",
    ]
    # Such lines are still read, so that the replay and the seals can say what they change too.
    assert [e.id for e in parse_ledger_bytes(data, "l.ledger").entries] == ["c-1", "c-3", "c-2"]


def test_every_command_refuses_a_ledger_with_a_checksum_error(mini: Cli) -> None:
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    LEDGER.write_text(LEDGER.read_text().replace(" 10.00 ", " 11.00 "))
    before = sha(LEDGER)
    for args in (("report", "--month", "2021-03"), ("export", "--format", "csv"),
                 ("commit", "--team", "alpha", "1", "--date", "2021-03-02")):
        result = mini(*args)
        assert result.exit_code == 1, args
        assert "mini.ledger:2:" in result.stderr and "does not match its checksum" in result.stderr, args
    assert sha(LEDGER) == before


# --------------------------------------------------------------------------------------
# Blocks: all of an import, or none of it
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("every", [pytest.param(1, marks=pytest.mark.slow), 37])
def test_an_import_cut_anywhere_is_reported_and_repaired_whole(mini: Cli, tmp_path: Path, every: int) -> None:
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01", "--ref", "BC-0").exit_code == 0
    before = LEDGER.read_bytes()
    rows(tmp_path, "2021-03-02,commitment,alpha,10,BC-1", "2021-03-03,commitment,beta,20,BC-2",
         "2021-03-04,commitment,alpha,30,BC-3")
    assert mini("import", "rows.csv").exit_code == 0
    full = LEDGER.read_bytes()
    block = full[len(before):]
    ends = [len(before) + i + 1 for i, byte in enumerate(block) if byte == 0x0A]  # after each line of the block
    cuts = sorted({*range(len(before) + 1, len(full), every), *ends[:-1], *(end - 1 for end in ends)})
    for cut in cuts:
        LEDGER.write_bytes(full[:cut])
        for side in tmp_path.glob("mini.ledger.torn-*"):
            side.unlink()
        checked = mini("check")
        assert checked.exit_code == 1, cut
        complete = sum(end <= cut for end in ends)
        if complete:
            assert checked.stderr.splitlines()[0] == (
                f"mini.ledger:3: error: the block of 3 lines written together from this line ends after {complete} "
                f"line{'s' if complete > 1 else ''} (a write was interrupted, none of it counts); run `delegation "
                "check --repair` to move the block to a side file"), cut
        repaired = mini("check", "--repair")
        assert repaired.exit_code == 0, (cut, repaired.stderr)
        if cut == len(full) - 1:  # whole but for the last newline, which its checksum proves
            assert LEDGER.read_bytes() == full
            assert repaired.stdout.splitlines()[0].endswith("completes its block; the newline was added")
            continue
        assert LEDGER.read_bytes() == before, cut  # every row, or none
        side = next(tmp_path.glob("mini.ledger.torn-*"))
        assert side.read_bytes() == full[len(before):cut]
        if complete:
            assert repaired.stdout.splitlines()[0] == (
                f"mini.ledger:3: moved the interrupted block ({complete + (cut not in ends)} line"
                f"{'s' if complete + (cut not in ends) > 1 else ''} of the 3 it announces, {cut - len(before)} bytes) "
                f"to {side.name}; none of its entries counts")


def test_a_block_inside_another_is_an_error() -> None:
    lines = ["2021-03-01 note n-1 alpha block=3", "2021-03-01 note n-2 alpha block=2", "2021-03-01 note n-3 alpha"]
    data = f"{HEADER}\n" + "".join(f"{line} crc={crc(line)}\n" for line in lines)
    assert render(data.encode()) == [
        "l.ledger:3: error: a block starts here inside the block of 3 lines that starts on line 2"]


# --------------------------------------------------------------------------------------
# Version 1: read, never appended to, migrated line for line
# --------------------------------------------------------------------------------------

V1 = dedent("""
    # delegation-ledger v1 convention=mini
    # written before checksums
    2021-03-01 commitment c-a1 alpha 200.00 ref=BC-A1 by=alice
    2021-03-20 note n-1 alpha by=alice "Démarrage"
    2021-04-10 payment p-1 alpha 60.00 commitment=c-a1 sf=2021-04-01 by=alice
""")


def test_a_version_1_ledger_is_read_and_refused_to_writers(mini: Cli) -> None:
    LEDGER.write_text(V1, encoding="utf-8")
    before = sha(LEDGER)
    checked = mini("check")
    assert (checked.exit_code, checked.stderr) == (0, "")
    assert checked.stdout.endswith("ledger mini.ledger: 3 entries\n")
    commit = mini("commit", "--team", "alpha", "1", "--date", "2021-04-11")
    assert (commit.exit_code, commit.stdout) == (1, "")
    assert commit.stderr == (
        "mini.ledger:1: error: this ledger is in format version 1, which is read but no longer written (its lines "
        "carry no checksum); run `delegation migrate` to convert it to version 2, every entry and seal kept as it is\n")
    assert sha(LEDGER) == before


def test_migrate_converts_line_for_line_and_keeps_the_seals(mini: Cli, tmp_path: Path) -> None:
    LEDGER.write_text(with_checksums(V1), encoding="utf-8")
    assert mini("close", "2021-03", "--author", "alice").exit_code == 0
    v2 = LEDGER.read_text(encoding="utf-8")
    # The same ledger as version 1 wrote it: no checksum (seals hash the entries, not the checksums).
    v1 = "\n".join(line[:-13] if line[-13:-8] == " crc=" else line for line in v2.split("\n"))
    v1 = v1.replace("# delegation-ledger v2 ", "# delegation-ledger v1 ", 1)
    LEDGER.write_text(v1, encoding="utf-8")
    assert mini("check").exit_code == 0
    dry = mini("migrate", "--dry-run")
    assert (dry.exit_code, dry.stderr) == (0, "")
    assert dry.stdout == ("mini.ledger: would convert (dry run, nothing written) from format version 1 to 2: 4 entry "
                          "lines read back identical\n")
    assert LEDGER.read_text(encoding="utf-8") == v1 and not list(tmp_path.glob("mini.ledger.*"))
    done = mini("migrate")
    assert (done.exit_code, done.stderr) == (0, "")
    backup = next(tmp_path.glob("mini.ledger.v1-*"))
    assert done.stdout == (f"mini.ledger: converted from format version 1 to 2: 4 entry lines, each now ending with "
                           f"its checksum; the former file is kept as {backup.name}\n")
    assert backup.read_text(encoding="utf-8") == v1
    assert LEDGER.read_text(encoding="utf-8") == v2  # what version 2 writes, byte for byte
    assert mini("check").exit_code == 0
    again = mini("migrate")
    assert (again.exit_code, again.stdout) == (0, "mini.ledger: already in format version 2; nothing to do\n")
    assert mini("commit", "--team", "alpha", "1", "--date", "2021-04-11").exit_code == 0


def test_migrate_refuses_a_ledger_with_errors(mini: Cli, tmp_path: Path) -> None:
    LEDGER.write_text(V1.replace("200.00 ref", "900.00 ref"), encoding="utf-8")  # above the team's cap
    before = sha(LEDGER)
    result = mini("migrate")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[-1] == (
        "mini.ledger: error: refusing to convert a ledger with errors; correct them (`delegation check --repair` "
        "mends an interrupted write) and retry")
    assert sha(LEDGER) == before and not list(tmp_path.glob("mini.ledger.*"))


# --------------------------------------------------------------------------------------
# Bounded reads
# --------------------------------------------------------------------------------------


def test_a_line_too_long_is_refused_without_being_read_whole(mini: Cli, tmp_path: Path) -> None:
    LEDGER.write_bytes(f"{HEADER}\n".encode() + b"\x00" * 20_000_000)  # no newline: a torn line too
    checked = mini("check")
    assert checked.exit_code == 1
    assert checked.stderr == ("mini.ledger:2:1: error: line is longer than 16000001 bytes: not a ledger line (it was "
                              "not read whole)\n")
    repaired = mini("check", "--repair")
    assert repaired.exit_code == 0, repaired.stderr
    assert LEDGER.read_bytes() == f"{HEADER}\n".encode()
    assert next(tmp_path.glob("mini.ledger.torn-*")).stat().st_size == 20_000_000


def test_a_ledger_of_blank_lines_is_read_through(mini: Cli) -> None:
    line = "2021-03-01 note n-1 alpha \"après 3 000 000 de lignes vides\""
    LEDGER.write_bytes(f"{HEADER}\n".encode() + b"\n" * 3_000_000 + f"{line} crc={crc(line)}\n".encode())
    logged = mini("log", "--format", "json")
    assert (logged.exit_code, logged.stderr) == (0, "")
    assert '"line": 3000002' in logged.stdout


def test_reading_stops_after_so_many_problems(mini: Cli) -> None:
    LEDGER.write_bytes(f"{HEADER}\n".encode() + b"\x00\n" * 50_000)
    checked = mini("check")
    lines = checked.stderr.splitlines()
    assert checked.exit_code == 1 and len(lines) == MAX_PROBLEMS + 1
    assert lines[-1] == (f"mini.ledger:{MAX_PROBLEMS + 2}: error: 1000 problems found: reading stopped here (a file "
                         "with so many is not a ledger; is it the right file?)")


def test_a_file_without_a_newline_that_is_no_ledger_is_not_offered_a_repair(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "image.bin").write_bytes(bytes(range(1, 10)) * 100)
    checked = mini("check", "--ledger", "image.bin")
    assert checked.exit_code == 1
    assert checked.stderr == ("image.bin:1:1: error: not a ledger: the first line is not the header ('# "
                              "delegation-ledger v2 convention=<id>' expected)\n")
