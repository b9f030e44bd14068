"""Mutation fuzzer for the parsers: any input gives a value or the documented error.

    python bench/fuzz.py [--seconds 60] [--seed 1]

For each target — the amount parser, the date parser, the ledger-line parser, the ledger
file reader and the convention loader — it mutates the committed corpus
(tests/fuzz_corpus/: flipped, inserted, deleted and duplicated bytes, splices, truncations)
for the given time and checks that every input returns a value or raises the target's
documented error (AmountError, ValueError, LineError, DelegationError), and how long the
slowest input took.  Prints the figures as JSON; exits 1 on any other exception.

    python bench/fuzz.py --cli 2000 [--seed 1]

drives the command line end to end instead, on a copy of the seed convention: random
commands and arguments (hostile text, impossible dates and amounts, unknown teams and
commitments), each asserting no traceback, a documented exit code (0–3), a refused or
dry-run command changes no file, and an accepted entry leaves `check` valid and is listed
by `log` with the exact text typed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "fuzz_corpus"


def mutate(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        choice = rng.random()
        pos = rng.randint(0, len(buf)) if buf else 0
        if choice < 0.25 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif choice < 0.45:
            buf[pos:pos] = bytes(rng.choice((b"\x00", b"\n", b'"', b"=", b" ", b",", b"\xe2\x80\xae", b"9" * 30,
                                             b"e99", b"-", b"\r", b"&a", b"*a", b"!!python/object:x", b"[" * 60)))
        elif choice < 0.6 and buf:
            del buf[pos:pos + rng.randint(1, 8)]
        elif choice < 0.75 and buf:
            end = min(len(buf), pos + rng.randint(1, 40))
            buf[pos:pos] = buf[pos:end]
        elif choice < 0.9:
            other = rng.choice(corpus)
            cut = rng.randint(0, len(other))
            buf[pos:pos] = other[cut:cut + rng.randint(1, 60)]
        else:
            del buf[rng.randint(0, len(buf)):]
    return bytes(buf)


def targets(workdir: Path) -> dict[str, tuple[list[bytes], Callable[[bytes], object], tuple[type[BaseException], ...]]]:
    from delegation_cli.convention import load_convention
    from delegation_cli.errors import DelegationError
    from delegation_cli.ledger import LineError, header_line, parse_date, parse_ledger_bytes, parse_line
    from delegation_cli.money import AmountError, parse_amount

    def lines(name: str) -> list[bytes]:
        return [line.encode() for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()]

    def text(data: bytes) -> str:
        return data.decode("utf-8", errors="replace")

    def load(data: bytes) -> object:
        path = workdir / "c.yaml"
        path.write_bytes(data)
        return load_convention(path)

    conventions = [p.read_bytes() for p in sorted((CORPUS / "conventions").glob("*.yaml"))]
    conventions.append((ROOT / "examples" / "fabrique-numerique-s3.yaml").read_bytes())
    ledger_lines = lines("ledger_lines.txt")
    header = header_line("x").encode() + b"\n"
    return {
        "amount": (lines("amounts.txt"), lambda d: parse_amount(text(d)), (AmountError,)),
        "date": (lines("dates.txt"), lambda d: parse_date(text(d)), (ValueError,)),
        "ledger_line": (ledger_lines, lambda d: parse_line(text(d)), (LineError,)),
        "ledger_file": ([header + b"\n".join(ledger_lines) + b"\n"],
                        lambda d: parse_ledger_bytes(header + d, "l.ledger"), ()),
        "convention": (conventions, load, (DelegationError,)),
    }


def run(seconds: float, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    figures: dict[str, object] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        all_targets = targets(Path(tmp))
        budget = seconds / len(all_targets)
        for name, (corpus, call, documented) in all_targets.items():
            tried = 0
            slowest = 0.0
            deadline = time.monotonic() + budget
            while time.monotonic() < deadline:
                data = mutate(rng, rng.choice(corpus), corpus)
                started = time.perf_counter()
                try:
                    call(data)
                except documented:
                    pass
                except Exception:  # noqa: BLE001 - the point is to catch anything undocumented
                    failures.append(f"{name}: {data[:200]!r}\n{traceback.format_exc(limit=3)}")
                slowest = max(slowest, time.perf_counter() - started)
                tried += 1
            figures[name] = {"inputs": tried, "slowest_ms": round(slowest * 1000, 1)}
    figures["failures"] = failures
    return figures


# --------------------------------------------------------------------------------------
# End to end: random commands through the real command line
# --------------------------------------------------------------------------------------

HOSTILE = ["[/bold] lot 1", "[red]rouge[/red]", "[link=https://evil.example]clic[/link]",
           "\x1b[2J\x1b]8;;https://evil.example\x07lien\x1b]8;;\x07", "ligne 1\r## Alerts\nligne 2",
           "\u202egnirts", "| a | b |", "# titre", "<script>alert(1)</script> & co", '=HYPERLINK("x")',
           "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", "\x7f", "\U0001D173",
           "\x85 NEL", "\u2028 \u2029", '"quoted" \\ back', "é" * 3000, "", "  spaced  ", "\t tab"]
EXIT_CODES = {0, 1, 2, 3}
WRITERS = {"commit", "pay", "release", "forecast", "note", "close", "import"}


def _text(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return rng.choice(HOSTILE)
    return "".join(chr(rng.choice((rng.randrange(0x20, 0x7F), rng.randrange(0x80, 0x800),
                                   rng.randrange(0x800, 0xD800), rng.randrange(0xE000, 0x110000))))
                   for _ in range(rng.randint(1, 12)))


def _amount(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"{rng.randint(1, 3000)}.{rng.randint(0, 99):02d}"
    return rng.choice(["10", "0.01", "1 000,50 €", "20000", "-5", "0", "1e3", "12.345", "9" * 30, "abc",
                       f"{rng.randint(1, 200_000)}", f"{rng.randint(1, 99_999)}.{rng.randint(0, 99):02d}"])


def _date(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"2020-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
    return rng.choice(["2019-12-10", "2020-02-29", "2020-06-30", "2020-12-31", "2021-01-01", "2019-11-30",
                       "9999-12-31", "0001-01-01", "2020-02-30", "20-01-01", "2020-13-01", "",
                       f"2020-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])


def _month(rng: random.Random) -> str:
    return rng.choice(["2020-06", "2019-12", "9999-12", "0000-01", "2020-13", "2020-6",
                       f"2020-{rng.randint(1, 12):02d}"])


def _command(rng: random.Random, teams: list[str], refs: list[str]) -> list[str]:
    team = rng.choice([*teams, *teams, *teams, "nope", _text(rng)])
    target = rng.choice([*refs, "BC-unknown", _text(rng)]) if refs else "BC-unknown"
    kind = rng.choice(["commit", "commit", "pay", "pay", "release", "forecast", "note", "log", "report", "check",
                       "export", "close", "import"])
    if kind == "commit":
        args = ["commit", "--team", team, _amount(rng), "--date", _date(rng)]
        if rng.random() < 0.7:
            args += ["--ref", rng.choice([f"BC-{rng.randrange(10**6)}", _text(rng)])]
        args += ["--label", _text(rng)] if rng.random() < 0.8 else []
    elif kind == "pay":
        args = ["pay", target, _amount(rng), "--date", _date(rng), "--service-fait", _date(rng),
                "--label", _text(rng)]
    elif kind == "release":
        args = ["release", target, *([_amount(rng)] if rng.random() < 0.5 else []), "--date", _date(rng)]
    elif kind == "forecast":
        args = ["forecast", "--team", team, _amount(rng), "--month", _month(rng), "--type",
                rng.choice(["ae", "cp", "AE", "x"]), "--date", _date(rng), "--label", _text(rng)]
    elif kind == "note":
        args = ["note", "--team", team, _text(rng), "--date", _date(rng)]
    elif kind == "log":
        args = ["log", "--format", rng.choice(["table", "json", "csv"])]
    elif kind == "report":
        args = ["report", "--month", _month(rng), "--format", rng.choice(["table", "json", "csv", "markdown"])]
    elif kind == "export":
        args = ["export", "--format", rng.choice(["hledger", "beancount", "csv", "json"])]
    elif kind == "close":
        args = ["close", _month(rng)]
    elif kind == "import":
        args = ["import", "rows.csv"]
    else:
        args = ["check"]
    if kind in WRITERS and rng.random() < 0.2:
        args.append("--dry-run")
    return args


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(cases: int, seed: int) -> dict[str, object]:
    """``cases`` random commands on a copy of the seed convention, each checked."""
    import os

    from typer.testing import CliRunner

    from delegation_cli.cli import app

    rng = random.Random(seed)
    runner = CliRunner()
    failures: list[str] = []
    accepted = refused = 0
    slowest = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "convention.yaml").write_text(
            (ROOT / "examples" / "fabrique-numerique-s3.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        ledger = folder / "ledgers" / "fabrique-numerique-s3.ledger"
        teams = ["friches", "acces-4-all", "biocarburants"]
        refs: list[str] = []
        previous = os.getcwd()
        os.chdir(folder)
        try:
            for case in range(cases):
                args = _command(rng, teams, refs)
                if args[0] == "import":
                    (folder / "rows.csv").write_text(
                        f"date,kind,team,amount,ref,label\n{_date(rng)},commitment,{rng.choice(teams)},"
                        f"{_amount(rng)},BC-i{case},\"{_text(rng).replace(chr(34), '')}\"\n", encoding="utf-8")
                before = _files(folder)
                started = time.perf_counter()
                result = runner.invoke(app, [*args, "--json"] if args[0] in WRITERS - {"close", "import"}
                                       and rng.random() < 0.5 else args, env={"COLUMNS": "120"})
                slowest = max(slowest, time.perf_counter() - started)
                where = f"case {case}: delegation {' '.join(repr(a) for a in args)[:300]}"
                if result.exception is not None and not isinstance(result.exception, SystemExit):
                    failures.append(f"{where}: traceback\n" + "".join(traceback.format_exception(
                        result.exception, limit=-4)))
                    continue
                if result.exit_code not in EXIT_CODES:
                    failures.append(f"{where}: exit code {result.exit_code}")
                after = _files(folder)
                changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
                if result.exit_code != 0 or "--dry-run" in args or args[0] not in WRITERS:
                    refused += result.exit_code != 0
                    if changed - {"rows.csv"}:
                        failures.append(f"{where}: exit {result.exit_code} but changed {sorted(changed)}")
                    continue
                accepted += 1
                if args[0] == "commit" and "--ref" in args:
                    refs.append(args[args.index("--ref") + 1])
                check = runner.invoke(app, ["check"])
                if check.exit_code != 0:
                    failures.append(f"{where}: accepted, then check exits {check.exit_code}: {check.stderr[:300]}")
                label = None
                if "--label" in args:
                    label = args[args.index("--label") + 1]
                elif args[0] == "note":
                    label = args[3]
                if label is not None and args[0] != "import":
                    logged = json.loads(runner.invoke(app, ["log", "--format", "json"]).stdout or "[]")
                    if not logged or logged[-1].get("label") != label:
                        failures.append(f"{where}: the label typed does not read back: "
                                        f"{label!r} != {logged[-1].get('label') if logged else None!r}")
        finally:
            os.chdir(previous)
        lines = len(ledger.read_text(encoding="utf-8").splitlines()) if ledger.exists() else 0
    return {"cases": cases, "accepted_writes": accepted, "refused": refused, "ledger_lines": lines,
            "slowest_ms": round(slowest * 1000, 1), "failures": failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cli", type=int, default=0, metavar="CASES",
                        help="drive the command line with CASES random commands instead")
    args = parser.parse_args(argv)
    figures = run_cli(args.cli, args.seed) if args.cli else run(args.seconds, args.seed)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
