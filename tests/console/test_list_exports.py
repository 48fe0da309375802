"""Exporting a list from its page: Excel and CSV with the filters, masking, audit, large exports as tasks."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.models import AuditEvent, ExportJob, utcnow
from app.services import lists
from app.services.exports import jobs
from tests.conftest import make_id_number
from tests.console.conftest import csrf_from
from tests.console.lists_support import YUZHONG_1, page_of, sign_in_as
from tests.support import count

HEADERS = [column.header for column in lists.get("residents").columns]
EMPLOYED = "/console/lists/residents/export?format={fmt}&employment_status=employed&sort=name"


@pytest.fixture
def residents(make_resident):
    """Five residents of 昱中一社区 (居民A … 居民E, B and D employed); their ID numbers by letter."""
    numbers = {}
    for letter in "ABCDE":
        numbers[letter] = make_id_number("19800101")
        make_resident(
            YUZHONG_1,
            name=f"居民{letter}",
            id_number=numbers[letter],
            phone=f"1391234567{'ABCDE'.index(letter)}",
            status="employed" if letter in "BD" else "unemployed",
        )
    return numbers


def export(client, path: str, reveal: bool = False, page: str = "/console/lists/residents"):
    """Press an export button of a list page (POST with the page's CSRF token)."""
    data = {"csrf_token": csrf_from(page_of(client, page))}
    if reveal:
        data["reveal"] = "1"
    return closed(client.post(path, data=data))


def closed(response):
    """Read a response and close it (a sent file stays open until its response is closed)."""
    response.get_data()
    response.close()
    return response


def xlsx_rows(body: bytes) -> list[list]:
    """Read an Excel file back: every row as a list of its cells' values."""
    sheet = load_workbook(io.BytesIO(body)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(body: bytes) -> list[list]:
    """Read a CSV file back (UTF-8 with a BOM, as Excel wants it)."""
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def split(rows: list[list]) -> tuple[list[str], list, list[list]]:
    """Split a file's rows into its title lines, its header row and its data rows."""
    at = next(index for index, row in enumerate(rows) if row and row[0] == "编号")
    titles = [row[0] for row in rows[:at] if row and row[0]]
    return (
        titles,
        list(rows[at]),
        [row for row in rows[at + 1 :] if any(cell not in (None, "") for cell in row)],
    )


def export_events() -> list[AuditEvent]:
    """Return the audit events of residents' exports, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action.like("export.residents%")).order_by(AuditEvent.id)
        )
    )


def test_an_excel_export_has_the_pages_filters_a_title_block_chinese_headers_and_masks(
    client, console_staff, residents
):
    admin = sign_in_as(client, console_staff, "city_admin")
    admin.display_name = "市局张"
    db.session.commit()

    response = export(client, EMPLOYED.format(fmt="xlsx"))

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment")
    titles, headers, rows = split(xlsx_rows(response.data))
    assert titles[0] == "居民台账" and titles[1] == "地区：黄山市"
    assert titles[2] == "筛选条件：就业状态：就业"
    assert titles[3].startswith("导出时间：") and titles[4] == f"导出人：市局张（{admin.username}），市人社局"
    assert titles[5] == "行数：2"
    assert headers == HEADERS
    assert [row[headers.index("姓名")] for row in rows] == ["居**", "居**"]  # names too, in a file
    assert sorted(row[headers.index("就业状态")] for row in rows) == ["就业", "就业"]
    id_numbers = [row[headers.index("身份证号")] for row in rows]
    assert all("*" in value for value in id_numbers)
    assert not {residents["B"], residents["D"]} & set(id_numbers)
    assert all("*" in row[headers.index("手机号")] for row in rows)
    [event] = export_events()
    assert event.action == "export.residents" and event.actor_id == admin.id
    assert event.detail["filters"] == {"employment_status": "employed"}
    assert event.detail["rows"] == 2 and event.detail["reveal"] is False and event.detail["format"] == "xlsx"


def test_a_csv_export_reads_back_the_same(client, console_staff, residents):
    sign_in_as(client, console_staff, "township_admin")

    response = export(client, "/console/lists/residents/export?format=csv&q=%E5%B1%85%E6%B0%91A")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    titles, headers, rows = split(csv_rows(response.data))
    assert titles[0] == "居民台账" and titles[1] == "地区：昱中街道"
    assert titles[2] == "筛选条件：姓名/身份证号/手机号：居民A" and titles[5] == "行数：1"
    assert headers == HEADERS
    [row] = rows
    assert row[headers.index("姓名")] == "居**" and row[headers.index("身份证号")] != residents["A"]
    [event] = export_events()
    assert event.detail["filters"] == {"q": "居民A"} and event.detail["rows"] == 1


def test_a_role_that_may_reveal_exports_full_values_when_it_asks(client, console_staff, residents):
    sign_in_as(client, console_staff, "city_admin")
    page = page_of(client, "/console/lists/residents")
    assert 'name="reveal" value="1"' in page

    response = export(client, EMPLOYED.format(fmt="xlsx"), reveal=True)

    assert response.status_code == 200
    _, headers, rows = split(xlsx_rows(response.data))
    assert sorted(row[headers.index("姓名")] for row in rows) == ["居民B", "居民D"]
    assert sorted(row[headers.index("身份证号")] for row in rows) == sorted([residents["B"], residents["D"]])
    assert sorted(row[headers.index("手机号")] for row in rows) == ["13912345671", "13912345673"]
    [event] = export_events()
    assert event.detail["reveal"] is True and event.detail["rows"] == 2


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_a_role_that_works_masked_cannot_export_full_values(client, console_staff, residents, role):
    sign_in_as(client, console_staff, role)
    page = page_of(client, "/console/lists/residents")
    assert 'name="reveal"' not in page

    response = export(client, EMPLOYED.format(fmt="csv"), reveal=True)

    assert response.status_code == 403
    assert "只能查看脱敏" in response.get_data(as_text=True)
    assert count(ExportJob) == 0
    [event] = export_events()
    assert event.outcome == "denied" and event.detail["reveal"] is True


def test_an_export_is_refused_where_the_list_is(client, console_staff, residents):
    sign_in_as(client, console_staff, "grid_worker")

    refused_list = export(client, "/console/lists/audit_events/export?format=xlsx")
    bad_filter = export(client, "/console/lists/residents/export?format=xlsx&employment_status=bogus")
    bad_format = export(client, "/console/lists/residents/export?format=pdf")

    assert refused_list.status_code == 403
    assert bad_filter.status_code == 422 and "取值无效" in bad_filter.get_data(as_text=True)
    assert bad_format.status_code == 422 and "Excel（xlsx）或 CSV" in bad_format.get_data(as_text=True)
    assert count(ExportJob) == 0


def test_opening_an_export_address_shows_the_buttons_and_exports_nothing(client, console_staff, residents):
    sign_in_as(client, console_staff, "city_admin")

    page = page_of(client, "/console/lists/residents/export?format=xlsx&employment_status=employed&reveal=1")

    assert "筛选条件：就业状态：就业" in page
    assert 'action="/console/lists/residents/export?format=xlsx&amp;employment_status=employed"' in page
    assert count(ExportJob) == 0 and export_events() == []


def test_the_list_pages_buttons_carry_its_filters(client, console_staff, residents):
    sign_in_as(client, console_staff, "city_admin")

    page = page_of(client, "/console/lists/residents?employment_status=employed&q=&sort=name&page=1")

    assert (
        'action="/console/lists/residents/export?format=xlsx&amp;employment_status=employed&amp;q="' in page
    )
    assert 'action="/console/lists/residents/export?format=csv&amp;employment_status=employed&amp;q="' in page


# ---- large exports ---------------------------------------------------------------------------------


def test_a_large_export_goes_through_its_progress_page_to_its_download(app, client, console_staff, residents):
    app.config["EXPORT_INLINE_MAX_ROWS"] = 2
    sign_in_as(client, console_staff, "city_admin")

    response = export(client, "/console/lists/residents/export?format=xlsx")

    assert response.status_code == 303
    job = db.session.scalar(sa.select(ExportJob))
    assert response.location == f"/console/exports/{job.id}"
    page = page_of(client, response.location)
    assert f'data-status-url="/console/exports/{job.id}/status"' in page and 'data-poll-ms="2000"' in page
    assert 'src="/console/static/export_job.js"' in page
    assert "<script>" not in page  # behaviour only from /console/static (the CSP)
    # The embedded queue ran the task at once: the page already offers the file.
    status = client.get(f"/console/exports/{job.id}/status", headers={"Accept": "application/json"})
    state = status.get_json()
    assert state["status"] == "done" and state["percent"] == 100 and state["ready"] is True
    assert state["rows_written"] == 5 and state["total"] == 5
    assert state["expires_at"] and state["download_url"].startswith(
        f"/console/exports/{job.id}/download?token="
    )
    assert "链接有效至" in page and state["download_url"].replace("&", "&amp;") in page

    download = closed(client.get(state["download_url"]))

    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    titles, headers, rows = split(xlsx_rows(download.data))
    assert titles[0] == "居民台账" and titles[5] == "行数：5" and headers == HEADERS
    assert len(rows) == 5 and all(row[headers.index("姓名")] == "居**" for row in rows)
    actions = [event.action for event in export_events()]
    assert actions == ["export.residents", "export.residents", "export.residents.download"]
    assert [event.detail.get("status") for event in export_events()[:2]] == ["queued", "done"]


def test_a_queued_export_shows_its_progress_until_it_is_written(app, client, console_staff, residents):
    admin = sign_in_as(client, console_staff, "city_admin")
    job = jobs.queue_export(
        admin, "residents", {"employment_status": "unemployed"}, "csv", False, None, False
    )
    status_url = f"/console/exports/{job.id}/status"

    page = page_of(client, f"/console/exports/{job.id}")
    queued = client.get(status_url, headers={"X-Requested-With": "fetch"}).get_json()

    assert "排队中" in page and 'data-status="queued"' in page
    assert queued["status"] == "queued" and queued["percent"] == 0
    assert queued["ready"] is False and queued["download_url"] is None

    jobs.run_export(job.id)
    done = client.get(status_url, headers={"X-Requested-With": "fetch"}).get_json()

    assert done["status"] == "done" and done["percent"] == 100 and done["rows_written"] == 3
    _, _, rows = split(csv_rows(closed(client.get(done["download_url"])).data))
    assert len(rows) == 3


def test_another_users_export_is_a_404_everywhere(app, client, console_staff, residents):
    app.config["EXPORT_INLINE_MAX_ROWS"] = 2
    sign_in_as(client, console_staff, "city_admin")
    export(client, "/console/lists/residents/export?format=xlsx")
    job = db.session.scalar(sa.select(ExportJob))
    download_url = client.get(f"/console/exports/{job.id}/status").get_json()["download_url"]

    sign_in_as(client, console_staff, "township_admin")

    assert client.get(f"/console/exports/{job.id}").status_code == 404
    assert client.get(f"/console/exports/{job.id}/status").status_code == 404
    refused = closed(client.get(download_url))
    assert refused.status_code == 404 and "没有找到该导出任务" in refused.get_data(as_text=True)


def test_an_expired_link_is_a_410_and_the_page_says_so(app, client, console_staff, residents):
    app.config["EXPORT_INLINE_MAX_ROWS"] = 2
    sign_in_as(client, console_staff, "city_admin")
    export(client, "/console/lists/residents/export?format=xlsx")
    job = db.session.scalar(sa.select(ExportJob))
    download_url = client.get(f"/console/exports/{job.id}/status").get_json()["download_url"]
    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    page = page_of(client, f"/console/exports/{job.id}")
    response = closed(client.get(download_url))

    assert "已过期" in page and 'data-status="expired"' in page
    assert response.status_code == 410 and "下载链接已过期" in response.get_data(as_text=True)
