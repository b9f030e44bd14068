"""`delegation publish`: the convention's open-data package, checked by `frictionless validate`
(zero errors), its figures computed by hand on a small ledger and compared with the report's,
nothing personal in it, its titles in French."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import MINI, Cli, dedent, with_checksums

FILES = ["convention.csv", "credits.csv", "teams.csv", "movements.csv", "summary.csv", "datapackage.json"]

# MINI (conftest): 2 teams capped at 600 €, envelope 1 000 €, AE 2021 = 400 € of which avenant n° 1
# (2022-01-10) carries 50 € over to 2022, CP 2021 = 100 €, AE 2022 = 600 €, CP 2022 = 900 €.
LEDGER = with_checksums(dedent("""
    # delegation-ledger v2 convention=mini
    2021-03-10 commitment c-00000001 alpha 300.00 ref=BC-1 by=alice.martin "Sprint 1 chez Mme Dupont"
    2021-03-20 commitment c-00000002 beta 50.00 ref=BC-2 by=bob.durand
    2021-04-05 payment p-00000001 alpha 100.00 commitment=c-00000001 sf=2021-04-01 by=alice.martin
    2021-04-15 release r-00000001 beta 20.00 commitment=c-00000002 by=bob.durand
    2021-05-02 note n-00000001 alpha by=alice.martin "Réunion avec M. Leroy"
    2022-02-01 commitment c-00000003 beta 200.00 ref=BC-3 by=bob.durand
    2022-02-10 payment p-00000002 alpha 150.00 commitment=c-00000001 sf=2022-02-01 by=alice.martin
    2022-03-05 cancel x-00000001 beta entry=c-00000003 by=bob.durand "Saisi deux fois"
"""))
# By hand, as of 31 March 2022:
# * alpha: committed 300 (March 2021); paid 100 (April 2021) + 150 (February 2022) = 250;
#   reste à payer 50; 300 left under its cap.
# * beta: 50 committed (March 2021), 20 released (April 2021), 200 committed (February 2022)
#   and cancelled in March 2022: 30 committed, nothing paid, reste à payer 30; 570 left.
# * 2021: AE 400 opened, 50 carried over, 350 − 20 (a release of the year) = 330 committed,
#   20 available; CP 100 opened, 100 paid. 2022: AE 600 + 50 = 650 opened, 200 − 200 = 0
#   committed; CP 900 opened, 150 paid, 750 available.
# * the convention: 330 committed, 250 paid, 80 to pay; 670 of AE and 750 of CP available.
MOVEMENTS = dedent("""
    convention,team,month,ae_committed,ae_released,cp_paid
    mini,alpha,2021-03,300.00,0.00,0.00
    mini,alpha,2021-04,0.00,0.00,100.00
    mini,alpha,2022-02,0.00,0.00,150.00
    mini,beta,2021-03,50.00,0.00,0.00
    mini,beta,2021-04,0.00,20.00,0.00
    mini,beta,2022-02,200.00,0.00,0.00
    mini,beta,2022-03,-200.00,0.00,0.00
""")
TEAMS = dedent("""
    convention,team,name,cap,ae_committed,cp_paid,remaining_to_pay,available
    mini,alpha,Alpha,600.00,300.00,250.00,50.00,300.00
    mini,beta,Beta,600.00,30.00,0.00,30.00,570.00
""")
CREDITS = dedent("""
    convention,year,ae_open,ae_carried_over,ae_committed,ae_available,cp_open,cp_carried_over,cp_paid,cp_available
    mini,2021,400.00,50.00,330.00,20.00,100.00,0.00,100.00,0.00
    mini,2022,650.00,0.00,0.00,650.00,900.00,0.00,150.00,750.00
""")


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def text_of(path: Path) -> str:
    """A file's text as written, line ends included."""
    return path.read_bytes().decode("utf-8")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def frictionless_errors(descriptor: Path) -> list[str]:
    """Every error ``frictionless validate`` finds in a data package (its types, constraints,
    primary and foreign keys), each as ``resource: type: note``."""
    import frictionless

    report = frictionless.validate(str(descriptor))
    return [f"{task.name}: {error.type}: {error.note}" for task in report.tasks for error in task.errors] + [
        f"package: {error.type}: {error.note}" for error in report.errors]


@pytest.fixture
def mini(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    (tmp_path / "mini.ledger").write_text(LEDGER, encoding="utf-8")
    return cli


def test_publish_writes_the_package_and_says_where(mini: Cli, tmp_path: Path) -> None:
    result = mini("publish", "--month", "2022-03", "--output", "pkg")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == ("Wrote the open-data package of mini (figures as of 2022-03-31) in pkg:\n"
                             + "".join(f"  {Path('pkg') / name}\n" for name in FILES))
    assert sorted(p.name for p in (tmp_path / "pkg").iterdir()) == sorted(FILES)


def test_the_figures_are_those_computed_by_hand(mini: Cli, tmp_path: Path) -> None:
    assert mini("publish", "--month", "2022-03", "--output", "pkg").exit_code == 0
    folder = tmp_path / "pkg"
    assert text_of(folder / "movements.csv") == crlf(MOVEMENTS)
    assert text_of(folder / "teams.csv") == crlf(TEAMS)
    assert text_of(folder / "credits.csv") == crlf(CREDITS)
    [summary] = rows(folder / "summary.csv")
    assert summary == {
        "convention": "mini", "month": "2022-03", "as_of": "2022-03-31", "envelope": "1000.00",
        "ae_committed": "330.00", "cp_paid": "250.00", "remaining_to_pay": "80.00", "ae_available": "670.00",
        "cp_available": "750.00", "ae_rate": "33.0", "cp_rate": "25.0", "closed_through": "",
        "alerts_error": summary["alerts_error"], "alerts_warning": summary["alerts_warning"],
        "alerts_info": summary["alerts_info"], "inform_delegant": summary["inform_delegant"]}
    [convention] = rows(folder / "convention.csv")
    assert (convention["id"], convention["programme"], convention["activite"], convention["effective"],
            convention["envelope"], convention["team_cap"], convention["teams"], convention["avenants"]) == (
        "mini", "217", "021701010163", "2021-02-01", "1000.00", "600.00", "2", "1")


def test_the_package_states_the_reports_figures_and_its_alerts(mini: Cli, tmp_path: Path) -> None:
    assert mini("publish", "--month", "2022-03", "--output", "pkg").exit_code == 0
    report = json.loads(mini("report", "--month", "2022-03", "--format", "json").stdout)
    [summary] = rows(tmp_path / "pkg" / "summary.csv")
    for key, value in report["totals"].items():
        assert summary[key] == value, key
    alerts = report["alerts"]
    for severity in ("error", "warning", "info"):
        assert summary[f"alerts_{severity}"] == str(sum(1 for a in alerts if a["severity"] == severity))
    informed = any(report["synthese"]["inform_delegant"].values())
    assert summary["inform_delegant"] == ("true" if informed else "false")
    teams = {t["team"]: t for t in report["teams"]}
    for row in rows(tmp_path / "pkg" / "teams.csv"):
        assert (row["ae_committed"], row["cp_paid"], row["remaining_to_pay"]) == (
            teams[row["team"]]["ae_committed"], teams[row["team"]]["cp_paid"], teams[row["team"]]["remaining_to_pay"])


def test_frictionless_finds_no_error_in_the_example_package(seed_example: Cli, tmp_path: Path) -> None:
    result = seed_example("publish", "--month", "2020-06", "--output", "open-data")
    assert (result.exit_code, result.stderr) == (0, "")
    assert frictionless_errors(tmp_path / "open-data" / "datapackage.json") == []
    frictionless = Path(sys.executable).parent / "frictionless"  # the command line, as a portal runs it
    checked = subprocess.run([str(frictionless), "validate", "--json", "datapackage.json"], capture_output=True,
                             text=True, cwd=tmp_path / "open-data", timeout=120, check=False)
    verdict = json.loads(checked.stdout)
    assert (checked.returncode, verdict["valid"], verdict["stats"]["errors"], verdict["stats"]["tasks"]) == (
        0, True, 0, 5)


def test_frictionless_would_see_a_wrong_amount_and_an_unknown_team(seed_example: Cli, tmp_path: Path) -> None:
    """The schema says something: an amount that is not a number and a movement of a team the
    package does not list are errors."""
    assert seed_example("publish", "--month", "2020-06", "--output", "pkg").exit_code == 0
    folder = tmp_path / "pkg"
    teams = text_of(folder / "teams.csv").split("\r\n")
    (folder / "teams.csv").write_text("\r\n".join(line for line in teams if ",friches," not in line),
                                      encoding="utf-8")
    credits_text = (folder / "credits.csv").read_text(encoding="utf-8")
    (folder / "credits.csv").write_text(credits_text.replace(",630000.00,", ",630 000,00 €,"), encoding="utf-8")
    errors = frictionless_errors(folder / "datapackage.json")
    assert any(e.startswith("credits: type-error:") for e in errors), errors
    assert any(e.startswith("movements: foreign-key:") and "friches" in e for e in errors), errors


def test_movements_add_up_to_each_teams_figures_on_the_example(seed_example: Cli, tmp_path: Path) -> None:
    assert seed_example("publish", "--month", "2020-06", "--output", "pkg").exit_code == 0
    committed: dict[str, int] = {}
    paid: dict[str, int] = {}
    for row in rows(tmp_path / "pkg" / "movements.csv"):
        cents = {k: int(row[k].replace(".", "")) for k in ("ae_committed", "ae_released", "cp_paid")}
        committed[row["team"]] = committed.get(row["team"], 0) + cents["ae_committed"] - cents["ae_released"]
        paid[row["team"]] = paid.get(row["team"], 0) + cents["cp_paid"]
    teams = rows(tmp_path / "pkg" / "teams.csv")
    assert len(teams) == 6
    for team in teams:
        assert committed[team["team"]] == int(team["ae_committed"].replace(".", "")), team["team"]
        assert paid[team["team"]] == int(team["cp_paid"].replace(".", "")), team["team"]
    report = json.loads(seed_example("report", "--month", "2020-06", "--format", "json").stdout)
    june = [r for r in rows(tmp_path / "pkg" / "movements.csv") if r["month"] == "2020-06"]
    for line in report["teams"]:  # the report's "this month" columns are the month's movements
        mine = [r for r in june if r["team"] == line["team"]]
        month_ae = sum(int(r["ae_committed"].replace(".", "")) - int(r["ae_released"].replace(".", "")) for r in mine)
        assert month_ae == int(line["ae_committed_month"].replace(".", "")), line["team"]
        assert sum(int(r["cp_paid"].replace(".", "")) for r in mine) == int(line["cp_paid_month"].replace(".", ""))


def test_nothing_personal_is_published(mini: Cli, tmp_path: Path) -> None:
    """No author, label, note or reason of the ledger; no representative or signatory."""
    assert mini("publish", "--month", "2022-03", "--output", "pkg").exit_code == 0
    text = "".join(text_of(p) for p in (tmp_path / "pkg").iterdir())
    for personal in ("alice", "bob", "Dupont", "Leroy", "Sprint 1", "Saisi deux fois", "by=", "BC-1"):
        assert personal not in text, personal


def test_nothing_personal_is_published_of_the_example(seed_example: Cli, tmp_path: Path) -> None:
    assert seed_example("publish", "--month", "2020-06", "--output", "pkg").exit_code == 0
    text = "".join(text_of(p) for p in (tmp_path / "pkg").iterdir())
    for personal in ("Emilie Piette", "Anne Jeanjean", "Nadi Bou Hanna", "c.martin", "BC-12001", "1300012001"):
        assert personal not in text, personal


def test_titles_and_descriptions_are_french_by_default(seed_example: Cli, tmp_path: Path) -> None:
    assert seed_example("publish", "--month", "2020-06", "--output", "fr").exit_code == 0
    package = json.loads((tmp_path / "fr" / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    assert [r["title"] for r in package["resources"]] == [
        "La convention", "Crédits par année budgétaire", "Équipes", "Mouvements par équipe et par mois",
        "Synthèse du compte rendu mensuel"]
    fields = {f["name"]: f for f in resources["movements"]["schema"]["fields"]}
    assert (fields["ae_released"]["title"], fields["ae_released"]["type"]) == ("Dégagements", "number")
    assert fields["month"]["type"] == "yearmonth"
    assert package["description"].startswith("Exécution budgétaire de la convention de délégation de gestion entre "
                                             "Secrétariat général des ministères")
    assert "au 30/06/2020 :" in package["description"]
    assert package["licenses"][0]["name"] == "etalab-2.0"
    assert resources["movements"]["schema"]["primaryKey"] == ["convention", "team", "month"]
    assert seed_example("publish", "--month", "2020-06", "--output", "en", "--lang", "en").exit_code == 0
    english = json.loads((tmp_path / "en" / "datapackage.json").read_text(encoding="utf-8"))
    assert english["resources"][3]["title"] == "Movements per team and month"
    for name in FILES[:-1]:  # the data is the same in both languages
        assert (tmp_path / "fr" / name).read_bytes() == (tmp_path / "en" / name).read_bytes(), name


def test_default_folder_and_rewriting_a_package(seed_example: Cli, tmp_path: Path) -> None:
    assert seed_example("publish", "--month", "2020-05").exit_code == 0
    folder = tmp_path / "open-data" / "fabrique-numerique-s3"
    assert text_of(folder / "summary.csv").split("\r\n")[1].split(",")[1] == "2020-05"
    (folder / "README.md").write_text("mine\n", encoding="utf-8")
    assert seed_example("publish", "--month", "2020-06").exit_code == 0  # every month, the same folder
    assert text_of(folder / "summary.csv").split("\r\n")[1].split(",")[1] == "2020-06"
    assert (folder / "README.md").read_text(encoding="utf-8") == "mine\n"


def test_a_ledger_with_an_error_is_never_published(mini: Cli, tmp_path: Path) -> None:
    over = with_checksums("# delegation-ledger v2 convention=mini\n2021-03-10 commitment c-00000009 alpha "
                          "700.00 ref=BC-9\n")
    (tmp_path / "mini.ledger").write_text(over, encoding="utf-8")
    result = mini("publish", "--month", "2022-03", "--output", "pkg")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("mini.ledger:2: error: alpha: commitment of 700,00")
    assert not (tmp_path / "pkg").exists()


def test_an_output_that_is_a_file_is_refused(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "pkg").write_text("mine\n", encoding="utf-8")
    result = mini("publish", "--month", "2022-03", "--output", "pkg")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "pkg: error: is not a folder (expected the folder to write the open-data package in)\n"
    assert (tmp_path / "pkg").read_text(encoding="utf-8") == "mine\n"


def test_the_command_line_loads_no_publication_module() -> None:
    code = ("import sys; import delegation_cli.cli.app; print(sorted(m for m in sys.modules if m in "
            "('delegation_cli.report.publication', 'delegation_cli.report.datapackage', 'frictionless', 'duckdb')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout == "[]\n"


def test_docs_list_every_field_with_its_type_and_french_title() -> None:
    from delegation_cli.core.i18n import _, using
    from delegation_cli.report.publication import RESOURCES

    from .conftest import ROOT

    doc = (ROOT / "docs" / "open-data.md").read_text(encoding="utf-8")
    for resource in RESOURCES:
        section = doc.split(f"### `{resource.name}` — ", 1)[1].split("\n### ", 1)[0]
        for field in resource.fields:
            with using("fr"):
                title = _(field.title)
            kind = {"money": "number (euros", "number": "number (percent"}.get(field.kind, field.kind)
            assert f"| `{field.name}` | {kind}" in section and f"| {title} |" in section, (resource.name, field.name)
