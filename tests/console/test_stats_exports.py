"""Exporting a dashboard's tables: the page's figures as Excel and CSV, titled, in Chinese, audited."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, ExportJob
from tests.console.conftest import csrf_token
from tests.console.dashboard_world import (
    CHENGZHONG,
    CITY,
    LAOJIE,
    SECRET_ID,
    SECRET_PHONE,
    YUZHONG,
    build_world,
)
from tests.exports.files import read_csv, read_xlsx
from tests.support import count

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(make_staff, make_resident):
    """The small world of the dashboard tests."""
    return build_world(make_staff, make_resident)


@pytest.fixture
def export(client):
    """Return a function posting an export form as the dashboard's buttons do (CSRF token included)."""

    def post(path: str, token: str | None = None, **query):
        token = token or csrf_token(client, "/console/dashboard")
        response = client.post(
            f"/console/dashboard/{path}/export", query_string=query, data={"csrf_token": token}
        )
        response.get_data()  # read, then let the file go
        response.close()
        return response

    return post


def export_events() -> list[AuditEvent]:
    """Return the statistics export events, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "export.stats").order_by(AuditEvent.id)
        )
    )


def test_the_city_admin_exports_the_people_table_as_excel(client, console_staff, export, world):
    account, _ = console_staff("city_admin", "city", CITY)

    response = export(f"city/{CITY}", section="people", table="children", format="xlsx", month=world.last)

    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    book = read_xlsx(response.data)
    assert book.title[0] == f"黄山市人员就业·各下级地点就业情况（{world.last}）"
    assert book.line("地区：") == "黄山市"
    assert book.line("筛选条件：") == f"月份：{world.last}；板块：人员就业；表：各下级地点就业情况"
    assert "市人社局" in book.line("导出人：") and book.line("行数：") == "7"
    assert book.headers[:4] == ["地点", "居民", "就业", "未就业"]
    assert book.column("地点")[:2] == ["屯溪区", "黄山区"]
    assert book.column("就业")[:2] == [65, 7] and book.column("未就业")[:2] == [13, 1]
    [event] = export_events()
    assert event.actor_id == account.id and event.outcome == "success"
    assert event.detail["rows"] == 7 and event.detail["format"] == "xlsx"
    assert event.detail["filters"]["table"] == book.title[0]
    job = db.session.get(ExportJob, event.object_id)
    assert job.source == "stats" and job.account_id == account.id


def test_a_chart_table_exports_as_csv_with_the_charts_series(client, console_staff, export, world):
    console_staff("township_admin", "township", YUZHONG)

    response = export(
        f"township/{YUZHONG}", section="people", table="status_trend", format="csv", month=world.last
    )

    assert response.status_code == 200 and response.mimetype == "text/csv"
    sheet = read_csv(response.data)
    assert sheet.title[0] == f"昱中街道人员就业·近12个月各就业状态人数（{world.last}）"
    assert sheet.line("地区：") == "昱中街道"
    assert sheet.headers[:3] == ["月份", "就业", "灵活就业"]
    assert sheet.rows[-1][:3] == [world.last, "40", "5"]
    assert sheet.rows[-2][1] == ""  # no snapshot that month: empty, not 0
    assert len(export_events()) == 1


@pytest.mark.parametrize(
    ("section", "table", "header", "first"),
    [
        ("grid", "workers", "网格员", "网格员乙"),
        ("grid", "communities", "社区/村", "昱中一社区"),
        ("stations", "funnel", "环节", "来访签到"),
        ("stations", "map", "类别", "服务站"),
        ("stations", "heat", "星期", "周一"),
        ("push", "by_template", "消息模板", "岗位推荐"),
        ("zero_employment", "oldest", "编号", None),
        ("jobs", "by_size", "企业规模", "微型(<10人)"),
    ],
)
def test_every_sections_tables_export(client, console_staff, export, world, section, table, header, first):
    console_staff("operator", "circle", CHENGZHONG)

    response = export(f"circle/{CHENGZHONG}", section=section, table=table, format="xlsx", month=world.last)

    assert response.status_code == 200, response.get_data(as_text=True)
    book = read_xlsx(response.data)
    assert book.headers[0] == header
    if first is not None:
        assert book.rows[0][0] == first
    assert book.line("地区：") == "城中就业圈"


def test_the_path_in_the_title_block_runs_from_the_viewers_place(client, console_staff, export, world):
    console_staff("operator", "circle", CHENGZHONG)

    response = export(
        f"township/{YUZHONG}", section="grid", table="communities", format="csv", month=world.last
    )

    sheet = read_csv(response.data)
    assert sheet.line("地区：") == "城中就业圈 / 昱中街道"
    assert sheet.column("社区/村") == ["昱中一社区"]  # the communities with a snapshot
    assert sheet.column("覆盖率") == ["0.4286"]


def test_exports_hold_no_personal_data(client, console_staff, export, world):
    console_staff("city_admin", "city", CITY)

    for section, table in (("zero_employment", "oldest"), ("grid", "workers"), ("people", "children")):
        response = export(f"city/{CITY}", section=section, table=table, format="csv")
        text = response.data.decode("utf-8-sig")
        assert SECRET_ID not in text and SECRET_PHONE not in text and "零就业户主" not in text


def test_beyond_scope_unknown_tables_and_bad_formats_write_nothing(client, console_staff, export, world):
    console_staff("township_admin", "township", YUZHONG)

    beyond = export(f"township/{LAOJIE}", section="people", table="children", format="xlsx")
    unknown = export(f"township/{YUZHONG}", section="people", table="nothing", format="xlsx")
    bad_format = export(f"township/{YUZHONG}", section="people", table="children", format="pdf")
    no_section = export(f"township/{YUZHONG}", table="children", format="xlsx")

    assert beyond.status_code == 404 and "页面不存在" in beyond.get_data(as_text=True)
    assert unknown.status_code == 404 and "没有这张表" in unknown.get_data(as_text=True)
    assert bad_format.status_code == 422 and no_section.status_code == 422
    assert count(ExportJob) == 0 and export_events() == []


def test_station_staff_may_export_only_their_sections(client, console_staff, export, world):
    console_staff("station_staff", "circle", CHENGZHONG)

    assert (
        export(f"circle/{CHENGZHONG}", section="stations", table="stations", format="csv").status_code == 200
    )
    assert export(f"circle/{CHENGZHONG}", section="people", table="children", format="csv").status_code == 403
    assert len(export_events()) == 1


def test_an_export_needs_a_post_with_a_csrf_token(client, console_staff, export, world):
    console_staff("city_admin", "city", CITY)
    query = {"section": "people", "table": "children", "format": "xlsx"}

    # A GET (a link, an <img> on another site) exports nothing: no such page.
    assert client.get(f"/console/dashboard/city/{CITY}/export", query_string=query).status_code == 404
    refused = client.post(f"/console/dashboard/city/{CITY}/export", query_string=query, data={})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert count(ExportJob) == 0


def test_the_dashboards_buttons_post_to_the_export(client, console_staff, export, world):
    console_staff("city_admin", "city", CITY)

    page = client.get(f"/console/dashboard?section=people&month={world.last}").get_data(as_text=True)
    actions = re.findall(r'<form method="post" action="([^"]+)" class="inline export"', page)

    assert (
        f"/console/dashboard/city/{CITY}/export?section=people&amp;table=children&amp;format=xlsx&amp;month={world.last}"
        in actions
    )
    path, query = actions[0].replace("&amp;", "&").split("?")
    with client.post(
        path, query_string=query, data={"csrf_token": csrf_token(client, "/console/dashboard")}
    ) as sent:
        assert sent.status_code == 200 and read_xlsx(sent.get_data()).headers[0] == "地点"
    assert len(export_events()) == 1
