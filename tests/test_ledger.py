"""The ledger line format: round-trip, strict parsing with line and column, file problems."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from delegation_cli.core.entries import Entry
from delegation_cli.core.lines import LineError, format_entry, header_line, parse_line, quote_label

from .support import parse_ledger_bytes

D = dt.date

EXAMPLES = [
    "2019-12-10 commitment c-3f9a1b2c friches 20000.00 ref=BC-1 marche=dev prestation=devops "
    "at=2019-12-10T09:30:00Z by=alice \"Étude de sol, lot 1\"",
    "2020-02-01 payment p-00000001 friches 5000.00 commitment=c-3f9a1b2c sf=2020-01-25 "
    "ref=DP-000195567 at=2020-02-01T10:00:00Z by=bob",
    "2020-06-30 release r-00000002 friches 2500.50 commitment=c-3f9a1b2c",
    "2020-03-01 forecast f-00000003 friches 30000.00 month=2020-04 type=ae \"Lot 2\"",
    "2020-03-02 note n-00000004 friches by=alice \"Comité d'investissement le 15 avril \\\"go\\\"\"",
    "2020-03-02 note n-00000005 friches \"bidi \\u202e hidden, line \\u2028 sep, tab \\t\"",
]


@pytest.mark.parametrize("line", EXAMPLES)
def test_examples_round_trip(line: str) -> None:
    assert format_entry(parse_line(line)) == line


def test_parse_fields() -> None:
    entry = parse_line(EXAMPLES[1], 7)
    assert entry == Entry(date=D(2020, 2, 1), kind="payment", id="p-00000001", team="friches",
                          amount=500000, commitment="c-3f9a1b2c", service_fait=D(2020, 1, 25),
                          ref="DP-000195567", recorded_at="2020-02-01T10:00:00Z", author="bob", line=7)


def test_label_escapes_what_could_hide_or_break_a_line() -> None:
    assert quote_label("a\u202eb\u2028c\nd\x00é") == '"a\\u202eb\\u2028c\\nd\\u0000é"'


@pytest.mark.parametrize(
    ("line", "message", "column"),
    [
        ("2020-02-30 commitment c-1 friches 1.00", "'2020-02-30' is not a calendar date "
         "(expected YYYY-MM-DD)", 1),
        ("20-01-01 commitment c-1 friches 1.00", "'20-01-01' is not a date (expected "
         "YYYY-MM-DD, such as 2020-02-01)", 1),
        ("2020-01-01 bogus c-1 friches 1.00", "unknown kind 'bogus' (expected one of: "
         "commitment, payment, release, forecast, note, cancel, service-fait, seal)", 12),
        ("2020-01-01 commitment c-1 friches 1.5", "'1.5' is not a ledger amount (expected "
         "digits, a dot and 2 decimals, like 20000.00)", 35),
        ("2020-01-01 commitment c-1 friches 0.00", "amount is zero (expected a positive "
         "amount)", 35),
        ("2020-01-01 commitment c-1 friches -1.00", "'-1.00' is not a ledger amount (expected "
         "digits, a dot and 2 decimals, like 20000.00)", 35),
        ("2020-01-01 commitment c-1 friches 1.00 sf=2020-01-01", "unknown field 'sf' for a "
         "commitment (expected: ref, ej, marche, prestation, at, by)", 40),
        ("2020-01-01 commitment c-1 friches 1.00 ref=A ref=B", "field 'ref' appears twice", 46),
        ("2020-01-01 payment p-1 friches 1.00", "a payment needs commitment=ID", None),
        ("2020-01-01 forecast f-1 friches 1.00 month=2020-13 type=ae", "'2020-13' is not a "
         "month (expected YYYY-MM, such as 2020-03)", None),
        ("2020-01-01 note n-1 friches \"unterminated", "the label is not a well-formed "
         "double-quoted string", 29),
        ("2020-01-01  commitment c-1 friches 1.00", "expected DATE KIND ID TEAM [AMOUNT] "
         "[key=value ...] [\"label\"], separated by single spaces", 1),
        ("2020-01-01 commitment c-1 =cmd|x 1.00", "team '=cmd|x' is not valid (expected 1 to "
         "64 letters, digits or . _ / : + -, starting with a letter or digit)", 27),
    ],
)
def test_parse_errors(line: str, message: str, column: int | None) -> None:
    with pytest.raises(LineError) as info:
        parse_line(line)
    assert (str(info.value), info.value.column) == (message, column)


tokens = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._/:+-]{0,20}", fullmatch=True)
dates = st.dates(min_value=D(1900, 1, 1), max_value=D(2999, 12, 31))


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    kind = draw(st.sampled_from(["commitment", "payment", "release", "forecast", "note", "cancel", "service-fait"]))
    opt = lambda s: draw(st.none() | s)  # noqa: E731
    common = {
        "date": draw(dates), "kind": kind, "id": draw(tokens), "team": draw(tokens),
        "recorded_at": opt(st.datetimes(min_value=dt.datetime(2000, 1, 1)).map(
            lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"))),
        "author": opt(tokens), "label": draw(st.text(max_size=40)).strip(),
    }
    amount = draw(st.integers(min_value=1, max_value=10**14 - 1))
    if kind == "commitment":
        return Entry(amount=amount, ref=opt(tokens), marche=opt(tokens), prestation=opt(tokens), **common)
    if kind == "payment":
        return Entry(amount=amount, commitment=draw(tokens), service_fait=opt(dates), ref=opt(tokens), **common)
    if kind == "release":
        return Entry(amount=amount, commitment=draw(tokens), **common)
    if kind == "forecast":  # 0 withdraws the forecast in force
        month = draw(dates).strftime("%Y-%m")
        return Entry(amount=draw(st.just(0) | st.just(amount)), month=month,
                     forecast_type=draw(st.sampled_from(["ae", "cp"])), **common)
    if kind == "cancel":
        return Entry(target=draw(tokens), **common)
    if kind == "service-fait":
        return Entry(target=draw(tokens), service_fait=draw(dates), **common)
    return Entry(**common)


@pytest.mark.slow
@settings(max_examples=400)
@given(entries())
def test_round_trip_property(entry: Entry) -> None:
    line = format_entry(entry)
    assert "\n" not in line and "\r" not in line
    assert parse_line(line) == entry
    assert format_entry(parse_line(line)) == line


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_parse_line_never_crashes(text: str) -> None:
    try:
        parse_line(text)
    except LineError:
        pass


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_parse_bytes_never_crashes(data: bytes) -> None:
    parse_ledger_bytes(header_line("x").encode() + b"\n" + data, "l.ledger")


HEADER = header_line("demo", 1)
"""The grammar of entry lines is the same in both versions; these tests read version 1 lines
(no checksum).  Checksums and blocks: ``tests/test_ledger_v2.py``."""


def render(data: bytes) -> list[str]:
    return [p.render() for p in parse_ledger_bytes(data, "l.ledger").problems]


def test_file_problems_with_lines() -> None:
    data = "\n".join([
        HEADER,
        "# a comment",
        "",
        "2020-01-01 commitment c-1 friches 1.00",
        "2020-01-01 commitment c-2 friches 1,00",
        "2020-01-01 note n-1 friches \"a\u202eb\"",
        "2020-01-02 note n-2 friches \"ok\"\r",
        "2020-01-03 commitment c-3 friches 2.00",
    ]).encode() + b"\n2020-01-04 commitment c-4 fri"
    assert render(data) == [
        "l.ledger:5:35: error: '1,00' is not a ledger amount (expected digits, a dot and 2 "
        "decimals, like 20000.00)",
        "l.ledger:6:31: error: raw control or format character U+202E (expected it escaped "
        "inside a label)",
        "l.ledger:7:33: error: line ends with CR LF (expected LF line endings)",
        "l.ledger:9:1: error: the last line is incomplete (no newline: a write was "
        "interrupted); run `delegation check --repair` to move its 29 bytes to a side file",
    ]
    parsed = parse_ledger_bytes(data, "l.ledger")
    assert [e.id for e in parsed.entries] == ["c-1", "n-2", "c-3"]
    assert [e.line for e in parsed.entries] == [4, 7, 8]
    assert parsed.torn == (9, len(data) - 29)


def test_not_a_ledger() -> None:
    assert render(b"id: my-convention\n") == [
        "l.ledger:1:1: error: not a ledger: the first line is not the header "
        "('# delegation-ledger v2 convention=<id>' expected)"]


def test_invalid_utf8_and_bom() -> None:
    assert render(b"\xef\xbb\xbf" + HEADER.encode() + b"\n2020-01-01 note n-1 x \"\xff\"\n") == [
        "l.ledger:1:1: error: the file starts with a byte-order mark (expected plain UTF-8 "
        "without BOM)",
        "l.ledger:2:24: error: invalid UTF-8 byte 0xff (expected UTF-8 text)",
    ]


def test_future_version_is_refused() -> None:
    assert render(b"# delegation-ledger v9 convention=x\n") == [
        "l.ledger:1:22: error: ledger format version '9' is not supported (expected one of: 1, 2)"]


@pytest.mark.slow
@settings(max_examples=400)
@given(entries())
def test_fast_path_agrees_with_the_full_parser(entry: Entry) -> None:
    from delegation_cli.core.lines import parse_canonical_line, parse_line_fully

    line = format_entry(entry)
    fast = parse_canonical_line(line, 3)
    assert fast is None or fast == parse_line_fully(line, 3)
    if entry.label.isprintable() and '"' not in entry.label and "\\" not in entry.label:
        assert fast is not None  # canonical lines without escapes take the fast path


@settings(max_examples=300)
@given(st.sampled_from(EXAMPLES), st.integers(0, 200), st.text(max_size=4))
def test_fast_path_never_accepts_what_the_full_parser_refuses(line: str, at: int, junk: str) -> None:
    from delegation_cli.core.lines import parse_canonical_line, parse_line_fully

    mutated = line[:at] + junk + line[at:]
    fast = parse_canonical_line(mutated, 1)
    if fast is not None:
        assert fast == parse_line_fully(mutated, 1)


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 22])
def test_a_file_is_read_the_same_whatever_the_size_of_the_blocks_it_is_decoded_in(
        block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from delegation_cli.store import reader as ledger

    data = ("\n".join([header_line("c", 1), *EXAMPLES, "# comment", ""]).encode("utf-8")
            + b"2020-03-03 note n-5 friches \"caf\xe9\"\n"  # not UTF-8
            + "2020-03-04 note n-6 friches \"é\"\r\n".encode() + EXAMPLES[0].encode() + b"\n" + b"2020-03-05 torn")
    reference = parse_ledger_bytes(data, "l")
    monkeypatch.setattr(ledger, "BLOCK", block)
    again = parse_ledger_bytes(data, "l")
    assert again.entries == reference.entries and again.problems == reference.problems
    assert [p.code for p in again.problems] == ["ledger-encoding", "ledger-crlf", "ledger-torn-line"]
    assert [e.line for e in again.entries][-1] == len(EXAMPLES) + 5  # header, examples, comment, 2 notes
