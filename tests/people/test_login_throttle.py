"""The login throttle: per address, per username+address, per username; admin lockout alerts; no Redis."""

import logging

import pytest
import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.extensions import db
from app.models import Account, AuditEvent, AuthToken
from app.services.people import accounts
from tests.conftest import PASSWORD
from tests.support import count, error_of

LOGIN = "/api/v1/auth/login"
STRANGER = "198.51.100.7"
OFFICE = "203.0.113.5"


def post_login(client, username, password=PASSWORD, address=OFFICE):
    """Attempt a staff login from `address` and return the response."""
    return client.post(
        LOGIN, json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def login_events(outcome=None):
    """Return the auth.login audit events (optionally of one outcome), oldest first."""
    db.session.commit()
    statement = sa.select(AuditEvent).where(AuditEvent.action == "auth.login").order_by(AuditEvent.id)
    if outcome:
        statement = statement.where(AuditEvent.outcome == outcome)
    return list(db.session.scalars(statement))


@pytest.fixture
def hash_checks(monkeypatch):
    """Count the password checks login makes."""
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(p) or real(h, p))
    return calls


# --- per address ------------------------------------------------------------------------------------


def test_spraying_usernames_from_one_address_gets_429_before_more_hashing(app, client, hash_checks, places):
    # The defaults (TestingConfig raises the limit for the other tests, which all come from 127.0.0.1).
    limit = app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 20
    app.config["LOGIN_ADDRESS_WINDOW_SECONDS"] = 600

    answers = [post_login(client, f"user-{n}", "Spring2026!", address=STRANGER) for n in range(60)]

    assert [a.status_code for a in answers] == [401] * limit + [429] * (60 - limit)
    refused = answers[limit]
    assert error_of(refused) == {
        "code": "too_many_attempts",
        "message": "Too many failed logins from your network; try again in 10 minute(s).",
        "field": None,
        "fields": None,
    }
    window = app.config["LOGIN_ADDRESS_WINDOW_SECONDS"]
    assert window - 5 <= int(refused.headers["Retry-After"]) <= window
    assert len(hash_checks) == limit
    throttled = login_events("locked")
    assert len(throttled) == 60 - limit
    assert all(e.detail["limit"] == "address" and e.ip == STRANGER for e in throttled)
    # Another address is not held back by this one's failures.
    assert post_login(client, "user-0", "Spring2026!", address=OFFICE).status_code == 401


def test_right_passwords_do_not_count_against_an_address(app, client, make_staff):
    # An office behind one address: everyone logs in in the morning, a few mistype.
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 3
    staff = [make_staff("grid_worker", "community", "341002002001") for _ in range(4)]
    assert post_login(client, staff[0].username, "a-typo-of-mine").status_code == 401
    assert post_login(client, staff[1].username, "a-typo-of-mine").status_code == 401

    assert [post_login(client, account.username).status_code for account in staff * 3] == [200] * 12
    assert post_login(client, staff[2].username, "a-typo-of-mine").status_code == 401
    refused = post_login(client, staff[3].username)
    assert (refused.status_code, error_of(refused)["code"]) == (429, "too_many_attempts")


# --- per username and address -----------------------------------------------------------------------


def test_a_strangers_failures_do_not_lock_the_user_out_at_their_own_address(app, client, make_staff):
    admin = make_staff("city_admin", "city", "341000000000", username="city-boss")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post_login(client, "city-boss", "guess-guess", address=STRANGER)
    at_the_strangers = post_login(client, "city-boss", PASSWORD, address=STRANGER)
    assert (at_the_strangers.status_code, error_of(at_the_strangers)["code"]) == (429, "account_locked")

    at_the_office = post_login(client, "city-boss", PASSWORD, address=OFFICE)

    assert at_the_office.status_code == 200, at_the_office.get_json()
    assert at_the_office.get_json()["account"]["id"] == admin.id
    # The stranger stays locked out after the real user logged in.
    assert post_login(client, "city-boss", PASSWORD, address=STRANGER).status_code == 429


def test_the_username_ceiling_stops_guessing_from_many_addresses(app, client, hash_checks, make_staff):
    app.config["LOGIN_USERNAME_MAX_FAILURES"] = 8
    make_staff("operator", "circle", "341002-chengzhong", username="many-guessed")
    for n in range(8):
        answer = post_login(client, "many-guessed", "guess-guess", address=f"192.0.2.{n // 2}")
        assert answer.status_code == 401
    checks = len(hash_checks)

    # The price of a ceiling: past it, everyone is refused, the real user at a new address too.
    answer = post_login(client, "many-guessed", PASSWORD, address="192.0.2.200")

    assert (answer.status_code, error_of(answer)["code"]) == (429, "account_locked")
    assert 0 < int(answer.headers["Retry-After"]) <= app.config["LOGIN_USERNAME_WINDOW_SECONDS"]
    assert len(hash_checks) == checks
    assert login_events("locked")[-1].detail == {"limit": "username"}
    assert count(AuthToken) == 0


# --- alerts -----------------------------------------------------------------------------------------


def test_an_admins_lockout_is_an_alert_event_and_a_warning(app, client, make_staff, caplog):
    admin = make_staff("city_admin", "city", "341000000000", username="city-boss")
    caplog.set_level(logging.INFO, logger="app.services.people.accounts")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post_login(client, "city-boss", "guess-guess", address=STRANGER)

    (alert,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.lockout"))
    assert (alert.outcome, alert.actor_id, alert.object_id, alert.ip) == (
        "alert",
        admin.id,
        str(admin.id),
        STRANGER,
    )
    assert alert.detail == {"role": "city_admin", "limit": "pair", "seconds": pytest.approx(900, abs=5)}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "LOGIN LOCKOUT ALERT" in warnings[0].getMessage()
    assert "city-boss" in warnings[0].getMessage()
    # The staff list shows when the latest lockout of this account ends.
    assert db.session.get(Account, admin.id).locked_until is not None
    # Refused attempts after the lock are not alerted again.
    post_login(client, "city-boss", "guess-guess", address=STRANGER)
    assert count(AuditEvent, AuditEvent.action == "auth.lockout") == 1


def test_a_grid_workers_lockout_is_no_alert(app, client, make_staff, caplog):
    make_staff("grid_worker", "community", "341002002001", username="grid-one")
    caplog.set_level(logging.INFO, logger="app.services.people.accounts")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        post_login(client, "grid-one", "guess-guess", address=STRANGER)

    assert count(AuditEvent, AuditEvent.action == "auth.lockout") == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# --- without Redis ----------------------------------------------------------------------------------


@pytest.fixture
def redis_down(app):
    """A Redis that refuses connections at once."""
    app.extensions["redis"] = redis.Redis(
        host="127.0.0.1", port=9, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )


def test_without_redis_login_works_and_the_account_row_locks(app, client, make_staff, redis_down, caplog):
    admin = make_staff("district_admin", "district", "341002000000", username="tunxi-admin")
    assert post_login(client, "tunxi-admin").status_code == 200
    limit = app.config["LOGIN_MAX_FAILURES"]

    answers = [post_login(client, "tunxi-admin", "guess-guess", address=STRANGER) for _ in range(limit)]

    assert [a.status_code for a in answers] == [401] * (limit - 1) + [429]
    assert error_of(answers[-1])["code"] == "account_locked"
    right = post_login(client, "tunxi-admin", PASSWORD, address=OFFICE)
    # Degraded: the lock is the account's, from every address, as before the throttle.
    assert (right.status_code, error_of(right)["code"]) == (429, "account_locked")
    assert int(right.headers["Retry-After"]) > 0
    assert any("Redis unavailable" in r.getMessage() for r in caplog.records)
    last = login_events("failure")[-1]
    assert last.detail == {"reason": "wrong_password", "locked": True, "throttle": "database"}
    assert count(AuditEvent, AuditEvent.action == "auth.lockout", AuditEvent.actor_id == admin.id) == 1


def test_without_redis_an_unknown_username_still_gets_the_same_401(client, places, redis_down):
    answer = post_login(client, "nobody-here", "guess-guess")

    assert (answer.status_code, error_of(answer)["code"]) == (401, "invalid_credentials")
