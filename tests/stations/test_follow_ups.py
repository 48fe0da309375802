"""The open follow-ups list: in scope (station staff: their stations), oldest first, closed ones gone."""

import uuid
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import PLACE_COLUMN_NAMES, Account, CheckIn, Station, utcnow
from tests.support import error_of

STATIONS = "/api/v1/stations"
CHECK_INS = "/api/v1/check-ins"
FOLLOW_UPS = f"{CHECK_INS}/follow-ups"
CHENGZHONG, CHENGDONG = "341002-chengzhong", "341002-chengdong"


@pytest.fixture
def city(staff_headers):
    """The city admin: (account, headers)."""
    return staff_headers("city_admin", "city", "341000000000")


def station(client, headers, name: str, circle: str, point, staff_ids=()) -> int:
    """Create a station and return its id."""
    body = {"name": name, "circle": circle, "lat": point[0], "lng": point[1], "staff_ids": list(staff_ids)}
    response = client.post(STATIONS, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def visit(station_id: int, minutes_ago: int, follow_up=True) -> int:
    """Write a served check-in at a station, `minutes_ago`, with a follow-up open (or none)."""
    row_station = db.session.get(Station, station_id)
    row = CheckIn(
        account_id=_visitor(),
        client_id=uuid.uuid4().hex,
        station_id=station_id,
        purpose="consult",
        via="printed",
        day=date.today(),
        queue_key=f"s{station_id}:{uuid.uuid4().hex[:6]}",
        queue_number=1,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        served_at=utcnow(),
        follow_up=follow_up,
        **{name: getattr(row_station, name) for name in PLACE_COLUMN_NAMES},
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def _visitor() -> int:
    """Return a fresh resident account's id."""
    account = Account(role="resident", openid=f"openid-{uuid.uuid4().hex}")
    db.session.add(account)
    db.session.flush()
    return account.id


def ids(response) -> list[int]:
    """Return the check-in ids of a follow-up list."""
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_open_follow_ups_oldest_first_in_scope_and_closing_one_removes_it(client, city, staff_headers):
    staff, staff_headers_ = staff_headers("station_staff", "circle", CHENGZHONG)
    _, operator = staff_headers("operator", "circle", CHENGZHONG)
    mine = station(client, city[1], "昱中服务站", CHENGZHONG, (29.7160, 118.3180), staff_ids=[staff.id])
    neighbour = station(client, city[1], "老街服务站", CHENGZHONG, (29.7100, 118.3050))
    far = station(client, city[1], "昱东服务站", CHENGDONG, (29.7225, 118.3385))
    newer, older = visit(mine, 5), visit(mine, 50)
    visit(mine, 30, follow_up=False)
    at_neighbour, at_far = visit(neighbour, 20), visit(far, 40)

    assert ids(client.get(FOLLOW_UPS, headers=staff_headers_)) == [older, newer]
    assert ids(client.get(FOLLOW_UPS, headers=operator)) == [older, at_neighbour, newer]
    assert ids(client.get(FOLLOW_UPS, query_string={"station_id": neighbour}, headers=operator)) == [
        at_neighbour
    ]
    assert ids(client.get(FOLLOW_UPS, headers=city[1])) == [older, at_far, at_neighbour, newer]

    closed = client.patch(f"{CHECK_INS}/{older}", json={"follow_up_closed": True}, headers=staff_headers_)
    assert closed.status_code == 200 and closed.get_json()["follow_up_closed_at"] is not None
    assert ids(client.get(FOLLOW_UPS, headers=staff_headers_)) == [newer]


def test_follow_ups_are_for_serving_roles_and_stations_in_scope(client, city, staff_headers):
    _, grid_worker = staff_headers("grid_worker", "township", "341002002000")
    _, operator = staff_headers("operator", "circle", CHENGZHONG)
    far = station(client, city[1], "昱东服务站", CHENGDONG, (29.7225, 118.3385))

    refused = client.get(FOLLOW_UPS, headers=grid_worker)
    outside = client.get(FOLLOW_UPS, query_string={"station_id": far}, headers=operator)
    bad_page = client.get(FOLLOW_UPS, query_string={"per_page": 500}, headers=operator)

    assert refused.status_code == 403 and error_of(refused)["code"] == "role_forbidden"
    assert outside.status_code == 404 and error_of(outside)["code"] == "station_not_found"
    assert bad_page.status_code == 422 and error_of(bad_page)["field"] == "per_page"
