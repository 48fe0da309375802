"""Fixtures of the statistics tests: staff at every level, and helpers writing the rows sections read."""

import uuid
from datetime import date, datetime, timedelta

import pytest

from app.common.clock import local_day, utc_start_of
from app.extensions import db
from app.models import CheckIn, Push, Station, Visit
from app.services.people.places import community_by_code, place_columns

STATS = "/api/v1/stats"
CITY = ("city", "341000000000")
TUNXI = ("district", "341002000000")
HUANGSHAN_DISTRICT = ("district", "341003000000")
CHENGZHONG = ("circle", "341002-chengzhong")
CHENGDONG = ("circle", "341002-chengdong")
YUZHONG = ("township", "341002002000")
LAOJIE = ("township", "341002004000")
YZ1, YZ2, LJ1, YD1, VILLAGE = "341002002001", "341002002002", "341002004001", "341002001001", "341003100001"


@pytest.fixture(autouse=True)
def uncached(app):
    """Compute every section afresh (the cache has tests of its own)."""
    app.config["STATS_CACHE_SECONDS"] = 0


@pytest.fixture
def staff(staff_headers):
    """Return a factory: staff(role, (kind, code)) -> (account, headers)."""

    def factory(role, scope):
        return staff_headers(role, *scope)

    return factory


def path(scope: tuple[str, str]) -> str:
    """Return a (kind, code) scope as ?place=."""
    return f"{scope[0]}:{scope[1]}"


def this_month() -> date:
    """Return the first day of the city's current month."""
    return local_day().replace(day=1)


def last_month() -> date:
    """Return the first day of the month before the current one."""
    return (this_month() - timedelta(days=1)).replace(day=1)


def get_section(client, headers, name, place=None, month=None, status=200):
    """GET a section (name as in the URL); assert the status; return the body."""
    query = {key: value for key, value in (("place", place), ("month", month)) if value is not None}
    response = client.get(f"{STATS}/{name}", query_string=query, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def rows_by(table: dict, key: str = "place") -> dict:
    """Return a table's rows by one column."""
    return {row[key]: row for row in table["rows"]}


def local_moment(day: date, hour: int, minute: int = 0) -> datetime:
    """Return the naive-UTC moment of a local day's hour and minute."""
    return utc_start_of(day) + timedelta(hours=hour, minutes=minute)


def add_visit(worker_id: int, household, day: date, outcome: str = "met") -> Visit:
    """Write a visit by a worker to a household on a local day (at 10:00)."""
    visit = Visit(
        worker_id=worker_id,
        client_id=uuid.uuid4().hex,
        household_id=household.id,
        visited_at=local_moment(day, 10),
        visit_day=day,
        outcome=outcome,
        **{name: getattr(household, name) for name in place_columns(None)},
    )
    db.session.add(visit)
    db.session.commit()
    return visit


def make_station(
    client, headers, circle="341002-chengzhong", lat=29.7170, lng=118.3190, name="昱中服务站"
) -> Station:
    """Create a station through the API (as `headers`) and return it."""
    response = client.post(
        "/api/v1/stations", json={"name": name, "circle": circle, "lat": lat, "lng": lng}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return db.session.get(Station, response.get_json()["id"])


def add_check_in(
    station: Station,
    day: date,
    hour: int = 9,
    purpose: str = "job_seeking",
    served_after: int | None = None,
    outcome: str | None = None,
    follow_up: bool = False,
    closed: bool = False,
    queued: bool = True,
) -> CheckIn:
    """Write a visit to a station at a local hour, served `served_after` minutes later (None: not served)."""
    from app.models import Account

    account = Account(role="resident", openid=uuid.uuid4().hex)
    db.session.add(account)
    db.session.flush()
    created = local_moment(day, hour)
    row = CheckIn(
        account_id=account.id,
        client_id=uuid.uuid4().hex,
        station_id=station.id,
        purpose=purpose,
        via="printed",
        day=day,
        queue_key=f"s{station.id}:{day.isoformat()}",
        queue_number=(db.session.query(CheckIn).count() + 1) if queued else None,
        created_at=created,
        served_at=created + timedelta(minutes=served_after) if served_after is not None else None,
        outcome=outcome,
        follow_up=follow_up,
        follow_up_closed_at=created + timedelta(days=1) if closed else None,
        **{name: getattr(station, name) for name in place_columns(None)},
    )
    db.session.add(row)
    db.session.commit()
    return row


def add_push(
    account_id: int, community_code: str, day: date, status: str, kind="job_match", reason=None
) -> Push:
    """Write a push to an account placed in a community, of a status (and skip reason) on a day."""
    row = Push(
        account_id=account_id,
        kind=kind,
        object_type="job",
        object_id=uuid.uuid4().hex[:12],
        status=status,
        last_error=reason,
        data={},
        day=day,
        send_after=local_moment(day, 9),
        **place_columns(community_by_code(community_code)),
    )
    db.session.add(row)
    db.session.commit()
    return row
