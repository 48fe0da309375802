"""Opening hours: staff edit them, residents see them, and check-in outside them queues nobody.

The clock is frozen where a test depends on the hour (the suite runs at any hour): `frozen`
sets both the check-in's clock and the one the station's "open now" is read at.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.common import clock
from app.extensions import db
from app.models import CheckIn, Station
from app.services.stations import check_in_answers
from app.services.stations import check_ins as check_in_service
from tests.support import check_in, error_of, event_url, open_event

STATIONS = "/api/v1/stations"
NEAREST = "/api/v1/stations/nearest"
CITY = ("city_admin", "city", "341000000000")
CST = ZoneInfo("Asia/Shanghai")
YUZHONG = (29.716, 118.318)
OFFICE = [{"opens": "08:30", "closes": "12:00"}, {"opens": "14:00", "closes": "17:30"}]
# 周一至周五 8:30–12:00, 14:00–17:30; New Year's Day 2027 (a Friday) off; Saturday 2027-01-09 a
# make-up working day (调休) with its own hours.
SCHEDULE = {
    "weekly": {day: OFFICE for day in ("mon", "tue", "wed", "thu", "fri")},
    "exceptions": [
        {"date": "2027-01-01", "closed": True, "note": "元旦"},
        {"date": "2027-01-09", "hours": [{"opens": "09:00", "closes": "17:00"}], "note": "调休上班"},
    ],
}


@pytest.fixture
def admin(staff_headers):
    """A city admin's headers."""
    return staff_headers(*CITY)[1]


@pytest.fixture
def frozen(monkeypatch):
    """Return a setter: frozen("2026-12-04 08:29") makes check-in and the stations see that local time."""

    def freeze(local: str) -> datetime:
        moment = datetime.fromisoformat(local).replace(tzinfo=CST)
        utc = moment.astimezone(UTC).replace(tzinfo=None)
        monkeypatch.setattr(check_in_service, "utcnow", lambda: utc)
        # The come_back step's "next opening" too: unfrozen, it failed on Monday mornings (real time).
        monkeypatch.setattr(check_in_answers, "utcnow", lambda: utc)
        monkeypatch.setattr(clock, "local_now", lambda: moment)
        return moment

    return freeze


def make_station(client, headers, name="昱中就业服务站", **fields) -> dict:
    """Create a station at 昱中 (circle 城中) through the API and return its body."""
    body = {"name": name, "circle": "341002-chengzhong", "lat": YUZHONG[0], "lng": YUZHONG[1], **fields}
    response = client.post(STATIONS, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def printed_url(client, headers, station_id: int) -> str:
    """Return what the station's printed QR code encodes."""
    response = client.post(f"{STATIONS}/{station_id}/page-links", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["qr_url"]


@pytest.fixture
def office(client, admin) -> dict:
    """A station with SCHEDULE, and its printed code URL."""
    station = make_station(client, admin, opening_hours=SCHEDULE)
    return {"station": station, "url": printed_url(client, admin, station["id"])}


def set_hours(client, headers, station_id: int, value, **fields):
    """PATCH a station's opening hours."""
    return client.patch(f"{STATIONS}/{station_id}", json={"opening_hours": value, **fields}, headers=headers)


def utc(local: str) -> str:
    """Return a local "YYYY-MM-DD HH:MM" as the API writes instants (UTC, +00:00)."""
    moment = datetime.fromisoformat(local).replace(tzinfo=CST).astimezone(UTC)
    return moment.isoformat()


# ---- staff edit the hours -------------------------------------------------------------------


def test_staff_set_weekly_hours_and_exceptions_and_the_text_follows(client, admin):
    station = make_station(client, admin)
    assert (station["opening_hours"], station["open_now"], station["hours"]) == (None, None, None)
    saturday = [{"closes": "12:00", "opens": "09:00"}]
    value = {"weekly": {**SCHEDULE["weekly"], "sat": saturday}, "exceptions": SCHEDULE["exceptions"][::-1]}

    response = set_hours(client, admin, station["id"], value)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    # Stored whole: every weekday (closed ones empty), exceptions by date.
    assert body["opening_hours"]["weekly"]["sun"] == []
    assert body["opening_hours"]["weekly"]["sat"] == [{"opens": "09:00", "closes": "12:00"}]
    assert [item["date"] for item in body["opening_hours"]["exceptions"]] == ["2027-01-01", "2027-01-09"]
    assert body["opening_hours"]["exceptions"][0] == {
        "date": "2027-01-01",
        "closed": True,
        "hours": [],
        "note": "元旦",
    }
    assert body["hours"] == "周一至周五 08:30-12:00, 14:00-17:30；周六 09:00-12:00"
    again = client.get(f"{STATIONS}/{station['id']}", headers=admin).get_json()
    assert again["opening_hours"] == body["opening_hours"]
    # The text was written from the structure, so it follows the next change too.
    changed = set_hours(client, admin, station["id"], {"weekly": {"mon": OFFICE, "tue": OFFICE}})
    assert changed.get_json()["hours"] == "周一至周二 08:30-12:00, 14:00-17:30"


def test_a_legacy_text_gives_way_to_the_structure(client, admin):
    station = make_station(client, admin, hours="周一至周五 8:30-17:30")

    response = set_hours(client, admin, station["id"], SCHEDULE)

    assert response.get_json()["hours"] == "周一至周五 08:30-12:00, 14:00-17:30"


def test_a_text_staff_write_is_kept_and_null_clears_the_structure(client, admin, office):
    station_id = office["station"]["id"]
    written = set_hours(client, admin, station_id, SCHEDULE, hours="工作日 8:30-17:30（节假日除外）")
    assert written.get_json()["hours"] == "工作日 8:30-17:30（节假日除外）"
    # A later change of the structure alone leaves their text alone.
    later = set_hours(client, admin, station_id, {"weekly": {"mon": OFFICE}})
    assert later.get_json()["hours"] == "工作日 8:30-17:30（节假日除外）"

    cleared = set_hours(client, admin, station_id, None)

    assert cleared.status_code == 200, cleared.get_json()
    assert cleared.get_json()["opening_hours"] is None
    assert cleared.get_json()["open_now"] is None
    assert cleared.get_json()["hours"] == "工作日 8:30-17:30（节假日除外）"


def test_only_managers_edit_the_hours(client, staff_headers, office):
    _, station_staff = staff_headers("station_staff", "circle", "341002-chengzhong")

    response = set_hours(client, station_staff, office["station"]["id"], None)

    assert response.status_code == 403, response.get_json()
    assert db.session.get(Station, office["station"]["id"]).opening_hours is not None


def span(opens: str, closes: str | None = None) -> dict:
    """Return an interval as staff send it (no `closes` when None)."""
    return {"opens": opens} if closes is None else {"opens": opens, "closes": closes}


WEEK, DAYS = "opening_hours.weekly", "opening_hours.exceptions"
NEW_YEAR = {"date": "2027-01-01", "closed": True}


@pytest.mark.parametrize(
    ("weekly", "exceptions", "code", "field"),
    [
        ({"mon": [span("8:30", "12:00")]}, [], "validation_error", f"{WEEK}.mon.0.opens"),
        ({"mon": [span("08:30", "24:01")]}, [], "validation_error", f"{WEEK}.mon.0.closes"),
        ({"mon": [span("08:30")]}, [], "validation_error", f"{WEEK}.mon.0.closes"),
        ({"monday": OFFICE}, [], "validation_error", f"{WEEK}.monday"),
        ({"tue": [span("12:00", "08:30")]}, [], "hours_reversed", f"{WEEK}.tue.0.closes"),
        ({"tue": [span("08:30", "08:30")]}, [], "hours_reversed", f"{WEEK}.tue.0.closes"),
        ({"wed": [span("24:00", "24:00")]}, [], "hours_reversed", f"{WEEK}.wed.0.closes"),
        (
            {"fri": [span("14:00", "17:30"), span("08:30", "14:01")]},
            [],
            "hours_overlap",
            f"{WEEK}.fri.0.opens",
        ),
        ({}, [NEW_YEAR, NEW_YEAR], "duplicate_exception_date", f"{DAYS}.1.date"),
        ({}, [{**NEW_YEAR, "hours": OFFICE}], "exception_hours_mismatch", f"{DAYS}.0.hours"),
        ({}, [{"date": "2027-01-09"}], "exception_hours_mismatch", f"{DAYS}.0.hours"),
        ({}, [{"date": "2027-02-30", "closed": True}], "validation_error", f"{DAYS}.0.date"),
        (
            {},
            [{"date": "2027-01-09", "hours": [span("09:00", "12:00"), span("11:00", "13:00")]}],
            "hours_overlap",
            f"{DAYS}.0.hours.1.opens",
        ),
    ],
)
def test_bad_hours_are_a_422_naming_the_field(client, admin, office, weekly, exceptions, code, field):
    response = set_hours(client, admin, office["station"]["id"], {"weekly": weekly, "exceptions": exceptions})

    assert response.status_code == 422, response.get_json()
    assert (error_of(response)["code"], error_of(response)["field"]) == (code, field)
    assert db.session.get(Station, office["station"]["id"]).opening_hours["weekly"]["mon"] == OFFICE


def test_touching_intervals_are_not_an_overlap(client, admin, office):
    touching = [{"opens": "08:30", "closes": "12:00"}, {"opens": "12:00", "closes": "17:30"}]

    response = set_hours(client, admin, office["station"]["id"], {"weekly": {"mon": touching}})

    assert response.status_code == 200, response.get_json()


def test_a_station_created_with_bad_hours_is_refused(client, admin):
    bad = {"weekly": {"mon": [{"opens": "17:30", "closes": "08:30"}]}}
    body = {"name": "昱中服务站", "circle": "341002-chengzhong", "lat": YUZHONG[0], "lng": YUZHONG[1]}

    response = client.post(STATIONS, json={**body, "opening_hours": bad}, headers=admin)

    assert response.status_code == 422, response.get_json()
    assert error_of(response)["code"] == "hours_reversed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Station)) == 0


# ---- residents see them ---------------------------------------------------------------------


def nearest_station(client) -> dict:
    """Return the nearest station as the public lookup answers it."""
    response = client.get(NEAREST, query_string={"lat": YUZHONG[0], "lng": YUZHONG[1], "limit": 1})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"][0]["station"]


@pytest.mark.parametrize(
    ("now", "open_now", "today", "note", "next_opening"),
    [
        ("2026-12-04 08:29", False, OFFICE, None, "2026-12-04 08:30"),  # Friday before opening
        ("2026-12-04 08:30", True, OFFICE, None, "2026-12-04 14:00"),
        ("2026-12-04 12:00", False, OFFICE, None, "2026-12-04 14:00"),  # the lunch break
        ("2026-12-04 17:30", False, OFFICE, None, "2026-12-07 08:30"),  # Friday evening: Monday
        ("2026-12-05 00:53", False, [], None, "2026-12-07 08:30"),  # the Saturday night
        ("2027-01-01 10:00", False, [], "元旦", "2027-01-04 08:30"),  # a holiday on a Friday
        ("2027-01-08 18:00", False, OFFICE, None, "2027-01-09 09:00"),  # a make-up Saturday next
        ("2027-01-09 09:00", True, [{"opens": "09:00", "closes": "17:00"}], "调休上班", "2027-01-11 08:30"),
    ],
)
def test_the_nearest_stations_say_open_now_todays_hours_and_the_next_opening(
    client, office, frozen, now, open_now, today, note, next_opening
):
    frozen(now)

    station = nearest_station(client)

    assert station["open_now"] is open_now
    assert station["today_hours"] == today
    assert station["today_note"] == note
    assert station["next_opening"] == utc(next_opening)
    assert station["hours"] == "周一至周五 08:30-12:00, 14:00-17:30"


def test_a_station_without_structured_hours_says_nothing_of_them(client, admin):
    make_station(client, admin, hours="周一至周五 8:30-17:30")

    station = nearest_station(client)

    assert station["hours"] == "周一至周五 8:30-17:30"
    assert [station[name] for name in ("opening_hours", "open_now", "today_hours", "next_opening")] == [
        None
    ] * 4


def test_a_station_closed_for_good_has_no_next_opening(client, admin, frozen):
    make_station(client, admin, opening_hours={"weekly": {}})
    frozen("2026-12-04 10:00")

    station = nearest_station(client)

    assert (station["open_now"], station["today_hours"], station["next_opening"]) == (False, [], None)
    assert station["hours"] == "暂停服务"


# ---- check-in follows them ------------------------------------------------------------------


def visit(client, headers, url, purpose="consult"):
    """Check in and return the answer's status and body."""
    response = check_in(client, headers, url, purpose=purpose)
    return response.status_code, response.get_json()


@pytest.mark.parametrize(
    ("now", "queued"),
    [
        ("2026-12-04 08:29", False),
        ("2026-12-04 08:30", True),
        ("2026-12-04 11:59", True),
        ("2026-12-04 12:00", False),
        ("2026-12-04 17:29", True),
        ("2026-12-04 17:30", False),
        ("2026-12-05 00:53", False),  # Saturday night, the case
        ("2027-01-01 10:00", False),  # 元旦, a Friday
        ("2027-01-09 09:00", True),  # the make-up Saturday
        ("2027-01-16 09:00", False),  # an ordinary Saturday
    ],
)
def test_check_in_gives_a_number_only_inside_the_hours(client, office, wechat_login, frozen, now, queued):
    frozen(now)

    status, body = visit(client, wechat_login()[1], office["url"])

    assert status == 201, body
    assert body["out_of_hours"] is not queued
    assert body["queue_number"] == (1 if queued else None)
    assert body["day"] == now[:10]
    codes = [step["code"] for step in body["next_steps"]]
    assert ("wait_for_call" in codes) is queued
    assert ("come_back" in codes) is not queued
    row = db.session.scalar(sa.select(CheckIn))
    assert (row.queue_number, row.day.isoformat()) == (body["queue_number"], now[:10])


def test_an_out_of_hours_visit_says_when_the_station_opens(client, office, wechat_login, frozen):
    frozen("2026-12-05 00:53")

    status, body = visit(client, wechat_login()[1], office["url"])

    assert status == 201, body
    come_back = next(step for step in body["next_steps"] if step["code"] == "come_back")
    assert "您的来访已登记" in come_back["message"]
    assert "下次开放：12月7日（周一）08:30" in come_back["message"]
    assert "第 None 号" not in str(body)
    assert (body["station"]["open_now"], body["station"]["next_opening"]) == (False, utc("2026-12-07 08:30"))


def test_scanning_again_once_open_gives_the_same_visit_its_number(client, office, wechat_login, frozen):
    """At the door at 08:29, again at 08:30: one visit, now first in the queue."""
    headers = wechat_login()[1]
    frozen("2026-12-04 08:29")
    _, early = visit(client, headers, office["url"])
    status, again = visit(client, headers, office["url"])
    assert (status, again["id"], again["queue_number"]) == (200, early["id"], None)

    frozen("2026-12-04 08:30")
    status, opened = visit(client, headers, office["url"])

    assert status == 201, opened
    assert (opened["id"], opened["queue_number"], opened["out_of_hours"]) == (early["id"], 1, False)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1
    status, later = visit(client, wechat_login()[1], office["url"])
    assert (status, later["queue_number"]) == (201, 2)


def test_staff_see_out_of_hours_visits_after_the_queue_and_counted(
    client, admin, office, wechat_login, frozen
):
    station_id = office["station"]["id"]
    frozen("2026-12-04 08:00")
    early = visit(client, wechat_login()[1], office["url"])[1]
    frozen("2026-12-04 09:00")
    queued = [visit(client, wechat_login()[1], office["url"])[1] for _ in range(2)]
    frozen("2026-12-04 12:30")
    lunch = visit(client, wechat_login()[1], office["url"])[1]

    listed = client.get(
        f"{STATIONS}/{station_id}/check-ins", query_string={"date": "2026-12-04"}, headers=admin
    )
    counted = client.get(
        "/api/v1/check-ins/counts", query_string={"from": "2026-12-04", "to": "2026-12-04"}, headers=admin
    )

    items = listed.get_json()["items"]
    assert [(item["id"], item["queue_number"], item["out_of_hours"]) for item in items] == [
        (queued[0]["id"], 1, False),
        (queued[1]["id"], 2, False),
        (early["id"], None, True),
        (lunch["id"], None, True),
    ]
    (day,) = counted.get_json()["items"]
    assert (day["check_ins"], day["out_of_hours"], day["served"]) == (4, 2, 0)


def test_a_station_without_structured_hours_queues_at_any_hour(client, admin, wechat_login, frozen):
    """Existing stations (no structure yet) behave as before: Saturday 00:53 still gets a number."""
    station = make_station(client, admin, hours="周一至周五 8:30-17:30")
    frozen("2026-12-05 00:53")

    status, body = visit(client, wechat_login()[1], printed_url(client, admin, station["id"]))

    assert (status, body["queue_number"], body["out_of_hours"]) == (201, 1, False)


def test_an_event_at_a_closed_station_follows_the_events_own_times(client, admin, operator, wechat_login):
    """A Sunday job fair at a weekday station: the event's check-in queues as usual."""
    station = make_station(client, admin, opening_hours={"weekly": {}})  # closed at any hour
    event = open_event(client, operator[1], station_id=station["id"])

    status, body = visit(client, wechat_login()[1], event_url(event["id"]), purpose="event")

    assert status == 201, body
    assert (body["queue_number"], body["out_of_hours"], body["event"]["id"]) == (1, False, event["id"])


def test_a_night_across_midnight_is_open_on_both_sides_and_each_day_queues_apart(
    client, admin, wechat_login, frozen
):
    night = {"weekly": {"fri": [span("20:00", "24:00")], "sat": [span("00:00", "02:00")]}}
    station = make_station(client, admin, opening_hours=night)
    url = printed_url(client, admin, station["id"])
    answers = {}
    for now in ("2026-12-04 23:59", "2026-12-05 00:00", "2026-12-05 01:59", "2026-12-05 02:00"):
        frozen(now)
        answers[now] = visit(client, wechat_login()[1], url)[1]

    assert [(body["day"], body["queue_number"]) for body in answers.values()] == [
        ("2026-12-04", 1),
        ("2026-12-05", 1),  # midnight starts the new day's queue, still open
        ("2026-12-05", 2),
        ("2026-12-05", None),
    ]
    frozen("2026-12-04 23:00")
    # Saturday 00:00 only continues Friday night: the next opening is the next Friday's.
    assert nearest_station(client)["next_opening"] == utc("2026-12-11 20:00")


# ---- the demo -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "weekday", "saturday"),
    [("office", OFFICE, []), ("always", [span("00:00", "24:00")], [span("00:00", "24:00")])],
)
def test_the_demo_stations_get_structured_hours(app, runner, places, setting, weekday, saturday):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD="demo-password-for-tests", DEMO_STATION_HOURS=setting)

    result = runner.invoke(args=["demo-data"])

    assert result.exit_code == 0, result.output
    stations = db.session.scalars(sa.select(Station)).all()
    assert len(stations) == 6
    for station in stations:
        assert (station.opening_hours["weekly"]["mon"], station.opening_hours["weekly"]["sat"]) == (
            weekday,
            saturday,
        )
    assert stations[0].hours == (
        "周一至周五 08:30-12:00, 14:00-17:30" if setting == "office" else "每天 00:00-24:00"
    )


def test_a_station_closed_until_a_dated_day_names_that_day(client, admin, frozen):
    """Closed every week, open on one day two months ahead (a job-season weekend, say)."""
    once = {"date": "2027-02-06", "hours": [span("09:00", "16:00")], "note": "春风行动"}
    make_station(client, admin, opening_hours={"weekly": {}, "exceptions": [once]})
    frozen("2026-12-04 10:00")

    assert nearest_station(client)["next_opening"] == utc("2027-02-06 09:00")
