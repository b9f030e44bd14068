"""The entry model: one immutable value per ledger line, and the vocabulary around it.

This module owns what an entry *is*, independently of how it is written or checked:

* :class:`Entry`, a named tuple carrying the line it was read from;
* the kinds of entries and the id scheme (``c-3f9a1b2c``), the token grammar of ids, teams,
  references and authors, and the label length limit;
* strict date and month helpers (``YYYY-MM-DD``, ``YYYY-MM``, last day of a month) and the
  recording stamp (``YYYY-MM-DDTHH:MM:SSZ``).

It imports nothing from the package but money formatting and :mod:`i18n`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple, Protocol

from .i18n import N_, _
from .kinds import AMOUNT_KINDS, ID_PREFIX, Kind
from .money import Cents, format_canonical

MAX_LABEL = 2_000
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:+-]{0,63}")
TOKEN_EXPECTED = N_("1 to 64 letters, digits or . _ / : + -, starting with a letter or digit")
"""What an id, a team, a reference or an author should look like (translate it with ``_`` where shown)."""
TARGET_KEY = {"cancel": "entry", "service-fait": "payment"}
"""The key under which an entry that mends another names it, in the ledger and in JSON."""
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class Entry(NamedTuple):
    """One line of the ledger: an immutable value (a named tuple, as beancount's directives:
    building one costs a microsecond, which matters at a million entries).

    Attributes:
        date: the date of the operation (the budget year is its year).
        kind: commitment, payment, release, forecast, note, cancel, service-fait or seal.
        id: unique id (``c-3f9a1b2c``); payments and releases name their commitment by it.
        team: the team charged.
        amount: in cents (0 for a note).
        ref: commitment: bon de commande / EJ number; payment: demande de paiement number.
        marche: commitment: the marché ordered on.
        prestation: commitment: the prestation kind (annexe 3).
        commitment: payment and release: the id of the commitment.
        service_fait: payment: the date the service was certified.
        month: forecast: the month planned (``YYYY-MM``).
        forecast_type: forecast: ``ae`` (an order) or ``cp`` (a payment).
        recorded_at: when the entry was recorded (UTC, ``YYYY-MM-DDTHH:MM:SSZ``).
        author: who recorded it.
        label: free text (the note's text for a note).
        sha256: seal: the hash chaining the entries it covers to the previous seal.
        prev: seal: the previous seal's hash (64 zeros for the first seal).
        digests: seal: a short digest of each entry it covers, in file order.
        target: cancel: the id of the entry it cancels (``entry=``); service fait: the id of
            the payment it gives its service-fait date (``payment=``).
        ej: commitment: its Chorus *engagement juridique* number (``ej=``), distinct from the
            bon de commande.
        line: the line it was read from (0 for an entry not yet written).
    """

    date: dt.date
    kind: Kind
    id: str
    team: str
    amount: Cents = 0
    ref: str | None = None
    marche: str | None = None
    prestation: str | None = None
    commitment: str | None = None
    service_fait: dt.date | None = None
    month: str | None = None
    forecast_type: str | None = None
    recorded_at: str | None = None
    author: str | None = None
    label: str = ""
    sha256: str | None = None
    prev: str | None = None
    digests: tuple[str, ...] = ()
    target: str | None = None
    ej: str | None = None
    line: int = 0

    @property
    def year(self) -> int:
        return self.date.year

    def as_json(self) -> dict[str, object]:
        """The entry as a JSON-ready mapping (amounts as ``"20000.00"`` strings)."""
        out: dict[str, object] = {
            "id": self.id,
            "date": self.date.isoformat(),
            "kind": self.kind,
            "team": self.team,
        }
        if self.kind in AMOUNT_KINDS:
            out["amount"] = format_canonical(self.amount)
        for key, value in (
            ("ref", self.ref), ("ej", self.ej), ("marche", self.marche), ("prestation", self.prestation),
            ("commitment", self.commitment),
            ("service_fait", self.service_fait.isoformat() if self.service_fait else None),
            ("month", self.month), ("type", self.forecast_type),
            ("recorded_at", self.recorded_at), ("author", self.author),
            ("sha256", self.sha256), ("prev", self.prev), (TARGET_KEY.get(self.kind, "target"), self.target),
        ):
            if value is not None:
                out[key] = value
        out["label"] = self.label
        if self.kind == "seal":
            out["entries"] = len(self.digests)
        if self.line:
            out["line"] = self.line
        return out


class Named(Protocol):
    """Anything with an id and a reference: an entry, a commitment's state."""

    @property
    def id(self) -> str: ...

    @property
    def ref(self) -> str | None: ...


def entry_name(entry: Named) -> str:
    """``c-3f9a1b2c (BC-1)``: an entry's id with its reference."""
    return f"{entry.id} ({entry.ref})" if entry.ref else entry.id


def chorus_name(kind: str, ident: str, ref: str | None, ej: str | None = None) -> str:
    """An entry as a document for people names it — by its numbers in Chorus, not its internal
    id: a commitment by its EJ (``EJ 1300012001``), else its bon de commande (``BC-1``); a
    payment by its demande de paiement (``DP 100195001``); anything else by its id."""
    if kind == "commitment" and (ej or ref):
        return f"EJ {ej}" if ej else f"{ref}"
    if kind == "payment" and ref:
        return f"DP {ref}"
    return ident


_date_cache: dict[str, dt.date] = {}


def parse_date(text: str) -> dt.date:
    """Strict ``YYYY-MM-DD`` (``2020-02-30``, ``20-01-01`` and ``20200101`` are refused)."""
    cached = _date_cache.get(text)
    if cached is not None:
        return cached
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not (
        text[:4].isdigit() and text[5:7].isdigit() and text[8:].isdigit() and text.isascii()
    ):
        raise ValueError(_("{date} is not a date (expected YYYY-MM-DD, such as 2020-02-01)").format(date=repr(text)))
    try:
        value = dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        raise ValueError(_("{date} is not a calendar date (expected YYYY-MM-DD)").format(date=repr(text))) from None
    if len(_date_cache) < 100_000:
        _date_cache[text] = value
    return value


def parse_month(text: str) -> str:
    """Strict ``YYYY-MM``, year 0001 to 9999 (``0000-01`` has no calendar)."""
    if _MONTH.fullmatch(text) is None or text.startswith("0000"):
        raise ValueError(_("{month} is not a month (expected YYYY-MM, such as 2020-03)").format(month=repr(text)))
    return text


def month_end(month: str) -> dt.date:
    """The last day of a ``YYYY-MM`` month (``9999-12`` included)."""
    year, mon = int(month[:4]), int(month[5:7])
    if mon == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, mon + 1, 1) - dt.timedelta(days=1)


def new_id(kind: str, taken: set[str]) -> str:
    """A fresh random id for an entry of ``kind`` (``c-3f9a1b2c``), unique in ``taken``."""
    import secrets  # here: only the commands that write draw an id

    while True:
        ident = f"{ID_PREFIX[kind]}-{secrets.token_hex(4)}"
        if ident not in taken:
            return ident


def now_stamp(now: dt.datetime) -> str:
    """The recording stamp of an entry: UTC, to the second (``2020-02-01T09:30:00Z``)."""
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")



class Stamp(NamedTuple):
    """When and by whom entries are recorded (``at=`` and ``by=`` on their line)."""

    at: str
    by: str

    @classmethod
    def now(cls, author: str, now: dt.datetime | None = None) -> Stamp:
        """The stamp of entries recorded now by ``author``."""
        return cls(now_stamp(now or dt.datetime.now(dt.UTC)), author)
