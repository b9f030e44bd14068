"""pydantic's validation errors on a convention, as problems located in its YAML file.

This module owns how a schema error reads: ``FILE:LINE:COL: error: FIELD: PROBLEM``, the
field dotted (``budget.schedule.0.cp``), the line and column those of the value (of the key
for an unknown field, with the fields allowed there), the message in the user's language —
pydantic writes English only: its messages for the error types a convention can meet are in
the catalogue (:data:`_PYDANTIC_MESSAGES`), word for word — and a date's problem with the
form expected (:data:`DATE_EXPECTED`).  The code is ``schema-`` and pydantic's type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.errors import Problem, Severity
from ..core.i18n import N_, _, ngettext, using
from ..core.model import Convention
from .yaml_plain import locate

if TYPE_CHECKING:
    from pydantic import ValidationError

    from ..core.convention_rules import Loc


DATE_EXPECTED = N_("expected a date YYYY-MM-DD, such as 2019-12-09")
"""What a date field should look like (translate it with ``_`` where shown)."""

_DATE_REASONS = (
    N_("day value is outside expected range"),
    N_("month value is outside expected range of 1-12"),
)
"""pydantic's reasons for a well-formed date that does not exist, for the catalogue."""


def _date_problem(err: Any) -> str:
    """What is wrong with a date field, and the form expected: ``'14/03/2023' is not a date
    (expected a date YYYY-MM-DD, such as 2019-12-09)``; a well-formed date that does not exist
    (``2019-02-30``) says which part is out of range."""
    value = err.get("input")
    got = repr(str(value)) if isinstance(value, str | int) and len(str(value)) < 60 else _("the value")
    reason = str((err.get("ctx") or {}).get("error", ""))
    if "outside expected range" in reason:
        return _("{value} is not a calendar date: {reason} ({expected})").format(
            value=got, reason=_(reason), expected=_(DATE_EXPECTED))
    return _("{value} is not a date ({expected})").format(value=got, expected=_(DATE_EXPECTED))


_PYDANTIC_MESSAGES = {
    "string_type": N_("Input should be a valid string"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "decimal_type": N_("Decimal input should be an integer, float, string or Decimal object"),
    "decimal_parsing": N_("Input should be a valid decimal"),
    "finite_number": N_("Input should be a finite number"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "literal_error": N_("Input should be {expected}"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_("Input should be a valid dictionary or object to extract fields from"),
    "dict_type": N_("Input should be a valid dictionary"),
    "tuple_type": N_("Input should be a valid tuple"),
    "list_type": N_("Input should be a valid list"),
    "iterable_type": N_("Input should be iterable"),
    "none_required": N_("Input should be None"),
}
"""pydantic's own messages for the error types a convention can meet, for the catalogue
(pydantic writes English only): the English is pydantic's, word for word."""


def _pydantic_message(err: Any) -> str:
    """pydantic's message for ``err`` in the current language; pydantic's own English when the
    type is not in :data:`_PYDANTIC_MESSAGES` (or the sizes), or when pydantic words it
    otherwise than the catalogue's English."""
    kind, english = err["type"], err["msg"]
    ctx = dict(err.get("ctx") or {})
    if kind in ("too_short", "too_long"):
        size = ctx.get("min_length" if kind == "too_short" else "max_length")
        if not isinstance(size, int):
            return str(english)
        ctx["size"] = size
        try:
            with using("en"):
                same = _sized_template(kind, size).format(**ctx) == english
            return _sized_template(kind, size).format(**ctx) if same else str(english)
        except (KeyError, IndexError, ValueError):
            return str(english)
    template = _PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return str(english)
    try:
        if template.format(**ctx) != english:
            return str(english)
        if kind == "literal_error":
            ctx["expected"] = _alternatives(str(ctx.get("expected", "")))
        return _(template).format(**ctx)
    except (KeyError, IndexError, ValueError):
        return str(english)


def _sized_template(kind: str, size: int) -> str:
    """pydantic's ``too_short`` or ``too_long`` message for a tuple (the only sized fields of a
    convention), in the current language."""
    if kind == "too_short":
        return ngettext("Tuple should have at least {size} item after validation, not {actual_length}",
                        "Tuple should have at least {size} items after validation, not {actual_length}", size)
    return ngettext("Tuple should have at most {size} item after validation, not {actual_length}",
                    "Tuple should have at most {size} items after validation, not {actual_length}", size)


def _alternatives(expected: str) -> str:
    """pydantic's list of the values allowed (``'signature' or 'start'``), its last ``or``
    in the current language."""
    head, sep, last = expected.rpartition("' or '")
    if not sep:
        return expected
    return _("{choices} or {last}").format(choices=head + "'", last="'" + last)


def schema_problems(exc: ValidationError, root: Any, shown: str) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        kind = err["type"]
        dotted = ".".join(str(p) for p in loc)
        if kind == "extra_forbidden":
            allowed = _field_names(loc)
            hint = _(" (expected one of: {fields})").format(fields=", ".join(allowed)) if allowed else ""
            message = _("unknown field {field}{hint}").format(field=repr(dotted), hint=hint)
            line, col = locate(root, loc, on_key=True)
        elif kind == "missing":
            message = _("missing field {field}").format(field=repr(dotted))
            line, col = locate(root, loc)
        elif kind.startswith(("date_", "datetime_")):
            message = _("{field}: {problem}").format(field=dotted, problem=_date_problem(err))
            line, col = locate(root, loc)
        else:
            msg = err["msg"].removeprefix("Value error, ") if kind == "value_error" else _pydantic_message(err)
            value = err.get("input")
            shown_value = _(" (got {value})").format(value=repr(value)) \
                if isinstance(value, str | int) and len(repr(value)) < 60 and kind not in ("value_error",) else ""
            message = _("{field}: {problem}{got}").format(field=dotted, problem=msg, got=shown_value)
            line, col = locate(root, loc)
        problems.append(Problem(shown, line, col, Severity.ERROR, f"schema-{kind}".replace("_", "-"),
                                message))
    return problems


def _field_names(loc: Loc) -> list[str] | None:
    """The fields allowed at the mapping that ``loc`` points into (for unknown keys)."""
    from typing import get_args, get_origin

    from pydantic import BaseModel

    model: Any = Convention
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        ann = info.annotation
        while get_origin(ann) is not None:
            args = [a for a in get_args(ann) if a is not type(None) and a is not Ellipsis]
            if not args:
                break
            ann = args[0]
        model = ann
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return None
