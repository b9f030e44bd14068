"""Property tests: any input gives a value or the documented error, and the algebra holds.

* The amount, date and ledger-line parsers and the convention loader, fed the committed
  corpus (tests/fuzz_corpus/) and hypothesis-generated inputs, return a value or raise
  their documented error — never another exception.  Each input is bounded in time by a
  generous hypothesis deadline (a hang fails the test).
* Replaying any sequence of entries that the availability control accepted never breaks a
  hard limit at any prefix; the report's totals equal the sums of the entries.

`bench/fuzz.py` runs the same targets with a mutation fuzzer for longer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delegation_cli.core.budget import admit
from delegation_cli.core.entries import Entry, parse_date
from delegation_cli.core.errors import DelegationError
from delegation_cli.core.lines import LineError, format_entry, header_line, parse_line
from delegation_cli.core.model import Convention
from delegation_cli.core.money import AmountError, format_canonical, format_fr, parse_amount
from delegation_cli.report.monthly import monthly_report, report_window
from delegation_cli.store.convention import load_convention

from .conftest import MINI, SEED_TEXT
from .support import check_entries, read_book_bytes

CORPUS = Path(__file__).parent / "fuzz_corpus"
BOUNDED = settings(deadline=dt.timedelta(seconds=5), suppress_health_check=[HealthCheck.function_scoped_fixture])


def corpus_lines(name: str) -> list[str]:
    return (CORPUS / name).read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("text", corpus_lines("amounts.txt"))
def test_amount_corpus(text: str) -> None:
    """An amount read is positive and reads back the same from its plain and French forms."""
    try:
        cents = parse_amount(text)
    except AmountError as exc:
        assert str(exc)  # a documented error says why
        return
    assert 0 < cents < 10**14
    assert parse_amount(format_canonical(cents)) == cents == parse_amount(format_fr(cents))


@pytest.mark.parametrize("text", corpus_lines("dates.txt"))
def test_date_corpus(text: str) -> None:
    """A date read is that day written ``YYYY-MM-DD``, and nothing else."""
    try:
        day = parse_date(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert day.isoformat() == text


@pytest.mark.parametrize("text", corpus_lines("ledger_lines.txt"))
def test_ledger_line_corpus(text: str) -> None:
    """A line read gives an entry whose canonical line reads back as the same entry."""
    try:
        entry = parse_line(text)
    except LineError as exc:
        assert str(exc)
        return
    assert parse_line(format_entry(entry)) == entry


@pytest.mark.parametrize("path", sorted((CORPUS / "conventions").glob("*.yaml")), ids=lambda p: p.name)
def test_convention_corpus(path: Path) -> None:
    try:
        loaded = load_convention(path)
    except DelegationError as exc:
        assert exc.exit_code in (1, 2) and exc.problems
    else:
        assert loaded.convention is None and loaded.problems


@BOUNDED
@given(st.text(max_size=60))
def test_any_text_is_an_amount_or_an_amount_error(text: str) -> None:
    try:
        cents = parse_amount(text)
    except AmountError as exc:
        assert str(exc)
        return
    assert 0 < cents < 10**14
    assert parse_amount(format_canonical(cents)) == cents


@BOUNDED
@given(st.integers(min_value=1, max_value=10**14 - 1))
def test_amount_formats_read_back(cents: int) -> None:
    assert parse_amount(format_canonical(cents)) == cents
    assert parse_amount(format_fr(cents)) == cents


@BOUNDED
@given(st.text(max_size=20))
def test_any_text_is_a_date_or_a_value_error(text: str) -> None:
    try:
        day = parse_date(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert day.isoformat() == text


@pytest.mark.slow
@BOUNDED
@given(st.data())
def test_mutated_conventions_load_or_fail_cleanly(tmp_path_factory: pytest.TempPathFactory,
                                                  data: st.DataObject) -> None:
    lines = SEED_TEXT.splitlines()
    for _ in range(data.draw(st.integers(0, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "replace", "duplicate", "insert"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        else:
            text = data.draw(st.text(max_size=30))
            if action == "replace":
                lines[index] = text
            else:
                lines.insert(index, text)
        if not lines:
            lines = [""]
    path = tmp_path_factory.mktemp("fuzz") / "c.yaml"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    try:
        load_convention(path)
    except DelegationError as exc:
        assert exc.problems


# The algebra ---------------------------------------------------------------------------


def _load_mini() -> Convention:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_text(MINI, encoding="utf-8")
        conv = load_convention(path).convention
    assert conv is not None
    return conv


_MINI = _load_mini()
DAYS = [dt.date(2021, 2, 1) + dt.timedelta(days=7 * k) for k in range(100)]  # up to 2022-12-26

operation = st.tuples(
    st.sampled_from(["commitment", "commitment", "payment", "payment", "release"]),
    st.sampled_from(["alpha", "beta"]),
    st.integers(min_value=1, max_value=400_00),
    st.integers(min_value=0, max_value=len(DAYS) - 1),
    st.integers(min_value=0, max_value=10**6),
)


@settings(max_examples=150, deadline=dt.timedelta(seconds=5))
@given(st.lists(operation, max_size=40))
def test_accepted_sequences_never_break_a_limit_and_totals_add_up(ops: list[tuple[str, str, int, int, int]]) -> None:
    conv = _MINI
    ledger: list[Entry] = []
    for n, (kind, team, amount, day, pick) in enumerate(ops):
        date = DAYS[day]
        commitments = [e for e in ledger if e.kind == "commitment" and e.date <= date]
        if kind != "commitment":
            if not commitments:
                continue
            target = commitments[pick % len(commitments)]
            entry = Entry(date=date, kind=kind, id=f"x-{n}", team=target.team, amount=amount,
                          commitment=target.id, service_fait=date if kind == "payment" else None)
        else:
            entry = Entry(date=date, kind=kind, id=f"x-{n}", team=team, amount=amount)
        entry = entry._replace(line=len(ledger) + 2)  # as if read from the file
        if not admit(conv, ledger, [entry], "l").errors:
            ledger.append(entry)
    for k in range(len(ledger) + 1):
        assert [p.render() for p in check_entries(conv, ledger[:k], "l") if p.is_error] == []
    text = "".join(f"{format_entry(e)}\n" for e in ledger)
    book = read_book_bytes(conv, f"{header_line(conv.id)}\n{text}".encode(), "l",
                           window=report_window(conv, "2022-12", final=True))
    report = monthly_report(book, "2022-12", final=True)
    commitments = sum(e.amount for e in ledger if e.kind == "commitment")
    releases = sum(e.amount for e in ledger if e.kind == "release")
    payments = sum(e.amount for e in ledger if e.kind == "payment")
    assert report.totals.committed == commitments - releases
    assert report.totals.paid == payments
    assert report.totals.remaining == commitments - releases - payments
    assert sum(t.ae_committed for t in report.teams) == commitments - releases
    assert sum(t.cp_paid for t in report.teams) == payments
    assert sum(y.cp_paid for y in report.years) == payments
    for y in report.years:
        assert y.ae_committed <= y.ae_open and y.cp_paid <= y.cp_open
        assert y.cp_on_ae.R6 == _remaining_at_year_end(ledger, y.year)


def _remaining_at_year_end(ledger: list[Entry], year: int) -> int:
    """Reste à payer at the end of ``year`` of the commitments made up to it, entry by entry."""
    total = 0
    for c in ledger:
        if c.kind == "commitment" and c.year <= year:
            settled = sum(e.amount for e in ledger if e.commitment == c.id and e.year <= year)
            total += c.amount - settled
    return total


@pytest.mark.slow
def test_the_command_line_end_to_end_under_random_commands() -> None:
    """bench/fuzz.py --cli, short: no traceback, documented exit codes, a refused command
    changes no file, an accepted entry keeps `check` valid and reads back as typed."""
    module = _fuzz_module()
    figures = module.run_cli(250, seed=20191209, subprocess_share=0)
    assert figures["failures"] == []
    assert figures["cases"] == 250 and figures["accepted_writes"] > 0


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_the_command_line_in_real_processes_whose_output_fails_or_is_narrow_and_closers_among_readers() -> None:
    """bench/fuzz.py --cli with a quarter of the commands in real processes: stdout /dev/full or
    a closed pipe (exit 4 exactly when the ledger was written, 3 or SIGPIPE for a reader),
    PYTHONIOENCODING latin-1/ascii/cp1252 (the same exit as in-process, output valid in the
    encoding), and `close` while two processes read (no reading sees the ledger as broken)."""
    module = _fuzz_module()
    figures = module.run_cli(100, seed=20191209, subprocess_share=0.25)
    assert figures["failures"] == []
    kinds = figures["in_a_process"]
    assert set(kinds) == {"dev_full", "closed_pipe", "closer", "encoding latin-1", "encoding ascii",
                          "encoding cp1252"}
    assert all(count > 0 for count in kinds.values()), kinds
    assert figures["in_process"] + sum(kinds.values()) == 100
    assert figures["recorded_unconfirmed"] > 0  # some writes did hit a failed stdout, and said so
    assert figures["reads_while_closing"] >= 2 * len(module.READERS) * kinds["closer"]


def _fuzz_module():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_fuzz", Path(__file__).parent.parent / "bench" / "fuzz.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
