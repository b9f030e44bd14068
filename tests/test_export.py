"""Exports checked by the real tools: hledger and beancount must accept them, and their own
balances must give back the report's figures to the cent — on the example ledger and on a
generated ledger of a few thousand entries.

The tools are installed by `.ci/run` (Debian's hledger, PyPI's beancount and beanquery);
under CI a missing tool fails the test instead of skipping it.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from delegation_cli.report.export import bean_account

from .conftest import ROOT, SECOND, SEED, Cli, sha, with_checksums

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = str(BIN / name) if (BIN / name).exists() else shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: .ci/run must install it")
        pytest.skip(f"{name} is not installed")
    return found


def cents(text: str) -> int:
    text = text.replace("EUR", "").strip()
    negative = text.startswith("-")
    whole, _, part = text.lstrip("-").partition(".")
    value = int(whole) * 100 + int((part or "0").ljust(2, "0"))
    return -value if negative else value


def hledger_balances(journal: str) -> dict[str, int]:
    result = subprocess.run([tool("hledger"), "-f", "-", "balance", "--flat", "-E", "--no-total", "-O", "csv"],
                            input=journal, capture_output=True, text=True, check=True)
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    return {account: cents(balance) for account, balance in rows}


def bean_balances(path: Path) -> dict[str, int]:
    result = subprocess.run([tool("bean-query"), "-f", "csv", str(path),
                             "SELECT account, sum(number) AS total GROUP BY account"],
                            capture_output=True, text=True, check=True)
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    return {account: cents(total) for account, total in rows}


def expected_accounts(report: dict) -> dict[tuple[str, ...], int]:  # type: ignore[type-arg]
    """What each account must hold, from `delegation report --format json` alone."""
    out: dict[tuple[str, ...], int] = {}
    for y in report["years"]:
        year = str(y["year"])
        out[("ae", year, "opened")] = -cents(y["ae_open"])
        out[("ae", year, "available")] = cents(y["ae_available"])
        out[("ae", year, "committed")] = cents(y["ae_committed"])
        out[("ae", year, "released-earlier")] = -cents(y["released_earlier_years"])
        out[("cp", year, "opened")] = -cents(y["cp_open"])
        out[("cp", year, "available")] = cents(y["cp_available"])
        out[("cp", year, "paid")] = cents(y["cp_paid"])
    for t in report["teams"]:
        out[("team", t["team"], "ae")] = cents(t["ae_committed"])
        out[("team", t["team"], "cp")] = cents(t["cp_paid"])
        out[("team", t["team"], "year")] = cents(t["year_committed"])
    return out


def fold(balances: dict[tuple[str, ...], int], year_of_report: int) -> dict[tuple[str, ...], int]:
    """Sum the tool's leaf accounts into the figures the report states."""
    out: dict[tuple[str, ...], int] = defaultdict(int)
    for path, amount in balances.items():
        if path[0] == "forecast":
            continue
        envelope, year, kind, *team = path
        if kind == "opened":
            out[(envelope, year, "opened")] += amount
        elif kind in ("available", "committed", "released-earlier", "paid"):
            out[(envelope, year, kind)] += amount
        if team and kind in ("committed", "released-earlier"):
            out[("team", team[0], "ae")] += amount
            if kind == "committed" and int(year) == year_of_report:
                out[("team", team[0], "year")] += amount
        if team and kind == "paid":
            out[("team", team[0], "cp")] += amount
        if kind == "cancelled-earlier":  # an earlier year's entry cancelled: its credits are lost
            if envelope == "ae":
                out[("ae", year, "released-earlier")] += amount
            out[("team", team[0], envelope)] += amount
    return out


def compare(cli: Cli, convention: Path, month_args: tuple[str, ...], tmp_path: Path) -> None:
    report = json.loads(cli("report", "-c", str(convention), "--format", "json", *month_args).stdout)
    until = report["as_of"]
    expected = expected_accounts(report)
    expected = {k: v for k, v in expected.items() if v or k[0] != "team" or k[2] != "year"}
    year_of_report = int(until[:4])

    journal = cli("export", "-c", str(convention), "--format", "hledger", "--until", until)
    assert journal.exit_code == 0, journal.stderr
    check = subprocess.run([tool("hledger"), "-f", "-", "check", "-s"], input=journal.stdout,
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    by_path = {tuple(a.split(":")): v for a, v in hledger_balances(journal.stdout).items()}
    folded = fold(by_path, year_of_report)
    assert {k: folded.get(k, 0) for k in expected} == expected

    bean = tmp_path / "export.beancount"
    result = cli("export", "-c", str(convention), "--format", "beancount", "--until", until, "--output", str(bean))
    assert (result.exit_code, result.stdout) == (0, "")
    checked = subprocess.run([tool("bean-check"), str(bean)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    names = {bean_account(path): path for path in by_path}
    bean_folded = fold({names[a]: v for a, v in bean_balances(bean).items()}, year_of_report)
    assert {k: bean_folded.get(k, 0) for k in expected} == expected


@pytest.mark.parametrize("month_args", [("--month", "2020-03"), ("--month", "2020-06"), ("--final",)])
def test_example_ledger_balances_equal_the_report(cli: Cli, tmp_path: Path, month_args: tuple[str, ...]) -> None:
    compare(cli, SEED, month_args, tmp_path)


@pytest.mark.parametrize("month_args", [("--month", "2023-01"), ("--month", "2024-06")])
def test_an_avenant_stating_new_values_balances_as_the_report(cli: Cli, tmp_path: Path,
                                                               month_args: tuple[str, ...]) -> None:
    # The avenant of the second example puts AE 2024 at 80 000 € (from 40 000 €) and CP 2024
    # at 120 000 € (from 80 000 €): the journal opens the 40 000 € more of each on its date.
    convention = tmp_path / "convention.yaml"
    convention.write_text(SECOND.read_text(encoding="utf-8"), encoding="utf-8")
    compare(cli, convention, month_args, tmp_path)
    journal = cli("export", "-c", str(convention), "--format", "hledger").stdout
    avenant = journal[journal.index("2023-01-16 "):].split("\n\n")[0]
    assert [line.split() for line in avenant.splitlines()[1:] if ":2024:" in line] == [
        ["ae:2024:available", "40000.00", "EUR"], ["ae:2024:opened", "-40000.00", "EUR"],
        ["cp:2024:available", "40000.00", "EUR"], ["cp:2024:opened", "-40000.00", "EUR"]]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_generated_ledger_of_thousands_of_entries(cli: Cli, tmp_path: Path) -> None:
    convention, ledger = _generator().generate(3000, seed=7)
    (tmp_path / "convention.yaml").write_text(convention, encoding="utf-8")
    (tmp_path / "ledger.ledger").write_text(ledger, encoding="utf-8")
    assert cli("check", "--strict").exit_code == 0
    compare(cli, tmp_path / "convention.yaml", ("--month", "2024-06"), tmp_path)
    compare(cli, tmp_path / "convention.yaml", ("--final",), tmp_path)


def test_export_carries_every_entry_and_its_references(cli: Cli) -> None:
    journal = cli("export", "-c", str(SEED), "--format", "hledger").stdout
    ledger_lines = [line for line in (SEED.parent / "ledgers" / "fabrique-numerique-s3.ledger").read_text().splitlines()
                    if line and not line.startswith("#")]
    assert journal.count("; id:") == len(ledger_lines)
    assert "2020-06-30 biocarburants | Design : fin anticipée, reliquat dégagé  ; id:r-00003002, kind:release, " \
           "commitment:c-00001012, author:c.martin, recorded_at:2020-06-30T16:30:00Z, line:" in journal
    exported = json.loads(cli("export", "-c", str(SEED), "--format", "json").stdout)
    assert len(exported["entries"]) == len(ledger_lines)
    assert (exported["entries"][0]["ref"], exported["entries"][0]["ej"]) == ("BC-12001", "1300012001")


def test_a_later_forecast_is_posted_as_the_difference(cli: Cli, tmp_path: Path) -> None:
    from .conftest import MINI, dedent

    (tmp_path / "convention.yaml").write_text(MINI)
    (tmp_path / "mini.ledger").write_text(dedent("""
        # delegation-ledger v1 convention=mini
        2021-04-20 forecast f-1 beta 30.00 month=2021-06 type=ae
        2021-06-01 forecast f-2 beta 25.00 month=2021-06 type=ae
    """))
    balances = hledger_balances(cli("export", "--format", "hledger").stdout)
    assert balances["forecast:2021:ae:beta"] == 25_00


def test_output_file_is_written_atomically_and_never_over_the_ledger(cli: Cli, tmp_path: Path, seed_copy: Path) -> None:
    assert cli("commit", "--team", "friches", "100", "--date", "2020-03-01").exit_code == 0
    ledger = tmp_path / "ledgers" / "seed.ledger"
    before = sha(ledger)
    refused = cli("export", "--format", "csv", "--output", str(ledger))
    assert refused.exit_code == 2
    assert refused.stderr == f"{ledger}: error: --output names the ledger itself; choose another file\n"
    assert sha(ledger) == before
    ok = cli("export", "--format", "csv", "--csv-dialect", "excel-fr", "--output", "out.csv")
    assert ok.exit_code == 0
    data = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[0][:6] == ["line", "date", "kind", "id", "team", "amount"]
    assert rows[1][5] == "100,00"
    assert not list(tmp_path.glob(".out.csv.*"))


def test_an_export_written_in_pieces_is_whole_or_not_at_all(tmp_path: Path) -> None:
    """An export is written a piece at a time (a million entries are never held as text): when
    making a piece fails, the file it replaces is left as it was and no temporary file stays."""
    from delegation_cli.store.ledger import write_atomically

    out = tmp_path / "out.journal"
    out.write_text("old\n")

    def pieces() -> Iterator[bytes]:
        yield b"new 1\n"
        raise RuntimeError("a renderer's bug")

    with pytest.raises(RuntimeError):
        write_atomically(out, pieces())
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.journal"]
    write_atomically(out, iter([b"new 1\n", b"new 2\n"]))
    assert out.read_text() == "new 1\nnew 2\n"

    def unreadable() -> Iterator[bytes]:  # the ledger could not be read on: not a failure to write
        yield b"new 3\n"
        raise OSError(5, "Input/output error")

    with pytest.raises(OSError) as raised:
        write_atomically(out, unreadable())
    assert (type(raised.value), raised.value.strerror) == (OSError, "Input/output error")
    assert out.read_text() == "new 1\nnew 2\n" and [p.name for p in tmp_path.iterdir()] == ["out.journal"]


# --------------------------------------------------------------------------------------
# Labels: inert, whole, and every line within the readers' limits (issue 19)
# --------------------------------------------------------------------------------------

UNITS = {
    "c0": "\x1b[2J\x07\x08\x00\x7f",
    "c1": "\x85\x9b31m\x80\x9f",
    "bidi": "\u202e\u2066\u2069\u200e\u200f\u061c",
    "format": "\u200b\u200d\u00ad\ufeff\U000e0067",
    "separators": "\u2028\u2029",
    "private-unassigned": "\ue000\U000f0000\u0378",
    "surrogates": "\udc80 \ud800 ",  # a lone high surrogate then a low one would read back as a pair
    "syntax": '; | " \\ : , id:x, kind:y :t: # * ! ( ) = @ [ ] { } % & ^ ~ ` ',
    "spaces": "  \t\n\r\n ",
    "combining": "e\u0301\u0302\u0303",
    "emoji": "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
}
LABELS = {name: (unit * (2000 // len(unit) + 1))[:2000] for name, unit in UNITS.items()}
LINE_LIMIT = 4096  # ledger (ledger-cli): "Line exceeds 4096 characters"


def _hostile_ledger() -> str:
    from delegation_cli.core.entries import Entry
    from delegation_cli.core.lines import format_entry, header_line

    lines = [header_line("mini")]
    for index, label in enumerate(LABELS.values()):
        lines += [format_entry(Entry(date=dt.date(2021, 3, 1), kind="commitment", id=f"c-{index:08x}", team="alpha",
                                     amount=100, label=label)),
                  format_entry(Entry(date=dt.date(2021, 3, 2), kind="note", id=f"n-{index:08x}", team="beta",
                                     label=label)),
                  format_entry(Entry(date=dt.date(2021, 3, 3), kind="forecast", id=f"f-{index:08x}", team="beta",
                                     amount=500, month="2021-06", forecast_type="ae", label=label))]
    lines += [format_entry(Entry(date=dt.date(2021, 3, 4), kind="payment", id="p-00000001", team="alpha", amount=50,
                                 commitment="c-00000000", label=LABELS["syntax"])),
              format_entry(Entry(date=dt.date(2021, 3, 5), kind="release", id="r-00000001", team="alpha", amount=50,
                                 commitment="c-00000000", label=LABELS["c0"]))]
    return with_checksums("\n".join(lines) + "\n")


def _assert_inert(text: str) -> None:
    """No raw control, format, separator, surrogate, private-use or unassigned character; no
    line longer than ledger reads."""
    from delegation_cli.core.lines import _UNSAFE_CATEGORIES

    raw = {f"U+{ord(c):04X}" for c in text if c != "\n" and unicodedata.category(c) in _UNSAFE_CATEGORIES}
    assert raw == set()
    assert max(len(line.encode("utf-8")) for line in text.split("\n")) <= LINE_LIMIT


@pytest.fixture
def hostile(cli: Cli, tmp_path: Path) -> Cli:
    from .conftest import MINI

    title = "Mini \x1b[2J\u202e; | \n# " + "t" * 3000
    text = MINI.replace("title: Mini convention", f"title: {json.dumps(title)}").replace(
        "{number: 1, date: 2022-01-10,", "{number: 1, date: 2022-01-10, object: \"objet; \\e[2J \\u2028 | \\\\\",")
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "mini.ledger").write_text(_hostile_ledger(), encoding="utf-8")
    assert cli("check").exit_code == 0
    return cli


def _recovered(first: str, more: dict[str, str]) -> str:
    """A label from its pieces: the description (narration), then label-2, label-3…"""
    pieces = [first] + [more[f"label-{number}"] for number in range(2, len(more) + 2)]
    value: str = json.loads('"' + "".join(pieces) + '"')
    return value


def test_hledger_labels_are_inert_whole_and_read_by_hledger_and_ledger(hostile: Cli) -> None:
    result = hostile("export", "--format", "hledger")
    assert (result.exit_code, result.stderr) == (0, "")
    journal = result.stdout
    _assert_inert(journal)
    for args in (["print"], ["balance"], ["register"], ["check", "-s"]):
        done = subprocess.run([tool("hledger"), "-f", "-", *args], input=journal.encode("utf-8"),
                              capture_output=True, check=False)
        assert (done.returncode, done.stderr) == (0, b""), done.stderr
        _assert_inert(done.stdout.decode("utf-8"))  # `hledger print | cat -v` shows no ^[
    for args in (["balance"], ["print"], ["register"]):
        done = subprocess.run([tool("ledger"), "-f", "-", *args], input=journal.encode("utf-8"), capture_output=True,
                              check=False)
        assert (done.returncode, done.stderr) == (0, b""), done.stderr
        _assert_inert(done.stdout.decode("utf-8"))
    printed = subprocess.run([tool("hledger"), "-f", "-", "print", "-O", "json"], input=journal, text=True,
                             capture_output=True, check=True).stdout
    found = {}
    for txn in json.loads(printed):
        tags = dict(txn["ttags"])
        assert set(tags) <= {"id", "kind", "line", "year", "avenant", "commitment", "month", "type", "replaces"} | {
            f"label-{n}" for n in range(2, 100)}, tags.keys()  # no tag written by a label
        if "id" in tags:
            payee, _, description = txn["tdescription"].partition(" | ")
            found[tags["id"]] = _recovered(description, {k: v for k, v in tags.items() if k.startswith("label-")})
    for index, label in enumerate(LABELS.values()):
        assert found[f"c-{index:08x}"] == found[f"n-{index:08x}"] == found[f"f-{index:08x}"] == label
    assert found["p-00000001"] == LABELS["syntax"] and found["r-00000001"] == LABELS["c0"]


def test_beancount_labels_are_inert_whole_and_read_by_beancount(hostile: Cli, tmp_path: Path) -> None:
    from beancount import loader

    result = hostile("export", "--format", "beancount", "--output", "out.beancount")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    text = (tmp_path / "out.beancount").read_text(encoding="utf-8")
    _assert_inert(text)
    checked = subprocess.run([tool("bean-check"), str(tmp_path / "out.beancount")], capture_output=True, text=True,
                             check=False)
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")
    directives, errors, options = loader.load_file(str(tmp_path / "out.beancount"))
    assert errors == []
    assert options["title"].startswith("Mini \\u001b[2J\\u202e; | \\n# ttt") and options["title"].endswith("t…")
    found = {}
    for directive in directives:
        meta = directive.meta
        if "id" not in meta:
            continue
        narration = directive.narration if hasattr(directive, "narration") else directive.values[1].value
        found[meta["id"]] = _recovered(narration, {k: v for k, v in meta.items() if k.startswith("label-")})
    for index, label in enumerate(LABELS.values()):
        assert found[f"c-{index:08x}"] == found[f"n-{index:08x}"] == found[f"f-{index:08x}"] == label
    assert found["p-00000001"] == LABELS["syntax"] and found["r-00000001"] == LABELS["c0"]


def test_labels_are_written_as_the_ledger_writes_them(cli: Cli, tmp_path: Path) -> None:
    from delegation_cli.report.export import PIECE_BYTES, bean_label, hledger_label

    assert PIECE_BYTES == 900

    from .conftest import MINI

    label = 'a;b "c" \\ \x1b[2J\u202e\u2028 x, id:y '
    assert hledger_label(label) == ['a\\u003bb \\"c\\" \\\\ \\u001b[2J\\u202e\\u2028 x, id:y\\u0020']
    assert bean_label(label) == ['"a;b \\\\\\"c\\\\\\" \\\\\\\\ \\\\u001b[2J\\\\u202e\\\\u2028 x, id:y "']
    long = "x" * (PIECE_BYTES - 1) + ",:é" + "\U000e0067"
    assert hledger_label(long) == ["x" * (PIECE_BYTES - 1) + ",", "\\u003aé\\udb40\\udc67"]
    assert bean_label(long) == ['"' + "x" * (PIECE_BYTES - 1) + ',"', '":é\\\\udb40\\\\udc67"']
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    (tmp_path / "mini.ledger").write_text(
        "# delegation-ledger v1 convention=mini\n"
        f"2021-03-01 commitment c-00000001 alpha 1.00 {json.dumps(label)}\n"
        f"2021-03-02 note n-00000001 beta {json.dumps('y' * (PIECE_BYTES + 1))}\n", encoding="utf-8")
    journal = [block for block in cli("export", "--format", "hledger").stdout.split("\n\n")
               if block.startswith("2021-03-0")]
    assert journal == [
        '2021-03-01 alpha | a\\u003bb \\"c\\" \\\\ \\u001b[2J\\u202e\\u2028 x, id:y\\u0020  ; id:c-00000001, '
        "kind:commitment, line:2\n"
        "    ae:2021:committed:alpha            1.00 EUR\n"
        "    ae:2021:available                 -1.00 EUR",
        f"2021-03-02 beta | {'y' * PIECE_BYTES}  ; id:n-00000001, kind:note, line:3\n"
        "    ; label-2: y"]
    beancount = [block for block in cli("export", "--format", "beancount").stdout.split("\n\n")
                 if block.startswith("2021-03-0")]
    assert beancount == [
        '2021-03-01 * "alpha" "a;b \\\\\\"c\\\\\\" \\\\\\\\ \\\\u001b[2J\\\\u202e\\\\u2028 x, id:y "\n'
        '  id: "c-00000001"\n  kind: "commitment"\n  line: "2"\n'
        "  Expenses:AE:Y2021:Committed:Alpha            1.00 EUR\n"
        "  Assets:AE:Y2021:Available                   -1.00 EUR",
        f'2021-03-02 custom "note" "beta" "{"y" * PIECE_BYTES}"\n  label-2: "y"\n'
        '  id: "n-00000001"\n  kind: "note"\n  line: "3"']


def test_ledger_refuses_a_line_over_4096_bytes() -> None:
    """Why the export cuts: what ledger does with one longer line (the export of a label of
    2 000 characters before it did)."""
    journal = f"2021-03-01 alpha | {'x' * LINE_LIMIT}\n    a  1.00 EUR\n    b\n"
    done = subprocess.run([tool("ledger"), "-f", "-", "balance"], input=journal, text=True, capture_output=True,
                          check=False)
    assert done.returncode == 1
    assert "Error: Line exceeds 4096 characters" in done.stderr


# MINI (AE 2021 = 400 €, CP 2021 = 100 €) with a cancellation of every kind, two of them in the
# next year.  By hand: AE 2021 committed = 100 + 50 − 10 (r-1) + 10 (r-1 cancelled) = 150, and the
# 50 of c-2 cancelled in 2022 give back no AE 2021 (released_earlier_years of 2022 = 50); CP 2021
# paid = 30 − 30 (p-1 cancelled in 2021) + 20 = 20, and p-2 cancelled in 2022 gives back no CP
# 2021; alpha's net commitments 100, beta's 0; alpha's payments 0.
CANCELLED = """# delegation-ledger v1 convention=mini
2021-03-01 commitment c-1 alpha 100.00 ref=BC-1
2021-03-02 commitment c-2 beta 50.00 ref=BC-2
2021-04-01 payment p-1 alpha 30.00 commitment=c-1 sf=2021-03-30 ref=DP-1
2021-05-01 cancel x-1 alpha entry=p-1 "Paiement saisi deux fois"
2021-06-01 release r-1 alpha 10.00 commitment=c-1
2021-06-01 forecast f-1 alpha 20.00 month=2021-09 type=ae
2021-06-01 note n-1 alpha "Point"
2021-06-15 cancel x-2 alpha entry=r-1 "Dégagement prématuré"
2021-06-20 cancel x-3 alpha entry=f-1 "Commande reportée"
2021-06-20 cancel x-4 alpha entry=n-1 "Note en double"
2021-11-01 payment p-2 alpha 20.00 commitment=c-1 sf=2021-10-30 ref=DP-2
2022-02-01 cancel x-5 alpha entry=p-2 "Facture annulée"
2022-02-01 cancel x-6 beta entry=c-2 "Commande jamais passée"
"""


@pytest.mark.parametrize("month", ["2021-06", "2022-03"])
def test_cancellations_balance_as_the_report_in_hledger_and_beancount(cli: Cli, tmp_path: Path, month: str) -> None:
    from .conftest import MINI

    convention = tmp_path / "convention.yaml"
    convention.write_text(MINI, encoding="utf-8")
    (tmp_path / "mini.ledger").write_text(with_checksums(CANCELLED), encoding="utf-8")
    checked = cli("check", "-c", str(convention))
    assert checked.exit_code == 0
    assert [line.split(": warning: ")[1] for line in checked.stderr.splitlines() if "mini.ledger" in line] == [
        "cancelling payment p-2 (DP-2) of 2021 in 2022 gives back no CP of 2021 (credits are annual): its "
        "20,00\u00a0€ of CP 2021 stay consumed",
        "cancelling commitment c-2 (BC-2) of 2021 in 2022 gives back no AE of 2021 (credits are annual): its "
        "50,00\u00a0€ of AE 2021 stay consumed"]
    compare(cli, convention, ("--month", month), tmp_path)
    report = json.loads(cli("report", "-c", str(convention), "--format", "json", "--month", "2022-03").stdout)
    years = {y["year"]: y for y in report["years"]}
    assert (years[2021]["ae_committed"], years[2022]["released_earlier_years"]) == ("150.00", "50.00")
    assert (years[2021]["cp_paid"], years[2022]["cp_paid"]) == ("20.00", "0.00")
    assert [(t["team"], t["ae_committed"], t["cp_paid"]) for t in report["teams"]] == [
        ("alpha", "100.00", "0.00"), ("beta", "0.00", "0.00")]


def test_an_export_holds_the_entries_the_check_read_and_never_the_state_beside_them(seed_example: Cli,
                                                                                    tmp_path: Path) -> None:
    """An export's entries are read a second time, after the check and up to the byte it read:
    the same entries as a read that keeps them, and none appended since."""
    from delegation_cli.store.book import read_book, read_valid_entries
    from delegation_cli.store.convention import require_convention
    from delegation_cli.store.reader import LedgerReader, opened_for_reading

    conv = require_convention(tmp_path / "convention.yaml").convention
    assert conv is not None
    ledger = tmp_path / "ledgers" / "fabrique-numerique-s3.ledger"
    with opened_for_reading(ledger) as fd:
        kept = read_book(conv, fd, "seed", keep=True).entries
        assert kept and read_valid_entries(conv, fd, "seed") == kept
        size = os.fstat(fd).st_size
    with ledger.open("a", encoding="utf-8") as handle:  # a line appended after the first read
        handle.write(with_checksums('2020-06-30 note n-late friches "après coup"\n'))
    with opened_for_reading(ledger) as fd:
        assert list(LedgerReader(fd, "seed", limit=size)) == kept
        assert len(list(LedgerReader(fd, "seed"))) == len(kept) + 1


def test_an_export_of_a_ledger_with_an_error_is_refused_with_its_errors(seed_example: Cli, tmp_path: Path) -> None:
    ledger = tmp_path / "ledgers" / "fabrique-numerique-s3.ledger"
    lines = len(ledger.read_text(encoding="utf-8").splitlines())
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write(with_checksums("2020-06-30 payment p-bad friches 10.00 commitment=c-none\n"))
    checked = seed_example("check")
    refused = seed_example("export", "--format", "csv", "--output", "out.csv")
    assert (checked.exit_code, refused.exit_code, refused.stdout) == (1, 1, "")
    assert f":{lines + 1}:" in refused.stderr and "c-none" in refused.stderr
    assert [line for line in refused.stderr.splitlines() if "error" in line] == [
        line for line in (checked.stdout + checked.stderr).splitlines() if "error" in line and "c-none" in line]
    assert not (tmp_path / "out.csv").exists()


def test_entries_in_file_order_are_read_as_the_export_is_written(seed_example: Cli, tmp_path: Path) -> None:
    """A CSV, JSON or workbook export reads the checked ledger again as it writes, up to the byte
    checked, the entries dated up to --until; a line changed in between (by a writer taking no
    lock) is refused with its error rather than written."""
    import datetime

    from delegation_cli.core.errors import DelegationError
    from delegation_cli.core.i18n import using
    from delegation_cli.store.book import checked_entries, read_book
    from delegation_cli.store.convention import require_convention
    from delegation_cli.store.reader import opened_for_reading

    conv = require_convention(tmp_path / "convention.yaml").convention
    assert conv is not None
    ledger = tmp_path / "ledgers" / "fabrique-numerique-s3.ledger"
    with opened_for_reading(ledger) as fd:
        kept = read_book(conv, fd, "seed", keep=True).entries or []
        entries = checked_entries(conv, fd, "seed", until=datetime.date(2020, 3, 31))
        march = [e for e in kept if e.date <= datetime.date(2020, 3, 31)]
        assert list(entries) == list(entries) == march and len(entries) == len(march) < len(kept)
        text = ledger.read_bytes()
        at = text.index(b" commitment ") + 1
        ledger.write_bytes(text[:at] + b"C" + text[at + 1:])  # the same size, a line no longer its checksum
        with pytest.raises(DelegationError) as raised:
            list(entries)
    assert sorted(p.code for p in raised.value.problems) == ["ledger-checksum", "ledger-syntax"]
    ledger.write_bytes(text)
    with opened_for_reading(ledger) as fd:
        entries = checked_entries(conv, fd, "seed")
        with ledger.open("r+b") as cut:  # cut shorter, at a line's end, by a program that takes no lock
            cut.truncate(text.rindex(b"\n", 0, len(text) - 1) + 1)
        with using("en"), pytest.raises(DelegationError) as raised:
            list(entries)
    assert [(p.code, p.message) for p in raised.value.problems] == [("ledger-changed", (
        "the ledger changed while it was read (it is only ever appended to); run the command again"))]


def test_a_long_export_does_not_hold_up_a_writer(seed_example: Cli, tmp_path: Path) -> None:
    """Once checked, the entries are read again without the shared lock: a writer's exclusive
    lock is granted at once (the bytes checked are never rewritten)."""
    import fcntl

    from delegation_cli.store.book import checked_entries
    from delegation_cli.store.convention import require_convention
    from delegation_cli.store.reader import opened_for_reading

    conv = require_convention(tmp_path / "convention.yaml").convention
    assert conv is not None
    ledger = tmp_path / "ledgers" / "fabrique-numerique-s3.ledger"
    with opened_for_reading(ledger) as fd, ledger.open("rb") as writer:
        with pytest.raises(BlockingIOError):  # the check reads under the shared lock
            fcntl.flock(writer.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        entries = checked_entries(conv, fd, "seed")
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert len(list(entries)) > 0
