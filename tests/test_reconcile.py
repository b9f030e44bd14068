"""`delegation reconcile`: Chorus extracts made here, in CSV, .xlsx (openpyxl) and .ods (odfpy),
with the real column names — the header four rows down, subtotal rows, postes to sum, an EJ
only in Chorus, one only in the ledger, one with a different payment, a row of another centre
financier — against a ledger recorded on MINI.  Every figure is worked out by hand below."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from .conftest import MINI, Cli, sha

HEADER = ("Centre financier", "N° EJ", "N° poste EJ", "Fournisseur titulaire principal (EJ)", "Centre de coûts",
          "Compte budgétaire", "Date comptable du SF", "Montant engagé", "Montant certifié non soldé",
          "Montant facturé", "Montant payé")
CF = "0217-FACS-ELAB"
# (centre financier, EJ, poste, supplier, date of SF, committed, paid) in cents; None: a subtotal row.
ROWS: list[tuple[str, str, str, str, dt.date | None, int, int] | None] = [
    (CF, "1300000001", "1", "OCTO", dt.date(2021, 3, 30), 10_000, 5_000),   # postes of EJ …01: 120 / 50
    (CF, "1300000001", "2", "OCTO", None, 2_000, 0),
    None,                                                                  # « Résultat » of EJ …01
    (CF, "1300000002", "1", "Ippon", dt.date(2021, 4, 2), 8_000, 3_500),   # paid 35, the ledger 30
    (CF, "1300000009", "1", "Inconnu", None, 123_456, 0),                  # only in Chorus
    ("0217-FACS-AUTR", "1300000099", "1", "Autre", None, 99_999, 0),       # another centre financier
]


def _fr(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", "\u00a0") + f",{rest:02d}"


def _table(rows: list[tuple[str, str, str, str, dt.date | None, int, int] | None]) -> list[list[object]]:
    """The extract as a spreadsheet shows it: a title block, the header on row 5, the rows."""
    out: list[list[object]] = [["Restitution INFBUD52 — Suivi des EJ"], ["Date d'extraction : 01.07.2021"], [], [],
                               list(HEADER)]
    for row in rows:
        if row is None:
            out.append(["Résultat", "", "", "", "", "", "", 12_000, "", "", 5_000])
            continue
        centre, ej, poste, supplier, day, committed, paid = row
        out.append([centre, ej, poste, supplier, "DININCUB75", "6113", day, committed, 0, committed, paid])
    out.append(["Résultat global"])
    return out


def write_csv(path: Path, rows: list[list[object]]) -> None:
    def cell(value: object, index: int) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return value.strftime("%d.%m.%Y")
        if isinstance(value, int) and index < len(HEADER) and HEADER[index].startswith("Montant"):
            return _fr(value)
        return str(value)
    lines = [";".join(cell(v, i) for i, v in enumerate(row)) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([v / 100 if isinstance(v, int) else (v or None) for v in row])
    book.save(path)


def write_ods(path: Path, rows: list[list[object]]) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Restitution")
    for row in rows:
        line = TableRow()
        for value in row:
            if isinstance(value, int):
                cell = TableCell(valuetype="float", value=f"{value / 100:.2f}")
                cell.addElement(P(text=_fr(value)))
            elif isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
                cell.addElement(P(text=value.strftime("%d/%m/%Y")))
            else:
                cell = TableCell(valuetype="string")
                if value:
                    cell.addElement(P(text=str(value)))
            line.addElement(cell)
        table.addElement(line)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "ods": write_ods}


@pytest.fixture
def ledger(cli: Cli, tmp_path: Path) -> Cli:
    """MINI's ledger: EJ …01 (120, paid 50) and …02 (80, paid 30) as in Chorus but for a payment
    of 5; EJ …03 (40) that Chorus does not know; a commitment of 20 without an EJ number."""
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    for args in (
        ("commit", "--team", "alpha", "120", "--date", "2021-03-01", "--ref", "BC-1", "--ej", "1300000001"),
        ("pay", "1300000001", "50", "--date", "2021-04-01", "--service-fait", "2021-03-30", "--dp", "DP-1"),
        ("commit", "--team", "beta", "80", "--date", "2021-03-02", "--ref", "BC-2", "--ej", "1300000002"),
        ("pay", "BC-2", "30", "--date", "2021-04-05", "--service-fait", "2021-04-02"),
        ("commit", "--team", "alpha", "40", "--date", "2021-03-03", "--ej", "1300000003"),
        ("commit", "--team", "beta", "20", "--date", "2021-03-04", "--ref", "BC-4"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
    return cli


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_an_extract_in_each_format_is_compared_ej_by_ej(ledger: Cli, tmp_path: Path, fmt: str) -> None:
    extract = tmp_path / f"INFBUD.{fmt}"
    WRITERS[fmt](extract, _table(ROWS))
    before = sha(tmp_path / "mini.ledger")
    result = ledger("reconcile", extract.name, "--format", "json")
    assert result.exit_code == 1, result.stderr  # they differ
    assert sha(tmp_path / "mini.ledger") == before
    data = json.loads(result.stdout)
    logged = {e.get("ej") or e.get("ref"): e["id"] for e in json.loads(ledger("log", "--format", "json").stdout)
              if e["kind"] == "commitment"}
    assert (data["header_row"], data["rows"], data["subtotal_rows"], data["other_centre_rows"]) == (5, 4, 2, 1)
    assert data["summary"] == {
        "matched": 2, "differing": 1, "chorus_only": 1, "ledger_only": 1, "without_ej": 1,
        # Chorus: 120 + 80 + 1 234,56; the ledger: 120 + 80 + 40 + 20.  Paid: 50 + 35 against 50 + 30.
        "committed": {"chorus": "1434.56", "ledger": "260.00", "gap": "1174.56"},
        "paid": {"chorus": "85.00", "ledger": "80.00", "gap": "5.00"},
    }
    (differing,) = data["differing"]
    assert (differing["ej"], differing["commitment"], differing["chorus"]["paid"], differing["ledger"]["paid"],
            differing["paid_gap"], differing["committed_gap"]) == (
        "1300000002", logged["1300000002"], "35.00", "30.00", "5.00", "0.00")
    (agreeing,) = data["agreeing"]
    assert (agreeing["ej"], agreeing["chorus"]["postes"], agreeing["chorus"]["committed"],
            agreeing["chorus"]["rows"]) == ("1300000001", 2, "120.00", [6, 7])
    assert [(c["ej"], c["committed"], c["supplier"]) for c in data["chorus_only"]] == [
        ("1300000009", "1234.56", "Inconnu")]
    assert [(e["ej"], e["commitment"]) for e in data["ledger_only"]] == [("1300000003", logged["1300000003"])]
    assert [(e["ref"], e["committed"]) for e in data["without_ej"]] == [("BC-4", "20.00")]


def test_the_table_in_french_by_default_and_agreement_exits_0(ledger: Cli, tmp_path: Path) -> None:
    write_csv(tmp_path / "extract.csv", _table(ROWS))
    table = ledger("reconcile", "extract.csv", "--lang", "fr")
    assert table.exit_code == 1
    lines = table.stdout.splitlines()
    assert lines[0] == "Rapprochement avec Chorus : extract.csv"
    assert lines[2] == "Le registre et Chorus diffèrent : voir ci-dessous."
    # Only EJ …01 and …02 in Chorus, the ledger's …03 and the one without EJ cancelled: they agree.
    agreeing = [row for row in ROWS if row is None or row[1] == "1300000001"]
    write_csv(tmp_path / "same.csv", _table([*agreeing, (CF, "1300000002", "1", "Ippon", None, 8_000, 3_000)]))
    for key in ("1300000003", "BC-4"):
        assert ledger("cancel", key, "--reason", "Erreur", "--date", "2021-03-05").exit_code == 0
    same = ledger("reconcile", "same.csv", "--format", "json")
    assert (same.exit_code, json.loads(same.stdout)["agree"]) == (0, True)


def test_an_extract_that_cannot_be_read_says_each_bad_row(ledger: Cli, tmp_path: Path) -> None:
    rows = _table(ROWS)
    rows[5][10] = "12,3,4"     # row 6: a malformed payment
    rows[8][1] = ""            # row 9: no EJ number
    write_csv(tmp_path / "bad.csv", rows)
    result = ledger("reconcile", "bad.csv")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "bad.csv:6: error: '12,3,4' in column 'Montant payé' is not an amount (expected such as 1 234,56)\n"
        "bad.csv:9: error: no EJ number in column 'N° EJ'\n")
    (tmp_path / "nothing.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    none = ledger("reconcile", "nothing.csv")
    assert (none.exit_code, none.stderr) == (2, (
        "nothing.csv: error: no header row naming the columns 'N° EJ', 'Montant engagé', 'Montant payé' in the "
        "first 50 rows (expected a Chorus extract; the convention may rename the columns under "
        "imputation.chorus.columns)\n"))


def test_the_convention_may_rename_the_columns(ledger: Cli, tmp_path: Path) -> None:
    text = MINI.replace('centre_de_cout: X1}', 'centre_de_cout: X1, columns: {ej: "Numéro EJ", paid: "Payé"}}')
    assert text != MINI
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")
    rows = _table(ROWS)
    rows[4][1], rows[4][10] = "Numéro EJ", "Payé"
    write_csv(tmp_path / "renamed.csv", rows)
    data = json.loads(ledger("reconcile", "renamed.csv", "--format", "json").stdout)
    assert data["summary"]["matched"] == 2


def test_amount_cells_are_read_exactly() -> None:
    from delegation_cli.core.chorus import parse_amount_cell, parse_date_cell

    assert [parse_amount_cell(v) for v in ("1 234,56", "1\u202f234,56 €", "-12,30", "1234.56", 1234.56, 7,
                                           "0,1")] == [123456, 123456, -1230, 123456, 123456, 700, 10]
    for bad in ("1,234,56", "12,345", "1e3", "", 0.125, "abc"):
        with pytest.raises(ValueError):
            parse_amount_cell(bad)
    assert {parse_date_cell(v) for v in ("31.12.2020", "31/12/2020", "2020-12-31", dt.date(2020, 12, 31))} == {
        dt.date(2020, 12, 31)}


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_the_reconciliation_as_a_workbook(ledger: Cli, tmp_path: Path, fmt: str) -> None:
    """Read back with python-calamine (another library than the writer): the amounts of the EJ
    that differ and of the EJ only in Chorus are those of the JSON, to the cent."""
    from decimal import Decimal

    from python_calamine import CalamineWorkbook

    write_csv(tmp_path / "extract.csv", _table(ROWS))
    out = tmp_path / f"rapprochement.{fmt}"
    assert ledger("reconcile", "extract.csv", "--format", fmt, "--output", str(out)).exit_code == 1
    data = json.loads(ledger("reconcile", "extract.csv", "--format", "json").stdout)
    book = CalamineWorkbook.from_path(str(out))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    assert list(sheets)[:3] == ["Summary", "Amounts", "EJ with amounts that differ"]  # MINI reports in English

    def cents(value: object) -> int:
        return int(Decimal(repr(value)) * 100)

    (differing,) = sheets["EJ with amounts that differ"][1:]  # no internal id in a document
    assert differing[0] == data["differing"][0]["ej"]
    assert [cents(v) for v in differing[1:]] == [int(Decimal(v) * 100) for v in (
        data["differing"][0]["chorus"]["committed"], data["differing"][0]["ledger"]["committed"],
        data["differing"][0]["committed_gap"], data["differing"][0]["chorus"]["paid"],
        data["differing"][0]["ledger"]["paid"], data["differing"][0]["paid_gap"])]
    amounts = sheets["Amounts"]
    assert [cents(v) for v in amounts[1][1:]] == [143456, 26000, 117456]  # committed: Chorus, ledger, gap
