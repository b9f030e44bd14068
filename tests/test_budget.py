"""budget.py and the one read path on small inline ledgers: entries in, state and problems out.

The convention is MINI (tests/conftest.py): teams alpha and beta capped at 600 €, an envelope
of 1 000 €, AE/CP 2021 = 400/100 €, AE/CP 2022 = 600/900 €, avenant n° 1 (2022-01-10)
carrying 50 € of AE from 2021 to 2022.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from delegation_cli.core.budget import replay
from delegation_cli.core.lines import parse_line
from delegation_cli.core.model import Convention
from delegation_cli.core.replay import Replay
from delegation_cli.store.book import Window
from delegation_cli.store.convention import load_convention

from .conftest import MINI, dedent, eur
from .support import check_entries, read_book_bytes


@pytest.fixture(scope="module")
def conv(tmp_path_factory: pytest.TempPathFactory) -> Convention:
    path = tmp_path_factory.mktemp("budget") / "convention.yaml"
    path.write_text(MINI, encoding="utf-8")
    loaded = load_convention(path).convention
    assert loaded is not None
    return loaded


def ledger(text: str) -> bytes:
    return ("# delegation-ledger v1 convention=mini\n" + dedent(text)).encode()


def entries(text: str) -> list:  # type: ignore[type-arg]
    return [parse_line(line, n) for n, line in enumerate(dedent(text).splitlines(), 2)]


def test_figures_of_a_small_ledger(conv: Convention) -> None:
    state = replay(conv, entries("""
        2021-03-01 commitment c-1 alpha 200.00 ref=BC-1
        2021-04-01 payment p-1 alpha 60.00 commitment=c-1 sf=2021-03-30
        2021-05-01 release r-1 alpha 40.00 commitment=c-1
        2022-02-01 release r-2 alpha 30.00 commitment=c-1
    """))
    assert state.issues == []
    # 200 committed − 40 released in 2021 = 160 of AE 2021; the 2022 release restores no AE.
    assert (state.ae_used[2021], state.ae_used[2022], state.released_other_year[2022]) == (160_00, 0, 30_00)
    # Net for the cap and the envelope: 200 − 40 − 30 = 130; reste à payer 130 − 60 = 70.
    assert (state.team_net["alpha"], state.total_net, state.commitments["c-1"].remaining) == (130_00, 130_00, 70_00)
    assert (state.cp_used[2021], state.paid_on[(2021, 2021)], state.released_on[(2021, 2022)]) == (60_00, 60_00, 30_00)


def test_each_limit_checked_against_what_precedes_in_date_order(conv: Convention) -> None:
    state = replay(conv, entries("""
        2021-03-01 commitment c-1 alpha 300.00
        2021-03-02 commitment c-2 beta 60.00
        2021-03-03 payment p-1 alpha 120.00 commitment=c-1 sf=2021-03-03
    """))
    # AE 2021: 400 − 50 carried over = 350; 300 + 60 = 360 is 10 too many.  CP 2021: 100 < 120.
    # (alpha's 300 is also above its indicative share of 200 for 2021: a warning.)
    assert [(i.line, i.severity.value, i.code) for i in state.issues] == [
        (2, "warning", "share-exceeded"), (3, "error", "ae-exceeded"), (4, "error", "cp-exceeded")]
    assert state.issues[1].message == (
        f"beta: commitment of {eur('60,00 €')} takes AE 2021 to {eur('360,00 €')}, above the {eur('400,00 €')} "
        f"opened for 2021, less {eur('50,00 €')} carried over to 2022 by avenant (available {eur('50,00 €')}, "
        f"asked {eur('60,00 €')}); insufficient credits: inform the délégant without delay (art. 5)")


def test_payments_before_or_without_their_commitment(conv: Convention) -> None:
    state = replay(conv, entries("""
        2021-03-05 payment p-1 alpha 10.00 commitment=c-1 sf=2021-03-01
        2021-03-06 payment p-2 alpha 10.00 commitment=c-9 sf=2021-03-01
        2021-03-10 commitment c-1 alpha 100.00 ref=BC-1
    """))
    assert [(i.line, i.code, i.message) for i in sorted(state.issues, key=lambda i: i.line)] == [
        (2, "payment-before-commitment",
         "payment dated 2021-03-05 precedes its commitment c-1 (BC-1) dated 2021-03-10"),
        (3, "commitment-unknown", "payment refers to commitment c-9, which is not recorded (expected the id of a "
                                  "commitment)"),
    ]


def test_duplicates_and_unknown_names(conv: Convention) -> None:
    problems = check_entries(conv, entries("""
        2021-03-01 commitment c-1 alpha 10.00 ref=BC-1 marche=nope
        2021-03-02 commitment c-1 gamma 10.00 ref=BC-1
    """), "l")
    assert [(p.line, p.code) for p in problems] == [
        (2, "marche-unknown"), (3, "id-duplicate"), (3, "team-unknown"), (3, "ref-duplicate")]


def test_a_ledger_out_of_date_order_reads_as_the_same_ledger_sorted(conv: Convention) -> None:
    ordered = ledger("""
        2021-03-01 commitment c-1 alpha 100.00
        2021-03-02 payment p-1 alpha 50.00 commitment=c-1 sf=2021-03-02
        2021-04-01 commitment c-2 beta 200.00
    """)
    shuffled = ledger("""
        2021-04-01 commitment c-2 beta 200.00
        2021-03-01 commitment c-1 alpha 100.00
        2021-03-02 payment p-1 alpha 50.00 commitment=c-1 sf=2021-03-02
    """)
    a, b = read_book_bytes(conv, ordered, "l"), read_book_bytes(conv, shuffled, "l")
    assert a.problems == b.problems == []
    for name in ("ae_used", "cp_used", "team_net", "team_paid"):
        assert getattr(a.state, name) == getattr(b.state, name), name


def test_the_window_keeps_the_figures_of_its_day(conv: Convention) -> None:
    import datetime as dt

    book = read_book_bytes(conv, ledger("""
        2021-03-01 commitment c-1 alpha 100.00
        2021-03-20 note n-1 alpha "Démarrage"
        2021-04-02 payment p-1 alpha 50.00 commitment=c-1 sf=2021-04-01
    """), "l", window=Window(dt.date(2021, 3, 31), dt.date(2021, 3, 15)))
    seen = book.seen
    assert seen is not None
    # On 31 March nothing was paid yet; after the whole ledger, 50 €.
    assert (seen.state.commitments["c-1"].paid, book.state.commitments["c-1"].paid) == (0, 50_00)
    assert ([e.id for e in seen.recent], seen.counted) == (["n-1"], 2)


def test_a_replay_starts_empty(conv: Convention) -> None:
    state = Replay(conv)
    assert (state.total_net, state.issues, state.last_date) == (0, [], None)


def test_reading_a_missing_file_is_an_empty_ledger(conv: Convention, tmp_path: Path) -> None:
    from delegation_cli.store.book import read_book

    book = read_book(conv, None, str(tmp_path / "none.ledger"))
    assert (book.count, book.problems, book.file.exists) == (0, [], False)
