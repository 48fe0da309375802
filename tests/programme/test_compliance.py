"""Compliance (达标): each rule at its boundary, gaps with since-when, closed when met, read in scope."""

import uuid
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, ComplianceGap, Household, Visit
from app.services.people.places import find_place
from app.services.programme.compliance import check_compliance
from tests.support import assign_directly, count, error_of, make_household

GAPS = "/api/v1/compliance/gaps"
# A Sunday in December: the check judges November (visit days) and the third quarter (coverage).
TODAY = date(2026, 12, 6)
YUZHONG_1, YUZHONG_2, YUDONG_1 = "341002002001", "341002002002", "341002001001"
TUNXI = "341002000000"


def circle_id(code: str) -> int:
    """Return a circle's id by its code."""
    return find_place("circle", code).id


def open_gaps(rule: str, **where) -> list[ComplianceGap]:
    """Return the open gaps of one rule (matching `where`)."""
    db.session.commit()
    statement = sa.select(ComplianceGap).where(ComplianceGap.rule == rule, ComplianceGap.closed_at.is_(None))
    for name, value in where.items():
        statement = statement.where(getattr(ComplianceGap, name) == value)
    return list(db.session.scalars(statement.order_by(ComplianceGap.id)))


def household(code: str = YUZHONG_1, since: date = date(2026, 6, 1)) -> Household:
    """Write a household of one member, in the ledger since `since`."""
    row = make_household(code, [("住户", "employed", None)], key=f"H-{uuid.uuid4().hex[:8]}")
    row.created_at = datetime(since.year, since.month, since.day)
    db.session.commit()
    return row


def visit(worker, home: Household, day: date, outcome: str = "met", channel: str = "door") -> None:
    """Write a visit of `worker` to a household on the city's `day`."""
    place = {
        name: getattr(home, name)
        for name in ("community_id", "township_id", "circle_id", "district_id", "city_id")
    }
    db.session.add(
        Visit(
            worker_id=worker.id,
            client_id=uuid.uuid4().hex,
            household_id=home.id,
            visited_at=datetime(day.year, day.month, day.day, 2),
            visit_day=day,
            outcome=outcome,
            channel=channel,
            **place,
        )
    )
    db.session.commit()


@pytest.fixture
def worker(make_staff):
    """A grid worker of 昱中一社区 (城中), part-time."""
    account = make_staff("grid_worker", "community", YUZHONG_1)
    account.employment_type = "part_time"
    assign_directly(account, [YUZHONG_1])
    return account


def test_a_circle_without_a_station_is_a_gap_until_one_opens(client, staff_headers, places):
    _, city = staff_headers("city_admin", "city", "341000000000")
    chengzhong = circle_id("341002-chengzhong")

    check_compliance(TODAY)
    first = open_gaps("circle_station", place_id=chengzhong)
    assert len(first) == 1 and first[0].detail == {"stations": 0} and first[0].place_kind == "circle"
    opened_at = first[0].opened_at

    created = client.post(
        "/api/v1/stations",
        json={"name": "城中服务站", "circle": "341002-chengzhong", "lat": 29.717, "lng": 118.319},
        headers=city,
    )
    assert created.status_code == 201, created.get_json()
    counts = check_compliance(TODAY)

    assert open_gaps("circle_station", place_id=chengzhong) == []
    closed = db.session.get(ComplianceGap, first[0].id)
    assert closed.closed_at is not None and closed.open_key is None and closed.opened_at == opened_at
    assert counts["closed"] >= 1
    # The other five circles of 屯溪区 still have none.
    assert len(open_gaps("circle_station", district_id=find_place("district", TUNXI).id)) == 5


def test_a_gap_keeps_its_since_when_across_runs(places):
    check_compliance(TODAY)
    gap = open_gaps("circle_station")[0]
    opened_at, checked_at = gap.opened_at, gap.checked_at

    counts = check_compliance(TODAY)

    again = db.session.get(ComplianceGap, gap.id)
    assert again.opened_at == opened_at and again.checked_at >= checked_at and again.closed_at is None
    assert counts["opened"] == 0 and counts["refreshed"] == counts["open"]


def test_nine_door_visit_days_in_a_closed_month_are_a_gap_ten_are_not(worker, places):
    home = household()
    for day in range(1, 10):
        visit(worker, home, date(2026, 11, day))
    # A phone call and a second visit on a day already counted add no visit day.
    visit(worker, home, date(2026, 11, 20), channel="phone")
    visit(worker, home, date(2026, 11, 9), outcome="not_home")

    check_compliance(TODAY)
    gaps = open_gaps("circle_visit_days", place_id=circle_id("341002-chengzhong"))
    assert [(g.period, g.detail) for g in gaps] == [("2026-11", {"visit_days": 9, "target": 10})]

    visit(worker, home, date(2026, 11, 30), outcome="refused")  # any door visit makes a visit day
    check_compliance(TODAY)

    assert open_gaps("circle_visit_days", place_id=circle_id("341002-chengzhong")) == []


def test_the_month_in_progress_is_progress_not_a_gap(client, worker, staff_headers, places):
    home = household()
    for day in (1, 2):
        visit(worker, home, date(2026, 12, day))
    _, headers = staff_headers("district_admin", "district", TUNXI)

    response = client.get("/api/v1/compliance/circles", query_string={"as_of": "2026-12-06"}, headers=headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["month"] == "2026-12" and body["quarter"] == "2026Q4"
    row = next(r for r in body["circles"] if r["circle"]["code"] == "341002-chengzhong")
    # 10 days a month pro-rated: 10 × 6 ÷ 31 = 1 day due by the 6th; 2 done.
    assert (row["visit_days"], row["expected_by_now"], row["behind"]) == (2, 1, False)
    assert (row["households"], row["met"], row["coverage"]) == (1, 1, 1.0)
    assert len(body["circles"]) == 6


def test_a_household_not_visited_at_the_door_in_the_quarter_is_a_gap(worker, places):
    met, called = household(), household(YUZHONG_2)
    household(since=date(2026, 10, 15))  # entered after the quarter: not due in it
    visit(worker, met, date(2026, 8, 3))
    visit(worker, called, date(2026, 8, 4), channel="phone")

    check_compliance(TODAY)
    gaps = open_gaps("quarter_coverage", place_id=circle_id("341002-chengzhong"))
    assert [(g.period, g.detail) for g in gaps] == [("2026Q3", {"households": 2, "met": 1, "unvisited": 1})]

    visit(worker, called, date(2026, 9, 30))
    check_compliance(TODAY)

    assert open_gaps("quarter_coverage") == []


def test_a_household_that_moved_away_is_not_due(worker, places):
    home = household()
    visit(worker, home, date(2026, 7, 2), outcome="moved")

    check_compliance(TODAY)

    assert open_gaps("quarter_coverage") == []


def test_a_circle_needs_a_full_time_staff_member_placed_in_it(make_staff, places):
    chengzhong = circle_id("341002-chengzhong")
    staff = make_staff("station_staff", "circle", "341002-chengzhong")
    staff.employment_type = "part_time"
    db.session.commit()
    check_compliance(TODAY)
    assert len(open_gaps("circle_full_time_staff", place_id=chengzhong)) == 1

    staff.employment_type = "full_time"
    db.session.commit()
    check_compliance(TODAY)
    assert open_gaps("circle_full_time_staff", place_id=chengzhong) == []

    # Placed on a township of the circle counts too; a deactivated account does not.
    chengdong = circle_id("341002-chengdong")
    other = make_staff("station_staff", "township", "341002001000")
    other.employment_type = "full_time"
    db.session.commit()
    check_compliance(TODAY)
    assert open_gaps("circle_full_time_staff", place_id=chengdong) == []
    other.is_active = False
    db.session.commit()
    check_compliance(TODAY)
    assert len(open_gaps("circle_full_time_staff", place_id=chengdong)) == 1


def test_each_community_needs_an_employment_officer(worker, places):
    check_compliance(TODAY)

    short = {g.place_id for g in open_gaps("community_officer")}
    assert find_place("community", YUZHONG_1).id not in short
    assert find_place("community", YUZHONG_2).id in short
    gap = open_gaps("community_officer", place_id=find_place("community", YUZHONG_2).id)[0]
    assert gap.circle_id == circle_id("341002-chengzhong") and gap.period is None


def test_gaps_are_read_in_scope(client, make_operator, make_staff, staff_headers, login, places):
    check_compliance(TODAY)
    manager = make_staff("operator", "circle", "341002-chengzhong")
    make_operator(circle_key="chengzhong", staff=[manager])
    _, tunxi = staff_headers("district_admin", "district", TUNXI)
    _, huangshan = staff_headers("district_admin", "district", "341003000000")
    _, chengdong_supervisor = staff_headers("supervisor", "circle", "341002-chengdong")
    _, grid = staff_headers("grid_worker", "community", YUZHONG_1)

    def places_seen(headers) -> set:
        response = client.get(GAPS, query_string={"per_page": 100}, headers=headers)
        assert response.status_code == 200, response.get_json()
        return {(row["place"]["kind"], row["place"]["code"]) for row in response.get_json()["items"]}

    tunxi_seen = places_seen(tunxi)
    assert ("circle", "341002-chengzhong") in tunxi_seen and ("community", YUZHONG_2) in tunxi_seen
    assert places_seen(huangshan) == {("community", "341003100001")}
    assert {code for _, code in places_seen(chengdong_supervisor)} == {"341002-chengdong", YUDONG_1}
    operator_seen = places_seen(login(manager.username))
    assert {code for _, code in operator_seen} == {"341002-chengzhong", YUZHONG_1, YUZHONG_2, "341002004001"}
    assert client.get(GAPS, headers=grid).status_code == 403

    tunxi_gap = open_gaps("circle_station", place_id=circle_id("341002-chengdong"))[0]
    outside = client.get(f"{GAPS}/{tunxi_gap.id}", headers=huangshan)
    assert outside.status_code == 404 and error_of(outside)["code"] == "compliance_gap_not_found"
    inside = client.get(f"{GAPS}/{tunxi_gap.id}", headers=tunxi)
    assert inside.status_code == 200
    assert inside.get_json()["opened_at"] and inside.get_json()["days_open"] == 0
    assert inside.get_json()["district"]["code"] == TUNXI


def test_the_operator_answering_is_named_on_its_circles_gaps(make_operator, places):
    operator = make_operator(circle_key="chengzhong")

    check_compliance(TODAY)

    assert {g.operator_id for g in open_gaps("circle_station", place_id=circle_id("341002-chengzhong"))} == {
        operator.id
    }
    assert {g.operator_id for g in open_gaps("circle_station", place_id=circle_id("341002-chengdong"))} == {
        None
    }


def test_closed_gaps_are_listed_on_asking(client, staff_headers, places):
    check_compliance(TODAY)
    _, headers = staff_headers("district_admin", "district", TUNXI)
    for each in open_gaps("circle_station"):
        each.closed_at, each.open_key = datetime(2026, 12, 1), None
    db.session.commit()

    closed = client.get(GAPS, query_string={"status": "closed", "rule": "circle_station"}, headers=headers)
    still = client.get(GAPS, query_string={"rule": "circle_station"}, headers=headers)

    assert closed.get_json()["total"] == 6 and not closed.get_json()["items"][0]["open"]
    assert still.get_json()["total"] == 0
    bad = client.get(GAPS, query_string={"rule": "no_such_rule"}, headers=headers)
    assert bad.status_code == 422


def test_a_check_asked_for_by_an_admin_runs_now_and_is_audited(client, staff_headers, places):
    admin, headers = staff_headers("district_admin", "district", TUNXI)
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")

    response = client.post("/api/v1/compliance/refresh", headers=headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["opened"] == count(ComplianceGap) > 0
    assert count(AuditEvent, AuditEvent.action == "compliance.check", AuditEvent.actor_id == admin.id) == 1
    refused = client.post("/api/v1/compliance/refresh", headers=operator)
    assert refused.status_code == 403 and error_of(refused)["code"] == "role_forbidden"


def test_the_scheduled_task_checks(app, places):
    from app.tasks.programme import check_compliance as task

    task()

    assert count(ComplianceGap, ComplianceGap.rule == "circle_station") == 6
