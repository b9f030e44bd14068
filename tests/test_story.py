"""A year of real work without a dead end (issue 21's story), on MINI amended by avenant n° 2
(gamma funded from 01/02/2022 with a cap of 300 €, beta's support ending on 31/03/2022): an
order recorded on the wrong team is cancelled and recorded again with the same bon de
commande; a payment whose service fait was forgotten is mended; a forecast is withdrawn; beta
takes no more orders but is paid; and two clones whose merge would break a cap have the merge
refused by the hook `delegation init` configures."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Cli, eur
from .test_cast import CAST
from .test_collaboration import _git
from .test_merge import _env, _run, commit_in, hooked_clone, origin_of


def test_a_year_of_corrections_avenants_and_merges(cli: Cli, tmp_path: Path) -> None:
    env = _env(tmp_path)
    origin = origin_of(tmp_path, {"convention.yaml": CAST,
                                  "mini.ledger": "# delegation-ledger v2 convention=mini\n"})
    alice = hooked_clone(origin, tmp_path / "alice", "alice", env)
    bob = hooked_clone(origin, tmp_path / "bob", "bob", env)

    # Alice: an order for gamma typed on alpha, cancelled, recorded again on gamma.
    commit_in(cli, alice, env, "commit", "--team", "alpha", "100", "--date", "2022-02-02", "--ref", "BC-7")
    commit_in(cli, alice, env, "cancel", "BC-7", "--reason", "Commande de gamma saisie sur alpha",
              "--date", "2022-02-03")
    commit_in(cli, alice, env, "commit", "--team", "gamma", "100", "--date", "2022-02-03", "--ref", "BC-7")
    # A payment without its service fait, mended once the certificate arrives.
    commit_in(cli, alice, env, "pay", "BC-7", "40", "--date", "2022-02-10", "--ref", "DP-7")
    commit_in(cli, alice, env, "service-fait", "DP-7", "2022-02-09", "--date", "2022-02-11")
    # A forecast recorded, then withdrawn.
    commit_in(cli, alice, env, "forecast", "--team", "gamma", "150", "--month", "2022-05", "--type", "ae",
              "--date", "2022-02-11")
    commit_in(cli, alice, env, "forecast", "--team", "gamma", "0", "--month", "2022-05", "--type", "ae",
              "--date", "2022-02-12")
    conv = str(alice / "convention.yaml")
    february = json.loads(cli("report", "--month", "2022-02", "--format", "json", "-c", conv).stdout)
    assert [(t["team"], t["ae_committed"], t["cap"]) for t in february["teams"]] == [
        ("alpha", "0.00", "600.00"), ("beta", "0.00", "600.00"), ("gamma", "100.00", "300.00")]
    assert [c["kind"] for c in february["corrections"]] == ["cancel", "service-fait"]
    assert february["forecasts"] == []
    assert not any(a["code"] == "payment-without-service-fait" for a in february["alerts"])
    # beta's support ends on 31/03/2022: an order after is refused, its payments go on.
    commit_in(cli, alice, env, "commit", "--team", "beta", "100", "--date", "2022-03-31", "--ref", "BC-8")
    late = cli("commit", "--team", "beta", "1", "--date", "2022-04-01", "-c", conv)
    assert late.exit_code == 1 and "beta: the convention's support ended on 2022-03-31" in late.stderr
    commit_in(cli, alice, env, "pay", "BC-8", "100", "--date", "2022-04-15", "--service-fait", "2022-04-10",
              "--ref", "DP-8")
    _git(alice, "push", "-q", "origin", "HEAD")

    # Bob, offline since the start, commits 550 € for alpha: it fits his copy (cap 600), not
    # the merged ledger, whose AE 2022 (600 + 50 carried over) hold Alice's 200 already.
    commit_in(cli, bob, env, "commit", "--team", "alpha", "550", "--date", "2022-04-20", "--ref", "BC-9")
    pulled = _run(bob, env, "git", "pull", "--no-edit", "origin", "main")
    assert pulled.returncode != 0
    assert (f"mini.ledger:2: error: alpha: commitment of {eur('550,00 €')} takes AE 2022 to {eur('750,00 €')}"
            in pulled.stdout + pulled.stderr)
    assert _git(bob, "log", "--format=%H", "--merges") == ""
    assert _run(bob, env, "git", "merge", "--abort").returncode == 0
    # Bob records what is left instead, and the merge goes through.
    _run(bob, env, "git", "reset", "-q", "--hard", "HEAD~1")
    assert _run(bob, env, "git", "pull", "-q", "--no-edit", "origin", "main").returncode == 0
    commit_in(cli, bob, env, "commit", "--team", "alpha", "450", "--date", "2022-04-20", "--ref", "BC-9")
    checked = cli("check", "-c", str(bob / "convention.yaml"))
    assert checked.exit_code == 0 and "mini.ledger" not in checked.stderr
