"""The replay-state cache and the convention snapshots are optimisations only: with or
without them, fresh, stale, deleted or damaged, every command gives the same result."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from delegation_cli import cache, convention

from .conftest import MINI, ROOT, Cli, dedent

sys.path.insert(0, str(ROOT / "bench"))
from generate import generate  # noqa: E402

LEDGER = Path("mini.ledger")
CACHE = Path("mini.ledger.cache")
OFF = {"DELEGATION_CACHE": "off"}

# A ledger with something for every kind of finding: warnings (payment without service
# fait, cut-off), a hard error (a payment above the reste à payer), a payment naming a
# commitment recorded later, a threshold, references to resolve.
SCRIPT = dedent("""
    # delegation-ledger v1 convention=mini
    2021-03-01 commitment c-a1 alpha 150.00 ref=BC-A1 marche=dev prestation=devops
    2021-03-15 commitment c-b1 beta 120.00 ref=BC-B1
    2021-03-18 payment p-0 beta 10.00 commitment=c-late sf=2021-03-18
    2021-03-20 note n-1 alpha "Démarrage"
    2021-04-10 payment p-1 alpha 60.00 commitment=c-a1 sf=2021-04-01 ref=DP-1
    2021-04-12 payment p-2 beta 130.00 commitment=c-b1
    2021-05-02 forecast f-1 alpha 50.00 month=2021-09 type=cp
    2021-06-01 commitment c-late beta 30.00
""")

MASK = re.compile(r"\b[cprfns]-[0-9a-f]{8}\b|at=\S+|\"recorded_at\": \"[^\"]*\"")


def masked(text: str) -> str:
    """Output with the random ids and times of new entries masked."""
    return MASK.sub("*", text)


@pytest.fixture
def mini(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    LEDGER.write_text(SCRIPT, encoding="utf-8")
    return cli


def outcome(cli: Cli, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = cli(*args, env=env)
    return result.exit_code, masked(result.stdout), masked(result.stderr)


def same_with_and_without(cli: Cli, *args: str) -> tuple[int, str, str]:
    """Run a read-only command without any cache, then with the cache as it is, and twice
    more (the first may write it): all must agree."""
    reference = outcome(cli, *args, env=OFF)
    for _ in range(2):
        assert outcome(cli, *args) == reference
    return reference


def test_check_is_the_same_from_the_cache_and_reads_only_the_tail(mini: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = same_with_and_without(mini, "check")
    assert code == 1 and "payment-exceeds-remaining" not in err  # codes are not printed, messages are
    assert "exceeds its reste à payer" in err and "precedes its commitment c-late" in err
    assert CACHE.exists()
    # From now on the full read is not needed: the cache covers every line.
    with monkeypatch.context() as patch:
        patch.setattr(cache, "_in_full", lambda *a, **k: pytest.fail("the whole ledger was read"))
        assert outcome(mini, "check") == (code, out, err)
        assert mini("note", "--team", "alpha", "Point", "--date", "2021-06-02").exit_code == 0
        assert mini("commit", "--team", "alpha", "20", "--date", "2021-06-03").exit_code == 0
        with_tail = outcome(mini, "check")
    assert outcome(mini, "check", env=OFF) == with_tail


def flip(section: str, at: int) -> None:
    """Change one byte of a section of the cache file."""
    store = cache.Store(CACHE)
    offset, length, _ = store.header["sections"][section]
    store.close()
    data = bytearray(CACHE.read_bytes())
    base = data.index(b"\n") + 1 + 8 + int.from_bytes(data[data.index(b"\n") + 1: data.index(b"\n") + 9], "little")
    data[base + offset + at % length] ^= 0x01
    CACHE.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["delete", "garbage", "truncate", "empty", "record", "string", "hashes",
                                    "problems", "other-ledger"])
def test_a_deleted_or_damaged_cache_changes_nothing(mini: Cli, tmp_path: Path, damage: str) -> None:
    reference = same_with_and_without(mini, "check")
    before = outcome(mini, "pay", "BC-A1", "40", "--date", "2022-01-15", "--dry-run", "--json", env=OFF)
    assert before[0] == 0
    data = CACHE.read_bytes()
    if damage == "delete":
        CACHE.unlink()
    elif damage == "garbage":
        CACHE.write_bytes(b"not a cache" * 1000)
    elif damage == "truncate":
        CACHE.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        CACHE.write_bytes(b"")
    elif damage == "record":  # a figure of each commitment in turn
        for index in range(3):
            flip("c_rec", index * cache._RECORD_SIZE + 8)  # its paid amount
    elif damage == "string":  # an id or a reference
        flip("c_str", 3)
    elif damage == "hashes":
        flip("r_hash", 2)
    elif damage == "problems":
        flip("problems", 10)
    else:  # the cache of another ledger of the same convention
        other = tmp_path / "other"
        other.mkdir()
        (other / "mini.ledger").write_text(SCRIPT.replace("150.00", "151.00"), encoding="utf-8")
        shutil.copy(tmp_path / "convention.yaml", other / "convention.yaml")
        assert mini("check", "-c", str(other / "convention.yaml")).exit_code == 1
        shutil.copy(other / "mini.ledger.cache", CACHE)
    assert outcome(mini, "pay", "BC-A1", "40", "--date", "2022-01-15", "--dry-run", "--json") == before
    assert outcome(mini, "check") == reference
    refused = outcome(mini, "pay", "BC-A1", "91", "--date", "2022-01-15", "--dry-run")
    assert refused[0] == 1 and "exceeds its reste à payer of 90,00" in refused[2]


def test_a_stale_cache_is_rebuilt(mini: Cli) -> None:
    same_with_and_without(mini, "check")
    # A hand edit inside what the cache covers: same size, other content.
    LEDGER.write_text(SCRIPT.replace("alpha 150.00", "alpha 250.00"), encoding="utf-8")
    code, _, err = same_with_and_without(mini, "check")
    assert code == 1 and "exceeds its cap" not in err and "AE 2021" in mini("report", "--month", "2021-06").stdout
    # Lines removed from the end: the cache covers more than the file holds.
    LEDGER.write_text("".join(SCRIPT.splitlines(keepends=True)[:4]), encoding="utf-8")
    assert same_with_and_without(mini, "check")[0] == 1
    # The convention changed: its digest is part of the key.
    Path("convention.yaml").write_text(MINI.replace("{id: devops, name: Devops}", "{id: design, name: Design}"),
                                       encoding="utf-8")
    code, _, err = same_with_and_without(mini, "check")
    assert "unknown prestation kind 'devops'" in err


def test_writing_commands_give_the_same_verdicts_and_figures(mini: Cli) -> None:
    commands = [
        ("commit", "--team", "alpha", "20", "--date", "2021-06-02", "--ref", "BC-A2", "--json"),
        ("pay", "BC-A2", "5", "--date", "2022-01-03", "--service-fait", "2022-01-03", "--json"),
        ("pay", "BC-A2", "5", "--date", "2022-01-03", "--ref", "DP-1"),  # reference already used
        ("release", "c-a1", "--date", "2022-01-04", "--json"),
        ("commit", "--team", "beta", "500", "--date", "2022-01-05"),  # above the cap
        ("commit", "--team", "alpha", "10", "--date", "2021-05-01", "--json"),  # before the last entry
        ("forecast", "--team", "beta", "40", "--month", "2022-10", "--type", "ae", "--date", "2022-01-06"),
    ]
    shutil.copy(LEDGER, "twin.ledger")
    for args in commands:
        code, out, err = outcome(mini, *args, "--ledger", "twin.ledger", env=OFF)
        without = code, out.replace("twin.ledger", "mini.ledger"), err.replace("twin.ledger", "mini.ledger")
        assert outcome(mini, *args) == without, args
    assert masked(LEDGER.read_text()) == masked(Path("twin.ledger").read_text())
    assert not Path("twin.ledger.cache").exists()
    assert same_with_and_without(mini, "check")[0] == 1


def test_an_appended_entry_dated_earlier_or_a_seal_is_replayed_in_full(mini: Cli) -> None:
    same_with_and_without(mini, "check")
    with LEDGER.open("a", encoding="utf-8") as handle:  # out of date order, by hand
        handle.write("2021-03-02 commitment c-early alpha 500.00\n")
    code, _, err = same_with_and_without(mini, "check")
    assert "c-early" not in err and "above its cap of 600,00" in err
    LEDGER.write_text(SCRIPT, encoding="utf-8")
    same_with_and_without(mini, "check")
    assert mini("close", "2021-04").exit_code == 1  # an error in April blocks the closing
    clean = SCRIPT.replace("2021-04-12 payment p-2 beta 130.00", "2021-04-12 payment p-2 beta 30.00")
    LEDGER.write_text(clean.replace("2021-03-18 payment p-0 beta 10.00 commitment=c-late sf=2021-03-18\n", ""),
                      encoding="utf-8")
    same_with_and_without(mini, "check")
    assert mini("close", "2021-04", "--author", "alice").exit_code == 0
    with LEDGER.open("a", encoding="utf-8") as handle:
        handle.write("2021-04-30 note n-late alpha by=bob \"Après la clôture\"\n")
    code, _, err = same_with_and_without(mini, "check")
    assert "in a month closed by seal" in err


def test_a_long_tail_refreshes_the_cache(mini: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    same_with_and_without(mini, "check")
    monkeypatch.setattr(cache, "REFRESH_ENTRIES", 3)
    for day in range(10, 15):
        assert mini("pay", "c-a1", "1", "--date", f"2022-01-{day}", "--service-fait", f"2022-01-{day}").exit_code == 0
    store = cache.Store(CACHE)
    covered = store.header["covered"]
    store.close()
    assert covered["offset"] == LEDGER.stat().st_size - len(LEDGER.read_bytes().splitlines()[-1]) - 1
    assert same_with_and_without(mini, "check")[0] == 1
    monkeypatch.setattr(cache, "_in_full", lambda *a, **k: pytest.fail("the whole ledger was read"))
    assert mini("pay", "c-a1", "1", "--date", "2022-01-20", "--service-fait", "2022-01-20").exit_code == 0


def test_a_generated_ledger_through_the_cache(cli: Cli, tmp_path: Path) -> None:
    conv, text = generate(1500, seed=11)
    Path("convention.yaml").write_text(conv, encoding="utf-8")
    Path("ledger.ledger").write_text(text, encoding="utf-8")
    assert same_with_and_without(cli, "check")[0] == 0
    ids = re.findall(r"^\S+ commitment (c-\S+) (\S+) ", text, flags=re.M)
    for ident, team in ids[-5:]:
        args = ("pay", ident, "1", "--date", "2029-12-31", "--service-fait", "2029-12-31", "--dry-run", "--json")
        assert outcome(cli, *args) == outcome(cli, *args, env=OFF)
        args = ("commit", "--team", team, "1", "--date", "2029-12-31", "--dry-run", "--json")
        assert outcome(cli, *args) == outcome(cli, *args, env=OFF)


def test_cache_disabled_writes_nothing(mini: Cli, tmp_path: Path) -> None:
    assert mini("check", env=OFF).exit_code == 1
    assert not CACHE.exists()


# --------------------------------------------------------------------------------------
# Convention snapshots
# --------------------------------------------------------------------------------------


def test_a_convention_is_validated_once_per_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    first = tmp_path / "a.yaml"
    first.write_text(MINI.replace("team_cap: 600", "team_cap: 700"), encoding="utf-8")  # a warning
    loaded = convention.load_convention(first)
    assert loaded.convention is not None and loaded.problems
    snapshots = list((tmp_path / "xdg" / "delegation" / "conventions").glob("*.pickle"))
    assert len(snapshots) == 1
    # The same text elsewhere: read from the snapshot, its problems named at the new path.
    second = tmp_path / "b.yaml"
    second.write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(convention, "_load_text", lambda *a: pytest.fail("validated again"))
        again = convention.load_convention(second)
    assert again.convention == loaded.convention
    assert [p.render() for p in again.problems] == [p.render().replace(str(first), str(second))
                                                    for p in loaded.problems]
    # A damaged snapshot is ignored and written again.
    snapshots[0].write_bytes(b"\x80\x05garbage")
    assert convention.load_convention(second).convention == loaded.convention
    assert convention.load_convention(second).convention == loaded.convention


def test_an_invalid_convention_is_never_snapshotted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI.replace("team_cap: 600", "team_cap: -1"), encoding="utf-8")
    for _ in range(2):
        loaded = convention.load_convention(bad)
        assert loaded.convention is None and any(p.is_error for p in loaded.problems)
    assert not (tmp_path / "xdg" / "delegation" / "conventions").exists()


# --------------------------------------------------------------------------------------
# Report memos
# --------------------------------------------------------------------------------------

REPORT = ("report", "--month", "2021-05", "--format", "json")


def memos() -> list[Path]:
    return sorted(Path("mini.ledger.cache.d").glob("report-*"))


def served_from_memo(cli: Cli, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    from delegation_cli import figures

    with monkeypatch.context() as patch:
        patch.setattr(figures, "monthly_report", lambda *a, **k: pytest.fail("the report was computed"))
        return outcome(cli, *args)


def test_a_report_is_served_again_while_what_it_depends_on_is_unchanged(
        mini: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    first = same_with_and_without(mini, *REPORT)
    assert first[0] == 0 and len(memos()) == 1
    assert served_from_memo(mini, monkeypatch, *REPORT) == first
    # Entries dated after the report's month change nothing in it.
    assert mini("commit", "--team", "alpha", "20", "--date", "2021-06-03").exit_code == 0
    assert served_from_memo(mini, monkeypatch, *REPORT) == first
    assert outcome(mini, *REPORT, env=OFF) == first
    # Other options are other reports.
    for args in (("report", "--month", "2021-05", "--format", "csv"),
                 ("report", "--month", "2021-05", "--format", "csv", "--dialect", "excel-fr"),
                 ("report", "--month", "2021-05", "--format", "markdown", "--team", "beta"),
                 ("report", "--month", "2021-05", "--format", "json", "--fail-on-alert")):
        reference = same_with_and_without(mini, *args)
        assert served_from_memo(mini, monkeypatch, *args) == reference
    assert served_from_memo(mini, monkeypatch, *REPORT) == first


@pytest.mark.parametrize("change", ["late entry", "edit", "unreadable line", "garbage memo", "short memo",
                                    "convention"])
def test_a_report_is_computed_anew_when_what_it_depends_on_changes(mini: Cli, change: str) -> None:
    first = same_with_and_without(mini, *REPORT)
    if change == "late entry":  # dated in the month reported, appended after it was reported
        assert mini("commit", "--team", "beta", "15", "--date", "2021-05-20").exit_code == 0
    elif change == "edit":
        LEDGER.write_text(SCRIPT.replace("2021-05-02 forecast f-1 alpha 50.00", "2021-05-02 forecast f-1 alpha 55.00"),
                          encoding="utf-8")
    elif change == "unreadable line":  # after everything the report counted
        with LEDGER.open("a", encoding="utf-8") as handle:
            handle.write("2021-07-01 payment broken\n")
    elif change == "garbage memo":
        memos()[0].write_bytes(b"{}\nnot a report")
    elif change == "short memo":
        memos()[0].write_bytes(memos()[0].read_bytes()[:-10])
    else:
        Path("convention.yaml").write_text(MINI.replace("alert_thresholds: [80, 95]", "alert_thresholds: [50]"),
                                           encoding="utf-8")
    again = same_with_and_without(mini, *REPORT)
    if change in ("garbage memo", "short memo"):
        assert again == first
    else:
        assert again != first


def test_memos_are_bounded(mini: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MEMO_LIMIT", 3)
    for month in ("2021-03", "2021-04", "2021-05", "2021-06", "2021-07"):
        assert mini("report", "--month", month, "--format", "json").exit_code == 0
    assert len(memos()) == 3


@pytest.mark.parametrize("block", [1, 5, 16, 8 << 20])
def test_the_digest_of_a_prefix_is_the_same_however_it_is_computed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    import os

    monkeypatch.setattr(cache, "DIGEST_BLOCK", block)
    data = b"".join(f"line {i}\n".encode() * (i % 3 + 1) for i in range(40))
    path = tmp_path / "f"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        for length in (0, 1, 7, 16, 17, 100, len(data)):
            direct = cache.prefix_digest(fd, length)
            assert direct is not None and direct == cache.bytes_digest(data[:length])
            for earlier in (0, 3, 16, length):
                since = cache.prefix_digest(fd, earlier)
                assert cache.prefix_digest(fd, length, since=since) == direct
        assert cache.prefix_digest(fd, len(data) + 1) is None
        assert cache.prefix_digest(fd, 10).hexdigest() != cache.prefix_digest(fd, 11).hexdigest()
    finally:
        os.close(fd)


def test_a_long_tail_refreshes_the_cache_across_digest_blocks(mini: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "DIGEST_BLOCK", 64)
    monkeypatch.setattr(cache, "REFRESH_ENTRIES", 2)
    same_with_and_without(mini, "check")
    for day in range(10, 16):
        assert mini("note", "--team", "alpha", f"Point {day}", "--date", f"2022-01-{day}").exit_code == 0
        assert same_with_and_without(mini, "check")[0] == 1
    store = cache.Store(CACHE)
    covered = store.header["covered"]
    store.close()
    assert covered["offset"] == LEDGER.stat().st_size
    assert covered["lines"] == LEDGER.read_bytes().count(b"\n")


def test_a_memo_removed_while_it_is_served_is_served_whole(mini: Cli) -> None:
    import datetime as dt
    import os

    first = same_with_and_without(mini, *REPORT)
    fd = os.open(LEDGER, os.O_RDONLY)
    try:
        memo = cache.read_memo(memos()[0], fd, dt.date(2021, 5, 31))
    finally:
        os.close(fd)
    assert memo is not None
    memos()[0].unlink()  # another command trimming the memos, say
    assert b"".join(memo.chunks()).decode() == first[1]


def test_without_the_sources_no_cache_is_used_and_nothing_changes(
        mini: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from delegation_cli import fingerprint

    reference = same_with_and_without(mini, "check")
    report = same_with_and_without(mini, *REPORT)
    monkeypatch.setattr(fingerprint, "HERE", tmp_path / "nowhere")
    CACHE.unlink()
    assert outcome(mini, "check") == reference
    assert outcome(mini, *REPORT) == report
    assert not CACHE.exists()
