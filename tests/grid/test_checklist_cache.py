"""The checklist's kept unmet households (Redis) follow every change at once, and it answers without Redis."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.api.schemas.grid import ChecklistItemSchema, NeedSchema
from app.extensions import RedisBreaker, db, get_redis, guarded_redis
from app.models import Household, Need, Resident, Visit
from tests.conftest import make_id_number
from tests.support import assign, new_household

GRID = "/api/v1/grid"
IMPORT = "/api/v1/imports/households"
YZ1, YZ2 = "341002002001", "341002002002"
NORTH_M = 1 / 111_320  # a metre north, in degrees


@pytest.fixture
def worker(client, staff_headers, operator):
    """A grid worker of the 昱中 township assigned to 昱中一社区: (account, headers)."""
    account, headers = staff_headers("grid_worker", "township", "341002002000")
    assign(client, operator[1], account, [YZ1])
    return account, headers


@pytest.fixture
def street(places):
    """Five households of 昱中一社区 in a row, 100 m apart going north (ids in that order)."""
    return [
        new_household(
            YZ1,
            [("unemployed", "19800101"), ("employed", "19820202")],
            lat=29.7 + i * 100 * NORTH_M,
            lng=118.3,
        )
        for i in range(5)
    ]


def get_checklist(client, headers, **query) -> dict:
    """GET the checklist and return its body."""
    response = client.get(f"{GRID}/checklist", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def stops(body: dict) -> list[int]:
    """Return the checklist's household ids in route order."""
    return [item["household"]["id"] for item in body["items"]]


def send_visit(
    client, headers, household_id: int, outcome="met", channel="door", hours_ago=0.0, members=None
):
    """Send one visit from the phone and check it was applied."""
    item = {
        "client_id": uuid.uuid4().hex,
        "visited_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(),
        "household_id": household_id,
        "outcome": outcome,
        "channel": channel,
        "members": members or [],
    }
    response = client.post(f"{GRID}/visits", json={"visits": [item]}, headers=headers)
    assert response.get_json()["results"][0]["result"] == "applied", response.get_json()


def kept_sets(app) -> list[bytes]:
    """Return the names of the unmet-household sets kept in Redis."""
    return list(get_redis().scan_iter("checklist:*:unmet:*"))


def redis_down(app) -> None:
    """Point the app's cache Redis at a port where nothing listens (queues untouched)."""
    app.extensions["redis"] = guarded_redis("redis://127.0.0.1:1/0", app.config, RedisBreaker("down", 60))


def import_rows(client, headers, rows: list[dict]) -> dict:
    """Import ledger rows (CSV, with lat/lng columns) and return the report."""
    names = ["household_key", "name", "id_number", "address", "community_code", "lat", "lng"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names)
    writer.writeheader()
    writer.writerows(rows)
    response = client.post(
        IMPORT,
        data={"file": (io.BytesIO(buffer.getvalue().encode()), "ledger.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_door_visit_takes_the_household_off_the_next_checklist(app, client, worker, street):
    _, headers = worker
    start = {"lat": 29.7, "lng": 118.3}
    first = get_checklist(client, headers, **start)
    assert stops(first) == [h.id for h in street] and first["remaining"] == 5
    assert kept_sets(app)  # the next answers come from the kept set

    send_visit(client, headers, street[0].id, "met")
    after_met = get_checklist(client, headers, **start)
    assert stops(after_met) == [h.id for h in street[1:]] and after_met["remaining"] == 4

    # A call is no door visit: the household stays, showing the call as its last contact.
    send_visit(client, headers, street[1].id, "met", channel="phone")
    after_call = get_checklist(client, headers, **start)
    assert stops(after_call) == [h.id for h in street[1:]]
    assert after_call["items"][0]["last_visit"]["channel"] == "phone"

    # Found moved away: off the route at once; a later visit finding someone puts it back.
    send_visit(client, headers, street[2].id, "moved", hours_ago=2)
    assert street[2].id not in stops(get_checklist(client, headers, **start))
    send_visit(client, headers, street[2].id, "not_home", hours_ago=1)
    assert street[2].id in stops(get_checklist(client, headers, **start))


def test_an_import_shows_at_once_new_households_and_moved_ones(client, worker, street, staff_headers):
    _, headers = worker
    _, admin = staff_headers("township_admin", "township", "341002002000")
    start = {"lat": 29.7, "lng": 118.3}
    assert stops(get_checklist(client, headers, limit=1, **start)) == [street[0].id]

    key = db.session.get(Household, street[0].id).key
    far = 29.7 + 2000 * NORTH_M
    report = import_rows(
        client,
        admin,
        [
            # A new household, not located: last on the route.
            {
                "household_key": "YZ-NEW-1",
                "name": "新住户",
                "id_number": make_id_number(birth="19900101"),
                "address": "屯溪区昱中街道新路1号",
                "community_code": YZ1,
                "lat": "",
                "lng": "",
            },
            # The nearest household moved 2 km north in the ledger: no longer the first stop.
            {
                "household_key": key,
                "name": "搬家人",
                "id_number": make_id_number(birth="19910101"),
                "address": "",
                "community_code": YZ1,
                "lat": str(far),
                "lng": "118.3",
            },
        ],
    )
    assert report["households_created"] == 1 and not report["rejected"], report

    body = get_checklist(client, headers, **start)
    new = db.session.scalar(sa.select(Household.id).where(Household.key == "YZ-NEW-1"))
    assert body["remaining"] == 6
    assert stops(body) == [h.id for h in street[1:]] + [street[0].id, new]
    assert stops(get_checklist(client, headers, limit=1, **start)) == [street[1].id]


def test_an_assignment_change_shows_at_once(client, worker, street, operator):
    account, headers = worker
    elsewhere = new_household(YZ2, [("unemployed", "19800101")], lat=29.71, lng=118.31)
    assert set(stops(get_checklist(client, headers))) == {h.id for h in street}

    assign(client, operator[1], account, [YZ2])
    assert stops(get_checklist(client, headers)) == [elsewhere.id]

    assign(client, operator[1], account, [YZ1, YZ2])
    body = get_checklist(client, headers)
    assert set(stops(body)) == {h.id for h in street} | {elsewhere.id} and body["remaining"] == 6

    assign(client, operator[1], account, [])
    assert get_checklist(client, headers) == {**body, "remaining": 0, "items": []}


@pytest.fixture
def seeded(client, worker, places):
    """A community of 40 households (4 unlocated), with met, called and moved ones, needs and key groups."""
    _, headers = worker
    homes = [
        new_household(
            YZ1,
            [("unemployed", "19800101"), ("flexible", "19950615"), ("student", "20100301")][: 1 + i % 3],
            lat=None if i % 10 == 3 else 29.7 + (i * 37 % 41) * 23 * NORTH_M,
            lng=None if i % 10 == 3 else 118.3 + (i * 17 % 29) * 0.0002,
        )
        for i in range(40)
    ]
    db.session.commit()
    for i, home in enumerate(homes):
        member = db.session.scalar(sa.select(Resident.id).where(Resident.household_id == home.id).limit(1))
        if i % 7 == 0:
            send_visit(client, headers, home.id, "met")
        elif i % 7 == 1:
            updates = [{"resident_id": member, "key_groups": ["hard_to_employ"], "needs": ["training"]}]
            send_visit(client, headers, home.id, "met", channel="phone", members=updates)
        elif i in (2, 5):
            send_visit(client, headers, home.id, "moved")
    return homes


def old_answer_items(body: dict) -> list[dict]:
    """Write the body's stops again the old way: ORM objects through the marshmallow schema."""
    db.session.expire_all()
    items = []
    for item in body["items"]:
        household = db.session.get(Household, item["household"]["id"])
        last = db.session.scalar(
            sa.select(Visit)
            .where(Visit.household_id == household.id)
            .order_by(Visit.visited_at.desc())
            .limit(1)
        )
        dumped = ChecklistItemSchema().dump(
            {"household": household, "distance_m": item["distance_m"], "last_visit": last}
        )
        dumped["household"]["members"].sort(key=lambda member: member["id"])
        items.append(dumped)
    return items


QUERIES = [
    {},
    {"limit": 200},
    {"lat": 29.7, "lng": 118.3, "limit": 10},
    {"lat": 29.705, "lng": 118.303, "limit": 50},
    {"lat": 29.72, "lng": 118.31, "limit": 3},
]


def test_the_kept_answer_equals_the_query_s_and_the_old_rendering(app, client, worker, seeded):
    _, headers = worker
    kept = [get_checklist(client, headers, **query) for query in QUERIES]
    assert kept_sets(app)
    assert kept[1]["remaining"] == 40 - 6 - 2 == len(kept[1]["items"])  # 6 met at the door, 2 moved
    assert [item["household"]["lat"] for item in kept[1]["items"][-4:]] == [None] * 4  # unlocated last
    assert any(
        item["household"]["members"][0]["key_groups"] == ["hard_to_employ"] for item in kept[1]["items"]
    )
    assert len(kept[1]["follow_ups"]) == 6

    # The same stops in the same order, and each written as the marshmallow schema writes the objects.
    for body in kept:
        assert body["items"] == old_answer_items(body)
    needs = db.session.scalars(sa.select(Need).order_by(Need.created_at, Need.id)).all()
    assert kept[0]["follow_ups"] == [
        NeedSchema().dump({"need": need, "resident": db.session.get(Resident, need.resident_id)})
        for need in needs
    ]

    # Without Redis the answer comes from the query: the same, to the byte of JSON.
    redis_down(app)
    assert [get_checklist(client, headers, **query) for query in QUERIES] == kept


def test_without_redis_a_visit_still_takes_the_household_off(app, client, worker, street):
    _, headers = worker
    redis_down(app)
    assert get_checklist(client, headers)["remaining"] == 5
    send_visit(client, headers, street[0].id, "met")
    body = get_checklist(client, headers)
    assert body["remaining"] == 4 and street[0].id not in stops(body)
