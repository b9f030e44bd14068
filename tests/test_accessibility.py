"""The HTML report checked by axe-core (npm) in Debian's Chromium — WCAG 2.1 A and AA and the
best practices, zero violations — on the example and on a convention without caps; and its
PDF rendered to PNG pages with poppler, every page drawn.

axe-core is installed by `.ci/run` (`npm install --prefix .ci/node axe-core@4`), or named by
``$AXE_CORE_JS``; as the other external tools, missing it skips these tests except under CI."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, Cli
from .test_document import tool

RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_js() -> str:
    path = Path(os.environ.get("AXE_CORE_JS") or ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js")
    if path.is_file():
        return path.read_text(encoding="utf-8")
    if os.environ.get("CI"):
        pytest.fail(f"axe-core is not installed at {path}: .ci/run must install it")
    pytest.skip("axe-core is not installed (npm install --prefix .ci/node axe-core@4)")


def violations(page: str, tmp_path: Path) -> list[dict[str, object]]:
    """axe-core's violations of ``page``, run in headless Chromium: the page with axe inlined
    writes them into the DOM, which Chromium dumps once its scripts have run."""
    chromium = tool("chromium", "chromium-browser")
    runner = ("<script>" + axe_js() + "</script><script>axe.run(document, {runOnly: {type: 'tag', values: "
              + json.dumps(RULES) + "}, resultTypes: ['violations']}).then(function (r) {"
              "var p = document.createElement('pre'); p.id = 'axe-result'; p.textContent = JSON.stringify("
              "r.violations.map(function (v) { return {id: v.id, impact: v.impact, targets: v.nodes.map("
              "function (n) { return n.target.join(' '); })}; })); document.body.appendChild(p); });</script>")
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", runner + "</body>"), encoding="utf-8")
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=30000",
                          "--dump-dom", checked.as_uri()], capture_output=True, text=True, timeout=180,
                         check=False).stdout
    found = re.search(r'<pre id="axe-result">(.*?)</pre>', dom, re.S)
    assert found is not None, "axe-core did not run"
    return json.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


@pytest.fixture
def no_cap(cli: Cli, tmp_path: Path) -> Cli:
    from .test_no_team_cap import NO_CAP
    from .test_report import LEDGER

    (tmp_path / "convention.yaml").write_text(NO_CAP, encoding="utf-8")
    (tmp_path / "mini.ledger").write_text(LEDGER, encoding="utf-8")
    return cli


def test_axe_finds_what_it_looks_for(tmp_path: Path) -> None:
    page = ('<!DOCTYPE html><html lang="fr"><head><title>t</title></head>'
            '<body><main><img src="x.png"></main></body></html>')
    assert "image-alt" in {v["id"] for v in violations(page, tmp_path)}


def test_the_examples_report_has_no_accessibility_violation(seed_example: Cli, tmp_path: Path) -> None:
    page = seed_example("report", "--month", "2020-06", "--format", "html").stdout
    assert violations(page, tmp_path) == []


def test_a_report_without_caps_has_no_accessibility_violation(no_cap: Cli, tmp_path: Path) -> None:
    page = no_cap("report", "--month", "2022-03", "--format", "html").stdout
    assert violations(page, tmp_path) == []


@pytest.mark.parametrize(("which", "month"), [("seed_example", "2020-06"), ("no_cap", "2022-03")])
def test_every_page_of_the_pdf_is_drawn(request: pytest.FixtureRequest, tmp_path: Path, which: str,
                                        month: str) -> None:
    pytest.importorskip("weasyprint")
    pdftoppm, pdfinfo = tool("pdftoppm"), tool("pdfinfo")
    pdf = tmp_path / "rapport.pdf"
    cli: Cli = request.getfixturevalue(which)
    assert cli("report", "--month", month, "--format", "pdf", "--output", str(pdf), "--full").exit_code == 0
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True,
                                                                check=True).stdout).group(1))  # type: ignore[union-attr]
    subprocess.run([pdftoppm, "-r", "30", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == pages >= 2
    for image in images:
        data = image.read_bytes()
        pixels = data[data.index(b"255\n") + 4:]  # a binary PGM: the header ends with its maxval
        dark = sum(1 for value in pixels if value < 200)
        assert dark > len(pixels) // 200, image.name  # every page has something drawn on it
