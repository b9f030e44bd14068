"""The field types of a convention: exact amounts, codes, slugs, percentages.

This module owns how a YAML value becomes a field of :mod:`model`: amounts as exact integer
cents (never through a float; :class:`YamlNumber` keeps a number's source text), the Chorus
codes and slugs checked against their formats with an example in the message, percentages in
(0, 100].  No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from .i18n import N_, _
from .money import AmountError, Cents, cents_from_decimal
from .scalars import YamlNumber


def _to_cents(value: Any, *, signed: bool) -> Cents:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(_("expected an exact amount in euros (written as digits, not a float)"))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", text) is None:
            if isinstance(value, YamlNumber):
                raise ValueError(
                    _("{amount} is not a plain amount (expected digits with at most 2 decimals, "
                      "without exponent, NaN or infinity)").format(amount=value)
                )
            from .money import parse_amount  # human text such as "125 000,00 €"

            try:
                return parse_amount(value, allow_zero=True)
            except AmountError as exc:
                raise ValueError(str(exc)) from None
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only decimals
            raise ValueError(_("{amount} is not an amount").format(amount=value)) from None
    else:
        raise ValueError(_("expected an amount in euros, such as 125000 or 125000.50"))
    try:
        return cents_from_decimal(number, signed=signed)
    except AmountError as exc:
        if signed:
            message = _("{error} (expected a signed amount in euros with at most 2 decimals)")
        else:
            message = _("{error} (expected an amount ≥ 0 in euros with at most 2 decimals)")
        raise ValueError(message.format(error=exc)) from None


Amount = Annotated[Cents, BeforeValidator(lambda v: _to_cents(v, signed=False))]
"""A non-negative amount in euros in YAML, held as integer cents."""


def _pattern(pattern: str, example: str) -> Callable[[str], str]:
    """A check of ``pattern``; ``example`` (marked with ``N_``) says what is expected."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if regex.fullmatch(value) is None:
            raise ValueError(_("{value} is not well formed (expected {example})").format(
                value=repr(value), example=_(example)))
        return value

    return check


def _as_text(value: Any) -> Any:
    """A YAML integer written for a code (``217``) is taken as its text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Slug = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"[a-z0-9]+(?:-[a-z0-9]+)*",
    N_("a slug of lowercase letters, digits and dashes, such as friches")))]
Programme = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{3,4}", N_("a programme number of 3 digits, such as 217")))]
Code4 = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"[A-Z0-9]{4}", N_("a code of 4 capital letters or digits, such as FACS")))]
CentreFinancier = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", N_("NNNN-XXXX-XXXX, such as 0217-FACS-ELAB")))]
DomaineFonctionnel = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{4}-\d{2}(?:-\d{2})?", N_("NNNN-NN or NNNN-NN-NN, such as 0217-04-03")))]
Activite = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{12}", N_("12 digits, such as 021701010163")))]
CentreDeCout = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"[A-Z0-9]{1,10}", N_("1 to 10 capital letters or digits, such as DININCUB75")))]
MonthDay = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", N_("a month and day as MM-DD, such as 11-30")))]


def _percent(value: Decimal) -> Decimal:
    if not value.is_finite() or not Decimal(0) < value <= Decimal(100):
        raise ValueError(_("{value} is not a percentage (expected a number above 0 and at most 100)").format(
            value=value))
    return value


Percent = Annotated[Decimal, AfterValidator(_percent)]
