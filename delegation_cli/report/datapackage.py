"""The open-data package as files: a Frictionless data package of a convention.

This module owns how a :class:`publication.Publication` is written — ``datapackage.json``
(Data Package with a Table Schema per resource: each field's type, title and description in
the package's language, primary and foreign keys, the Licence Ouverte of Etalab) and one CSV
per table (RFC 4180, UTF-8, stable English headers, plain amounts ``125000.00``, ISO dates,
every text cell through :func:`cells.csv_safe`) — and :func:`publish`, ``delegation
publish``'s one call: build, render, write each file atomically into the folder.  The schema
is documented in docs/open-data.md; ``frictionless validate`` finds no error in it
(tests/test_publish.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.dialects import CsvDialect
from ..core.errors import fail
from ..core.i18n import _, format_date, using
from ..core.money import format_signed
from .cells import csv_safe, json_text
from .csv import csv_text
from .publication import RESOURCES, Cell, Field, Publication, Resource, build_publication

if TYPE_CHECKING:
    from ..store.convention import LoadedConvention

DESCRIPTOR = "datapackage.json"
LICENSE = {"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence version 2.0",
           "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"}
"""The licence of the State's open data (décret n° 2017-638, art. D. 323-2-1 du CRPA)."""
TYPES = {"money": "number"}
"""Table Schema types of the kinds that are not one already."""


def cell_text(value: Cell, field: Field) -> str:
    """A cell as the CSV writes it: empty for None, an amount in cents as ``125000.00``, a date
    ISO 8601, a flag ``true``/``false``, text neutralised for a spreadsheet."""
    if value is None:
        return ""
    if field.kind == "money":
        assert isinstance(value, int), f"{field.name} is an amount in cents"
        return format_signed(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return csv_safe(value) if field.kind == "string" else value


def resource_csv(resource: Resource, rows: list[tuple[Cell, ...]]) -> str:
    """A table as CSV: its header, then its rows."""
    header = [f.name for f in resource.fields]
    return csv_text([header, *([cell_text(v, f) for v, f in zip(row, resource.fields, strict=True)]
                               for row in rows)], CsvDialect.RFC4180)


def field_schema(field: Field) -> dict[str, Any]:
    """A field as Table Schema describes it, its title and description translated."""
    schema: dict[str, Any] = {"name": field.name, "type": TYPES.get(field.kind, field.kind),
                              "title": _(field.title), "description": _(field.description)}
    if field.required:
        schema["constraints"] = {"required": True}
    return schema


def table_schema(resource: Resource) -> dict[str, Any]:
    """A resource's Table Schema: its fields, primary key, foreign keys; empty cells are null."""
    schema: dict[str, Any] = {"fields": [field_schema(f) for f in resource.fields], "missingValues": [""],
                              "primaryKey": list(resource.primary_key)}
    if resource.foreign_keys:
        schema["foreignKeys"] = [{"fields": list(fields), "reference": {"resource": table, "fields": list(keys)}}
                                 for fields, table, keys in resource.foreign_keys]
    return schema


def descriptor(pub: Publication) -> dict[str, Any]:
    """``datapackage.json``: the package's metadata and one resource per table."""
    r = pub.report
    conv = r.conv
    return {
        "profile": "tabular-data-package",
        "name": conv.id,
        "title": conv.title,
        "description": _("Budget execution of the convention de délégation de gestion between {delegant} "
                         "(délégant) and {delegataire} (délégataire), as of {date}: the convention, its credits "
                         "per budget year, its teams, the commitments, releases and payments per team and month, "
                         "and the figures of its monthly report. Amounts in euros; no personal data.").format(
            delegant=conv.parties.delegant.name, delegataire=conv.parties.delegataire.name,
            date=format_date(r.as_of)),
        "keywords": [_("délégation de gestion"), _("State budget"), "AE", "CP", conv.imputation.programme],
        "licenses": [LICENSE],
        "contributors": [{"title": conv.parties.delegataire.name, "role": "publisher"}],
        "resources": [{
            "profile": "tabular-data-resource", "name": resource.name, "path": f"{resource.name}.csv",
            "title": _(resource.title), "description": _(resource.description), "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "schema": table_schema(resource),
        } for resource in RESOURCES],
    }


def package_files(pub: Publication) -> dict[str, str]:
    """The package's files by name, in the package's language: the CSVs, then
    ``datapackage.json`` (written last: a reader that finds it finds its tables)."""
    with using(pub.language):
        files = {f"{resource.name}.csv": resource_csv(resource, pub.rows[resource.name]) for resource in RESOURCES}
        files[DESCRIPTOR] = json_text(descriptor(pub))
    return files


@dataclass(frozen=True)
class Published:
    """What :func:`publish` wrote: the folder, its files in order, and the publication."""

    folder: Path
    files: list[Path]
    publication: Publication


def default_folder(convention_id: str) -> Path:
    """Where a package is written without ``--output``: ``open-data/<id>`` in the current folder."""
    return Path("open-data") / convention_id


def publish(loaded: LoadedConvention, folder: Path | None, *, ledger: str | None, month: str | None,
            today: dt.date, lang: str | None = None) -> Published:
    """Build a convention's open-data package and write it into ``folder`` (created if
    missing; default :func:`default_folder`), each file atomically, never over the ledger or
    the convention.  Refused (exit 2) when ``folder`` exists and is not a folder."""
    from ..store.actions import ledger_path_for, write_output

    pub = build_publication(loaded, ledger=ledger, month=month, today=today, lang=lang)
    target = folder if folder is not None else default_folder(pub.report.conv.id)
    if target.exists() and not target.is_dir():
        raise fail(_("is not a folder (expected the folder to write the open-data package in)"),
                   code="bad-argument", path=str(target))
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in package_files(pub).items():
        path = target / name
        write_output(path, text, protected=ledger_path_for(loaded, ledger), convention=loaded.path)
        written.append(path)
    return Published(target, written, pub)
