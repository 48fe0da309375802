"""Writing an export's file: Excel (.xlsx) or CSV, row by row straight to disk.

Neither writer holds the rows: a row is turned into cells, written and dropped, so a 100,000-row
export costs the memory of one row plus a buffer of BUFFER_ROWS. Every cell goes through
app.common.spreadsheets, so a value starting with "=" is shown as text, never run as a formula.

The .xlsx file is written here as SpreadsheetML streamed into its zip (one sheet, strings
inline, no shared-strings table), not with openpyxl: openpyxl's write-only workbook keeps memory
as flat but spends ~1.4 s per 10,000 rows of 12 columns building a cell object per value, which
alone ate most of the 20 s a 100,000-row export may take; this writer takes ~0.2 s. openpyxl
reads the files back in the tests.

The file opens with a title block (what, where, which filters, when, who, how many rows), a
blank line, then the Chinese headers (bold, frozen in Excel) and the rows.
"""

import csv
import enum
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from app.common.clock import zone
from app.common.files import FileType
from app.common.spreadsheets import safe_row

XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
CSV = FileType("csv", "text/csv")
FORMATS = {XLSX.ext: XLSX, CSV.ext: CSV}
# How often (in rows) a writer reports how far it got.
PROGRESS_EVERY = 2000
# Excel's limits on a sheet's name: 31 characters, none of these.
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
# Column widths in characters: a Chinese character is about two.
_MIN_WIDTH, _MAX_WIDTH = 10, 40
# Rows joined into one write to the zip.
BUFFER_ROWS = 500
# Characters XML 1.0 cannot hold (Excel would refuse the file): dropped from a cell.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Integers past this lose digits as an Excel number: they are written as text.
_EXACT_INT = 10**15


@dataclass(frozen=True)
class TitleBlock:
    """What the first rows of a file say about it."""

    title: str
    place: str
    filters: str
    exported_at: str
    exported_by: str
    rows: int

    def lines(self) -> list[list[str]]:
        """Return the title block as rows of one cell, then an empty row."""
        return [
            [self.title],
            [f"地区：{self.place}"],
            [f"筛选条件：{self.filters}"],
            [f"导出时间：{self.exported_at}"],
            [f"导出人：{self.exported_by}"],
            [f"行数：{self.rows}"],
            [],
        ]


def cell_value(value):
    """Return a value as a spreadsheet cell: text, a number, or empty (never a Python object)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, enum.Enum):
        return cell_value(value.value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        # Stored moments are naive UTC; the file shows the city's clock.
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(str(cell_value(item)) for item in value if item is not None)
    if isinstance(value, dict):
        # A place {kind, code, name} reads as its name; anything else as compact JSON.
        if "name" in value:
            return cell_value(value["name"])
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def sheet_name(title: str) -> str:
    """Return a title as a valid Excel sheet name."""
    return _SHEET_NAME_BAD.sub("_", title).strip("'")[:31] or "导出"


def _cells(values: Sequence) -> list:
    """Return a row's values as safe cells."""
    return safe_row(cell_value(value) for value in values)


def _counted(rows: Iterable[Sequence], on_progress: Callable[[int], None] | None) -> Iterable[list]:
    """Yield rows as safe cells, reporting every PROGRESS_EVERY rows to `on_progress`."""
    for written, values in enumerate(rows, start=1):
        yield _cells(values)
        if on_progress is not None and written % PROGRESS_EVERY == 0:
            on_progress(written)


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
)
# Style 0: plain; style 1: bold (the title and the headers).
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _column_letters(count: int) -> list[str]:
    """Return the column letters A, B, … of `count` columns."""
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _xml_text(value: str) -> str:
    """Return text escaped for XML, without the characters XML cannot hold."""
    return escape(_NOT_XML.sub("", value))


def _is_number(value) -> bool:
    """Tell whether a cell is written as an Excel number (finite, and exact in a double)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and abs(value) < _EXACT_INT


def _xml_row(number: int, cells: Sequence, letters: list[str], style: str = "") -> str:
    """Return one <row> of SpreadsheetML: numbers as numbers, everything else as inline text."""
    parts = [f'<row r="{number}">']
    for letter, value in zip(letters, cells, strict=False):
        if value is None or value == "":
            continue
        ref = f'r="{letter}{number}"{style}'
        if _is_number(value):
            parts.append(f"<c {ref}><v>{value!r}</v></c>")
        else:
            text = _xml_text(str(value))
            parts.append(f'<c {ref} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
    parts.append("</row>")
    return "".join(parts)


def column_width(header) -> int:
    """Return a column's width in characters from its header (a Chinese character is about two)."""
    return min(max(_MIN_WIDTH, 2 * len(str(header)) + 2), _MAX_WIDTH)


def _sheet_start(headers: Sequence[str], header_row: int) -> str:
    """Return the sheet's XML up to its first row: the frozen header and the column widths."""
    widths = "".join(
        f'<col min="{index}" max="{index}" width="{column_width(header)}" customWidth="1"/>'
        for index, header in enumerate(headers, start=1)
    )
    return (
        _HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheetViews><sheetView workbookViewId="0">'
        f'<pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" '
        'activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>" + (f"<cols>{widths}</cols>" if widths else "") + "<sheetData>"
    )


def write_xlsx(
    path: Path | io.BytesIO,
    block: TitleBlock,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write a one-sheet workbook to `path`, streaming the rows into it; return the data rows written."""
    lines = block.lines()
    header_row = len(lines) + 1
    letters = _column_letters(max(len(headers), 1))
    workbook = (
        _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name={quoteattr(sheet_name(block.title))} sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    written = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _PACKAGE_RELS)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            head = [_sheet_start(headers, header_row)]
            for number, line in enumerate(lines, start=1):
                head.append(_xml_row(number, safe_row(line), letters, ' s="1"' if number == 1 else ""))
            head.append(_xml_row(header_row, _cells(headers), letters, ' s="1"'))
            sheet.write("".join(head).encode())
            buffer = []
            for written, cells in enumerate(_counted(rows, on_progress), start=1):
                buffer.append(_xml_row(header_row + written, cells, letters))
                if len(buffer) >= BUFFER_ROWS:
                    sheet.write("".join(buffer).encode())
                    buffer.clear()
            buffer.append("</sheetData></worksheet>")
            sheet.write("".join(buffer).encode())
    return written


def xlsx_sheet(title: str, place: str, filters: str, exported_by: str, headers: Sequence[str], rows) -> bytes:
    """Return a small one-sheet workbook, made in memory for one download, under its title block.

    For files built on request (a roster, a report, the funding calculator): a list export of
    any size goes through exports/jobs.py and a file on disk instead.
    """
    rows = list(rows)
    block = TitleBlock(
        title=title,
        place=place,
        filters=filters,
        exported_at=datetime.now(zone()).strftime("%Y-%m-%d %H:%M"),
        exported_by=exported_by,
        rows=len(rows),
    )
    buffer = io.BytesIO()
    write_xlsx(buffer, block, headers, rows)
    return buffer.getvalue()


def write_csv(
    path: Path,
    block: TitleBlock,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write UTF-8 CSV with a BOM (Excel then reads Chinese) to `path`; return the data rows written."""
    written = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        for line in block.lines():
            writer.writerow(safe_row(line))
        writer.writerow(_cells(headers))
        for cells in _counted(rows, on_progress):
            writer.writerow(cells)
            written += 1
    return written


WRITERS = {XLSX.ext: write_xlsx, CSV.ext: write_csv}


def write(
    fmt: str,
    path: Path,
    block: TitleBlock,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write an export file in `fmt` ("xlsx" or "csv"); return how many data rows it holds."""
    return WRITERS[fmt](path, block, headers, rows, on_progress)
