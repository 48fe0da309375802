"""Exporting a list: its page's filters, the caller's place only, masked unless revealed, audited."""

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, ExportJob
from tests.conftest import make_id_number
from tests.exports.files import EXPORTS, download, read_back
from tests.support import count, error_of

YUZHONG, LAOJIE = "341002002000", "341002004000"  # two townships of 屯溪's circle 城中


def export(client, headers, source="residents", **body):
    """POST an export; return the response."""
    return client.post(EXPORTS, json={"source": source, **body}, headers=headers)


def exported(client, headers, fmt="xlsx", **body):
    """Export (small: written at once), download the file and read it back."""
    response = export(client, headers, format=fmt, **body)
    assert response.status_code == 201, response.get_json()
    job = response.get_json()
    assert job["status"] == "done" and job["download_url"], job
    file = download(client, headers, job["download_url"])
    assert file.status_code == 200
    return job, file, read_back(file.data, fmt)


def events(action: str) -> list[AuditEvent]:
    """Return the audit events of an action, oldest first."""
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def test_a_township_admin_exports_their_residents_masked(client, staff_headers, make_resident):
    admin, headers = staff_headers("township_admin", "township", YUZHONG)
    mine = make_resident("341002002001", name="张秀英", id_number=make_id_number(), phone="13812345678")
    other = make_resident("341002002002", name="王芳")
    make_resident("341002004001", name="老街居民")  # another township: not in the file

    job, file, table = exported(client, headers)

    assert table.title[0] == "居民台账"
    assert table.line("地区：") == "昱中街道"
    assert table.line("筛选条件：") == "无"
    assert table.line("导出人：").startswith(admin.username)
    assert table.line("行数：") == "2"
    assert table.line("导出时间：")[:4].isdigit()
    assert table.headers[:6] == ["编号", "姓名", "性别", "年龄", "身份证号", "手机号"]
    assert sorted(table.column("编号")) == sorted([mine.id, other.id])
    assert "老街居民" not in str(table.rows)
    row = table.rows[table.column("编号").index(mine.id)]
    assert row[1] == "张**" and row[4] == mine.id_number_hint and row[5] == "138****5678"
    assert job["rows_written"] == job["total"] == 2 and job["progress"] == 1.0
    # The file downloads under its Chinese title (RFC 5987), never cached or sniffed.
    disposition = file.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E5%B1%85%E6%B0%91%E5%8F%B0%E8%B4%A6_" in disposition and ".xlsx" in disposition
    assert file.headers["Cache-Control"] == "private, no-store"
    assert file.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_csv_export_applies_the_list_filters_and_says_them(client, staff_headers, make_resident):
    _, headers = staff_headers("township_admin", "township", YUZHONG)
    make_resident(name="失业者", status="unemployed")
    make_resident(name="就业者", status="employed")

    job, file, table = exported(client, headers, "csv", filters={"employment_status": "unemployed"})

    assert file.mimetype == "text/csv"
    assert table.line("筛选条件：") == "就业状态：未就业"
    assert table.column("姓名") == ["失**"]
    assert table.column("就业状态") == ["未就业"]
    assert job["filename"].endswith(".csv") and job["filename"].startswith("居民台账_")


def test_every_export_is_audited_with_its_filters_format_and_row_count(client, staff_headers, make_resident):
    admin, headers = staff_headers("township_admin", "township", YUZHONG)
    make_resident(status="unemployed")

    job, _, _ = exported(client, headers, "csv", filters={"employment_status": "unemployed", "unknown": "x"})

    (event,) = events("export.residents")
    assert event.actor_id == admin.id and event.object_type == "export" and event.object_id == str(job["id"])
    assert event.detail == {
        "filters": {"employment_status": "unemployed"},  # what the list applied, nothing else
        "format": "csv",
        "reveal": False,
        "rows": 1,
    }
    (downloaded,) = events("export.residents.download")
    assert downloaded.actor_id == admin.id


def test_a_city_admin_may_reveal_full_values_and_it_is_audited(client, staff_headers, make_resident):
    admin, headers = staff_headers("city_admin", "city", "341000000000")
    id_number = make_id_number()
    make_resident(name="=1+2", id_number=id_number, phone="13812345678")

    _, _, table = exported(client, headers, reveal=True)

    assert table.column("身份证号") == [id_number]
    assert table.column("手机号") == ["13812345678"]
    # A name that is a formula is written as text all the same.
    assert table.column("姓名") == ["'=1+2"]
    assert table.cells[0][1].data_type == "s"
    (event,) = events("export.residents")
    assert event.detail["reveal"] is True and event.detail["rows"] == 1 and event.actor_id == admin.id


def test_a_masked_formula_is_text_too(client, staff_headers, make_resident):
    _, headers = staff_headers("township_admin", "township", YUZHONG)
    make_resident(name="=cmd")

    _, _, table = exported(client, headers)

    assert table.column("姓名") == ["'=***"]


def test_a_role_that_may_not_reveal_is_refused_and_the_refusal_audited(client, staff_headers, make_resident):
    operator, headers = staff_headers("operator", "circle", "341002-chengzhong")
    make_resident()

    response = export(client, headers, reveal=True)

    assert response.status_code == 403
    assert error_of(response)["code"] == "reveal_forbidden"
    assert count(ExportJob) == 0
    (event,) = events("export.residents")
    assert event.outcome == "denied" and event.actor_id == operator.id and event.detail["reveal"] is True
    # Masked, the same operator may export.
    assert export(client, headers).status_code == 201


def test_bad_requests_are_refused_with_stable_codes(client, staff_headers, wechat_login):
    _, headers = staff_headers("township_admin", "township", YUZHONG)

    unknown = export(client, headers, source="nonsense")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "list_not_found"
    bad_filter = export(client, headers, filters={"employment_status": "asleep"})
    assert bad_filter.status_code == 422 and error_of(bad_filter)["field"] == "employment_status"
    bad_format = export(client, headers, format="pdf")
    assert bad_format.status_code == 422 and error_of(bad_format)["field"] == "format"
    _, resident, _ = wechat_login()
    assert export(client, resident).status_code == 403
    assert export(client, {}).status_code == 401
    assert count(ExportJob) == 0


def test_a_list_not_for_the_role_is_refused(client, staff_headers):
    _, headers = staff_headers("grid_worker", "community", "341002002001")

    response = export(client, headers, source="staff_accounts")

    assert response.status_code == 403 and error_of(response)["code"] == "role_forbidden"


def test_another_list_exports_with_its_own_headers(client, staff_headers, make_resident):
    _, headers = staff_headers("township_admin", "township", YUZHONG)

    job, _, table = exported(client, headers, source="staff_accounts")

    assert table.title[0] == job["title"]
    assert all(isinstance(header, str) and header for header in table.headers)
    assert table.line("行数：") == str(len(table.rows)) == str(job["total"])
