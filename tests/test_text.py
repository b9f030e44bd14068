"""Any text round-trips, and text from a ledger is inert in every rendering (issue 12).

1. Whatever is typed as a label, a note, a reference or an author is either refused (exit 2,
   one line) or stored so that the ledger gives back exactly the same string: every code
   point exhaustively through the line format, hypothesis through the line format and
   through the real command line.
2. The nastiest labels — rich markup, terminal escape sequences, CR/LF, bidi overrides,
   Markdown/HTML, formulas, tag characters, DEL — print literally in every rendering: no
   escape byte but the tool's own colours, no raw control or bidi character, no Markdown
   structure, no formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from delegation_cli.cli.app import app
from delegation_cli.core.entries import MAX_LABEL, TOKEN, Entry
from delegation_cli.core.errors import DelegationError
from delegation_cli.core.lines import (
    _MAYBE_UNSAFE,
    _UNSAFE_CATEGORIES,
    format_entry,
    header_line,
    parse_canonical_line,
    parse_line,
    parse_line_fully,
    quote_label,
)
from delegation_cli.report.build import build_report
from delegation_cli.report.cells import csv_safe, md_cell, visible
from delegation_cli.report.terminal import log_table, report_renderables
from delegation_cli.store.actions import check_label, check_token
from delegation_cli.store.convention import require_convention
from delegation_cli.store.reader import LedgerReader

from .conftest import MINI, with_checksums
from .support import in_memory, parse_ledger_bytes
from .test_ledger import entries

NASTY = [
    "[/bold] lot 1",
    "[red]rouge[/red]",
    "[link=https://evil.example]clic[/link]",
    "\x1b[2J\x1b]8;;https://evil.example\x07lien\x1b]8;;\x07",
    "ligne 1\r## Alerts\nligne 2",
    "\u202egnirts",
    "| a | b |",
    "# titre",
    "<script>alert(1)</script> & co",
    '=HYPERLINK("x")',
    "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
    "\x7f",
    "\U0001D173",
    "\x85 NEL \x9b31m C1",
    "\u2028 \u2029 \u2066x\u2069 \u200f",
    "\t tab  ",
    '"quoted" \\ back\\slash',
    "-1 moins",
    "\n=1+1 après un saut de ligne",
    ":warning: [bold]",
]

ESC_SGR = re.compile(r"\x1b\[[0-9;]*m")
RAW_ACTIVE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _all_code_points() -> str:
    return "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


def _ledger(*lines: str) -> bytes:
    return with_checksums("".join(f"{line}\n" for line in [header_line("mini"), *lines])).encode("utf-8")


def _note(label: str, ident: str = "n-1") -> Entry:
    return Entry(date=dt.date(2021, 3, 1), kind="note", id=ident, team="alpha", label=label)


def _read(data: bytes) -> tuple[list[Entry], list[str | None], list[str]]:
    """Entries, their canonical text as the reader saw it, and the problems."""
    with in_memory(data) as fd:
        reader = LedgerReader(fd, "l.ledger")
        found, texts = [], []
        for entry in reader:
            found.append(entry)
            texts.append(reader.text)
    return found, texts, [p.render() for p in reader.info.problems]


def _no_raw_unsafe(line: str) -> bool:
    return all(unicodedata.category(c) not in _UNSAFE_CATEGORIES for c in line)


# --------------------------------------------------------------------------------------
# 1. The line format: every code point, exhaustively
# --------------------------------------------------------------------------------------


def test_the_fast_lookup_skips_only_safe_characters() -> None:
    skipped = _MAYBE_UNSAFE.sub("", _all_code_points())
    assert len(skipped) > 900
    assert [f"U+{ord(c):04X}" for c in skipped if c != "\n" and unicodedata.category(c) in _UNSAFE_CATEGORIES] == []


@pytest.mark.slow
def test_every_code_point_round_trips_through_the_ledger() -> None:
    text = _all_code_points()
    labels = [text[start:start + 509] for start in range(0, len(text), 509)]
    lines = [format_entry(_note(label, f"n-{index}")) for index, label in enumerate(labels)]
    assert all("\n" not in line and "\r" not in line and _no_raw_unsafe(line) for line in lines)
    found, texts, problems = _read(_ledger(*lines))
    assert problems == []
    assert [e.label for e in found] == labels
    assert all(t in (None, line) for t, line in zip(texts, lines, strict=True))  # text: only if canonical
    assert "".join(e.label for e in found) == text


@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9f", "\u00ad", "\u061c",
                                  "\u200b", "\u200d", "\u200e", "\u2028", "\u2029", "\u202a", "\u202e", "\u2066",
                                  "\u2069", "\ufeff", "\ue000", "\U000E0001", "\U000E0067", "\U000E007F",
                                  "\U0001D173", "\U000F0000", "\U0010FFFF", "\U000E01F0", "\ud800", "\udc80"])
def test_unsafe_characters_are_escaped_and_read_back(char: str) -> None:
    quoted = quote_label(f"a{char}b")
    assert quoted.isascii() and quoted.isprintable(), quoted
    code = ord(char)
    if code > 0xFFFF:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        assert quoted == f'"a\\u{high:04x}\\u{low:04x}b"'
    elif char not in "\t\n\r":
        assert quoted == f'"a\\u{code:04x}b"'
    line = format_entry(_note(f"a{char}b"))
    assert parse_line(line).label == f"a{char}b"
    found, _, problems = _read(_ledger(line))
    assert (problems, [e.label for e in found]) == ([], [f"a{char}b"])


def test_the_issue_examples_are_written_escaped() -> None:
    assert quote_label("\x7f") == '"\\u007f"'
    assert quote_label("\U0001D173") == '"\\ud834\\udd73"'
    assert quote_label("\U0001F3F4\U000E0067\U000E007F") == '"\U0001F3F4\\udb40\\udc67\\udb40\\udc7f"'
    assert quote_label("é\u00a0€\u202f1 000") == '"é\u00a0€\u202f1 000"'  # no-break spaces stay as they are
    assert quote_label("  lot 1 ") == '"  lot 1 "'


def test_raw_unsafe_characters_in_a_hand_written_line_are_errors_with_their_column() -> None:
    head = "2021-03-01 note n-1 alpha "
    for char in ("\x7f", "\t", "\U000E0067", "\U0001D173", "\u2029", "\x85"):
        _, _, problems = _read(_ledger(f'{head}"ab{char}c"'))
        assert problems == [f"l.ledger:2:{len(head) + 4}: error: raw control or format character "
                            f"U+{ord(char):04X} (expected it escaped inside a label)"], repr(char)
        with pytest.raises(ValueError, match="raw control or format character"):
            parse_line(f'{head}"ab{char}c"')


def test_raw_private_use_and_unassigned_code_points_are_read_but_not_canonical() -> None:
    line = '2021-03-01 note n-1 alpha "\ue000 \U000F0001 \U000E01F0"'
    assert parse_canonical_line(line, 2) is None
    found, texts, problems = _read(_ledger(line))
    assert (problems, [e.label for e in found], texts) == ([], ["\ue000 \U000F0001 \U000E01F0"], [None])
    assert format_entry(found[0]) == '2021-03-01 note n-1 alpha "\\ue000 \\udb80\\udc01 \\udb40\\uddf0"'


def test_a_label_must_end_the_line() -> None:
    with pytest.raises(ValueError, match="the label is not a well-formed double-quoted string"):
        parse_line('2021-03-01 note n-1 alpha "ok" ')


def test_no_break_spaces_take_the_fast_path() -> None:
    line = format_entry(_note("20\u202f000\u00a0€ engagés"))
    fast = parse_canonical_line(line, 1)
    assert fast is not None and fast == parse_line_fully(line, 1) and format_entry(fast) == line


# --------------------------------------------------------------------------------------
# 1. The line format: hypothesis
# --------------------------------------------------------------------------------------

any_text = st.one_of(
    st.text(),  # every category but surrogates
    st.text(st.characters(codec="utf-8"), max_size=60),  # every code point but the surrogates
    st.lists(st.integers(0, 0x10FFFF).filter(lambda c: not 0xD800 <= c <= 0xDFFF).map(chr), max_size=40).map("".join),
    st.lists(st.sampled_from(NASTY), max_size=4).map("".join),
)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(entries(), any_text)
def test_any_label_round_trips_through_format_and_the_reader(entry: Entry, label: str) -> None:
    entry = entry._replace(label=label)
    line = format_entry(entry)
    assert "\n" not in line and "\r" not in line and _no_raw_unsafe(line)
    assert parse_line(line) == entry
    assert parse_line_fully(line, 0) == entry
    assert format_entry(parse_line(line)) == line
    fast = parse_canonical_line(line, 0)
    assert fast is None or fast == entry
    found, texts, problems = _read(_ledger(line))
    assert (problems, found) == ([], [entry._replace(line=2)])
    assert texts[0] in (None, line)


# --------------------------------------------------------------------------------------
# 1. The command line: what is typed is refused (exit 2, one line) or read back identical
# --------------------------------------------------------------------------------------


class Mini:
    """A MINI convention in its own folder, driven with ``-c`` (no chdir, so that one
    folder serves every hypothesis example)."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.convention = folder / "convention.yaml"
        self.convention.write_text(MINI, encoding="utf-8")
        self.ledger = folder / "mini.ledger"
        self.runner = CliRunner()

    def __call__(self, command: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        result = self.runner.invoke(app, [command, "-c", str(self.convention), *args],
                                    env={"COLUMNS": "200", **(env or {})}, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    def size(self) -> int:
        return self.ledger.stat().st_size if self.ledger.exists() else 0

    def last_logged(self) -> dict[str, object]:
        code, out, err = self("log", "--format", "json")
        assert (code, err) == (0, "")
        entry: dict[str, object] = json.loads(out)[-1]
        return entry

    def valid(self) -> bool:
        code, _, err = self("check")
        return code == 0 and ": error: " not in err


def _refused_in_one_line(code: int, out: str, err: str) -> bool:
    return code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: ")


@pytest.fixture(scope="module")
def mini_dir(tmp_path_factory: pytest.TempPathFactory) -> Mini:
    return Mini(tmp_path_factory.mktemp("text-cli"))


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_any_label_typed_on_the_command_line_reads_back_identical(mini_dir: Mini, label: str) -> None:
    before = mini_dir.size()
    code, out, err = mini_dir("commit", "--team", "alpha", "0.01", "--date", "2021-03-01", "--label", label,
                              "--author", "alice")
    if len(label) > MAX_LABEL:
        assert _refused_in_one_line(code, out, err) and mini_dir.size() == before
        return
    assert (code, err) == (0, ""), err
    logged = mini_dir.last_logged()
    assert logged["label"] == label
    assert mini_dir.valid()


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_any_note_typed_on_the_command_line_reads_back_identical(mini_dir: Mini, text: str) -> None:
    before = mini_dir.size()
    code, out, err = mini_dir("note", "--team", "beta", "--date", "2021-03-02", "--", text)
    if not text or len(text) > MAX_LABEL:
        assert _refused_in_one_line(code, out, err) and mini_dir.size() == before
        return
    assert (code, err) == (0, ""), err
    assert mini_dir.last_logged()["label"] == text
    assert mini_dir.valid()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=70), st.from_regex(TOKEN, fullmatch=True)),
       st.one_of(st.text(min_size=1, max_size=70), st.from_regex(TOKEN, fullmatch=True)))
def test_references_and_authors_are_tokens_or_refused(mini_dir: Mini, ref: str, author: str) -> None:
    before = mini_dir.size()
    code, out, err = mini_dir("commit", "--team", "beta", "0.01", "--date", "2021-03-03", "--ref", ref,
                              "--author", author)
    if TOKEN.fullmatch(author) is None or TOKEN.fullmatch(ref) is None:
        assert _refused_in_one_line(code, out, err) and mini_dir.size() == before
        assert "is not valid (expected 1 to 64 letters, digits or . _ / : + -" in err
        return
    if code == 1:  # hypothesis drew a reference already recorded
        assert "duplicate" in err or "already" in err, err
        assert mini_dir.size() == before
        return
    assert (code, err) == (0, ""), err
    logged = mini_dir.last_logged()
    assert (logged["ref"], logged["author"]) == (ref, author)


def test_labels_are_stored_as_typed_spaces_included(mini_dir: Mini) -> None:
    for label in ("  lot 1  ", " ", "\t", "\n", "ligne\r\n"):
        assert mini_dir("commit", "--team", "alpha", "0.01", "--date", "2021-03-01", "--label", label)[0] == 0
        assert mini_dir.last_logged()["label"] == label
        assert mini_dir("note", "--team", "alpha", "--date", "2021-03-01", "--", label)[0] == 0
        assert mini_dir.last_logged()["label"] == label


def test_what_cannot_be_stored_is_refused_in_one_line(mini_dir: Mini) -> None:
    before = mini_dir.size()
    assert mini_dir("note", "--team", "alpha", "--date", "2021-03-01", "--", "")[1:] == (
        "", "error: the note is empty (expected the text of the progress note)\n")
    assert mini_dir("commit", "--team", "alpha", "1", "--date", "2021-03-01", "--label", "x" * 2001)[1:] == (
        "", "error: --label is 2001 characters long (at most 2000)\n")
    assert mini_dir("commit", "--team", "alpha", "1", "--date", "2021-03-01", "--label", "caf\udce9")[1:] == (
        "", "error: --label is not valid UTF-8 text at character 4 (expected UTF-8)\n")
    code, out, err = mini_dir("commit", "--team", "alpha", "1", "--date", "2021-03-01", "--ref", "\x1b[2J" * 100)
    assert _refused_in_one_line(code, out, err) and "\x1b" not in err and len(err) < 250
    assert mini_dir.size() == before
    assert check_label("x" * MAX_LABEL) == "x" * MAX_LABEL
    assert check_token("DP-000195567", "--ref") == "DP-000195567"
    with pytest.raises(DelegationError):
        check_token("alice bob", "--author")


# --------------------------------------------------------------------------------------
# 2. Every rendering of the nastiest labels
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nasty(tmp_path_factory: pytest.TempPathFactory) -> Mini:
    mini = Mini(tmp_path_factory.mktemp("text-nasty"))
    for index, label in enumerate(NASTY):
        assert mini("commit", "--team", "alpha", "1", "--date", "2021-03-01", "--ref", f"BC-{index}",
                    "--label", label)[0] == 0
        assert mini("note", "--team", "beta", "--date", "2021-03-02", "--", label)[0] == 0
    assert mini("forecast", "--team", "beta", "5", "--month", "2021-06", "--type", "ae", "--date", "2021-03-03",
                "--label", NASTY[3])[0] == 0
    assert mini.valid()
    return mini


def _assert_inert_terminal(output: str) -> None:
    assert "\x1b" not in ESC_SGR.sub("", output), repr(ESC_SGR.sub("", output))[:400]
    assert RAW_ACTIVE.search(ESC_SGR.sub("", output)) is None


def _forced_console() -> Console:
    return Console(force_terminal=True, color_system="truecolor", file=io.StringIO(), width=300,
                   highlight=False)


def _shown(output: str) -> str:
    """The terminal text without colours, cells joined up again (a folded cell goes on lines)."""
    return ESC_SGR.sub("", output)


def test_log_table_prints_labels_literally(nasty: Mini) -> None:
    entries_read = parse_ledger_bytes(nasty.ledger.read_bytes(), "mini.ledger").entries
    console = _forced_console()
    console.print(log_table(entries_read))
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert ESC_SGR.search(output)  # colours are on: the header is bold
    _assert_inert_terminal(output)
    shown = _shown(output)
    for label in NASTY:
        assert visible(label).strip() in shown, label
    assert "[/bold] lot 1" in shown and "[link=https://evil.example]clic[/link]" in shown
    assert "\\x1b[2J\\x1b]8;;https://evil.example\\x07lien\\x1b]8;;\\x07" in shown
    assert "ligne 1\\r## Alerts\\nligne 2" in shown and "\\u202egnirts" in shown and "\\x7f" in shown
    # Through the command line, colours forced on as on a terminal.
    code, out, err = nasty("log", env={"FORCE_COLOR": "1", "COLORTERM": "truecolor", "TERM": "xterm-256color"})
    assert (code, err) == (0, "")
    assert ESC_SGR.search(out)
    _assert_inert_terminal(out)
    assert "[red]rouge[/red]" in _shown(out)


def test_report_table_prints_labels_literally(nasty: Mini) -> None:
    loaded = require_convention(nasty.convention)
    result = build_report(loaded, ledger=None, month="2021-03", team=None, final=False, today=dt.date(2021, 4, 1))
    console = _forced_console()
    for renderable in report_renderables(result):
        console.print(renderable, crop=False)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert ESC_SGR.search(output)
    _assert_inert_terminal(output)
    shown = _shown(output)
    for label in ("[/bold] lot 1", "[red]rouge[/red]", "[link=https://evil.example]clic[/link]", "\\u202egnirts",
                  "ligne 1\\r## Alerts\\nligne 2", "<script>alert(1)</script> & co", ":warning: [bold]"):
        assert label in shown, label
    code, out, err = nasty("report", "--month", "2021-03",
                           env={"FORCE_COLOR": "1", "COLORTERM": "truecolor", "TERM": "xterm-256color"})
    assert (code, err) == (0, "")
    assert ESC_SGR.search(out)
    _assert_inert_terminal(out)


def test_report_markdown_cells_are_inert(nasty: Mini) -> None:
    code, out, err = nasty("report", "--month", "2021-03", "--format", "markdown")
    assert (code, err) == (0, "")
    assert "\r" not in out and RAW_ACTIVE.search(out) is None
    lines = out.split("\n")
    headings = [line for line in lines if line.startswith("#")]
    assert headings[0] == "# Monthly report of March 2021 — Mini convention"
    assert [h for h in headings if h == "## Alerts"] == ["## Alerts"]  # no note injects a heading
    # the report's own sections, the fingerprint last
    assert all(h.startswith("## ") for h in headings[1:]) and len(headings) == 24
    assert "<" not in out and ">" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in out
    assert "ligne 1 ## Alerts ligne 2" in out
    assert "\\[/bold\\] lot 1" in out and "\\[link=https://evil.example\\]clic\\[/link\\]" in out
    assert "\\| a \\| b \\|" in out and "| \\# titre |" in out
    assert "\\\\u202egnirts" in out and "\\\\x1b\\[2J" in out
    # Every table row has as many cell separators (unescaped pipes) as its header.
    for index, line in enumerate(lines):
        if line.startswith("|--"):
            header = lines[index - 1]
            width = len(re.findall(r"(?<!\\)\|", header))
            for row in lines[index + 1:]:
                if not row.startswith("|"):
                    break
                assert len(re.findall(r"(?<!\\)\|", row)) == width, row


@pytest.mark.parametrize("args", [("log", "--format", "csv"), ("export", "--format", "csv"),
                                  ("log", "--format", "csv", "--csv-dialect", "excel-fr"),
                                  ("report", "--month", "2021-03", "--format", "csv")])
def test_csv_keeps_the_exact_text_and_never_starts_a_formula(nasty: Mini, args: tuple[str, ...]) -> None:
    code, out, err = nasty(*args)
    assert (code, err) == (0, "")
    delimiter = ";" if "excel-fr" in args else ","
    rows = list(csv.reader(io.StringIO(out.lstrip("\ufeff"), newline=""), delimiter=delimiter))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r", "\n")) for cell in cells)
    assert not any(cell.startswith("-") and not re.fullmatch(r"-\d+[.,]\d+", cell) for cell in cells)
    assert re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]", out) is None
    for label in NASTY:
        assert csv_safe(label) in cells, label
    assert "'=HYPERLINK(\"x\")" in cells and "'\n=1+1 après un saut de ligne" in cells and "'-1 moins" in cells
    assert "'\t tab  " in cells and "ligne 1\r## Alerts\nligne 2" in cells  # kept exactly, quoted
    assert "\\x1b[2J\\x1b]8;;https://evil.example\\x07lien\\x1b]8;;\\x07" in cells and "\\u202egnirts" in cells
    assert NASTY[10] in cells and "[red]rouge[/red]" in cells and "<script>alert(1)</script> & co" in cells


@pytest.mark.parametrize("args", [("log", "--format", "json"), ("export", "--format", "json"),
                                  ("report", "--month", "2021-03", "--format", "json")])
def test_json_gives_the_exact_text_every_unsafe_character_escaped(nasty: Mini, args: tuple[str, ...]) -> None:
    code, out, err = nasty(*args)
    assert (code, err) == (0, "")
    assert all(c == "\n" or unicodedata.category(c) not in _UNSAFE_CATEGORIES for c in out)
    data = json.loads(out)
    if args[0] == "report":
        labels = [m["label"] for m in data["movements"]] + [n["label"] for n in data["notes"]]
        assert labels == NASTY + NASTY
        assert [f["label"] for f in data["forecasts"]] == [NASTY[3]]
    else:
        entries_json = data if args[0] == "log" else data["entries"]
        assert [e.get("label", "") for e in entries_json] == [x for label in NASTY for x in (label, label)] + [
            NASTY[3]]


def test_the_recorded_entry_as_json_is_inert(nasty: Mini) -> None:
    code, out, _ = nasty("note", "--team", "alpha", "--date", "2021-03-04", "--json", "--dry-run", "--", NASTY[3])
    assert code == 0 and all(c == "\n" or unicodedata.category(c) not in _UNSAFE_CATEGORIES for c in out)
    assert json.loads(out)["label"] == NASTY[3]


# --------------------------------------------------------------------------------------
# The helpers
# --------------------------------------------------------------------------------------


def test_visible() -> None:
    assert visible("a\x1b[2Jb\x07\x7f\x85\x9b\t\n\r") == "a\\x1b[2Jb\\x07\\x7f\\x85\\x9b\\t\\n\\r"
    assert visible("\u202egnirts \u2066x\u2069 \u061c\u200e\u200f \u2028\u2029 \udc80") == (
        "\\u202egnirts \\u2066x\\u2069 \\u061c\\u200e\\u200f \\u2028\\u2029 \\udc80")
    kept = "é\u00a0€\u202f\U0001F3F4\U000E0067\U000E007F \u200d \\x1b [red]"
    assert visible(kept) == kept  # letters, spaces, emoji and their tags, backslashes: as they are


def test_md_cell() -> None:
    assert md_cell("# titre") == "\\# titre"
    assert md_cell("a | b") == "a \\| b"
    assert md_cell("l1\r\n## Alerts\rl3\nl4") == "l1 ## Alerts l3 l4"
    assert md_cell("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert md_cell("[x](http://e) *a* _b_ `c` ~d~ \\") == "\\[x\\](http://e) \\*a\\* \\_b\\_ \\`c\\` \\~d\\~ \\\\"
    assert md_cell("\x1b[2J\u202e") == "\\\\x1b\\[2J\\\\u202e"


def test_csv_safe() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r", "\n"):
        assert csv_safe(f"{start}1+1") == f"'{start}1+1"
    assert csv_safe("lot = 1") == "lot = 1" and csv_safe("") == ""
    assert csv_safe("a\tb\r\nc\x1b[2J\x7f\u202e") == "a\tb\r\nc\\x1b[2J\\x7f\\u202e"
    assert csv_safe("\x1b=1+1") == "\\x1b=1+1"  # shown escaped, it no longer starts a formula
