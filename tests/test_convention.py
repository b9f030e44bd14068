"""Convention files: every rule of `delegation check` with a valid and a broken case.

Each broken case changes the reference convention in one place and asserts the exact
lines printed, with the line and column of the field concerned.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from delegation_cli.core.errors import DelegationError
from delegation_cli.store.convention import load_convention

from .conftest import SECOND, SEED, SEED_TEXT, eur, line_of, write_convention


def at(text: str, needle: str, value: str | None = None, occurrence: int = 1) -> str:
    """``LINE:COL`` of ``value`` (default: what follows ``key: ``) on the line with needle."""
    number = line_of(text, needle, occurrence)
    line = text.splitlines()[number - 1]
    if value is None:
        value = line.split(": ", 1)[1] if ": " in line else line.strip()
    return f"{number}:{line.index(value) + 1}"


def rendered(path: Path) -> list[str]:
    return [p.render() for p in load_convention(path).problems]


def test_examples_are_valid() -> None:
    for path in (SEED, SECOND):
        loaded = load_convention(path)
        assert loaded.problems == []
        assert loaded.convention is not None


def test_seed_transcription_holds_every_figure() -> None:
    conv = load_convention(SEED).convention
    assert conv is not None
    assert conv.budget.total == 750_000_00 and conv.budget.team_cap == 125_000_00
    schedule = {y.year: (y.ae, y.cp, y.ae_per_team, y.cp_per_team) for y in conv.budget.schedule}
    assert schedule == {2019: (120_000_00, 0, 20_000_00, None),
                        2020: (630_000_00, 750_000_00, 105_000_00, 125_000_00)}
    assert len(conv.teams) == 6 and "friches" in conv.team_ids
    chorus = conv.imputation.chorus
    assert (conv.imputation.programme, conv.imputation.bop, conv.imputation.uo) == ("217", "FACS", "ELAB")
    assert (chorus.axe_ministeriel, chorus.domaine_fonctionnel, chorus.centre_financier,
            chorus.activite, chorus.centre_de_cout) == (
        "sans objet", "0217-04-03", "0217-FACS-ELAB", "021701010163", "DININCUB75")
    assert str(conv.signed) == "2019-12-09" and str(conv.effective_date) == "2019-12-09"
    assert (str(conv.period.start), str(conv.period.end)) == ("2019-11-01", "2020-12-31")
    assert conv.termination.notice_months == 3
    assert [str(t) for t in conv.reporting.alert_thresholds] == ["80", "95"]
    assert {m.id: [p.id for p in m.prestations] for m in conv.marches} == {
        "coaching": ["coaching"], "dev": ["devops", "design", "deploiement"]}
    assert conv.parties.delegataire.address == "20 avenue de Ségur - TSA 30719, 75334 Paris Cedex 07"
    assert conv.ledger_path == "ledgers/fabrique-numerique-s3.ledger"


def test_second_example_avenant_applies_from_its_date() -> None:
    conv = load_convention(SECOND).convention
    assert conv is not None
    import datetime as dt

    before = conv.limits_at(dt.date(2023, 1, 15))
    after = conv.limits_at(dt.date(2023, 1, 16))
    assert (before.team_cap, before.total, before.ae[2024], before.ae[2023]) == (
        80_000_00, 320_000_00, 40_000_00, 160_000_00)
    assert (after.team_cap, after.total, after.ae[2024], after.cp[2024], after.ae[2023]) == (
        90_000_00, 360_000_00, 80_000_00, 120_000_00, 175_000_50)
    assert after.avenants == (1,)


def test_yaml_numbers_are_exact(tmp_path: Path) -> None:
    # 0.1 + 0.2 == 0.3 holds only with exact arithmetic.
    path, _ = write_convention(
        tmp_path,
        ("  total: 750000", "  total: 0.3"),
        ("  team_cap: 125000 ", "  team_cap: 0.05 "),
        ("      ae: 120000\n", "      ae: 0.1\n"),
        ("      ae: 630000\n", "      ae: 0.2\n"),
        ("      cp: 750000\n", "      cp: 0.3\n"),
        ("      ae_per_team: 20000 ", "      # "),
        ("      ae_per_team: 105000 ", "      # "),
        ("      cp_per_team: 125000 ", "      cp_per_team: 0.05 "),
    )
    loaded = load_convention(path)
    assert [p.render() for p in loaded.problems] == []
    assert loaded.convention is not None
    assert [y.ae for y in loaded.convention.budget.schedule] == [10, 20]


CASES = [
    pytest.param(
        [("      ae: 120000\n", "      ae: 130000\n")],
        lambda t: [
            f"c.yaml:{at(t, '  total: 750000')}: error: the schedule opens {eur('760 000,00 €')} "
            f"of AE (2019: {eur('130 000,00 €')}, 2020: {eur('630 000,00 €')}) but the envelope is "
            f"{eur('750 000,00 €')} (expected Σ AE = envelope)",
            f"c.yaml:{at(t, 'ae: 130000')}: warning: 2019: 6 teams × {eur('20 000,00 €')} = "
            f"{eur('120 000,00 €')} differs from the year's AE {eur('130 000,00 €')} "
            "(expected shares × teams = year's AE)",
        ],
        id="ae-sum-mismatch",
    ),
    pytest.param(
        [("      cp: 750000\n", "      cp: 740000\n")],
        lambda t: [
            f"c.yaml:{at(t, '  total: 750000')}: error: the schedule opens {eur('740 000,00 €')} "
            f"of CP (2019: {eur('0,00 €')}, 2020: {eur('740 000,00 €')}) but the envelope is "
            f"{eur('750 000,00 €')} (expected Σ CP = envelope)",
            f"c.yaml:{at(t, 'cp: 740000')}: warning: 2020: 6 teams × {eur('125 000,00 €')} = "
            f"{eur('750 000,00 €')} differs from the year's CP {eur('740 000,00 €')} "
            "(expected shares × teams = year's CP)",
        ],
        id="cp-sum-mismatch",
    ),
    pytest.param(
        [("  team_cap: 125000 ", "  team_cap: 120000 ")],
        lambda t: [
            f"c.yaml:{at(t, 'team_cap: 120000', '120000')}: error: the envelope "
            f"{eur('750 000,00 €')} exceeds 6 teams × {eur('120 000,00 €')} = "
            f"{eur('720 000,00 €')} (expected envelope ≤ teams × cap)",
        ],
        id="envelope-above-caps",
    ),
    pytest.param(
        [("  team_cap: 125000 ", "  team_cap: 130000 ")],
        lambda t: [
            f"c.yaml:{at(t, 'team_cap: 130000', '130000')}: warning: 6 teams × "
            f"{eur('130 000,00 €')} = {eur('780 000,00 €')} differs from the envelope "
            f"{eur('750 000,00 €')} (expected teams × cap = envelope)",
        ],
        id="envelope-below-caps",
    ),
    pytest.param(
        [("    - year: 2019", "    - year: 2018")],
        lambda t: [
            f"c.yaml:{at(t, 'year: 2018', '2018')}: error: year 2018 is outside the period "
            "2019-11-01 – 2020-12-31 (expected a year from 2019 to 2020)",
        ],
        id="year-outside-period",
    ),
    pytest.param(
        [("    - year: 2020", "    - year: 2019")],
        lambda t: [
            f"c.yaml:{at(t, 'year: 2019', '2019', 2)}: error: year 2019 appears twice in the "
            "schedule (expected each year once)",
        ],
        id="year-duplicate",
    ),
    pytest.param(
        [("  start: 2019-11-01", "  start: 2021-01-01")],
        lambda t: [
            f"c.yaml:{at(t, 'end: 2020-12-31')}: error: period ends on 2020-12-31 before it "
            "starts on 2021-01-01 (expected start ≤ end)",
            f"c.yaml:{at(t, 'payments_until: 2020-12-31', '2020-12-31')}: error: payments "
            "allowed until 2020-12-31, before the period starts on 2021-01-01 (expected a date "
            "on or after the start)",
            f"c.yaml:{at(t, 'year: 2019', '2019')}: error: year 2019 is outside the period "
            "2021-01-01 – 2020-12-31 (expected a year from 2021 to 2020)",
            f"c.yaml:{at(t, 'year: 2020', '2020')}: error: year 2020 is outside the period "
            "2021-01-01 – 2020-12-31 (expected a year from 2021 to 2020)",
        ],
        id="period-order",
    ),
    pytest.param(
        [("signed: 2019-12-09 ", "signed: 2021-01-05 ")],
        lambda t: [
            f"c.yaml:{at(t, 'signed: 2021', '2021-01-05')}: error: signed on 2021-01-05, after "
            "the period ends on 2020-12-31 (expected a signature inside or before the period)",
        ],
        id="signature-after-period",
    ),
    pytest.param(
        [("  - id: biocarburants", "  - id: friches")],
        lambda t: [
            f"c.yaml:{at(t, '- id: friches', 'friches', 2)}: error: team id 'friches' is used "
            "twice (expected unique ids)",
        ],
        id="team-duplicate",
    ),
    pytest.param(
        [("  - id: friches", "  - id: Friches")],
        lambda t: [
            f"c.yaml:{at(t, '- id: Friches', 'Friches')}: error: teams.5.id: 'Friches' is not "
            "well formed (expected a slug of lowercase letters, digits and dashes, such as "
            "friches)",
        ],
        id="team-slug",
    ),
    pytest.param(
        [("  total: 750000", "  total: 750000.001")],
        lambda t: [
            f"c.yaml:{at(t, 'total: 750000.001')}: error: budget.total: 750000.001 has more "
            "than 2 decimals (expected an amount ≥ 0 in euros with at most 2 decimals)",
        ],
        id="amount-decimals",
    ),
    pytest.param(
        [("      cp: 0\n", "      cp: -5\n")],
        lambda t: [
            f"c.yaml:{at(t, 'cp: -5')}: error: budget.schedule.0.cp: -5 is negative (expected "
            "an amount ≥ 0 in euros with at most 2 decimals)",
        ],
        id="amount-negative",
    ),
    pytest.param(
        [('centre_financier: "0217-FACS-ELAB"', 'centre_financier: "0217-FACS-ELAC"')],
        lambda t: [
            f"c.yaml:{at(t, 'centre_financier')}: error: centre financier 0217-FACS-ELAC does "
            "not match programme-BOP-UO (expected 0217-FACS-ELAB)",
        ],
        id="centre-financier-mismatch",
    ),
    pytest.param(
        [('centre_financier: "0217-FACS-ELAB"', 'centre_financier: "217-FACS-ELAB"')],
        lambda t: [
            f"c.yaml:{at(t, 'centre_financier')}: error: imputation.chorus.centre_financier: "
            "'217-FACS-ELAB' is not well formed (expected NNNN-XXXX-XXXX, such as 0217-FACS-ELAB)",
        ],
        id="centre-financier-format",
    ),
    pytest.param(
        [('domaine_fonctionnel: "0217-04-03"', 'domaine_fonctionnel: "0218-04-03"')],
        lambda t: [
            f"c.yaml:{at(t, 'domaine_fonctionnel')}: error: domaine fonctionnel 0218-04-03 does "
            "not start with the programme (expected 0217-…)",
        ],
        id="domaine-fonctionnel-programme",
    ),
    pytest.param(
        [('domaine_fonctionnel: "0217-04-03"', 'domaine_fonctionnel: "0217-4-03"')],
        lambda t: [
            f"c.yaml:{at(t, 'domaine_fonctionnel')}: error: imputation.chorus.domaine_fonctionnel: "
            "'0217-4-03' is not well formed (expected NNNN-NN or NNNN-NN-NN, such as 0217-04-03)",
        ],
        id="domaine-fonctionnel-format",
    ),
    pytest.param(
        [('activite: "021701010163"', 'activite: "021801010163"')],
        lambda t: [
            f"c.yaml:{at(t, 'activite')}: error: activité 021801010163 does not start with the "
            "programme (expected 0217…)",
        ],
        id="activite-programme",
    ),
    pytest.param(
        [('activite: "021701010163"', 'activite: "02170101016"')],
        lambda t: [
            f"c.yaml:{at(t, 'activite')}: error: imputation.chorus.activite: '02170101016' is "
            "not well formed (expected 12 digits, such as 021701010163)",
        ],
        id="activite-format",
    ),
    pytest.param(
        [("      ae_per_team: 20000 ", "      ae_per_team: 25000 ")],
        lambda t: [
            f"c.yaml:{at(t, 'ae: 120000')}: warning: 2019: 6 teams × {eur('25 000,00 €')} = "
            f"{eur('150 000,00 €')} differs from the year's AE {eur('120 000,00 €')} "
            "(expected shares × teams = year's AE)",
        ],
        id="share-mismatch",
    ),
    pytest.param(
        [("      ae: 120000\n", "      ae: 0\n"), ("      cp: 0\n", "      cp: 120000\n"),
         ("      ae: 630000\n", "      ae: 750000\n"), ("      cp: 750000\n", "      cp: 630000\n"),
         ("      ae_per_team: 20000 ", "      ae_per_team: 0 "),
         ("      ae_per_team: 105000 ", "      ae_per_team: 125000 "),
         ("      cp_per_team: 125000 ", "      cp_per_team: 105000 ")],
        lambda t: [
            f"c.yaml:{at(t, 'cp: 120000')}: warning: by the end of 2019, {eur('120 000,00 €')} "
            f"of CP are opened for only {eur('0,00 €')} of AE (expected cumulative CP ≤ "
            "cumulative AE: one cannot pay what was not committed)",
        ],
        id="cp-ahead-of-ae",
    ),
    pytest.param(
        [("title: ", "titel: ")],
        lambda t: [
            "c.yaml:1:1: error: missing field 'title'",
            f"c.yaml:{at(t, 'titel:', 'titel')}: error: unknown field 'titel' (expected one of: "
            "id, title, signed, takes_effect, period, legal_basis, parties, imputation, budget, "
            "teams, marches, reporting, termination, avenants, ledger)",
        ],
        id="unknown-key",
    ),
    pytest.param(
        [("ledger: ledgers/fabrique-numerique-s3.ledger", "ledger: ../elsewhere/x.ledger")],
        lambda t: [
            f"c.yaml:{at(t, 'ledger: ../')}: error: ledger path '../elsewhere/x.ledger' leaves "
            "the convention's folder (expected a relative path inside it, such as "
            "ledgers/fabrique-numerique-s3.ledger)",
        ],
        id="ledger-outside",
    ),
    pytest.param(
        [("  total: 750000", "  total: 1e400")],
        lambda t: [
            f"c.yaml:{at(t, 'total: 1e400')}: error: budget.total: 1e400 is not a plain amount "
            "(expected digits with at most 2 decimals, without exponent, NaN or infinity)",
        ],
        id="exponent",
    ),
    pytest.param(
        [("  total: 750000", "  total: .nan")],
        lambda t: [
            f"c.yaml:{at(t, 'total: .nan')}: error: budget.total: .nan is not a plain amount "
            "(expected digits with at most 2 decimals, without exponent, NaN or infinity)",
        ],
        id="nan",
    ),
    pytest.param(
        [("  total: 750000", "  total: !!python/object/apply:os.system [echo]")],
        lambda t: [
            f"c.yaml:{at(t, 'total: !!python', '!!python')}: error: YAML tag "
            "!!python/object/apply:os.system is not allowed (expected plain "
            "values: text, numbers, dates, lists and mappings)",
        ],
        id="yaml-tag",
    ),
]


@pytest.mark.parametrize(("replacements", "expected"), CASES)
def test_rule(tmp_path: Path, replacements: list[tuple[str, str]], expected: object) -> None:
    path, text = write_convention(tmp_path, *replacements)
    import os

    os.chdir(tmp_path)
    got = [p.render() for p in load_convention(Path("c.yaml")).problems]
    assert got == expected(text)  # type: ignore[operator]


SECOND_TEXT = SECOND.read_text(encoding="utf-8")

AVENANT_CASES = [
    pytest.param(
        [("    date: 2023-01-16", "    date: 2024-07-01")],
        lambda t: [
            f"c.yaml:{at(t, 'date: 2024-07-01')}: error: avenant n° 1 is dated 2024-07-01, "
            "outside the period 2022-01-20 – 2024-06-30 (expected a date inside it, on or "
            "after the signature)",
        ],
        id="avenant-outside-period",
    ),
    pytest.param(
        [("    team_cap: 90000 ", "    team_cap: -10000 ")],
        lambda t: [
            f"c.yaml:{at(t, 'team_cap: -10000', '-10000')}: error: avenants.0.team_cap: -10000 is "
            "negative (expected an amount ≥ 0 in euros with at most 2 decimals)",
        ],
        id="avenant-negative",
    ),
    pytest.param(
        [("        ae: 15000.50", "        ae: 120000.01")],
        lambda t: [
            f"c.yaml:{at(t, 'ae: 120000.01')}: error: avenant n° 1 carries "
            f"{eur('120 000,01 €')} of AE over from 2022, which opens only {eur('120 000,00 €')} "
            "(expected at most what the year opens)",
        ],
        id="carry-over-too-large",
    ),
    pytest.param(
        [("      - year: 2024\n        ae: 80000", "      - year: 2025\n        ae: 80000")],
        lambda t: [
            f"c.yaml:{at(t, 'year: 2025', '2025')}: error: avenant n° 1 changes year 2025, which "
            "is not in the schedule (expected one of 2022, 2023, 2024)",
            f"c.yaml:{at(t, '- number: 1', 'number')}: error: after avenant n° 1, the schedule "
            f"opens {eur('320 000,00 €')} of AE and {eur('320 000,00 €')} of CP for an envelope "
            f"of {eur('360 000,00 €')} (expected Σ AE = Σ CP = envelope; change the envelope "
            "with the years)",
        ],
        id="avenant-unknown-year",
    ),
    pytest.param(
        [("    total: 360000", "    total: 350000")],
        lambda t: [
            f"c.yaml:{at(t, '- number: 1', 'number')}: error: after avenant n° 1, the schedule "
            f"opens {eur('360 000,00 €')} of AE and {eur('360 000,00 €')} of CP for an envelope "
            f"of {eur('350 000,00 €')} (expected Σ AE = Σ CP = envelope; change the envelope "
            "with the years)",
            f"c.yaml:{at(t, '- number: 1', 'number')}: warning: after avenant n° 1, 4 teams × "
            f"{eur('90 000,00 €')} = {eur('360 000,00 €')} differs from the envelope "
            f"{eur('350 000,00 €')} (expected teams × cap = envelope)",
        ],
        id="avenant-envelope-mismatch",
    ),
]


@pytest.mark.parametrize(("replacements", "expected"), AVENANT_CASES)
def test_avenant_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      replacements: list[tuple[str, str]], expected: object) -> None:
    _, text = write_convention(tmp_path, *replacements, base=SECOND_TEXT)
    monkeypatch.chdir(tmp_path)
    got = [p.render() for p in load_convention(Path("c.yaml")).problems]
    assert got == expected(text)  # type: ignore[operator]


# Files that cannot be read at all: one clear line, exit code 2 ------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"id: x\ntitle: [unclosed\n", "c.yaml:3:1: error: not valid YAML: "
                     "expected ',' or ']', but got '<stream end>'", id="syntax"),
        pytest.param(b"id: x\nid: y\n", "c.yaml:2:1: error: not valid YAML: found duplicate "
                     "key \"id\" with value \"y\" (original value: \"x\")", id="duplicate-key"),
        pytest.param(b"id: caf\xe9\n", "c.yaml:1:8: error: invalid UTF-8 byte 0xe9 (expected a "
                     "convention YAML file in UTF-8 text)", id="utf8"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00\x00", "c.yaml:1: error: contains a NUL byte: "
                     "binary data (expected a convention YAML file in UTF-8 text)", id="binary"),
        pytest.param(b"[" * 5000 + b"]" * 5000, "c.yaml:1:51: error: nested more than 50 "
                     "levels deep", id="deep"),
    ],
)
def test_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, message: str) -> None:
    (tmp_path / "c.yaml").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DelegationError) as info:
        load_convention(Path("c.yaml"))
    assert [p.render() for p in info.value.problems] == [message]
    assert info.value.exit_code == 2


def test_alias_bomb_is_refused_quickly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    (tmp_path / "c.yaml").write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DelegationError) as info:
        load_convention(Path("c.yaml"))
    assert [p.render() for p in info.value.problems] == [
        "c.yaml:5:45: error: the document expands to more than 100000 values once its aliases are "
        "replaced by the values they repeat (at most 100000; a convention is a page of YAML)"]


def test_huge_file_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open(tmp_path / "c.yaml", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DelegationError) as info:
        load_convention(Path("c.yaml"))
    assert [p.render() for p in info.value.problems] == [
        "c.yaml: error: file is 52428800 bytes, too large for a convention YAML file (at most "
        "1000000)"]


def test_seed_text_fixture_is_the_example() -> None:
    assert SEED.read_text(encoding="utf-8") == SEED_TEXT
