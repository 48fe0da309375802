"""Progress reports (工作进展月报): a district files its month; the city sees who filed, returns, accepts."""

from datetime import timedelta

import pytest

from app.common.clock import local_day, month_start
from app.models import AuditEvent, ProgressReport
from tests.programme.supervision_support import (
    CHENGZHONG,
    door_visit,
    household_with_phone,
    last_month,
    month_text,
)
from tests.support import count, error_of

REPORTS = "/api/v1/progress-reports"
TEXT = {"problems": "部分社区走访不足", "good_practice": "城中圈“早市招聘”", "next_steps": "补齐走访"}


@pytest.fixture
def admins(staff_headers, places):
    """The 屯溪区 admin, the 黄山区 admin and the city admin: headers by who."""
    return {
        "tunxi": staff_headers("district_admin", "district", "341002000000")[1],
        "huangshan": staff_headers("district_admin", "district", "341003000000")[1],
        "city": staff_headers("city_admin", "city", "341000000000")[1],
    }


def indicator(report: dict, key: str):
    """Return one indicator's value of a report."""
    return next(row["value"] for row in report["indicators"] if row["key"] == key)


def test_a_report_is_filed_with_its_indicators_frozen(client, admins, make_resident, make_staff):
    worker = make_staff("grid_worker", "circle", "341002-chengzhong")
    door_visit(household_with_phone(CHENGZHONG, "13500000001"), worker.id, last_month())
    make_resident(community_code=CHENGZHONG)

    started = client.post(REPORTS, json={"month": month_text(last_month())}, headers=admins["tunxi"])
    again = client.post(REPORTS, json={"month": month_text(last_month())}, headers=admins["tunxi"])
    url = f"{REPORTS}/{started.get_json()['id']}"
    untexted = client.post(f"{url}/file", headers=admins["tunxi"])
    client.patch(url, json=TEXT, headers=admins["tunxi"])
    filed = client.post(f"{url}/file", headers=admins["tunxi"])
    make_resident(community_code=CHENGZHONG, name="后来的居民")
    later = client.get(url, headers=admins["city"]).get_json()
    edited = client.patch(url, json={"problems": "改"}, headers=admins["tunxi"])

    assert started.status_code == 201 and started.get_json()["indicators_live"] is True
    assert again.status_code == 200 and again.get_json()["id"] == started.get_json()["id"]
    assert (untexted.status_code, error_of(untexted)["code"]) == (422, "report_text_required")
    assert filed.status_code == 200 and filed.get_json()["status"] == "filed"
    body = filed.get_json()
    assert body["times_filed"] == 1 and body["indicators_live"] is False
    assert indicator(body, "door_visits") == 1 and indicator(body, "residents") == 2
    assert indicator(later, "residents") == 2  # frozen: the later resident does not move it
    assert (edited.status_code, error_of(edited)["code"]) == (409, "report_status_conflict")
    assert count(AuditEvent, AuditEvent.object_type == "progress_report") == 3


def test_this_months_report_waits_for_the_month_to_end(client, admins):
    this_month = client.post(
        REPORTS, json={"month": month_text(month_start(local_day())), **TEXT}, headers=admins["tunxi"]
    )
    future = client.post(
        REPORTS,
        json={"month": month_text(month_start(local_day()) + timedelta(days=40))},
        headers=admins["tunxi"],
    )

    filed = client.post(f"{REPORTS}/{this_month.get_json()['id']}/file", headers=admins["tunxi"])

    assert this_month.status_code == 201
    assert (filed.status_code, error_of(filed)["code"]) == (409, "month_not_over")
    assert (future.status_code, error_of(future)["code"]) == (422, "month_in_future")


def test_the_city_sees_who_filed_returns_and_accepts(client, admins):
    month = month_text(last_month())
    tunxi = client.post(REPORTS, json={"month": month, **TEXT}, headers=admins["tunxi"]).get_json()
    client.post(f"{REPORTS}/{tunxi['id']}/file", headers=admins["tunxi"])
    client.post(REPORTS, json={"month": month}, headers=admins["huangshan"])
    url = f"{REPORTS}/{tunxi['id']}"

    overview = client.get(
        f"{REPORTS}/overview", query_string={"month": month}, headers=admins["city"]
    ).get_json()
    no_comments = client.post(f"{url}/return", json={}, headers=admins["city"])
    by_district = client.post(f"{url}/accept", json={}, headers=admins["tunxi"])
    returned = client.post(f"{url}/return", json={"comments": "请补充典型经验的数据"}, headers=admins["city"])
    client.patch(url, json={"good_practice": "城中圈“早市招聘”，带动就业23人"}, headers=admins["tunxi"])
    refiled = client.post(f"{url}/file", headers=admins["tunxi"])
    accepted = client.post(f"{url}/accept", json={"comments": "很好"}, headers=admins["city"])
    accepted_twice = client.post(f"{url}/accept", json={}, headers=admins["city"])

    rows = {row["district"]["name"]: row for row in overview["districts"]}
    assert len(rows) == 7 and overview["filed"] == 1  # every district listed, filed or not
    assert rows["屯溪区"]["status"] == "filed" and rows["屯溪区"]["indicators"]["residents"] == 0
    assert rows["黄山区"]["status"] == "draft" and rows["黄山区"]["indicators"] is None
    assert rows["歙县"]["status"] == "missing" and rows["歙县"]["status_text"] == "未报送"
    assert [column["key"] for column in overview["columns"]][:2] == ["residents", "seekers"]
    assert (no_comments.status_code, error_of(no_comments)["code"]) == (422, "comments_required")
    assert by_district.status_code == 403
    assert (
        returned.get_json()["status"] == "returned"
        and returned.get_json()["comments"] == "请补充典型经验的数据"
    )
    assert refiled.get_json()["status"] == "filed" and refiled.get_json()["times_filed"] == 2
    assert accepted.get_json()["status"] == "accepted" and accepted.get_json()["comments"] == "很好"
    assert (accepted_twice.status_code, error_of(accepted_twice)["code"]) == (409, "report_status_conflict")


def test_a_district_reads_only_its_own_reports(client, admins, staff_headers):
    month = month_text(last_month())
    tunxi = client.post(REPORTS, json={"month": month}, headers=admins["tunxi"]).get_json()
    _, supervisor = staff_headers("supervisor", "district", "341002000000")

    other = client.get(f"{REPORTS}/{tunxi['id']}", headers=admins["huangshan"])
    edited = client.patch(f"{REPORTS}/{tunxi['id']}", json={"problems": "x"}, headers=admins["huangshan"])
    listed = client.get(REPORTS, headers=admins["huangshan"]).get_json()
    city_list = client.get(REPORTS, query_string={"month": month}, headers=admins["city"]).get_json()
    overview_by_district = client.get(
        f"{REPORTS}/overview", query_string={"month": month}, headers=admins["tunxi"]
    )

    assert (other.status_code, error_of(other)["code"]) == (404, "progress_report_not_found")
    assert edited.status_code == 404
    assert listed["total"] == 0 and city_list["total"] == 1
    assert overview_by_district.status_code == 403
    assert client.get(REPORTS, headers=supervisor).status_code == 403
    assert count(ProgressReport) == 1
