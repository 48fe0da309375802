"""Reading an export back as a user would: its title block, its headers and its rows."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from openpyxl import load_workbook

from app.common.crypto import encrypt
from app.common.identity import mask_id_number, mask_phone
from app.extensions import db
from app.models import Resident, utcnow
from app.services.people.places import community_by_code, place_columns

EXPORTS = "/api/v1/exports"
# The title block is six lines and a blank one; the headers follow.
TITLE_LINES = 6
HEADER_ROW = TITLE_LINES + 2


@dataclass
class ReadBack:
    """An export file as read back: the title block's lines, the headers, the data rows."""

    title: list[str]
    headers: list[str]
    rows: list[list]
    cells: list | None = None  # the openpyxl cells of the data rows (xlsx only)

    def column(self, header: str) -> list:
        """Return the values of one column, by its Chinese header."""
        index = self.headers.index(header)
        return [row[index] for row in self.rows]

    def line(self, prefix: str) -> str:
        """Return the title line starting with `prefix`, without it."""
        return next(line.removeprefix(prefix) for line in self.title if line.startswith(prefix))


def read_xlsx(data: bytes) -> ReadBack:
    """Read an .xlsx export (with openpyxl) into its title block, headers and rows."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    table = [list(row) for row in sheet.iter_rows()]
    title = [row[0].value for row in table[:TITLE_LINES]]
    assert all(cell.value is None for cell in table[TITLE_LINES]), "a blank line after the title block"
    headers = [cell.value for cell in table[HEADER_ROW - 1]]
    cells = table[HEADER_ROW:]
    rows = [[cell.value for cell in row] for row in cells]
    return ReadBack(title, headers, rows, cells)


def read_csv(data: bytes) -> ReadBack:
    """Read a CSV export (UTF-8 with a BOM) into its title block, headers and rows."""
    assert data.startswith("\ufeff".encode()), "a BOM, so Excel reads the Chinese"
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[TITLE_LINES] == [], "a blank line after the title block"
    return ReadBack([row[0] for row in table[:TITLE_LINES]], table[HEADER_ROW - 1], table[HEADER_ROW:])


def read_back(data: bytes, fmt: str) -> ReadBack:
    """Read an export file of either format."""
    return read_xlsx(data) if fmt == "xlsx" else read_csv(data)


def download(client, headers, url: str):
    """Download a file by its link; return the response, read and closed."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()  # a sent file stays open until closed
    return response


def bulk_residents(count: int, community_code: str = "341002002001", name: str = "批量居民") -> None:
    """Insert `count` residents in one community at once (multi-row INSERTs, not one by one)."""
    columns = place_columns(community_by_code(community_code))
    now: datetime = utcnow()
    rows = []
    for index in range(count):
        id_number = f"34100219900101{index % 10000:04d}"
        phone = f"1390000{index % 10000:04d}"
        rows.append(
            {
                "name": f"{name}{index}",
                "id_number_enc": encrypt(id_number, "id_number"),
                "id_number_hint": mask_id_number(id_number),
                "phone_enc": encrypt(phone, "phone"),
                "phone_hint": mask_phone(phone),
                "employment_status": "unemployed",
                "is_household_head": False,
                "created_at": now,
                "updated_at": now,
                **columns,
            }
        )
    for start in range(0, count, 1000):
        db.session.execute(sa.insert(Resident.__table__), rows[start : start + 1000])
    db.session.commit()
