"""Once written, say so: a failure to print never turns a recorded entry into a failure, and any
output encoding prints.  Real processes, real /dev/full, real closed pipes."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from delegation_cli.cli.output import plain

from .conftest import MINI

DEV_FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not DEV_FULL.exists(), reason="no /dev/full")
NOTE = ("note: the ledger was written, but its confirmation could not be printed (No space left on device); do "
        "not record it again: `delegation log` shows it\n")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    # The cap at 500 € makes teams × cap = envelope: the convention itself has no warning.
    (tmp_path / "convention.yaml").write_text(MINI.replace("team_cap: 600", "team_cap: 500"), encoding="utf-8")
    return tmp_path


def command() -> list[str]:
    script = Path(sys.executable).parent / "delegation"
    return [str(script)] if script.exists() else [sys.executable, "-m", "delegation_cli"]


def run(folder: Path, *args: str, stdout: object = subprocess.PIPE, env: dict[str, str] | None = None,
        preexec: object = None) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": "", **(env or {})}
    return subprocess.run([*command(), *args], cwd=folder, stdout=stdout, stderr=subprocess.PIPE, env=environment,
                          timeout=120, check=False, preexec_fn=preexec)  # type: ignore[call-overload]


def entries(folder: Path) -> list[str]:
    ledger = folder / "mini.ledger"
    return ledger.read_text(encoding="utf-8").splitlines()[1:] if ledger.exists() else []


COMMIT = ("commit", "--team", "alpha", "10", "--date", "2021-03-01", "--ref", "BC-1")


@needs_dev_full
@pytest.mark.parametrize("args", [COMMIT, (*COMMIT, "--json"),
                                  ("note", "--team", "alpha", "Démarrage", "--date", "2021-03-01")])
def test_a_recorded_entry_whose_confirmation_hits_a_full_disk_exits_4(folder: Path, args: tuple[str, ...]) -> None:
    with DEV_FULL.open("wb") as full:
        result = run(folder, *args, stdout=full)
    assert (result.returncode, result.stderr.decode()) == (4, NOTE)
    assert len(entries(folder)) == 1  # recorded once: the user is told not to record it again


def test_a_recorded_entry_whose_reader_went_away_exits_4(folder: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # nobody will read the confirmation
    try:
        result = run(folder, *COMMIT, stdout=write)
    finally:
        os.close(write)
    assert result.returncode == 4
    assert result.stderr.decode() == NOTE.replace("No space left on device", "Broken pipe")
    assert len(entries(folder)) == 1


@needs_dev_full
def test_close_and_init_say_so_too(folder: Path) -> None:
    assert run(folder, *COMMIT).returncode == 0
    with DEV_FULL.open("wb") as full:
        closed = run(folder, "close", "2021-03", stdout=full)
        created = run(folder, "init", "repo", stdout=full)
    assert (closed.returncode, closed.stderr.decode()) == (4, NOTE)
    assert " seal " in entries(folder)[-1]
    assert (created.returncode, created.stderr.decode()) == (4, NOTE)
    assert (folder / "repo" / "convention.yaml").exists()


@needs_dev_full
def test_a_reader_that_cannot_print_exits_3_in_one_line(folder: Path) -> None:
    with DEV_FULL.open("wb") as full:
        version = run(folder, "--version", stdout=full)
        check = run(folder, "check", stdout=full)
    assert (version.returncode, version.stderr.decode()) == (3, "error: cannot write the output: No space left on "
                                                                "device\n")
    assert check.returncode == 3 and check.stderr.decode().count("\n") == 1
    assert "Traceback" not in check.stderr.decode()


def _file_limit(limit: int) -> object:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_json_to_a_file_is_written_whole_or_not_at_all(folder: Path) -> None:
    assert run(folder, *COMMIT).returncode == 0
    out = folder / "report.json"
    with out.open("wb") as handle:  # the report is far longer than the files this process may write
        result = run(folder, "report", "--month", "2021-03", "--format", "json", stdout=handle,
                     preexec=_file_limit(2_000))
    assert result.returncode == 3
    assert result.stderr.decode() == "error: cannot write the output: File too large\n"
    assert out.read_bytes() == b""  # not a truncated document
    whole = run(folder, "report", "--month", "2021-03", "--format", "json")
    assert whole.returncode == 0 and json.loads(whole.stdout)["convention"]["id"] == "mini"


def test_a_recorded_entry_whose_json_cannot_be_appended_leaves_the_file_as_it_was(folder: Path) -> None:
    out = folder / "journal.txt"
    out.write_bytes(b"x" * 1_990)
    with out.open("ab") as handle:  # the ledger fits under the limit, the JSON after 1 990 bytes does not
        result = run(folder, *COMMIT, "--json", stdout=handle, preexec=_file_limit(2_000))
    assert result.returncode == 4
    assert result.stderr.decode() == NOTE.replace("No space left on device", "File too large")
    assert out.read_bytes() == b"x" * 1_990
    assert len(entries(folder)) == 1


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", "cp1252"])
def test_any_output_encoding_prints(folder: Path, encoding: str) -> None:
    env = {"PYTHONIOENCODING": encoding}
    committed = run(folder, *COMMIT, "--label", "Étude « sols »", env=env)
    assert (committed.returncode, committed.stderr) == (0, b"")
    text = committed.stdout.decode(encoding)
    assert text.startswith("Recorded commitment ") and ", 10,00" in text
    report = run(folder, "report", "--month", "2021-03", "--lang", "fr", env=env)
    assert (report.returncode, report.stderr) == (0, b"")
    csv = run(folder, "report", "--month", "2021-03", "--format", "csv", "--csv-dialect", "excel-fr", env=env)
    assert (csv.returncode, csv.stderr) == (0, b"")
    assert b"Traceback" not in report.stdout + csv.stdout
    if encoding == "ascii":
        assert report.stdout.isascii() and b"Compte rendu mensuel" in report.stdout


def test_plain_writes_french_typography_in_ascii() -> None:
    assert [plain(c) for c in "\u202f\u00a0’«»—é€Œ…\u2028"] == [" ", " ", "'", '"', '"', "-", "e", "EUR", "OE", "...",
                                                               "?"]


def test_pieces_to_a_file_are_written_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A document written as its pieces are made: when making one fails, the file standing for
    stdout is cut back to where the document began; the encoding's byte-order mark, if any, is
    written once, not once a piece."""
    import io

    from delegation_cli.cli.output import emit

    def pieces() -> Iterator[str]:
        yield "é1\n"
        raise RuntimeError("a piece that could not be made")

    for encoding, expected in (("utf-8", "before\né1\né2\n".encode()),
                               ("utf-8-sig", b"before\n" + "\ufeffé1\né2\n".encode("utf-8"))):
        target = tmp_path / f"out-{encoding}.txt"
        target.write_bytes(b"before\n")
        with target.open("ab") as raw:
            stream = io.TextIOWrapper(raw, encoding=encoding)
            monkeypatch.setattr("sys.stdout", stream)
            with pytest.raises(RuntimeError):
                emit(pieces())
            assert target.read_bytes() == b"before\n"
            emit(iter(["é1\n", "é2\n"]))
        assert target.read_bytes() == expected
