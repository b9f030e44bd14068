"""Exact money: amounts are integer cents from the parser to the screen.

This module owns every conversion between text and amounts:

* :func:`parse_amount` reads what a person types (``20000``, ``20 000,50``, ``20_000 €``);
* :func:`cents_from_decimal` turns an exact YAML number into cents;
* :func:`format_canonical` / :func:`parse_canonical` write and read the ledger's form
  (``20000.00``), which are exact inverses;
* :func:`format_fr` writes the French human form (``20 000,00 €``, U+202F between groups of
  thousands, U+00A0 before the sign) and :func:`format_percent` a French percentage.

No binary float is ever involved: ``Cents`` is an ``int``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .i18n import N_, _

Cents = int
"""An amount in euro cents (``125_000_00`` is 125 000,00 €)."""

MAX_CENTS: Cents = 10**14 - 1
"""Largest amount accepted anywhere: 999 999 999 999,99 € (larger is certainly a typo)."""

NNBSP = "\u202f"  # narrow no-break space: French thousands separator
NBSP = "\u00a0"  # no-break space: before the euro sign and the percent sign

_GROUP_SEPARATORS = " \u00a0\u202f\u2009_"
_CANONICAL = re.compile(r"(0|[1-9][0-9]{0,13})\.([0-9]{2})")
_HUMAN = re.compile(
    r"""
    (?P<int>[0-9]+(?:[ \u00a0\u202f\u2009_][0-9]{3})*)   # integer part, optional groups
    (?:[.,](?P<frac>[0-9]+))?                            # decimal part, comma or dot
    """,
    re.VERBOSE,
)
_CURRENCY = re.compile(r"\s*(?:€|EUR)\s*$", re.IGNORECASE)


class AmountError(ValueError):
    """The text is not an acceptable amount; the message says why and what is expected."""


EXPECTED = N_("expected a positive amount in euros with at most 2 decimals, such as 20000, 20000.50 or 20 000,50")
"""What an amount should look like (marked for the catalogue: translate it with ``_`` where shown)."""


def parse_amount(text: str, *, allow_zero: bool = False) -> Cents:
    """Read an amount typed by a person and return it in cents.

    Accepts ``20000``, ``20000.5``, ``20 000,50`` (ordinary, no-break, narrow no-break or
    thin spaces between groups of three digits), ``20_000`` and an optional ``€``/``EUR``.
    Refuses zero (unless ``allow_zero``), negatives, more than two decimals, exponents,
    NaN and infinity, and amounts of a trillion euros or more.

    >>> parse_amount("20 000,50 €")
    2000050
    """
    raw = text
    text = _CURRENCY.sub("", text.strip())
    if not text:
        raise AmountError(_("{amount} is not an amount ({expected})").format(amount=repr(raw), expected=_(EXPECTED)))
    if text[0] in "-−":
        raise AmountError(_("{amount} is negative: amounts are positive ({expected})").format(
            amount=repr(raw), expected=_(EXPECTED)))
    if text[0] == "+":
        text = text[1:]
    match = _HUMAN.fullmatch(text)
    if match is None:
        raise AmountError(_("{amount} is not an amount ({expected})").format(amount=repr(raw), expected=_(EXPECTED)))
    frac = match["frac"] or ""
    if len(frac) > 2:
        raise AmountError(_("{amount} has more than 2 decimals ({expected})").format(
            amount=repr(raw), expected=_(EXPECTED)))
    digits = match["int"]
    for sep in _GROUP_SEPARATORS:
        digits = digits.replace(sep, "")
    if len(digits.lstrip("0")) > 12:
        raise AmountError(_("{amount} is too large (at most 999 999 999 999,99 €)").format(amount=repr(raw)))
    cents = int(digits) * 100 + int(frac.ljust(2, "0"))
    if cents == 0 and not allow_zero:
        raise AmountError(_("{amount} is zero ({expected})").format(amount=repr(raw), expected=_(EXPECTED)))
    return cents


def cents_from_decimal(value: Decimal, *, signed: bool = False) -> Cents:
    """Exact conversion of a decimal number of euros into cents.

    Raises :class:`AmountError` for NaN, infinity, more than two decimals, a negative
    value (unless ``signed``) or an absurd size.
    """
    if not value.is_finite():
        raise AmountError(_("{amount} is not a finite amount").format(amount=value))
    try:
        cents_value = value * 100
        if cents_value != cents_value.to_integral_value():
            raise AmountError(_("{amount} has more than 2 decimals").format(amount=value))
        cents = int(cents_value)
    except InvalidOperation as exc:  # pragma: no cover - finite decimals always scale
        raise AmountError(_("{amount} is not an amount").format(amount=value)) from exc
    if cents < 0 and not signed:
        raise AmountError(_("{amount} is negative").format(amount=value))
    if abs(cents) > MAX_CENTS:
        raise AmountError(_("{amount} is too large (at most 999 999 999 999,99 €)").format(amount=value))
    return cents


def format_canonical(cents: Cents) -> str:
    """The ledger's form: ``2000050`` -> ``20000.50`` (no sign, no grouping)."""
    whole, part = divmod(cents, 100)
    return f"{whole}.{part:02d}"


def format_signed(cents: Cents) -> str:
    """The machine form with a sign when negative: ``-1500.00``."""
    return ("-" if cents < 0 else "") + format_canonical(abs(cents))


def parse_canonical(text: str) -> Cents:
    """Inverse of :func:`format_canonical`; anything else raises :class:`AmountError`."""
    if _CANONICAL.fullmatch(text) is None:
        raise AmountError(_("{amount} is not a ledger amount (expected digits, a dot and 2 decimals, like 20000.00)")
                          .format(amount=repr(text)))
    whole, __, part = text.partition(".")
    return int(whole) * 100 + int(part)


def format_fr(cents: Cents, *, symbol: bool = True) -> str:
    """French human form: ``12500000`` -> ``125 000,00 €`` (U+202F, U+00A0)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", NNBSP)
    text = f"{sign}{grouped},{part:02d}"
    return f"{text}{NBSP}€" if symbol else text


def format_percent(numerator: int, denominator: int, *, decimals: int = 1) -> str:
    """French percentage of two integers, rounded half up for display only: ``96,0 %``."""
    if denominator == 0:
        return "–"
    scale = 10**decimals
    value = (Decimal(numerator) * 100 * scale / Decimal(denominator)).to_integral_value(
        rounding="ROUND_HALF_UP"
    )
    whole, part = divmod(int(abs(value)), scale)
    sign = "-" if value < 0 else ""
    body = f"{whole},{part:0{decimals}d}" if decimals else f"{whole}"
    return f"{sign}{body}{NBSP}%"


def ratio_reached(amount: Cents, limit: Cents, percent: Decimal) -> bool:
    """True when ``amount`` is at least ``percent`` % of ``limit`` (exact comparison)."""
    if limit <= 0:
        return amount > 0
    return Decimal(amount) * 100 >= percent * Decimal(limit)
