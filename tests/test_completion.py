"""Shell completion (Typer's, for bash, zsh and fish): team ids, marchés, prestation kinds and
open commitments' references, from the convention and ledger in use."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, SEED_TEXT

SCRIPT = Path(sys.executable).parent / "delegation"


def complete(folder: Path, shell: str, words: str) -> list[str]:
    env = {**os.environ, "_DELEGATION_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        env.update(COMP_WORDS=words, COMP_CWORD=str(len(words.split(" ")) - 1))
    else:
        env["_TYPER_COMPLETE_ARGS"] = words
        if shell == "fish":
            env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "delegation_cli"]
    result = subprocess.run(command, env=env, cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout.split()


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    (tmp_path / "convention.yaml").write_text(SEED_TEXT, encoding="utf-8")
    (tmp_path / "ledgers").mkdir()
    shutil.copy(EXAMPLES / "ledgers" / "fabrique-numerique-s3.ledger", tmp_path / "ledgers")
    return tmp_path


@pytest.mark.parametrize("shell", ["bash", "fish"])
def test_teams(seed: Path, shell: str) -> None:
    assert complete(seed, shell, "delegation commit --team a") == ["acces-4-all", "affaires-juridiques"]


def test_teams_zsh(seed: Path) -> None:
    assert complete(seed, "zsh", "delegation forecast --team f") == ["_arguments", "'*:", ':(("friches"))\'']


def test_marches_and_kinds(seed: Path) -> None:
    assert complete(seed, "bash", "delegation commit --marche c") == ["coaching"]
    assert complete(seed, "bash", "delegation commit --kind de") == ["deploiement", "design", "devops"]


def test_open_commitments_of_the_ledger(seed: Path) -> None:
    found = complete(seed, "bash", "delegation pay 13000120")
    assert found and all(ref.startswith("13000120") for ref in found)


def test_silent_without_a_convention(tmp_path: Path) -> None:
    assert complete(tmp_path, "bash", "delegation commit --team f") == []
