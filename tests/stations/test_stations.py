"""Stations: creation in scope, staff, lists, nearest, QR rotation, QR images, staff pages, demo data."""

import io
import threading
import time
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image

from app.common.geo import distance_m
from app.extensions import db
from app.models import AuditEvent, CheckIn, Station, Township
from app.services.stations import qr_codes
from tests.support import check_in, count, error_of

STATIONS = "/api/v1/stations"
NEAREST = "/api/v1/stations/nearest"
CHECK_INS = "/api/v1/check-ins"
# 昱中街道 (circle 城中), 老街一社区 (circle 城中), 昱东街道 (circle 城东), 昱西 (circle 城西).
YUZHONG = {"lat": 29.7160, "lng": 118.3180}
LAOJIE = {"lat": 29.7100, "lng": 118.3050}
YUDONG = {"lat": 29.7225, "lng": 118.3385}
YUXI = {"lat": 29.7120, "lng": 118.2910}
HUANGSHAN_QU = {"lat": 30.2700, "lng": 118.1400}
CHENGZHONG, CHENGDONG = "341002-chengzhong", "341002-chengdong"
YUZHONG_TOWNSHIP, YUDONG_TOWNSHIP, LAOJIE_TOWNSHIP = "341002002000", "341002001000", "341002004000"
HOURS = "周一至周五 8:30-17:30"
MISSING = object()  # a field left out of the body

CITY_ADMIN = ("city_admin", "city", "341000000000")
TUNXI_ADMIN = ("district_admin", "district", "341002000000")
OPERATOR = ("operator", "circle", CHENGZHONG)
CHENGDONG_OPERATOR = ("operator", "circle", CHENGDONG)
CIRCLE_STAFF = ("station_staff", "circle", CHENGZHONG)
YUZHONG_STAFF = ("station_staff", "township", YUZHONG_TOWNSHIP)
YUDONG_STAFF = ("station_staff", "township", YUDONG_TOWNSHIP)
LAOJIE_STAFF = ("station_staff", "township", LAOJIE_TOWNSHIP)


def station_body(**fields) -> dict:
    """Return a station to create: in 城中, at 昱中街道, with overrides."""
    return {
        "name": "昱中就业服务站",
        "circle": CHENGZHONG,
        "address": "屯溪区昱中街道测试路1号",
        "hours": HOURS,
        "phone": "0559-2500001",
        **YUZHONG,
        **fields,
    }


def create_station(client, headers, **fields) -> dict:
    """Create a station through the API and return its body."""
    response = client.post(STATIONS, json=station_body(**fields), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def listed_codes(client, headers, **query) -> list[str]:
    """Return the codes of the stations a staff member's list shows."""
    response = client.get(STATIONS, headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == len(body["items"])
    return [item["code"] for item in body["items"]]


def decode_png(data: bytes) -> str:
    """Return the text of the one QR code in a PNG."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert len(found) == 1, found
    return found[0].text


def township_id(code: str) -> int:
    """Return a township's id."""
    return db.session.scalar(sa.select(Township.id).where(Township.code == code))


def path_of(url: str) -> str:
    """Return the path and query of an absolute URL (what the test client requests)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def all_at_once(app, count: int, send) -> list:
    """Send send(web_client) from `count` threads released together; return the responses."""
    barrier = threading.Barrier(count)
    responses, failures = [], []

    def run():
        try:
            web = FlaskClient(app, app.response_class)
            barrier.wait()
            responses.append(send(web))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures
    return responses


@pytest.fixture
def station(client, operator):
    """A station of 城中 at 昱中街道, created by the circle's operator."""
    return create_station(client, operator[1])


@pytest.fixture
def resident(wechat_login):
    """A resident logged in through WeChat: headers."""
    return wechat_login()[1]


# ---- creating -------------------------------------------------------------------------------


def test_managers_create_stations_with_readable_codes_in_the_right_township(client, staff_headers):
    _, city = staff_headers(*CITY_ADMIN)
    _, district = staff_headers(*TUNXI_ADMIN)
    operator_account, operator = staff_headers(*OPERATOR)

    first = create_station(client, city, name="昱中街道就业服务站")
    second = create_station(client, district, name="老街就业服务站", **LAOJIE)
    third = create_station(client, operator, name="昱中二站")
    elsewhere = create_station(client, city, name="昱东就业服务站", circle=CHENGDONG, **YUDONG)

    assert [first["code"], second["code"], third["code"]] == [
        "341002-chengzhong-01",
        "341002-chengzhong-02",
        "341002-chengzhong-03",
    ]
    assert elsewhere["code"] == "341002-chengdong-01"  # every circle counts on its own
    assert first["circle"] == {"code": CHENGZHONG, "name": "城中就业圈"}
    assert elsewhere["circle"] == {"code": CHENGDONG, "name": "城东就业圈"}
    assert first["name"] == "昱中街道就业服务站" and first["hours"] == HOURS
    assert (first["lat"], first["lng"]) == (YUZHONG["lat"], YUZHONG["lng"])
    assert first["qr_version"] == 1 and first["qr_rotated_at"] is None
    assert first["is_active"] is True and first["staff_ids"] == []
    assert first["geofence_m"] == 500 and first["require_location"] is False

    rows = {row.code: row for row in db.session.scalars(sa.select(Station))}
    assert rows["341002-chengzhong-01"].township_id == township_id(YUZHONG_TOWNSHIP)
    assert rows["341002-chengzhong-02"].township_id == township_id(LAOJIE_TOWNSHIP)
    assert rows["341002-chengdong-01"].township_id == township_id(YUDONG_TOWNSHIP)
    assert rows["341002-chengzhong-03"].created_by_id == operator_account.id
    created = db.session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "station.create")
    ).all()
    assert sorted(created) == sorted(str(row.id) for row in rows.values())

    # Township staff see the stations standing in their township, and only those.
    _, yuzhong = staff_headers(*YUZHONG_STAFF)
    _, yudong = staff_headers(*YUDONG_STAFF)
    assert listed_codes(client, yuzhong) == ["341002-chengzhong-01", "341002-chengzhong-03"]
    assert listed_codes(client, yudong) == ["341002-chengdong-01"]
    assert client.get(f"{STATIONS}/{first['id']}", headers=yuzhong).status_code == 200
    hidden = client.get(f"{STATIONS}/{first['id']}", headers=yudong)
    assert hidden.status_code == 404 and error_of(hidden)["code"] == "station_not_found"


def test_an_operator_may_not_create_a_station_in_another_circle(client, operator, staff_headers):
    response = client.post(STATIONS, json=station_body(circle=CHENGDONG, **YUDONG), headers=operator[1])
    assert response.status_code == 403
    assert error_of(response)["code"] == "out_of_scope"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Station)) == 0
    # Nothing was used up: the circle's first station is still -01.
    _, city = staff_headers(*CITY_ADMIN)
    assert create_station(client, city, circle=CHENGDONG, **YUDONG)["code"] == "341002-chengdong-01"


@pytest.mark.parametrize(
    "role",
    [
        ("township_admin", "township", YUZHONG_TOWNSHIP),
        ("station_staff", "circle", CHENGZHONG),
        ("grid_worker", "community", "341002002001"),
    ],
)
def test_other_staff_roles_may_not_create_stations(client, staff_headers, role):
    _, headers = staff_headers(*role)
    response = client.post(STATIONS, json=station_body(), headers=headers)
    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Station)) == 0


def test_a_resident_may_not_create_a_station(client, resident):
    response = client.post(STATIONS, json=station_body(), headers=resident)
    assert response.status_code == 403
    assert client.post(STATIONS, json=station_body()).status_code == 401


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"circle": "341002-nowhere"}, "unknown_circle", "circle"),
        ({"circle": "999999-chengzhong"}, "unknown_circle", "circle"),
        ({"lat": MISSING}, "validation_error", "lat"),
        ({"lng": MISSING}, "validation_error", "lng"),
        ({"lat": None}, "validation_error", "lat"),
        ({"lat": 118.318, "lng": 29.716}, "coordinates_swapped", "lat"),
        ({"lat": 35.68, "lng": 139.69}, "coordinates_out_of_range", "lng"),
        ({"geofence_m": 49}, "validation_error", "geofence_m"),
        ({"geofence_m": 5001}, "validation_error", "geofence_m"),
        ({"name": "站"}, "validation_error", "name"),
        # 60 km away in 黄山区: a typo would tell residents there they are in 城中.
        (HUANGSHAN_QU, "outside_circle", "lat"),
    ],
)
def test_station_input_is_checked(client, operator, fields, code, field):
    body = {name: value for name, value in station_body(**fields).items() if value is not MISSING}
    response = client.post(STATIONS, json=body, headers=operator[1])
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Station)) == 0


def test_geofence_bounds_are_inclusive(client, operator):
    assert create_station(client, operator[1], geofence_m=50)["geofence_m"] == 50
    assert create_station(client, operator[1], geofence_m=5000)["geofence_m"] == 5000


# ---- staff ----------------------------------------------------------------------------------


def test_assigned_staff_find_their_station_with_mine(client, operator, staff_headers):
    staff, staff_headers_ = staff_headers(*CIRCLE_STAFF)
    township_staff, township_headers = staff_headers(*YUZHONG_STAFF)
    staffed = create_station(client, operator[1], staff_ids=[staff.id, township_staff.id, staff.id])
    other = create_station(client, operator[1], name="老街就业服务站", **LAOJIE)

    assert staffed["staff_ids"] == sorted([staff.id, township_staff.id])  # duplicates dropped
    assert listed_codes(client, staff_headers_, mine="true") == [staffed["code"]]
    assert listed_codes(client, staff_headers_) == [staffed["code"], other["code"]]
    assert listed_codes(client, township_headers, mine="true") == [staffed["code"]]

    # Re-assigning the same people is fine; clearing the list unassigns them.
    same = client.patch(f"{STATIONS}/{staffed['id']}", json={"staff_ids": [staff.id]}, headers=operator[1])
    assert same.status_code == 200 and same.get_json()["staff_ids"] == [staff.id]
    assert listed_codes(client, township_headers, mine="true") == []
    cleared = client.patch(f"{STATIONS}/{staffed['id']}", json={"staff_ids": []}, headers=operator[1])
    assert cleared.status_code == 200 and cleared.get_json()["staff_ids"] == []
    assert listed_codes(client, staff_headers_, mine="true") == []


def test_staff_from_another_circle_cannot_be_assigned(client, operator, make_staff):
    stranger = make_staff("station_staff", "circle", CHENGDONG)
    response = client.post(STATIONS, json=station_body(staff_ids=[stranger.id]), headers=operator[1])
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("staff_out_of_scope", "staff_ids")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Station)) == 0


@pytest.mark.parametrize("who", ["grid_worker", "unknown", "resident"])
def test_only_station_staff_accounts_can_be_assigned(client, operator, make_staff, wechat_login, who):
    if who == "grid_worker":
        account_id = make_staff("grid_worker", "circle", CHENGZHONG).id
    elif who == "resident":
        account_id = wechat_login()[0]["account"]["id"]
    else:
        account_id = 999_999
    response = client.post(STATIONS, json=station_body(staff_ids=[account_id]), headers=operator[1])
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("not_station_staff", "staff_ids")


# ---- listing, reading, editing --------------------------------------------------------------


def test_lists_follow_scope_and_filters(client, staff_headers):
    _, city = staff_headers(*CITY_ADMIN)
    first = create_station(client, city)
    second = create_station(client, city, name="老街就业服务站", **LAOJIE)
    third = create_station(client, city, name="昱东就业服务站", circle=CHENGDONG, **YUDONG)
    closed = client.patch(f"{STATIONS}/{second['id']}", json={"is_active": False}, headers=city)
    assert closed.status_code == 200 and closed.get_json()["is_active"] is False

    _, huangshan_qu = staff_headers("district_admin", "district", "341003000000")
    assert listed_codes(client, huangshan_qu) == []
    missing = client.get(f"{STATIONS}/{first['id']}", headers=huangshan_qu)
    assert missing.status_code == 404 and error_of(missing)["code"] == "station_not_found"

    everything = [first["code"], second["code"], third["code"]]
    assert sorted(listed_codes(client, city)) == sorted(everything)
    _, tunxi = staff_headers(*TUNXI_ADMIN)
    assert sorted(listed_codes(client, tunxi)) == sorted(everything)
    assert listed_codes(client, city, circle=CHENGDONG) == [third["code"]]
    assert listed_codes(client, city, circle=CHENGZHONG) == [first["code"], second["code"]]
    assert listed_codes(client, city, active="false") == [second["code"]]
    assert sorted(listed_codes(client, city, active="true")) == sorted([first["code"], third["code"]])
    assert listed_codes(client, city, circle=CHENGZHONG, active="true") == [first["code"]]
    page = client.get(STATIONS, headers=city, query_string={"per_page": 2, "page": 2}).get_json()
    assert page["total"] == 3 and len(page["items"]) == 1

    unknown = client.get(STATIONS, headers=city, query_string={"circle": "341002-nowhere"})
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "unknown_circle"
    assert client.get(STATIONS).status_code == 401
    assert client.get(f"{STATIONS}/{first['id']}").status_code == 401


def test_get_one_station(client, station, operator):
    response = client.get(f"{STATIONS}/{station['id']}", headers=operator[1])
    assert response.status_code == 200
    assert response.get_json() == station
    assert client.get(f"{STATIONS}/999999", headers=operator[1]).status_code == 404


def test_edit_rename_close_and_move(client, station, operator, staff_headers):
    url = f"{STATIONS}/{station['id']}"
    _, yuzhong = staff_headers(*YUZHONG_STAFF)
    _, laojie = staff_headers(*LAOJIE_STAFF)
    assert listed_codes(client, yuzhong) == [station["code"]]

    renamed = client.patch(
        url, json={"name": "城中就业服务中心", "hours": "每天 9:00-17:00"}, headers=operator[1]
    )
    assert renamed.status_code == 200
    assert renamed.get_json()["name"] == "城中就业服务中心"
    assert renamed.get_json()["hours"] == "每天 9:00-17:00"
    assert renamed.get_json()["code"] == station["code"]  # the printed code never changes

    moved = client.patch(url, json=LAOJIE, headers=operator[1])
    assert moved.status_code == 200
    assert (moved.get_json()["lat"], moved.get_json()["lng"]) == (LAOJIE["lat"], LAOJIE["lng"])
    assert moved.get_json()["circle"]["code"] == CHENGZHONG
    assert db.session.get(Station, station["id"]).township_id == township_id(LAOJIE_TOWNSHIP)
    assert listed_codes(client, yuzhong) == []
    assert listed_codes(client, laojie) == [station["code"]]

    closed = client.patch(url, json={"is_active": False}, headers=operator[1])
    assert closed.status_code == 200 and closed.get_json()["is_active"] is False
    assert client.get(url, headers=operator[1]).get_json()["is_active"] is False
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_id == str(station["id"]))
    ).all()
    assert actions.count("station.update") == 3


def test_bad_edits_are_refused_and_change_nothing(client, station, operator, staff_headers):
    url = f"{STATIONS}/{station['id']}"
    _, chengdong_operator = staff_headers(*CHENGDONG_OPERATOR)
    outside = client.patch(url, json={"name": "被改掉的名字"}, headers=chengdong_operator)
    assert outside.status_code == 404 and error_of(outside)["code"] == "station_not_found"

    _, staff = staff_headers(*CIRCLE_STAFF)
    forbidden = client.patch(url, json={"name": "被改掉的名字"}, headers=staff)
    assert forbidden.status_code == 403 and error_of(forbidden)["code"] == "role_forbidden"

    swapped = client.patch(url, json={"lat": 118.305, "lng": 29.71}, headers=operator[1])
    assert swapped.status_code == 422 and error_of(swapped)["code"] == "coordinates_swapped"
    recircled = client.patch(url, json={"circle": CHENGDONG}, headers=operator[1])
    assert recircled.status_code == 422 and error_of(recircled)["field"] == "circle"
    fence = client.patch(url, json={"geofence_m": 10}, headers=operator[1])
    assert fence.status_code == 422 and error_of(fence)["field"] == "geofence_m"

    row = db.session.get(Station, station["id"])
    assert (row.name, row.lat, row.lng, row.geofence_m) == (
        station["name"],
        station["lat"],
        station["lng"],
        station["geofence_m"],
    )


def test_moving_a_station_away_from_its_township_staff_is_refused(client, operator, staff_headers):
    township_staff, _ = staff_headers(*YUZHONG_STAFF)
    circle_staff, _ = staff_headers(*CIRCLE_STAFF)
    station = create_station(client, operator[1], staff_ids=[township_staff.id, circle_staff.id])
    url = f"{STATIONS}/{station['id']}"

    refused = client.patch(url, json=LAOJIE, headers=operator[1])
    assert refused.status_code == 422 and error_of(refused)["code"] == "staff_out_of_scope"
    assert db.session.get(Station, station["id"]).lat == YUZHONG["lat"]

    # Moving with a staff list that fits the new place works; the circle's staff go along.
    moved = client.patch(url, json={**LAOJIE, "staff_ids": [circle_staff.id]}, headers=operator[1])
    assert moved.status_code == 200 and moved.get_json()["staff_ids"] == [circle_staff.id]
    back = client.patch(url, json=YUZHONG, headers=operator[1])
    assert back.status_code == 200 and back.get_json()["staff_ids"] == [circle_staff.id]


# ---- nearest --------------------------------------------------------------------------------


def test_nearest_stations_by_distance_and_the_points_circle(client, staff_headers):
    _, city = staff_headers(*CITY_ADMIN)
    yuzhong = create_station(client, city, name="昱中站")
    laojie = create_station(client, city, name="老街站", **LAOJIE)
    yudong = create_station(client, city, name="昱东站", circle=CHENGDONG, **YUDONG)
    yuxi = create_station(client, city, name="昱西站", circle="341002-chengxi", **YUXI)
    closed = create_station(client, city, name="已关闭站", lat=29.7171, lng=118.3191)
    assert (
        client.patch(f"{STATIONS}/{closed['id']}", json={"is_active": False}, headers=city).status_code == 200
    )

    point = (29.7170, 118.3190)
    response = client.get(NEAREST, query_string={"lat": point[0], "lng": point[1], "limit": 10})
    assert response.status_code == 200
    body = response.get_json()
    ids = [item["station"]["id"] for item in body["items"]]
    assert ids == [yuzhong["id"], laojie["id"], yudong["id"], yuxi["id"]]  # the closed one is left out
    metres = [item["distance_m"] for item in body["items"]]
    assert metres == sorted(metres)
    for item, station in zip(body["items"], (yuzhong, laojie, yudong, yuxi), strict=True):
        expected = distance_m(point[0], point[1], station["lat"], station["lng"])
        assert item["distance_m"] == pytest.approx(expected, abs=0.1)
    assert 100 < metres[0] < 200 and 1000 < metres[1] < 2000
    assert body["circle"] == {
        "code": CHENGZHONG,
        "name": "城中就业圈",
        "station_id": yuzhong["id"],
        "distance_m": metres[0],
    }
    public = body["items"][0]["station"]
    assert public["code"] == yuzhong["code"] and public["hours"] == HOURS
    assert public["circle"] == {"code": CHENGZHONG, "name": "城中就业圈"}
    assert not {"staff_ids", "qr_version", "is_active"} & set(public)  # staff-only fields stay hidden

    two = client.get(NEAREST, query_string={"lat": point[0], "lng": point[1], "limit": 2}).get_json()
    assert [item["station"]["id"] for item in two["items"]] == [yuzhong["id"], laojie["id"]]
    default = client.get(NEAREST, query_string={"lat": point[0], "lng": point[1]}).get_json()
    assert len(default["items"]) == 4

    # Standing in 昱东, the circle is 城东's.
    east = client.get(NEAREST, query_string={"lat": 29.7230, "lng": 118.3390}).get_json()
    assert east["items"][0]["station"]["id"] == yudong["id"]
    assert east["circle"]["code"] == CHENGDONG and east["circle"]["station_id"] == yudong["id"]


def test_a_point_far_from_every_station_has_no_circle(client, station):
    north = client.get(NEAREST, query_string={"lat": 29.7700, "lng": 118.3180}).get_json()
    assert [item["station"]["id"] for item in north["items"]] == [station["id"]]
    assert north["items"][0]["distance_m"] > 3000
    assert north["circle"] is None

    far = client.get(NEAREST, query_string=HUANGSHAN_QU)
    assert far.status_code == 200
    assert far.get_json()["circle"] is None
    assert all(item["distance_m"] > 3000 for item in far.get_json()["items"])


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"lat": 35.68, "lng": 139.69}, "coordinates_out_of_range"),
        ({"lat": 48.85, "lng": 2.35}, "coordinates_out_of_range"),
        ({"lat": 118.318, "lng": 29.716}, "coordinates_swapped"),
        ({"lat": 29.716}, "validation_error"),
        ({"lat": 29.716, "lng": 118.318, "limit": 0}, "validation_error"),
        ({"lat": 29.716, "lng": 118.318, "limit": 21}, "validation_error"),
    ],
)
def test_nearest_refuses_bad_points(client, places, query, code):
    response = client.get(NEAREST, query_string=query)
    assert response.status_code == 422
    assert error_of(response)["code"] == code


# ---- rotating the printed code --------------------------------------------------------------


def test_rotation_revokes_printed_codes_minted_before_it(client, station, staff_headers, resident):
    url = f"{STATIONS}/{station['id']}"
    staff, staff_headers_ = staff_headers(*CIRCLE_STAFF)
    old = client.post(f"{url}/page-links", headers=staff_headers_).get_json()["qr_url"]

    rotated = client.post(f"{url}/qr/rotate", headers=staff_headers_)
    assert rotated.status_code == 200
    assert rotated.get_json()["qr_version"] == 2
    assert rotated.get_json()["qr_rotated_at"] is not None
    assert client.get(url, headers=staff_headers_).get_json()["qr_version"] == 2
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "station.qr_rotate")).all()
    assert len(audit) == 1
    assert (audit[0].actor_id, audit[0].object_type, audit[0].object_id) == (
        staff.id,
        "station",
        str(station["id"]),
    )

    refused = check_in(client, resident, old)
    assert refused.status_code == 422
    assert (error_of(refused)["code"], error_of(refused)["field"]) == ("token_revoked", "url_or_token")

    fresh = client.post(f"{url}/page-links", headers=staff_headers_).get_json()["qr_url"]
    assert f"/s/{station['code']}?t=p1.{station['id']}.2." in fresh
    accepted = check_in(client, resident, fresh)
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["station"]["id"] == station["id"]
    assert accepted.get_json()["via"] == "printed"

    # Each rotation counts.
    again = client.post(f"{url}/qr/rotate", headers=staff_headers_)
    assert again.get_json()["qr_version"] == 3


def test_rotation_is_for_managers_and_station_staff_in_scope(client, station, staff_headers):
    url = f"{STATIONS}/{station['id']}/qr/rotate"
    _, grid_worker = staff_headers("grid_worker", "circle", CHENGZHONG)
    refused = client.post(url, headers=grid_worker)
    assert refused.status_code == 403 and error_of(refused)["code"] == "role_forbidden"
    _, outsider = staff_headers(*CHENGDONG_OPERATOR)
    hidden = client.post(url, headers=outsider)
    assert hidden.status_code == 404 and error_of(hidden)["code"] == "station_not_found"
    assert client.post(url).status_code == 401
    assert db.session.get(Station, station["id"]).qr_version == 1

    _, tunxi = staff_headers(*TUNXI_ADMIN)
    assert client.post(url, headers=tunxi).get_json()["qr_version"] == 2


# ---- QR code images -------------------------------------------------------------------------


def test_the_printed_png_decodes_to_a_url_that_checks_in(app, client, station, operator, resident):
    response = client.get(f"{STATIONS}/{station['id']}/qr.png", headers=operator[1])
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    text = decode_png(response.data)
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert text.startswith(f"{base}/s/{station['code']}?t=p1.{station['id']}.{station['qr_version']}.")

    checked = check_in(client, resident, text)
    assert checked.status_code == 201, checked.get_json()
    body = checked.get_json()
    assert body["station"]["id"] == station["id"] and body["via"] == "printed"
    assert body["queue_number"] == 1


def test_the_rotating_png_decodes_to_a_rotating_token(app, client, station, operator, wechat_login):
    response = client.get(
        f"{STATIONS}/{station['id']}/qr.png", headers=operator[1], query_string={"kind": "rotating"}
    )
    assert response.status_code == 200 and response.mimetype == "image/png"
    text = decode_png(response.data)
    parts = urlsplit(text)
    assert parts.path == f"/s/{station['code']}"
    token = parse_qs(parts.query)["t"][0]
    assert token.startswith(f"r1.{station['id']}.1.")

    resident = wechat_login()[1]
    checked = check_in(client, resident, text)
    assert checked.status_code == 201, checked.get_json()
    assert checked.get_json()["via"] == "rotating"

    small = client.get(f"{STATIONS}/{station['id']}/qr.png", headers=operator[1], query_string={"size": 2})
    big = client.get(f"{STATIONS}/{station['id']}/qr.png", headers=operator[1], query_string={"size": 20})
    assert Image.open(io.BytesIO(small.data)).size[0] < Image.open(io.BytesIO(big.data)).size[0]
    bad = client.get(f"{STATIONS}/{station['id']}/qr.png", headers=operator[1], query_string={"kind": "x"})
    assert bad.status_code == 422


def test_the_svg_image(client, station, operator):
    response = client.get(f"{STATIONS}/{station['id']}/qr.svg", headers=operator[1])
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data(as_text=True).lstrip().startswith("<svg")


@pytest.mark.parametrize("image", ["qr.png", "qr.svg"])
def test_images_need_a_staff_member_in_scope(client, station, staff_headers, resident, image):
    url = f"{STATIONS}/{station['id']}/{image}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=resident).status_code == 403
    _, outsider = staff_headers(*YUDONG_STAFF)
    hidden = client.get(url, headers=outsider)
    assert hidden.status_code == 404 and error_of(hidden)["code"] == "station_not_found"


# ---- pages ----------------------------------------------------------------------------------


def test_page_links_open_the_live_screen_and_the_poster(app, client, station, operator):
    before = time.time()
    response = client.post(f"{STATIONS}/{station['id']}/page-links", headers=operator[1])
    assert response.status_code == 200
    links = response.get_json()
    assert set(links) == {"live_url", "poster_url", "qr_url", "expires_at"}
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert links["live_url"].startswith(f"{base}/stations/{station['id']}/live?")
    assert links["poster_url"].startswith(f"{base}/stations/{station['id']}/poster?")
    assert links["qr_url"].startswith(f"{base}/s/{station['code']}?t=p1.{station['id']}.1.")
    expires = datetime.fromisoformat(links["expires_at"].replace("Z", "+00:00"))
    assert expires.tzinfo is not None
    lifetime = expires.timestamp() - before
    assert (
        app.config["STATION_PAGE_LINK_SECONDS"] - 5 <= lifetime <= app.config["STATION_PAGE_LINK_SECONDS"] + 5
    )

    live = client.get(path_of(links["live_url"]))
    assert live.status_code == 200
    assert live.mimetype == "text/html" and live.mimetype_params.get("charset") == "utf-8"
    assert live.headers["Cache-Control"] == "no-store"
    page = live.data.decode("utf-8")
    assert "<svg" in page
    assert '<meta http-equiv="refresh"' in page
    assert station["name"] in page and "城中就业圈" in page

    poster = client.get(path_of(links["poster_url"]))
    assert poster.status_code == 200
    assert poster.mimetype == "text/html" and poster.mimetype_params.get("charset") == "utf-8"
    sheet = poster.data.decode("utf-8")
    for text in (
        station["name"],
        "城中就业圈",
        HOURS,
        station["address"],
        station["phone"],
        "@page",
        "A4",
        "<svg",
    ):
        assert text in sheet, text
    assert station["code"] in sheet


def test_a_closed_stations_live_screen_shows_no_code(client, station, operator):
    client.patch(f"{STATIONS}/{station['id']}", json={"is_active": False}, headers=operator[1])
    links = client.post(f"{STATIONS}/{station['id']}/page-links", headers=operator[1]).get_json()
    live = client.get(path_of(links["live_url"]))
    assert live.status_code == 200
    page = live.data.decode("utf-8")
    assert "<svg" not in page and "签到已关闭" in page


def test_page_links_need_a_staff_member_in_scope(client, station, staff_headers, resident):
    url = f"{STATIONS}/{station['id']}/page-links"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=resident).status_code == 403
    _, outsider = staff_headers(*YUDONG_STAFF)
    assert client.post(url, headers=outsider).status_code == 404


def test_altered_expired_or_borrowed_page_links_are_refused(client, station, operator, monkeypatch):
    links = client.post(f"{STATIONS}/{station['id']}/page-links", headers=operator[1]).get_json()
    live, poster = urlsplit(links["live_url"]), urlsplit(links["poster_url"])
    live_args, poster_args = parse_qs(live.query), parse_qs(poster.query)
    exp, sig = live_args["exp"][0], live_args["sig"][0]
    tampered = sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")

    assert client.get(f"{live.path}?exp={exp}&sig={tampered}").status_code == 403
    assert client.get(f"{live.path}?exp={int(exp) + 3600}&sig={sig}").status_code == 403  # longer life
    assert client.get(f"{live.path}?exp={exp}").status_code == 403
    assert client.get(live.path).status_code == 403
    borrowed = f"{live.path}?exp={poster_args['exp'][0]}&sig={poster_args['sig'][0]}"
    assert client.get(borrowed).status_code == 403
    # A screen or a printer shows a page that says what to do, not a JSON envelope.
    refused = client.get(borrowed)
    assert refused.mimetype == "text/html" and "链接已失效" in refused.get_data(as_text=True)
    other_station = f"/stations/{station['id'] + 1}/live?{live.query}"
    assert client.get(other_station).status_code == 403

    # The genuine link works until it expires, then no more.
    assert client.get(path_of(links["live_url"])).status_code == 200
    now = time.time()
    clock = SimpleNamespace(time=lambda: now + 15 * 3600)
    monkeypatch.setattr(qr_codes, "time", clock)
    assert client.get(path_of(links["poster_url"])).status_code == 200  # still the same working day
    clock.time = lambda: now + 17 * 3600
    assert client.get(path_of(links["live_url"])).status_code == 403
    assert client.get(path_of(links["poster_url"])).status_code == 403


def test_page_links_minted_before_a_rotation_stop_working(client, operator):
    station = create_station(client, operator[1])
    url = f"{STATIONS}/{station['id']}"
    old = client.post(f"{url}/page-links", headers=operator[1]).get_json()
    assert client.get(path_of(old["live_url"])).status_code == 200
    assert client.get(path_of(old["poster_url"])).status_code == 200

    assert client.post(f"{url}/qr/rotate", headers=operator[1]).status_code == 200

    for link in (old["live_url"], old["poster_url"]):
        refused = client.get(path_of(link))
        assert refused.status_code == 403, link
        assert refused.mimetype == "text/html" and "链接已失效" in refused.get_data(as_text=True)
    new = client.post(f"{url}/page-links", headers=operator[1]).get_json()
    assert client.get(path_of(new["live_url"])).status_code == 200
    assert client.get(path_of(new["poster_url"])).status_code == 200


def test_non_ascii_signatures_are_refused_not_errors(client, operator, wechat_login):
    station = create_station(client, operator[1])
    resident = wechat_login()[1]

    page = client.get(f"/stations/{station['id']}/live?exp=99999999999&sig=%C3%A9")
    token = check_in(client, resident, "p1.1.1.1.é")
    url = check_in(client, resident, f"http://127.0.0.1:5000/s/{station['code']}?t=p1.{station['id']}.1.1.é")

    assert page.status_code == 403
    assert page.mimetype == "text/html" and "链接已失效" in page.get_data(as_text=True)
    assert token.status_code == 422, token.get_json()
    assert (error_of(token)["code"], error_of(token)["field"]) == ("token_invalid", "url_or_token")
    assert url.status_code == 422 and error_of(url)["code"] == "token_invalid"
    assert count(CheckIn) == 0


def test_the_landing_page_tells_people_to_scan_with_wechat(client, station):
    response = client.get(f"/s/{station['code']}")
    assert response.status_code == 200
    assert response.mimetype == "text/html" and response.mimetype_params.get("charset") == "utf-8"
    page = response.data.decode("utf-8")
    for text in ("微信", station["name"], HOURS, "城中就业圈", station["address"], station["phone"]):
        assert text in page, text

    # The scanned URL itself (with its token) opens the same page outside WeChat.
    with_token = client.get(f"/s/{station['code']}?t=p1.{station['id']}.1.0.x")
    assert with_token.status_code == 200 and station["name"] in with_token.data.decode("utf-8")

    missing = client.get("/s/341002-chengzhong-99")
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"
    assert "未找到" in missing.data.decode("utf-8")


def test_stations_created_at_once_in_one_circle_get_distinct_codes(app, client, operator):
    db.session.commit()
    responses = all_at_once(app, 6, lambda web: web.post(STATIONS, json=station_body(), headers=operator[1]))
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, [response.get_json() for response in responses]
    assert 201 in statuses
    for response in responses:
        if response.status_code == 409:
            assert response.get_json()["error"]["code"] == "station_code_taken"
    created = sorted(response.get_json()["code"] for response in responses if response.status_code == 201)
    db.session.commit()
    stored = sorted(db.session.scalars(sa.select(Station.code)))
    assert created == stored
    assert len(set(created)) == len(created)
    assert created == [f"341002-chengzhong-{n:02d}" for n in range(1, len(created) + 1)]


def test_rotations_at_once_all_count(app, client, station, operator):
    db.session.commit()
    url = f"{STATIONS}/{station['id']}/qr/rotate"
    responses = all_at_once(app, 5, lambda web: web.post(url, headers=operator[1]))
    assert [response.status_code for response in responses] == [200] * 5
    # Each answer shows the version current when it was read back: at least its own.
    versions = [response.get_json()["qr_version"] for response in responses]
    assert all(2 <= version <= 6 for version in versions) and max(versions) == 6
    db.session.commit()
    assert db.session.get(Station, station["id"]).qr_version == 6
    rotations = sa.select(sa.func.count()).where(AuditEvent.action == "station.qr_rotate")
    assert db.session.scalar(rotations) == 5


# ---- demo data and the API document ---------------------------------------------------------


def test_demo_data_opens_a_station_in_every_tunxi_circle(app, client, runner, places, login):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD="demo-password-for-tests")
    for _ in range(2):  # running it again adds nothing
        result = runner.invoke(args=["demo-data"])
        assert result.exit_code == 0, result.output
    stations = db.session.scalars(sa.select(Station).order_by(Station.code)).all()
    assert len(stations) == 6

    city = login("demo-city-admin", "demo-password-for-tests")
    for key in ("chengzhong", "chengdong", "chengxi", "jiangnan", "gongye", "gaoxin"):
        circle = f"341002-{key}"
        active = client.get(STATIONS, headers=city, query_string={"circle": circle, "active": "true"})
        assert active.status_code == 200
        items = active.get_json()["items"]
        assert len(items) >= 1, circle
        first = items[0]
        assert first["code"] == f"{circle}-01" and first["hours"]
        # A resident standing at the station is told they are in its circle.
        near = client.get(NEAREST, query_string={"lat": first["lat"], "lng": first["lng"]}).get_json()
        assert near["circle"]["code"] == circle, near
    assert all(station.township_id is not None for station in stations)

    staff = login("demo-station-staff", "demo-password-for-tests")
    assert listed_codes(client, staff, mine="true") == ["341002-chengzhong-01"]


def test_the_api_document_lists_the_station_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        "/api/v1/stations": {"get", "post"},
        "/api/v1/stations/nearest": {"get"},
        "/api/v1/stations/{station_id}": {"get", "patch"},
        "/api/v1/stations/{station_id}/qr/rotate": {"post"},
        "/api/v1/stations/{station_id}/qr.png": {"get"},
        "/api/v1/stations/{station_id}/qr.svg": {"get"},
        "/api/v1/stations/{station_id}/page-links": {"post"},
        "/api/v1/check-ins": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    assert "security" not in paths["/api/v1/stations/nearest"]["get"]
    assert paths["/api/v1/stations"]["post"]["security"] == [{"bearer": []}]
    assert "image/png" in paths["/api/v1/stations/{station_id}/qr.png"]["get"]["responses"]["200"]["content"]


def test_minting_page_links_is_audited(client, station, operator):
    assert client.post(f"{STATIONS}/{station['id']}/page-links", headers=operator[1]).status_code == 200

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "station.page_links"))
    assert (event.actor_id, event.object_id) == (operator[0].id, str(station["id"]))
