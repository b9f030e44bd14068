"""Hostile text in the Markdown tables and the HTML documents (issue 19).

Labels, notes, the convention's title and names, file names: whatever they hold, every
Markdown table row has as many cells as its header (the report with ``--full`` and the
portfolio, parsed as GitHub-flavoured Markdown reads a table), each cell reads back as the
text it shows, and the HTML holds each text escaped exactly once (parsed with
``html.parser``, the title, headings and cells give back the raw text, only shown with
:func:`report.visible`'s escapes).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from delegation_cli.core.entries import Entry
from delegation_cli.core.lines import format_entry, header_line
from delegation_cli.report.cells import md_cell, visible

from .conftest import MINI, Cli, with_checksums

HOSTILE = [
    "a | b",
    "| at the start",
    "at the end |",
    "|",
    "||",
    "escaped \\| pipe",
    "backslash then pipe \\\\| here",
    "\\",
    "ends with a backslash \\",
    "line 1\nline 2",
    "cr\rcr lf\r\nend",
    "separators \u2028 \u2029 \x85 end",
    "`code | span`",
    "``|``",
    "<b>html</b> &amp; <!-- comment --> <td>",
    "# heading",
    "## Alerts",
    "**bold** _it_ ~~strike~~ [link](http://e.example)",
    "\x1b[2J\x07 escape",
    "\u202egnirts",
    "\t|\t",
    "&#124; entity pipe",
    "---|---",
    ":--|--:",
    "\U000E0067 tag \u200b|\u200b",
    "=1+1",
    " ",
]
TITLE = "Title | with \\| pipes\n# and <b>tags</b> & \u2028 `ticks` </title><script>x</script>"
DELEGANT = "|Délégant \\| <i>\n#x"


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar of ``text``."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def hostile_convention(text: str = MINI) -> str:
    """MINI with a hostile title, délégant, team and marché names, avenant object."""
    replacements = [("title: Mini convention", f"title: {_yaml(TITLE)}"),
                    ("{delegant: {name: A}", f"{{delegant: {{name: {_yaml(DELEGANT)}}}"),
                    ("{id: alpha, name: Alpha}", f"{{id: alpha, name: {_yaml('Al|pha ' + HOSTILE[9])}}}"),
                    ("{id: dev, name: Dev,", f"{{id: dev, name: {_yaml('De|v `x`')},"),
                    ("{number: 1, date: 2022-01-10,", f"{{number: 1, date: 2022-01-10, object: {_yaml(TITLE)},")]
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def hostile_ledger(labels: list[str]) -> str:
    """A commitment, a note and a forecast of March 2021 with each label, and a payment."""
    lines = [header_line("mini")]
    for index, label in enumerate(labels):
        lines.append(format_entry(Entry(date=dt.date(2021, 3, 1), kind="commitment", id=f"c-{index:08x}",
                                        team="alpha", amount=100, marche="dev", ref=f"BC-{index}", label=label)))
        lines.append(format_entry(Entry(date=dt.date(2021, 3, 2), kind="note", id=f"n-{index:08x}", team="beta",
                                        label=label)))
        lines.append(format_entry(Entry(date=dt.date(2021, 3, 3), kind="forecast", id=f"f-{index:08x}",
                                        team="beta", amount=500, month="2021-06", forecast_type="ae",
                                        label=label)))
    lines.append(format_entry(Entry(date=dt.date(2021, 3, 4), kind="payment", id="p-00000001", team="alpha",
                                    amount=50, commitment="c-00000000", label=HOSTILE[0])))
    return with_checksums("\n".join(lines) + "\n")


@pytest.fixture
def hostile(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "convention.yaml").write_text(hostile_convention(), encoding="utf-8")
    (tmp_path / "mini.ledger").write_text(hostile_ledger([x for x in HOSTILE if x.strip()]), encoding="utf-8")
    check = cli("check")
    assert check.exit_code == 0, check.stderr
    return cli


# --------------------------------------------------------------------------------------
# Markdown: GitHub-flavoured tables
# --------------------------------------------------------------------------------------

_DELIMITER = re.compile(r"\|(?: *:?-+:? *\|)+")


def cells(row: str) -> list[str]:
    """A table row's cells as GitHub-flavoured Markdown (cmark-gfm, markdown-it) splits it: on
    each pipe that no backslash precedes, the row's leading and trailing pipes apart."""
    row = row.strip()
    row = row.removeprefix("|")
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)]


def tables(markdown: str) -> list[list[str]]:
    """Every table: its header, delimiter and body lines."""
    lines = markdown.split("\n")
    found = []
    for index, line in enumerate(lines):
        if _DELIMITER.fullmatch(line):
            end = index + 1
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            found.append(lines[index - 1:end])
    return found


def assert_every_row_has_its_cells(markdown: str, count: int) -> None:
    found = tables(markdown)
    assert len(found) == count
    for table in found:
        width = len(cells(table[0]))
        assert len(cells(table[1])) == width
        for row in table[2:]:
            assert len(cells(row)) == width, row


def rendered_cells(markdown: str) -> list[str]:
    """The text of every body cell, as markdown-it (CommonMark and GFM tables) renders it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    out = []
    for index, token in enumerate(tokens):
        if token.type == "td_open":
            inline = tokens[index + 1]
            children = inline.children if inline.type == "inline" and inline.children else []
            out.append("".join(child.content for child in children if child.type in ("text", "code_inline")))
    return out


def shown(text: str) -> str:
    """What a Markdown cell shows of ``text``: line breaks as spaces, controls as escapes."""
    return visible(re.sub("\r\n|[\r\n]", " ", text)).strip()


def test_the_checker_counts_cells_as_gfm_does() -> None:
    assert cells("| a | b \\| c | d |") == ["a", "b \\| c", "d"]
    assert cells("| a \\\\\\| b |") == ["a \\\\\\| b"]
    assert len(cells("| " + "a | b" + " |")) == 2  # a label written as it is adds a cell ...
    assert len(cells("| " + md_cell("a | b") + " |")) == 1  # ... escaped, it does not
    assert rendered_cells("| h |\n|---|\n| " + md_cell("x \\| <y> & `z`") + " |\n") == ["x \\| <y> & `z`"]


def test_every_row_of_the_full_markdown_report_has_its_header_cells(hostile: Cli) -> None:
    result = hostile("report", "--month", "2021-03", "--format", "markdown", "--full")
    assert (result.exit_code, result.stderr) == (0, "")
    assert_every_row_has_its_cells(result.stdout, 19)
    shown_cells = rendered_cells(result.stdout)
    for label in HOSTILE:
        if label.strip():
            assert shown_cells.count(shown(label)) >= 2, label  # movements, notes
    assert f"- **Délégant**: {md_cell(DELEGANT)}" in result.stdout.split("\n")
    assert md_cell(DELEGANT) == "\\|Délégant \\\\\\| &lt;i&gt; #x"  # the line break a space
    rows = result.stdout.split("\n")
    for written in (r"| 2021-03-02 | Beta | a \| b |",
                    r"| 2021-03-02 | Beta | \| at the start |",
                    r"| 2021-03-02 | Beta | escaped \\\| pipe |",
                    r"| 2021-03-02 | Beta | backslash then pipe \\\\\| here |",
                    r"| 2021-03-02 | Beta | ends with a backslash \\ |",
                    r"| 2021-03-02 | Beta | cr cr lf end |",
                    r"| 2021-03-02 | Beta | separators \\u2028 \\u2029 \\x85 end |",
                    r"| 2021-03-02 | Beta | \`\`\|\`\` |",
                    r"| 2021-03-02 | Beta | &lt;b&gt;html&lt;/b&gt; &amp;amp; &lt;!-- comment --&gt; &lt;td&gt; |",
                    r"| 2021-03-02 | Beta | \# heading |",
                    r"| 2021-03-02 | Beta | \\t\|\\t |"):
        assert written in rows, written
    headings = [line for line in rows if line.startswith("#")]
    assert headings[0] == f"# Monthly report of March 2021 — {md_cell(TITLE)}"
    assert headings.count("## Alerts") == 1


def test_every_row_of_the_markdown_portfolio_has_its_header_cells(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "conv | one \\| # x.yaml").write_text(
        hostile_convention().replace("ledger: mini.ledger", "ledger: one.ledger"), encoding="utf-8")
    (folder / "one.ledger").write_text(hostile_ledger(HOSTILE[:3]), encoding="utf-8")
    (folder / "broken\n| `x` \\.yaml").write_text("budget: [1\nteams: |\n", encoding="utf-8")
    result = cli("portfolio", str(folder), "--format", "markdown", "--lang", "en", "--month", "2021-03")
    assert result.exit_code == 1
    assert result.stderr == (f"{folder}/broken\\n| `x` \\.yaml:2:8: error: not valid YAML: found character '|' "
                             "that cannot start any token\n")
    assert_every_row_has_its_cells(result.stdout, 4)  # no alert to inform of
    shown_cells = rendered_cells(result.stdout)
    for text in (TITLE, DELEGANT, str(folder / "conv | one \\| # x.yaml"), str(folder / "broken\n| `x` \\.yaml")):
        assert shown(text) in shown_cells, text


# --------------------------------------------------------------------------------------
# HTML: every text escaped once
# --------------------------------------------------------------------------------------


class Texts(HTMLParser):
    """The decoded text of the ``<title>``, the ``<h1>`` and each table cell."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.h1: list[str] = []
        self.cells: list[str] = []
        self.everything: list[str] = []  # every text but style sheets'
        self._style = False
        self._into: list[str] | None = None
        self._cell: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._style = tag == "style"
        if tag in ("td", "th"):
            self._cell = []
            self._into = self._cell
        elif tag == "title" and not self.title:
            self._into = self.title
        elif tag == "h1":
            self._into = self.h1

    def handle_endtag(self, tag: str) -> None:
        self._style = False
        if tag in ("td", "th") and self._into is self._cell:
            self.cells.append("".join(self._cell))
        if tag in ("td", "th", "title", "h1"):
            self._into = None

    def handle_data(self, data: str) -> None:
        if not self._style:
            self.everything.append(data)
        if self._into is not None:
            self._into.append(data)


def texts(page: str) -> Texts:
    parser = Texts()
    parser.feed(page)
    parser.close()
    return parser


def test_the_parser_sees_a_double_escape() -> None:
    assert texts("<title>&lt;b&gt; &amp;</title>").title == ["<b> &"]
    assert texts("<title>&amp;lt;b&amp;gt;</title>").title == ["&lt;b&gt;"]  # escaped twice: shown escaped


def test_the_html_report_escapes_every_text_once(hostile: Cli, tmp_path: Path) -> None:
    result = hostile("report", "--month", "2021-03", "--format", "html", "--output", "r.html")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    page = texts((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert "".join(page.title) == f"{visible(TITLE)} — March 2021"
    assert "".join(page.h1) == f"Monthly report of March 2021 — {visible(TITLE)}"
    for label in HOSTILE:
        if label.strip():
            assert page.cells.count(visible(label)) >= 2, label  # movements, notes
    assert visible(DELEGANT) in page.cells
    assert "<script>" not in (tmp_path / "r.html").read_text(encoding="utf-8")
    shown_text = "".join(page.everything)  # no hostile text holds "&lt;" or "&amp;amp;": escaped twice
    assert "&lt;" not in shown_text and "&amp;amp;" not in shown_text and "&gt;" not in shown_text


def test_the_html_portfolio_escapes_every_text_once(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "a | <b>.yaml").write_text(hostile_convention(), encoding="utf-8")
    (tmp_path / "mini.ledger").write_text(hostile_ledger(HOSTILE[:3]), encoding="utf-8")
    result = cli("portfolio", str(tmp_path), "--format", "html", "--lang", "en", "--month", "2021-03",
                 "--output", "p.html")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    page = texts((tmp_path / "p.html").read_text(encoding="utf-8"))
    assert "".join(page.title) == "Portfolio of conventions — March 2021"  # the month once
    for text in (TITLE, DELEGANT, str(tmp_path / "a | <b>.yaml")):
        assert visible(text) in page.cells, text
    shown_text = "".join(page.everything)
    assert "&lt;" not in shown_text and "&amp;amp;" not in shown_text and "&gt;" not in shown_text
