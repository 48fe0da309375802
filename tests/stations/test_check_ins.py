"""Check-in at stations: scanned codes, every refusal, idempotency, queue numbers, staff views, bursts."""

import io
import threading
import time
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import redis
import sqlalchemy as sa
from flask.testing import FlaskClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.common.clock import local_day
from app.common.geo import distance_m
from app.extensions import db
from app.models import Account, CheckIn, QrTokenUse, Resident, Station
from app.services.people.tokens import issue_token
from app.services.stations import check_ins as check_in_service
from app.services.stations import qr_codes
from tests.conftest import give_consent, make_id_number
from tests.support import assert_refused, check_in, error_of, event_url, open_event

CHECK_INS = "/api/v1/check-ins"
STATIONS = "/api/v1/stations"
EVENTS = "/api/v1/events"
ME = "/api/v1/me"
CITY = ("city_admin", "city", "341000000000")
CHENGZHONG = "341002-chengzhong"
# 昱中 township office (circle chengzhong) and 昱东 township office (circle chengdong).
YUZHONG = (29.716, 118.318)
YUDONG = (29.7225, 118.3385)
# About 2 km due north of 昱中.
TWO_KM_NORTH = (YUZHONG[0] + 0.018, YUZHONG[1])
# About 220 m due north of 昱中.
NEARBY = (YUZHONG[0] + 0.002, YUZHONG[1])


def today() -> str:
    """Return the city's (Asia/Shanghai) calendar day as YYYY-MM-DD."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def new_client_id() -> str:
    """Return a fresh client-made id, as the mini-program would send."""
    return uuid4().hex


def check_in_count() -> int:
    """Return how many check-ins are stored."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn))


def make_station(client, headers, circle=CHENGZHONG, at=YUZHONG, name="昱中就业服务站", **fields) -> dict:
    """Create a station through the API and return its body."""
    body = {"name": name, "circle": circle, "lat": at[0], "lng": at[1], **fields}
    response = client.post(STATIONS, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def printed_url(client, headers, station_id: int) -> str:
    """Return what the station's printed QR code encodes (from its page links)."""
    response = client.post(f"{STATIONS}/{station_id}/page-links", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["qr_url"]


def token_of(url: str) -> str:
    """Return the bare token of a code URL."""
    return parse_qs(urlsplit(url).query)["t"][0]


def rotating_url(station_id: int, now: float | None = None) -> str:
    """Return the URL a station's live screen shows for the window of `now`."""
    station = db.session.get(Station, station_id)
    db.session.refresh(station)
    return qr_codes.station_url(station, qr_codes.rotating_token(station, now))


def codes_of(steps: list[dict]) -> list[str]:
    """Return the codes of next steps, in order."""
    return [step["code"] for step in steps]


def bulk_residents(count: int) -> list[dict]:
    """Make `count` resident accounts (each with its resident record) and tokens in one commit."""
    run = uuid4().hex[:8]
    accounts = [Account(role="resident", openid=f"bulk-{run}-{i}") for i in range(count)]
    db.session.add_all(accounts)
    db.session.add_all(Resident(account=account) for account in accounts)
    db.session.flush()
    headers = [{"Authorization": f"Bearer {issue_token(account)[0]}"} for account in accounts]
    db.session.commit()
    give_consent(*(account.id for account in accounts))  # as at the mini-program's first run
    return headers


@pytest.fixture
def admin(staff_headers):
    """A city admin's headers."""
    return staff_headers(*CITY)[1]


@pytest.fixture
def station(client, admin) -> dict:
    """A station of the chengzhong circle at 昱中, not asking for location."""
    return make_station(client, admin)


@pytest.fixture
def qr_url(client, admin, station) -> str:
    """The station's printed code URL."""
    return printed_url(client, admin, station["id"])


@pytest.fixture
def resident(wechat_login):
    """A freshly logged-in resident's headers (no name, ID number, community or phone)."""
    return wechat_login()[1]


@pytest.fixture
def clock(monkeypatch):
    """Return a setter of the QR codes' clock: clock(t) makes qr_codes see unix time t."""

    def set_time(moment: float) -> None:
        monkeypatch.setattr(qr_codes, "time", SimpleNamespace(time=lambda: moment))

    return set_time


@pytest.fixture
def full_resident(client, wechat_login):
    """A resident with name 张秀英, an ID number, a community and a bound phone: headers, phone."""
    _, headers, codes = wechat_login()
    profile = {"name": "张秀英", "id_number": make_id_number(), "community_code": "341002002001"}
    response = client.patch(ME, json=profile, headers=headers)
    assert response.status_code == 200, response.get_json()
    response = client.post("/api/v1/auth/wechat-phone", json={"code": codes["phone_code"]}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return headers, codes["phone"]


# ---- the happy path -------------------------------------------------------------------------


def test_first_check_in_gets_number_one_and_the_next_steps(client, station, qr_url, resident):
    before = today()
    response = check_in(client, resident, qr_url, purpose="consult")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["queue_number"] == 1
    assert body["day"] in {before, today()}
    assert body["purpose"] == "consult"
    assert body["via"] == "printed"
    assert body["repeated"] is False
    assert body["distance_m"] is None
    assert body["served_at"] is None
    assert body["event"] is None
    assert body["station"]["id"] == station["id"]
    assert body["station"]["code"] == station["code"] == "341002-chengzhong-01"
    assert body["station"]["name"] == "昱中就业服务站"
    assert body["station"]["circle"] == station["circle"]
    assert body["station"]["circle"]["code"] == CHENGZHONG
    assert codes_of(body["next_steps"]) == ["complete_profile", "bind_phone", "wait_for_call"]
    assert all(step["message"] for step in body["next_steps"])
    assert "第 1 号" in body["next_steps"][-1]["message"]
    row = db.session.get(CheckIn, body["id"])
    assert (row.station_id, row.queue_number, row.via, row.purpose) == (
        station["id"],
        1,
        "printed",
        "consult",
    )
    assert row.day.isoformat() == body["day"]
    assert row.circle_id is not None and row.district_id is not None
    assert row.resident_id is not None
    assert check_in_count() == 1


def test_job_seeking_without_a_resume_is_asked_to_write_one(client, qr_url, resident):
    response = check_in(client, resident, qr_url, purpose="job_seeking")

    assert response.status_code == 201, response.get_json()
    assert codes_of(response.get_json()["next_steps"]) == [
        "complete_profile",
        "bind_phone",
        "write_resume",
        "wait_for_call",
    ]


def test_job_seeking_with_a_resume_is_not_asked_to_write_one(client, qr_url, resident):
    saved = client.put(f"{ME}/resume", json={"intro": "能吃苦,住老街附近。"}, headers=resident)
    assert saved.status_code == 200, saved.get_json()

    response = check_in(client, resident, qr_url, purpose="job_seeking")

    assert response.status_code == 201, response.get_json()
    assert codes_of(response.get_json()["next_steps"]) == ["complete_profile", "bind_phone", "wait_for_call"]


def test_job_seeking_with_a_resume_file_only_is_not_asked_to_write_one(client, qr_url, resident):
    # A résumé sent from a chat as a PDF is a résumé, even with the form left empty.
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    uploaded = client.post(
        f"{ME}/resume/files",
        data={"file": (io.BytesIO(pdf), "cv.pdf")},
        headers=resident,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()

    response = check_in(client, resident, qr_url, purpose="job_seeking")

    assert codes_of(response.get_json()["next_steps"]) == ["complete_profile", "bind_phone", "wait_for_call"]


def test_a_full_profile_is_asked_only_to_wait(client, qr_url, full_resident):
    headers, _ = full_resident

    response = check_in(client, headers, qr_url, purpose="policy")

    assert response.status_code == 201, response.get_json()
    assert codes_of(response.get_json()["next_steps"]) == ["wait_for_call"]


def test_a_profile_without_a_phone_is_asked_only_to_bind_it(client, qr_url, wechat_login):
    _, headers, _ = wechat_login()
    profile = {"name": "李四", "id_number": make_id_number(), "community_code": "341002002001"}
    assert client.patch(ME, json=profile, headers=headers).status_code == 200

    response = check_in(client, headers, qr_url)

    assert response.status_code == 201, response.get_json()
    assert codes_of(response.get_json()["next_steps"]) == ["bind_phone", "wait_for_call"]


def test_an_employer_may_check_in_and_gets_no_resident_steps(client, qr_url, make_employer):
    _, headers = make_employer()

    response = check_in(client, headers, qr_url, purpose="other")

    assert response.status_code == 201, response.get_json()
    assert codes_of(response.get_json()["next_steps"]) == ["wait_for_call"]
    assert db.session.get(CheckIn, response.get_json()["id"]).purpose == "other"


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda url: url, id="url"),
        pytest.param(lambda url: quote(url, safe=""), id="percent-encoded-q-param"),
        pytest.param(
            lambda url: "https://servicewechat.com/pages/check-in?q=" + quote(url, safe=""), id="page"
        ),
        pytest.param(token_of, id="bare-token"),
        pytest.param(lambda url: f"  {url}\n", id="url-with-whitespace"),
    ],
)
def test_every_form_of_the_scanned_code_is_accepted(client, station, qr_url, resident, form):
    response = check_in(client, resident, form(qr_url))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["station"]["id"], body["queue_number"], body["via"]) == (station["id"], 1, "printed")


def test_a_rotating_code_checks_in_via_rotating(client, station, resident):
    response = check_in(client, resident, rotating_url(station["id"]))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["via"] == "rotating"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QrTokenUse)) == 1


# ---- refusals -------------------------------------------------------------------------------


def _flip(character: str) -> str:
    return "A" if character != "A" else "B"


def test_a_signature_changed_by_one_character_is_token_invalid(client, qr_url, resident):
    token = token_of(qr_url)
    body, _, signature = token.rpartition(".")
    for position in (0, len(signature) // 2, len(signature) - 1):
        forged_signature = signature[:position] + _flip(signature[position]) + signature[position + 1 :]
        forged = qr_url.replace(token, f"{body}.{forged_signature}")
        assert_refused(check_in(client, resident, forged), 422, "token_invalid")
        assert_refused(check_in(client, resident, f"{body}.{forged_signature}"), 422, "token_invalid")


def test_a_token_naming_another_station_is_token_invalid(client, admin, station, qr_url, resident):
    other = make_station(client, admin, name="昱中第二服务站")
    kind, station_id, rest = token_of(qr_url).split(".", 2)
    assert int(station_id) == station["id"]

    forged = f"{kind}.{other['id']}.{rest}"

    assert_refused(check_in(client, resident, forged), 422, "token_invalid")


def test_a_token_of_a_missing_station_is_token_invalid(client, places, resident):
    missing = SimpleNamespace(id=999_999, qr_version=1, code="341002-chengzhong-99")
    token = qr_codes.printed_token(missing)

    assert_refused(check_in(client, resident, token), 422, "token_invalid")
    assert_refused(check_in(client, resident, qr_codes.station_url(missing, token)), 422, "token_invalid")


@pytest.mark.parametrize(
    "garbage",
    [
        "hello",
        "p1.1.1.1",
        "x1.1.1.1.abcdefghijklmnopqrstuv",
        "p1.one.1.1.abcdefghijklmnopqrstuv",
        "http://127.0.0.1:5000/jobs/5",
        "https://example.com/?q=https%3A%2F%2Fexample.com%2Fjobs%2F1",
    ],
)
def test_garbage_is_token_invalid(client, station, resident, garbage):
    assert_refused(check_in(client, resident, garbage), 422, "token_invalid")


@pytest.mark.parametrize("garbage", ["p99.1.1.1.abcdefghijklmnopqrstuv", "p-1.1.1.1.abcdefghijklmnopqrstuv"])
def test_a_never_issued_key_version_is_token_invalid(client, station, resident, garbage):
    assert_refused(check_in(client, resident, garbage), 422, "token_invalid")


def test_a_genuine_token_under_another_path_is_token_invalid(client, qr_url, resident):
    other_path = f"http://127.0.0.1:5000/jobs/5?t={token_of(qr_url)}"

    assert_refused(check_in(client, resident, other_path), 422, "token_invalid")


def test_a_url_whose_code_is_another_stations_is_token_invalid(client, admin, station, qr_url, resident):
    other = make_station(client, admin, circle="341002-chengdong", at=YUDONG, name="昱东就业服务站")
    swapped = qr_url.replace(f"/s/{station['code']}?", f"/s/{other['code']}?")
    assert swapped != qr_url

    assert_refused(check_in(client, resident, swapped), 422, "token_invalid")


def test_a_printed_code_of_an_older_version_is_token_revoked(client, admin, station, qr_url, resident):
    rotated = client.post(f"{STATIONS}/{station['id']}/qr/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.get_json()
    assert rotated.get_json()["qr_version"] == 2

    assert_refused(check_in(client, resident, qr_url), 422, "token_revoked")
    assert_refused(check_in(client, resident, token_of(qr_url)), 422, "token_revoked")

    fresh = check_in(client, resident, printed_url(client, admin, station["id"]))
    assert fresh.status_code == 201, fresh.get_json()


def test_a_rotating_code_of_an_older_version_is_token_revoked(client, admin, station, resident):
    old = rotating_url(station["id"])
    assert client.post(f"{STATIONS}/{station['id']}/qr/rotate", headers=admin).status_code == 200

    assert_refused(check_in(client, resident, old), 422, "token_revoked")


def test_a_code_signed_with_a_retired_key_is_token_revoked(app, client, qr_url, resident):
    app.config.update(QR_KEYS="2:a-brand-new-qr-signing-secret", QR_KEY_VERSION=2)

    assert_refused(check_in(client, resident, qr_url), 422, "token_revoked")


def test_a_rotating_code_lives_through_its_window_and_the_grace(app, client, station, wechat_login, clock):
    period = app.config["QR_ROTATING_SECONDS"]
    grace = app.config["QR_ROTATING_GRACE_SECONDS"]
    start = (int(time.time()) // period) * period + 5  # five seconds into a window
    url = rotating_url(station["id"], now=start)

    clock(start + period + grace - 6)  # the last second of the grace (window ends at start - 5 + period)
    late = check_in(client, wechat_login()[1], url)
    assert late.status_code == 201, late.get_json()

    clock(start + period + grace - 5)  # the first second after it
    expired = check_in(client, wechat_login()[1], url)
    assert expired.status_code == 422, expired.get_json()
    assert error_of(expired)["code"] == "token_expired"
    assert error_of(expired)["field"] == "url_or_token"
    assert check_in_count() == 1


def test_a_rotating_code_long_past_is_token_expired(app, client, station, resident, clock):
    url = rotating_url(station["id"])

    clock(time.time() + 10 * 60)

    assert_refused(check_in(client, resident, url), 422, "token_expired")


def test_a_rotating_code_from_the_future_is_token_invalid(app, client, station, resident):
    url = rotating_url(station["id"], now=time.time() + 5 * app.config["QR_ROTATING_SECONDS"])

    assert_refused(check_in(client, resident, url), 422, "token_invalid")


def test_a_rotating_code_is_used_once_per_person(client, station, resident, wechat_login):
    url = rotating_url(station["id"])
    first = check_in(client, resident, url)
    assert first.status_code == 201, first.get_json()

    replay = check_in(client, resident, url)

    assert replay.status_code == 409, replay.get_json()
    assert error_of(replay)["code"] == "token_replayed"
    assert error_of(replay)["field"] == "url_or_token"
    assert check_in_count() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QrTokenUse)) == 1
    other = check_in(client, wechat_login()[1], url)
    assert other.status_code == 201, other.get_json()
    assert other.get_json()["queue_number"] == 2
    assert check_in_count() == 2


def test_a_rotating_code_refused_for_distance_can_be_used_again(client, admin, wechat_login):
    far_station = make_station(client, admin, require_location=True, geofence_m=500)
    url = rotating_url(far_station["id"])
    headers = wechat_login()[1]

    too_far = check_in(client, headers, url, lat=TWO_KM_NORTH[0], lng=TWO_KM_NORTH[1])
    assert_refused(too_far, 422, "too_far", field="lat")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QrTokenUse)) == 0

    near = check_in(client, headers, url, lat=NEARBY[0], lng=NEARBY[1])
    assert near.status_code == 201, near.get_json()


def test_a_station_asking_for_location_refuses_a_check_in_without_one(client, admin, resident):
    located = make_station(client, admin, require_location=True)
    url = printed_url(client, admin, located["id"])

    assert_refused(check_in(client, resident, url), 422, "location_required", field="lat")
    assert_refused(check_in(client, resident, url, lat=None, lng=None), 422, "location_required", field="lat")


def test_a_station_asking_for_location_refuses_2_km_away(client, admin, resident):
    located = make_station(client, admin, require_location=True, geofence_m=500)
    url = printed_url(client, admin, located["id"])

    error = assert_refused(
        check_in(client, resident, url, lat=TWO_KM_NORTH[0], lng=TWO_KM_NORTH[1]), 422, "too_far", field="lat"
    )
    assert "500" in error["message"]


def test_a_station_asking_for_location_accepts_inside_its_geofence(client, admin, resident):
    located = make_station(client, admin, require_location=True, geofence_m=500)
    url = printed_url(client, admin, located["id"])

    response = check_in(client, resident, url, lat=NEARBY[0], lng=NEARBY[1])

    assert response.status_code == 201, response.get_json()
    expected = distance_m(NEARBY[0], NEARBY[1], *YUZHONG)
    assert 200 < expected < 250
    assert response.get_json()["distance_m"] == pytest.approx(expected, abs=0.1)
    assert db.session.get(CheckIn, response.get_json()["id"]).distance_m == pytest.approx(expected, abs=0.1)


def test_a_station_not_asking_for_location_records_the_distance_only(client, qr_url, resident):
    response = check_in(client, resident, qr_url, lat=TWO_KM_NORTH[0], lng=TWO_KM_NORTH[1])

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["distance_m"] == pytest.approx(distance_m(*TWO_KM_NORTH, *YUZHONG), abs=0.1)


def test_half_a_location_is_422(client, qr_url, resident):
    assert_refused(check_in(client, resident, qr_url, lat=NEARBY[0]), 422, "validation_error", field="lng")


def test_swapped_coordinates_are_named_as_such(client, qr_url, resident):
    swapped = check_in(client, resident, qr_url, lat=YUZHONG[1], lng=YUZHONG[0])

    assert_refused(swapped, 422, "coordinates_swapped", field="lat")


def test_an_inactive_station_refuses_check_in(client, admin, station, qr_url, resident):
    closed = client.patch(f"{STATIONS}/{station['id']}", json={"is_active": False}, headers=admin)
    assert closed.status_code == 200, closed.get_json()

    assert_refused(check_in(client, resident, qr_url), 422, "station_inactive")
    assert_refused(check_in(client, resident, rotating_url(station["id"])), 422, "station_inactive")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": "sightseeing"}, "purpose"),
        ({"purpose": None}, "purpose"),
        ({"client_id": None}, "client_id"),
        ({"client_id": "short"}, "client_id"),
        ({"client_id": "has spaces in it"}, "client_id"),
        ({"client_id": "x" * 65}, "client_id"),
        ({"url_or_token": ""}, "url_or_token"),
        ({"url_or_token": "x" * 1001}, "url_or_token"),
    ],
)
def test_a_malformed_body_is_422(client, qr_url, resident, change, field):
    body = {"url_or_token": qr_url, "purpose": "consult", "client_id": new_client_id(), **change}
    body = {name: value for name, value in body.items() if value is not None}

    response = client.post(CHECK_INS, json=body, headers=resident)

    assert_refused(response, 422, "validation_error", field=field)


def test_staff_may_not_check_in_at_a_station(client, staff_headers, qr_url):
    """Staff check in to trainings (events) only; admins above a township not at all."""
    _, headers = staff_headers("station_staff", "circle", CHENGZHONG)
    assert_refused(check_in(client, headers, qr_url), 422, "staff_event_only")

    _, admin = staff_headers("district_admin", "district", "341002000000")
    assert_refused(check_in(client, admin, qr_url), 403, "role_forbidden", field=None)


def test_check_in_needs_a_login(client, qr_url):
    assert_refused(check_in(client, {}, qr_url), 401, "auth_required", field=None)
    assert_refused(
        check_in(client, {"Authorization": "Bearer nope"}, qr_url), 401, "token_invalid", field=None
    )


# ---- idempotency and the repeat window -----------------------------------------------------


def test_the_same_client_id_gives_back_the_first_check_in(client, qr_url, resident):
    client_id = new_client_id()
    first = check_in(client, resident, qr_url, client_id=client_id)
    assert first.status_code == 201, first.get_json()

    again = check_in(client, resident, qr_url, client_id=client_id)

    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["queue_number"] == first.get_json()["queue_number"] == 1
    assert again.get_json()["repeated"] is True
    assert check_in_count() == 1


def test_a_retry_with_the_same_client_id_is_not_a_replay(client, station, resident):
    url, client_id = rotating_url(station["id"]), new_client_id()
    first = check_in(client, resident, url, client_id=client_id)
    assert first.status_code == 201, first.get_json()

    again = check_in(client, resident, url, client_id=client_id)

    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert check_in_count() == 1


def test_another_scan_within_30_minutes_gives_back_the_check_in(client, station, qr_url, resident):
    first = check_in(client, resident, qr_url)
    assert first.status_code == 201, first.get_json()

    for url in (qr_url, rotating_url(station["id"])):
        again = check_in(client, resident, url, purpose="claim")
        assert again.status_code == 200, again.get_json()
        assert again.get_json()["id"] == first.get_json()["id"]
        assert again.get_json()["queue_number"] == 1
        assert again.get_json()["purpose"] == "consult"
        assert again.get_json()["repeated"] is True
    assert check_in_count() == 1


def _age(check_in_id: int, minutes: int) -> None:
    row = db.session.get(CheckIn, check_in_id)
    row.created_at = row.created_at - timedelta(minutes=minutes)
    db.session.commit()


def test_after_30_minutes_a_scan_is_a_new_visit(client, qr_url, resident):
    first = check_in(client, resident, qr_url).get_json()

    _age(first["id"], 29)
    within = check_in(client, resident, qr_url)
    assert within.status_code == 200, within.get_json()
    assert within.get_json()["id"] == first["id"]

    _age(first["id"], 2)  # 31 minutes old now
    later = check_in(client, resident, qr_url)

    assert later.status_code == 201, later.get_json()
    assert later.get_json()["id"] != first["id"]
    assert later.get_json()["queue_number"] == 2
    assert later.get_json()["repeated"] is False
    assert check_in_count() == 2


def test_after_30_minutes_by_the_service_clock_a_scan_is_a_new_visit(client, qr_url, resident, monkeypatch):
    # Both scans at noon of today in Beijing and 31 minutes later: from a real clock at 23:40 the
    # second would fall on the next day, whose queue starts again at 1.
    noon = datetime.combine(local_day(check_in_service.utcnow()), datetime.min.time()) + timedelta(hours=4)
    monkeypatch.setattr(check_in_service, "utcnow", lambda: noon)
    first = check_in(client, resident, qr_url).get_json()
    later_now = noon + timedelta(minutes=31)
    monkeypatch.setattr(check_in_service, "utcnow", lambda: later_now)

    later = check_in(client, resident, qr_url)

    assert later.status_code == 201, later.get_json()
    assert later.get_json()["queue_number"] == 2
    assert later.get_json()["id"] != first["id"]


def test_the_same_resident_at_another_station_gets_a_new_check_in(client, admin, qr_url, resident):
    first = check_in(client, resident, qr_url)
    other = make_station(client, admin, circle="341002-chengdong", at=YUDONG, name="昱东就业服务站")

    there = check_in(client, resident, printed_url(client, admin, other["id"]))

    assert there.status_code == 201, there.get_json()
    assert there.get_json()["station"]["id"] == other["id"]
    assert there.get_json()["queue_number"] == 1
    assert there.get_json()["id"] != first.get_json()["id"]
    assert check_in_count() == 2


def test_a_scan_after_midnight_starts_the_new_days_queue(client, qr_url, resident, monkeypatch):
    """23:50 then 00:05: within 30 minutes, but a new local day, so a new check-in and number."""
    first = check_in(client, resident, qr_url).get_json()
    tomorrow = check_in_service.local_day() + timedelta(days=1)
    monkeypatch.setattr(check_in_service, "local_day", lambda moment=None: tomorrow)

    after_midnight = check_in(client, resident, qr_url)

    assert after_midnight.status_code == 201, after_midnight.get_json()
    assert after_midnight.get_json()["id"] != first["id"]
    assert (after_midnight.get_json()["queue_number"], after_midnight.get_json()["day"]) == (
        1,
        tomorrow.isoformat(),
    )


# ---- queue numbers --------------------------------------------------------------------------


def test_queue_numbers_count_per_station_per_local_day(client, admin, qr_url, wechat_login, monkeypatch):
    a, b, c, d = (wechat_login()[1] for _ in range(4))
    numbers = [check_in(client, headers, qr_url).get_json()["queue_number"] for headers in (a, b, c)]
    assert numbers == [1, 2, 3]

    other = make_station(client, admin, name="昱中第二服务站")
    other_url = printed_url(client, admin, other["id"])
    assert check_in(client, d, other_url).get_json()["queue_number"] == 1
    assert check_in(client, a, other_url).get_json()["queue_number"] == 2

    tomorrow = check_in_service.local_day() + timedelta(days=1)
    monkeypatch.setattr(check_in_service, "local_day", lambda moment=None: tomorrow)
    next_day = check_in(client, d, qr_url)

    assert next_day.status_code == 201, next_day.get_json()
    assert next_day.get_json()["queue_number"] == 1
    assert next_day.get_json()["day"] == tomorrow.isoformat()
    rows = db.session.scalars(sa.select(CheckIn).order_by(CheckIn.id)).all()
    assert [(row.queue_number, row.day) for row in rows][-1] == (1, tomorrow)
    assert len({(row.queue_key, row.queue_number) for row in rows}) == 6


# ---- staff views ----------------------------------------------------------------------------


@pytest.fixture
def visits(client, admin, station, qr_url, full_resident, wechat_login):
    """Three check-ins at the station (1: 张秀英, 2 and 3: fresh residents) and one at another."""
    headers, phone = full_resident
    ids = [check_in(client, headers, qr_url).get_json()["id"]]
    for _ in range(2):
        ids.append(check_in(client, wechat_login()[1], qr_url).get_json()["id"])
    other = make_station(client, admin, circle="341002-chengdong", at=YUDONG, name="昱东就业服务站")
    other_id = check_in(client, wechat_login()[1], printed_url(client, admin, other["id"])).get_json()["id"]
    return SimpleNamespace(
        ids=ids, phone=phone, headers=headers, station=station, other=other, other_check_in=other_id
    )


def list_check_ins(client, headers, station_id, **query):
    """GET a station's check-ins."""
    return client.get(f"{STATIONS}/{station_id}/check-ins", query_string=query, headers=headers)


def test_staff_list_a_days_check_ins_in_queue_order_masked(client, staff_headers, visits):
    _, headers = staff_headers("station_staff", "circle", CHENGZHONG)

    response = list_check_ins(client, headers, visits.station["id"], date=today())

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == 3
    assert [item["id"] for item in body["items"]] == visits.ids
    assert [item["queue_number"] for item in body["items"]] == [1, 2, 3]
    first = body["items"][0]
    assert first["person"]["name"] == "张**"
    assert first["person"]["phone"] == visits.phone[:3] + "****" + visits.phone[-4:]
    assert first["person"]["resident_id"] is not None
    assert visits.phone not in response.get_data(as_text=True)
    assert "张秀英" not in response.get_data(as_text=True)
    assert body["items"][1]["person"]["name"] is None
    assert all(item["station_id"] == visits.station["id"] for item in body["items"])
    assert all(item["served_at"] is None and item["follow_up"] is False for item in body["items"])
    # Without ?date= the list is today's.
    assert [i["id"] for i in list_check_ins(client, headers, visits.station["id"]).get_json()["items"]] == (
        visits.ids
    )


@pytest.mark.parametrize(
    "scope",
    [
        ("station_staff", "township", "341002002000"),
        ("operator", "district", "341002000000"),
        ("township_admin", "township", "341002002000"),
        ("district_admin", "district", "341002000000"),
        ("supervisor", "circle", CHENGZHONG),
        CITY,
    ],
)
def test_staff_in_scope_see_the_list(client, staff_headers, visits, scope):
    _, headers = staff_headers(*scope)

    response = list_check_ins(client, headers, visits.station["id"])

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total"] == 3


@pytest.mark.parametrize(
    "scope",
    [
        ("operator", "circle", "341002-chengdong"),
        ("station_staff", "township", "341002004000"),
        ("district_admin", "district", "341003000000"),
    ],
)
def test_staff_out_of_scope_get_404_for_the_list(client, staff_headers, visits, scope):
    _, headers = staff_headers(*scope)

    response = list_check_ins(client, headers, visits.station["id"])

    assert response.status_code == 404, response.get_json()
    assert error_of(response)["code"] == "station_not_found"


def test_another_days_list_is_empty(client, admin, visits):
    yesterday = (datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)).isoformat()

    response = list_check_ins(client, admin, visits.station["id"], date=yesterday)

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"items": [], "page": 1, "per_page": 200, "total": 0}


def test_the_list_needs_a_staff_login(client, visits):
    assert list_check_ins(client, visits.headers, visits.station["id"]).status_code == 403
    assert list_check_ins(client, {}, visits.station["id"]).status_code == 401


def test_a_stations_check_in_list_leaves_out_check_ins_of_events_held_there(client, operator, wechat_login):
    station = make_station(client, operator[1])
    event = open_event(client, operator[1], station_id=station["id"])
    walk_in, visitor = wechat_login()[1], wechat_login()[1]

    at_station = check_in(client, walk_in, printed_url(client, operator[1], station["id"]))
    at_event = check_in(client, visitor, event_url(event["id"]), purpose="event")
    assert at_station.status_code == 201, at_station.get_json()
    assert at_event.status_code == 201, at_event.get_json()
    assert at_event.get_json()["station"]["id"] == station["id"]  # the event's row names the station

    station_list = client.get(f"{STATIONS}/{station['id']}/check-ins", headers=operator[1])
    event_list = client.get(f"{EVENTS}/{event['id']}/check-ins", headers=operator[1])

    assert station_list.status_code == 200, station_list.get_json()
    assert [(i["id"], i["queue_number"], i["event_id"]) for i in station_list.get_json()["items"]] == [
        (at_station.get_json()["id"], 1, None)
    ]
    assert station_list.get_json()["total"] == 1
    assert event_list.status_code == 200, event_list.get_json()
    assert [(i["id"], i["queue_number"], i["event_id"]) for i in event_list.get_json()["items"]] == [
        (at_event.get_json()["id"], 1, event["id"])
    ]


def serve(client, headers, check_in_id, **values):
    """PATCH a check-in's serving record."""
    return client.patch(f"{CHECK_INS}/{check_in_id}", json=values, headers=headers)


def test_staff_mark_a_visit_served_and_undo_it(client, staff_headers, visits):
    staff, headers = staff_headers("station_staff", "circle", CHENGZHONG)
    target = visits.ids[1]

    response = serve(client, headers, target, served=True, outcome_note="已推荐岗位", follow_up=True)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == target
    assert body["served_at"] is not None
    assert body["served_by_id"] == staff.id
    assert body["outcome_note"] == "已推荐岗位"
    assert body["follow_up"] is True
    row = db.session.get(CheckIn, target)
    assert row.served_at is not None and row.served_by_id == staff.id
    assert (row.outcome_note, row.follow_up) == ("已推荐岗位", True)

    unserved = list_check_ins(client, headers, visits.station["id"], served="false").get_json()
    assert [item["id"] for item in unserved["items"]] == [visits.ids[0], visits.ids[2]]
    served = list_check_ins(client, headers, visits.station["id"], served="true").get_json()
    assert [item["id"] for item in served["items"]] == [target]
    # The visitor no longer is asked to wait for the call.
    mine = client.get(f"{CHECK_INS}/{visits.ids[0]}", headers=visits.headers).get_json()
    assert codes_of(mine["next_steps"]) == ["wait_for_call"]

    undone = serve(client, headers, target, served=False)

    assert undone.status_code == 200, undone.get_json()
    assert undone.get_json()["served_at"] is None
    assert undone.get_json()["served_by_id"] is None
    assert undone.get_json()["outcome_note"] == "已推荐岗位"
    db.session.expire_all()
    row = db.session.get(CheckIn, target)
    assert row.served_at is None and row.served_by_id is None


def test_serving_twice_keeps_who_served_first(client, staff_headers, visits):
    first_staff, first = staff_headers("station_staff", "circle", CHENGZHONG)
    _, second = staff_headers("operator", "circle", CHENGZHONG)
    served_at = serve(client, first, visits.ids[0], served=True).get_json()["served_at"]

    again = serve(client, second, visits.ids[0], served=True, outcome_note="复查")

    assert again.status_code == 200, again.get_json()
    assert again.get_json()["served_by_id"] == first_staff.id
    assert again.get_json()["served_at"] == served_at
    assert again.get_json()["outcome_note"] == "复查"


@pytest.mark.parametrize(
    ("scope", "status", "code"),
    [
        (("supervisor", "circle", CHENGZHONG), 403, "role_forbidden"),
        (("grid_worker", "community", "341002002001"), 403, "role_forbidden"),
        (("station_staff", "township", "341002004000"), 404, "check_in_not_found"),
        (("station_staff", "circle", "341002-chengdong"), 404, "check_in_not_found"),
        (("district_admin", "district", "341003000000"), 404, "check_in_not_found"),
    ],
)
def test_who_may_not_serve_a_visit(client, staff_headers, visits, scope, status, code):
    _, headers = staff_headers(*scope)

    response = serve(client, headers, visits.ids[0], served=True)

    assert response.status_code == status, response.get_json()
    assert error_of(response)["code"] == code
    assert db.session.get(CheckIn, visits.ids[0]).served_at is None


def test_an_outcome_note_over_500_characters_is_422(client, admin, visits):
    response = serve(client, admin, visits.ids[0], served=True, outcome_note="记" * 501)

    assert response.status_code == 422, response.get_json()
    assert error_of(response)["field"] == "outcome_note"
    assert db.session.get(CheckIn, visits.ids[0]).served_at is None


def test_a_resident_may_not_serve(client, visits):
    response = serve(client, visits.headers, visits.ids[0], served=True)

    assert response.status_code == 403, response.get_json()
    assert db.session.get(CheckIn, visits.ids[0]).served_at is None


def counts(client, headers, **query):
    """GET the daily counts."""
    return client.get(f"{CHECK_INS}/counts", query_string=query, headers=headers)


def test_daily_counts_per_station_with_served(client, staff_headers, admin, visits):
    _, staff = staff_headers("station_staff", "circle", CHENGZHONG)
    assert serve(client, staff, visits.ids[0], served=True).status_code == 200
    day = today()

    everything = counts(client, admin, **{"from": day, "to": day})

    assert everything.status_code == 200, everything.get_json()
    assert everything.get_json()["items"] == [
        {
            "date": day,
            "station_id": visits.station["id"],
            "station_code": visits.station["code"],
            "station_name": visits.station["name"],
            "event_id": None,
            "check_ins": 3,
            "served": 1,
            "out_of_hours": 0,
        },
        {
            "date": day,
            "station_id": visits.other["id"],
            "station_code": visits.other["code"],
            "station_name": visits.other["name"],
            "event_id": None,
            "check_ins": 1,
            "served": 0,
            "out_of_hours": 0,
        },
    ]
    # The default range (the last 7 days) holds today.
    assert counts(client, admin).get_json() == everything.get_json()
    only = counts(client, admin, station_id=visits.other["id"]).get_json()["items"]
    assert [(item["station_id"], item["check_ins"]) for item in only] == [(visits.other["id"], 1)]
    # Staff see only their place.
    mine = counts(client, staff).get_json()["items"]
    assert [(item["station_id"], item["check_ins"], item["served"]) for item in mine] == [
        (visits.station["id"], 3, 1)
    ]
    _, elsewhere = staff_headers("district_admin", "district", "341003000000")
    assert counts(client, elsewhere).get_json() == {"items": []}
    yesterday = (datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)).isoformat()
    assert counts(client, admin, **{"from": yesterday, "to": yesterday}).get_json() == {"items": []}


def test_daily_counts_refuse_from_after_to(client, admin):
    response = counts(client, admin, **{"from": "2026-03-02", "to": "2026-03-01"})

    assert response.status_code == 422, response.get_json()
    assert error_of(response)["code"] == "invalid_date_range"
    assert error_of(response)["field"] == "from"


def test_daily_counts_cover_at_most_366_days(client, staff_headers):
    _, admin = staff_headers("city_admin", "city", "341000000000")

    too_long = client.get(
        f"{CHECK_INS}/counts", query_string={"from": "2025-01-01", "to": "2026-01-02"}, headers=admin
    )
    longest = client.get(
        f"{CHECK_INS}/counts", query_string={"from": "2025-01-01", "to": "2026-01-01"}, headers=admin
    )

    assert too_long.status_code == 422, too_long.get_json()
    assert (error_of(too_long)["code"], error_of(too_long)["field"]) == ("date_range_too_long", "from")
    assert longest.status_code == 200, longest.get_json()
    assert longest.get_json() == {"items": []}


def test_daily_counts_are_for_staff(client, visits):
    assert counts(client, visits.headers).status_code == 403
    assert counts(client, {}).status_code == 401


def test_a_resident_reads_their_own_check_in_only(client, visits, wechat_login):
    mine = client.get(f"{CHECK_INS}/{visits.ids[0]}", headers=visits.headers)

    assert mine.status_code == 200, mine.get_json()
    assert mine.get_json()["id"] == visits.ids[0]
    assert mine.get_json()["queue_number"] == 1
    assert mine.get_json()["station"]["id"] == visits.station["id"]
    assert mine.get_json()["repeated"] is True
    assert codes_of(mine.get_json()["next_steps"]) == ["wait_for_call"]

    theirs = client.get(f"{CHECK_INS}/{visits.ids[1]}", headers=visits.headers)
    assert theirs.status_code == 404, theirs.get_json()
    assert error_of(theirs)["code"] == "check_in_not_found"
    stranger = client.get(f"{CHECK_INS}/{visits.ids[0]}", headers=wechat_login()[1])
    assert stranger.status_code == 404, stranger.get_json()
    assert client.get(f"{CHECK_INS}/999999", headers=visits.headers).status_code == 404


# ---- Redis down -----------------------------------------------------------------------------


def test_check_in_works_while_redis_is_down(app, client, station, qr_url, wechat_login):
    printed, rotating = wechat_login()[1], wechat_login()[1]
    rotating_code = rotating_url(station["id"])
    down = redis.Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    app.extensions["redis"] = app.extensions["queue_redis"] = down
    with pytest.raises(redis.ConnectionError):
        down.ping()

    first = check_in(client, printed, qr_url)
    second = check_in(client, rotating, rotating_code)
    replay = check_in(client, rotating, rotating_code)

    assert first.status_code == 201, first.get_json()
    assert second.status_code == 201, second.get_json()
    assert [first.get_json()["queue_number"], second.get_json()["queue_number"]] == [1, 2]
    assert replay.status_code == 409, replay.get_json()
    assert check_in_count() == 2


# ---- bursts ---------------------------------------------------------------------------------


def test_a_burst_of_check_ins_gets_every_number_once(client, station, qr_url, backend):
    # 1,000 take about 14 s on either backend (14 ms a check-in): all of them on the real one.
    count = 1000 if backend == "real" else 250
    headers = bulk_residents(count)
    started = time.perf_counter()

    statuses = [check_in(client, h, qr_url).status_code for h in headers]

    elapsed = time.perf_counter() - started
    print(f"{count} check-ins on {backend}: {elapsed:.1f} s")
    assert statuses == [201] * count
    numbers = db.session.scalars(sa.select(CheckIn.queue_number).where(CheckIn.station_id == station["id"]))
    numbers = sorted(numbers)
    assert numbers == list(range(1, count + 1))


def _run_threads(app, work, chunks):
    """Run work(web_client, chunk) in one thread per chunk, all starting together; return results."""
    barrier = threading.Barrier(len(chunks))
    results, failures = [], []

    def run(chunk):
        try:
            web = FlaskClient(app, app.response_class)
            barrier.wait()
            results.extend(work(web, chunk))
        except BaseException as exc:  # reported to the test below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures
    return results


def test_concurrent_check_ins_get_distinct_numbers(app, client, station, qr_url, backend):
    if backend != "real":
        pytest.skip("SQLite serialises writers; the concurrent variant runs on MariaDB")
    threads, per_thread = 8, 50
    headers = bulk_residents(threads * per_thread)
    chunks = [headers[i * per_thread : (i + 1) * per_thread] for i in range(threads)]

    def work(web, chunk):
        done = []
        for h in chunk:
            client_id = new_client_id()
            first = check_in(web, h, qr_url, client_id=client_id)
            retry = check_in(web, h, qr_url, client_id=client_id)
            done.append((first.status_code, first.get_json(), retry.status_code, retry.get_json()))
        return done

    results = _run_threads(app, work, chunks)

    assert len(results) == threads * per_thread
    assert [first for first, *_ in results] == [201] * len(results), [r for r in results if r[0] != 201][:3]
    assert {retry for _, _, retry, _ in results} == {200}
    assert all(again["id"] == body["id"] for _, body, _, again in results)
    assert all(again["queue_number"] == body["queue_number"] for _, body, _, again in results)
    db.session.commit()
    numbers = sorted(db.session.scalars(sa.select(CheckIn.queue_number)))
    assert numbers == list(range(1, threads * per_thread + 1))


def test_the_same_client_id_racing_on_threads_makes_one_row(app, client, station, qr_url, backend):
    if backend != "real":
        pytest.skip("SQLite serialises writers; the concurrent variant runs on MariaDB")
    threads, people = 8, 25
    pairs = [(h, new_client_id()) for h in bulk_residents(people)]
    # Every thread sends every person's one check-in, each in its own order.
    chunks = [pairs[i:] + pairs[:i] for i in range(threads)]

    def work(web, chunk):
        return [(cid, check_in(web, h, qr_url, client_id=cid)) for h, cid in chunk]

    results = _run_threads(app, work, chunks)

    statuses = [response.status_code for _, response in results]
    assert set(statuses) <= {200, 201}, [r.get_json() for _, r in results if r.status_code not in (200, 201)]
    assert statuses.count(201) == people
    by_client_id = {}
    for cid, response in results:
        by_client_id.setdefault(cid, set()).add(response.get_json()["id"])
    assert all(len(ids) == 1 for ids in by_client_id.values())
    db.session.commit()
    assert check_in_count() == people
    assert sorted(db.session.scalars(sa.select(CheckIn.queue_number))) == list(range(1, people + 1))
