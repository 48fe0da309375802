"""Households a visit found moved away (已搬离) leave the checklist and the quarter's coverage."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.common.clock import local_day
from tests.support import assign, new_household

GRID = "/api/v1/grid"
YZ1 = "341002002001"


@pytest.fixture
def worker(client, staff_headers, operator):
    """A grid worker assigned to 昱中一社区: (account, headers)."""
    account, headers = staff_headers("grid_worker", "township", "341002002000")
    assign(client, operator[1], account, [YZ1])
    return account, headers


@pytest.fixture
def homes(places):
    """Three households of 昱中一社区 (ids in creation order)."""
    return [
        new_household(YZ1, [("unemployed", "19800101")], lat=29.7170 + i / 1000, lng=118.3190)
        for i in range(3)
    ]


def record_visit(client, headers, household_id: int, outcome: str, hours_ago: float = 0) -> None:
    """Send one visit from the phone, `hours_ago` hours back."""
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    item = {
        "client_id": uuid.uuid4().hex,
        "visited_at": at.isoformat(),
        "household_id": household_id,
        "outcome": outcome,
    }
    response = client.post(f"{GRID}/visits", json={"visits": [item]}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["results"][0]["result"] == "applied", response.get_json()


def on_checklist(client, headers) -> tuple[list[int], int]:
    """Return the checklist's household ids and its `remaining`."""
    response = client.get(f"{GRID}/checklist", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return sorted(item["household"]["id"] for item in body["items"]), body["remaining"]


def coverage(client, headers) -> dict:
    """Return this quarter's coverage row of 昱中一社区 (without the community)."""
    response = client.get(
        f"{GRID}/progress", query_string={"as_of": local_day().isoformat()}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    [row] = response.get_json()["quarter"]["communities"]
    return {key: row[key] for key in ("households", "met", "coverage", "moved")}


def test_a_household_found_moved_leaves_the_checklist_and_the_coverage(client, worker, homes):
    _, headers = worker
    stays, moved, met = (home.id for home in homes)
    record_visit(client, headers, met, "met")

    record_visit(client, headers, moved, "moved")

    assert on_checklist(client, headers) == ([stays], 1)
    assert coverage(client, headers) == {"households": 2, "met": 1, "coverage": 0.5, "moved": 1}


def test_a_later_visit_puts_a_moved_household_back(client, worker, homes):
    _, headers = worker
    stays, moved, _ = (home.id for home in homes)
    record_visit(client, headers, moved, "moved", hours_ago=3)
    assert moved not in on_checklist(client, headers)[0]

    # Someone lives there after all (a new family, or the old one back): met, and covered.
    record_visit(client, headers, moved, "met", hours_ago=1)

    assert on_checklist(client, headers) == (sorted({stays, homes[2].id}), 2)
    assert coverage(client, headers) == {"households": 3, "met": 1, "coverage": round(1 / 3, 4), "moved": 0}


def test_a_moved_visit_synced_late_does_not_hide_a_newer_one(client, worker, homes):
    _, headers = worker
    household = homes[1].id
    record_visit(client, headers, household, "not_home", hours_ago=1)

    # The phone was offline: the `moved` of yesterday arrives after today's attempt.
    record_visit(client, headers, household, "moved", hours_ago=26)

    assert household in on_checklist(client, headers)[0]
    assert coverage(client, headers)["moved"] == 0
