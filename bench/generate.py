"""Generate a realistic, valid convention and ledger of any size, for tests and benchmarks.

    python bench/generate.py N OUTDIR [--seed S] [--conventions K]

writes OUTDIR/convention.yaml and OUTDIR/ledger.ledger (with --conventions K, K such pairs in
OUTDIR/c0000 … OUTDIR/c<K-1>, ids bench-0000 …, seeds S, S + 1 …: a portfolio): N entries over ten budget years
and forty teams — commitments (~30 %), payments after service fait (~45 %), releases (~5 %),
forecasts (~10 %) and progress notes (~10 %), in date order — and a convention whose AE, CP
and caps are opened so that every limit holds with room to spare (Σ AE = Σ CP = envelope =
teams × cap).  The same seed gives the same files.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import zlib
from pathlib import Path

FIRST_YEAR = 2020
YEARS = 10
TEAMS = 40
DAYS_PER_YEAR = 360  # dates use 12 months of 30 days, day 28 at most in February


def _date(day_index: int) -> tuple[int, str]:
    year = FIRST_YEAR + day_index // DAYS_PER_YEAR
    rest = day_index % DAYS_PER_YEAR
    month, dom = rest // 30 + 1, rest % 30 + 1
    if month == 2:
        dom = min(dom, 28)
    return year, f"{year:04d}-{month:02d}-{dom:02d}"


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def generate(n: int, seed: int = 2019) -> tuple[str, str]:
    """(convention YAML, ledger text) with ``n`` entries."""
    rng = random.Random(seed)
    teams = [f"team-{i:02d}" for i in range(TEAMS)]
    lines = ["# delegation-ledger v2 convention=bench"]
    open_commitments: list[list[object]] = []  # [id, team, year, remaining]
    committed = [0] * YEARS
    paid = [0] * YEARS
    team_net = dict.fromkeys(teams, 0)
    span = YEARS * DAYS_PER_YEAR - 1
    for i in range(n):
        year, day = _date(i * span // max(n - 1, 1))
        y = year - FIRST_YEAR
        roll = rng.random()
        team = teams[rng.randrange(TEAMS)]
        ident = f"{i:08x}"
        if roll < 0.30 or not open_commitments:
            amount = rng.randrange(1_000, 20_000) * 100
            marche, kind = rng.choice((("dev", "devops"), ("dev", "design"), ("dev", "deploiement"),
                                       ("coaching", "coaching")))
            lines.append(f"{day} commitment c-{ident} {team} {_euros(amount)} ref=BC-{i} ej={1_300_000_000 + i} "
                         f"marche={marche} "
                         f"prestation={kind} by=bench \"Bon de commande {i}\"")
            open_commitments.append([f"c-{ident}", team, year, amount])
            committed[y] += amount
            team_net[team] += amount
        elif roll < 0.80:
            pick = rng.randrange(len(open_commitments))
            cid, cteam, cyear, remaining = open_commitments[pick]
            assert isinstance(remaining, int) and isinstance(cyear, int)
            if roll < 0.75:
                amount = min(remaining, rng.randrange(500, 10_000) * 100)
                lines.append(f"{day} payment p-{ident} {cteam} {_euros(amount)} commitment={cid} sf={day} "
                             f"ref=DP-{i} by=bench")
                paid[y] += amount
            else:
                amount = min(remaining, rng.randrange(100, 2_000) * 100)
                lines.append(f"{day} release r-{ident} {cteam} {_euros(amount)} commitment={cid} by=bench "
                             "\"Reliquat\"")
                assert isinstance(cteam, str)
                team_net[cteam] -= amount
                if cyear == year:
                    committed[y] -= amount
            remaining -= amount
            if remaining == 0:
                open_commitments[pick] = open_commitments[-1]
                open_commitments.pop()
            else:
                open_commitments[pick][3] = remaining
        elif roll < 0.90:
            planned = min(year + 1, FIRST_YEAR + YEARS - 1)  # a month not over at the forecast's date
            month = f"{planned:04d}-{rng.randrange(int(day[5:7]) if planned == year else 1, 13):02d}"
            amount = rng.randrange(1_000, 30_000) * 100
            lines.append(f"{day} forecast f-{ident} {team} {_euros(amount)} month={month} "
                         f"type={rng.choice(('ae', 'cp'))} by=bench")
        else:
            lines.append(f"{day} note n-{ident} {team} by=bench \"Point d'avancement {i}\"")
    # Open every limit with room to spare: 20 % above what is consumed.
    ae = [c * 6 // 5 // 100 * 100 + 100_000_00 for c in committed]
    cp = [p * 6 // 5 // 100 * 100 + 100_000_00 for p in paid]
    cap = max(max(team_net.values()) * 6 // 5, (max(sum(ae), sum(cp)) + TEAMS - 1) // TEAMS)
    cap = (cap + 99) // 100 * 100
    total = cap * TEAMS
    ae[-1] += total - sum(ae)
    cp[-1] += total - sum(cp)
    schedule = "\n".join(f"    - {{year: {FIRST_YEAR + k}, ae: {_euros(ae[k])}, cp: {_euros(cp[k])}}}"
                         for k in range(YEARS))
    team_list = "\n".join(f"  - {{id: {t}, name: \"Équipe {t}\"}}" for t in teams)
    convention = f"""id: bench
title: "Convention de test de performance"
signed: {FIRST_YEAR}-01-01
period: {{start: {FIRST_YEAR}-01-01, end: {FIRST_YEAR + YEARS - 1}-12-31}}
parties:
  delegant: {{name: "Ministère"}}
  delegataire: {{name: "DINUM"}}
imputation:
  programme: "217"
  bop: FACS
  uo: ELAB
  chorus:
    domaine_fonctionnel: "0217-04-03"
    centre_financier: "0217-FACS-ELAB"
    activite: "021701010163"
    centre_de_cout: DININCUB75
budget:
  total: {_euros(total)}
  team_cap: {_euros(cap)}
  schedule:
{schedule}
teams:
{team_list}
marches:
  - id: coaching
    name: Coaching
    prestations:
      - {{id: coaching, name: Coaching}}
  - id: dev
    name: "Développement / déploiement / design / hébergement"
    prestations:
      - {{id: devops, name: Devops}}
      - {{id: design, name: Design}}
      - {{id: deploiement, name: Déploiement}}
ledger: ledger.ledger
"""
    checked = [lines[0], *(f"{line} crc={zlib.crc32(line.encode('utf-8')):08x}" for line in lines[1:])]
    return convention, "\n".join(checked) + "\n"


_LINE = re.compile(r"^\S+ (commitment|payment|release) (\S+) \S+ (\d+)\.(\d\d) (?:ref=\S+ ej=(\d+)|commitment=(\S+))")


def chorus_extract(ledger: str, rows: int) -> str:
    """A Chorus restitution (CSV, as INFBUD writes it: a title block, the header on row 5,
    ``;``, French amounts, « Résultat » subtotal rows) of the ledger's commitments, each EJ's
    amounts spread over postes so that the extract has about ``rows`` rows: it agrees with the
    ledger, so that ``reconcile`` reads and compares every row."""
    ejs: dict[str, str] = {}
    committed: dict[str, int] = {}
    paid: dict[str, int] = {}
    for line in ledger.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        kind, ident, euros, cents, ej, target = match.groups()
        amount = int(euros) * 100 + int(cents)
        if kind == "commitment":
            ejs[ident], committed[ident], paid[ident] = ej, amount, 0
        elif kind == "payment":
            paid[target] += amount
        else:
            committed[target] -= amount
    base, extra = divmod(max(rows, len(ejs)), max(len(ejs), 1))
    out = ["Restitution INFBUD52;", "Exercice;", ";", ";",
           "Centre financier;N° EJ;N° poste EJ;Fournisseur titulaire principal (EJ);Montant engagé;Montant payé"]

    def fr(cents: int) -> str:
        return f"{cents // 100:,}".replace(",", " ") + f",{cents % 100:02d}"

    for index, (ident, ej) in enumerate(ejs.items()):
        postes = base + (index < extra)
        left_c, left_p = committed[ident], paid[ident]
        for poste in range(1, postes + 1):
            share_c = left_c if poste == postes else left_c // (postes - poste + 1)
            share_p = left_p if poste == postes else left_p // (postes - poste + 1)
            left_c, left_p = left_c - share_c, left_p - share_p
            out.append(f"0217-FACS-ELAB;{ej};{poste};Titulaire;{fr(share_c)};{fr(share_p)}")
        if int(ej) % 10 == 0:
            out.append(f"Résultat;;;;{fr(committed[ident])};{fr(paid[ident])}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("entries", type=int)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--conventions", type=int, default=0, help="write this many conventions, one per folder")
    parser.add_argument("--chorus", type=int, default=0, help="also write chorus.csv, an extract of about this "
                        "many rows that agrees with the ledger")
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    if args.conventions:
        for k in range(args.conventions):
            convention, ledger = generate(args.entries, args.seed + k)
            folder = args.outdir / f"c{k:04d}"
            folder.mkdir(exist_ok=True)
            (folder / "convention.yaml").write_text(convention.replace("id: bench\n", f"id: bench-{k:04d}\n", 1),
                                                    encoding="utf-8")
            (folder / "ledger.ledger").write_text(ledger.replace("convention=bench\n", f"convention=bench-{k:04d}\n",
                                                                 1), encoding="utf-8")
        print(f"{args.outdir}: {args.conventions} conventions of {args.entries} entries", file=sys.stderr)
        return 0
    convention, ledger = generate(args.entries, args.seed)
    (args.outdir / "convention.yaml").write_text(convention, encoding="utf-8")
    (args.outdir / "ledger.ledger").write_text(ledger, encoding="utf-8")
    if args.chorus:
        (args.outdir / "chorus.csv").write_text(chorus_extract(ledger, args.chorus), encoding="utf-8")
    print(f"{args.outdir}: {args.entries} entries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
