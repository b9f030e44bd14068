"""The report as a document (`document.report_html`, `document.report_pdf`), on the seed
example's June 2020 report.

The HTML must be one self-contained file (nothing fetched, no script), carry the three kinds
of charts as inline SVG, keep hostile ledger and convention text inert, and be byte-identical
from one rendering to the next.  Chromium must draw it; WeasyPrint must print it to a PDF whose
text holds figures worked out by hand from ``examples/ledgers/fabrique-numerique-s3.ledger``.
As in test_export.py, a missing external tool skips its test, except under CI (``$CI``),
where .ci/run must have installed it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import struct
import subprocess
import sys
import unicodedata
import zlib
from pathlib import Path

import pytest
from markupsafe import escape

from delegation_cli.core import i18n
from delegation_cli.core.entries import Entry
from delegation_cli.core.errors import DelegationError, ExitCode
from delegation_cli.core.lines import format_entry
from delegation_cli.report import charts, document
from delegation_cli.report.build import build_report
from delegation_cli.report.figures import MonthlyReport
from delegation_cli.store.convention import require_convention

from .conftest import EXAMPLES, SEED, SEED_TEXT, Cli, with_checksums

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
HOSTILE = f"Revue {SCRIPT} {IMG} fin"


def tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    if os.environ.get("CI"):
        pytest.fail(f"{names[0]} is not installed: .ci/run must install it")
    pytest.skip(f"{names[0]} is not installed")


def seed_report(convention: Path = SEED, month: str = "2020-06") -> MonthlyReport:
    loaded = require_convention(convention)
    return build_report(loaded, ledger=None, month=month, team=None, final=False, today=dt.date(2020, 7, 1))


@pytest.fixture(scope="module")
def june() -> MonthlyReport:
    return seed_report()


@pytest.fixture(scope="module")
def page(june: MonthlyReport) -> str:
    with i18n.using("fr"):
        return document.report_html(june)


@pytest.fixture
def hostile(tmp_path: Path) -> MonthlyReport:
    """The seed convention with a hostile title, its ledger with a hostile note of June 2020."""
    title = 'title: "Convention de délégation de gestion — Fabrique numérique, saison 3 (2019-2020)"'
    assert SEED_TEXT.count(title) == 1
    text = SEED_TEXT.replace(title, f"title: {HOSTILE!r}").replace(
        "ledger: ledgers/fabrique-numerique-s3.ledger", "ledger: hostile.ledger")
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    ledger = (EXAMPLES / "ledgers" / "fabrique-numerique-s3.ledger").read_text(encoding="utf-8")
    note = Entry(date=dt.date(2020, 6, 15), kind="note", id="n-0000ff01", team="friches", label=HOSTILE)
    (tmp_path / "hostile.ledger").write_text(ledger + with_checksums(format_entry(note) + "\n"), encoding="utf-8")
    return seed_report(tmp_path / "c.yaml")


# --------------------------------------------------------------------------------------
# The HTML file
# --------------------------------------------------------------------------------------


def test_one_self_contained_file(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>\n")
    assert page.count("<html") == 1 and page.rstrip().endswith("</html>")
    assert '<html lang="fr">' in page
    assert "<script" not in page.lower()
    assert re.search(r"\bjavascript:", page, re.I) is None
    assert re.search(r"\bon[a-z]+\s*=", page, re.I) is None  # no event handler attribute
    # nothing refers to anything: no src, no href, no CSS url() or @import, no <link>
    assert re.findall(r"\b(?:src|href|xlink:href)\s*=", page, re.I) == []
    assert "url(" not in page and "@import" not in page and "<link" not in page.lower()
    assert "<img" not in page.lower() and "<iframe" not in page.lower()


def test_print_ready_css(page: str) -> None:
    assert re.search(r"@page\s*\{[^}]*size:\s*A4;[^}]*margin:", page)
    assert "break-inside: avoid" in page


def test_every_section_in_order(june: MonthlyReport, page: str) -> None:
    from delegation_cli.report.sections import human_sections

    with i18n.using("fr"):
        sections = human_sections(june)
    positions = [page.index(f'id="section-{s.key}"') for s in sections]
    assert positions == sorted(positions)
    assert page.count("<table") == sum(1 for s in sections if s.rows)
    # figures are right-aligned cells; the seed's envelope is among them
    assert '<td class="num">750\u202f000,00\u00a0€</td>' in page


def test_three_kinds_of_charts(june: MonthlyReport, page: str) -> None:
    assert page.count("<svg") == 1 + len(june.years) + 1 == 4
    for kind in ("teams", "year", "landing"):
        assert f'<figure class="chart chart-{kind}"' in page
    assert page.count("<figcaption>") == 4
    assert page.count('role="img"') == 4
    for key in ("teams", "year-2019", "year-2020", "landing"):
        assert f'id="chart-{key}-title"' in page
    # French axis graduations in whole euros
    assert "120\u202f000\u00a0€" in page and "0\u00a0€" in page
    # the first screen is the synthèse and the alerts: the charts come after them
    charts = page.index('id="charts"')
    keys = re.findall(r'id="section-([a-z_]+)"', page)
    before = [k for k in keys if page.index(f'id="section-{k}"') < charts]
    assert before == ["header", "synthese", "alerts"]


def test_forecasts_are_dashed(page: str) -> None:
    assert "stroke-dasharray" in page  # the coming forecasts of 2020


def test_deterministic(june: MonthlyReport, page: str) -> None:
    with i18n.using("fr"):
        again = document.report_html(seed_report())
    assert again == page


def test_deterministic_across_processes(page: str, tmp_path: Path) -> None:
    """Another interpreter (other hash seed, other day of rendering as far as pygal knows)."""
    code = ("import datetime as dt, sys; from pathlib import Path\n"
            "from delegation_cli.core import i18n\nfrom delegation_cli.report import document\n"
            "from delegation_cli.report.build import build_report\n"
            "from delegation_cli.store.convention import require_convention\n"
            f"r = build_report(require_convention(Path({str(SEED)!r})), ledger=None, month='2020-06', team=None,"
            " final=False, today=dt.date(2020, 7, 1))\n"
            "with i18n.using('fr'):\n"
            "    sys.stdout.buffer.write(document.report_html(r).encode())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert out.decode() == page


def test_english(june: MonthlyReport) -> None:
    with i18n.using("en"):
        page = document.report_html(june)
    assert '<html lang="en">' in page
    assert "€120,000" in page


def test_hostile_text_is_inert(hostile: MonthlyReport) -> None:
    with i18n.using("fr"):
        page = document.report_html(hostile)
    assert SCRIPT not in page and "<script" not in page.lower()
    assert "<img" not in page.lower() and IMG not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" == escape(SCRIPT) and escape(SCRIPT) in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" == escape(IMG) and escape(IMG) in page
    assert re.search(r"<[a-z]+[^>]*\sonerror\s*=", page, re.I) is None
    assert page.count(escape(HOSTILE)) >= 3  # the <title>, the <h1>, the note (and the header)


def test_control_characters_are_shown(tmp_path: Path) -> None:
    from delegation_cli.report.layout import Column, Section

    block = document._block(Section("notes", "N", (Column("Note", "text"),), (("a\u202eb\x1b[31m",),)))
    assert block.rows[0].cells[0].text == "a\\u202eb\\x1b[31m"


def test_ticks() -> None:
    assert charts.ticks(120_000) == [0.0, 20_000.0, 40_000.0, 60_000.0, 80_000.0, 100_000.0, 120_000.0]
    assert charts.ticks(0) == [0.0]
    assert len(charts.ticks(754_321.5)) <= 9 and charts.ticks(754_321.5)[-1] >= 754_321.5
    with i18n.using("fr"):
        assert charts.axis_amount(125_000.0) == "125\u202f000\u00a0€"
    with i18n.using("en"):
        assert charts.axis_amount(125_000.0) == "€125,000"


def test_document_imports_nothing_heavy_at_start_up() -> None:
    """Jinja2 and pygal are imported when a document is rendered, not with the module."""
    code = ("import sys; import delegation_cli.report.document\n"
            "print(sorted(m for m in ('jinja2', 'pygal', 'weasyprint') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --------------------------------------------------------------------------------------
# Drawn by a browser
# --------------------------------------------------------------------------------------


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """A tiny PNG reader (8-bit RGB or RGBA, not interlaced): width, height and the pixels
    of each row, unfiltered, as bytes of 3 or 4 channels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0) and colour in (2, 6), (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind_ = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind_ == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_ == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_ == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind_ == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
            else:
                assert kind_ == 0, kind_
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def test_png_reader_round_trip() -> None:
    pixels = [bytes([10, 20, 30, 200, 100, 0]), bytes([255, 255, 255, 10, 20, 30])]
    # filtered by hand: row 0 Sub, row 1 Paeth against row 0
    sub = bytes([10, 20, 30, (200 - 10) & 0xFF, (100 - 20) & 0xFF, (0 - 30) & 0xFF])
    paeth1 = bytes([(255 - 10) & 0xFF, (255 - 20) & 0xFF, (255 - 30) & 0xFF])
    # second pixel of row 1: left=(255,255,255) up=(200,100,0) corner=(10,20,30)
    second = []
    for left, up, corner, value in zip((255, 255, 255), (200, 100, 0), (10, 20, 30), (10, 20, 30), strict=True):
        p = left + up - corner
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
        pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
        second.append((value - pred) & 0xFF)
    raw = b"\x01" + sub + b"\x04" + paeth1 + bytes(second)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    assert png_pixels(png) == (2, 2, pixels)


@pytest.mark.slow
def test_chromium_draws_it(page: str, tmp_path: Path) -> None:
    chromium = tool("chromium", "chromium-browser")
    source = tmp_path / "report.html"
    source.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1200,1600", "--hide-scrollbars", f"file://{source}"],
                   capture_output=True, timeout=120, check=True, env={**os.environ, "HOME": str(tmp_path)})
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 1600)
    channels = len(rows[0]) // width
    colours: set[bytes] = set()
    drawn = 0
    for row in rows[::4]:
        for x in range(0, width, 4):
            pixel = row[x * channels:x * channels + 3]
            colours.add(pixel)
            drawn += pixel != b"\xff\xff\xff"
    sampled = len(rows[::4]) * len(range(0, width, 4))
    assert drawn / sampled > 0.05, f"only {drawn / sampled:.1%} of the page is drawn"
    assert len(colours) >= 10  # text, table stripes, the charts' blues and orange


# --------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------


def normalised(text: str) -> str:
    """pdftotext's text with every kind of space (no-break, narrow no-break) as one space."""
    return re.sub(r"[\s\u00a0\u202f\u2009]+", " ", text)


@pytest.mark.slow
def test_pdf(june: MonthlyReport, tmp_path: Path) -> None:
    if not os.environ.get("CI"):
        pytest.importorskip("weasyprint")
    pdftotext = tool("pdftotext")
    with i18n.using("fr"):
        pdf = document.report_pdf(june)
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = normalised(subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True,
                                     check=True, timeout=120).stdout)
    # By hand, from examples/ledgers/fabrique-numerique-s3.ledger up to 30/06/2020:
    # envelope: AE 2019 120 000 + AE 2020 630 000 = 750 000 €.
    assert "750 000,00 €" in text
    # commitments: 2019-12-12, 6 teams × (15 000 + 5 000) = 120 000;
    # 2020-03-02, acces-4-all 60 000 + 15 000, enr-electriques, biocarburants,
    # affaires-juridiques and pointeuse-transport 50 000 + 15 000 each, friches 72 000 + 15 000
    # = 75 000 + 4 × 65 000 + 87 000 = 422 000; 2020-05-18, 4 × 18 000 = 72 000:
    # 614 000 committed; releases 2 500 (2020-04-15) + 4 000 (2020-06-30) = 6 500:
    # 607 500 € net of releases.
    assert "607 500,00 €" in text
    # AE forecast for September 2020: 25 000 + 4 × 30 000 + 20 000 = 165 000 €.
    assert "165 000,00 €" in text
    # friches: 15 000 + 5 000 + 72 000 + 15 000 + 18 000 = 125 000 €, its whole cap: 100,0 %.
    assert "100,0 %" in text
    assert "juin 2020" in text and "30/06/2020" in text
    # the charts' axes are text in the PDF too
    assert "120 000 €" in text


def test_pdf_without_weasyprint(june: MonthlyReport, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint raises ImportError
    with pytest.raises(DelegationError) as caught:
        document.report_pdf(june)
    assert caught.value.exit_code == ExitCode.USAGE == 2
    [problem] = caught.value.problems
    assert problem.code == "pdf-unavailable"
    assert "pip install 'delegation[pdf]'" in problem.message


def test_the_command_writes_the_monthly_and_the_final_documents(seed_example: Cli, tmp_path: Path) -> None:
    cli = seed_example
    june = cli("report", "--month", "2020-06", "--format", "html", "--output", "juin.html")
    assert (june.exit_code, june.stdout, june.stderr) == (0, "", "")
    page = (tmp_path / "juin.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "<h1>Compte rendu mensuel de juin 2020 — " in page
    assert page.index('id="section-synthese"') < page.index('id="section-alerts"') < page.index('id="charts"')
    final = cli("report", "--final", "--format", "html", "--output", "final.html")
    assert (final.exit_code, final.stderr) == (0, "")
    page = (tmp_path / "final.html").read_text(encoding="utf-8")
    assert "<h1>Compte rendu final — " in page and 'id="section-unused"' in page and page.count("<svg") >= 3
    # --output never replaces the ledger or the convention, and leaves them unchanged
    before = (tmp_path / "ledgers" / "fabrique-numerique-s3.ledger").read_bytes()
    refused = cli("report", "--format", "html", "--output", "ledgers/fabrique-numerique-s3.ledger")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr.startswith("ledgers/fabrique-numerique-s3.ledger: error: --output names the ledger itself")
    assert (tmp_path / "ledgers" / "fabrique-numerique-s3.ledger").read_bytes() == before


# --------------------------------------------------------------------------------------
# Long labels: in pieces, printed in seconds (issue 19)
# --------------------------------------------------------------------------------------

LONG_LABELS = {
    "one word": "x" * 2000,
    "short words": ("ab " * 667)[:2000],
    "combining accents": "e\u0301\u0302\u0303" * 500,
}


def test_long_text_is_cut_into_pieces_between_characters() -> None:
    assert document.pieces("x" * 32) == ("x" * 32,)  # up to LONG_WORD: as it is
    assert document.pieces("x" * 40) == ("x" * 16, "x" * 16, "x" * 8)  # a longer word: in slices of 16
    accented = "e\u0301\u0302\u0303"
    assert document.pieces(accented * 10) == (accented * 4, accented * 4, accented * 2)  # a letter keeps its accents
    flag = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    assert document.pieces(flag * 5) == (flag * 3, flag * 2)  # an emoji keeps its tags
    assert [len(p) for p in document.pieces("a" + "\u0301" * 100)] == [16, 16, 16, 53]  # marks alone: cut
    url = "Voir https://example.org/a/very/long/path/document.pdf fin"
    assert document.pieces(url) == ("Voir https://example.", "org/a/very/long/", "path/document.pd", "f fin")
    words = "mot " * 80  # a long text: cut after spaces, 64 characters at most
    assert document.pieces(words) == ("mot " * 16,) * 5
    prose = "Étude de sol, lot 1 : 20\u202f000\u00a0€ " * 8  # 296 characters; no-break spaces hold
    assert "".join(document.pieces(prose)) == prose
    assert all(len(p) <= 64 and p.endswith(" ") for p in document.pieces(prose)[:-1])
    assert not any(p.startswith(("000", "€")) for p in document.pieces(prose))


def test_a_long_label_is_written_with_wbr_and_reads_back(tmp_path: Path) -> None:
    from html.parser import HTMLParser

    from delegation_cli.report.layout import Column, Section

    label = LONG_LABELS["combining accents"][:40] + " <b>&amp;</b>"
    page = document.sections_html(title="T", heading="H", month="March 2021", as_of=dt.date(2021, 3, 31),
                                  sections=[Section("notes", "N", (Column("Note", "text"),), ((label,),))],
                                  charts=[], invalid=[])
    written = "<wbr>".join(str(escape(p)) for p in document.pieces(label))
    assert f'<td class="text">{written}</td>' in page and written.count("<wbr>") == 2

    class Cells(HTMLParser):
        cells: list[str] = []
        inside = False

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag == "td":
                self.inside, self.cells = True, [*self.cells, ""]

        def handle_endtag(self, tag: str) -> None:
            self.inside = self.inside and tag != "td"

        def handle_data(self, data: str) -> None:
            if self.inside:
                self.cells[-1] += data

    parser = Cells()
    parser.feed(page)
    assert parser.cells == [label]


@pytest.mark.slow
def test_a_pdf_of_labels_at_the_length_limit(cli: Cli, tmp_path: Path) -> None:
    """Was minutes (WeasyPrint measured each label's cell once per character); a few seconds
    now.  Not timed here: the PDF is produced and holds every label."""
    if not os.environ.get("CI"):
        pytest.importorskip("weasyprint")
    pdftotext = tool("pdftotext")
    from .conftest import MINI

    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    lines = ["# delegation-ledger v1 convention=mini"]
    for index, label in enumerate(LONG_LABELS.values()):
        lines.append(format_entry(Entry(date=dt.date(2021, 3, 1), kind="commitment", id=f"c-{index:08x}",
                                        team="alpha", amount=100, label=label)))
        lines.append(format_entry(Entry(date=dt.date(2021, 3, 2), kind="note", id=f"n-{index:08x}", team="beta",
                                        label=label)))
    (tmp_path / "mini.ledger").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("report", "--month", "2021-03", "--format", "pdf", "--output", "r.pdf")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    text = subprocess.run([pdftotext, str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True,
                          timeout=120).stdout

    def squashed(value: str) -> str:  # lines wrapped anywhere; pdftotext composes accents
        return unicodedata.normalize("NFC", re.sub(r"\s+", "", value))

    for name, label in LONG_LABELS.items():
        assert squashed(text).count(squashed(label)) == 2, name  # the movement and the note
