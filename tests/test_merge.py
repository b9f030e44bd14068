"""Merges checked for real: two clones with the hook `delegation init` configures, installed
by `pre-commit install` for commits and merges; a pull whose merged ledger breaks the cap is
refused, no merge commit made.  A merge made without the hook is mended by cancelling the
entry at fault — the one entry a ledger with errors accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from delegation_cli.core.lines import header_line

from .conftest import SEED_TEXT, Cli, eur
from .test_collaboration import _clone, _git, origin_of

LEDGER = Path("ledgers") / "fabrique-numerique-s3.ledger"
OVER = (f"friches: commitment of {eur('70 000,00 €')} takes the team to {eur('140 000,00 €')}, above its cap of "
        f"{eur('125 000,00 €')} (available {eur('55 000,00 €')}, asked {eur('70 000,00 €')}); insufficient credits: "
        "inform the délégant without delay (art. 5)")


def _env(tmp_path: Path) -> dict[str, str]:
    """git and pre-commit offline, the hook finding the tool installed beside this Python."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0", "LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": ""}


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, check=False)


def hooked_clone(origin: Path, path: Path, who: str, env: dict[str, str]) -> Path:
    """A clone with the hook installed by `pre-commit install` (for commits and merges)."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.fail("pre-commit is a test dependency (pip install -e '.[test]')")
    clone = _clone(origin, path, who)
    installed = _run(clone, env, str(pre_commit), "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "pre-merge-commit" in installed.stdout  # default_install_hook_types
    return clone


def commit_in(cli: Cli, clone: Path, env: dict[str, str], *args: str) -> None:
    """Record an entry in the clone's ledger and commit it (the hook passes)."""
    result = cli(*args, "-c", str(clone / "convention.yaml"))
    assert result.exit_code == 0, result.stderr
    committed = _run(clone, env, "git", "commit", "-q", "-am", " ".join(args))
    assert committed.returncode == 0, committed.stdout + committed.stderr


@pytest.fixture
def clones(cli: Cli, tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """Two clones of a repository holding the reference convention (friches capped at
    125 000 €), each having committed 70 000 € for friches; Alice pushed."""
    env = _env(tmp_path)
    origin = origin_of(tmp_path, {"convention.yaml": SEED_TEXT,
                                  str(LEDGER): header_line("fabrique-numerique-s3") + "\n"})
    a, b = hooked_clone(origin, tmp_path / "a", "alice", env), hooked_clone(origin, tmp_path / "b", "bob", env)
    for clone, day, ref in ((a, "2020-03-02", "BC-A"), (b, "2020-03-03", "BC-B")):
        commit_in(cli, clone, env, "commit", "--team", "friches", "70000", "--date", day, "--ref", ref)
    _git(a, "push", "-q", "origin", "HEAD")
    return a, b, env


def test_the_conflicting_merge_is_refused_with_the_over_cap_line(clones: tuple[Path, Path, dict[str, str]]) -> None:
    __, b, env = clones
    pulled = _run(b, env, "git", "pull", "--no-edit", "origin", "main")
    assert pulled.returncode != 0
    assert f"{LEDGER}:2: error: {OVER}" in pulled.stdout + pulled.stderr
    assert _git(b, "log", "--format=%H", "--merges") == ""  # no merge commit
    assert (b / ".git" / "MERGE_HEAD").exists()


def test_a_merge_made_without_the_hook_is_mended_by_a_cancellation(
        cli: Cli, clones: tuple[Path, Path, dict[str, str]]) -> None:
    __, b, env = clones
    assert _run(b, env, "git", "pull", "--no-edit", "origin", "main").returncode != 0
    forced = _run(b, env, "git", "commit", "-q", "--no-verify", "--no-edit")  # the merge made anyway
    assert forced.returncode == 0, forced.stderr
    conv = str(b / "convention.yaml")
    ledger = b / LEDGER
    assert cli("check", conv).exit_code == 1
    before = ledger.read_bytes()
    refused = cli("commit", "--team", "friches", "1", "--date", "2020-03-04", "-c", conv)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (f"{ledger}: error: refusing to append to a ledger with errors; "
                                               "correct the lines named above, then retry")
    # Cancelling Alice's order (which fits) mends nothing: refused, the file unchanged.
    wrong = cli("cancel", "BC-A", "--reason", "Doublon", "--date", "2020-03-05", "-c", conv)
    assert wrong.exit_code == 1
    assert wrong.stderr == (f"{ledger}:2: error: {OVER}\n"
                            f"{ledger}: error: refusing to append to a ledger with errors: this cancellation mends "
                            "none of them (cancel an entry named above, the one at fault)\n")
    assert ledger.read_bytes() == before
    # Cancelling Bob's, the one over the cap, mends it: the ledger is valid again.
    mended = cli("cancel", "BC-B", "--reason", "Plafond dépassé après fusion", "--date", "2020-03-05", "-c", conv)
    assert mended.exit_code == 0, mended.stderr
    checked = cli("check", conv)
    assert (checked.exit_code, checked.stderr) == (0, "")
    # Bob's order recorded again within what is left (the bon de commande is free again).
    again = cli("commit", "--team", "friches", "55000", "--date", "2020-03-05", "--ref", "BC-B", "-c", conv)
    assert again.exit_code == 0, again.stderr
    assert f"team friches     {eur('125 000,00 €'):>14}   committed {eur('125 000,00 €'):>14}" in again.stdout
