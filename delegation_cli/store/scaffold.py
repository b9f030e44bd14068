"""A repository of conventions kept in git: ``delegation init`` and the pre-commit hook.

This module owns two things:

* :func:`init_repository` writes the files a new repository of conventions starts with — the
  French convention template to fill in (``templates/convention.yaml``, shipped with the
  package), ``ledgers/``, a ``.gitattributes`` that merges ledgers with git's union driver, a
  ``.gitignore`` for the tool's temporary and side files, and a ``.pre-commit-config.yaml``
  running the check before each commit, and a ``.gitlab-ci.yml`` (``templates/gitlab-ci.yml``:
  the check of each merge request, the monthly reports, open data and portfolio of a
  schedule; docs/pipeline.md).  It refuses, writing nothing, when any of them exists
  already.
* :func:`check_files` is the hook's work: for each file a commit touches, the conventions
  concerned (a YAML file that is a convention; a ledger: the conventions of the repository
  whose ``ledger:`` names it), each checked once with :func:`actions.run_check`.

Rendering is left to ``cli.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import DelegationError, ExitCode, Problem, Severity, fail
from ..core.i18n import _
from .actions import run_check
from .convention import peek_convention
from .results import CheckResult

TEMPLATE = Path(__file__).parent.parent / "templates" / "convention.yaml"
"""The convention template ``delegation init`` copies (French, with ``A_COMPLETER`` values)."""
PIPELINE = Path(__file__).parent.parent / "templates" / "gitlab-ci.yml"
"""The GitLab CI/CD configuration ``delegation init`` copies (docs/pipeline.md)."""

GITATTRIBUTES = """\
# Ledgers are merged line by line, keeping both sides' lines (git's union driver): every
# entry is an independent line. Run `delegation check` after a merge: it names the lines that
# break a rule together (two commitments over a cap, an entry in a month closed elsewhere).
*.ledger merge=union
"""

GITIGNORE = """\
# delegation's temporary files (atomic writes) and the side files of `delegation check --repair`
*.tmp
.*.tmp
*.torn-*
# Python
.venv/
__pycache__/
"""

PRE_COMMIT_CONFIG = """\
# pre-commit (https://pre-commit.com): `pre-commit install` once per clone, then every commit
# that touches a convention or a ledger runs `delegation check` on it, and is refused when the
# check fails. `pre-commit install` installs the hook for commits and for merges (the
# default_install_hook_types below): a `git pull` or `git merge` whose merged ledger breaks a
# limit is refused, no merge commit made.
#
# A `local` hook: it runs the `delegation` already installed (e.g. in .venv/), so that it
# works without network. To let pre-commit install the tool itself, use the project's
# repository instead (its .pre-commit-hooks.yaml publishes the same hook):
#   - repo: <URL of the delegation repository>
#     rev: vX.Y.Z
#     hooks:
#       - id: delegation-check
default_install_hook_types: [pre-commit, pre-merge-commit]
repos:
  - repo: local
    hooks:
      - id: delegation-check
        name: delegation check
        entry: delegation-check-files
        language: system
        files: '\\.(ya?ml|ledger)$'
        pass_filenames: true
"""

LEDGERS = "ledgers"
CONVENTION = "convention.yaml"


def scaffold_files() -> dict[str, bytes]:
    """The files ``delegation init`` writes, by path relative to the new repository."""
    return {
        CONVENTION: TEMPLATE.read_bytes(),
        f"{LEDGERS}/.gitkeep": b"",
        ".gitattributes": GITATTRIBUTES.encode("utf-8"),
        ".gitignore": GITIGNORE.encode("utf-8"),
        ".pre-commit-config.yaml": PRE_COMMIT_CONFIG.encode("utf-8"),
        ".gitlab-ci.yml": PIPELINE.read_bytes(),
    }


def init_repository(folder: Path) -> list[Path]:
    """Write the files of a new repository of conventions into ``folder`` (created if
    missing) and return them, in order.

    Refuses (exit 2, nothing written) when any of them exists already, naming each."""
    files = scaffold_files()
    if folder.exists() and not folder.is_dir():
        raise fail(_("is not a folder (expected the folder to create the repository in)"),
                   code="init-not-a-folder", path=str(folder))
    existing = [folder / name for name in files if os.path.lexists(folder / name)]
    if existing:
        raise DelegationError([
            Problem(str(path), None, None, Severity.ERROR, "init-exists",
                    _("already exists: delegation init writes nothing over an existing file (expected a "
                      "folder without convention.yaml, ledgers/.gitkeep, .gitattributes, .gitignore, "
                      ".pre-commit-config.yaml and .gitlab-ci.yml)"))
            for path in existing], ExitCode.USAGE)
    (folder / LEDGERS).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for name, data in files.items():
            path = folder / name
            with open(path, "xb") as out:  # "x": never over a file that appeared meanwhile
                out.write(data)
            written.append(path)
    except OSError:
        for path in written:  # all or nothing
            path.unlink(missing_ok=True)
        raise
    return written


# --------------------------------------------------------------------------------------
# The pre-commit hook
# --------------------------------------------------------------------------------------

LEDGER_SUFFIX = ".ledger"
YAML_SUFFIXES = (".yaml", ".yml")
_SKIPPED = frozenset({"node_modules", "__pycache__", "venv"})


@dataclass
class FilesCheck:
    """What the hook found: one check per convention concerned, and the files it could not
    tie to a convention."""

    checks: list[CheckResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    """Ledgers no convention names, conventions that cannot be read (exit 2 errors)."""
    exit_code: ExitCode = ExitCode.OK


def repository_root(start: Path) -> Path:
    """The git work tree holding ``start`` (the nearest folder with a ``.git``), else the
    current folder."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return Path.cwd()


def _yaml_files(root: Path) -> Iterable[Path]:
    """The YAML files under ``root``, hidden folders and virtual environments left out."""
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED)
        for name in sorted(names):
            if name.lower().endswith(YAML_SUFFIXES) and not name.startswith("."):
                yield Path(folder) / name


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links; a NUL in a path
        return False


def _shown(path: Path) -> Path:
    """``path`` relative to the current folder when it is inside it (as the user names files)."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def conventions_of_ledger(ledger: Path, root: Path) -> list[Path]:
    """The conventions under ``root`` whose ledger (``ledger:``, relative to each) is ``ledger``."""
    found = []
    for path in _yaml_files(root.resolve()):
        peeked = peek_convention(path)
        if peeked is not None and peeked.ledger is not None and _same(path.parent / peeked.ledger, ledger):
            found.append(_shown(path))
    return found


def check_files(files: Sequence[Path], root: Path | None = None) -> FilesCheck:
    """Check the conventions concerned by ``files`` (the paths a commit touches), each once.

    A YAML file is checked when it is a convention (:func:`convention.peek_convention`);
    others (a ``.pre-commit-config.yaml``) are left alone.  A ledger is checked through the
    conventions of the repository (``root``, else the git work tree holding it) that name
    it; a ledger no convention names is an error (``ledger-without-convention``).  Files
    that no longer exist (a deletion) are skipped."""
    result = FilesCheck()
    conventions: list[Path] = []

    def add(path: Path) -> None:
        if not any(_same(path, seen) for seen in conventions):
            conventions.append(path)

    for path in files:
        if not path.is_file():
            continue
        name = path.name.lower()
        if name.endswith(LEDGER_SUFFIX):
            owners = conventions_of_ledger(path, root or repository_root(path.parent))
            if not owners:
                result.problems.append(Problem(
                    str(path), None, None, Severity.ERROR, "ledger-without-convention",
                    _("no convention of the repository names this ledger (expected a convention YAML file "
                      "whose ledger: is this file)")))
            for owner in owners:
                add(owner)
        elif name.endswith(YAML_SUFFIXES) and peek_convention(path) is not None:
            add(path)
    for path in conventions:
        try:
            result.checks.append(run_check(path))
        except DelegationError as exc:
            result.problems.extend(exc.problems)
            result.exit_code = max(result.exit_code, exc.exit_code)
    if result.exit_code is ExitCode.OK and (
            any(c.errors for c in result.checks) or any(p.is_error for p in result.problems)):
        result.exit_code = ExitCode.PROBLEMS
    return result
