"""Shell completion of option and argument values: team ids, marchés, prestation kinds and
open commitments, read from the convention and ledger the command line names.

This module owns the completion callbacks the options of ``options`` name; they never fail
nor print (a completion must stay silent whatever the files hold) and import the store only
when a completion is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def _loaded(ctx: typer.Context) -> Any:
    """The convention file of the command being completed (-c, else $DELEGATION_CONVENTION,
    else ./convention.yaml) as loaded, or None: completion never fails or prints an error."""
    import os

    from ..store.convention import load_convention

    path = ctx.params.get("convention") or os.environ.get("DELEGATION_CONVENTION") or "convention.yaml"
    try:
        loaded = load_convention(Path(path))
    except Exception:  # noqa: BLE001 - a shell completion must stay silent whatever the files hold
        return None
    return loaded if loaded.convention is not None else None


def _convention(ctx: typer.Context) -> Any:
    loaded = _loaded(ctx)
    return None if loaded is None else loaded.convention


def _ids(ctx: typer.Context, *where: str) -> list[str] | None:
    """The ``id`` of each mapping the convention lists under ``where`` (``teams``, ``avenants[].teams``)
    as its file writes them, read quickly (:mod:`store.yaml_fast`: no model, no ruamel); None when
    the file is not in the plainest YAML (the caller then loads the convention whole)."""
    import os

    from ..store.convention import MAX_BYTES, bounds
    from ..store.text_files import read_text
    from ..store.yaml_fast import read

    path = ctx.params.get("convention") or os.environ.get("DELEGATION_CONVENTION") or "convention.yaml"
    try:
        data = read(read_text(Path(path), max_bytes=MAX_BYTES, what="convention"), bounds())
    except Exception:  # noqa: BLE001 - a shell completion must stay silent whatever the files hold
        return []
    if data is None:
        return None
    found: list[str] = []
    for place in where:
        items: list[Any] = [data]
        for step in place.split("."):  # "avenants.teams": the teams of every avenant
            items = [item for holder in items if isinstance(holder, dict) and isinstance(holder.get(step), list)
                     for item in holder[step]]
        found += [item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
    return list(dict.fromkeys(found))


def complete_team(ctx: typer.Context, incomplete: str) -> list[str]:
    """Team ids: those of ``teams``, then those avenants add."""
    ids = _ids(ctx, "teams", "avenants.teams")
    if ids is None:
        conv = _convention(ctx)
        ids = [t.id for t in conv.cast] if conv is not None else []
    return [i for i in ids if i.startswith(incomplete)]


def complete_marche(ctx: typer.Context, incomplete: str) -> list[str]:
    ids = _ids(ctx, "marches")
    if ids is None:
        conv = _convention(ctx)
        ids = [m.id for m in conv.marches] if conv is not None else []
    return [i for i in ids if i.startswith(incomplete)]


def complete_kind(ctx: typer.Context, incomplete: str) -> list[str]:
    conv = _convention(ctx)
    return sorted(p for p in conv.marche_of_prestation if p.startswith(incomplete)) if conv is not None else []


def complete_commitment(ctx: typer.Context, incomplete: str) -> list[str]:
    """Open commitments' bons de commande references (else ids) from the ledger in use."""
    loaded = _loaded(ctx)
    if loaded is None:
        return []
    from ..store.book import read_book
    from ..store.reader import opened_for_reading

    try:
        path = Path(ctx.params["ledger"]) if ctx.params.get("ledger") else loaded.ledger_path()
        with opened_for_reading(path) as fd:
            state = read_book(loaded.convention, fd, str(path)).state
    except Exception:  # noqa: BLE001 - a shell completion must stay silent whatever the files hold
        return []
    names = [name for c in state.commitments.values() if c.remaining > 0 for name in (c.ref or c.id, c.ej) if name]
    return [n for n in names if n.startswith(incomplete)]


def _book(ctx: typer.Context) -> Any:
    """The ledger in use read whole through the one read path, or None (never fails)."""
    loaded = _loaded(ctx)
    if loaded is None:
        return None
    from ..store.book import read_book
    from ..store.reader import opened_for_reading

    try:
        path = Path(ctx.params["ledger"]) if ctx.params.get("ledger") else loaded.ledger_path()
        with opened_for_reading(path) as fd:
            return read_book(loaded.convention, fd, str(path), keep=True)
    except Exception:  # noqa: BLE001 - a shell completion must stay silent whatever the files hold
        return None


def complete_entry(ctx: typer.Context, incomplete: str) -> list[str]:
    """Entries a cancellation may name, not cancelled yet: their references, else their ids."""
    book = _book(ctx)
    if book is None:
        return []
    from ..core.kinds import CANCELLABLE

    names = [e.ref or e.id for e in book.entries if e.kind in CANCELLABLE and e.id not in book.state.cancelled]
    return [n for n in names if n.startswith(incomplete)]


def complete_unsupported_payment(ctx: typer.Context, incomplete: str) -> list[str]:
    """Payments without a service fait: their demandes de paiement, else their ids."""
    book = _book(ctx)
    if book is None:
        return []
    state = book.state
    names = [e.ref or e.id for e in book.entries if e.kind == "payment" and e.service_fait is None
             and e.id not in state.certified and e.id not in state.cancelled]
    return [n for n in names if n.startswith(incomplete)]
