"""Fuzzers: the parsers (any input gives a value or the documented error) and the command
line end to end.  This module owns both harnesses and the figures they print.

    python bench/fuzz.py [--seconds 60] [--seed 1]

For each target — the amount parser, the date parser, the ledger-line parser, the ledger
file reader and the convention loader — it mutates the committed corpus
(tests/fuzz_corpus/: flipped, inserted, deleted and duplicated bytes, splices, truncations)
for the given time and checks that every input returns a value or raises the target's
documented error (AmountError, ValueError, LineError, DelegationError), and how long the
slowest input took.  Prints the figures as JSON; exits 1 on any other exception.

    python bench/fuzz.py --cli 2000 [--seed 1] [--subprocess-share 0.1]

drives the command line end to end instead, on a copy of the seed convention (a fresh
ledger every 200 cases, so that early closed months do not refuse every later entry):
random commands and arguments (hostile text, impossible dates and amounts, unknown teams and
commitments).  Most run in this process (CliRunner); a share of them (``--subprocess-share``)
runs in real processes instead:

* stdout is /dev/full, or a pipe whose reader has gone (closed before the command starts);
* stdout is a pipe read in a narrow encoding (``PYTHONIOENCODING`` latin-1, ascii, cp1252);
* a closer: `delegation close` while two other processes run `check`, `log`, `report` and
  `export` again and again (each through CliRunner, in its own process).

Every case asserts: no traceback; a documented exit code (0–4; and the end by SIGPIPE that
the README documents for a reader whose pipe closed); exit 4 only when that command wrote
the ledger; a refused or dry-run command changes no file; the ledger is only ever appended
to; an accepted entry leaves `check` valid and `log --format json` gives back the exact text
typed; nothing acknowledged is lost (checked at the end of every ledger).  A command run in
a real process is judged against the same command run in this process first (a writer: its
dry run): a write that would succeed is written and exits 4 when its confirmation cannot be
printed, 0 in any encoding; a command that prints exits 3 on /dev/full and ends by SIGPIPE
on a closed pipe; any other exits as it does here; in a narrow encoding, every command exits
as it does here and its stdout is valid in that encoding (a stderr that is not is counted:
Click writes stderr in UTF-8 when its stream says ASCII).  A closer exits as its dry run
does, and each reading run meanwhile exits as that reading does before or after the seal:
no reader ever reports the intact ledger as broken.
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
from typing import Any

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
    from delegation_cli.core.entries import parse_date
    from delegation_cli.core.errors import DelegationError
    from delegation_cli.core.lines import LineError, header_line, parse_line
    from delegation_cli.core.money import AmountError, parse_amount
    from delegation_cli.store.convention import load_convention
    from tests.support import parse_ledger_bytes

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
EXIT_CODES = {0, 1, 2, 3, 4}
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

# Output failures, output encodings and closers run in real processes.
SUBPROCESS_KINDS = {"dev-full": 0.3, "closed-pipe": 0.25, "encoding": 0.3, "closer": 0.15}
"""How the cases run as real processes are shared among their kinds."""
ENCODINGS = ("latin-1", "ascii", "cp1252")
READERS = [["check"], ["log", "--format", "json"], ["report", "--month", "2020-06", "--format", "json"],
           ["export", "--format", "csv"]]
"""What the readers run again and again while a closer seals a month."""
DEV_FULL = Path("/dev/full")
NOTE = b"note: the ledger was written, but its confirmation could not be printed"
CANNOT_PRINT = b"error: cannot write the output: "

READER = """
import json, sys
from pathlib import Path
from typer.testing import CliRunner
from delegation_cli.cli.app import app

stop, commands = Path(sys.argv[1]), json.loads(sys.argv[2])
runner = CliRunner()
seen = []
while True:
    for index, args in enumerate(commands):
        result = runner.invoke(app, args, env={"COLUMNS": "120"})
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        said = repr(result.exception) if crashed else result.stderr if result.exit_code else ""
        seen.append([index, -1 if crashed else result.exit_code, said[:300]])
    if len(seen) == len(commands):
        print("ready", flush=True)
    if stop.exists():
        break
print(json.dumps(seen), flush=True)
"""


def _program() -> list[str]:
    script = Path(sys.executable).parent / "delegation"
    return [str(script)] if script.exists() else [sys.executable, "-m", "delegation_cli"]


def _environment(encoding: str | None = None) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DELEGATION_CONVENTION", "PYTHONIOENCODING")}
    env.update({"LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": "", "COLUMNS": "120", "PYTHONPATH": str(ROOT)})
    if encoding is not None:
        env["PYTHONIOENCODING"] = encoding
    return env


class CliFuzz:
    """One run of random commands on a copy of the seed convention, each checked.  Every
    ``episode`` cases the ledger starts afresh (else the months closed early refuse nearly
    every later entry); what each episode acknowledged is checked before it ends."""

    def __init__(self, folder: Path, seed: int, subprocess_share: float, episode: int):
        from typer.testing import CliRunner

        from delegation_cli.cli.app import app

        self.app = app
        self.runner = CliRunner()
        self.folder = folder
        self.ledger = folder / "ledgers" / "fabrique-numerique-s3.ledger"
        self.rng = random.Random(seed)
        self.share = subprocess_share
        self.episode = episode
        self.teams = ["friches", "acces-4-all", "biocarburants"]
        self.refs: list[str] = []
        self.acknowledged: set[str] = set()  # ids appended by accepted commands in this episode
        self.failures: list[str] = []
        self.counts: dict[str, int] = {"in_process": 0, "dev_full": 0, "closed_pipe": 0, "closer": 0,
                                       **{f"encoding {e}": 0 for e in ENCODINGS}}
        self.exits: dict[str, int] = {}
        self.accepted = self.refused = self.recorded_unconfirmed = self.episodes = 0
        self.lines_appended = self.seals_while_reading = self.reads_while_closing = 0
        self.stderr_not_in_encoding = 0
        self.slowest = self.slowest_process = 0.0
        (folder / "convention.yaml").write_text(
            (ROOT / "examples" / "fabrique-numerique-s3.yaml").read_text(encoding="utf-8"), encoding="utf-8")

    # Helpers ---------------------------------------------------------------------------

    def invoke(self, args: list[str]) -> Any:
        return self.runner.invoke(self.app, args, env={"COLUMNS": "120"})

    def ledger_bytes(self) -> bytes:
        return self.ledger.read_bytes() if self.ledger.exists() else b""

    def new_episode(self) -> None:
        self.verify_acknowledged("at the end of an episode")
        if self.ledger.exists():
            self.ledger.unlink()
        self.refs.clear()
        self.acknowledged.clear()
        self.episodes += 1

    def verify_acknowledged(self, when: str) -> None:
        from tests.support import parse_ledger_bytes

        state = parse_ledger_bytes(self.ledger_bytes(), "ledger")
        ids = {e.id for e in state.entries}
        lost = sorted(self.acknowledged - ids)
        if lost or state.problems:
            self.failures.append(f"{when}: acknowledged entries lost {lost[:5]}, problems "
                                 f"{[p.render() for p in state.problems][:3]}")

    def after_write(self, where: str, args: list[str], before: bytes, after: bytes) -> None:
        """An accepted command that appended to the ledger: `check` valid, the label read back."""
        from tests.support import parse_ledger_bytes

        self.accepted += 1
        new = parse_ledger_bytes(after, "ledger").entries[len(parse_ledger_bytes(before, "ledger").entries):]
        self.acknowledged.update(e.id for e in new)
        self.lines_appended += len(new)
        if args[0] == "commit" and "--ref" in args:
            self.refs.append(args[args.index("--ref") + 1])
        check = self.invoke(["check"])
        if check.exit_code != 0:
            self.failures.append(f"{where}: accepted, then check exits {check.exit_code}: {check.stderr[:300]}")
        label = None
        if "--label" in args:
            label = args[args.index("--label") + 1]
        elif args[0] == "note":
            label = args[3]
        if label is not None and args[0] != "import":
            logged = json.loads(self.invoke(["log", "--format", "json"]).stdout or "[]")
            if not logged or logged[-1].get("label") != label:
                self.failures.append(f"{where}: the label typed does not read back: "
                                     f"{label!r} != {logged[-1].get('label') if logged else None!r}")

    def changed(self, before: dict[str, bytes]) -> set[str]:
        after = _files(self.folder)
        return {k for k in set(before) | set(after) if before.get(k) != after.get(k)} - {"rows.csv"}

    # One case --------------------------------------------------------------------------

    def case(self, case: int) -> None:
        rng = self.rng
        if case and case % self.episode == 0:
            self.new_episode()
        args = _command(rng, self.teams, self.refs)
        if args[0] == "import":
            (self.folder / "rows.csv").write_text(
                f"date,kind,team,amount,ref,label\n{_date(rng)},commitment,{rng.choice(self.teams)},"
                f"{_amount(rng)},BC-i{case},\"{_text(rng).replace(chr(34), '')}\"\n", encoding="utf-8")
        if args[0] in WRITERS - {"close", "import"} and rng.random() < 0.5:
            args = [*args, "--json"]
        where = f"case {case}: delegation {' '.join(repr(a) for a in args)[:300]}"
        if rng.random() >= self.share:
            self.counts["in_process"] += 1
            self.in_process(where, args)
            return
        kind = rng.choices(list(SUBPROCESS_KINDS), weights=list(SUBPROCESS_KINDS.values()))[0]
        if kind == "dev-full" and not DEV_FULL.exists():
            kind = "closed-pipe"
        if kind == "closer":
            self.counts["closer"] += 1
            self.closer(f"case {case}")
        else:
            self.in_a_process(where, args, kind)

    def in_process(self, where: str, args: list[str]) -> None:
        before = _files(self.folder)
        ledger_before = self.ledger_bytes()
        started = time.perf_counter()
        result = self.invoke(args)
        self.slowest = max(self.slowest, time.perf_counter() - started)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            self.failures.append(f"{where}: traceback\n" + "".join(traceback.format_exception(
                result.exception, limit=-4)))
            return
        self.exits[str(result.exit_code)] = self.exits.get(str(result.exit_code), 0) + 1
        if result.exit_code not in EXIT_CODES:
            self.failures.append(f"{where}: exit code {result.exit_code}")
        self.intact(where, args, result)
        changed = self.changed(before)
        ledger_after = self.ledger_bytes()
        if not ledger_after.startswith(ledger_before):
            self.failures.append(f"{where}: the ledger was not appended to but changed")
        if result.exit_code == 4 and ledger_after == ledger_before:
            self.failures.append(f"{where}: exit 4 (recorded, unconfirmed) but the ledger was not written")
        if result.exit_code != 0 or "--dry-run" in args or args[0] not in WRITERS:
            self.refused += result.exit_code != 0
            if changed:
                self.failures.append(f"{where}: exit {result.exit_code} but changed {sorted(changed)}")
            return
        self.after_write(where, args, ledger_before, ledger_after)

    def predict(self, where: str, args: list[str]) -> tuple[int, bool]:
        """The exit code of ``args`` in this process, and whether it prints on stdout: the
        command itself when it writes nothing, else its dry run."""
        probe = args if args[0] not in WRITERS or "--dry-run" in args else [*args, "--dry-run"]
        before = _files(self.folder)
        result = self.invoke(probe)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            self.failures.append(f"{where}: traceback in its prediction\n" + "".join(traceback.format_exception(
                result.exception, limit=-4)))
        if self.changed(before):
            self.failures.append(f"{where}: its dry run or reading changed {sorted(self.changed(before))}")
        self.intact(where, probe, result)
        return result.exit_code, bool(result.stdout_bytes)

    def intact(self, where: str, args: list[str], result: Any) -> None:
        """Only what the tool itself appended is ever in the ledger: `check` must find it sound."""
        if args == ["check"] and result.exit_code != 0:
            self.failures.append(f"{where}: check reports the ledger as broken: {result.stderr[:300]}")

    def in_a_process(self, where: str, args: list[str], kind: str) -> None:
        """``args`` in a real process whose stdout is /dev/full, a pipe nobody reads, or a
        pipe read in a narrow encoding; judged against the same command in this process."""
        import os
        import signal
        import subprocess

        predicted, prints = self.predict(where, args)
        writes = predicted == 0 and args[0] in WRITERS and "--dry-run" not in args
        encoding = None
        if kind == "encoding":
            encoding = self.rng.choice(ENCODINGS)
            self.counts[f"encoding {encoding}"] += 1
        else:
            self.counts[kind.replace("-", "_")] += 1
        where = f"{where} [{kind}{' ' + encoding if encoding else ''}]"
        before = _files(self.folder)
        ledger_before = self.ledger_bytes()
        started = time.perf_counter()
        write_end: int | None = None
        try:
            if kind == "dev-full":
                with DEV_FULL.open("wb") as full:
                    proc = subprocess.run([*_program(), *args], cwd=self.folder, stdout=full, stderr=subprocess.PIPE,
                                          env=_environment(), timeout=300, check=False)
            elif kind == "closed-pipe":
                read_end, write_end = os.pipe()
                os.close(read_end)
                proc = subprocess.run([*_program(), *args], cwd=self.folder, stdout=write_end,
                                      stderr=subprocess.PIPE, env=_environment(), timeout=300, check=False)
            else:
                proc = subprocess.run([*_program(), *args], cwd=self.folder, capture_output=True,
                                      env=_environment(encoding), timeout=300, check=False)
        except subprocess.TimeoutExpired:
            self.failures.append(f"{where}: no answer in 300 s")
            return
        finally:
            if write_end is not None:
                os.close(write_end)
        self.slowest_process = max(self.slowest_process, time.perf_counter() - started)
        code, err = proc.returncode, proc.stderr
        self.exits[str(code)] = self.exits.get(str(code), 0) + 1
        ledger_after = self.ledger_bytes()
        grew = ledger_after != ledger_before
        changed = self.changed(before)
        problems = []
        if b"Traceback" in err:
            problems.append("a traceback")
        if not ledger_after.startswith(ledger_before):
            problems.append("the ledger was not appended to but changed")
        if changed - {str(self.ledger.relative_to(self.folder))}:
            problems.append(f"changed {sorted(changed)}")
        if code == 4:
            self.recorded_unconfirmed += 1
            if not grew:
                problems.append("exit 4 (recorded, unconfirmed) but the ledger was not written")
            if NOTE not in err:
                problems.append("exit 4 without its note on stderr")
        if grew != writes:
            problems.append(f"the ledger was {'' if grew else 'not '}written (its dry run exits {predicted})")
        if kind == "encoding":
            expected = predicted
            try:
                proc.stdout.decode(encoding or "utf-8")
            except UnicodeDecodeError as exc:
                problems.append(f"the output is not {encoding}: {exc}")
            try:
                err.decode(encoding or "utf-8")
            except UnicodeDecodeError:
                # Click writes stderr in UTF-8 when its stream says ASCII (reported, not an
                # assertion: the exit code and stdout are what the command promises).
                self.stderr_not_in_encoding += 1
        elif writes:
            expected = 4
        elif not prints:
            expected = predicted
        else:
            expected = 3 if kind == "dev-full" else -signal.SIGPIPE
        if code == 3 and CANNOT_PRINT not in err:
            problems.append("exit 3 without saying it could not print")
        if code not in EXIT_CODES and not (code == -signal.SIGPIPE and kind == "closed-pipe"):
            problems.append(f"undocumented exit {code}")
        if code != expected:
            problems.append(f"exit {code}, expected {expected} (in this process: {predicted})")
        if problems:
            self.failures.append(f"{where}: {'; '.join(problems)}\n{err.decode('utf-8', 'replace')[-600:]}")
            return
        if code != 0 and not grew:
            self.refused += 1
        if grew:
            self.after_write(where, args, ledger_before, ledger_after)

    def closer(self, where: str) -> None:
        """`delegation close` in a real process while two others run readers again and again:
        each reading gives what it gives before or after the seal, never that the ledger is
        broken."""
        import os
        import subprocess

        from tests.support import parse_ledger_bytes

        state = parse_ledger_bytes(self.ledger_bytes(), "ledger")
        sealed = max((e.month for e in state.entries if e.kind == "seal" and e.month), default="2019-11")
        year, month = map(int, sealed.split("-"))
        following = f"{year + month // 12}-{month % 12 + 1:02d}"
        # The next month while the year is young (later closings would refuse most entries of
        # the episode), else any month, often refused.
        chosen = following if following <= "2020-08" and self.rng.random() < 0.7 else _month(self.rng)
        args = ["close", chosen]
        where = f"{where}: delegation close {chosen} [closer and readers]"
        before_codes = [self.invoke(r).exit_code for r in READERS]
        predicted, __ = self.predict(where, args)
        stop = self.folder / "stop"
        stop.unlink(missing_ok=True)
        ledger_before = self.ledger_bytes()
        started = time.perf_counter()
        readers = [subprocess.Popen([sys.executable, "-c", READER, str(stop), json.dumps(READERS)], cwd=self.folder,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment(), text=True)
                   for __ in range(2)]
        try:
            for reader in readers:
                assert reader.stdout is not None
                reader.stdout.readline()  # "ready": one pass done, the next under way
            proc = subprocess.run([*_program(), *args], cwd=self.folder, capture_output=True, env=_environment(),
                                  timeout=300, check=False)
        finally:
            stop.write_text("")
            outputs = [reader.communicate(timeout=300) for reader in readers]
            os.remove(stop)
        self.slowest_process = max(self.slowest_process, time.perf_counter() - started)
        ledger_after = self.ledger_bytes()
        after_codes = [self.invoke(r).exit_code for r in READERS]
        problems = []
        if b"Traceback" in proc.stderr:
            problems.append("a traceback")
        if proc.returncode != predicted:
            problems.append(f"close exits {proc.returncode}, its dry run {predicted}")
        grew = ledger_after != ledger_before
        if not ledger_after.startswith(ledger_before) or grew != (proc.returncode == 0):
            problems.append(f"close exits {proc.returncode} and the ledger {'grew' if grew else 'did not grow'}")
        for reader, (out, err) in zip(readers, outputs, strict=True):
            if reader.returncode != 0 or "Traceback" in err:
                problems.append(f"a reader ended with {reader.returncode}: {err[-300:]}")
                continue
            for index, code, said in json.loads(out.splitlines()[-1]):
                self.reads_while_closing += 1
                if code not in (before_codes[index], after_codes[index]):
                    problems.append(f"`delegation {' '.join(READERS[index])}` exits {code} while closing (before "
                                    f"{before_codes[index]}, after {after_codes[index]}): {said[:300]}")
        if problems:
            self.failures.append(f"{where}: {'; '.join(problems[:5])}\n"
                                 f"{proc.stderr.decode('utf-8', 'replace')[-300:]}")
            return
        self.exits[str(proc.returncode)] = self.exits.get(str(proc.returncode), 0) + 1
        if proc.returncode == 0:
            self.seals_while_reading += 1
            self.after_write(where, args, ledger_before, ledger_after)
        else:
            self.refused += 1


def run_cli(cases: int, seed: int, *, subprocess_share: float = 0.1, episode: int = 200) -> dict[str, object]:
    """``cases`` random commands on a copy of the seed convention, each checked: a share of
    them (``subprocess_share``) in real processes whose output fails or is narrow, or as a
    closer among readers; the rest in this process (CliRunner)."""
    import os

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fuzz = CliFuzz(folder, seed, subprocess_share, episode)
        previous = os.getcwd()
        os.chdir(folder)
        try:
            for case in range(cases):
                fuzz.case(case)
            fuzz.verify_acknowledged("at the end")
        finally:
            os.chdir(previous)
        lines = len(fuzz.ledger.read_text(encoding="utf-8").splitlines()) if fuzz.ledger.exists() else 0
    return {"cases": cases, "in_process": fuzz.counts["in_process"],
            "in_a_process": {k: v for k, v in fuzz.counts.items() if k != "in_process"},
            "accepted_writes": fuzz.accepted, "refused": fuzz.refused,
            "recorded_unconfirmed": fuzz.recorded_unconfirmed,
            "stderr_not_in_encoding": fuzz.stderr_not_in_encoding, "seals_while_reading": fuzz.seals_while_reading,
            "reads_while_closing": fuzz.reads_while_closing, "exit_codes": dict(sorted(fuzz.exits.items())),
            "entries_appended": fuzz.lines_appended, "episodes": fuzz.episodes + 1, "ledger_lines": lines,
            "slowest_ms": round(fuzz.slowest * 1000, 1), "slowest_process_ms": round(fuzz.slowest_process * 1000, 1),
            "seconds": round(time.monotonic() - started, 1), "failures": fuzz.failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cli", type=int, default=0, metavar="CASES",
                        help="drive the command line with CASES random commands instead")
    parser.add_argument("--subprocess-share", type=float, default=0.1, metavar="SHARE",
                        help="with --cli: the share of cases run as real processes (output failures, encodings, "
                             "closers); 1 runs every command case in a real process")
    args = parser.parse_args(argv)
    if args.cli:
        figures = run_cli(args.cli, args.seed, subprocess_share=args.subprocess_share)
    else:
        figures = run(args.seconds, args.seed)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
