"""Per-operator KPIs of a month and the monthly supervision report (Excel)."""

import io
from datetime import timedelta

import openpyxl
import pytest

from app.extensions import db
from app.models import Account, AuditEvent
from tests.programme.supervision_support import (
    CHENGDONG,
    CHENGZHONG,
    cover_last_month,
    decided_registration,
    door_visit,
    draw,
    household_with_phone,
    last_month,
    month_text,
)
from tests.support import count

KPIS = "/api/v1/operator-kpis"
REPORT = "/api/v1/supervision-report"
TUNXI = "341002000000"


@pytest.fixture
def month_of_work(make_operator, make_staff, places):
    """Last month: 城中 visited on 10 days (4 households), 城东 on 9 (1 household), by two operators."""
    worker = make_staff("grid_worker", "circle", "341002-chengzhong")
    zhong = make_operator(name="城中运营", circle_key="chengzhong")
    dong = make_operator(name="城东运营", circle_key="chengdong")
    for operator in (zhong, dong):
        cover_last_month(operator)
    zhong_homes = [household_with_phone(CHENGZHONG, f"1360000{n:04d}") for n in range(4)]
    dong_home = household_with_phone(CHENGDONG, "13600009999")
    for day in range(10):
        door_visit(zhong_homes[day % 4], worker.id, last_month() + timedelta(days=day))
    for day in range(9):
        door_visit(dong_home, worker.id, last_month() + timedelta(days=day))
    return zhong, dong


def row_of(body: dict, operator) -> dict:
    """Return an operator's row of a KPI answer."""
    return next(item for item in body["items"] if item["operator_id"] == operator.id)


def test_visit_days_meet_the_target_at_ten_not_nine(client, month_of_work, staff_headers, make_resident):
    zhong, dong = month_of_work
    reviewer, headers = staff_headers("district_admin", "district", TUNXI)
    resident = make_resident(community_code=CHENGZHONG, phone="13912349999")
    decided_registration(resident, reviewer.id, last_month() + timedelta(days=1))

    body = client.get(KPIS, query_string={"month": month_text(last_month())}, headers=headers).get_json()

    assert body["visit_days_target"] == 10
    assert row_of(body, zhong)["visit_days_min"] == 10 and row_of(body, zhong)["circles_on_visit_target"] == 1
    assert row_of(body, dong)["visit_days_min"] == 9 and row_of(body, dong)["circles_on_visit_target"] == 0
    assert row_of(body, zhong)["coverage"]["visited"] == 4
    assert (row_of(body, zhong)["registrations_handled"], row_of(body, dong)["registrations_handled"]) == (
        1,
        0,
    )


def test_calls_satisfaction_and_findings_roll_up_per_operator(client, month_of_work, staff_headers):
    zhong, _ = month_of_work
    _, supervisor = staff_headers("supervisor", "district", TUNXI)
    calls = draw(client, supervisor, zhong.id, size=3).get_json()["calls"]
    answers = [
        {"reached": True, "visit_confirmed": True, "data_correct": True, "satisfaction": 5},
        {"reached": True, "visit_confirmed": False, "data_correct": True, "satisfaction": 2},
        {"reached": False},
    ]
    for call, answer in zip(calls, answers, strict=True):
        client.post(f"/api/v1/spot-checks/{call['id']}/call", json=answer, headers=supervisor)

    row = row_of(
        client.get(KPIS, query_string={"month": month_text(last_month())}, headers=supervisor).get_json(),
        zhong,
    )

    assert (row["calls_drawn"], row["calls_made"], row["calls_reached"]) == (3, 3, 2)
    assert (row["calls_confirmed"], row["calls_correct"], row["satisfaction_mean"]) == (1, 2, 3.5)
    assert (row["findings_open"], row["findings_overdue"], row["findings_closed"]) == (1, 0, 0)


def test_an_operator_reads_its_own_row_and_a_circle_supervisor_its_circle(
    client, month_of_work, make_staff, login, staff_headers
):
    zhong, dong = month_of_work
    manager = make_staff("operator", "circle", "341002-chengzhong")
    db.session.get(Account, manager.id).operator_id = zhong.id
    db.session.commit()
    _, circle_supervisor = staff_headers("supervisor", "circle", "341002-chengdong")
    _, station = staff_headers("station_staff", "circle", "341002-chengzhong")
    query = {"month": month_text(last_month())}

    own = client.get(KPIS, query_string=query, headers=login(manager.username)).get_json()
    circle = client.get(KPIS, query_string=query, headers=circle_supervisor).get_json()

    assert [item["operator_id"] for item in own["items"]] == [zhong.id]
    assert [item["operator_id"] for item in circle["items"]] == [dong.id]
    assert client.get(KPIS, query_string=query, headers=station).status_code == 403
    assert client.get(KPIS, query_string={"month": "2026-13"}, headers=circle_supervisor).status_code == 422


def test_the_monthly_report_is_an_excel_file_of_the_kpis(client, month_of_work, staff_headers):
    zhong, dong = month_of_work
    _, headers = staff_headers("city_admin", "city", "341000000000")

    response = client.get(REPORT, query_string={"month": month_text(last_month())}, headers=headers)

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0].startswith("监理月报")
    header = next(index for index, row in enumerate(rows) if row[0] == "运营机构")
    data = {row[0]: row for row in rows[header + 1 :]}
    assert set(data) == {"城中运营", "城东运营"}
    assert data["城中运营"][2] == 10 and data["城东运营"][2] == 9
    assert count(AuditEvent, AuditEvent.action == "supervision_report.export") == 1
