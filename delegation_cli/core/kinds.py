"""The kinds of entries, in one place: what each is called, its id prefix, whether it has an
amount, the fields its ledger line carries (in canonical order) and those it requires, the
team it needs in an import.

Every module that treats kinds differently reads this table (the line format, the import, the
report's names) or dispatches on :data:`Kind` with ``assert_never`` for what is left, so that
mypy lists every place a new kind must reach (``docs/architecture.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeGuard, get_args

from .columns import normal
from .i18n import LANGUAGES, N_, _, using

Kind = Literal["commitment", "payment", "release", "forecast", "note", "cancel", "service-fait", "seal"]


@dataclass(frozen=True)
class KindSpec:
    """One kind of entry.

    Attributes:
        name: what people call it (a msgid: ``engagement`` in French for ``commitment``).
        prefix: the letter its ids start with (``c-3f9a1b2c``).
        amount: whether it carries an amount (every kind but a note and a seal).
        fields: the ``key=value`` fields of its ledger line, in canonical order, before the
            recording stamp (``at``, ``by``); a seal's line has its own grammar.
        required: which of those a line must have.
        settles: whether it names a commitment (``commitment=``): a payment or a release.
        mends: whether it mends an earlier entry it names (``entry=`` or ``payment=``, kept as
            :attr:`entries.Entry.target`): a cancellation, a service fait recorded later.
        team_in_import: whether an imported row must give its team (a payment or a release
            takes its commitment's).
    """

    name: str
    prefix: str
    amount: bool
    fields: tuple[str, ...]
    required: tuple[str, ...] = ()
    settles: bool = False
    team_in_import: bool = True
    mends: bool = False


KIND_SPECS: dict[Kind, KindSpec] = {
    "commitment": KindSpec(N_("commitment"), "c", True, ("ref", "ej", "marche", "prestation")),
    "payment": KindSpec(N_("payment"), "p", True, ("commitment", "sf", "ref"), ("commitment",), settles=True,
                        team_in_import=False),
    "release": KindSpec(N_("release"), "r", True, ("commitment",), ("commitment",), settles=True,
                        team_in_import=False),
    "forecast": KindSpec(N_("forecast"), "f", True, ("month", "type"), ("month", "type")),
    "note": KindSpec(N_("note"), "n", False, ()),
    "cancel": KindSpec(N_("cancellation"), "x", False, ("entry",), ("entry",), team_in_import=False, mends=True),
    "service-fait": KindSpec(N_("service fait"), "v", False, ("payment", "sf"), ("payment", "sf"),
                             team_in_import=False, mends=True),
    "seal": KindSpec(N_("seal"), "s", False, (), team_in_import=False),
}
assert tuple(KIND_SPECS) == get_args(Kind), "one spec per kind, in the order of Kind"

KINDS: tuple[Kind, ...] = get_args(Kind)
AMOUNT_KINDS = frozenset(kind for kind, spec in KIND_SPECS.items() if spec.amount)
SETTLING_KINDS = frozenset(kind for kind, spec in KIND_SPECS.items() if spec.settles)
MENDING_KINDS = frozenset(kind for kind, spec in KIND_SPECS.items() if spec.mends)
CANCELLABLE: tuple[Kind, ...] = ("commitment", "payment", "release", "forecast", "note")
"""The kinds a cancellation may cancel (a seal closes a month for good; a cancellation or a
service fait is mended by the entries it names, not cancelled)."""
ID_PREFIX: dict[str, str] = {kind: spec.prefix for kind, spec in KIND_SPECS.items()}
STAMP_FIELDS = ("at", "by")
"""The fields every entry line ends with: when it was recorded, and by whom."""


def kind_name(kind: str) -> str:
    """An entry's kind in the current language (``engagement`` for ``commitment``)."""
    return _(KIND_SPECS[kind].name) if is_kind(kind) else kind


def is_kind(text: str) -> TypeGuard[Kind]:
    """Whether ``text`` names a kind of entry."""
    return text in KIND_SPECS


def kind_named(text: str) -> Kind | None:
    """The kind ``text`` names: its key (``payment``) or its name in a language of the tool
    (« paiement », « dégagement », « service fait »), case and accents ignored; None otherwise."""
    wanted = normal(text)
    for kind, spec in KIND_SPECS.items():
        if wanted == normal(kind):
            return kind
        for lang in LANGUAGES:
            with using(lang):
                if wanted == normal(_(spec.name)):
                    return kind
    return None
