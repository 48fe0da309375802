"""Spreadsheets we hand out (CSV and XLSX): every cell shown as text, never run as a formula;
and the one answer to a CSV upload the csv module cannot read.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel and
WPS (CSV/formula injection: `=HYPERLINK(...)` in a name cell leaks a sheet or runs a command).
Every download that writes a spreadsheet goes through here; tests/grid/test_export_privacy.py
checks that each module writing one imports this.
"""

import csv
import io

from app.errors import ValidationFailed

# Python's csv module refuses a field longer than this (its default limit, a process-wide
# setting we leave alone): no cell of ours comes near it, so such a file is refused.
CSV_FIELD_LIMIT = csv.field_size_limit()
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Written before such a cell: spreadsheets then show the text as it is.
TEXT_PREFIX = "'"


def safe_cell(value):
    """Return a cell value a spreadsheet shows as text: a quote before a formula's first character."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return TEXT_PREFIX + value
    return value


def safe_row(values) -> list:
    """Return a row with every cell made safe."""
    return [safe_cell(value) for value in values]


def csv_bytes(rows) -> bytes:
    """Return rows as UTF-8 CSV with a BOM (so Excel reads Chinese text), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(safe_row(row))
    return ("\ufeff" + buffer.getvalue()).encode()


def xlsx_append(sheet, values) -> None:
    """Append a row to an openpyxl worksheet with every cell made safe (openpyxl runs `=…` as a formula)."""
    sheet.append(safe_row(values))


def csv_error(exc: csv.Error, line: int) -> ValidationFailed:
    """Return the 422 for a CSV upload the csv module gave up on at `line` (a huge cell, a stray NUL)."""
    if "field larger than field limit" in str(exc):
        return ValidationFailed(
            "file",
            f"Line {line}: a cell is longer than {CSV_FIELD_LIMIT:,} characters.",
            code="cell_too_long",
        )
    return ValidationFailed("file", f"Line {line} cannot be read as CSV ({exc}).", code="file_unreadable")
