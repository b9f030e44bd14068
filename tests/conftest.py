"""Shared fixtures: the bundled examples, a convention copy to break, a CLI runner."""

from __future__ import annotations

import hashlib
import shutil
import textwrap
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from delegation_cli.cli.app import app
from delegation_cli.core.i18n import set_language

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEED = EXAMPLES / "fabrique-numerique-s3.yaml"
SECOND = EXAMPLES / "incubateur-territoires.yaml"
SEED_TEXT = SEED.read_text(encoding="utf-8")

def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


SMALL_HEAD = dedent("""
    signed: 2021-02-01
    period: {start: 2021-01-01, end: 2022-12-31}
    parties: {delegant: {name: A}, delegataire: {name: B}}
    imputation:
      programme: "217"
      bop: FACS
      uo: ELAB
      chorus: {domaine_fonctionnel: "0217-04-03", centre_financier: "0217-FACS-ELAB",
               activite: "021701010163", centre_de_cout: X1}
""")
"""The signature, period, parties and imputation shared by the small test conventions."""


# A small convention whose figures can all be checked by hand: 2 teams capped at 600 €, an
# envelope of 1 000 €, AE 2021 = 400 € (CP 100 €), AE 2022 = 600 € (CP 900 €), and avenant
# n° 1 (2022-01-10) carrying 50 € of AE from 2021 to 2022.
MINI = dedent("""
    id: mini
    title: Mini convention
    {SMALL_HEAD}
    budget:
      total: 1000
      team_cap: 600
      schedule:
        - {year: 2021, ae: 400, cp: 100, ae_per_team: 200}
        - {year: 2022, ae: 600, cp: 900}
    teams: [{id: alpha, name: Alpha}, {id: beta, name: Beta}]
    marches:
      - {id: dev, name: Dev, prestations: [{id: devops, name: Devops}]}
      - {id: coaching, name: Coaching, prestations: [{id: coaching, name: Coaching}]}
    reporting: {language: en, alert_thresholds: [80, 95], cutoffs: {commitments: "12-10", payments: "11-30"}}
    avenants:
      - {number: 1, date: 2022-01-10, carry_overs: [{from_year: 2021, ae: 50}]}
    ledger: mini.ledger
""").replace("{SMALL_HEAD}\n", SMALL_HEAD)


NNBSP = "\u202f"
NBSP = "\u00a0"


def eur(text: str) -> str:
    """Write French amounts in tests readably: ``eur('125 000,00 €')`` puts U+202F between
    groups and U+00A0 before the sign, as the program does."""
    return text.replace(" €", f"{NBSP}€").replace(" ", NNBSP).replace(f"{NNBSP}{NBSP}", f"{NBSP}")


def with_checksums(text: str) -> str:
    """A ledger written by hand without checksums (any header version), as version 2 of the
    format stores it: the header names version 2 and every entry line ends with ``crc=`` and
    the CRC-32 of its UTF-8 bytes (comments and blank lines stay as they are).  Written here
    from the format's definition, not with the program's own function."""
    lines = text.split("\n")
    out = []
    for number, line in enumerate(lines):
        if number == 0 and line.startswith("# delegation-ledger v"):
            out.append("# delegation-ledger v2 " + line.split(" ", 3)[3])
        elif not line or line.startswith("#") or (number == len(lines) - 1):
            out.append(line)
        else:
            out.append(f"{line} crc={zlib.crc32(line.encode('utf-8')):08x}")
    return "\n".join(out)


def forged(text: str) -> str:
    """A version 2 ledger edited by hand, with every entry line's checksum recomputed — what a
    forger who knows the format writes: only the seals can then tell what changed."""
    bare = "\n".join(line[:-13] if line[-13:-8] == " crc=" else line for line in text.split("\n"))
    return with_checksums(bare)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not found")


def sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """Runs ``delegation`` in-process with stdout and stderr kept apart."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        set_language(None)  # as a new process starts: the language of the locale, until --lang
        try:
            result = self.runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})},
                                        catch_exceptions=False)
        finally:
            set_language(None)
        return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts in the C locale (English messages), whatever the machine's; a test
    of another language says so (``--lang``, ``LANGUAGE=fr``)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    set_language(None)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DELEGATION_CONVENTION", raising=False)
    return Cli(tmp_path)


SEED_LEDGER = EXAMPLES / "ledgers" / "fabrique-numerique-s3.ledger"


@pytest.fixture
def seed_example(cli: Cli, tmp_path: Path) -> Cli:
    """The bundled convention and its demonstration ledger, copied into the test's folder
    (the current directory): ``cli("report")`` reads them."""
    (tmp_path / "ledgers").mkdir()
    shutil.copy(SEED_LEDGER, tmp_path / "ledgers" / SEED_LEDGER.name)
    shutil.copy(SEED, tmp_path / "convention.yaml")
    return cli


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A copy of the reference convention whose ledger is ``ledgers/seed.ledger``."""
    path = tmp_path / "convention.yaml"
    path.write_text(SEED_TEXT.replace("ledger: ledgers/fabrique-numerique-s3.ledger",
                                      "ledger: ledgers/seed.ledger"), encoding="utf-8")
    return path


def write_convention(tmp_path: Path, *replacements: tuple[str, str], name: str = "c.yaml",
                     base: str = SEED_TEXT) -> tuple[Path, str]:
    """The reference convention with textual replacements (each must apply once)."""
    text = base
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, text

