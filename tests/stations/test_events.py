"""Events: scheduling in scope, the public list, editing, sign-ups, check-in with event codes, live page."""

import threading
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, AuditEvent, CheckIn, Event, EventSignup, Role
from app.services.people.places import find_place
from app.services.people.tokens import issue_token
from app.services.stations import check_ins, events, qr_codes
from tests.conftest import give_consent
from tests.support import at, check_in, count, error_of, event_url, open_event

EVENTS = "/api/v1/events"
STATIONS = "/api/v1/stations"
CHECK_INS = "/api/v1/check-ins"

CHENGZHONG_OPERATOR = ("operator", "circle", "341002-chengzhong")
CHENGDONG_OPERATOR = ("operator", "circle", "341002-chengdong")
TUNXI_OPERATOR = ("operator", "district", "341002000000")
# 昱中 (circle chengzhong) and 昱东 (circle chengdong), about 2 km apart.
YUZHONG = {"lat": 29.7160, "lng": 118.3180}
YUDONG = {"lat": 29.7225, "lng": 118.3385}
# 老街一社区, in circle chengzhong too, about 1.3 km from 昱中.
LAOJIE = {"lat": 29.7100, "lng": 118.3050}
SHANGHAI = {"lat": 31.23, "lng": 121.47}


def event_body(**fields) -> dict:
    """Return an event to create: a job fair at 昱中 tomorrow, unless fields say otherwise."""
    return {
        "title": "屯溪区秋季招聘会",
        "kind": "job_fair",
        **YUZHONG,
        "starts_at": at(24 * 60),
        "ends_at": at(28 * 60),
        **fields,
    }


def create_event(client, headers, **fields) -> dict:
    """Create an event through the API and return its body."""
    response = client.post(EVENTS, json=event_body(**fields), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_station(client, headers, circle="341002-chengzhong", point=None, **fields) -> dict:
    """Create a station through the API and return its body."""
    body = {
        "name": "昱中服务站",
        "circle": circle,
        "address": "屯溪区昱中街道测试路8号",
        **(point or YUZHONG),
    }
    response = client.post(STATIONS, json={**body, **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def scan(client, headers, url: str, purpose: str = "event", **fields):
    """Check in with a scanned code and a fresh client_id."""
    body = {"url_or_token": url, "purpose": purpose, "client_id": uuid.uuid4().hex, **fields}
    return client.post(CHECK_INS, json=body, headers=headers)


def patch(client, event_id: int, headers, **values):
    """Edit an event."""
    return client.patch(f"{EVENTS}/{event_id}", json=values, headers=headers)


def sign_up(client, event_id: int, headers):
    """Sign up for an event."""
    return client.post(f"{EVENTS}/{event_id}/signups", headers=headers)


def circle_id(code: str) -> int:
    """Return a circle's id from its code."""
    return find_place("circle", code).id


def live_signups(event_id: int) -> list[EventSignup]:
    """Return an event's sign-up rows (cancelled ones too)."""
    return list(db.session.scalars(sa.select(EventSignup).where(EventSignup.event_id == event_id)))


@pytest.fixture
def organiser(staff_headers):
    """An operator of circle chengzhong: (account, headers)."""
    return staff_headers(*CHENGZHONG_OPERATOR)


@pytest.fixture
def resident(make_resident):
    """Return a factory: resident(name=…) -> (Resident, headers), a resident with a WeChat-type account."""
    phones = iter(range(13800000001, 13800099999))

    def factory(name="张秀英", community_code="341002002001"):
        person = make_resident(name=name, phone=str(next(phones)), community_code=community_code)
        account = Account(role=Role.resident.value, openid=f"openid-{uuid.uuid4().hex}")
        db.session.add(account)
        person.account = account
        token, _ = issue_token(account)
        db.session.commit()
        give_consent(account.id)  # as at the mini-program's first run
        return person, {"Authorization": f"Bearer {token}"}

    return factory


# ---------------------------------------------------------------- creating


def test_event_at_a_station_copies_its_place_and_address_and_stores_utc(client, organiser):
    account, headers = organiser
    station = create_station(client, headers)

    response = client.post(
        EVENTS,
        json={
            "title": "昱中技能培训",
            "kind": "training",
            "description": "电工基础",
            "station_id": station["id"],
            "starts_at": "2026-12-05T09:00:00+08:00",
            "ends_at": "2026-12-05T12:00:00+08:00",
            "capacity": 40,
        },
        headers=headers,
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["station"]["id"] == station["id"]
    assert body["station"]["code"] == station["code"]
    assert body["circle"]["code"] == "341002-chengzhong"
    assert body["circle"]["name"] == station["circle"]["name"]
    assert body["address"] == "屯溪区昱中街道测试路8号"
    assert body["starts_at"] == "2026-12-05T01:00:00+00:00"
    assert body["ends_at"] == "2026-12-05T04:00:00+00:00"
    assert (body["status"], body["kind"], body["capacity"]) == ("scheduled", "training", 40)
    assert (body["signups"], body["spots_left"], body["signed_up"]) == (0, 40, None)
    row = db.session.get(Event, body["id"])
    assert row.starts_at == datetime(2026, 12, 5, 1, 0)
    assert row.ends_at == datetime(2026, 12, 5, 4, 0)
    assert row.station_id == station["id"]
    assert row.circle_id == circle_id("341002-chengzhong")
    assert row.created_by_id == account.id
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "event.create"))
    assert (audit.actor_id, audit.object_id) == (account.id, str(body["id"]))


def test_an_address_given_with_a_station_is_kept(client, organiser):
    station = create_station(client, organiser[1])

    body = create_event(client, organiser[1], station_id=station["id"], address="昱中服务站二楼会议室")

    assert body["address"] == "昱中服务站二楼会议室"


def test_event_at_its_own_location_is_placed_by_that_location(client, organiser):
    response = client.post(EVENTS, json=event_body(address="老街广场"), headers=organiser[1])

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["station"] is None
    assert (body["lat"], body["lng"], body["address"]) == (YUZHONG["lat"], YUZHONG["lng"], "老街广场")
    row = db.session.get(Event, body["id"])
    assert row.station_id is None
    assert row.circle_id == circle_id("341002-chengzhong")
    assert row.district_id == find_place("district", "341002000000").id


def test_event_at_its_own_location_shows_its_circle(client, organiser):
    body = create_event(client, organiser[1])

    assert body["circle"] is not None
    assert body["circle"]["code"] == "341002-chengzhong"


def test_event_needs_a_station_or_a_location(client, organiser):
    body = event_body()
    del body["lat"], body["lng"]

    response = client.post(EVENTS, json=body, headers=organiser[1])

    assert response.status_code == 422
    assert error_of(response)["code"] == "location_required"
    assert error_of(response)["field"] == "station_id"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_event_outside_our_places_is_refused(client, organiser):
    response = client.post(EVENTS, json=event_body(**SHANGHAI), headers=organiser[1])

    assert response.status_code == 422
    assert error_of(response)["code"] == "outside_service_area"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_event_in_another_circle_of_our_places_is_out_of_scope(client, organiser):
    response = client.post(EVENTS, json=event_body(**YUDONG), headers=organiser[1])

    assert response.status_code == 403
    assert error_of(response)["code"] == "out_of_scope"


def test_event_must_end_after_it_starts(client, organiser):
    response = client.post(
        EVENTS, json=event_body(starts_at=at(24 * 60), ends_at=at(23 * 60)), headers=organiser[1]
    )
    same = client.post(
        EVENTS,
        json=event_body(starts_at="2026-12-05T09:00:00+08:00", ends_at="2026-12-05T01:00:00Z"),
        headers=organiser[1],
    )

    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("invalid_time_window", "ends_at")
    # 01:00Z is the very moment 09:00+08:00 starts: an empty window.
    assert same.status_code == 422
    assert error_of(same)["code"] == "invalid_time_window"


def test_event_lasts_at_most_14_days(client, organiser):
    response = client.post(
        EVENTS, json=event_body(starts_at=at(60), ends_at=at(60 + 15 * 24 * 60)), headers=organiser[1]
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_time_window"


def test_event_times_must_carry_their_offset(client, organiser):
    response = client.post(
        EVENTS,
        json=event_body(starts_at="2026-12-05T09:00:00", ends_at="2026-12-05T12:00:00+08:00"),
        headers=organiser[1],
    )

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "starts_at" in error["fields"]


def test_event_at_a_station_of_another_circle_is_not_found(client, organiser, staff_headers):
    _, district = staff_headers(*TUNXI_OPERATOR)
    other = create_station(client, district, circle="341002-chengdong", point=YUDONG, name="昱东服务站")

    response = client.post(EVENTS, json=event_body(station_id=other["id"]), headers=organiser[1])

    assert response.status_code == 404
    assert error_of(response)["code"] == "station_not_found"


@pytest.mark.parametrize(
    "role",
    [("grid_worker", "circle", "341002-chengzhong"), ("supervisor", "circle", "341002-chengzhong")],
)
def test_staff_who_do_not_organise_may_not_create_events(client, staff_headers, role):
    _, headers = staff_headers(*role)

    response = client.post(EVENTS, json=event_body(), headers=headers)

    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"


def test_creating_an_event_needs_a_staff_token(client, resident):
    _, resident_headers = resident()

    anonymous = client.post(EVENTS, json=event_body())
    as_resident = client.post(EVENTS, json=event_body(), headers=resident_headers)

    assert anonymous.status_code == 401
    assert as_resident.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


# ---------------------------------------------------------------- reading


def test_public_list_shows_upcoming_scheduled_events_soonest_first(client, staff_headers):
    _, headers = staff_headers(*TUNXI_OPERATOR)
    later = create_event(
        client, headers, title="两天后", starts_at=at(2 * 24 * 60), ends_at=at(2 * 24 * 60 + 120)
    )
    sooner = create_event(client, headers, title="明天", starts_at=at(24 * 60), ends_at=at(24 * 60 + 120))
    running = create_event(client, headers, title="进行中", starts_at=at(-60), ends_at=at(60))
    dong = create_event(
        client, headers, title="昱东", starts_at=at(36 * 60), ends_at=at(36 * 60 + 60), **YUDONG
    )
    ended = create_event(client, headers, title="已结束", starts_at=at(-180), ends_at=at(-60))
    cancelled = create_event(client, headers, title="已取消", starts_at=at(30 * 60), ends_at=at(31 * 60))
    assert patch(client, cancelled["id"], headers, status="cancelled").status_code == 200

    upcoming = client.get(EVENTS)
    with_past = client.get(EVENTS, query_string={"include_past": "true"})
    in_dong = client.get(EVENTS, query_string={"circle": "341002-chengdong"})
    in_zhong = client.get(EVENTS, query_string={"circle": "341002-chengzhong", "include_past": "true"})

    assert upcoming.status_code == 200
    body = upcoming.get_json()
    assert [item["id"] for item in body["items"]] == [running["id"], sooner["id"], dong["id"], later["id"]]
    assert (body["total"], body["page"], body["per_page"]) == (4, 1, 20)
    assert all(item["signed_up"] is None for item in body["items"])
    assert [item["id"] for item in with_past.get_json()["items"]] == [
        ended["id"],
        running["id"],
        sooner["id"],
        dong["id"],
        later["id"],
    ]
    assert [item["id"] for item in in_dong.get_json()["items"]] == [dong["id"]]
    assert in_dong.get_json()["total"] == 1
    assert [item["id"] for item in in_zhong.get_json()["items"]] == [
        ended["id"],
        running["id"],
        sooner["id"],
        later["id"],
    ]


def test_public_list_pages_and_refuses_an_unknown_circle(client, organiser):
    ids = [
        create_event(client, organiser[1], starts_at=at(60 * hours), ends_at=at(60 * hours + 30))["id"]
        for hours in (3, 1, 2)
    ]

    second = client.get(EVENTS, query_string={"per_page": 2, "page": 2}).get_json()
    unknown = client.get(EVENTS, query_string={"circle": "341002-nowhere"})

    assert [item["id"] for item in second["items"]] == [ids[0]]
    assert second["total"] == 3
    assert unknown.status_code == 422
    assert error_of(unknown)["code"] == "unknown_circle"


def test_one_event_is_public_and_tells_a_resident_whether_they_signed_up(client, organiser, resident):
    event = create_event(client, organiser[1], capacity=5)
    _, signed = resident("张秀英")
    _, other = resident("李四")
    assert sign_up(client, event["id"], signed).status_code == 201

    anonymous = client.get(f"{EVENTS}/{event['id']}")
    mine = client.get(f"{EVENTS}/{event['id']}", headers=signed)
    theirs = client.get(f"{EVENTS}/{event['id']}", headers=other)
    staff = client.get(f"{EVENTS}/{event['id']}", headers=organiser[1])

    assert anonymous.status_code == 200
    body = anonymous.get_json()
    assert (body["id"], body["title"], body["signups"], body["spots_left"]) == (
        event["id"],
        "屯溪区秋季招聘会",
        1,
        4,
    )
    assert body["signed_up"] is None
    assert mine.get_json()["signed_up"] is True
    assert theirs.get_json()["signed_up"] is False
    assert staff.get_json()["signed_up"] is False


def test_unknown_event_is_404_and_a_bad_token_is_401(client, organiser):
    event = create_event(client, organiser[1])

    missing = client.get(f"{EVENTS}/{event['id'] + 1000}")
    bad_token = client.get(f"{EVENTS}/{event['id']}", headers={"Authorization": "Bearer not-a-token"})

    assert missing.status_code == 404
    assert error_of(missing)["code"] == "event_not_found"
    assert bad_token.status_code == 401


def test_event_without_capacity_has_no_spots_left(client, organiser):
    event = create_event(client, organiser[1])

    assert (event["capacity"], event["spots_left"]) == (None, None)


# ---------------------------------------------------------------- editing


def test_organiser_edits_title_and_capacity(client, organiser):
    account, headers = organiser
    event = create_event(client, headers, capacity=10)

    response = patch(client, event["id"], headers, title="冬季招聘会", capacity=30)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["title"], body["capacity"], body["spots_left"]) == ("冬季招聘会", 30, 30)
    row = db.session.get(Event, event["id"])
    assert (row.title, row.capacity) == ("冬季招聘会", 30)
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "event.update"))
    assert audit.actor_id == account.id
    assert audit.detail == {"fields": ["capacity", "title"]}


def test_cancelling_an_event_keeps_it_readable(client, organiser):
    event = create_event(client, organiser[1])

    response = patch(client, event["id"], organiser[1], status="cancelled")

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert client.get(f"{EVENTS}/{event['id']}").get_json()["status"] == "cancelled"
    assert client.get(EVENTS).get_json()["items"] == []


def test_capacity_cannot_drop_below_the_signups(client, organiser, resident):
    event = create_event(client, organiser[1], capacity=5)
    for name in ("张一", "张二", "张三"):
        assert sign_up(client, event["id"], resident(name)[1]).status_code == 201

    below = patch(client, event["id"], organiser[1], capacity=2, title="改名")
    equal = patch(client, event["id"], organiser[1], capacity=3)

    assert below.status_code == 422
    assert (error_of(below)["code"], error_of(below)["field"]) == ("capacity_below_signups", "capacity")
    assert equal.status_code == 200
    assert equal.get_json()["spots_left"] == 0
    row = db.session.get(Event, event["id"])
    assert (row.title, row.capacity) == ("屯溪区秋季招聘会", 3)


def test_editing_times_keeps_the_window_valid(client, organiser):
    event = create_event(client, organiser[1], starts_at=at(24 * 60), ends_at=at(26 * 60))

    response = patch(client, event["id"], organiser[1], starts_at=at(27 * 60))
    moved = patch(
        client, event["id"], organiser[1], starts_at=at(25 * 60), ends_at="2030-01-01T00:00:00+08:00"
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_time_window"
    assert moved.status_code == 422
    assert error_of(moved)["code"] == "invalid_time_window"
    assert client.get(f"{EVENTS}/{event['id']}").get_json()["starts_at"] == event["starts_at"]


def test_events_out_of_scope_are_not_found_for_editing(client, organiser, staff_headers):
    event = create_event(client, organiser[1])
    _, other = staff_headers(*CHENGDONG_OPERATOR)
    _, grid = staff_headers("grid_worker", "circle", "341002-chengzhong")

    response = patch(client, event["id"], other, title="别人的")
    by_grid = patch(client, event["id"], grid, title="网格员")

    assert response.status_code == 404
    assert error_of(response)["code"] == "event_not_found"
    assert by_grid.status_code == 403
    assert db.session.get(Event, event["id"]).title == "屯溪区秋季招聘会"


@pytest.mark.parametrize(
    "role",
    [
        ("station_staff", "township", "341002002000"),
        ("township_admin", "township", "341002002000"),
        ("district_admin", "district", "341002000000"),
    ],
)
def test_other_organisers_in_scope_may_edit(client, organiser, staff_headers, role):
    event = create_event(client, organiser[1])
    _, headers = staff_headers(*role)

    response = patch(client, event["id"], headers, title="培训会")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["title"] == "培训会"


# ---------------------------------------------------------------- signing up


def test_signing_up_twice_gives_back_the_same_signup(client, organiser, resident):
    event = create_event(client, organiser[1])
    _, headers = resident()

    first = sign_up(client, event["id"], headers)
    again = sign_up(client, event["id"], headers)

    assert first.status_code == 201, first.get_json()
    assert again.status_code == 200
    assert first.get_json()["event_id"] == event["id"]
    assert again.get_json() == first.get_json()
    assert len(live_signups(event["id"])) == 1
    assert client.get(f"{EVENTS}/{event['id']}").get_json()["signups"] == 1


def test_a_full_event_refuses_until_someone_cancels(client, organiser, resident):
    event = create_event(client, organiser[1], capacity=2)
    first, second, third = resident("张一"), resident("张二"), resident("张三")
    assert sign_up(client, event["id"], first[1]).status_code == 201
    assert sign_up(client, event["id"], second[1]).status_code == 201

    full = sign_up(client, event["id"], third[1])
    cancelled = client.delete(f"{EVENTS}/{event['id']}/signups/me", headers=first[1])
    now_in = sign_up(client, event["id"], third[1])
    first_back = sign_up(client, event["id"], first[1])

    assert full.status_code == 409
    assert error_of(full)["code"] == "event_full"
    assert cancelled.status_code == 204
    assert now_in.status_code == 201
    assert first_back.status_code == 409
    shown = client.get(f"{EVENTS}/{event['id']}", headers=first[1]).get_json()
    assert (shown["signups"], shown["spots_left"], shown["signed_up"]) == (2, 0, False)
    rows = {row.account_id: row for row in live_signups(event["id"])}
    first_account = first[0].account_id
    assert rows[first_account].cancelled_at is not None  # cancelling keeps the row
    assert len(rows) == 3


def test_signing_up_again_after_cancelling_reuses_the_row(client, organiser, resident):
    event = create_event(client, organiser[1])
    _, headers = resident()
    assert sign_up(client, event["id"], headers).status_code == 201
    assert client.delete(f"{EVENTS}/{event['id']}/signups/me", headers=headers).status_code == 204
    # Cancelling when there is nothing to cancel is harmless.
    assert client.delete(f"{EVENTS}/{event['id']}/signups/me", headers=headers).status_code == 204

    again = sign_up(client, event["id"], headers)

    assert again.status_code == 201
    rows = live_signups(event["id"])
    assert len(rows) == 1
    assert rows[0].cancelled_at is None


def test_no_signups_for_cancelled_or_ended_events(client, organiser, resident):
    cancelled = create_event(client, organiser[1])
    assert patch(client, cancelled["id"], organiser[1], status="cancelled").status_code == 200
    ended = create_event(client, organiser[1], starts_at=at(-180), ends_at=at(-1))
    _, headers = resident()

    to_cancelled = sign_up(client, cancelled["id"], headers)
    to_ended = sign_up(client, ended["id"], headers)
    to_missing = sign_up(client, ended["id"] + 1000, headers)

    assert to_cancelled.status_code == 422
    assert error_of(to_cancelled)["code"] == "event_cancelled"
    assert to_ended.status_code == 422
    assert error_of(to_ended)["code"] == "event_over"
    assert to_missing.status_code == 404
    assert error_of(to_missing)["code"] == "event_not_found"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventSignup)) == 0


def test_signing_up_is_for_residents_employers_and_front_line_staff(
    client, organiser, make_employer, staff_headers
):
    event = create_event(client, organiser[1])
    _, employer = make_employer()
    _, district_admin = staff_headers("district_admin", "district", "341002000000")

    anonymous = sign_up(client, event["id"], {})
    staff = sign_up(client, event["id"], organiser[1])
    as_employer = sign_up(client, event["id"], employer)
    admin = sign_up(client, event["id"], district_admin)

    assert anonymous.status_code == 401
    # The organiser is an operator, a trainee role (tests/stations/test_training.py).
    assert staff.status_code == 201
    assert as_employer.status_code == 201
    assert admin.status_code == 403 and error_of(admin)["code"] == "role_forbidden"


def test_staff_in_scope_see_the_signups_masked(client, organiser, resident, staff_headers):
    event = create_event(client, organiser[1])
    zhang, zhang_headers = resident("张秀英")
    li, li_headers = resident("李明")
    gone, gone_headers = resident("王五")
    for headers in (zhang_headers, li_headers, gone_headers):
        assert sign_up(client, event["id"], headers).status_code == 201
    assert client.delete(f"{EVENTS}/{event['id']}/signups/me", headers=gone_headers).status_code == 204
    _, township = staff_headers("station_staff", "township", "341002002000")
    _, other = staff_headers(*CHENGDONG_OPERATOR)
    _, other_township = staff_headers("station_staff", "township", "341002004000")

    response = client.get(f"{EVENTS}/{event['id']}/signups", headers=organiser[1])
    by_township = client.get(f"{EVENTS}/{event['id']}/signups", headers=township)
    out_of_scope = client.get(f"{EVENTS}/{event['id']}/signups", headers=other)
    other_township_response = client.get(f"{EVENTS}/{event['id']}/signups", headers=other_township)
    as_resident = client.get(f"{EVENTS}/{event['id']}/signups", headers=zhang_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2
    people = [item["person"] for item in body["items"]]
    assert people == [
        {"resident_id": zhang.id, "name": "张**", "phone": zhang.phone_hint},
        {"resident_id": li.id, "name": "李*", "phone": li.phone_hint},
    ]
    assert all(person["phone"] and "*" in person["phone"] for person in people)
    assert "秀英" not in response.get_data(as_text=True)
    assert by_township.status_code == 200
    assert out_of_scope.status_code == 404
    assert error_of(out_of_scope)["code"] == "event_not_found"
    # The event stands in 昱中's community, so 老街's staff do not see it.
    assert other_township_response.status_code == 404
    assert as_resident.status_code == 403


def test_a_signup_waiting_on_another_still_sees_the_event_full(app, client, organiser, resident, monkeypatch):
    """Two people tap "sign up" at once for the last spot: the one who comes second is refused.

    The first person's request has read (its token) before the other's sign-up commits and only
    then reaches the event's row lock: the count after the lock must include that sign-up.
    """
    event = create_event(client, organiser[1], capacity=1)
    (slow_person, slow), (_, fast) = resident("张一"), resident("张二")
    slow_account_id = slow_person.account_id  # read here: the test's session stays in this thread
    original = events.sign_up
    slow_is_waiting, fast_is_done = threading.Event(), threading.Event()

    def sign_up_later(account, event_id):
        if account.id == slow_account_id:
            slow_is_waiting.set()
            assert fast_is_done.wait(10)
        return original(account, event_id)

    monkeypatch.setattr(events, "sign_up", sign_up_later)
    statuses = {}

    def slow_tap():
        with app.app_context():
            statuses["slow"] = sign_up(client, event["id"], slow).status_code

    thread = threading.Thread(target=slow_tap)
    thread.start()
    assert slow_is_waiting.wait(10)
    statuses["fast"] = sign_up(client, event["id"], fast).status_code
    fast_is_done.set()
    thread.join(10)

    assert statuses == {"fast": 201, "slow": 409}
    assert len(live_signups(event["id"])) == 1


# ---------------------------------------------------------------- checking in with an event code


def test_event_check_in_numbers_a_queue_per_event_and_records_signups(
    client, organiser, resident, monkeypatch
):
    event = create_event(client, organiser[1], starts_at=at(30), ends_at=at(180))
    other_event = create_event(client, organiser[1], title="另一场", starts_at=at(-30), ends_at=at(60))
    signed, signed_headers = resident("张秀英")
    walk_in, walk_in_headers = resident("李明")
    third, third_headers = resident("王五")
    assert sign_up(client, event["id"], signed_headers).status_code == 201
    url = event_url(event["id"])

    first = scan(client, signed_headers, url)
    second = scan(client, walk_in_headers, url)
    # The third comes on the next local day: an event's queue is not a day's queue.
    tomorrow = check_ins.local_day() + timedelta(days=1)
    monkeypatch.setattr(check_ins, "local_day", lambda moment=None: tomorrow)
    third_response = scan(client, third_headers, url)
    elsewhere = scan(client, signed_headers, event_url(other_event["id"]))

    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert (body["via"], body["purpose"], body["queue_number"], body["repeated"]) == (
        "event",
        "event",
        1,
        False,
    )
    assert body["event"] == {
        "id": event["id"],
        "title": "屯溪区秋季招聘会",
        "starts_at": event["starts_at"],
        "ends_at": event["ends_at"],
    }
    assert body["station"] is None
    assert second.status_code == 201
    assert second.get_json()["queue_number"] == 2
    assert third_response.status_code == 201
    assert (third_response.get_json()["queue_number"], third_response.get_json()["day"]) == (
        3,
        tomorrow.isoformat(),
    )
    assert elsewhere.status_code == 201
    assert elsewhere.get_json()["queue_number"] == 1
    assert elsewhere.get_json()["event"]["id"] == other_event["id"]

    listing = client.get(f"{EVENTS}/{event['id']}/check-ins", headers=organiser[1])
    assert listing.status_code == 200
    items = listing.get_json()["items"]
    assert [(item["queue_number"], item["signed_up"]) for item in items] == [
        (1, True),
        (2, False),
        (3, False),
    ]
    assert [item["person"]["resident_id"] for item in items] == [signed.id, walk_in.id, third.id]
    assert items[0]["person"]["name"] == "张**"
    assert {item["event_id"] for item in items} == {event["id"]}
    rows = db.session.scalars(sa.select(CheckIn).where(CheckIn.event_id == event["id"])).all()
    assert {row.queue_key for row in rows} == {f"e{event['id']}"}
    assert {row.circle_id for row in rows} == {circle_id("341002-chengzhong")}


def test_event_check_ins_are_listed_for_staff_in_scope_only(client, organiser, resident, staff_headers):
    event = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60))
    _, headers = resident()
    assert scan(client, headers, event_url(event["id"])).status_code == 201
    _, other = staff_headers(*CHENGDONG_OPERATOR)

    out_of_scope = client.get(f"{EVENTS}/{event['id']}/check-ins", headers=other)
    served_only = client.get(f"{EVENTS}/{event['id']}/check-ins?served=true", headers=organiser[1])

    assert out_of_scope.status_code == 404
    assert error_of(out_of_scope)["code"] == "event_not_found"
    assert served_only.get_json() == {"items": [], "page": 1, "per_page": 200, "total": 0}


def test_event_check_in_at_a_station_event_names_the_station(client, organiser, resident):
    station = create_station(client, organiser[1])
    event = create_event(client, organiser[1], station_id=station["id"], starts_at=at(-10), ends_at=at(60))
    _, headers = resident()

    response = scan(client, headers, event_url(event["id"]))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["station"]["id"] == station["id"]
    assert response.get_json()["event"]["id"] == event["id"]
    row = db.session.scalar(sa.select(CheckIn))
    assert (row.station_id, row.event_id, row.queue_number) == (station["id"], event["id"], 1)


def test_an_event_code_is_accepted_once_per_person(client, organiser, resident):
    event = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60))
    _, headers = resident()
    url = event_url(event["id"])
    first = scan(client, headers, url)

    replayed = scan(client, headers, url)
    # The code of the next window is fresh, but it is the same visit: the first check-in comes back.
    fresh = scan(client, headers, event_url(event["id"], now=qr_codes.time.time() + 30))

    assert first.status_code == 201
    assert replayed.status_code == 409
    assert (error_of(replayed)["code"], error_of(replayed)["field"]) == ("token_replayed", "url_or_token")
    assert fresh.status_code == 200
    assert (fresh.get_json()["id"], fresh.get_json()["repeated"]) == (first.get_json()["id"], True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


def test_event_check_in_opens_an_hour_before_and_closes_at_the_end(client, organiser, resident):
    too_early = create_event(client, organiser[1], title="太早", starts_at=at(62), ends_at=at(180))
    early_enough = create_event(client, organiser[1], title="提前", starts_at=at(58), ends_at=at(180))
    over = create_event(client, organiser[1], title="已结束", starts_at=at(-180), ends_at=at(-1))
    _, headers = resident()

    early = scan(client, headers, event_url(too_early["id"]))
    allowed = scan(client, headers, event_url(early_enough["id"]))
    late = scan(client, headers, event_url(over["id"]))

    assert early.status_code == 422
    assert (error_of(early)["code"], error_of(early)["field"]) == ("event_not_open", "url_or_token")
    assert allowed.status_code == 201, allowed.get_json()
    assert late.status_code == 422
    assert error_of(late)["code"] == "event_not_open"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


def test_no_check_in_at_a_cancelled_event(client, organiser, resident):
    event = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60))
    url = event_url(event["id"])
    assert patch(client, event["id"], organiser[1], status="cancelled").status_code == 200
    _, headers = resident()

    response = scan(client, headers, url)

    assert response.status_code == 422
    assert error_of(response)["code"] == "event_cancelled"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_an_event_at_a_closed_station_refuses_check_in(client, operator, wechat_login):
    station = create_station(client, operator[1])
    event = open_event(client, operator[1], station_id=station["id"])
    closed = client.patch(f"{STATIONS}/{station['id']}", json={"is_active": False}, headers=operator[1])
    assert closed.status_code == 200, closed.get_json()

    response = check_in(client, wechat_login()[1], event_url(event["id"]), purpose="event")

    assert response.status_code == 422, response.get_json()
    assert (error_of(response)["code"], error_of(response)["field"]) == ("station_inactive", "url_or_token")
    assert count(CheckIn) == 0


def test_an_event_code_expires_with_its_window(client, organiser, resident, monkeypatch):
    event = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60))
    url = event_url(event["id"])
    _, headers = resident()
    later = qr_codes.time.time() + 120
    monkeypatch.setattr(qr_codes, "time", SimpleNamespace(time=lambda: later))

    response = scan(client, headers, url)

    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("token_expired", "url_or_token")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0


def test_an_event_code_for_another_event_path_or_altered_is_refused(client, organiser, resident):
    event = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60))
    other = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60))
    _, headers = resident()
    url = event_url(event["id"])
    token = urlsplit(url).query.removeprefix("t=")

    wrong_path = scan(client, headers, url.replace(f"/s/event-{event['id']}", f"/s/event-{other['id']}"))
    altered = scan(client, headers, url.replace(f"e1.{event['id']}.", f"e1.{other['id']}."))
    bare = scan(client, headers, token)

    assert wrong_path.status_code == 422
    assert error_of(wrong_path)["code"] == "token_invalid"
    assert altered.status_code == 422
    assert error_of(altered)["code"] == "token_invalid"
    assert bare.status_code == 201
    assert bare.get_json()["event"]["id"] == event["id"]


def test_an_event_asking_for_location_checks_the_distance(client, organiser, resident):
    event = create_event(
        client, organiser[1], starts_at=at(-10), ends_at=at(60), require_location=True, geofence_m=300
    )
    _, headers = resident()
    url = event_url(event["id"])

    far = scan(client, headers, url, **YUDONG)
    nowhere = scan(client, headers, url)
    near = scan(client, headers, url, lat=YUZHONG["lat"] + 0.001, lng=YUZHONG["lng"])

    assert far.status_code == 422
    assert (error_of(far)["code"], error_of(far)["field"]) == ("too_far", "lat")
    assert nowhere.status_code == 422
    assert error_of(nowhere)["code"] == "location_required"
    assert near.status_code == 201, near.get_json()
    assert 100 < near.get_json()["distance_m"] < 120


# ---------------------------------------------------------------- the live page


def live_path(client, event_id: int, headers) -> str:
    """Mint the live page's signed link and return its path with query."""
    response = client.post(f"{EVENTS}/{event_id}/page-links", headers=headers)
    assert response.status_code == 200, response.get_json()
    parts = urlsplit(response.get_json()["live_url"])
    return f"{parts.path}?{parts.query}"


def test_live_page_shows_a_working_rotating_event_code(app, client, organiser, resident, monkeypatch):
    event = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60), capacity=50)
    links = client.post(f"{EVENTS}/{event['id']}/page-links", headers=organiser[1])
    shown = []
    real_svg = qr_codes.svg

    def capture(data):
        shown.append(data)
        return real_svg(data)

    monkeypatch.setattr(qr_codes, "svg", capture)
    _, headers = resident()

    assert links.status_code == 200
    body = links.get_json()
    assert body["live_url"].startswith(
        app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/events/{event['id']}/live?"
    )
    assert (body["poster_url"], body["qr_url"]) == (None, None)
    assert body["expires_at"]
    parts = urlsplit(body["live_url"])
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "<svg" in html
    assert 'http-equiv="refresh"' in html
    assert "屯溪区秋季招聘会" in html
    assert "限 50 人" in html
    # What the screen shows is a code that checks in to this event.
    assert len(shown) == 1
    checked_in = scan(client, headers, shown[0])
    assert checked_in.status_code == 201, checked_in.get_json()
    assert checked_in.get_json()["event"]["id"] == event["id"]


def test_live_page_needs_a_genuine_link(client, organiser):
    event = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60))
    other = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60))
    path = live_path(client, event["id"], organiser[1])
    base, _, query = path.partition("?")
    signature = query.rsplit("sig=", 1)[1]
    tampered = query.replace(
        f"sig={signature}", f"sig={signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    )

    assert client.get(f"{base}?{tampered}").status_code == 403
    assert client.get(base).status_code == 403
    assert client.get(f"/events/{other['id']}/live?{query}").status_code == 403


def test_live_page_of_a_cancelled_event_shows_no_code(client, organiser):
    event = create_event(client, organiser[1], starts_at=at(-10), ends_at=at(60))
    path = live_path(client, event["id"], organiser[1])
    assert patch(client, event["id"], organiser[1], status="cancelled").status_code == 200

    page = client.get(path)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" not in html
    assert "签到已关闭" in html


def test_page_links_are_for_staff_in_scope(client, organiser, staff_headers, resident):
    event = create_event(client, organiser[1])
    _, other = staff_headers(*CHENGDONG_OPERATOR)
    _, resident_headers = resident()

    out_of_scope = client.post(f"{EVENTS}/{event['id']}/page-links", headers=other)
    as_resident = client.post(f"{EVENTS}/{event['id']}/page-links", headers=resident_headers)

    assert out_of_scope.status_code == 404
    assert error_of(out_of_scope)["code"] == "event_not_found"
    assert as_resident.status_code == 403


# ---------------------------------------------------------------- the OpenAPI document


def test_openapi_lists_the_event_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]

    expected = {
        "/api/v1/events": {"get", "post"},
        "/api/v1/events/{event_id}": {"get", "patch"},
        "/api/v1/events/{event_id}/signups": {"get", "post"},
        "/api/v1/events/{event_id}/signups/me": {"delete"},
        "/api/v1/events/{event_id}/check-ins": {"get"},
        "/api/v1/events/{event_id}/page-links": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    assert "security" not in paths["/api/v1/events"]["get"]
    assert paths["/api/v1/events"]["post"]["security"] == [{"bearer": []}]
    assert "201" in paths["/api/v1/events"]["post"]["responses"]
    assert {"201", "200"} <= set(paths["/api/v1/events/{event_id}/signups"]["post"]["responses"])
    request_schema = paths["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request_schema["$ref"].endswith("/EventInput")
    assert "starts_at" in spec["components"]["schemas"]["EventInput"]["properties"]


def test_the_public_list_tells_a_logged_in_resident_what_they_signed_up_for(client, organiser, resident):
    first, second = create_event(client, organiser[1]), create_event(client, organiser[1], title="第二场")
    _, headers = resident()
    assert sign_up(client, second["id"], headers).status_code == 201

    mine = client.get(EVENTS, headers=headers).get_json()["items"]

    assert {item["id"]: item["signed_up"] for item in mine} == {first["id"]: False, second["id"]: True}


def test_a_new_location_moves_an_event_off_its_station(client, organiser):
    station = create_station(client, organiser[1])
    event = create_event(client, organiser[1], station_id=station["id"])
    assert event["station"]["id"] == station["id"]

    moved = patch(client, event["id"], organiser[1], lat=29.7100, lng=118.3050)  # 老街

    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["station"] is None
    assert (moved.get_json()["lat"], moved.get_json()["lng"]) == (29.7100, 118.3050)
    assert moved.get_json()["circle"]["code"] == "341002-chengzhong"


def test_an_event_moved_onto_a_station_is_fenced_around_the_station(client, operator, wechat_login):
    station = create_station(client, operator[1])  # at 昱中
    event = open_event(client, operator[1], **LAOJIE, require_location=True, geofence_m=300)
    assert (event["lat"], event["lng"]) == (LAOJIE["lat"], LAOJIE["lng"])

    moved = client.patch(f"{EVENTS}/{event['id']}", json={"station_id": station["id"]}, headers=operator[1])

    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["station"]["id"] == station["id"]
    assert (moved.get_json()["lat"], moved.get_json()["lng"]) == (None, None)
    row = db.session.get(Event, event["id"])
    assert (row.lat, row.lng, row.require_location) == (None, None, True)

    far = check_in(client, wechat_login()[1], event_url(event["id"]), purpose="event", **LAOJIE)
    near = check_in(client, wechat_login()[1], event_url(event["id"]), purpose="event", **YUZHONG)
    assert far.status_code == 422 and error_of(far)["code"] == "too_far"  # the old point no longer counts
    assert near.status_code == 201, near.get_json()
    assert near.get_json()["distance_m"] == pytest.approx(0, abs=1)


def test_sign_ups_and_check_ins_come_in_pages(client, organiser, resident):
    event = create_event(client, organiser[1])
    for name in ("张一", "张二", "张三"):
        assert sign_up(client, event["id"], resident(name)[1]).status_code == 201

    first = client.get(f"{EVENTS}/{event['id']}/signups?per_page=2", headers=organiser[1]).get_json()
    second = client.get(f"{EVENTS}/{event['id']}/signups?per_page=2&page=2", headers=organiser[1]).get_json()

    assert (len(first["items"]), len(second["items"]), first["total"], second["total"]) == (2, 1, 3, 3)
    too_many = client.get(f"{EVENTS}/{event['id']}/check-ins?per_page=501", headers=organiser[1])
    assert too_many.status_code == 422
