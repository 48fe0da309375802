"""Training for staff: audiences of sign-up and check-in, hours per person per year, the report in scope."""

import uuid
from datetime import datetime

import pytest

from app.common import clock
from app.extensions import db
from app.models import CheckIn, Event, EventSignup
from tests.support import at, count, error_of, event_url, open_event

EVENTS = "/api/v1/events"
CHECK_INS = "/api/v1/check-ins"
MY_HOURS = f"{EVENTS}/training-hours/me"
STAFF_HOURS = f"{EVENTS}/training-hours"
TUNXI = ("district", "341002000000")
YUZHONG_TOWNSHIP = ("township", "341002002000")
CHENGZHONG = ("circle", "341002-chengzhong")


@pytest.fixture
def organiser(staff_headers):
    """屯溪's district admin, who schedules trainings and reads the district's report (not a trainee)."""
    return staff_headers("district_admin", *TUNXI)


def training(client, headers, **fields) -> dict:
    """Open a training for check-in now; staff only unless fields say otherwise."""
    return open_event(client, headers, kind="training", audience="staff", **fields)


def scan(client, headers, event_id: int):
    """Check in with an event's live code."""
    body = {"url_or_token": event_url(event_id), "purpose": "event", "client_id": uuid.uuid4().hex}
    return client.post(CHECK_INS, json=body, headers=headers)


def attended(account_id: int, event_id: int) -> None:
    """Record an attendance of a training whose check-in window is closed (past, or not yet open)."""
    event = db.session.get(Event, event_id)
    db.session.add(
        CheckIn(
            account_id=account_id,
            client_id=uuid.uuid4().hex,
            event_id=event.id,
            purpose="event",
            via="event",
            day=event.starts_at.date(),
            queue_key=f"e{event.id}",
            queue_number=1,
            **{name: getattr(event, name) for name in ("community_id", "township_id", "circle_id")},
            district_id=event.district_id,
            city_id=event.city_id,
        )
    )
    db.session.commit()


def test_a_training_shows_its_audience_hours_and_topic(client, organiser):
    event = training(client, organiser[1], credit_hours=2.5, topic="platform_use")

    shown = client.get(f"{EVENTS}/{event['id']}").get_json()

    assert (shown["audience"], shown["credit_hours"], shown["topic"]) == ("staff", 2.5, "platform_use")
    assert (
        client.get(f"{EVENTS}/{open_event(client, organiser[1])['id']}").get_json()["audience"] == "everyone"
    )


def test_staff_only_trainings_are_listed_to_staff_only(client, organiser, staff_headers, make_seeker):
    staff_only = training(client, organiser[1])
    fair = open_event(client, organiser[1])
    _, grid_worker = staff_headers("grid_worker", *YUZHONG_TOWNSHIP)

    def listed(headers) -> list[int]:
        response = client.get(EVENTS, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert listed({}) == [fair["id"]]
    assert listed(make_seeker().headers) == [fair["id"]]
    assert sorted(listed(grid_worker)) == sorted([staff_only["id"], fair["id"]])


def test_staff_sign_up_for_staff_trainings_and_residents_do_not(
    client, organiser, staff_headers, make_seeker, make_employer
):
    staff_only = training(client, organiser[1])
    residents_only = open_event(client, organiser[1], audience="residents")
    _, grid_worker = staff_headers("grid_worker", *YUZHONG_TOWNSHIP)
    _, station_staff = staff_headers("station_staff", *CHENGZHONG)
    _, employer = make_employer()
    resident_headers = make_seeker().headers

    worker_in = client.post(f"{EVENTS}/{staff_only['id']}/signups", headers=grid_worker)
    staff_in = client.post(f"{EVENTS}/{staff_only['id']}/signups", headers=station_staff)
    resident_out = client.post(f"{EVENTS}/{staff_only['id']}/signups", headers=resident_headers)
    employer_out = client.post(f"{EVENTS}/{staff_only['id']}/signups", headers=employer)
    worker_out = client.post(f"{EVENTS}/{residents_only['id']}/signups", headers=grid_worker)
    cancelled = client.delete(f"{EVENTS}/{staff_only['id']}/signups/me", headers=station_staff)

    assert (worker_in.status_code, staff_in.status_code) == (201, 201)
    for refused in (resident_out, employer_out, worker_out):
        assert refused.status_code == 422
        assert (error_of(refused)["code"], error_of(refused)["field"]) == ("event_audience", "event_id")
    assert cancelled.status_code == 204
    assert count(EventSignup, EventSignup.cancelled_at.is_(None)) == 1


def test_a_staff_check_in_at_a_training_is_attendance_and_credits_its_hours(
    client, organiser, staff_headers, make_seeker
):
    event = training(client, organiser[1], credit_hours=2.5, topic="platform_use")
    worker, headers = staff_headers("grid_worker", *YUZHONG_TOWNSHIP)
    seeker = make_seeker()

    attended = scan(client, headers, event["id"])
    resident_refused = scan(client, seeker.headers, event["id"])
    mine = client.get(MY_HOURS, headers=headers)

    assert attended.status_code == 201, attended.get_json()
    row = db.session.get(CheckIn, attended.get_json()["id"])
    assert (row.account_id, row.resident_id) == (worker.id, None)
    assert resident_refused.status_code == 422 and error_of(resident_refused)["code"] == "event_audience"
    assert mine.status_code == 200
    body = mine.get_json()
    assert (body["year"], body["hours"]) == (clock.local_day().year, 2.5)
    assert [(t["event_id"], t["topic"], t["hours"]) for t in body["trainings"]] == [
        (event["id"], "platform_use", 2.5)
    ]


def test_hours_per_person_role_and_place_in_the_readers_scope(client, organiser, staff_headers):
    year = clock.local_day().year
    two_hours = training(client, organiser[1], credit_hours=2, topic="platform_use")
    # No credit_hours: its length counts (10 minutes ago to 170 minutes from now: 3 hours).
    three_hours = training(client, organiser[1], topic="data_analysis", ends_at=at(170))
    fair = open_event(client, organiser[1], kind="job_fair")
    last_year = client.post(
        EVENTS,
        json={
            "title": "去年的培训",
            "kind": "training",
            "audience": "staff",
            "credit_hours": 8,
            "lat": 29.7160,
            "lng": 118.3180,
            "starts_at": f"{year - 1}-06-15T09:00:00+08:00",
            "ends_at": f"{year - 1}-06-15T17:00:00+08:00",
        },
        headers=organiser[1],
    ).get_json()
    worker, worker_headers = staff_headers("grid_worker", *YUZHONG_TOWNSHIP)
    station, station_headers = staff_headers("station_staff", *CHENGZHONG)
    idle, _ = staff_headers("grid_worker", "community", "341002002001")
    for event in (two_hours, three_hours, fair):
        assert scan(client, worker_headers, event["id"]).status_code == 201
    assert scan(client, station_headers, two_hours["id"]).status_code == 201
    client.post(f"{EVENTS}/{three_hours['id']}/signups", headers=station_headers)  # signed up, never came
    attended(station.id, last_year["id"])
    _, township_admin = staff_headers("township_admin", *YUZHONG_TOWNSHIP)

    district = client.get(STAFF_HOURS, headers=organiser[1]).get_json()
    township = client.get(STAFF_HOURS, headers=township_admin).get_json()
    before = client.get(STAFF_HOURS, query_string={"year": year - 1}, headers=organiser[1]).get_json()

    hours = {p["account_id"]: (p["role"], p["hours"], p["trainings"]) for p in district["people"]}
    assert hours[worker.id] == ("grid_worker", 5.0, 2)
    assert hours[station.id] == ("station_staff", 2.0, 1)
    assert hours[idle.id] == ("grid_worker", 0.0, 0)
    by_role = {row["role"]: (row["staff"], row["trained"], row["hours"]) for row in district["by_role"]}
    assert by_role["grid_worker"] == (2, 1, 5.0) and by_role["station_staff"] == (1, 1, 2.0)
    by_place = {(row["kind"], row["code"]): row["hours"] for row in district["by_place"]}
    assert by_place[YUZHONG_TOWNSHIP] == 5.0 and by_place[CHENGZHONG] == 2.0
    # A township's admin sees the staff placed in the township and its communities, not the circle's.
    assert station.id not in {p["account_id"] for p in township["people"]}
    assert {worker.id, idle.id} <= {p["account_id"] for p in township["people"]}
    assert {p["account_id"]: p["hours"] for p in before["people"]}[station.id] == 8.0


def test_the_report_is_for_admins_and_the_year_is_checked(client, staff_headers):
    _, worker = staff_headers("grid_worker", *YUZHONG_TOWNSHIP)
    _, admin = staff_headers("district_admin", *TUNXI)

    refused = client.get(STAFF_HOURS, headers=worker)
    bad_year = client.get(STAFF_HOURS, query_string={"year": 1999}, headers=admin)
    not_mine = client.get(MY_HOURS, headers=admin)

    assert refused.status_code == 403 and error_of(refused)["code"] == "role_forbidden"
    assert bad_year.status_code == 422 and error_of(bad_year)["field"] == "year"
    assert not_mine.status_code == 403


def test_a_training_counts_in_the_citys_calendar_year_of_its_start(client, organiser, staff_headers):
    """A training starting 1 January 00:30 in Huangshan (31 December in UTC) is the new year's."""
    year = clock.local_day().year
    worker, headers = staff_headers("grid_worker", *YUZHONG_TOWNSHIP)
    new_year = client.post(
        EVENTS,
        json={
            "title": "新年培训",
            "kind": "training",
            "audience": "staff",
            "credit_hours": 1,
            "lat": 29.7160,
            "lng": 118.3180,
            "starts_at": f"{year}-01-01T00:30:00+08:00",
            "ends_at": f"{year}-01-01T01:30:00+08:00",
        },
        headers=organiser[1],
    ).get_json()
    attended(worker.id, new_year["id"])

    this_year = client.get(MY_HOURS, headers=headers).get_json()
    the_year_before = client.get(MY_HOURS, query_string={"year": year - 1}, headers=headers).get_json()

    assert db.session.get(Event, new_year["id"]).starts_at == datetime(year - 1, 12, 31, 16, 30)
    assert (this_year["hours"], the_year_before["hours"]) == (1.0, 0)
