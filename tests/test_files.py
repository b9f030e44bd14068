"""Files the tool reads or writes (issue 12, items 3 to 5), each through the command line.

* Every path read (the convention, the ledger, an import file) must be a regular file,
  checked before anything is read: a named pipe, a device, a directory, a socket is refused
  at once (exit 2) with what it is; a /proc file (regular, size 0) is refused as a ledger
  and read with a hard byte limit as a convention or CSV file.
* `check --repair` touches only a ledger of this very convention: a last entry that lost
  only its newline is kept, a truly partial line is moved aside, nothing else is changed.
* The convention's ledger stays inside its folder, symbolic links resolved; an existing
  file that is not a ledger is never written to; `export --output` never replaces the
  convention, a ledger or a YAML file.

Every refused command leaves every file byte-for-byte unchanged (hashed).  A regression that
blocked on a named pipe would hang: every test runs under a 20-second alarm.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from delegation_cli.core.errors import DelegationError
from delegation_cli.core.lines import header_line
from delegation_cli.store import files as ledger_module
from delegation_cli.store.actions import write_output
from delegation_cli.store.text_files import read_text

from .conftest import MINI, Cli

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")

PROC = Path("/proc/self/status")
needs_proc = pytest.mark.skipif(not PROC.exists(), reason="no /proc")
HEADER = header_line("mini")
ROWS = "date,kind,team,amount\n2021-03-01,commitment,alpha,10\n"


class Blocked(Exception):
    """Raised by the alarm: the command blocked (on a named pipe)."""


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail, instead of hanging the suite, a test whose command blocks for 20 seconds."""

    def expired(signum: int, frame: FrameType | None) -> None:
        raise Blocked("the command blocked for 20 seconds (reading a named pipe?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def mini(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    (tmp_path / "rows.csv").write_text(ROWS, encoding="utf-8")
    return cli


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: a regular file by its SHA-256, anything else by its kind
    (a link by its target); nothing is opened but regular files."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            st = path.lstat()
            key = str(path.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                found[key] = f"link -> {os.readlink(path)}"
            elif stat.S_ISREG(st.st_mode):
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[key] = stat.filemode(st.st_mode)
    return found


def make(kind: str, path: Path) -> None:
    """A named pipe, a socket or a directory at ``path``."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path.relative_to(Path.cwd())))  # relative: socket paths are short
        sock.close()
    else:
        path.mkdir()


# --------------------------------------------------------------------------------------
# 3. Files are checked before they are read
# --------------------------------------------------------------------------------------


def test_a_named_pipe_as_the_convention_is_refused_at_once(mini: Cli, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "c.yaml")
    before = snapshot(tmp_path)
    for args in (("check", "c.yaml"), ("report", "-c", "c.yaml", "--month", "2021-03"),
                 ("commit", "-c", "c.yaml", "--team", "alpha", "10", "--date", "2021-03-01")):
        result = mini(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (
            2, "", "c.yaml: error: is a named pipe (FIFO), not a file (expected a convention YAML file)\n"), args
    assert snapshot(tmp_path) == before


LEDGER_COMMANDS = [
    ("check",),
    ("check", "--repair"),
    ("report", "--month", "2021-03"),
    ("log",),
    ("export", "--format", "csv"),
    ("commit", "--team", "alpha", "10", "--date", "2021-03-01"),
    ("commit", "--team", "alpha", "10", "--date", "2021-03-01", "--dry-run"),
    ("note", "--team", "alpha", "Point", "--date", "2021-03-01"),
    ("import", "rows.csv"),
    ("close", "2021-03"),
]
KINDS = {
    "fifo": "is a named pipe (FIFO), not a file (expected a ledger file)",
    "socket": "is a socket, not a file (expected a ledger file)",
    "directory": "is a directory (expected a ledger file)",
}


@pytest.mark.parametrize("args", LEDGER_COMMANDS, ids=lambda a: "-".join(a[:2]).strip("-"))
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_ledger_that_is_no_file_is_refused_at_once(mini: Cli, tmp_path: Path, kind: str,
                                                     args: tuple[str, ...]) -> None:
    make(kind, tmp_path / "x.ledger")
    before = snapshot(tmp_path)
    result = mini(*args, "--ledger", "x.ledger")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"x.ledger: error: {KINDS[kind]}\n")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("args", LEDGER_COMMANDS, ids=lambda a: "-".join(a[:2]).strip("-"))
def test_dev_null_as_the_ledger_is_a_device(mini: Cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    before = snapshot(tmp_path)
    result = mini(*args, "--ledger", "/dev/null")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", "/dev/null: error: is a device, not a file (expected a ledger file)\n")
    assert snapshot(tmp_path) == before


@needs_proc
@pytest.mark.parametrize("args", LEDGER_COMMANDS, ids=lambda a: "-".join(a[:2]).strip("-"))
def test_a_proc_file_as_the_ledger_is_refused(mini: Cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    # Regular, st_size 0, yet it reads as text: not a ledger, whatever its size says.
    before = snapshot(tmp_path)
    result = mini(*args, "--ledger", str(PROC))
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"{PROC}: error: reports a size of 0 bytes but has contents: a kernel pseudo-file "
               "(such as /proc/...), not a ledger file\n")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", ["fifo", "socket", "directory"])
def test_an_import_file_that_is_no_file_is_refused_at_once(mini: Cli, tmp_path: Path, kind: str) -> None:
    make(kind, tmp_path / "in.csv")
    before = snapshot(tmp_path)
    result = mini("import", "in.csv")
    what = KINDS[kind].replace("a ledger file", "a CSV file")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"in.csv: error: {what}\n")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_devices_as_convention_or_import_file(mini: Cli, tmp_path: Path, device: str) -> None:
    before = snapshot(tmp_path)
    result = mini("check", device)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"{device}: error: is a device, not a file (expected a convention YAML file)\n")
    result = mini("import", device)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"{device}: error: is a device, not a file (expected a CSV file)\n")
    assert snapshot(tmp_path) == before


@needs_proc
def test_a_proc_file_is_read_with_a_hard_byte_limit(tmp_path: Path) -> None:
    # st_size is 0: the limit holds while reading, not from the size the file reports.
    assert PROC.stat().st_size == 0
    with pytest.raises(DelegationError) as refused:
        read_text(PROC, max_bytes=10, what="CSV file")
    assert [p.render() for p in refused.value.problems] == [
        f"{PROC}: error: file is more than 10 bytes, too large for a CSV file (at most 10)"]
    assert read_text(PROC, max_bytes=1_000_000, what="CSV file").startswith("Name:")


def test_a_ledger_above_the_limit_is_refused_unread(mini: Cli, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = tmp_path / "mini.ledger"
    ledger.write_text(f"{HEADER}\n" + "# padding\n" * 20)
    monkeypatch.setattr(ledger_module, "MAX_LEDGER_BYTES", 100)
    size = ledger.stat().st_size
    before = snapshot(tmp_path)
    for args in (("check",), ("commit", "--team", "alpha", "10", "--date", "2021-03-01")):
        result = mini(*args)
        assert (result.exit_code, result.stderr) == (
            2, f"mini.ledger: error: file is {size} bytes, too large for a ledger (at most 100)\n"), args
    assert snapshot(tmp_path) == before
    assert ledger_module.MAX_LEDGER_BYTES != 1 << 32  # the documented limit, patched here
    monkeypatch.undo()
    assert ledger_module.MAX_LEDGER_BYTES == 1 << 32


def test_a_missing_convention_or_ledger_keeps_its_behaviour(mini: Cli, tmp_path: Path) -> None:
    assert mini("check", "nope.yaml").stderr == ("nope.yaml: error: no such file (expected a convention YAML file); "
                                                 "give one with -c PATH or $DELEGATION_CONVENTION (YAML files "
                                                 "here: convention.yaml)\n")
    assert mini("check").stdout.endswith("; ledger mini.ledger: not created yet (0 entries)\n")
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    assert (tmp_path / "mini.ledger").read_text().startswith(f"{HEADER}\n")


@pytest.mark.slow
def test_real_processes_never_block_on_a_named_pipe(tmp_path: Path) -> None:
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe")
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("DELEGATION_CONVENTION", None)
    for args, what in ((("check", "pipe"), "convention YAML file"), (("log", "--ledger", "pipe"), "ledger file"),
                       (("commit", "--team", "alpha", "10", "--date", "2021-03-01", "--ledger", "pipe"),
                        "ledger file"),
                       (("import", "pipe"), "CSV file")):
        done = subprocess.run([sys.executable, "-m", "delegation_cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=20, check=False)
        assert (done.returncode, done.stderr) == (
            2, f"pipe: error: is a named pipe (FIFO), not a file (expected a {what})\n"), args


# --------------------------------------------------------------------------------------
# 4. Repair is safe
# --------------------------------------------------------------------------------------


def test_repair_refuses_a_yaml_file(mini: Cli, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    result = mini("check", "--repair", "--ledger", "convention.yaml")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1, "", "convention.yaml:1: error: not a ledger: the first line is not the header "
               f"({HEADER!r} expected); --repair changes nothing in it\n")
    assert snapshot(tmp_path) == before


def test_repair_refuses_a_binary_file_without_final_newline(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)))
    before = snapshot(tmp_path)
    result = mini("check", "--repair", "--ledger", "image.png")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("image.png:1: error: not a ledger: the first line is not the header "
                             f"({HEADER!r} expected); --repair changes nothing in it\n")
    assert snapshot(tmp_path) == before


def test_repair_refuses_the_ledger_of_another_convention(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "other.ledger").write_text(f"{header_line('other')}\n2021-03-02 commitment c-dead alp")
    before = snapshot(tmp_path)
    result = mini("check", "--repair", "--ledger", "other.ledger")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("other.ledger:1: error: not a ledger of convention mini: its header names "
                             f"convention 'other' ({HEADER!r} expected); --repair changes nothing in it\n")
    assert snapshot(tmp_path) == before


def test_repair_keeps_a_complete_last_entry_that_lost_only_its_newline(mini: Cli, tmp_path: Path) -> None:
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    assert mini("commit", "--team", "beta", "20", "--date", "2021-03-02", "--label", "dernière").exit_code == 0
    ledger = tmp_path / "mini.ledger"
    whole = ledger.read_bytes()
    ledger.write_bytes(whole[:-1])  # an editor that drops the final newline
    checked = mini("check")
    assert checked.exit_code == 1 and "mini.ledger:3:1: error: the last line is incomplete" in checked.stderr
    last_id = whole.decode().splitlines()[-1].split(" ")[2]
    repaired = mini("check", "--repair")
    assert repaired.exit_code == 0, repaired.stderr
    assert repaired.stdout.splitlines()[0] == (
        f"mini.ledger:3: kept the last line, a complete commitment ({last_id}) that lacked only its final "
        "newline; the newline was added")
    assert repaired.stdout.splitlines()[1].endswith("; ledger mini.ledger: 2 entries")
    assert ledger.read_bytes() == whole
    assert not list(tmp_path.glob("mini.ledger.torn-*"))
    assert mini("check").exit_code == 0


def test_repair_moves_a_truly_torn_line_aside(mini: Cli, tmp_path: Path) -> None:
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    ledger = tmp_path / "mini.ledger"
    good = ledger.read_bytes()
    ledger.write_bytes(good + b"2021-03-02 commitment c-dead alp")
    repaired = mini("check", "--repair")
    assert repaired.exit_code == 0, repaired.stderr
    side = next(tmp_path.glob("mini.ledger.torn-*"))
    assert repaired.stdout.splitlines()[0] == f"mini.ledger:3: moved the incomplete last line (32 bytes) to {side.name}"
    assert side.read_bytes() == b"2021-03-02 commitment c-dead alp"
    assert ledger.read_bytes() == good


def test_repair_of_a_header_torn_or_without_newline(mini: Cli, tmp_path: Path) -> None:
    ledger = tmp_path / "mini.ledger"
    ledger.write_bytes(HEADER.encode())
    kept = mini("check", "--repair")
    assert kept.stdout.splitlines()[0] == (
        "mini.ledger:1: kept the header line, which lacked only its final newline; the newline was added")
    assert ledger.read_bytes() == f"{HEADER}\n".encode()
    ledger.write_bytes(HEADER.encode()[:25])  # a crash while the file was being created
    moved = mini("check", "--repair")
    assert moved.exit_code == 0, moved.stderr
    side = next(tmp_path.glob("mini.ledger.torn-*"))
    assert side.read_bytes() == HEADER.encode()[:25] and ledger.read_bytes() == b""
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    assert ledger.read_text().startswith(f"{HEADER}\n2021-03-01 commitment ")


def test_repair_of_a_sound_ledger_changes_nothing(mini: Cli, tmp_path: Path) -> None:
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    (tmp_path / "empty.ledger").write_bytes(b"")
    before = snapshot(tmp_path)
    assert mini("check", "--repair").stdout.endswith("; ledger mini.ledger: 1 entry\n")
    assert mini("check", "--repair", "--ledger", "empty.ledger").exit_code == 0
    assert mini("check", "--repair", "--ledger", "missing.ledger").exit_code == 2  # named, so it must exist
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------------------
# 5. Paths stay where they belong
# --------------------------------------------------------------------------------------


@pytest.fixture
def inside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Cli, Path, Path]:
    """A convention in ``tmp/conv`` and a folder ``tmp/outside`` next to it."""
    conv, outside = tmp_path / "conv", tmp_path / "outside"
    conv.mkdir()
    outside.mkdir()
    monkeypatch.chdir(conv)
    monkeypatch.delenv("DELEGATION_CONVENTION", raising=False)
    return Cli(conv), conv, outside


def test_a_symlinked_ledger_folder_leading_outside_is_refused(inside: tuple[Cli, Path, Path], tmp_path: Path) -> None:
    cli, conv, outside = inside
    (conv / "convention.yaml").write_text(MINI.replace("ledger: mini.ledger", "ledger: ledgers/mini.ledger"))
    (conv / "ledgers").symlink_to(outside, target_is_directory=True)
    before = snapshot(tmp_path)
    message = (f"convention.yaml: error: ledger path 'ledgers/mini.ledger' resolves to {outside.resolve()}/"
               f"mini.ledger, outside the convention's folder {conv.resolve()} (a symbolic link leads out of "
               "it; expected the ledger inside the folder)\n")
    for args in (("check",), ("commit", "--team", "alpha", "10", "--date", "2021-03-01"), ("log",),
                 ("report", "--month", "2021-03")):
        result = cli(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", message), args
    assert snapshot(tmp_path) == before
    assert list(outside.iterdir()) == []


def test_a_ledger_linked_to_an_empty_file_outside_is_refused(inside: tuple[Cli, Path, Path], tmp_path: Path) -> None:
    cli, conv, outside = inside
    (conv / "convention.yaml").write_text(MINI)
    (outside / "empty").write_bytes(b"")
    (conv / "mini.ledger").symlink_to(outside / "empty")
    before = snapshot(tmp_path)
    result = cli("commit", "--team", "alpha", "10", "--date", "2021-03-01")
    assert result.exit_code == 2
    assert result.stderr == (f"convention.yaml: error: ledger path 'mini.ledger' resolves to {outside.resolve()}/"
                             f"empty, outside the convention's folder {conv.resolve()} (a symbolic link leads out "
                             "of it; expected the ledger inside the folder)\n")
    assert snapshot(tmp_path) == before
    assert (outside / "empty").read_bytes() == b""


def test_a_link_inside_the_folder_is_followed(inside: tuple[Cli, Path, Path]) -> None:
    cli, conv, _ = inside
    (conv / "convention.yaml").write_text(MINI.replace("ledger: mini.ledger", "ledger: current.ledger"))
    (conv / "books").mkdir()
    (conv / "books" / "2021.ledger").write_text(f"{HEADER}\n")
    (conv / "current.ledger").symlink_to(Path("books") / "2021.ledger")
    assert cli("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    assert (conv / "books" / "2021.ledger").read_text().startswith(f"{HEADER}\n2021-03-01 commitment ")


def test_an_existing_empty_file_inside_the_folder_becomes_the_ledger(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "mini.ledger").write_bytes(b"")
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    lines = (tmp_path / "mini.ledger").read_text().splitlines()
    assert lines[0] == HEADER and lines[1].startswith("2021-03-01 commitment ")


def test_an_existing_file_that_is_not_a_ledger_is_never_written(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    before = snapshot(tmp_path)
    for args in (("commit", "--team", "alpha", "10", "--date", "2021-03-01"), ("import", "rows.csv"),
                 ("close", "2021-03")):
        result = mini(*args, "--ledger", "image.png")
        assert result.exit_code == 1, args
        assert result.stderr == (
            "image.png:1:1: error: not a ledger: the first line is not the header ('# delegation-ledger v2 "
            "convention=<id>' expected)\nimage.png: error: refusing to append to a file that is not a ledger\n"), args
    assert snapshot(tmp_path) == before


def test_export_never_replaces_the_convention_or_a_ledger(mini: Cli, tmp_path: Path) -> None:
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    (tmp_path / "old.ledger").write_text(f"{header_line('old')}\n")
    (tmp_path / "other.yaml").write_text("id: other\n")
    before = snapshot(tmp_path)
    for output, message in (
            ("convention.yaml", "--output names the convention file itself; choose another file"),
            ("other.yaml", "is a YAML file (a convention?); an export never replaces one; choose another file"),
            ("mini.ledger", "--output names the ledger itself; choose another file"),
            ("sub/../mini.ledger", "--output names the ledger itself; choose another file"),
            ("old.ledger", "is a ledger; an export never replaces one; choose another file")):
        if output.startswith("sub/"):
            (tmp_path / "sub").mkdir()
            before = snapshot(tmp_path)
        result = mini("export", "--format", "json", "--output", output)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"{output}: error: {message}\n"), output
        assert snapshot(tmp_path) == before
    written = mini("export", "--format", "json", "--output", "out.json")
    assert written.exit_code == 0 and (tmp_path / "out.json").read_text().startswith("{")


def test_write_output_compares_the_files_themselves(tmp_path: Path) -> None:
    convention, ledger = tmp_path / "convention.yaml", tmp_path / "mini.ledger"
    convention.write_text(MINI)
    os.link(convention, tmp_path / "same-convention.txt")  # another name, the same file
    for target in (tmp_path / "same-convention.txt", tmp_path / "." / "convention.yaml"):
        with pytest.raises(DelegationError) as refused:
            write_output(target, "{}", protected=ledger, convention=convention)
        assert refused.value.problems[0].message == "--output names the convention file itself; choose another file"
    with pytest.raises(DelegationError) as refused:  # the ledger does not exist yet: resolved paths compared
        write_output(tmp_path / "sub" / ".." / "mini.ledger", "{}", protected=ledger, convention=convention)
    assert refused.value.problems[0].message == "--output names the ledger itself; choose another file"
    assert convention.read_text() == MINI and not ledger.exists()


def test_a_link_planted_at_the_temporary_name_never_turns_a_write_onto_the_ledger(
        mini: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    ledger = tmp_path / "mini.ledger"
    before = ledger.read_bytes()
    # In a shared folder, a colleague plants links at the names the writer will try first.
    names = iter(["planted", "planted2", "fresh"])
    monkeypatch.setattr(tempfile, "_get_candidate_names", lambda: names)
    for name in ("planted", "planted2"):
        (tmp_path / f".r.html.{name}.tmp").symlink_to(ledger)
    result = mini("report", "--month", "2021-03", "--format", "html", "--output", "r.html")
    assert (result.exit_code, result.stderr) == (0, "")
    assert ledger.read_bytes() == before
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.glob(".r.html.*")) == [".r.html.planted.tmp", ".r.html.planted2.tmp"]


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="no /proc")
def test_an_unreadable_pseudo_file_as_the_ledger_is_named(mini: Cli) -> None:
    result = mini("check", "--ledger", "/proc/self/mem")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "/proc/self/mem: error: cannot read: Input/output error\n"


def test_two_repairs_within_one_second_each_get_a_side_file(mini: Cli, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from delegation_cli.store import actions

    ledger = tmp_path / "mini.ledger"
    assert mini("commit", "--team", "alpha", "10", "--date", "2021-03-01").exit_code == 0
    good = ledger.read_bytes()
    moment = dt.datetime(2026, 12, 2, 10, 0, 0, tzinfo=dt.UTC)
    real = actions.repair
    monkeypatch.setattr(actions, "repair", lambda path, now, cid: real(path, moment, cid))
    for torn in (b"2021-03-02 commitment c-1 al", b"2021-03-03 note n-2 be"):
        ledger.write_bytes(good + torn)
        assert mini("check", "--repair").exit_code == 0
        assert ledger.read_bytes() == good
    sides = sorted(tmp_path.glob("mini.ledger.torn-*"))
    assert [p.name for p in sides] == ["mini.ledger.torn-20261202T100000", "mini.ledger.torn-20261202T100000-2"]
    assert [p.read_bytes() for p in sides] == [b"2021-03-02 commitment c-1 al", b"2021-03-03 note n-2 be"]
