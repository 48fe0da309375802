"""Grid work: the checklist as a walking route, progress figures, offline visit batches, status history."""

import contextlib
import itertools
import math
import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.common.clock import local_day, quarter_start
from app.common.geo import distance_m
from app.extensions import db
from app.models import (
    Household,
    Need,
    Resident,
    ResidentKeyGroup,
    StatusChange,
    Visit,
    utcnow,
)
from app.services.grid import visits as visit_service
from app.services.people.places import community_by_code, place_columns
from app.services.people.status import record_status
from tests.support import assign, error_of, new_household

GRID = "/api/v1/grid"
YUZHONG_1, YUZHONG_2 = "341002002001", "341002002002"  # both in 昱中 township (circle chengzhong)
LAOJIE_1 = "341002004001"  # 老街 township, same circle
YUZHONG_TOWNSHIP, CHENGZHONG = "341002002000", "341002-chengzhong"
YUZHONG = ("township", YUZHONG_TOWNSHIP)
OPERATOR = ("operator", "circle", CHENGZHONG)
PLACE_NAMES = ("community_id", "township_id", "circle_id", "district_id", "city_id")
# The start of the walks below: the centre of 昱中一社区.
START = (29.7170, 118.3190)

_keys = itertools.count(1)
_client_ids = itertools.count(1)


def new_client_id() -> str:
    """Return a fresh client-generated visit id, as the phone makes them."""
    return f"visit-{next(_client_ids):06d}"


def haversine_m(a, b) -> float:
    """Return the distance between two (lat, lng) points in metres (a mean earth radius)."""
    phi1, phi2 = math.radians(a[0]), math.radians(b[0])
    dphi, dlmb = phi2 - phi1, math.radians(b[1] - a[1])
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371000 * math.asin(math.sqrt(h))


def iso(moment: datetime) -> str:
    """Return an aware moment as the phone sends it."""
    return moment.isoformat()


def now() -> datetime:
    return datetime.now(UTC)


def visit(household_id, outcome="met", at=None, client_id=None, **fields) -> dict:
    """Return one item of a visit batch."""
    return {
        "client_id": client_id or new_client_id(),
        "visited_at": iso(at or now()),
        "household_id": household_id,
        "outcome": outcome,
        **fields,
    }


def send(client, headers, *items):
    """POST a batch of visits; return the per-item results."""
    response = client.post(f"{GRID}/visits", json={"visits": list(items)}, headers=headers)
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    return results


def send_visit(client, headers, household_id: int, outcome="met", **fields) -> dict:
    """Send one visit; return its result item (asserting it was applied)."""
    [result] = send(client, headers, visit(household_id, outcome, **fields))
    assert result["result"] == "applied", result
    return result


def checklist(client, headers, **args):
    response = client.get(f"{GRID}/checklist", query_string=args, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def progress(client, headers, as_of: date):
    response = client.get(f"{GRID}/progress", query_string={"as_of": as_of.isoformat()}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def insert_visit(worker, household, day: date, outcome="met", hour=10, client_id=None) -> Visit:
    """Write a visit row directly (at `hour` o'clock on the city's `day`)."""
    visited_at = datetime(day.year, day.month, day.day, hour) - timedelta(hours=8)
    row = Visit(
        worker_id=worker.id,
        client_id=client_id or new_client_id(),
        household_id=household.id,
        visited_at=visited_at,
        visit_day=day,
        outcome=outcome,
        **{name: getattr(household, name) for name in PLACE_NAMES},
    )
    db.session.add(row)
    db.session.commit()
    return row


def visit_count(**where) -> int:
    db.session.commit()
    statement = sa.select(sa.func.count()).select_from(Visit)
    for name, value in where.items():
        statement = statement.where(getattr(Visit, name) == value)
    return db.session.scalar(statement)


def status_changes(resident_id: int) -> list[StatusChange]:
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(StatusChange).where(StatusChange.resident_id == resident_id).order_by(StatusChange.id)
        )
    )


def open_needs(resident_id: int) -> list[tuple[str, int | None]]:
    db.session.commit()
    return sorted(
        db.session.execute(
            sa.select(Need.kind, Need.visit_id).where(
                Need.resident_id == resident_id, Need.closed_at.is_(None)
            )
        ).all()
    )


def current_groups(resident_id: int) -> list[str]:
    """Return the key groups current on the city's day, from the rows."""
    db.session.commit()
    rows = db.session.scalars(sa.select(ResidentKeyGroup).where(ResidentKeyGroup.resident_id == resident_id))
    return sorted(row.key_group for row in rows if row.is_current(local_day()))


def key_group_row(resident_id: int, group: str) -> ResidentKeyGroup | None:
    db.session.commit()
    return db.session.get(ResidentKeyGroup, (resident_id, group))


@pytest.fixture
def make_household(make_resident):
    """Return a factory: make_household(community, lat=, lng=, address=, members=[(status, groups)]).

    The household's members are written with make_resident, the first one its head.
    """

    def factory(community_code=YUZHONG_1, lat=None, lng=None, address=None, members=(("unemployed", ()),)):
        community = community_by_code(community_code)
        number = next(_keys)
        household = Household(
            key=f"HH-{number:04d}",
            address=address or f"屯溪区昱中路{number}号",
            lat=lat,
            lng=lng,
            **place_columns(community),
        )
        db.session.add(household)
        db.session.flush()
        for index, (status, groups) in enumerate(members):
            resident = make_resident(
                community_code, name=f"住户{number}-{index}", status=status, key_groups=groups
            )
            resident.household_id = household.id
            resident.is_household_head = index == 0
        db.session.commit()
        return household

    return factory


@pytest.fixture
def operator_headers(staff_headers):
    return staff_headers(*OPERATOR)[1]


@pytest.fixture
def grid_worker(client, staff_headers, operator_headers):
    """Return a factory: grid_worker(codes, scope=昱中 township) -> (account, headers), assigned by API."""

    def factory(codes, scope=YUZHONG):
        account, headers = staff_headers("grid_worker", *scope)
        response = client.put(
            f"/api/v1/grid-workers/{account.id}/communities",
            json={"community_codes": list(codes)},
            headers=operator_headers,
        )
        assert response.status_code == 200, response.get_json()
        assert [c["code"] for c in response.get_json()["communities"]] == sorted(codes)
        return account, headers

    return factory


def members_of(household: Household) -> list[Resident]:
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(Resident).where(Resident.household_id == household.id).order_by(Resident.id)
        )
    )


# ---- the checklist ----------------------------------------------------------------------------


def offset(point, north_m=0.0, east_m=0.0):
    """Return the point `north_m` metres north and `east_m` metres east of `point`."""
    lat = point[0] + north_m / 111195.0
    lng = point[1] + east_m / (111195.0 * math.cos(math.radians(point[0])))
    return round(lat, 6), round(lng, 6)


@pytest.fixture
def walk(make_household):
    """Households in an L: east along a street from START, then north; one west of START; two unlocated.

    Walking nearest-first from START: p1, p2, p3 east, then p4, p5 north of p3, then west last.
    Sorting by distance from START instead would put `west` second. Created in another order, so
    the ids do not give the route either.
    """
    points = {
        "p1": offset(START, east_m=100),
        "p2": offset(START, east_m=250),
        "p3": offset(START, east_m=450),
        "p4": offset(START, north_m=110, east_m=450),
        "p5": offset(START, north_m=330, east_m=450),
        "west": offset(START, east_m=-150),
    }
    made = {}
    for name in ("p5", "west", "p3", "p1", "p4", "p2"):
        lat, lng = points[name]
        made[name] = make_household(lat=lat, lng=lng)
    # Unlocated households come last, by address (B is made first, so id order is the other way).
    made["no_location_b"] = make_household(address="屯溪区昱中路B栋")
    made["no_location_a"] = make_household(address="屯溪区昱中路A栋")
    return made, points


ROUTE = ["p1", "p2", "p3", "p4", "p5", "west", "no_location_a", "no_location_b"]


def route_of(body, walk_households) -> list[str]:
    names = {h.id: name for name, h in walk_households.items()}
    return [names.get(item["household"]["id"], item["household"]["id"]) for item in body["items"]]


def test_checklist_is_a_nearest_neighbour_walk_from_where_i_stand(client, grid_worker, walk):
    households, points = walk
    _, headers = grid_worker([YUZHONG_1])

    body = checklist(client, headers, lat=START[0], lng=START[1])

    assert route_of(body, households) == ROUTE
    assert sorted(h.id for h in households.values()) != [households[n].id for n in ROUTE]
    assert body["remaining"] == 8
    assert body["quarter_start"] == quarter_start(local_day()).isoformat()
    # Each distance is from the previous stop (the first from where I stand).
    previous = START
    for name, item in zip(ROUTE[:6], body["items"], strict=False):
        assert item["distance_m"] == pytest.approx(haversine_m(previous, points[name]), abs=1.0), name
        previous = points[name]
    assert [item["distance_m"] for item in body["items"][6:]] == [None, None]
    assert body["items"][0]["distance_m"] == pytest.approx(100, abs=1.0)
    assert body["items"][5]["distance_m"] > 600  # back west from the far end of the L
    first = body["items"][0]
    assert first["last_visit"] is None
    assert first["household"]["lat"] == points["p1"][0]
    assert first["household"]["address"].startswith("屯溪区昱中路")
    assert [m["is_household_head"] for m in first["household"]["members"]] == [True]
    assert first["household"]["members"][0]["employment_status"] == "unemployed"
    assert body["follow_ups"] == []


def test_checklist_from_another_position_starts_elsewhere(client, grid_worker, walk):
    households, points = walk
    _, headers = grid_worker([YUZHONG_1])

    # Standing at the top of the L: walk back down it, then on to the west.
    body = checklist(client, headers, lat=points["p5"][0], lng=points["p5"][1])

    assert route_of(body, households) == [
        "p5",
        "p4",
        "p3",
        "p2",
        "p1",
        "west",
        "no_location_a",
        "no_location_b",
    ]
    assert body["items"][0]["distance_m"] == pytest.approx(0, abs=0.5)


def test_checklist_limit_cuts_the_route_not_the_count(client, grid_worker, walk):
    households, _ = walk
    _, headers = grid_worker([YUZHONG_1])

    three = checklist(client, headers, lat=START[0], lng=START[1], limit=3)
    seven = checklist(client, headers, lat=START[0], lng=START[1], limit=7)

    assert route_of(three, households) == ROUTE[:3]
    assert three["remaining"] == 8
    assert route_of(seven, households) == ROUTE[:7]
    response = client.get(f"{GRID}/checklist", query_string={"lat": START[0]}, headers=headers)
    assert response.status_code == 422 and error_of(response)["field"] == "lng"
    for bad in (0, 201):
        response = client.get(
            f"{GRID}/checklist",
            query_string={"lat": START[0], "lng": START[1], "limit": bad},
            headers=headers,
        )
        assert response.status_code == 422
        assert error_of(response)["field"] == "limit"


def test_checklist_without_a_position_lists_every_household(client, grid_worker, walk):
    households, _ = walk
    _, headers = grid_worker([YUZHONG_1])

    body = checklist(client, headers)

    assert sorted(route_of(body, households)) == sorted(ROUTE)
    assert route_of(body, households)[-2:] == ["no_location_a", "no_location_b"]


def test_met_this_quarter_drops_out_not_home_stays_last_quarter_does_not_count(client, grid_worker, walk):
    households, points = walk
    worker, headers = grid_worker([YUZHONG_1])
    first_of_quarter = quarter_start(local_day())
    insert_visit(worker, households["p3"], first_of_quarter - timedelta(days=1), "met")
    insert_visit(worker, households["p4"], first_of_quarter - timedelta(days=40), "met")

    results = send(
        client,
        headers,
        visit(households["p1"].id, "met"),
        visit(households["p2"].id, "not_home", at=now() - timedelta(minutes=1)),
        visit(households["p5"].id, "refused"),
        visit(households["no_location_a"].id, "met"),
    )

    assert [r["result"] for r in results] == ["applied"] * 4
    body = checklist(client, headers, lat=START[0], lng=START[1])
    # Without p1, west is now the nearest to START; from there the street east.
    assert route_of(body, households) == ["west", "p2", "p3", "p4", "p5", "no_location_b"]
    assert body["remaining"] == 6
    by_name = dict(zip(route_of(body, households), body["items"], strict=True))
    assert by_name["p2"]["distance_m"] == pytest.approx(haversine_m(points["west"], points["p2"]), abs=1.0)
    assert by_name["p2"]["last_visit"]["outcome"] == "not_home"
    assert by_name["p2"]["last_visit"]["worker_id"] == worker.id
    assert by_name["p2"]["last_visit"]["id"] == results[1]["visit_id"]
    assert by_name["p5"]["last_visit"]["outcome"] == "refused"
    # Met, but last quarter: still to visit, with that visit shown.
    assert by_name["p3"]["last_visit"]["outcome"] == "met"
    assert by_name["p3"]["last_visit"]["visited_at"].startswith(
        (first_of_quarter - timedelta(days=1)).isoformat()
    )
    assert by_name["west"]["last_visit"] is None


def test_a_later_not_home_does_not_bring_back_a_household_met_this_quarter(client, grid_worker, walk):
    households, _ = walk
    _, headers = grid_worker([YUZHONG_1])

    send(client, headers, visit(households["p1"].id, "met", at=now() - timedelta(hours=1)))
    send(client, headers, visit(households["p1"].id, "not_home"))

    assert "p1" not in route_of(checklist(client, headers, lat=START[0], lng=START[1]), households)


def test_checklist_shows_only_my_communities(client, grid_worker, make_household, walk):
    households, _ = walk
    _, headers = grid_worker([YUZHONG_1])
    _, other_headers = grid_worker([YUZHONG_2])
    # In my township but not assigned to me (another worker's), right where I stand.
    theirs = make_household(YUZHONG_2, lat=START[0], lng=START[1])
    send(
        client,
        other_headers,
        visit(theirs.id, members=[{"resident_id": members_of(theirs)[0].id, "needs": ["job"]}]),
    )

    mine = checklist(client, headers, lat=START[0], lng=START[1])
    their_list = checklist(client, other_headers, lat=START[0], lng=START[1])

    assert theirs.id not in [item["household"]["id"] for item in mine["items"]]
    assert mine["remaining"] == 8
    assert mine["follow_ups"] == []
    assert their_list["remaining"] == 0 and their_list["items"] == []
    assert [f["household_id"] for f in their_list["follow_ups"]] == [theirs.id]


def test_checklist_is_for_grid_workers_and_operators(client, staff_headers, grid_worker, walk):
    households, _ = walk
    _, station = staff_headers("station_staff", *YUZHONG)
    _, supervisor = staff_headers("supervisor", "circle", "341002-chengzhong")
    _, operator = staff_headers(*OPERATOR)

    for headers in (station, supervisor):
        response = client.get(
            f"{GRID}/checklist", query_string={"lat": START[0], "lng": START[1]}, headers=headers
        )
        assert response.status_code == 403
        assert error_of(response)["code"] == "role_forbidden"
        # Progress is open to supervisors (their place's workers: tests/stats), not to station staff.
        expected = 403 if headers is station else 200
        assert client.get(f"{GRID}/progress", headers=headers).status_code == expected
        response = client.post(
            f"{GRID}/visits", json={"visits": [visit(households["p1"].id)]}, headers=headers
        )
        assert response.status_code == 403
    assert client.get(f"{GRID}/checklist").status_code == 401
    # An operator (who also visits) gets the circle's households.
    assert checklist(client, operator, lat=START[0], lng=START[1])["remaining"] == 8
    assert visit_count() == 0


def test_follow_ups_are_listed_until_closed(client, grid_worker, make_household, walk):
    households, _ = walk
    worker, headers = grid_worker([YUZHONG_1])
    _, other_headers = grid_worker([YUZHONG_2])
    member = members_of(households["p2"])[0]

    [result] = send(
        client,
        headers,
        visit(households["p2"].id, members=[{"resident_id": member.id, "needs": ["job", "training"]}]),
    )

    body = checklist(client, headers, lat=START[0], lng=START[1])
    follow_ups = body["follow_ups"]
    assert sorted(f["kind"] for f in follow_ups) == ["job", "training"]
    assert {f["household_id"] for f in follow_ups} == {households["p2"].id}
    assert {f["visit_id"] for f in follow_ups} == {result["visit_id"]}
    assert {f["resident"]["id"] for f in follow_ups} == {member.id}
    assert follow_ups[0]["resident"]["name"] == member.name
    # The household was met, so it left the route, but its follow-ups stay.
    assert "p2" not in route_of(body, households)
    job = next(f for f in follow_ups if f["kind"] == "job")

    # Another worker cannot close it (not in their communities).
    response = client.post(f"{GRID}/needs/{job['id']}/close", headers=other_headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "need_not_found"

    response = client.post(f"{GRID}/needs/{job['id']}/close", headers=headers)
    assert response.status_code == 200, response.get_json()
    closed = response.get_json()
    assert closed["id"] == job["id"] and closed["kind"] == "job"
    assert closed["closed_by_id"] == worker.id and closed["closed_at"]
    assert [f["kind"] for f in checklist(client, headers)["follow_ups"]] == ["training"]
    # Closing again is harmless and keeps the first closing.
    again = client.post(f"{GRID}/needs/{job['id']}/close", headers=headers)
    assert again.status_code == 200
    assert again.get_json()["closed_at"] == closed["closed_at"]
    assert client.post(f"{GRID}/needs/999999/close", headers=headers).status_code == 404


def test_a_supervisor_may_not_close_a_follow_up(client, staff_headers, operator):
    worker, headers = staff_headers("grid_worker", "township", YUZHONG_TOWNSHIP)
    assign(client, operator[1], worker, [YUZHONG_1])
    home = new_household(YUZHONG_1, [("unemployed", "19900101")])
    member = db.session.scalar(sa.select(Resident.id).where(Resident.household_id == home.id))
    send_visit(client, headers, home.id, members=[{"resident_id": member, "needs": ["job"]}])
    need_id = db.session.scalar(sa.select(Need.id))
    _, supervisor = staff_headers("supervisor", "circle", CHENGZHONG)

    response = client.post(f"{GRID}/needs/{need_id}/close", headers=supervisor)

    assert response.status_code == 403, response.get_json()
    assert error_of(response)["code"] == "role_forbidden"
    db.session.expire_all()
    assert db.session.get(Need, need_id).closed_at is None


# ---- progress ---------------------------------------------------------------------------------


def test_progress_counts_distinct_visit_days_this_month_pro_rated(client, grid_worker, make_household):
    worker, headers = grid_worker([YUZHONG_1])
    other, _ = grid_worker([YUZHONG_1])
    home = make_household()
    june = [date(2025, 6, d) for d in (2, 3, 3, 5, 9)]  # two visits on the 3rd: one day
    for day in june:
        insert_visit(worker, home, day, "not_home")
    insert_visit(worker, home, date(2025, 6, 3), "met", hour=16)
    insert_visit(worker, home, date(2025, 5, 31), "met")  # last month
    insert_visit(worker, home, date(2025, 6, 20), "met")  # after as_of
    for d in (10, 11, 12, 13, 14):  # another worker's days
        insert_visit(other, home, date(2025, 6, d), "met")

    # Day 15 of 30: floor(10 × 15 / 30) = 5 due; 4 done.
    month = progress(client, headers, date(2025, 6, 15))["month"]
    assert month == {"visit_days": 4, "target": 10, "expected_by_now": 5, "on_track": False}

    insert_visit(worker, home, date(2025, 6, 15), "refused", hour=22)
    month = progress(client, headers, date(2025, 6, 15))["month"]
    assert month == {"visit_days": 5, "target": 10, "expected_by_now": 5, "on_track": True}

    # Day 14 of 30: floor(140 / 30) = 4; the visit of the 15th is not yet counted.
    month = progress(client, headers, date(2025, 6, 14))["month"]
    assert month == {"visit_days": 4, "target": 10, "expected_by_now": 4, "on_track": True}

    # February 2025 has 28 days: by the 20th, floor(200 / 28) = 7 are due; none were made.
    body = progress(client, headers, date(2025, 2, 20))
    assert body["as_of"] == "2025-02-20"
    assert body["month"] == {"visit_days": 0, "target": 10, "expected_by_now": 7, "on_track": False}
    # The last day of a month: all 10 due.
    assert progress(client, headers, date(2025, 6, 30))["month"]["expected_by_now"] == 10
    # Day 1 of a 31-day month: floor(10 / 31) = 0 due, so on track with none.
    month = progress(client, headers, date(2025, 7, 1))["month"]
    assert month == {"visit_days": 0, "target": 10, "expected_by_now": 0, "on_track": True}


def test_progress_counts_visits_sent_from_the_phone_in_the_citys_days(client, grid_worker, make_household):
    _, headers = grid_worker([YUZHONG_1])
    home = make_household()
    day = local_day() - timedelta(days=3)
    # 00:30 in Huangshan is 16:30 UTC the evening before: it counts on the city's day.
    early = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC) - timedelta(hours=8)
    late = datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC) - timedelta(hours=8)

    results = send(client, headers, visit(home.id, "not_home", at=early), visit(home.id, "met", at=late))

    assert [r["result"] for r in results] == ["applied", "applied"]
    assert progress(client, headers, day)["month"]["visit_days"] == 1
    assert progress(client, headers, day - timedelta(days=1))["month"]["visit_days"] == 0
    db.session.commit()
    assert set(db.session.scalars(sa.select(Visit.visit_day))) == {day}


def test_progress_quarter_coverage_per_community(client, grid_worker, make_household):
    worker, headers = grid_worker([YUZHONG_1, YUZHONG_2])
    a = [make_household(YUZHONG_1) for _ in range(3)]
    b = [make_household(YUZHONG_2) for _ in range(2)]
    make_household(LAOJIE_1)  # not mine
    insert_visit(worker, a[0], date(2025, 4, 2), "met")
    insert_visit(worker, a[0], date(2025, 5, 10), "met")  # met twice: one household
    insert_visit(worker, a[1], date(2025, 5, 1), "not_home")
    insert_visit(worker, a[2], date(2025, 6, 1), "refused")
    insert_visit(worker, a[2], date(2025, 3, 31), "met")  # last quarter
    insert_visit(worker, a[1], date(2025, 6, 20), "met")  # after as_of
    insert_visit(worker, b[0], date(2025, 6, 2), "met")
    insert_visit(worker, b[1], date(2025, 6, 3), "met")

    body = progress(client, headers, date(2025, 6, 15))

    assert body["quarter"]["start"] == "2025-04-01"
    rows = {row["community"]["code"]: row for row in body["quarter"]["communities"]}
    assert set(rows) == {YUZHONG_1, YUZHONG_2}
    assert rows[YUZHONG_1]["community"]["name"] == "昱中一社区"
    assert {k: v for k, v in rows[YUZHONG_1].items() if k != "community"} == {
        "households": 3,
        "met": 1,
        "coverage": pytest.approx(1 / 3, abs=1e-4),
        "target": 1.0,
        "not_home": 1,
        "refused": 1,
        "moved": 0,
        "contacted": 0,
    }
    assert {k: v for k, v in rows[YUZHONG_2].items() if k != "community"} == {
        "households": 2,
        "met": 2,
        "coverage": 1.0,
        "target": 1.0,
        "not_home": 0,
        "refused": 0,
        "moved": 0,
        "contacted": 0,
    }
    # On the first day of the next quarter nothing is met yet.
    later = progress(client, headers, date(2025, 7, 1))["quarter"]
    assert later["start"] == "2025-07-01"
    assert {row["community"]["code"]: row["met"] for row in later["communities"]} == {
        YUZHONG_1: 0,
        YUZHONG_2: 0,
    }
    # The first quarter: only the visit of 31 March.
    earlier = progress(client, headers, date(2025, 3, 31))["quarter"]
    assert {row["community"]["code"]: row["met"] for row in earlier["communities"]} == {
        YUZHONG_1: 1,
        YUZHONG_2: 0,
    }


def test_progress_rejects_a_bad_date(client, grid_worker):
    _, headers = grid_worker([YUZHONG_1])
    response = client.get(f"{GRID}/progress", query_string={"as_of": "2025-02-30"}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["field"] == "as_of"


# ---- visit batches ----------------------------------------------------------------------------


@pytest.fixture
def two_homes(make_household):
    """Two households in 昱中一社区: one of two (unemployed, employed), one of one."""
    first = make_household(members=(("unemployed", ()), ("employed", ())))
    second = make_household()
    return first, second


def test_a_batch_applies_good_items_and_rejects_bad_ones_on_their_own(
    client, grid_worker, make_household, two_homes
):
    worker, headers = grid_worker([YUZHONG_1])
    first, second = two_homes
    m1, _ = members_of(first)
    [stranger] = members_of(second)
    unassigned = make_household(YUZHONG_2)  # in my township, not assigned to me
    good = visit(
        first.id, members=[{"resident_id": m1.id, "employment_status": "employed"}], lat=29.717, lng=118.32
    )
    items = [
        good,
        {**good},  # the same client_id again in the same batch
        visit(first.id, at=now() + timedelta(minutes=10)),
        visit(first.id, at=now() - timedelta(days=46)),
        visit(unassigned.id),
        visit(first.id, members=[{"resident_id": stranger.id, "employment_status": "employed"}]),
        visit(first.id, "not_home", members=[{"resident_id": m1.id, "needs": ["job"]}]),
        visit(first.id, client_id="short"),
        visit(first.id, outcome="maybe"),
        {k: v for k, v in visit(first.id).items() if k != "household_id"},
        visit(first.id, colour="blue"),
        {**visit(first.id), "visited_at": "2025-06-01T10:00:00"},  # no offset
        visit(second.id, "not_home", notes="敲门无人"),
        visit(first.id, lat=118.32, lng=29.717),  # swapped
        "not a visit",
    ]

    results = send(client, headers, *items)

    outcome = [(r["result"], (r.get("error") or {}).get("code")) for r in results]
    assert outcome == [
        ("applied", None),
        ("duplicate", None),
        ("rejected", "visited_at_in_future"),
        ("rejected", "visited_at_too_old"),
        ("rejected", "household_not_found"),
        ("rejected", "not_a_member"),
        ("rejected", "updates_need_met"),
        ("rejected", "validation_error"),
        ("rejected", "validation_error"),
        ("rejected", "validation_error"),
        ("rejected", "validation_error"),
        ("rejected", "validation_error"),
        ("applied", None),
        ("rejected", "coordinates_swapped"),
        ("rejected", "validation_error"),
    ]
    assert [r["client_id"] for r in results[:-1]] == [item["client_id"] for item in items[:-1]]
    assert results[-1]["client_id"] is None
    assert results[1]["visit_id"] == results[0]["visit_id"]
    assert results[0]["status_changes"] == 1 and results[12]["status_changes"] == 0
    fields = [set((r.get("error") or {}).get("fields") or {}) for r in results]
    assert fields[2] == fields[3] == {"visited_at"}
    assert fields[4] == {"household_id"}
    assert fields[5] == fields[6] == {"members"}
    assert fields[7] == {"client_id"}
    assert fields[8] == {"outcome"}
    assert fields[9] == {"household_id"}
    assert fields[10] == {"colour"}
    assert fields[11] == {"visited_at"}
    assert fields[13] == {"lat"}
    assert {"client_id", "visited_at", "household_id", "outcome"} <= fields[14]
    assert all(r["error"]["message"] for r in results if r["result"] == "rejected")
    # Rows for the two good items only.
    db.session.commit()
    rows = list(db.session.scalars(sa.select(Visit).order_by(Visit.id)))
    assert [(v.client_id, v.household_id, v.outcome) for v in rows] == [
        (items[0]["client_id"], first.id, "met"),
        (items[12]["client_id"], second.id, "not_home"),
    ]
    assert [v.id for v in rows] == [results[0]["visit_id"], results[12]["visit_id"]]
    assert rows[0].worker_id == worker.id and (rows[0].lat, rows[0].lng) == (29.717, 118.32)
    assert rows[0].community_id == first.community_id and rows[0].township_id == first.township_id
    assert rows[0].member_updates == [{"resident_id": m1.id, "employment_status": "employed"}]
    assert rows[1].notes == "敲门无人" and rows[1].member_updates is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0
    assert [c.source for c in status_changes(stranger.id)] == ["staff"]


def test_a_rejected_item_in_the_middle_keeps_what_came_before_and_after(client, grid_worker, two_homes):
    _, headers = grid_worker([YUZHONG_1])
    first, second = two_homes
    m1, m2 = members_of(first)

    results = send(
        client,
        headers,
        visit(
            first.id, members=[{"resident_id": m1.id, "employment_status": "flexible", "needs": ["claim"]}]
        ),
        visit(first.id, "refused", members=[{"resident_id": m2.id, "employment_status": "unemployed"}]),
        visit(second.id, members=[{"resident_id": members_of(second)[0].id, "needs": ["policy"]}]),
    )

    assert [r["result"] for r in results] == ["applied", "rejected", "applied"]
    db.session.commit()
    assert db.session.get(Resident, m1.id).employment_status == "flexible"
    assert db.session.get(Resident, m2.id).employment_status == "employed"
    assert open_needs(m1.id) == [("claim", results[0]["visit_id"])]
    assert visit_count() == 2


def test_the_time_window_is_five_minutes_ahead_and_45_days_back(client, grid_worker, two_homes):
    _, headers = grid_worker([YUZHONG_1])
    first, _ = two_homes

    results = send(
        client,
        headers,
        visit(first.id, "not_home", at=now() + timedelta(minutes=4)),
        visit(first.id, "not_home", at=now() + timedelta(minutes=6)),
        visit(first.id, "not_home", at=now() - timedelta(days=44, hours=23)),
        visit(first.id, "not_home", at=now() - timedelta(days=45, minutes=5)),
        # The phone's clock in +08:00: the same instant as UTC, so not in the future.
        visit(first.id, "not_home", at=now().astimezone(timezone(timedelta(hours=8)))),
    )

    assert [(r["result"], (r.get("error") or {}).get("code")) for r in results] == [
        ("applied", None),
        ("rejected", "visited_at_in_future"),
        ("applied", None),
        ("rejected", "visited_at_too_old"),
        ("applied", None),
    ]


def test_a_visit_is_applied_once_by_client_id_across_batches(client, grid_worker, two_homes, make_household):
    worker, headers = grid_worker([YUZHONG_1])
    other, other_headers = grid_worker([YUZHONG_1])
    first, _ = two_homes
    m1, _ = members_of(first)
    item = visit(
        first.id, members=[{"resident_id": m1.id, "employment_status": "employed", "needs": ["job"]}]
    )

    [applied] = send(client, headers, item)
    [again] = send(client, headers, item)
    # A resend whose body changed meanwhile is still the same visit: nothing is applied twice.
    [changed] = send(client, headers, {**item, "outcome": "refused", "members": []})

    assert applied["result"] == "applied" and applied["status_changes"] == 1
    assert again == {
        "index": 0,
        "client_id": item["client_id"],
        "result": "duplicate",
        "visit_id": applied["visit_id"],
    }
    assert changed["result"] == "duplicate" and changed["visit_id"] == applied["visit_id"]
    assert visit_count() == 1
    assert len(status_changes(m1.id)) == 2  # the first status and one visit change
    assert open_needs(m1.id) == [("job", applied["visit_id"])]
    # Client ids are the phone's: another worker may use the same one.
    [theirs] = send(client, other_headers, {**item, "members": []})
    assert theirs["result"] == "applied" and theirs["visit_id"] != applied["visit_id"]
    assert visit_count(worker_id=worker.id) == 1 and visit_count(worker_id=other.id) == 1


def test_a_resend_of_an_applied_visit_stays_a_duplicate_after_it_grew_old(client, grid_worker, two_homes):
    worker, headers = grid_worker([YUZHONG_1])
    first, _ = two_homes
    old = insert_visit(worker, first, local_day() - timedelta(days=60), client_id="queued-long-ago-1")

    [result] = send(
        client, headers, visit(first.id, at=now() - timedelta(days=60), client_id="queued-long-ago-1")
    )

    assert result["result"] == "duplicate" and result["visit_id"] == old.id


def test_a_batch_holds_at_most_100_visits(client, grid_worker, two_homes):
    _, headers = grid_worker([YUZHONG_1])
    first, _ = two_homes

    response = client.post(
        f"{GRID}/visits", json={"visits": [visit(first.id, "not_home") for _ in range(101)]}, headers=headers
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "batch_too_large"
    assert error_of(response)["field"] == "visits"
    assert visit_count() == 0
    results = send(client, headers, *[visit(first.id, outcome="unknown") for _ in range(100)])
    assert len(results) == 100
    for body in ({}, {"visits": "x"}, {"visits": [], "extra": 1}):
        assert client.post(f"{GRID}/visits", json=body, headers=headers).status_code == 422
    assert send(client, headers) == []


def test_status_changes_only_when_it_changes_with_source_visit(client, grid_worker, two_homes):
    worker, headers = grid_worker([YUZHONG_1])
    first, _ = two_homes
    m1, m2 = members_of(first)
    backdate_the_ledger()
    at = now() - timedelta(hours=2)

    [a] = send(
        client,
        headers,
        visit(
            first.id,
            at=at,
            members=[
                {"resident_id": m1.id, "employment_status": "employed"},
                {"resident_id": m2.id, "employment_status": "employed"},  # already employed
            ],
        ),
    )
    [b] = send(
        client, headers, visit(first.id, members=[{"resident_id": m1.id, "employment_status": "employed"}])
    )
    [c] = send(
        client, headers, visit(first.id, members=[{"resident_id": m1.id, "employment_status": "flexible"}])
    )

    assert (a["status_changes"], b["status_changes"], c["status_changes"]) == (1, 0, 1)
    changes = status_changes(m1.id)
    assert [(x.from_status, x.to_status, x.source) for x in changes] == [
        (None, "unemployed", "staff"),
        ("unemployed", "employed", "visit"),
        ("employed", "flexible", "visit"),
    ]
    assert [x.actor_id for x in changes[1:]] == [worker.id, worker.id]
    assert changes[1].note == f"visit {a['visit_id']}" and changes[2].note == f"visit {c['visit_id']}"
    assert abs(changes[1].occurred_at - at.replace(tzinfo=None)) < timedelta(seconds=1)
    assert [(x.from_status, x.to_status) for x in status_changes(m2.id)] == [(None, "employed")]
    db.session.commit()
    assert db.session.get(Resident, m1.id).employment_status == "flexible"


# Issue 18: set without evidence, a group counts but is not "verified" (only a certification is).
def test_key_groups_set_by_a_visit_count_but_are_not_certified(client, grid_worker, make_household):
    worker, headers = grid_worker([YUZHONG_1])
    home = make_household(
        members=(
            ("unemployed", ("migrant_worker",)),
            ("unemployed_registered", ("veteran",)),
        )
    )
    plain, registered = members_of(home)
    yesterday = local_day() - timedelta(days=1)
    backdate_the_ledger()

    [result] = send(
        client,
        headers,
        visit(
            home.id,
            members=[
                {
                    "resident_id": plain.id,
                    "key_groups": ["hard_to_employ", "veteran", "registered_unemployed"],
                },
                {"resident_id": registered.id, "key_groups": []},
            ],
        ),
    )

    assert result["result"] == "applied"
    assert current_groups(plain.id) == ["hard_to_employ", "veteran"]
    assert current_groups(registered.id) == ["registered_unemployed"]
    for group in ("hard_to_employ", "veteran"):
        row = key_group_row(plain.id, group)
        assert (row.source, row.verified_by_id, row.since, row.until) == (
            "visit",
            None,
            local_day(),
            None,
        )
    assert key_group_row(plain.id, "registered_unemployed") is None
    assert key_group_row(plain.id, "migrant_worker").until == yesterday
    assert key_group_row(registered.id, "veteran").until == yesterday
    kept = key_group_row(registered.id, "registered_unemployed")
    assert (kept.source, kept.until) == ("staff", None)
    # The status did not change, so no history was written.
    assert len(status_changes(plain.id)) == 1 and len(status_changes(registered.id)) == 1


def test_a_key_group_ended_by_a_visit_is_no_longer_shown_late_in_the_utc_day(
    client, grid_worker, make_household, monkeypatch
):
    from app.common import clock

    # 01:00 in Huangshan on the server's tomorrow: 17:00 UTC on a server whose clock says UTC.
    tomorrow = date.today() + timedelta(days=1)
    monkeypatch.setattr(
        clock,
        "local_now",
        lambda: datetime(tomorrow.year, tomorrow.month, tomorrow.day, 1, tzinfo=clock.zone()),
    )
    _, headers = grid_worker([YUZHONG_1])
    home = make_household(members=(("unemployed", ("migrant_worker",)),))
    [member] = members_of(home)
    backdate_the_ledger()

    send(client, headers, visit(home.id, members=[{"resident_id": member.id, "key_groups": ["veteran"]}]))

    assert (
        key_group_row(member.id, "migrant_worker").until == date.today()
    )  # ended: it applied until yesterday
    response = client.get(f"/api/v1/households/{home.id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["members"][0]["key_groups"] == ["veteran"]


def test_key_groups_left_out_of_an_update_are_kept(client, grid_worker, make_household):
    _, headers = grid_worker([YUZHONG_1])
    home = make_household(members=(("unemployed", ("migrant_worker",)),))
    [member] = members_of(home)

    send(client, headers, visit(home.id, members=[{"resident_id": member.id, "needs": ["training"]}]))

    assert key_group_row(member.id, "migrant_worker").until is None


def test_needs_open_once_per_kind_until_closed(client, grid_worker, two_homes):
    _, headers = grid_worker([YUZHONG_1])
    first, _ = two_homes
    m1, m2 = members_of(first)

    [a] = send(
        client,
        headers,
        visit(
            first.id,
            members=[
                {"resident_id": m1.id, "needs": ["job", "job", "training"]},
                {"resident_id": m2.id, "needs": ["job"]},
            ],
        ),
    )
    [b] = send(client, headers, visit(first.id, members=[{"resident_id": m1.id, "needs": ["job", "claim"]}]))

    assert open_needs(m1.id) == sorted(
        [("job", a["visit_id"]), ("training", a["visit_id"]), ("claim", b["visit_id"])]
    )
    assert open_needs(m2.id) == [("job", a["visit_id"])]
    db.session.commit()
    job = db.session.scalar(sa.select(Need).where(Need.resident_id == m1.id, Need.kind == "job"))
    assert job.household_id == first.id
    assert client.post(f"{GRID}/needs/{job.id}/close", headers=headers).status_code == 200

    [c] = send(client, headers, visit(first.id, members=[{"resident_id": m1.id, "needs": ["job"]}]))

    assert ("job", c["visit_id"]) in open_needs(m1.id)
    db.session.commit()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Need).where(Need.resident_id == m1.id)) == 4
    )
    response = client.post(
        f"{GRID}/visits",
        json={"visits": [visit(first.id, members=[{"resident_id": m1.id, "needs": ["lunch"]}])]},
        headers=headers,
    )
    assert response.get_json()["results"][0]["error"]["code"] == "validation_error"


def test_a_met_visit_gives_an_unlocated_household_its_location(client, staff_headers, operator):
    worker, headers = staff_headers("grid_worker", "township", YUZHONG_TOWNSHIP)
    assign(client, operator[1], worker, [YUZHONG_1])
    door = (29.7188, 118.3190)  # about 200 m north of where the worker starts below
    start = (29.7170, 118.3190)
    unlocated = new_household(YUZHONG_1, [("employed", "19800101")])
    not_home = new_household(YUZHONG_1, [("employed", "19800101")])
    located = new_household(YUZHONG_1, [("employed", "19800101")], lat=29.7100, lng=118.3100)

    send_visit(client, headers, unlocated.id, "met", lat=door[0], lng=door[1])
    send_visit(client, headers, not_home.id, "not_home", lat=door[0], lng=door[1])
    send_visit(client, headers, located.id, "met", lat=door[0], lng=door[1])

    db.session.expire_all()
    assert (db.session.get(Household, unlocated.id).lat, db.session.get(Household, unlocated.id).lng) == door
    assert db.session.get(Household, not_home.id).lat is None  # nobody opened the door
    assert (db.session.get(Household, located.id).lat, db.session.get(Household, located.id).lng) == (
        29.7100,
        118.3100,
    )
    # Date the met visit to last quarter: the household is due again, and routed by its new point.
    last_quarter = quarter_start(local_day()) - timedelta(days=1)
    db.session.execute(
        sa.update(Visit)
        .where(Visit.household_id == unlocated.id)
        .values(
            visit_day=last_quarter,
            visited_at=datetime(last_quarter.year, last_quarter.month, last_quarter.day, 2),
        )
    )
    db.session.commit()
    response = client.get(
        f"{GRID}/checklist", query_string={"lat": start[0], "lng": start[1]}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    [item] = [i for i in response.get_json()["items"] if i["household"]["id"] == unlocated.id]
    assert (item["household"]["lat"], item["household"]["lng"]) == door
    assert item["distance_m"] == pytest.approx(distance_m(*start, *door), abs=2)


# ---- status history ---------------------------------------------------------------------------


def backdate_the_ledger(days: int = 10) -> None:
    """Date every status change and key-group start `days` back, so visits of the last days are newer.

    (A key-group period ended on the day it began never applied, and is removed instead.)
    """
    db.session.execute(sa.update(StatusChange).values(occurred_at=utcnow() - timedelta(days=days)))
    db.session.execute(sa.update(ResidentKeyGroup).values(since=local_day() - timedelta(days=days)))
    db.session.commit()


def test_a_visit_older_than_the_ledger_keeps_only_its_needs(client, grid_worker, make_household):
    worker, headers = grid_worker([YUZHONG_1])
    home = make_household(members=(("unemployed", ()),))
    [member] = members_of(home)
    backdate_the_ledger()
    # Hired today: a newer word on this person than the offline visit of three days ago.
    record_status(db.session.get(Resident, member.id), "employed", "hire")
    db.session.commit()

    [result] = send(
        client,
        headers,
        visit(
            home.id,
            at=now() - timedelta(days=3),
            members=[{"resident_id": member.id, "employment_status": "unemployed", "needs": ["training"]}],
        ),
    )

    assert (result["result"], result["status_changes"], result["stale_updates"]) == ("applied", 0, 1)
    assert db.session.get(Resident, member.id).employment_status == "employed"
    assert [n.kind for n in db.session.scalars(sa.select(Need).where(Need.resident_id == member.id))] == [
        "training"
    ]


def test_status_history_shows_changes_and_key_group_periods(
    client, grid_worker, staff_headers, make_household
):
    worker, headers = grid_worker([YUZHONG_1], scope=("community", YUZHONG_1))
    home = make_household(members=(("unemployed", ("migrant_worker",)),))
    [member] = members_of(home)
    backdate_the_ledger()
    at = now() - timedelta(days=2)
    [first] = send(
        client,
        headers,
        visit(home.id, at=at, members=[{"resident_id": member.id, "employment_status": "employed"}]),
    )
    [second] = send(
        client,
        headers,
        visit(
            home.id,
            members=[{"resident_id": member.id, "employment_status": "flexible", "key_groups": ["veteran"]}],
        ),
    )
    _, station = staff_headers("station_staff", *YUZHONG)

    for viewer in (headers, station):
        response = client.get(f"/api/v1/residents/{member.id}/status-history", headers=viewer)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["resident_id"] == member.id and body["employment_status"] == "flexible"
        assert [
            (c["from_status"], c["to_status"], c["source"], c["actor_id"], c["note"]) for c in body["changes"]
        ] == [
            (None, "unemployed", "staff", None, None),
            ("unemployed", "employed", "visit", worker.id, f"visit {first['visit_id']}"),
            ("employed", "flexible", "visit", worker.id, f"visit {second['visit_id']}"),
        ]
        ids = [c["id"] for c in body["changes"]]
        assert ids == sorted(ids)
        occurred = datetime.fromisoformat(body["changes"][1]["occurred_at"])
        assert abs(occurred - at) < timedelta(seconds=1)
        groups = {g["key_group"]: g for g in body["key_groups"]}
        assert set(groups) == {"migrant_worker", "veteran"}
        assert groups["migrant_worker"]["until"] == (local_day() - timedelta(days=1)).isoformat()
        assert groups["migrant_worker"]["source"] == "staff"
        assert groups["veteran"] == {
            "key_group": "veteran",
            "since": local_day().isoformat(),
            "until": None,
            "source": "visit",
            "verified_by_id": None,  # set by hand: not certified (issue 18)
            "certified": False,
            "certification_id": None,
        }


def test_status_history_out_of_scope_is_404(client, staff_headers, make_household, grid_worker):
    home = make_household(members=(("unemployed", ()),))
    [member] = members_of(home)
    _, laojie_worker = grid_worker([LAOJIE_1], scope=("community", LAOJIE_1))
    _, yudong_station = staff_headers("station_staff", "township", "341002001000")
    bad_token = {"Authorization": "Bearer nonsense"}

    for headers in (laojie_worker, yudong_station):
        response = client.get(f"/api/v1/residents/{member.id}/status-history", headers=headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "resident_not_found"
    assert client.get("/api/v1/residents/999999/status-history", headers=yudong_station).status_code == 404
    assert client.get(f"/api/v1/residents/{member.id}/status-history", headers=bad_token).status_code == 401


def test_status_history_is_for_staff_only(client, wechat_login, make_household):
    home = make_household()
    [member] = members_of(home)
    _, headers, _ = wechat_login()

    response = client.get(f"/api/v1/residents/{member.id}/status-history", headers=headers)

    assert response.status_code == 403


# ---- concurrency (real backend) ---------------------------------------------------------------


def test_the_same_batch_from_two_threads_applies_each_visit_once(
    app, client, grid_worker, make_household, backend, monkeypatch
):
    if backend != "real":
        pytest.skip("SQLite serialises writers; the concurrent variant runs on MariaDB")
    # Answer as production does (a 500 envelope) instead of raising into the test.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _, headers = grid_worker([YUZHONG_1])
    homes = [make_household() for _ in range(30)]
    batch = [
        visit(
            home.id,
            members=[
                {"resident_id": members_of(home)[0].id, "employment_status": "employed", "needs": ["job"]}
            ],
        )
        for home in homes
    ]
    db.session.commit()
    barrier = threading.Barrier(2)
    responses, failures = [], []
    # Make the overlap certain: both threads look up the first visit before either writes it
    # (a fix that serialises before the look-up only makes this wait time out, not fail).
    first_lookup = threading.Barrier(2)
    seen = set()
    lookup = visit_service._existing

    def existing(actor, client_id):
        if threading.get_ident() not in seen:
            seen.add(threading.get_ident())
            with contextlib.suppress(threading.BrokenBarrierError):
                first_lookup.wait(timeout=3)
        return lookup(actor, client_id)

    monkeypatch.setattr(visit_service, "_existing", existing)

    def run():
        try:
            web = FlaskClient(app, app.response_class)
            barrier.wait()
            response = web.post(f"{GRID}/visits", json={"visits": batch}, headers=headers)
            responses.append((response.status_code, response.get_json()))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures

    assert [status for status, _ in responses] == [200, 200], [body for _, body in responses]
    outcomes = {}
    for _, body in responses:
        for result in body["results"]:
            outcomes.setdefault(result["client_id"], []).append((result["result"], result["visit_id"]))
    assert set(outcomes) == {item["client_id"] for item in batch}
    for client_id, pair in outcomes.items():
        assert sorted(r for r, _ in pair) == ["applied", "duplicate"], (client_id, pair)
        assert pair[0][1] == pair[1][1]
    assert visit_count() == 30
    db.session.commit()
    visit_changes = sa.select(sa.func.count()).select_from(StatusChange).where(StatusChange.source == "visit")
    assert db.session.scalar(visit_changes) == 30
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 30


def test_an_assigned_community_without_households_shows_as_zero_of_zero(client, grid_worker, make_household):
    _, headers = grid_worker([YUZHONG_1, YUZHONG_2])
    make_household(YUZHONG_1)

    quarter = progress(client, headers, local_day())["quarter"]
    rows = {row["community"]["code"]: row for row in quarter["communities"]}

    assert (rows[YUZHONG_2]["households"], rows[YUZHONG_2]["met"], rows[YUZHONG_2]["coverage"]) == (0, 0, 0.0)
    assert rows[YUZHONG_1]["households"] == 1


def test_walking_order_from_far_away_and_among_households_at_one_spot():
    from types import SimpleNamespace

    from app.services.grid.checklist import walking_order

    def household(ident, lat, lng):
        return SimpleNamespace(id=ident, lat=lat, lng=lng, address=None)

    # Three at the very same spot (a block of flats) and a fourth 300 m off; the worker starts
    # 5 km away. The cells are tiny here; the search must not walk the empty ones between.
    same = [household(n, 29.7160, 118.3180) for n in (3, 1, 2)]
    off = household(4, 29.7187, 118.3180)
    alone = walking_order(same, 29.7610, 118.3180, limit=10)  # cells of 1e-9°: 5 km is 10⁷ of them
    assert [stop.id for stop, _ in alone] == [1, 2, 3]
    route = walking_order([off, *same], 29.7610, 118.3180, limit=10)
    assert [stop.id for stop, _ in route] == [4, 1, 2, 3]
    assert [metres for _, metres in route][1:] == [pytest.approx(300, abs=1), 0.0, 0.0]
