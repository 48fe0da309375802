"""The audit log: who may read it, its filters and order, and that it is append-only."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.services.people import audit
from tests.conftest import PASSWORD
from tests.support import error_of

EVENTS = "/api/v1/audit-events"
CITY = "341000000000"
TUNXI = "341002000000"
CHINA = timezone(timedelta(hours=8))


def listed(client, headers, **query):
    """Return the body of one page of the audit log."""
    response = client.get(EVENTS, query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def add_events(*actions, outcome="success", **fields):
    """Write audit events straight through the service and commit; return them."""
    written = [audit.record(action, outcome, **fields) for action in actions]
    db.session.commit()
    return written


@pytest.fixture
def auditor(staff_headers):
    """A city administrator's headers; the fixture's own account creation and login are logged too."""
    _, headers = staff_headers("city_admin", "city", CITY)
    return headers


# --- who may read -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kind", "code"),
    [
        ("city_admin", "city", CITY),
        ("supervisor", "city", CITY),
        ("supervisor", "circle", "341002-chengzhong"),
    ],
)
def test_the_city_administration_and_the_supervisor_read_the_log(client, staff_headers, role, kind, code):
    account, headers = staff_headers(role, kind, code)

    body = listed(client, headers)

    assert body["total"] >= 2  # at least this account's creation and its login
    login = next(item for item in body["items"] if item["action"] == "auth.login")
    assert login["actor_id"] == account.id
    assert login["outcome"] == "success"


@pytest.mark.parametrize(
    ("role", "kind", "code"),
    [
        ("district_admin", "district", TUNXI),
        ("township_admin", "township", "341002002000"),
        ("operator", "circle", "341002-chengzhong"),
        ("station_staff", "township", "341002002000"),
        ("grid_worker", "community", "341002002001"),
    ],
)
def test_other_staff_may_not_read_the_log(client, staff_headers, role, kind, code):
    _, headers = staff_headers(role, kind, code)

    response = client.get(EVENTS, headers=headers)

    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"


def test_reading_the_log_needs_a_token(client, places):
    response = client.get(EVENTS)

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_required"


def test_a_resident_may_not_read_the_log(client, wechat_login):
    _, resident, _ = wechat_login()

    response = client.get(EVENTS, headers=resident)

    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"


# --- what an event looks like -----------------------------------------------------------------------


def test_an_event_shows_actor_action_object_time_ip_outcome_and_detail(client, auditor, make_staff):
    target = make_staff("grid_worker", "community", "341002002001", username="audited-grid")
    client.post("/api/v1/auth/login", json={"username": "audited-grid", "password": "wrong-password"})

    body = listed(client, auditor, action="auth.login", object_id=str(target.id))

    (item,) = body["items"]
    assert set(item) == {
        "id",
        "actor_id",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "ip",
        "detail",
        "created_at",
    }
    assert item["actor_id"] == target.id
    assert item["actor_label"] == "audited-grid"
    assert (item["action"], item["object_type"], item["object_id"]) == (
        "auth.login",
        "account",
        str(target.id),
    )
    assert item["outcome"] == "failure"
    assert item["ip"] == "127.0.0.1"
    assert item["detail"] == {"reason": "wrong_password", "locked": False}
    created_at = datetime.fromisoformat(item["created_at"])
    assert created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=1)


def test_passwords_and_tokens_never_reach_the_log(client, auditor, make_staff):
    make_staff("grid_worker", "community", "341002002001", username="secret-keeper")
    response = client.post("/api/v1/auth/login", json={"username": "secret-keeper", "password": PASSWORD})
    token = response.get_json()["token"]
    client.post("/api/v1/auth/login", json={"username": "secret-keeper", "password": "a-guess-of-mine"})

    text = client.get(EVENTS, query_string={"per_page": 100}, headers=auditor).get_data(as_text=True)

    assert "secret-keeper" in text
    for secret in (PASSWORD, "a-guess-of-mine", token):
        assert secret not in text


# --- filters, order and paging ----------------------------------------------------------------------


def test_action_filters_exactly_or_by_prefix(client, auditor):
    add_events("auth.logout", "auth.wechat_login", "staff.update", "residents.reveal", "authx.other")

    def actions(action):
        return {item["action"] for item in listed(client, auditor, action=action, per_page=100)["items"]}

    assert actions("auth.login") == {"auth.login"}
    assert actions("auth.") == {"auth.login", "auth.logout", "auth.wechat_login"}
    assert actions("staff.") == {"staff.create", "staff.update"}
    assert actions("auth") == set()  # no dot: an exact name, and there is no action called "auth"
    assert actions("auth.log") == set()


def test_an_underscore_in_an_action_prefix_is_matched_literally(client, auditor):
    add_events("exam_ple.one", "examXple.two")

    body = listed(client, auditor, action="exam_ple.")

    assert [item["action"] for item in body["items"]] == ["exam_ple.one"]
    assert body["total"] == 1


def test_object_filters_find_every_event_about_one_object(client, auditor):
    add_events("residents.reveal", "residents.update", object_type="resident", object_id=7)
    add_events("residents.reveal", object_type="resident", object_id=8)
    add_events("staff.update", object_type="account", object_id=7)

    about_7 = listed(client, auditor, object_type="resident", object_id="7")
    every_resident = listed(client, auditor, object_type="resident")
    reveals_of_7 = listed(client, auditor, object_type="resident", object_id="7", action="residents.reveal")

    assert [item["action"] for item in about_7["items"]] == ["residents.update", "residents.reveal"]
    assert about_7["total"] == 2
    assert every_resident["total"] == 3
    assert {item["object_id"] for item in every_resident["items"]} == {"7", "8"}
    assert reveals_of_7["total"] == 1


def test_actor_filter(client, staff_headers, auditor):
    account, _ = staff_headers("district_admin", "district", TUNXI)

    body = listed(client, auditor, actor_id=account.id)

    assert body["total"] == 1
    assert [(item["action"], item["actor_id"]) for item in body["items"]] == [("auth.login", account.id)]


def test_events_come_newest_first_and_page(client, auditor):
    add_events(*(f"test.event{n}" for n in range(7)))

    pages = [listed(client, auditor, action="test.", per_page=3, page=page) for page in (1, 2, 3, 4)]

    assert [body["total"] for body in pages] == [7] * 4
    assert [(body["page"], body["per_page"]) for body in pages] == [(1, 3), (2, 3), (3, 3), (4, 3)]
    actions = [item["action"] for body in pages for item in body["items"]]
    assert actions == [f"test.event{n}" for n in reversed(range(7))]
    assert [len(body["items"]) for body in pages] == [3, 3, 1, 0]
    ids = [item["id"] for body in pages for item in body["items"]]
    assert ids == sorted(ids, reverse=True)


def test_the_newest_event_leads_the_unfiltered_log(client, auditor):
    add_events("test.latest")

    body = listed(client, auditor)

    assert body["items"][0]["action"] == "test.latest"
    assert body["total"] == db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def test_time_window_filters_honour_the_utc_offset(client, auditor):
    add_events("test.timed")
    now = datetime.now(UTC)

    def count(**window):
        query = {key: value.isoformat() for key, value in window.items()}
        return listed(client, auditor, action="test.timed", **query)["total"]

    assert count(since=now - timedelta(minutes=5)) == 1
    assert count(since=now + timedelta(minutes=5)) == 0
    assert count(until=now - timedelta(minutes=5)) == 0
    assert count(until=now + timedelta(minutes=5)) == 1
    # The same instants written in Beijing time (+08:00) select the same events.
    assert count(since=(now - timedelta(minutes=5)).astimezone(CHINA)) == 1
    assert count(since=(now + timedelta(minutes=5)).astimezone(CHINA)) == 0
    assert count(until=(now + timedelta(minutes=5)).astimezone(CHINA)) == 1
    assert count(until=(now - timedelta(minutes=5)).astimezone(CHINA)) == 0
    # A time without an offset is UTC, as stored.
    assert count(since=(now - timedelta(minutes=5)).replace(tzinfo=None)) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"page": -1}, "page"),
        ({"actor_id": "me"}, "actor_id"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01T00:00:00"}, "until"),
        ({"action": "x" * 65}, "action"),
    ],
    ids=str,
)
def test_bad_filters_get_a_422_naming_the_field(client, auditor, query, field):
    response = client.get(EVENTS, query_string=query, headers=auditor)

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", field)


# --- append-only ------------------------------------------------------------------------------------


def test_an_audit_event_cannot_be_changed_through_the_orm(app):
    (event,) = add_events("test.immutable", detail={"n": 1})
    event_id = event.id

    event.outcome = "failure"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()

    db.session.expire_all()
    assert db.session.get(AuditEvent, event_id).outcome == "success"


def test_an_audit_event_cannot_be_deleted_through_the_orm(app):
    (event,) = add_events("test.immutable")
    event_id = event.id

    db.session.delete(event)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()

    db.session.expire_all()
    assert db.session.get(AuditEvent, event_id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(AuditEvent).values(outcome="failure"),
        sa.delete(AuditEvent),
    ],
    ids=["bulk-update", "bulk-delete"],
)
def test_bulk_statements_cannot_change_the_log_either(app, statement):
    add_events("test.immutable")
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.execute(statement)
    db.session.rollback()
    assert db.session.scalar(sa.select(AuditEvent.outcome).where(AuditEvent.action == "test.immutable")) == (
        "success"
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("delete", EVENTS, 405),
        ("post", EVENTS, 405),
        ("put", EVENTS, 405),
        ("patch", f"{EVENTS}/1", 404),
        ("delete", f"{EVENTS}/1", 404),
    ],
)
def test_the_api_offers_no_way_to_write_or_erase_events(client, auditor, method, path, status):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

    response = getattr(client, method)(path, json={"action": "forged"}, headers=auditor)

    assert response.status_code == status
    assert error_of(response)["code"] == {404: "not_found", 405: "method_not_allowed"}[status]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before


def test_an_event_commits_with_the_change_it_describes(app):
    audit.record("test.rolled_back")
    db.session.rollback()

    assert (
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "test.rolled_back")).all() == []
    )
