"""The CSV dialects a document may be written in: the one definition the command line's
``--csv-dialect`` choices and the CSV renderings share (a name list, nothing to import but
:mod:`enum`, so that ``--help`` reads it without loading any rendering)."""

from __future__ import annotations

import enum


class CsvDialect(enum.StrEnum):
    """``rfc4180``: comma-separated, decimal point.  ``excel-fr``: what a French spreadsheet
    opens directly: semicolon-separated, decimal comma, with a UTF-8 byte-order mark."""

    RFC4180 = "rfc4180"
    EXCEL_FR = "excel-fr"
