"""Planned visits (预约走访): plan in my area, list mine, cancel, done once a visit is recorded."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import PlannedVisit
from tests.support import assign_directly, count, error_of, new_household

GRID = "/api/v1/grid"
PLANNED = f"{GRID}/planned-visits"
YUZHONG_1, YUZHONG_2 = "341002002001", "341002002002"


@pytest.fixture
def worker(make_staff, login):
    """Return a factory: worker(codes) -> (account, headers), a 昱中 township grid worker on them."""

    def factory(codes=(YUZHONG_1,)):
        account = make_staff("grid_worker", "township", "341002002000")
        assign_directly(account, list(codes))
        return account, login(account.username)

    return factory


def later(hours: float) -> str:
    """Return now + hours, with its offset, as the phone sends it."""
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


def plan(client, headers, household_id, hours=24.0, client_id=None, **fields):
    """Plan a visit through the API."""
    body = {
        "client_id": client_id or uuid.uuid4().hex,
        "household_id": household_id,
        "planned_at": later(hours),
        **fields,
    }
    return client.post(PLANNED, json=body, headers=headers)


def cancel(client, planned_visit_id: int, headers):
    """Cancel a planned visit."""
    return client.patch(f"{PLANNED}/{planned_visit_id}", json={"status": "cancelled"}, headers=headers)


def test_a_worker_plans_lists_and_cancels_their_visits(client, worker, places):
    _, headers = worker()
    home = new_household(YUZHONG_1, [("unemployed", "19800101")])

    later_one = plan(client, headers, home.id, hours=48, note="复核就业状态")
    sooner = plan(client, headers, home.id, hours=3)
    cancelled = cancel(client, later_one.get_json()["id"], headers)
    again = cancel(client, later_one.get_json()["id"], headers)
    mine = client.get(PLANNED, headers=headers).get_json()
    still_planned = client.get(PLANNED, query_string={"status": "planned"}, headers=headers).get_json()

    assert later_one.status_code == 201, later_one.get_json()
    assert later_one.get_json()["note"] == "复核就业状态" and later_one.get_json()["status"] == "planned"
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"
    assert [item["id"] for item in mine["items"]] == [sooner.get_json()["id"], later_one.get_json()["id"]]
    assert [item["id"] for item in still_planned["items"]] == [sooner.get_json()["id"]]


def test_a_repeated_plan_is_made_once(client, worker, places):
    _, headers = worker()
    home = new_household(YUZHONG_1, [("unemployed", "19800101")])

    first = plan(client, headers, home.id, client_id="plan-same-0001")
    second = plan(client, headers, home.id, hours=30, client_id="plan-same-0001")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json() == first.get_json()
    assert count(PlannedVisit) == 1


@pytest.mark.parametrize(
    ("hours", "code"),
    [(-2, "planned_at_past"), (24 * 61, "planned_at_too_far")],
)
def test_a_plan_is_for_a_time_to_come_within_the_window(client, worker, places, hours, code):
    _, headers = worker()
    home = new_household(YUZHONG_1, [("unemployed", "19800101")])

    response = plan(client, headers, home.id, hours=hours)

    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == (code, "planned_at")
    assert count(PlannedVisit) == 0


def test_only_households_of_my_communities_and_only_my_plans(client, worker, staff_headers, places):
    _, mine = worker([YUZHONG_1])
    _, colleague = worker([YUZHONG_2])
    other_home = new_household(YUZHONG_2, [("unemployed", "19800101")])
    _, station_staff = staff_headers("station_staff", "circle", "341002-chengzhong")

    outside = plan(client, mine, other_home.id)
    theirs = plan(client, colleague, other_home.id)
    cancel_theirs = cancel(client, theirs.get_json()["id"], mine)
    by_station = plan(client, station_staff, other_home.id)

    assert outside.status_code == 422 and error_of(outside)["code"] == "household_not_found"
    assert theirs.status_code == 201
    assert cancel_theirs.status_code == 404 and error_of(cancel_theirs)["code"] == "planned_visit_not_found"
    assert by_station.status_code == 403 and error_of(by_station)["code"] == "role_forbidden"
    assert client.get(PLANNED, headers=mine).get_json()["items"] == []


def test_a_recorded_visit_marks_the_plan_done_and_it_can_no_longer_be_cancelled(client, worker, places):
    _, headers = worker()
    home = new_household(YUZHONG_1, [("unemployed", "19800101")])
    planned = plan(client, headers, home.id, hours=1).get_json()
    # An offline visit of yesterday, sent only now, is not the visit planned today.
    old = {
        "client_id": "visit-old-0001",
        "visited_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "household_id": home.id,
        "outcome": "not_home",
    }
    client.post(f"{GRID}/visits", json={"visits": [old]}, headers=headers)
    assert db.session.get(PlannedVisit, planned["id"]).status == "planned"

    sent = client.post(
        f"{GRID}/visits",
        json={
            "visits": [{**old, "client_id": "visit-now-0001", "visited_at": datetime.now(UTC).isoformat()}]
        },
        headers=headers,
    )
    [result] = sent.get_json()["results"]
    listed = client.get(PLANNED, headers=headers).get_json()["items"]
    too_late = cancel(client, planned["id"], headers)

    assert result["result"] == "applied"
    assert (listed[0]["status"], listed[0]["visit_id"]) == ("done", result["visit_id"])
    assert too_late.status_code == 409 and error_of(too_late)["code"] == "planned_visit_done"


def test_bad_input_is_refused_with_its_field(client, worker, places):
    _, headers = worker()

    missing = client.post(PLANNED, json={"client_id": "plan-bad-0001"}, headers=headers)
    naive = client.post(
        PLANNED,
        json={"client_id": "plan-bad-0002", "household_id": 1, "planned_at": "2030-01-01T09:00:00"},
        headers=headers,
    )
    long_note = plan(client, headers, 1, note="长" * 201)
    bad_status = client.get(PLANNED, query_string={"status": "maybe"}, headers=headers)
    bad_change = client.patch(f"{PLANNED}/1", json={"status": "done"}, headers=headers)

    assert missing.status_code == 422 and set(error_of(missing)["fields"]) == {"household_id", "planned_at"}
    assert naive.status_code == 422 and error_of(naive)["field"] == "planned_at"
    assert long_note.status_code == 422 and error_of(long_note)["field"] == "note"
    assert bad_status.status_code == 422 and error_of(bad_status)["field"] == "status"
    assert bad_change.status_code == 422 and error_of(bad_change)["field"] == "status"
