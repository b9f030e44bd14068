"""Languages: the catalogue is complete and compiled; the report is a French document by
default, English on request; messages follow the locale or ``--lang``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, Cli, eur, write_convention

sys.path.insert(0, str(ROOT / "scripts"))
import catalogue  # noqa: E402

# --------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------


def test_every_message_has_a_french_translation() -> None:
    template = catalogue.extract()
    assert len(template) > 300  # the sources do go through the catalogue
    french = catalogue.read(catalogue.CATALOGUES["fr"])
    assert catalogue.problems(template, french) == []


def test_a_missing_translation_is_caught() -> None:
    from babel.messages.catalog import Catalog

    template = Catalog()
    template.add("team {team} is over its cap")
    template.add(("{count} entry", "{count} entries"))
    french = Catalog(locale="fr")
    french.add("team {team} is over its cap", "l'équipe {équipe} dépasse son plafond")
    assert catalogue.problems(template, french) == [
        "placeholders differ: 'team {team} is over its cap' -> \"l'équipe {équipe} dépasse son plafond\"",
        "no translation: '{count} entry'"]


def test_the_compiled_catalogue_is_the_source_compiled() -> None:
    source = catalogue.CATALOGUES["fr"]
    shipped = source.with_suffix(".mo").read_bytes()
    assert shipped == catalogue.compiled(catalogue.read(source)), "run: python scripts/catalogue.py compile"


# --------------------------------------------------------------------------------------
# The report: French by default
# --------------------------------------------------------------------------------------




def test_the_report_is_french_by_default_whatever_the_locale(seed_example: Cli) -> None:
    result = seed_example("report", "--month", "2020-06", "--format", "markdown")
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# Compte rendu mensuel de juin 2020 — Convention de délégation de gestion")
    assert "- **Arrêté au** : 30/06/2020" in lines
    assert lines.index("## Synthèse") < lines.index("## Alertes") < lines.index(
        "## Équipes : engagements (AE) sous le plafond")
    # The month: 13 payments of 80 000 € in June (lines 89-101 of the ledger), one release of 4 000 €.
    assert f"- **Le mois** : 13 paiements ({eur('80 000,00 €')}), 1 dégagement ({eur('4 000,00 €')})" in lines
    assert ("**Insuffisance des crédits. Conformément à l'article 5 de la convention, le délégataire informe "
            "le délégant sans délai :**") in lines
    assert "| 29/06/2020 | Friches | Point mensuel : avancement conforme au plan de charge |" in lines
    assert "## Avancement des travaux de juin 2020" in lines


def test_lang_en_and_the_conventions_language(seed_example: Cli, tmp_path: Path) -> None:
    english = seed_example("report", "--month", "2020-06", "--format", "markdown", "--lang", "en")
    assert english.stdout.startswith("# Monthly report of June 2020 — ")
    assert "- **As of**: 2020-06-30" in english.stdout.splitlines()
    text = (tmp_path / "convention.yaml").read_text(encoding="utf-8")
    head = "reporting:                    # art. 5: monthly and final reports\n"
    assert text.count(head) == 1
    (tmp_path / "convention.yaml").write_text(text.replace(head, head + "  language: en\n"), encoding="utf-8")
    assert seed_example("check").exit_code == 0
    assert seed_example("report", "--month", "2020-06", "--format", "markdown").stdout == english.stdout
    french = seed_example("report", "--month", "2020-06", "--format", "markdown", "--lang", "fr")
    assert french.stdout.startswith("# Compte rendu mensuel de juin 2020 — ")


def test_json_keys_codes_and_csv_headers_do_not_change_with_the_language(seed_example: Cli) -> None:
    fr = json.loads(seed_example("report", "--month", "2020-06", "--format", "json").stdout)
    en = json.loads(seed_example("report", "--month", "2020-06", "--format", "json", "--lang", "en").stdout)

    def shape(value: object) -> object:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items() if k not in ("message", "text", "insufficient", "unused")}
        if isinstance(value, list):
            return [shape(v) for v in value]
        return value

    assert shape(fr) == shape(en)
    assert [a["code"] for a in fr["alerts"]] == [a["code"] for a in en["alerts"]]
    assert fr["alerts"][1]["message"] != en["alerts"][1]["message"]
    fr_csv = seed_example("report", "--month", "2020-06", "--format", "csv").stdout.splitlines()
    en_csv = seed_example("report", "--month", "2020-06", "--format", "csv", "--lang", "en").stdout.splitlines()
    headers = [i + 1 for i, line in enumerate(en_csv) if line.startswith("# ")]
    assert [fr_csv[i] for i in headers] == [en_csv[i] for i in headers]
    assert "Team,Cap,In month,Committed,Available,% of cap" in fr_csv


# --------------------------------------------------------------------------------------
# Messages follow the locale, or --lang
# --------------------------------------------------------------------------------------


def test_messages_follow_the_locale(seed_example: Cli) -> None:
    english = seed_example("commit", "--team", "friches", "20000", "--date", "2020-06-30")
    french = seed_example("commit", "--team", "friches", "20000", "--date", "2020-06-30", env={"LANGUAGE": "fr"})
    forced = seed_example("commit", "--team", "friches", "20000", "--date", "2020-06-30", "--lang", "fr")
    assert english.exit_code == french.exit_code == forced.exit_code == 1
    assert english.stderr.startswith("error: ") or ": error: " in english.stderr
    assert "erreur" in french.stderr and french.stderr == forced.stderr
    assert english.stderr != french.stderr
    # an amount is written the same way in both languages
    assert eur("125 000,00 €") in english.stderr and eur("125 000,00 €") in french.stderr


def test_every_message_line_is_translated(seed_example: Cli, tmp_path: Path) -> None:
    """Refusals and check problems of many kinds: each French line differs from the English."""
    broken, _text = write_convention(tmp_path, ("team_cap: 125000 ", "team_cap: -3 "),
                                     ("start: 2019-11-01", "start: 2019-13-01"), name="broken.yaml")
    cases = [
        ("check", str(broken)),
        ("commit", "--team", "friches", "20000", "--date", "2020-06-30"),
        ("commit", "--team", "nobody", "20000"),
        ("pay", "BC-nope", "10", "--date", "2020-06-30"),
        ("report", "--team", "nobody"),
        ("report", "--month", "2031-13"),
        ("close", "2030-01"),
        ("check", "missing.yaml"),
        ("log", "--kind", "nothing"),
    ]
    for args in cases:
        en = seed_example(*args)
        fr = seed_example(*args, "--lang", "fr")
        assert en.exit_code == fr.exit_code != 0, args
        en_lines, fr_lines = en.stderr.splitlines(), fr.stderr.splitlines()
        assert len(en_lines) == len(fr_lines) > 0, args
        for english, french in zip(en_lines, fr_lines, strict=True):
            assert english != french, (args, english)


def test_help_in_french() -> None:
    result = subprocess.run([sys.executable, "-m", "delegation_cli", "--lang", "fr", "report", "--help"],
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                            cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Utilisation : python -m delegation_cli report [OPTIONS]\n")
    assert "Afficher le compte rendu mensuel (article 5)" in result.stdout
    assert "\nOptions :\n" in result.stdout and "Usage:" not in result.stdout
