"""The ``.ods`` workbook (OpenDocument spreadsheet), written a row at a time.

This module owns the file: ``mimetype`` first and stored, the manifest, the settings that
freeze each sheet's header row, the styles, and ``content.xml`` with a table per
:class:`sheets.Sheet`, its rows encoded and compressed in batches as they are written, so that
a sheet of a million rows is never held whole as cells, as XML or as a document tree.  Amounts
are ``currency`` cells in euros (``office:value`` the exact decimal text from cents, shown
``1 234,56 €``), dates ``date`` cells shown ``dd/mm/yyyy``, rates ``percentage`` cells, counts
``float`` cells, the rest ``string`` cells; each column has the width
:meth:`sheets.Sheet.widths` gives.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from typing import IO

from ..core.money import NBSP, NNBSP
from .formats import in_batches
from .sheets import Sheet, xml_text

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
       'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
       'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" office:version="1.2"')
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_EURO = (f'<number:number number:decimal-places="2" number:min-integer-digits="1" number:grouping="true"/>'
         f'<number:text>{NBSP}</number:text>'
         '<number:currency-symbol number:language="fr" number:country="FR">€</number:currency-symbol>')
_DATA_STYLES = (
    f'<number:currency-style style:name="euro-positive" style:volatile="true">{_EURO}</number:currency-style>'
    f'<number:currency-style style:name="euro"><number:text>-</number:text>{_EURO}'
    '<style:map style:condition="value()&gt;=0" style:apply-style-name="euro-positive"/></number:currency-style>'
    '<number:date-style style:name="date"><number:day number:style="long"/><number:text>/</number:text>'
    '<number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/>'
    '</number:date-style>'
    '<number:percentage-style style:name="percent"><number:number number:decimal-places="1" '
    f'number:min-integer-digits="1"/><number:text>{NBSP}%</number:text></number:percentage-style>'
    '<style:style style:name="cell-money" style:family="table-cell" style:data-style-name="euro"/>'
    '<style:style style:name="cell-date" style:family="table-cell" style:data-style-name="date"/>'
    '<style:style style:name="cell-percent" style:family="table-cell" style:data-style-name="percent"/>'
    '<style:style style:name="cell-header" style:family="table-cell">'
    '<style:table-cell-properties fo:background-color="#eeeeee"/><style:text-properties fo:font-weight="bold"/>'
    '</style:style>')


def _shown_amount(value: str) -> str:
    """``-1234.56`` as a French reader sees it: ``-1 234,56 €``."""
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    whole, part = digits.split(".")
    return f"{sign}{int(whole):,}".replace(",", NNBSP) + f",{part}{NBSP}€"


_RUN = re.compile("^ +| {2,}| $")


def _spaces(count: int) -> str:
    return f'<text:s text:c="{count}"/>' if count > 1 else "<text:s/>"


def _space_run(match: re.Match[str]) -> str:
    """A run of spaces a reader would collapse: one space and the others as ``<text:s/>``; at
    the start of the text (where a reader drops spaces) or a lone one at its end, all of them."""
    count = len(match.group())
    if match.start() == 0 or count == 1:
        return _spaces(count)
    return " " + _spaces(count - 1)


def _paragraph(text: str) -> str:
    """A cell's text as ``<text:p>`` content: XML-escaped, its runs of spaces and its edge spaces
    written as ``<text:s/>`` (a reader collapses plain ones)."""
    text = xml_text(text)
    return text if "  " not in text and not text.startswith(" ") and not text.endswith(" ") else _RUN.sub(
        _space_run, text)


def _string(text: str, style: str = "") -> str:
    return f'<table:table-cell office:value-type="string"{style}><text:p>{_paragraph(text)}</text:p></table:table-cell>'


def _rows(sheet: Sheet) -> Iterator[str]:
    """The table's rows: the header (a header row), the rows, the notes under them."""
    yield ("<table:table-header-rows><table:table-row>"
           + "".join(_string(title, ' table:style-name="cell-header"') for title in sheet.header)
           + "</table:table-row></table:table-header-rows>")
    for cells in sheet.typed_rows():
        parts = ["<table:table-row>"]
        for cell in cells:
            if cell is None:
                parts.append("<table:table-cell/>")
                continue
            kind, value = cell
            if isinstance(value, dt.date):
                parts.append(f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}" '
                             f'table:style-name="cell-date"><text:p>{value.day:02d}/{value.month:02d}/'
                             f"{value.year:04d}</text:p></table:table-cell>")
            elif kind == "text":
                parts.append(f'<table:table-cell office:value-type="string"><text:p>{_paragraph(value)}'
                             "</text:p></table:table-cell>")
            elif kind == "money":
                parts.append(f'<table:table-cell office:value-type="currency" office:currency="EUR" '
                             f'office:value="{value}" table:style-name="cell-money"><text:p>'
                             f"{_shown_amount(value)}</text:p></table:table-cell>")
            elif kind == "percent":
                parts.append(f'<table:table-cell office:value-type="percentage" office:value="{value}" '
                             f'table:style-name="cell-percent"><text:p>{value}</text:p></table:table-cell>')
            else:
                parts.append(f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}'
                             "</text:p></table:table-cell>")
        parts.append("</table:table-row>")
        yield "".join(parts)
    for note in sheet.notes:
        yield f"<table:table-row>{_string(note)}</table:table-row>"


def _content(part: IO[bytes], sheets: Sequence[Sheet]) -> None:
    widths = [sheet.widths() for sheet in sheets]
    columns = "".join(f'<style:style style:name="col-{index}-{column}" style:family="table-column">'
                      f'<style:table-column-properties style:column-width="{width * 0.21:.2f}cm"/></style:style>'
                      for index, sheet_widths in enumerate(widths) for column, width in enumerate(sheet_widths))
    part.write(f"{_HEAD}<office:document-content {_NS}><office:automatic-styles>{_DATA_STYLES}{columns}"
               "</office:automatic-styles><office:body><office:spreadsheet>".encode())
    for index, sheet in enumerate(sheets):
        part.write((f'<table:table table:name="{xml_text(sheet.name)}">'
                    + "".join(f'<table:table-column table:style-name="col-{index}-{column}"/>'
                              for column in range(len(widths[index])))).encode("utf-8"))
        for rows in in_batches(_rows(sheet)):
            part.write(rows.encode("utf-8"))
        part.write(b"</table:table>")
    part.write(b"</office:spreadsheet></office:body></office:document-content>")


def _settings(sheets: Sequence[Sheet]) -> str:
    """Each sheet's first row frozen: the view settings a spreadsheet application reads."""
    items = (("VerticalSplitMode", "short", "2"), ("VerticalSplitPosition", "int", "1"),
             ("ActiveSplitRange", "short", "2"), ("PositionTop", "int", "0"), ("PositionBottom", "int", "1"))
    tables = "".join(
        f'<config:config-item-map-entry config:name="{xml_text(sheet.name)}">'
        + "".join(f'<config:config-item config:name="{key}" config:type="{kind}">{value}</config:config-item>'
                  for key, kind, value in items)
        + "</config:config-item-map-entry>" for sheet in sheets)
    return (f'{_HEAD}<office:document-settings {_NS}><office:settings>'
            '<config:config-item-set config:name="ooo:view-settings"><config:config-item-map-indexed '
            'config:name="Views"><config:config-item-map-entry><config:config-item config:name="ViewId" '
            'config:type="string">view1</config:config-item><config:config-item-map-named config:name="Tables">'
            f'{tables}</config:config-item-map-named></config:config-item-map-entry>'
            '</config:config-item-map-indexed></config:config-item-set></office:settings></office:document-settings>')


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The ``.ods`` file of ``sheets``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", (
            f'{_HEAD}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            f'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
            f'manifest:media-type="{MIMETYPE}"/>'
            + "".join(f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
                      for name in ("content.xml", "styles.xml", "settings.xml"))
            + "</manifest:manifest>"))
        archive.writestr("styles.xml", f"{_HEAD}<office:document-styles {_NS}/>")
        archive.writestr("settings.xml", _settings(sheets))
        with archive.open("content.xml", "w", force_zip64=True) as part:
            _content(part, sheets)
    return out.getvalue()
