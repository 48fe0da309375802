"""The writers: a title block, Chinese headers, cells shown as written (never a formula), flat memory."""

import io
import tracemalloc
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import pytest

from app.services.exports import writers
from tests.exports.files import read_back

BLOCK = writers.TitleBlock(
    "居民台账", "昱中街道", "就业状态：未就业", "2026-12-05 09:30", "张科长，街道/乡镇人社", 3
)
HEADERS = ["编号", "姓名", "身份证号", "更新时间", "重点群体", "在册"]
ROWS = [
    [1, "张**", "3410**********1234", datetime(2026, 12, 5, 1, 30), ["就业困难人员", "农民工"], True],
    [2, '=HYPERLINK("http://evil.example","点我")', None, date(2026, 1, 2), [], False],
    [12345678901234567, "李\x07四", "-1+1", None, None, None],
]


def write(tmp_path, fmt, rows=ROWS, on_progress=None):
    """Write ROWS as `fmt` and return the file's bytes."""
    path = tmp_path / f"out.{fmt}"
    written = writers.write(fmt, path, BLOCK, HEADERS, iter(rows), on_progress)
    assert written == len(rows)
    return path.read_bytes()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_file_opens_with_its_title_block_then_the_chinese_headers(app, tmp_path, fmt):
    table = read_back(write(tmp_path, fmt), fmt)

    assert table.title == [
        "居民台账",
        "地区：昱中街道",
        "筛选条件：就业状态：未就业",
        "导出时间：2026-12-05 09:30",
        "导出人：张科长，街道/乡镇人社",
        "行数：3",
    ]
    assert table.headers == HEADERS
    assert len(table.rows) == 3
    # Moments on the city's clock (UTC+8), lists joined, flags in words.
    assert table.rows[0][1:] == [
        "张**",
        "3410**********1234",
        "2026-12-05 09:30",
        "就业困难人员、农民工",
        "是",
    ]
    assert table.rows[1][3] == "2026-01-02" and table.rows[1][5] == "否"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_formula_is_written_as_text(app, tmp_path, fmt):
    table = read_back(write(tmp_path, fmt), fmt)

    assert table.rows[1][1] == '\'=HYPERLINK("http://evil.example","点我")'
    assert table.rows[2][2] == "'-1+1"
    if fmt == "xlsx":
        assert table.cells[1][1].data_type == "s"  # a string, not a formula


def test_xlsx_keeps_numbers_as_numbers_but_long_ones_as_text(app, tmp_path):
    table = read_back(write(tmp_path, "xlsx"), "xlsx")

    assert table.rows[0][0] == 1
    # Past 15 digits Excel rounds a number: written as text, every digit kept.
    assert table.rows[2][0] == "12345678901234567"
    # A control character no XML can hold is dropped, not a broken file.
    assert table.rows[2][1] == "李四"
    assert table.rows[2][3:] == [None, None, None]


def test_xlsx_is_a_well_formed_package_with_a_frozen_header(app, tmp_path):
    with zipfile.ZipFile(io.BytesIO(write(tmp_path, "xlsx"))) as package:
        assert package.testzip() is None
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(package.read(name))
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
        workbook = package.read("xl/workbook.xml").decode()
    assert 'ySplit="8"' in sheet and 'state="frozen"' in sheet
    assert 'name="居民台账"' in workbook


def test_a_sheet_name_is_one_excel_accepts():
    assert writers.sheet_name("统计/2026[12]:*?") == "统计_2026_12____"
    assert len(writers.sheet_name("长" * 40)) == 31
    assert writers.sheet_name("''") == "导出"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_progress_is_reported_every_so_many_rows(app, tmp_path, monkeypatch, fmt):
    monkeypatch.setattr(writers, "PROGRESS_EVERY", 10)
    seen = []
    rows = [[index, f"居民{index}"] for index in range(35)]

    write(tmp_path, fmt, rows, seen.append)

    assert seen == [10, 20, 30]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_writing_many_rows_holds_none_of_them(app, tmp_path, fmt):
    count = 20_000

    def rows():
        for index in range(count):
            yield [index, f"居民{index}", "3410**********1234", "138****5678", "未就业", "昱中一社区" * 3]

    tracemalloc.start()
    try:
        written = writers.write(fmt, tmp_path / f"big.{fmt}", BLOCK, HEADERS, rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert written == count
    # The rows themselves would take ~15 MB; a writer holding them could not stay under this.
    assert peak < 3_000_000, f"peak {peak:,} bytes"
    table = read_back((tmp_path / f"big.{fmt}").read_bytes(), fmt)
    assert len(table.rows) == count and table.rows[-1][1] == f"居民{count - 1}"
