"""The columns of a ledger's entries in a table, and the names people give them.

This module owns :data:`ENTRY_COLUMNS` — each column of ``log`` and ``export`` as CSV or as a
spreadsheet: its stable key (the CSV header, never translated) and its title (a msgid: the
spreadsheet's header in the document's language) — and :func:`column_key`, which reads a
header as ``import`` finds it: the key, or the title in English or French, case, accents and
spaces ignored, or a usual synonym (« réf », « bon de commande », « service fait »).  No I/O.
"""

from __future__ import annotations

import re
import unicodedata

from .i18n import LANGUAGES, N_, _, using

ENTRY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("line", N_("Line")), ("date", N_("Date")), ("kind", N_("Kind")), ("id", N_("Id")), ("team", N_("Team")),
    ("amount", N_("Amount")), ("ref", N_("Reference")), ("commitment", N_("Commitment")),
    ("marche", N_("Marché")), ("prestation", N_("Prestation")), ("service_fait", N_("Service fait")),
    ("month", N_("Month")), ("type", N_("Type")), ("author", N_("Author")), ("label", N_("Label")),
    ("target", N_("Entry named")), ("ej", N_("EJ")),
)
"""The columns of the entries, in the order of ``log --format csv``: (key, title)."""

SYNONYMS = {
    "ref": ("ref", "reference", "bon de commande", "demande de paiement", "dp", "n° dp", "n° bon de commande"),
    "ej": ("ej", "n° ej", "engagement juridique"),
    "kind": ("nature", "type d'ecriture"),
    "label": ("libelle", "texte"),
    "target": ("cible", "ecriture", "ecriture visee", "entree"),
    "service_fait": ("sf", "date du service fait", "date de service fait"),
}
"""Other names a spreadsheet gives a column (compared as :func:`normal` writes them)."""


def normal(text: str) -> str:
    """A name as compared: accents, case, underscores and runs of spaces ignored."""
    decomposed = unicodedata.normalize("NFKD", text.replace("_", " "))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s\u00a0\u202f]+", " ", plain).strip().casefold()


def column_key(header: str) -> str | None:
    """The key of the column a header names (None: no column of the entries)."""
    wanted = normal(header)
    for key, title in ENTRY_COLUMNS:
        names = {normal(key), *(normal(s) for s in SYNONYMS.get(key, ()))}
        for lang in LANGUAGES:
            with using(lang):
                names.add(normal(_(title)))
        if wanted in names:
            return key
    return None
