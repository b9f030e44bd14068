"""Working together through git: ``delegation init``, the pre-commit hook, and ledgers merged
by git's union driver then checked (docs/collaboration.md)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from delegation_cli.cli.app import files_app
from delegation_cli.core.i18n import set_language
from delegation_cli.core.lines import header_line
from delegation_cli.store.convention import PLACEHOLDER
from delegation_cli.store.scaffold import GITATTRIBUTES, TEMPLATE, scaffold_files

from .conftest import ROOT, SEED_TEXT, Cli, Result, line_of

INIT_FILES = sorted(scaffold_files())


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: .ci/run must install it")
        pytest.skip(f"{name} is not installed")
    return found


def check_files(*files: str) -> Result:
    """``delegation-check-files FILE...`` in-process, stdout and stderr apart."""
    set_language(None)
    try:
        result = CliRunner().invoke(files_app, list(files), env={"COLUMNS": "200"}, catch_exceptions=False)
    finally:
        set_language(None)
    return Result(result.exit_code, result.stdout, result.stderr)


# init --------------------------------------------------------------------------------------


def test_init_creates_a_repository_of_conventions(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", "repo")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    root = tmp_path / "repo"
    for name in INIT_FILES:
        assert (root / name).is_file(), name
        assert str(Path("repo") / name) in result.stdout
    assert "Next steps:" in result.stdout
    assert sorted(p.name for p in (root / "ledgers").iterdir()) == [".gitkeep"]
    assert (root / "convention.yaml").read_bytes() == TEMPLATE.read_bytes()
    assert "*.ledger merge=union" in (root / ".gitattributes").read_text().splitlines()
    ignored = (root / ".gitignore").read_text().splitlines()
    assert {"*.tmp", ".*.tmp", "*.torn-*", ".venv/"} <= set(ignored)


def test_init_defaults_to_the_current_folder_and_speaks_french(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", "--lang", "fr")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "convention.yaml").is_file()
    assert "Prochaines étapes" in result.stdout or "Next steps:" in result.stdout  # French once merged


def test_the_template_is_in_french_with_placeholders() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    assert text.count(PLACEHOLDER) >= 20
    assert "# Date de signature" in text and "article" in text


@pytest.mark.parametrize("existing", INIT_FILES)
def test_init_refuses_when_a_file_exists_and_changes_nothing(cli: Cli, tmp_path: Path, existing: str) -> None:
    target = tmp_path / existing
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"mine\n")
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    result = cli("init")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"{Path(existing)}: error: already exists: delegation init writes nothing over an "
                             "existing file (expected a folder without convention.yaml, ledgers/.gitkeep, "
                             ".gitattributes, .gitignore, .pre-commit-config.yaml and .gitlab-ci.yml)\n")
    assert target.read_bytes() == b"mine\n"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def test_check_on_the_template_lists_the_fields_to_fill_in(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    text = (tmp_path / "convention.yaml").read_text(encoding="utf-8")
    result = cli("check")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == text.count(f": {PLACEHOLDER}")
    for line in lines:
        match = re.fullmatch(r"convention\.yaml:(\d+):(\d+): error: ([\w.]+): field to fill in "
                             r"\(replace A_COMPLETER with the value the convention's text gives\)", line)
        assert match, line
        row, col = int(match[1]), int(match[2])
        assert text.splitlines()[row - 1][col - 1:].startswith(PLACEHOLDER), line
    assert lines[0].startswith(f"convention.yaml:{line_of(text, 'id: A_COMPLETER')}:5: error: id: field to fill in")
    assert "budget.team_cap: field to fill in" in result.stderr
    assert "teams.0.id: field to fill in" in result.stderr
    assert result.stdout == f"convention.yaml: invalid ({len(lines)} errors, 0 warnings)\n"
    as_json = json.loads(cli("check", "--format", "json").stdout)
    assert {p["code"] for p in as_json} == {"to-fill-in"}


def test_every_command_refuses_the_template_with_the_same_lines(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    check = cli("check")
    for args in (("report", "--month", "2020-06"), ("commit", "--team", "x", "100"), ("log",)):
        result = cli(*args)
        assert (result.exit_code, result.stderr) == (1, check.stderr), args


def test_the_template_filled_in_is_valid(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    values = {"id": "ma-convention", "title": "Ma convention", "signed": "2021-01-15", "start": "2021-01-01",
              "end": "2021-12-31", "name": "Nom", "programme": '"217"', "bop": "FACS", "uo": "ELAB",
              "domaine_fonctionnel": '"0217-04-03"', "centre_financier": '"0217-FACS-ELAB"',
              "activite": '"021701010163"', "centre_de_cout": "DININCUB75", "total": "100000",
              "team_cap": "100000", "year": "2021", "ae": "100000", "cp": "100000"}
    path = tmp_path / "convention.yaml"
    text = re.sub(r"\b(\w+): A_COMPLETER", lambda m: f"{m[1]}: {values[m[1]]}", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    result = cli("check", "--strict")
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr


# the pre-commit hook -------------------------------------------------------------------------


def _hook_regex(text: str) -> re.Pattern[str]:
    return re.compile(text)


def test_pre_commit_hooks_yaml_publishes_the_check() -> None:
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1
    hook = hooks[0]
    assert {"id", "name", "entry", "language", "files", "pass_filenames"} <= set(hook)
    assert hook["id"] == "delegation-check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert hook["entry"] == "delegation-check-files"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'delegation-check-files = "delegation_cli.__main__:check_files"' in pyproject
    files = _hook_regex(hook["files"])
    assert all(files.search(name) for name in ("convention.yaml", "a/b.yml", "ledgers/x.ledger"))
    assert not any(files.search(name) for name in ("README.md", "x.ledger.torn-20200101T000000", "yaml.txt"))


def test_the_pre_commit_config_of_init_runs_the_hook_locally(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    config = YAML(typ="safe").load((tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    (hook,) = repo["hooks"]
    published = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]
    assert hook["id"] == published["id"] and hook["entry"] == published["entry"]
    assert hook["files"] == published["files"] and hook["pass_filenames"] is True
    assert hook["language"] == "system"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository holding the reference convention, its demonstration ledger, and a YAML
    file that is no convention."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "ledgers").mkdir()
    (tmp_path / "convention.yaml").write_text(SEED_TEXT, encoding="utf-8")
    shutil.copy(ROOT / "examples" / "ledgers" / "fabrique-numerique-s3.ledger",
                tmp_path / "ledgers" / "fabrique-numerique-s3.ledger")
    (tmp_path / ".pre-commit-config.yaml").write_text(scaffold_files()[".pre-commit-config.yaml"].decode())
    return tmp_path


def test_the_hook_checks_the_convention_of_a_touched_ledger(repo: Path) -> None:
    result = check_files("ledgers/fabrique-numerique-s3.ledger", ".pre-commit-config.yaml", "README.md")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("convention.yaml: valid (0 errors, 0 warnings); ledger ")


def test_the_hook_checks_a_touched_convention_once(repo: Path) -> None:
    result = check_files("convention.yaml", "ledgers/fabrique-numerique-s3.ledger")
    assert result.exit_code == 0
    assert result.stdout.count("convention.yaml: valid") == 1


def test_the_hook_leaves_other_yaml_files_alone(repo: Path) -> None:
    assert check_files(".pre-commit-config.yaml", "deleted.yaml") == Result(0, "", "")


def test_the_hook_fails_on_a_broken_ledger_line(repo: Path) -> None:
    ledger = repo / "ledgers" / "fabrique-numerique-s3.ledger"
    with ledger.open("a", encoding="utf-8") as out:
        out.write("2020-06-30 commitment c-99999999 friches 1000.00 at=2020-06-30T00:00:00Z by=x\n")
    count = ledger.read_text(encoding="utf-8").count("\n")
    result = check_files("ledgers/fabrique-numerique-s3.ledger")
    assert result.exit_code == 1
    assert f"ledgers/fabrique-numerique-s3.ledger:{count}:" in result.stderr


def test_the_hook_fails_on_a_ledger_no_convention_names(repo: Path) -> None:
    (repo / "ledgers" / "orphan.ledger").write_text(header_line("orphan") + "\n", encoding="utf-8")
    result = check_files("ledgers/orphan.ledger")
    assert result.exit_code == 1
    assert result.stderr == ("ledgers/orphan.ledger: error: no convention of the repository names this ledger "
                             "(expected a convention YAML file whose ledger: is this file)\n")


def test_the_hook_fails_on_a_convention_still_to_fill_in(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    result = check_files("convention.yaml", ".pre-commit-config.yaml")
    assert result.exit_code == 1
    assert "error: id: field to fill in" in result.stderr


# two clones, one merge ------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run([tool("git"), *args], cwd=cwd, capture_output=True, text=True, check=False,
                            env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"})
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def _clone(origin: Path, path: Path, who: str) -> Path:
    _git(origin.parent, "clone", "-q", str(origin), str(path))
    _git(path, "config", "user.name", who)
    _git(path, "config", "user.email", f"{who}@example.org")
    _git(path, "config", "pull.rebase", "false")
    return path


def origin_of(tmp_path: Path, files: dict[str, str]) -> Path:
    """A bare repository whose first commit holds what `delegation init` writes (its template
    convention aside) and ``files``."""
    tool("git")
    seed = tmp_path / "seed"
    seed.mkdir()
    for name, data in scaffold_files().items():
        if name != "convention.yaml":
            (seed / name).parent.mkdir(parents=True, exist_ok=True)
            (seed / name).write_bytes(data)
    for name, text in files.items():
        (seed / name).parent.mkdir(parents=True, exist_ok=True)
        (seed / name).write_text(text, encoding="utf-8")
    _git(seed, "-c", "init.defaultBranch=main", "init", "-q")
    _git(seed, "add", ".")
    _git(seed, "-c", "user.name=seed", "-c", "user.email=seed@example.org", "commit", "-q", "-m", "Seed")
    origin = tmp_path / "origin.git"
    _git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin))
    return origin



def test_two_offline_commitments_merge_cleanly_and_check_names_the_one_over_the_cap(
        cli: Cli, tmp_path: Path) -> None:
    origin = origin_of(tmp_path, {"convention.yaml": SEED_TEXT,  # friches: cap 125 000 €
                                  "ledgers/fabrique-numerique-s3.ledger": header_line("fabrique-numerique-s3") + "\n"})
    assert (tmp_path / "seed" / ".gitattributes").read_text() == GITATTRIBUTES
    a = _clone(origin, tmp_path / "a", "alice")
    b = _clone(origin, tmp_path / "b", "bob")
    ledger = Path("ledgers") / "fabrique-numerique-s3.ledger"

    for clone, day, ref in ((a, "2020-03-02", "BC-A"), (b, "2020-03-03", "BC-B")):
        result = cli("commit", "--team", "friches", "70000", "--date", day, "--ref", ref,
                     "-c", str(clone / "convention.yaml"))
        assert result.exit_code == 0, result.stderr  # each fits alone: 70 000 € of 125 000 €
        assert cli("check", str(clone / "convention.yaml")).exit_code == 0
        _git(clone, "commit", "-q", "-am", f"Commitment {ref}")
    _git(a, "push", "-q", "origin", "HEAD")
    _git(b, "pull", "-q", "--no-edit", "origin", "main")  # a merge commit, through the union driver

    assert _git(b, "status", "--porcelain") == ""
    assert len(_git(b, "log", "--format=%H", "-1", "--merges").split()) == 1
    merged = (b / ledger).read_text(encoding="utf-8")
    assert "<<<<<<<" not in merged
    assert merged.count(" commitment ") == 2 and "ref=BC-A" in merged and "ref=BC-B" in merged
    result = cli("check", str(b / "convention.yaml"))
    assert result.exit_code == 1
    over = line_of(merged, "ref=BC-B")  # the later one: the cap breaks on the second 70 000 €
    assert over == 2  # the union driver writes this clone's line first, then the pulled one
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"{b / ledger}:{over}:")
    assert "friches" in errors[0] and "cap" in errors[0]
    # The portfolio of the merged clone lists the convention as invalid, with that first problem.
    portfolio = cli("portfolio", str(b), "--format", "json", "--lang", "en")
    assert portfolio.exit_code == 1
    (row,) = json.loads(portfolio.stdout)["conventions"]
    assert (row["id"], row["check"]["valid"], row["check"]["errors"]) == ("fabrique-numerique-s3", False, 1)
    assert row["check"]["first_problem"].startswith(f"{b / ledger}:{over}:")
