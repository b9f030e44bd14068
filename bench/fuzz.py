"""Mutation fuzzer for the parsers: any input gives a value or the documented error.

    python bench/fuzz.py [--seconds 60] [--seed 1]

For each target — the amount parser, the date parser, the ledger-line parser, the ledger
file reader and the convention loader — it mutates the committed corpus
(tests/fuzz_corpus/: flipped, inserted, deleted and duplicated bytes, splices, truncations)
for the given time and checks that every input returns a value or raises the target's
documented error (AmountError, ValueError, LineError, DelegationError), and how long the
slowest input took.  Prints the figures as JSON; exits 1 on any other exception.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    figures = run(args.seconds, args.seed)
    print(json.dumps(figures, indent=2))
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
