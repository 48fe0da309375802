"""Audit events carry a place: a supervisor reads only their own place's events, the city reads all."""

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.errors import APIError
from app.extensions import db
from app.models import Account, AuditEvent, Circle, Community, District, Township
from app.services import lists
from app.services.people import audit
from tests.support import error_of

EVENTS = "/api/v1/audit-events"
CITY, TUNXI, HUANGSHAN = "341000000000", "341002000000", "341003000000"
CHENGZHONG, CHENGDONG = "341002-chengzhong", "341002-chengdong"
YUZHONG, YUDONG = "341002002000", "341002001000"
YUZHONG_1, YUDONG_1, HUANGSHAN_1 = "341002002001", "341002001001", "341003100001"
MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0012_issue17_audit_places.py"


def ids(code: str) -> dict:
    """Return the five place ids of a test community."""
    community = db.session.scalar(sa.select(Community).where(Community.code == code))
    township = db.session.get(Township, community.township_id)
    district = db.session.get(District, township.district_id)
    return {
        "community_id": community.id,
        "township_id": township.id,
        "circle_id": community.circle_id,
        "district_id": district.id,
        "city_id": district.city_id,
    }


def places_of(event: AuditEvent) -> dict:
    """Return an event's place columns."""
    return {
        name: getattr(event, name)
        for name in ("community_id", "township_id", "circle_id", "district_id", "city_id")
    }


def written(action: str, **fields) -> AuditEvent:
    """Record one event and commit it."""
    event = audit.record(action, **fields)
    db.session.commit()
    return event


def test_a_staff_members_events_carry_their_place_and_every_level_above(make_staff, places):
    yuzhong_1 = ids(YUZHONG_1)
    expected = {
        ("grid_worker", "community", YUZHONG_1): yuzhong_1,
        ("township_admin", "township", YUZHONG): {**yuzhong_1, "community_id": None},
        ("operator", "circle", CHENGZHONG): {**yuzhong_1, "community_id": None, "township_id": None},
        ("district_admin", "district", TUNXI): {
            **dict.fromkeys(("community_id", "township_id", "circle_id")),
            "district_id": yuzhong_1["district_id"],
            "city_id": yuzhong_1["city_id"],
        },
        ("city_admin", "city", CITY): {
            **dict.fromkeys(("community_id", "township_id", "circle_id", "district_id")),
            "city_id": yuzhong_1["city_id"],
        },
    }
    for (role, kind, code), place in expected.items():
        actor = make_staff(role, kind, code)

        assert places_of(written("test.placed", actor=actor)) == place, role


def test_an_event_about_a_resident_is_placed_where_the_resident_lives(make_staff, make_resident):
    resident = make_resident(YUDONG_1)
    city = make_staff("city_admin", "city", CITY)

    event = written("resident.reveal", actor=city, object_type="resident", object_id=resident.id)

    assert places_of(event) == ids(YUDONG_1)


def test_a_residents_and_an_employers_own_events_are_placed_where_they_are(
    client, make_resident, make_employer, make_job, wechat_login
):
    employer, headers = make_employer()
    make_job(headers)
    employer_events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.actor_id == employer.account_id)
    ).all()  # read now: an open SQLite cursor would block the re-match task's write after the commit
    resident = make_resident(HUANGSHAN_1)
    account = Account(role="resident", openid="placed-resident")
    db.session.add(account)
    db.session.flush()
    resident.account_id = account.id
    db.session.commit()

    assert {e.circle_id for e in employer_events if e.action == "job.create"} == {employer.circle_id}
    assert places_of(written("job.report", actor=account, object_type="job", object_id=1)) == ids(HUANGSHAN_1)


def test_a_failed_login_of_an_unknown_name_has_no_place(client, places):
    client.post("/api/v1/auth/login", json={"username": "nobody-here", "password": "whatever-it-is"})

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "auth.login"))

    assert event.actor_id is None and places_of(event) == dict.fromkeys(places_of(event))


@pytest.fixture
def log(make_staff, make_resident, client):
    """Events in 城中 (a grid worker's), 城东 (an operator's), 黄山区, the city's, and an unknown login."""
    make_staff("grid_worker", "community", YUZHONG_1, username="chengzhong-worker")
    make_staff("operator", "circle", CHENGDONG, username="chengdong-operator")
    make_staff("district_admin", "district", HUANGSHAN, username="huangshan-admin")
    city = make_staff("city_admin", "city", CITY, username="city-boss")
    for username in ("chengzhong-worker", "chengdong-operator", "huangshan-admin", "city-boss"):
        client.post("/api/v1/auth/login", json={"username": username, "password": "a-wrong-password"})
    client.post("/api/v1/auth/login", json={"username": "nobody-here", "password": "whatever-it-is"})
    resident = make_resident(YUZHONG_1)
    written("resident.reveal", actor=city, object_type="resident", object_id=resident.id)
    return city


def failed_logins(rows) -> set:
    """Return who failed to log in, from rows of the audit listing or items of the API."""
    return {
        row.get("actor") or row.get("actor_label")
        for row in rows
        if row.get("outcome_code", row.get("outcome")) == "failure"
    }


@pytest.mark.parametrize(
    ("kind", "code", "failed", "reveals"),
    [
        ("circle", CHENGZHONG, {"chengzhong-worker"}, 1),
        ("circle", CHENGDONG, {"chengdong-operator"}, 0),
        ("district", TUNXI, {"chengzhong-worker", "chengdong-operator"}, 1),
        ("district", HUANGSHAN, {"huangshan-admin"}, 0),
        ("city", CITY, {"chengzhong-worker", "chengdong-operator", "huangshan-admin", "city-boss", None}, 1),
    ],
)
def test_a_supervisor_reads_only_their_own_places_events(
    client, staff_headers, log, kind, code, failed, reveals
):
    account, headers = staff_headers("supervisor", kind, code)

    body = client.get(EVENTS, query_string={"per_page": 100}, headers=headers).get_json()
    listed = lists.page("audit_events", account, per_page=100)

    assert failed_logins(body["items"]) == failed
    assert failed_logins(listed.items) == failed
    assert sum(item["action"] == "resident.reveal" for item in body["items"]) == reveals
    assert body["total"] == listed.total == lists.count("audit_events", account)
    # The supervisor's own login is theirs to see, wherever they sit.
    assert any(item["actor_id"] == account.id and item["action"] == "auth.login" for item in body["items"])


def test_the_city_admin_reads_every_event_the_unplaced_ones_too(client, staff_headers, log):
    _, headers = staff_headers("city_admin", "city", CITY)

    body = client.get(EVENTS, query_string={"per_page": 100}, headers=headers).get_json()

    assert body["total"] == db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert None in failed_logins(body["items"])


def test_other_roles_still_may_not_read_the_log(client, staff_headers, make_staff, places):
    _, headers = staff_headers("district_admin", "district", TUNXI)
    operator = make_staff("operator", "circle", CHENGZHONG)

    response = client.get(EVENTS, headers=headers)

    assert response.status_code == 403 and error_of(response)["code"] == "role_forbidden"
    with pytest.raises(APIError) as refused:
        lists.page("audit_events", operator)
    assert (refused.value.status, refused.value.code) == (403, "role_forbidden")


def test_the_audit_listing_filters_and_streams_newest_first(make_staff, log, monkeypatch):
    supervisor = make_staff("supervisor", "district", TUNXI)
    monkeypatch.setattr(lists, "BATCH_SIZE", 2)

    streamed = [row["id"] for row in lists.stream("audit_events", supervisor)]
    auth_only = lists.page("audit_events", supervisor, {"action": "auth."}, per_page=100).items
    failures = lists.page("audit_events", supervisor, {"outcome": "failure"}, per_page=100).items

    assert streamed == sorted(streamed, reverse=True) and len(streamed) == lists.count(
        "audit_events", supervisor
    )
    assert {row["action"] for row in auth_only} == {"auth.login"}
    assert {row["outcome"] for row in failures} == {"失败"}
    with pytest.raises(APIError) as bad:
        lists.page("audit_events", supervisor, {"since": "yesterday"})
    assert (bad.value.status, bad.value.field) == (422, "since")
    with pytest.raises(APIError) as bad_sort:
        lists.page("audit_events", supervisor, sort="action")
    assert (bad_sort.value.status, bad_sort.value.field) == (422, "sort")


def test_the_migration_places_events_written_before_it(make_staff, make_resident, places):
    spec = importlib.util.spec_from_file_location("audit_places_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    worker = make_staff("grid_worker", "community", YUZHONG_1)
    operator = make_staff("operator", "circle", CHENGDONG)
    district = make_staff("district_admin", "district", HUANGSHAN)
    resident = make_resident(YUDONG_1)
    city_id = ids(YUZHONG_1)["city_id"]
    chengdong = db.session.scalar(sa.select(Circle.id).where(Circle.key == "chengdong"))
    rows = {
        "by-worker": {"actor_id": worker.id},
        "by-operator": {"actor_id": operator.id},
        "by-district": {"actor_id": district.id},
        "about-resident": {"actor_id": district.id, "object_type": "resident", "object_id": str(resident.id)},
        "cli-made": {"actor_id": None, "object_type": "account", "object_id": str(operator.id)},
        "unknown": {"actor_id": None, "object_type": "station", "object_id": "code-not-a-number"},
    }
    db.session.execute(
        sa.insert(AuditEvent),
        [{"action": f"old.{name}", "outcome": "success", **values} for name, values in rows.items()],
    )
    db.session.commit()

    with db.engine.begin() as connection:
        for statement in migration.backfill_statements():
            connection.execute(sa.text(statement))
    db.session.expire_all()
    found = {
        e.action.removeprefix("old."): places_of(e)
        for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith("old.")))
    }

    assert found["by-worker"] == ids(YUZHONG_1)
    assert found["by-operator"] == {
        **dict.fromkeys(("community_id", "township_id")),
        "circle_id": chengdong,
        "district_id": ids(YUDONG_1)["district_id"],
        "city_id": city_id,
    }
    assert found["by-district"] == {
        **dict.fromkeys(("community_id", "township_id", "circle_id")),
        "district_id": ids(HUANGSHAN_1)["district_id"],
        "city_id": city_id,
    }
    assert found["about-resident"] == ids(YUDONG_1)
    assert found["cli-made"] == found["by-operator"]
    assert found["unknown"] == dict.fromkeys(found["unknown"])
