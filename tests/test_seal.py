"""Monthly closing: seals, refusals in closed months, and tampering caught with line numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import MINI, Cli, dedent, forged, sha, with_checksums

LEDGER = Path("mini.ledger")

SCRIPT = dedent("""
    # delegation-ledger v1 convention=mini
    2021-03-01 commitment c-a1 alpha 200.00 ref=BC-A1
    2021-03-15 commitment c-b1 beta 120.00 ref=BC-B1
    2021-03-20 note n-1 alpha "Démarrage"
    2021-04-10 payment p-1 alpha 60.00 commitment=c-a1 sf=2021-04-01
""")


@pytest.fixture
def sealed(cli: Cli, tmp_path: Path) -> Cli:
    """The scripted ledger, closed through March 2021 (line 6 is the seal)."""
    # The cap at 500 € makes teams × cap = envelope: the convention itself has no warning.
    (tmp_path / "convention.yaml").write_text(MINI.replace("team_cap: 600", "team_cap: 500"), encoding="utf-8")
    LEDGER.write_text(with_checksums(SCRIPT), encoding="utf-8")
    result = cli("close", "2021-03", "--author", "alice")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Closed 2021-03: seal s-") and "covers 3 entries, sha256 " in result.stdout
    return cli


def lines() -> list[str]:
    return LEDGER.read_text(encoding="utf-8").splitlines()


def seal_id() -> str:
    return next(line.split(" ")[2] for line in lines() if " seal " in line)


def test_seal_covers_the_month_and_check_is_green(sealed: Cli) -> None:
    seal = lines()[5]
    assert seal.startswith(f"2021-03-31 seal {seal_id()} month=2021-03 prev={'0' * 64} sha256=")
    assert " entries=3 digests=" in seal and seal.count(",") == 2  # c-a1, c-b1, n-1; not April's payment
    check = sealed("check")
    assert (check.exit_code, check.stderr) == (0, "")
    assert check.stdout == "convention.yaml: valid (0 errors, 0 warnings); ledger mini.ledger: 4 entries\n"


def test_entries_in_a_closed_month_are_refused(sealed: Cli) -> None:
    before = sha(LEDGER)
    result = sealed("commit", "--team", "alpha", "10", "--date", "2021-03-31")
    assert result.exit_code == 1
    assert result.stderr == (
        "mini.ledger: error: commitment dated 2021-03-31 falls in a closed month: the ledger is closed through "
        f"2021-03 (seal {seal_id()}, line 6); date it after 2021-03-31, or record a correction in an open month\n"
        "mini.ledger: error: commitment refused; the ledger was not changed\n")
    assert sha(LEDGER) == before
    assert sealed("commit", "--team", "alpha", "10", "--date", "2021-04-01").exit_code == 0


def test_a_hand_edited_amount_in_a_closed_month_is_caught_with_its_line(sealed: Cli) -> None:
    LEDGER.write_text(forged(LEDGER.read_text().replace("beta 120.00", "beta 12.00")))
    result = sealed("check")
    assert result.exit_code == 1
    assert result.stderr == (f"mini.ledger:3: error: commitment c-b1 was modified after seal {seal_id()} "
                             "(line 6, through 2021-03) closed it\n")


def test_a_naive_hand_edit_is_caught_by_the_line_checksum_and_by_the_seal(sealed: Cli) -> None:
    text = LEDGER.read_text()
    crc = lines()[2].rsplit("crc=", 1)[1]
    LEDGER.write_text(text.replace("beta 120.00", "beta 12.00"))
    result = sealed("check")
    assert result.exit_code == 1
    column = len(lines()[2]) - 11
    assert result.stderr == (
        f"mini.ledger:3:{column}: error: the line does not match its checksum crc={crc} (it was changed after it "
        "was written, or damaged): entries are never edited; restore the line as it was and record a correction\n"
        f"mini.ledger:3: error: commitment c-b1 was modified after seal {seal_id()} (line 6, through 2021-03) "
        "closed it\n")


def test_deleted_inserted_and_moved_entries(sealed: Cli) -> None:
    original = lines()
    s = seal_id()
    LEDGER.write_text(forged("\n".join(original[:2] + original[3:]) + "\n"))  # delete c-b1 (line 3)
    assert sealed("check").stderr == (
        f"mini.ledger:3: error: an entry sealed by seal {s} (line 5, through 2021-03) (position 2, digest "
        f"{original[5].split('digests=')[1].split(',')[1]}) was deleted between lines 2 and 3\n")
    inserted = "2021-03-25 note n-9 beta \"ajout\""
    LEDGER.write_text(forged("\n".join(original[:4] + [inserted] + original[4:]) + "\n"))
    assert sealed("check").stderr == (
        f"mini.ledger:5: error: note n-9 was inserted in a month closed by seal {s} (line 7, through 2021-03)\n")
    LEDGER.write_text(forged("\n".join([original[0], original[2], original[1]] + original[3:]) + "\n"))  # swap 2 and 3
    stderr = sealed("check").stderr
    assert stderr == (f"mini.ledger:2: error: commitment c-b1 was moved: seal {s} (line 6, through 2021-03) lists "
                      "it at position 2\n")


def test_entry_written_after_the_seal_in_a_closed_month(sealed: Cli) -> None:
    LEDGER.write_text(forged(LEDGER.read_text() + "2021-03-30 note n-9 beta \"oubli\"\n"))
    result = sealed("check")
    assert result.exit_code == 1
    assert result.stderr == (f"mini.ledger:7: error: note n-9 is dated 2021-03-30, in a month closed by seal "
                             f"{seal_id()} (line 6, through 2021-03) but written after it\n")


def test_an_altered_seal_and_a_broken_chain(sealed: Cli) -> None:
    assert sealed("close", "2021-04").exit_code == 0
    original = lines()
    first, second = original[5], original[6]
    altered = first.replace("sha256=", "sha256=f" + "", 1)
    altered = altered.split("sha256=")[0] + "sha256=" + "f" * 64 + " at=" + altered.split(" at=")[1]
    LEDGER.write_text(forged("\n".join(original[:5] + [altered, second]) + "\n"))
    stderr = sealed("check").stderr.splitlines()
    assert stderr[0] == (f"mini.ledger:6: error: seal {seal_id()} (through 2021-03) does not match the 3 entries it "
                         "covers: the seal line itself was altered")
    assert stderr[1].startswith(f"mini.ledger:7: error: seal {second.split(' ')[2]} does not follow the previous "
                                "seal (prev ")
    LEDGER.write_text(forged("\n".join(original[:5] + [second]) + "\n"))  # the first seal removed
    stderr = sealed("check").stderr
    assert f"mini.ledger:6: error: seal {second.split(' ')[2]} does not follow the previous seal" in stderr


def test_close_refusals(sealed: Cli) -> None:
    again = sealed("close", "2021-02")
    assert (again.exit_code, again.stderr) == (1, (
        f"mini.ledger: error: 2021-02 is already closed by seal {seal_id()} (line 6, through 2021-03)\n"))
    future = sealed("close", "2999-01")
    assert future.exit_code == 1 and "2999-01 is not over (it ends on 2999-01-31)" in future.stderr
    LEDGER.write_text(forged(LEDGER.read_text().replace("alpha 60.00", "alpha 600.00")))  # over c-a1's 200
    broken = sealed("close", "2021-04")
    assert broken.exit_code == 1
    assert broken.stderr.splitlines()[-1] == ("mini.ledger: error: cannot close 2021-04 while the ledger has "
                                              "errors; correct them first")


def test_two_copies_appended_after_the_last_seal_merge_as_plain_lines(sealed: Cli, tmp_path: Path) -> None:
    base = LEDGER.read_text()
    assert sealed("note", "--team", "alpha", "copie A", "--date", "2021-04-20").exit_code == 0
    mine = LEDGER.read_text()[len(base):]
    LEDGER.write_text(base)
    assert sealed("commit", "--team", "beta", "30", "--date", "2021-04-21").exit_code == 0
    theirs = LEDGER.read_text()[len(base):]
    LEDGER.write_text(base + mine + theirs)  # what `git merge` gives once both sides are kept
    result = sealed("check")
    assert (result.exit_code, result.stderr) == (0, "")
    assert sealed("close", "2021-04").exit_code == 0


def test_the_report_carries_the_last_seal(sealed: Cli) -> None:
    import json

    seal_line = lines()[5]
    data = json.loads(sealed("report", "--month", "2021-04", "--format", "json").stdout)
    assert data["convention"]["closed_through"] == {
        "month": "2021-03", "seal": seal_id(), "sha256": seal_line.split("sha256=")[1].split(" ")[0]}
    assert data["entries_counted"] == 4
    before = json.loads(sealed("report", "--month", "2021-02", "--format", "json").stdout)
    assert before["convention"]["closed_through"] is None


def test_the_seal_covers_who_closed_the_month_and_when(sealed: Cli) -> None:
    assert " by=alice " in lines()[5]
    LEDGER.write_text(forged(LEDGER.read_text().replace(" by=alice ", " by=mallory ")))
    result = sealed("check")
    assert (result.exit_code, result.stderr) == (1, (
        f"mini.ledger:6: error: seal {seal_id()} (through 2021-03) does not match the 3 entries it covers: "
        "the seal line itself was altered\n"))


def test_a_tampered_sealed_line_stops_every_command_but_check(sealed: Cli) -> None:
    """The report, the exports, log and every writer see what `check` sees."""
    LEDGER.write_text(forged(LEDGER.read_text().replace("beta 120.00", "beta 12.00")))
    before = sha(LEDGER)
    problem = (f"mini.ledger:3: error: commitment c-b1 was modified after seal {seal_id()} "
               "(line 6, through 2021-03) closed it\n")
    for args in (("report", "--month", "2021-04"), ("report", "--month", "2021-04", "--format", "json"),
                 ("export", "--format", "hledger")):
        result = sealed(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", problem), args
    logged = sealed("log", "--format", "json")
    assert (logged.exit_code, logged.stderr) == (1, problem)
    assert len(json.loads(logged.stdout)) == 5  # every line it can read, the seal included
    commit = sealed("commit", "--team", "alpha", "10", "--date", "2021-04-20")
    assert (commit.exit_code, commit.stdout) == (1, "")
    assert commit.stderr == problem + ("mini.ledger: error: refusing to append to a ledger with errors; correct the "
                                       "lines named above, then retry\n")
    assert sha(LEDGER) == before
    shown = sealed("report", "--month", "2021-04", "--allow-invalid")
    assert shown.exit_code == 0 and shown.stderr == ""
    assert shown.stdout.splitlines()[:2] == [
        "LEDGER INVALID: the ledger breaks 1 rule; the figures below may be wrong and no month is claimed closed "
        "(`delegation check` lists the problems)", problem.rstrip("\n")]
    assert "Closed through: no month closed" in shown.stdout
    data = json.loads(sealed("report", "--month", "2021-04", "--allow-invalid", "--format", "json").stdout)
    assert data["convention"]["closed_through"] is None
    assert [p["code"] for p in data["invalid"]] == ["sealed-modified"]
    assert data["alerts"][0]["code"] == "ledger-sealed-modified"


def test_the_fingerprint_of_a_report_proves_later_that_its_months_were_not_rewritten(sealed: Cli) -> None:
    report = json.loads(sealed("report", "--month", "2021-04", "--format", "json").stdout)
    fingerprint = report["convention"]["closed_through"]["sha256"]
    seal = lines()[5]
    assert fingerprint == seal.split("sha256=")[1].split(" ")[0]
    held = sealed("check", "--anchor", fingerprint)
    assert (held.exit_code, held.stderr) == (0, "")
    assert held.stdout.splitlines()[1] == (f"fingerprint {fingerprint}: seal {seal_id()} (line 6) closing 2021-03; "
                                           "the sealed history up to it is intact")
    assert sealed("check", "--anchor", fingerprint[:12].upper()).exit_code == 0  # a prefix, any case
    # A forger rewrites an amount of March, recomputes every checksum and closes March again:
    # the ledger is consistent in itself, but the fingerprint the délégant holds is gone.
    rewritten = [line for line in lines() if " seal " not in line]
    LEDGER.write_text(forged("\n".join(rewritten).replace("beta 120.00", "beta 12.00") + "\n"))
    assert sealed("close", "2021-03", "--author", "alice").exit_code == 0
    assert (sealed("check").exit_code, sealed("check").stderr) == (0, "")
    caught = sealed("check", "--anchor", fingerprint)
    assert (caught.exit_code, caught.stderr) == (1, (
        f"mini.ledger: error: no seal of this ledger has the fingerprint {fingerprint}: the months it closed were "
        "rewritten, or it belongs to another ledger\n"))


def test_a_fingerprint_whose_history_was_edited_is_broken(sealed: Cli) -> None:
    fingerprint = lines()[5].split("sha256=")[1].split(" ")[0]
    LEDGER.write_text(forged(LEDGER.read_text().replace("beta 120.00", "beta 12.00")))
    result = sealed("check", "--anchor", fingerprint)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"mini.ledger:6: error: seal {seal_id()} (through 2021-03) has the fingerprint {fingerprint}, but the history "
        "it covers no longer matches it (see the problems above)")


@pytest.mark.parametrize("value", ["abc", "z" * 64, "0" * 65])
def test_a_fingerprint_is_hexadecimal(sealed: Cli, value: str) -> None:
    result = sealed("check", "--anchor", value)
    assert result.exit_code == 2
    assert f"{value!r} is not a fingerprint (expected 12 to 64 hexadecimal digits of a seal's sha256)" in result.stderr


def test_every_human_rendering_ends_with_the_ledger_fingerprint_and_how_to_verify_it(sealed: Cli) -> None:
    digest = lines()[5].split("sha256=")[1].split(" ")[0]
    verify = f"delegation check --anchor {digest}"
    text = sealed("report", "--month", "2021-04", "--full").stdout.splitlines()
    assert text[-4:] == [
        "Ledger fingerprint", f"Fingerprint (sha256): {digest}", f"Verify: {verify}",
        f"The seal {seal_id()} closes the ledger up to March 2021. Keep this fingerprint with the report: "
        "`delegation check --anchor` with it proves at any later date that the months it closes were not rewritten."]
    assert f"Closed through: March 2021 (seal {seal_id()})" in text  # the header names the month, not the hash
    assert not any(digest in line for line in text[:-4])
    markdown = sealed("report", "--month", "2021-04", "--format", "markdown").stdout
    assert f"## Ledger fingerprint\n\n- **Fingerprint (sha256)**: {digest}\n- **Verify**: {verify}\n" in markdown
    html = sealed("report", "--month", "2021-04", "--format", "html").stdout
    section = html.split('id="section-fingerprint"')[1].split("</section>")[0]
    assert "<h2>Ledger fingerprint</h2>" in section and digest[-16:] in section
    assert section.replace("<wbr>", "").count(digest) == 2
    french = sealed("report", "--month", "2021-04", "--full", "--lang", "fr").stdout.splitlines()
    assert french[-4:-1] == ["Empreinte du registre", f"Empreinte (sha256) : {digest}", f"Vérification : {verify}"]


def test_before_any_seal_the_report_says_it_has_no_fingerprint(sealed: Cli) -> None:
    text = sealed("report", "--month", "2021-02").stdout.splitlines()
    assert text[-2:] == ["Ledger fingerprint",
                         "  no month closed yet: the ledger has no fingerprint (`delegation close` seals a month)"]
