"""`delegation check`: stdout, stderr and exit code, apart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import SEED, Cli, eur, line_of, write_convention


def test_seed_is_valid(cli: Cli) -> None:
    result = cli("check", str(SEED))
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == (f"{SEED}: valid (0 errors, 0 warnings); ledger "
                             f"{SEED.parent}/ledgers/fabrique-numerique-s3.ledger: "
                             f"{_entries(SEED)} entries\n")


def _entries(path: Path) -> int:
    ledger = path.parent / "ledgers" / "fabrique-numerique-s3.ledger"
    if not ledger.exists():
        return 0
    return sum(1 for line in ledger.read_text().splitlines()[1:] if line and line[0] != "#")


def test_broken_ae_figure_fails_on_its_lines(cli: Cli, tmp_path: Path) -> None:
    _, text = write_convention(tmp_path, ("      ae: 120000\n", "      ae: 130000\n"))
    result = cli("check", "c.yaml")
    total_line = line_of(text, "  total: 750000")
    ae_line = line_of(text, "ae: 130000")
    assert result.exit_code == 1
    assert result.stderr == (
        f"c.yaml:{total_line}:10: error: the schedule opens {eur('760 000,00 €')} of AE "
        f"(2019: {eur('130 000,00 €')}, 2020: {eur('630 000,00 €')}) but the envelope is "
        f"{eur('750 000,00 €')} (expected Σ AE = envelope)\n"
        f"c.yaml:{ae_line}:11: warning: 2019: 6 teams × {eur('20 000,00 €')} = "
        f"{eur('120 000,00 €')} differs from the year's AE {eur('130 000,00 €')} (expected "
        "shares × teams = year's AE)\n")
    assert result.stdout == "c.yaml: invalid (1 error, 1 warning)\n"


def test_warnings_pass_unless_strict(cli: Cli, tmp_path: Path) -> None:
    write_convention(tmp_path, ("      ae_per_team: 20000 ", "      ae_per_team: 25000 "),
                     ("ledger: ledgers/fabrique-numerique-s3.ledger", "ledger: l.ledger"))
    relaxed = cli("check", "c.yaml")
    assert relaxed.exit_code == 0
    assert relaxed.stdout == "c.yaml: valid (0 errors, 1 warning); ledger l.ledger: not created yet (0 entries)\n"
    assert relaxed.stderr.count("\n") == 1 and ": warning: 2019: 6 teams" in relaxed.stderr
    strict = cli("check", "c.yaml", "--strict")
    assert (strict.exit_code, strict.stdout, strict.stderr) == (1, relaxed.stdout, relaxed.stderr)


def test_json_format(cli: Cli, tmp_path: Path) -> None:
    _, text = write_convention(tmp_path, ('activite: "021701010163"', 'activite: "021801010163"'))
    result = cli("check", "c.yaml", "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == ""
    assert json.loads(result.stdout) == [{
        "file": "c.yaml", "line": line_of(text, "activite:"), "column": 15,
        "severity": "error", "code": "activite-programme",
        "message": "activité 021801010163 does not start with the programme (expected 0217…)",
    }]


def test_missing_file_is_a_usage_error(cli: Cli) -> None:
    result = cli("check", "nope.yaml")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("nope.yaml: error: no such file (expected a convention YAML file); give one with "
                             "-c PATH or $DELEGATION_CONVENTION\n")


def test_directory_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    result = cli("check", "d")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "d: error: is a directory (expected a convention YAML file)\n"


def test_yaml_syntax_error_names_its_line(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("id: x\nperiod:\n  start: [2019\n")
    result = cli("check", "c.yaml")
    assert result.exit_code == 2
    assert result.stderr == ("c.yaml:4:1: error: not valid YAML: expected ',' or ']', but got "
                             "'<stream end>'\n")


def test_default_convention_from_env_then_cwd(cli: Cli, tmp_path: Path) -> None:
    write_convention(tmp_path, ("ledger: ledgers/fabrique-numerique-s3.ledger", "ledger: l.ledger"),
                     name="convention.yaml")
    assert cli("check").stdout == ("convention.yaml: valid (0 errors, 0 warnings); ledger l.ledger: not created yet "
                                  "(0 entries)\n")
    result = cli("check", env={"DELEGATION_CONVENTION": "other.yaml"})
    assert (result.exit_code, result.stderr) == (
        2, "other.yaml: error: no such file (expected a convention YAML file); give one with -c PATH or "
           "$DELEGATION_CONVENTION (YAML files here: convention.yaml)\n")


def test_help_lists_every_command(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("check", "commit", "pay", "release", "forecast", "note", "log"):
        assert f" {command} " in result.stdout


def test_installed_script_runs_in_a_subprocess(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "delegation"
    assert script.exists(), "the package must be installed (pip install -e .)"
    ok = subprocess.run([str(script), "check", str(SEED)], capture_output=True, text=True,
                        cwd=tmp_path, check=False)
    assert (ok.returncode, ok.stderr) == (0, "")
    assert ok.stdout.startswith(f"{SEED}: valid (0 errors, 0 warnings)")
    missing = subprocess.run([sys.executable, "-m", "delegation_cli", "check", "nope.yaml"],
                             capture_output=True, text=True, cwd=tmp_path, check=False)
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == ("nope.yaml: error: no such file (expected a convention YAML file); give one with "
                              "-c PATH or $DELEGATION_CONVENTION\n")
    assert "Traceback" not in missing.stderr


HOSTILE = [
    ("binary", b"\x7fELF\x02\x01\x01\x00\x00garbage", 2),
    ("utf8", b"id: caf\xe9\n", 2),
    ("syntax", b"id: [\n", 2),
    ("tag", b"id: !!python/object/apply:os.system [echo]\n", 1),
    ("bomb", ("\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
                        + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)])
              + "\n").encode(), 2),
    ("exponent", SEED.read_bytes().replace(b"  total: 750000", b"  total: 1e400"), 1),
    ("nan", SEED.read_bytes().replace(b"  total: 750000", b"  total: .nan"), 1),
    ("not-a-mapping", b"- just\n- a list\n", 1),
]


def test_hostile_conventions_get_one_line_and_a_documented_code(cli: Cli, tmp_path: Path) -> None:
    for name, content, code in HOSTILE:
        (tmp_path / f"{name}.yaml").write_bytes(content)
        result = cli("check", f"{name}.yaml")
        assert result.exit_code == code, (name, result.stderr)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{name}.yaml:"), (name, result.stderr)
        assert "Traceback" not in result.stderr
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    result = cli("check", "big.yaml")
    assert (result.exit_code, result.stderr) == (
        2, "big.yaml: error: file is 52428800 bytes, too large for a convention YAML file (at most 1000000)\n")
