"""Exporting a statistics table in hand: the same title block and headers, audited, downloaded by its link."""

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.services.exports.tables import export_table
from tests.exports.files import EXPORTS, download, read_back

TABLE = {
    "columns": [
        ["community", "社区/村"],
        ["residents", "居民数"],
        ["unemployed", "未就业"],
        ["note", "备注"],
    ],
    "rows": [
        {"community": "昱中一社区", "residents": 120, "unemployed": 7, "note": "=SUM(B1:B9)"},
        {"community": "昱中二社区", "residents": 98, "unemployed": 3, "note": None},
    ],
}


def test_a_statistics_table_exports_with_its_title_place_and_cut(client, staff_headers):
    admin, headers = staff_headers("township_admin", "township", "341002002000")

    result = export_table(admin, "人员统计", TABLE, "xlsx", "月份：2026-11", "127.0.0.1", place="昱中街道")

    assert result.ready and result.status == "done" and result.filename.startswith("人员统计_")
    table = read_back(result.path.read_bytes(), "xlsx")
    assert table.title[0] == "人员统计"
    assert table.line("地区：") == "昱中街道"
    assert table.line("筛选条件：") == "月份：2026-11"
    assert table.line("行数：") == "2"
    assert table.headers == ["社区/村", "居民数", "未就业", "备注"]
    assert table.rows == [["昱中一社区", 120, 7, "'=SUM(B1:B9)"], ["昱中二社区", 98, 3, None]]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export.stats"))
    assert event.actor_id == admin.id and event.detail["rows"] == 2 and event.detail["format"] == "xlsx"
    # Its owner downloads it through the API like any export.
    url = client.get(f"{EXPORTS}/{result.job.id}", headers=headers).get_json()["download_url"]
    assert read_back(download(client, headers, url).data, "xlsx").rows == table.rows


def test_a_table_as_csv_names_the_actors_place_by_default(staff_headers):
    admin, _ = staff_headers("township_admin", "township", "341002002000")

    result = export_table(admin, "人员统计", TABLE, "csv", None, None)

    table = read_back(result.path.read_bytes(), "csv")
    assert table.line("地区：") == "昱中街道"
    assert table.line("筛选条件：") == "无"
    assert table.rows[1] == ["昱中二社区", "98", "3", ""]
