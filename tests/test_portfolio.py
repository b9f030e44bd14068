"""``delegation portfolio``: every convention's own report figures, the bad ones listed, formats."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from delegation_cli.report.discovery import find_conventions
from delegation_cli.report.portfolio import summarize_all

from .conftest import EXAMPLES, ROOT, SEED_TEXT, Cli


def portfolio(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("portfolio", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def report(cli: Cli, convention: str, *args: str) -> dict[str, Any]:
    result = cli("report", "-c", convention, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _same_as_report(row: dict[str, Any], rep: dict[str, Any]) -> None:
    conv = rep["convention"]
    for key in ("id", "title", "delegant", "programme", "uo", "period"):
        assert row[key] == conv[key], key
    assert (row["month"], row["as_of"]) == (rep["month"], rep["as_of"])
    assert row["totals"].keys() == rep["totals"].keys()
    for key, value in rep["totals"].items():
        assert row["totals"][key] == value, key
    year = next((y for y in rep["years"] if y["year"] == int(rep["month"][:4])), None)
    if year is None:
        assert row["year"] is None
    else:
        for key, value in row["year"].items():
            assert value == year[key], key
    for severity in ("error", "warning", "info"):
        assert row["alerts"][severity] == sum(1 for a in rep["alerts"] if a["severity"] == severity)
    assert row["closed_through"] == (conv["closed_through"] or {}).get("month")


@pytest.mark.parametrize("month", [None, "2020-06", "2023-03"])
def test_every_figure_is_the_conventions_own_report(cli: Cli, month: str | None) -> None:
    args = ("--month", month) if month else ()
    data = portfolio(cli, str(EXAMPLES), *args, "--lang", "en")
    assert data["schema"] == "delegation-portfolio/1"
    rows = {Path(r["file"]).name: r for r in data["conventions"]}
    assert set(rows) == {"fabrique-numerique-s3.yaml", "incubateur-territoires.yaml"}
    for name, row in rows.items():
        if row["status"] != "running" and month is not None:  # `report` has no report of such a month
            refused = cli("report", "-c", str(EXAMPLES / name), *args, "--lang", "en")
            assert refused.exit_code == 2 and "report a month" in refused.stderr
            continue
        rep = report(cli, str(EXAMPLES / name), *args, "--lang", "en")  # without --month: today, clamped
        _same_as_report(row, rep)
        inform = [a for a in rep["alerts"]
                  if a["code"].startswith(("forecast-exceeds-", "unused-", "ended-with-open-commitments"))]
        assert [a for a in data["inform_delegant"] if a["convention"] == row["id"]] == [
            {"convention": row["id"], "file": row["file"], "delegant": row["delegant"], **a} for a in inform]
    assert data["invalid"] == 0
    assert data["totals"]["all"]["conventions"] == 2
    total = sum(int(r["totals"]["envelope"].replace(".", "")) for r in rows.values())
    assert int(data["totals"]["all"]["envelope"].replace(".", "")) == total


def test_the_status_is_as_of_the_month(cli: Cli) -> None:
    rows = {r["id"]: r for r in portfolio(cli, str(EXAMPLES), "--month", "2020-06")["conventions"]}
    assert rows["fabrique-numerique-s3"]["status"] == "running"
    assert rows["incubateur-territoires"]["status"] == "not-started"
    rows = {r["id"]: r for r in portfolio(cli, str(EXAMPLES), "--month", "2023-03")["conventions"]}
    assert rows["fabrique-numerique-s3"]["status"] == "ended"
    assert rows["incubateur-territoires"]["status"] == "running"


def test_json_matches_its_documented_schema(cli: Cli, tmp_path: Path) -> None:
    import jsonschema

    doc = (ROOT / "docs" / "portfolio-json.md").read_text(encoding="utf-8")
    schema = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    jsonschema.validate(portfolio(cli, str(EXAMPLES), "--month", "2020-06"), schema)
    bad = _bad_folder(tmp_path)
    result = cli("portfolio", str(bad), "--format", "json")
    assert result.exit_code == 1
    jsonschema.validate(json.loads(result.stdout), schema)


def test_formats(cli: Cli, tmp_path: Path) -> None:
    table = cli("portfolio", str(EXAMPLES), "--month", "2020-06")
    assert table.exit_code == 0 and table.stderr == ""
    assert "juin 2020" in table.stdout and "Enveloppe" in table.stdout  # French by default
    assert "fabrique-numerique-s3" in table.stdout and "incubateur-territoires" in table.stdout
    english = cli("portfolio", str(EXAMPLES), "--month", "2020-06", "--lang", "en").stdout
    assert "Totals per programme" in english and "running" in english and "not yet in force" in english
    markdown = cli("portfolio", str(EXAMPLES), "--month", "2020-06", "--format", "markdown", "--lang", "en").stdout
    assert markdown.startswith("# Portfolio of conventions — June 2020\n")
    assert "| fabrique-numerique-s3 |" in markdown
    csv = cli("portfolio", str(EXAMPLES), "--month", "2020-06", "--format", "csv").stdout
    lines = csv.splitlines()
    assert lines[0].startswith("id,title,delegant,programme,uo,start,end,status,month,envelope,")
    assert len(lines) == 3 and lines[1].startswith("fabrique-numerique-s3,")
    html = cli("portfolio", str(EXAMPLES), "--month", "2020-06", "--format", "html", "--output", "p.html")
    assert html.exit_code == 0 and html.stdout == ""
    text = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "fabrique-numerique-s3" in text
    assert "<script" not in text and "src=" not in text and 'lang="fr"' in text


def _bad_folder(tmp_path: Path) -> Path:
    """A folder of conventions: two good ones, and every way a file can be bad."""
    folder = tmp_path / "many"
    shutil.copytree(EXAMPLES, folder / "good")
    (folder / "broken.yaml").write_text("id: x\nbudget: [1, 2\nteams: []\n", encoding="utf-8")
    rules = folder / "rules"
    rules.mkdir()
    (rules / "rule.yaml").write_text(SEED_TEXT.replace("  total: 750000", "  total: 100"), encoding="utf-8")
    over = folder / "over"
    (over / "ledgers").mkdir(parents=True)
    (over / "over.yaml").write_text(SEED_TEXT, encoding="utf-8")
    ledger = (EXAMPLES / "ledgers" / "fabrique-numerique-s3.ledger").read_text(encoding="utf-8")
    ledger += ("2020-06-30 commitment c-0000ffff acces-4-all 500000.00 ref=1300099999 marche=dev "
               "prestation=devops at=2020-06-30T09:30:00Z by=c.martin \"Trop\"\n")
    (over / "ledgers" / "fabrique-numerique-s3.ledger").write_text(ledger, encoding="utf-8")
    (folder / "x.yaml").mkdir()  # a folder with a YAML name: searched, not an error
    (folder / "binary.yaml").write_bytes(b"budget: \xff\xfe\n")
    os.mkfifo(folder / "pipe.yaml")
    (folder / ".pre-commit-config.yaml").write_text("repos: []\nteams: []\n", encoding="utf-8")
    (folder / "other.yml").write_text("name: not a convention\n", encoding="utf-8")
    return folder


def test_one_bad_convention_does_not_hide_the_others(cli: Cli, tmp_path: Path) -> None:
    folder = _bad_folder(tmp_path)
    result = cli("portfolio", str(folder), "--format", "json", "--lang", "en")
    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    data = json.loads(result.stdout)
    rows = {str(Path(r["file"]).relative_to(folder)): r for r in data["conventions"]}
    assert set(rows) == {"good/fabrique-numerique-s3.yaml", "good/incubateur-territoires.yaml", "broken.yaml",
                         "rules/rule.yaml", "over/over.yaml", "binary.yaml", "pipe.yaml"}
    assert data["invalid"] == 5
    for name in ("good/fabrique-numerique-s3.yaml", "good/incubateur-territoires.yaml"):
        assert rows[name]["check"]["valid"] and rows[name]["totals"] is not None
    for name in ("broken.yaml", "rules/rule.yaml", "over/over.yaml", "binary.yaml", "pipe.yaml"):
        check = rows[name]["check"]
        assert not check["valid"] and check["errors"] >= 1 and check["first_problem"], name
        assert rows[name]["totals"] is None
    assert "not valid YAML" in rows["broken.yaml"]["check"]["first_problem"]
    assert rows["rules/rule.yaml"]["id"] == "fabrique-numerique-s3" and rows["rules/rule.yaml"]["check"]["errors"] == 2
    assert "named pipe" in rows["pipe.yaml"]["check"]["first_problem"]
    assert rows["over/over.yaml"]["id"] == "fabrique-numerique-s3"
    # every problem, on stderr
    assert "over/ledgers/fabrique-numerique-s3.ledger" in result.stderr and "broken.yaml" in result.stderr
    assert data["totals"]["all"]["conventions"] == 2
    table = cli("portfolio", str(folder), "--lang", "en")
    assert table.exit_code == 1 and "Conventions that fail check" in table.stdout
    assert "Traceback" not in table.stdout + table.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_listed(cli: Cli, tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "good")
    secret = tmp_path / "secret.yaml"
    secret.write_text(SEED_TEXT, encoding="utf-8")
    secret.chmod(0)
    result = cli("portfolio", str(tmp_path), "--format", "json")
    assert result.exit_code == 1
    rows = {Path(r["file"]).name: r for r in json.loads(result.stdout)["conventions"]}
    assert not rows["secret.yaml"]["check"]["valid"]


def test_exit_codes_and_streams(cli: Cli, tmp_path: Path) -> None:
    good = cli("portfolio", str(EXAMPLES / "incubateur-territoires.yaml"), "--format", "json")
    assert good.exit_code == 0 and good.stderr == ""
    assert len(json.loads(good.stdout)["conventions"]) == 1
    missing = cli("portfolio", "nowhere")
    assert missing.exit_code == 2 and missing.stdout == "" and "nowhere" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = cli("portfolio", "empty")
    assert empty.exit_code == 2 and "no convention" in empty.stderr
    shutil.copytree(EXAMPLES, tmp_path / "here")
    os.chdir(tmp_path / "here")
    here = cli("portfolio", "--format", "json")  # the current folder by default
    assert here.exit_code == 0 and len(json.loads(here.stdout)["conventions"]) == 2


def test_what_is_a_convention_file(tmp_path: Path) -> None:
    # The pre-commit hook's rule (store.convention.looks_like_convention): two of a convention's
    # top-level keys, or YAML that cannot be parsed (check then says what is wrong with it).
    (tmp_path / "a.yaml").write_text("budget:\n  total: 1\nteams: []\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("id: x\nledger: l.ledger\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("name: x\n  budget: 1\n", encoding="utf-8")  # not YAML: taken
    (tmp_path / "f.yaml").write_text("teams: []\n", encoding="utf-8")  # one key: some other YAML
    (tmp_path / ".pre-commit-config.yaml").write_text("budget: 1\n", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.yaml").write_text("budget: 1\n", encoding="utf-8")
    (tmp_path / "e.txt").write_text("budget: 1\n", encoding="utf-8")
    assert [p.name for p in find_conventions([str(tmp_path)]).files] == ["a.yaml", "b.yml", "c.yaml"]
    assert [p.name for p in find_conventions([str(tmp_path / "e.txt")]).files] == ["e.txt"]  # named: taken


def test_the_pool_gives_what_one_process_gives(tmp_path: Path) -> None:
    files = []
    for index in range(5):
        shutil.copytree(EXAMPLES, tmp_path / f"copy{index}")
        files += sorted((tmp_path / f"copy{index}").glob("*.yaml"))
    today = dt.date(2020, 6, 15)
    pooled = summarize_all(files, None, today, "fr", "en", workers=2)
    alone = summarize_all(files, None, today, "fr", "en", workers=1)
    assert pooled == alone and len(pooled) == 10 and all(r.check.valid for r in pooled)


# --------------------------------------------------------------------------------------
# A folder that cannot be searched is a located problem, never a silent gap
# --------------------------------------------------------------------------------------


def _with_a_locked_folder(root: Path) -> Path:
    """``root/good``: the two examples; ``root/locked``: a third convention, in a folder that
    is to be made unlistable.  Returns the locked folder."""
    shutil.copytree(EXAMPLES, root / "good")
    locked = root / "locked"
    locked.mkdir()
    (locked / "hidden.yaml").write_text(SEED_TEXT, encoding="utf-8")
    return locked


def _folder_row(folder: str, reason: str) -> dict[str, Any]:
    problem = f"{folder}: error: cannot search this folder: {reason}"
    return {"file": folder, "id": None, "title": None, "delegant": None, "programme": None, "uo": None,
            "period": None, "status": None, "month": None, "as_of": None,
            "check": {"valid": False, "errors": 1, "warnings": 0, "first_problem": problem},
            "totals": None, "year": None, "alerts": None, "closed_through": None,
            "problems": [{"file": folder, "line": None, "column": None, "severity": "error",
                          "code": "folder-unreadable", "message": f"cannot search this folder: {reason}"}]}


def test_a_folder_that_cannot_be_listed_is_listed_as_a_problem(cli: Cli, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Root lists any folder: the refusal is simulated where ``os.walk`` meets it, ``os.scandir``."""
    locked = _with_a_locked_folder(tmp_path / "all")
    readable = cli("portfolio", str(tmp_path / "all"), "--format", "json", "--lang", "en")
    assert (readable.exit_code, readable.stderr) == (0, "")
    assert [Path(r["file"]).name for r in json.loads(readable.stdout)["conventions"]] == [
        "fabrique-numerique-s3.yaml", "incubateur-territoires.yaml", "hidden.yaml"]

    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if os.fspath(path) == str(locked):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = cli("portfolio", str(tmp_path / "all"), "--format", "json", "--lang", "en")
    assert result.exit_code == 1
    assert result.stderr == f"{locked}: error: cannot search this folder: Permission denied\n"
    data = json.loads(result.stdout)
    assert [Path(r["file"]).name for r in data["conventions"]] == [
        "fabrique-numerique-s3.yaml", "incubateur-territoires.yaml", "locked"]
    assert data["conventions"][2] == _folder_row(str(locked), "Permission denied")
    assert (data["invalid"], data["totals"]["all"]["conventions"]) == (1, 2)

    table = cli("portfolio", str(tmp_path / "all"), "--lang", "en")
    assert (table.exit_code, table.stderr) == (1, f"{locked}: error: cannot search this folder: Permission denied\n")
    assert table.stdout.splitlines()[1].startswith("3 conventions — 1 fails check;")
    assert f"{locked}: error: cannot search this folder: Permission denied" in table.stdout

    # Only that folder: no "no convention file found" (exit 2), the folder's problem (exit 1).
    alone = cli("portfolio", str(locked), "--format", "csv", "--lang", "en")
    assert (alone.exit_code, alone.stderr) == (1, f"{locked}: error: cannot search this folder: Permission denied\n")
    assert alone.stdout.splitlines()[1] == (
        ",,,,,,,,,,,,,,,,,,,,,,,false,1,"
        f"{locked}: error: cannot search this folder: Permission denied,,{locked}")


def _unprivileged() -> list[str]:
    """The command prefix that runs this interpreter as ``nobody`` (tests run as root here,
    and root lists any folder), or a skip when the system cannot."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv is not installed: cannot drop root's privileges")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import delegation_cli.cli.app"], capture_output=True,
                           check=False)
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot run this interpreter: {probe.stderr.decode(errors='replace')[-200:]}")
    return prefix


def test_a_folder_without_permissions_is_listed_as_a_problem(cli: Cli) -> None:
    """Real permissions (``chmod 000``): in this process as an ordinary user, as ``nobody``
    through ``setpriv`` when the tests run as root."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        root.chmod(0o755)  # nobody must reach it
        locked = _with_a_locked_folder(root / "all")
        for path in (root / "all").rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        locked.chmod(0)
        try:
            if os.geteuid() != 0:
                result = cli("portfolio", str(root / "all"), "--format", "json", "--lang", "en")
                code, out, err = result.exit_code, result.stdout, result.stderr
            else:
                done = subprocess.run(
                    [*_unprivileged(), sys.executable, "-m", "delegation_cli", "portfolio", str(root / "all"),
                     "--format", "json", "--lang", "en"],
                    capture_output=True, text=True, check=False, cwd=root,
                    env={**os.environ, "LANG": "C.UTF-8", "HOME": str(root), "PYTHONDONTWRITEBYTECODE": "1"})
                code, out, err = done.returncode, done.stdout, done.stderr
        finally:
            locked.chmod(0o755)
    assert (code, err) == (1, f"{locked}: error: cannot search this folder: Permission denied\n")
    data = json.loads(out)
    assert [Path(r["file"]).name for r in data["conventions"]] == [
        "fabrique-numerique-s3.yaml", "incubateur-territoires.yaml", "locked"]
    assert data["conventions"][2] == _folder_row(str(locked), "Permission denied")
