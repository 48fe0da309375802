"""The community ledger file (台账): its columns and the headings, statuses and groups as ledgers write
them; reading a CSV (UTF-8 or GB 18030) or XLSX upload into rows, and the template to fill in.

The template's example row is nobody: its ID number's check character is wrong on purpose, so an
import refuses the row (`template_example_row`) if someone uploads the template unedited.
"""

import csv
import io
import itertools

from app.common.spreadsheets import csv_bytes, csv_error, xlsx_append
from app.errors import ValidationFailed
from app.models import EmploymentStatus, KeyGroup

COLUMNS = (
    "household_key",
    "name",
    "id_number",
    "phone",
    "address",
    "community_code",
    "employment_status",
    "key_groups",
    "is_head",
)
REQUIRED = ("household_key", "name", "id_number", "community_code")
# Column headings as community ledgers write them, mapped to ours.
HEADER_ALIASES = {
    "户编号": "household_key",
    "户号": "household_key",
    "姓名": "name",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "手机号": "phone",
    "联系电话": "phone",
    "地址": "address",
    "住址": "address",
    "社区代码": "community_code",
    "就业状态": "employment_status",
    "重点群体": "key_groups",
    "户主": "is_head",
    "纬度": "lat",
    "经度": "lng",
}
STATUS_ALIASES = {
    "就业": "employed",
    "灵活就业": "flexible",
    "登记失业": "unemployed_registered",
    "未就业": "unemployed",
    "失业": "unemployed",
    "在校学生": "student",
    "学生": "student",
    "退休": "retired",
    "非劳动力": "not_in_labour_force",
}
# Every group by its Chinese name, but long-term unemployment: worked out daily, never imported.
KEY_GROUP_ALIASES = {g.label: g.value for g in KeyGroup if g != KeyGroup.long_term_unemployed}
YES = {"1", "true", "yes", "y", "是", "户主"}
NO = {"", "0", "false", "no", "n", "否"}
XLSX_MAGIC = b"PK\x03\x04"
# The example row: no real person's ID number or phone (the check character should be 1, and
# the phone has no digits), and marked 示例 so nobody takes it for a ledger record.
TEMPLATE_EXAMPLE_ID_NUMBER = "341002199001010000"
TEMPLATE_EXAMPLE = {
    "household_key": "示例-001",
    "name": "示例（导入时拒绝此行）",
    "id_number": TEMPLATE_EXAMPLE_ID_NUMBER,
    "phone": "1390000XXXX",
    "address": "示例：屯溪区昱中街道某某路1号",
    "community_code": "341002002001",
    "employment_status": "employed",
    "key_groups": "college_graduate;migrant_worker",
    "is_head": "是",
}


TEMPLATE_NOTE = (
    "第2行是示例，不是真实居民：身份证号校验位故意写错，导入时会拒绝此行。请删除示例行后填写。"
    " Row 2 is an example, not a person: its ID number's check character is wrong on purpose, so an"
    " import refuses it. Replace it with your rows."
)


def _cell(value) -> str:
    """Return a cell as text: an XLSX number like 13900000001.0 becomes '13900000001'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(data: bytes, max_rows: int = 20000) -> list[tuple[int, dict]]:
    """Parse an uploaded CSV (UTF-8, with or without BOM, or GB18030) or XLSX into (line, row) pairs.

    Reading stops one row past `max_rows`: a huge file is refused without being read whole.
    """
    if data.startswith(XLSX_MAGIC):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise ValidationFailed("file", "This XLSX file cannot be read.", code="file_unreadable") from None
        rows = itertools.islice(sheet.iter_rows(values_only=True), max_rows + 2)
        table = [[_cell(value) for value in row] for row in rows]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")  # what Excel in Chinese saves as "CSV"
            except UnicodeDecodeError:
                raise ValidationFailed(
                    "file", "Save the CSV file as UTF-8.", code="file_unreadable"
                ) from None
        table = _csv_table(text, max_rows + 2)
    if not table:
        raise ValidationFailed("file", "The file is empty.", code="file_empty")
    header = [HEADER_ALIASES.get(name, name.lower()) for name in table[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ValidationFailed(
            "file", f"Missing columns: {', '.join(missing)} (download the template).", code="columns_missing"
        )
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        rows.append((line, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}))
    return rows


def _csv_table(text: str, limit: int) -> list[list[str]]:
    """Read up to `limit` CSV rows; a cell over the csv module's limit is a 422 naming its line."""
    table: list[list[str]] = []
    try:
        for row in itertools.islice(csv.reader(io.StringIO(text)), limit):
            table.append([cell.strip() for cell in row])
    except csv.Error as exc:
        # The row being read when the parser gave up, counted as the import reports lines.
        raise csv_error(exc, len(table) + 1) from None
    return table


def template(fmt: str) -> tuple[bytes, str, str]:
    """Return the import template (one example row the import refuses) as (bytes, content type, name)."""
    rows = [list(COLUMNS), [TEMPLATE_EXAMPLE[name] for name in COLUMNS]]
    if fmt == "csv":
        return csv_bytes(rows), "text/csv; charset=utf-8", "households-template.csv"
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "households"
    for row in rows:
        xlsx_append(sheet, row)
    for column in ("C", "D"):  # ID numbers and phones as text: Excel would round them as numbers
        for cell in sheet[column]:
            cell.number_format = "@"
    notes = book.create_sheet("说明")
    for row in (
        ["column", "values"],
        ["employment_status", ", ".join(status.value for status in EmploymentStatus)],
        ["key_groups", ", ".join(group.value for group in KeyGroup) + " (separate with ;)"],
        ["is_head", "是 / 否"],
        ["required", ", ".join(REQUIRED)],
        ["示例 example", TEMPLATE_NOTE],
    ):
        xlsx_append(notes, row)
    buffer = io.BytesIO()
    book.save(buffer)
    return (
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "households-template.xlsx",
    )
