"""The pipeline `delegation init` writes (`.gitlab-ci.yml`), run for real by `gitlab-ci-local`
(npm) with the shell executor, on a repository of conventions with an origin: the merge-request
job fails on a ledger over a cap — written on the branch, or made by merging it into its target
— and passes on a valid one; the monthly job writes each convention's report, its open-data
package and the portfolio, and fails when an alert requires informing a délégant.  Each job
installs `delegation` with pip, as a runner does, here from this checkout.

gitlab-ci-local is installed by `.ci/run` (`npm install --prefix .ci/node gitlab-ci-local@4.65.0`),
or named by ``$GITLAB_CI_LOCAL``; it copies the work tree with rsync.  As the other external
tools, missing either skips these tests except under CI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from delegation_cli.store.scaffold import PIPELINE

from .conftest import ROOT, SEED, SEED_LEDGER, Cli, with_checksums

LEDGER = Path("ledgers") / SEED_LEDGER.name
OVER = ("friches: commitment of 5\u202f000,00\u00a0€ takes the team to 130\u202f000,00\u00a0€, above its cap of "
        "125\u202f000,00\u00a0€")
MERGED_OVER = ("enr-electriques: commitment of 30\u202f000,00\u00a0€ takes the team to 145\u202f000,00\u00a0€, above "
               "its cap of 125\u202f000,00\u00a0€")


def gitlab_ci_local() -> str:
    installed = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "gitlab-ci-local"
    path = Path(os.environ.get("GITLAB_CI_LOCAL") or installed)
    missing = None if path.is_file() else f"gitlab-ci-local is not installed at {path}"
    if missing is None and shutil.which("rsync") is None:
        missing = "rsync is not installed (gitlab-ci-local copies the work tree with it)"
    if missing is None:
        return str(path)
    if os.environ.get("CI"):
        pytest.fail(f"{missing}: .ci/run must install it")
    pytest.skip(f"{missing} (npm install --prefix .ci/node gitlab-ci-local@4.65.0; apt-get install rsync)")


def _env(tmp_path: Path) -> dict[str, str]:
    """git offline and identified, HOME apart (gitlab-ci-local keeps its settings there), the
    messages in English; no `delegation` on the PATH: each job installs its own."""
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if not (Path(p) / "delegation").exists())
    return {**os.environ, "PATH": path, "HOME": str(tmp_path / "home"), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "Gestionnaire", "GIT_AUTHOR_EMAIL": "g@example.org",
            "GIT_COMMITTER_NAME": "Gestionnaire", "GIT_COMMITTER_EMAIL": "g@example.org",
            "LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": ""}


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


class Repository:
    """A repository of conventions made by `delegation init`, with the example convention and
    its ledger, pushed to a bare origin; the jobs run in its work tree."""

    def __init__(self, cli: Cli, tmp_path: Path):
        self.env = _env(tmp_path)
        (tmp_path / "home").mkdir()
        self.work = tmp_path / "work"
        assert cli("init", "work").exit_code == 0
        shutil.copy(SEED, self.work / "convention.yaml")
        shutil.copy(SEED_LEDGER, self.work / LEDGER)
        _git(tmp_path, self.env, "init", "-q", "--bare", "-b", "main", "origin.git")
        for args in (("init", "-q", "-b", "main"), ("add", "."), ("commit", "-qm", "Convention signée"),
                     ("remote", "add", "origin", str(tmp_path / "origin.git")), ("push", "-q", "origin", "main")):
            _git(self.work, self.env, *args)
        self.cli = cli

    def branch(self, name: str, start: str = "main") -> None:
        _git(self.work, self.env, "checkout", "-q", "-b", name, start)

    def commit(self, message: str, push: bool = False) -> None:
        _git(self.work, self.env, "commit", "-qam", message)
        if push:
            _git(self.work, self.env, "push", "-q", "origin", "HEAD")

    def append(self, line: str) -> None:
        """A ledger line written by hand (with its checksum), as no `delegation` command would."""
        with (self.work / LEDGER).open("a", encoding="utf-8") as out:
            out.write(with_checksums("x\n" + line + "\n").split("\n")[1] + "\n")

    def record(self, *args: str) -> None:
        result = self.cli(*args, "--author", "gestionnaire", "-c", str(self.work / "convention.yaml"))
        assert result.exit_code == 0, result.stderr

    def pipeline(self, source: str, **variables: str) -> subprocess.CompletedProcess[str]:
        """The pipeline of an event (``merge_request_event``, ``schedule``), with the shell executor."""
        given = {"CI_PIPELINE_SOURCE": source, "DELEGATION_PACKAGE": f"{ROOT}[pdf]", **variables}
        args = [gitlab_ci_local(), "--force-shell-executor", "--color=false",
                "--ignore-predefined-vars", ",".join(k for k in given if k.startswith("CI_"))]
        for name, value in given.items():
            args += ["--variable", f"{name}={value}"]
        # the jobs' stdout and stderr as the job log shows them, one stream
        return subprocess.run(args, cwd=self.work, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=900, check=False)


def merge_request(repo: Repository) -> subprocess.CompletedProcess[str]:
    return repo.pipeline("merge_request_event", CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main")


def test_init_writes_the_pipeline_with_its_three_jobs(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    text = (tmp_path / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert text == PIPELINE.read_text(encoding="utf-8")
    pipeline = YAML(typ="safe").load(text)
    assert pipeline["variables"]["DELEGATION_PACKAGE"] == "delegation[pdf]"
    assert pipeline["delegation-check"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert [r["if"] for r in pipeline["monthly-report"]["rules"]] == ['$CI_PIPELINE_SOURCE == "schedule"',
                                                                      '$CI_PIPELINE_SOURCE == "web"']
    assert pipeline["monthly-report"]["artifacts"]["when"] == "always"
    assert pipeline["pages"]["needs"] == ["monthly-report"]
    script = "\n".join(pipeline["monthly-report"]["script"])
    assert "--fail-on-alert" in script and "delegation publish" in script


@pytest.mark.slow
def test_the_merge_request_job_fails_over_a_cap_and_passes_a_valid_ledger(cli: Cli, tmp_path: Path) -> None:
    repo = Repository(cli, tmp_path)
    # a valid entry: the job passes and says so
    repo.branch("valid")
    repo.record("commit", "--team", "enr-electriques", "1000", "--date", "2020-07-01", "--ref", "BC-VALID")
    repo.commit("Engagement BC-VALID")
    done = merge_request(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  delegation-check" in done.stdout
    assert "convention.yaml: valid (0 errors, 0 warnings); ledger ledgers/fabrique-numerique-s3.ledger: 143 " \
           "entries" in done.stdout
    # a line written by hand above the cap: the job fails and names it
    repo.branch("over", "main")
    repo.append("2020-07-01 commitment c-0000beef friches 5000.00 ref=BC-OVER")
    line = len((repo.work / LEDGER).read_text(encoding="utf-8").splitlines())
    repo.commit("Engagement BC-OVER")
    done = merge_request(repo)
    assert done.returncode == 1
    assert "FAIL  delegation-check" in done.stdout
    assert f"ledgers/fabrique-numerique-s3.ledger:{line}: error: {OVER}" in done.stdout, done.stdout[-2000:]
    # two branches that each fit, not together: the job checks the ledger as the merge makes it
    repo.branch("second", "main")
    repo.record("commit", "--team", "enr-electriques", "30000", "--date", "2020-07-02", "--ref", "BC-SECOND")
    repo.commit("Engagement BC-SECOND")
    _git(repo.work, repo.env, "checkout", "-q", "main")
    repo.record("commit", "--team", "enr-electriques", "30000", "--date", "2020-07-01", "--ref", "BC-FIRST")
    repo.commit("Engagement BC-FIRST", push=True)  # merged into main meanwhile
    _git(repo.work, repo.env, "checkout", "-q", "second")
    assert repo.cli("check", str(repo.work / "convention.yaml")).exit_code == 0  # the branch alone is valid
    done = merge_request(repo)
    assert done.returncode == 1
    assert "FAIL  delegation-check" in done.stdout
    assert MERGED_OVER in done.stdout


def _weasyprint_runs() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@pytest.mark.slow
def test_the_monthly_job_writes_the_documents_and_fails_when_a_delegant_must_be_informed(
        cli: Cli, tmp_path: Path) -> None:
    repo = Repository(cli, tmp_path)
    public = repo.work / "public"
    # December 2019: no alert requires informing the délégant
    done = repo.pipeline("schedule", DELEGATION_MONTH="2019-12")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  monthly-report" in done.stdout and "PASS  pages" in done.stdout
    written = sorted(str(p.relative_to(public)) for p in public.rglob("*") if p.is_file())
    documents = ["compte-rendu-2019-12.html", "compte-rendu-2019-12.ods"]
    documents += ["compte-rendu-2019-12.pdf"] if _weasyprint_runs() else []
    package = [f"donnees-ouvertes/{name}" for name in ("convention.csv", "credits.csv", "datapackage.json",
                                                       "movements.csv", "summary.csv", "teams.csv")]
    assert written == sorted(["index.html", "portefeuille.csv", "portefeuille.json",
                              *(f"fabrique-numerique-s3/{name}" for name in documents + package)])
    report = public / "fabrique-numerique-s3" / "compte-rendu-2019-12.html"
    assert "Compte rendu mensuel de décembre 2019" in report.read_text(encoding="utf-8")
    assert (public / "fabrique-numerique-s3" / "compte-rendu-2019-12.ods").read_bytes()[:2] == b"PK"
    if _weasyprint_runs():
        assert (public / "fabrique-numerique-s3" / "compte-rendu-2019-12.pdf").read_bytes()[:5] == b"%PDF-"
    portfolio = json.loads((public / "portefeuille.json").read_text(encoding="utf-8"))
    assert (portfolio["month"], portfolio["inform_delegant"], portfolio["invalid"]) == ("2019-12", [], 0)
    summary = (public / "fabrique-numerique-s3" / "donnees-ouvertes" / "summary.csv").read_bytes().decode()
    assert summary.split("\r\n")[1].startswith("fabrique-numerique-s3,2019-12,2019-12-31,750000.00,120000.00,0.00,")
    # June 2020: forecasts above what is left, the délégant is to be informed: the job fails,
    # the documents are written all the same and the pages published
    done = repo.pipeline("schedule", DELEGATION_MONTH="2020-06")
    assert done.returncode == 1
    assert "FAIL  monthly-report" in done.stdout and "PASS  pages" in done.stdout
    assert ("convention.yaml: warning: les commandes prévues en 2020, 165\u202f000,00\u00a0€, dépassent les "
            "140\u202f000,00\u00a0€ d'AE 2020 encore disponibles") in done.stdout
    assert (public / "fabrique-numerique-s3" / "compte-rendu-2020-06.html").is_file()
    assert (public / "fabrique-numerique-s3" / "compte-rendu-2020-06.ods").is_file()
    portfolio = json.loads((public / "portefeuille.json").read_text(encoding="utf-8"))
    assert portfolio["month"] == "2020-06"
    assert len(portfolio["inform_delegant"]) == 6
