"""The délégant's document in French: « d'avril », never « de avril » (issue 23)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from delegation_cli.core.i18n import _, elide, format_month, using

from .conftest import ROOT, Cli

CATALOGUE = ROOT / "delegation_cli" / "locale" / "fr" / "LC_MESSAGES" / "delegation.po"
MONTHS = [f"2020-{m:02d}" for m in range(1, 13)]
VOWEL_MONTHS = {"2020-04": "avril", "2020-08": "août", "2020-10": "octobre"}


def month_patterns() -> list[str]:
    """Every message of the catalogue that names a month (``{month}``)."""
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    return [m.id for m in catalog if isinstance(m.id, str) and "{month}" in m.id]


def test_every_sentence_that_names_a_month_elides_de_before_a_vowel() -> None:
    patterns = month_patterns()
    assert len(patterns) >= 8
    elided = 0
    for pattern in patterns:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(pattern) if name}
        for month in MONTHS:
            with using("fr"):
                values = dict.fromkeys(names, "x") | {"month": format_month(month)}
                text = _(pattern).format(**values)
            assert re.search(r"\bde (avril|août|octobre)", text) is None, (pattern, text)
            if month in VOWEL_MONTHS and f"d'{VOWEL_MONTHS[month]}" in text:
                elided += 1
    assert elided >= 3 * 5  # at least five patterns write « de {month} » in French


def test_elision_rules() -> None:
    assert elide("Compte rendu mensuel de avril 2020") == "Compte rendu mensuel d'avril 2020"
    assert elide("Mouvements de août 2020") == "Mouvements d'août 2020"
    assert elide("Avancement des travaux de octobre 2020") == "Avancement des travaux d'octobre 2020"
    assert elide("Compte rendu mensuel de juin 2020") == "Compte rendu mensuel de juin 2020"
    assert elide("plafond de 125 000,00 €") == "plafond de 125 000,00 €"
    assert elide("De Affaires juridiques") == "D'Affaires juridiques"
    assert elide("hors de habitude") == "hors de habitude"  # an h is left as it is
    assert elide("mode avril") == "mode avril"  # « de » only as a word


@pytest.mark.parametrize("month", ["2020-04", "2020-08", "2020-10"])
def test_the_report_of_a_month_beginning_with_a_vowel(seed_example: Cli, month: str) -> None:
    name = VOWEL_MONTHS[month]
    for fmt in ("table", "markdown", "csv", "json", "html"):
        text = seed_example("report", "--month", month, "--format", fmt, "--full").stdout
        assert re.search(rf"\bde {name}", text) is None, fmt
    table = seed_example("report", "--month", month, "--full").stdout
    assert table.splitlines()[0].startswith(f"Compte rendu mensuel d'{name} 2020 — ")
    assert f"Avancement des travaux d'{name} 2020" in table
    assert f"Mouvements d'{name} 2020" in table


def test_english_is_left_alone(seed_example: Cli) -> None:
    text = seed_example("report", "--month", "2020-04", "--lang", "en").stdout
    assert text.splitlines()[0].startswith("Monthly report of April 2020")


def nbsp(text: str) -> str:
    """French amounts as the program writes them: U+202F between groups, U+00A0 before €."""
    from .conftest import eur

    return eur(text)


def test_lost_ae_are_shown_and_the_available_ae_are_the_years_table(seed_example: Cli) -> None:
    # By hand from the example: envelope 750 000 − 607 500 committed net = 142 500 not committed;
    # 2 500 € released in 2020 on a 2019 order give back no AE; AE 2020: 630 000 − 490 000 = 140 000.
    table = seed_example("report", "--month", "2020-06").stdout
    assert f"Enveloppe non engagée (AE) : {nbsp('142 500,00 €')}\n" in table
    assert (f"dont AE dégagées sur engagements d'exercices antérieurs, non réutilisables : {nbsp('2 500,00 €')}\n"
            in table)
    assert f"AE encore disponibles (tableau des exercices) : {nbsp('140 000,00 €')}\n" in table
    import json

    years = json.loads(seed_example("report", "--month", "2020-06", "--format", "json").stdout)["years"]
    assert sum(int(y["ae_available"].replace(".", "")) for y in years) == 140_000_00


def test_the_synthese_of_an_avenants_month_says_what_it_changed(cli: Cli, tmp_path: Path) -> None:
    import json
    import shutil

    shutil.copy(ROOT / "examples" / "incubateur-territoires.yaml", tmp_path / "convention.yaml")
    expected = (f"Avenant n° 1 du 16/01/2023 : enveloppe portée de {nbsp('320 000,00 €')} à {nbsp('360 000,00 €')} ; "
                f"plafond par équipe porté de {nbsp('80 000,00 €')} à {nbsp('90 000,00 €')} ; AE 2024 portées de "
                f"{nbsp('40 000,00 €')} à {nbsp('80 000,00 €')} ; CP 2024 portés de {nbsp('80 000,00 €')} à "
                f"{nbsp('120 000,00 €')} ; {nbsp('15 000,50 €')} d'AE 2022 reportées sur 2023")
    assert f"\n{expected}\n" in cli("report", "--month", "2023-01").stdout
    assert f"- **Avenant n° 1 du 16/01/2023** : {expected.split(' : ', 1)[1]}" in cli(
        "report", "--month", "2023-01", "--format", "markdown").stdout
    data = json.loads(cli("report", "--month", "2023-01", "--format", "json").stdout)
    assert data["synthese"]["avenants"] == [expected.replace(" : ", ": ", 1)]
    assert json.loads(cli("report", "--month", "2023-02", "--format", "json").stdout)["synthese"]["avenants"] == []


def test_documents_name_entries_by_their_chorus_numbers(seed_example: Cli) -> None:
    """EJ, DP and bons de commande in documents; internal ids (``c-00001011``) only for scripts."""
    for fmt in ("table", "markdown", "html"):
        text = seed_example("report", "--month", "2020-06", "--full", "--format", fmt).stdout
        assert re.search(r"\b[cpr]-0000\d{4}\b", text) is None, fmt
    table = seed_example("report", "--month", "2020-06", "--full").stdout
    assert "sur EJ 1300012017, DP 100195" in table  # a payment: the EJ it pays, its DP
    for fmt in ("json", "csv"):
        assert "c-00001011" in seed_example("report", "--month", "2020-06", "--format", fmt).stdout


def test_documents_name_teams_by_their_label_and_alerts_in_words(seed_example: Cli) -> None:
    import json

    table = seed_example("report", "--month", "2020-06", "--full").stdout
    assert "\nFriches " in table and "\nfriches " not in table  # the teams' table: « Friches », not the id
    assert "plafond de l'équipe Friches : taux de consommation de 100,0\u00a0%" in table
    assert "[threshold]" not in table and "forecast-exceeds" not in table  # alerts in words, no code
    markdown = seed_example("report", "--month", "2020-06", "--format", "markdown").stdout
    assert "| Gravité | Message |" in markdown and "| Acces-4-All |" in markdown
    data = json.loads(seed_example("report", "--month", "2020-06", "--format", "json").stdout)
    assert data["teams"][0]["team"] == "acces-4-all"  # scripts keep the ids and the codes
    assert {a["code"] for a in data["alerts"]} >= {"threshold", "forecast-exceeds-ae"}
    csv_text = seed_example("report", "--month", "2020-06", "--format", "csv").stdout
    assert "\nacces-4-all," in csv_text and "forecast-exceeds-cap" in csv_text


def test_unused_credits_of_the_last_year_are_said_at_once_and_an_overrun_is_named(seed_example: Cli) -> None:
    # June 2020, the convention's last year: CP 750 000 opened − 345 500 paid − 330 000 forecast = 74 500
    # left unused; AE 2020: 490 000 committed + 165 000 forecast = 655 000 for 630 000 opened, 25 000 over.
    table = seed_example("report", "--month", "2020-06", "--full").stdout
    assert (f"– {nbsp('74 500,00 €')} de CP 2020 risquent de ne pas être consommés en fin d'année "
            f"({nbsp('750 000,00 €')} ouverts, {nbsp('345 500,00 €')} payés, {nbsp('330 000,00 €')} prévus)") in table
    landing = table[table.index("Atterrissage prévisionnel en fin d'année : AE"):].split("\n\n")[0].splitlines()
    assert landing[1].split()[-2:] == ["Dépassement", "prévisionnel"]
    assert re.search(r"  0,00\u00a0€ +25\u202f000,00\u00a0€$", landing[2])  # unused 0, overrun 25 000
    assert "-25 000" not in table
    final = seed_example("report", "--final").stdout
    assert (f"– {nbsp('404 500,00 €')} de CP 2020 n'ont pas été consommés au terme de la convention, "
            f"définitivement ({nbsp('750 000,00 €')} ouverts, {nbsp('345 500,00 €')} payés)") in final
    assert "dans 0 jours" not in final


def test_the_html_document_has_the_form_of_an_administrative_document(seed_example: Cli) -> None:
    import datetime as dt

    html = seed_example("report", "--month", "2020-06", "--format", "html").stdout
    assert '<html lang="fr">' in html
    assert '<p class="republic">République française</p>' in html
    assert "<p>Direction interministérielle du numérique (DINUM)</p>" in html  # the sender
    assert '<p class="to">À :</p>' in html  # then the délégant, the addressee
    assert ("Objet : Convention de délégation de gestion — Fabrique numérique, saison 3 (2019-2020), "
            "signée le 09/12/2019") in html
    assert f"Émis le {dt.date.today().strftime('%d/%m/%Y')}" in html
    assert html.index("<header>") < html.index("<main>") < html.index('<p class="for">Pour le délégataire</p>') \
        < html.index("</main>") < html.index("<footer>")
    assert '<p class="signatory">Nadi Bou Hanna, Directeur interministériel du numérique</p>' in html
    figure = html[html.index('<figure class="chart'):]
    assert figure.index("<figcaption>") < figure.index("<svg")  # a caption above its chart


def test_the_final_report_gives_the_account_of_the_whole_convention(seed_example: Cli) -> None:
    import json

    logged = json.loads(seed_example("log", "--format", "json").stdout)
    data = json.loads(seed_example("report", "--final", "--format", "json").stdout)
    moved = [e["id"] for e in logged if e["kind"] in ("commitment", "payment", "release")]
    assert sorted(m["id"] for m in data["movements"]) == sorted(moved)  # every movement, not December's
    assert len(data["notes"]) == sum(e["kind"] == "note" for e in logged)
    teams = [m["team"] for m in data["movements"]]
    order = ["acces-4-all", "enr-electriques", "biocarburants", "affaires-juridiques", "pointeuse-transport",
             "friches"]
    assert teams == sorted(teams, key=order.index)  # team by team
    table = seed_example("report", "--final", "--full").stdout
    assert "Mouvements sur toute la durée de la convention, par équipe" in table
    assert "Avancement des travaux sur toute la durée de la convention, par équipe" in table
    assert "aucune note d'avancement ce mois-ci" not in table


def test_without_caps_the_team_chart_says_so(cli: Cli, tmp_path: Path) -> None:
    from .test_no_team_cap import NO_CAP
    from .test_report import LEDGER

    (tmp_path / "convention.yaml").write_text(NO_CAP, encoding="utf-8")
    (tmp_path / "mini.ledger").write_text(LEDGER, encoding="utf-8")
    html = cli("report", "--month", "2022-03", "--format", "html", "--lang", "fr").stdout
    assert ("<figcaption><strong>Équipes : AE engagées et CP payés (la convention ne plafonne aucune équipe)"
            "</strong> Chaque barre représente ce qu&#39;une équipe a engagé : le payé, puis l&#39;engagé non encore "
            "payé.</figcaption>") in html
    assert "consommation du plafond" not in html and "Disponible sous le plafond" not in html
