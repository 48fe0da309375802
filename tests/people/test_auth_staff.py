"""Staff password login, lockout, bearer tokens and logout."""

import hashlib
import time
from datetime import UTC, datetime, timedelta
from unittest.mock import ANY

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, AuditEvent, AuthToken, Role, utcnow
from tests.conftest import PASSWORD
from tests.support import error_of

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
# Any endpoint that needs a staff token will do to see whether a token still works.
PROTECTED = "/api/v1/staff"
TUNXI = "341002000000"


def post_login(client, username, password=PASSWORD):
    """Attempt a staff login and return the response."""
    return client.post(LOGIN, json={"username": username, "password": password})


def bearer(token):
    """Return Authorization headers for a raw token."""
    return {"Authorization": f"Bearer {token}"}


def events(action=None):
    """Return the audit events (optionally of one action), oldest first."""
    statement = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return list(db.session.scalars(statement))


def reload(account):
    """Return the account row as it is in the database now."""
    db.session.expire_all()
    return db.session.get(Account, account.id)


@pytest.fixture
def tunxi_admin(make_staff):
    """A district administrator of 屯溪区."""
    return make_staff("district_admin", "district", TUNXI, username="tunxi-admin")


# --- login ------------------------------------------------------------------------------------------


def test_login_returns_token_expiry_and_scoped_account(app, client, tunxi_admin):
    before = datetime.now(UTC)
    response = post_login(client, "tunxi-admin")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) >= {"token", "expires_at", "account"}
    assert len(body["token"]) >= 43  # at least 256 bits, URL-safe base64
    ttl = timedelta(seconds=app.config["STAFF_TOKEN_TTL_SECONDS"])
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.utcoffset() == timedelta(0)
    assert before + ttl - timedelta(seconds=5) <= expires_at <= datetime.now(UTC) + ttl
    assert body["account"] == {
        "id": tunxi_admin.id,
        "role": "district_admin",
        "username": "tunxi-admin",
        "display_name": None,
        "scope": {"kind": "district", "code": TUNXI, "name": "屯溪区"},
    }
    assert PASSWORD not in response.get_data(as_text=True)
    assert client.get(PROTECTED, headers=bearer(body["token"])).status_code == 200
    assert reload(tunxi_admin).last_login_at is not None

    (event,) = events("auth.login")
    assert (event.outcome, event.actor_id, event.object_type, event.object_id) == (
        "success",
        tunxi_admin.id,
        "account",
        str(tunxi_admin.id),
    )
    assert event.actor_label == "tunxi-admin"
    assert event.ip == "127.0.0.1"


def test_login_names_a_circle_scope_by_its_circle_code(client, make_staff):
    make_staff("operator", "circle", "341002-chengzhong", username="chengzhong-operator")

    response = post_login(client, "chengzhong-operator")

    assert response.status_code == 200
    assert response.get_json()["account"]["scope"] == {
        "kind": "circle",
        "code": "341002-chengzhong",
        "name": "城中就业圈",
    }


def test_login_ignores_case_and_surrounding_spaces_of_the_username(client, tunxi_admin):
    response = post_login(client, "  Tunxi-Admin ")

    assert response.status_code == 200
    assert response.get_json()["account"]["id"] == tunxi_admin.id


def test_each_login_issues_a_distinct_token(client, tunxi_admin):
    first = post_login(client, "tunxi-admin").get_json()["token"]
    second = post_login(client, "tunxi-admin").get_json()["token"]

    assert first != second
    assert client.get(PROTECTED, headers=bearer(first)).status_code == 200
    assert client.get(PROTECTED, headers=bearer(second)).status_code == 200


def test_wrong_password_is_refused_counted_and_audited(client, tunxi_admin):
    response = post_login(client, "tunxi-admin", "not-the-password")

    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "invalid_credentials"
    assert "token" not in response.get_json()
    # Counted in the throttle's windows on Redis (test_login_throttle.py), not on the row.
    assert reload(tunxi_admin).failed_logins == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthToken)) == 0
    (event,) = events("auth.login")
    assert (event.outcome, event.actor_id, event.object_id) == (
        "failure",
        tunxi_admin.id,
        str(tunxi_admin.id),
    )
    assert event.detail == {"reason": "wrong_password", "locked": False}


def test_unknown_username_gets_the_same_answer_as_a_wrong_password(client, tunxi_admin):
    wrong_password = post_login(client, "tunxi-admin", "not-the-password")
    unknown = post_login(client, "nobody-here")

    assert unknown.status_code == 401
    assert error_of(unknown) == error_of(wrong_password)
    event = events("auth.login")[-1]
    assert (event.outcome, event.actor_id, event.actor_label) == ("failure", None, None)
    # What was typed is kept only as a keyed hash (it may be a password in the wrong field).
    assert event.detail == {"reason": "unknown_username", "username_hmac": ANY, "locked": False}
    assert "nobody-here" not in str(event.detail)


def test_five_failures_lock_the_account_even_against_the_right_password(app, client, tunxi_admin):
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    for _ in range(limit - 1):
        response = post_login(client, "tunxi-admin", "not-the-password")
        assert response.status_code == 401
        assert error_of(response)["code"] == "invalid_credentials"

    locking = post_login(client, "tunxi-admin", "not-the-password")

    assert locking.status_code == 429
    assert error_of(locking)["code"] == "account_locked"
    retry_after = int(locking.headers["Retry-After"])
    assert app.config["LOGIN_LOCK_SECONDS"] - 5 <= retry_after <= app.config["LOGIN_LOCK_SECONDS"]
    locked_until = reload(tunxi_admin).locked_until
    assert locked_until is not None
    assert abs((locked_until - utcnow()) - timedelta(minutes=15)) < timedelta(seconds=30)

    right_password = post_login(client, "tunxi-admin")
    assert right_password.status_code == 429
    assert error_of(right_password)["code"] == "account_locked"
    assert 0 < int(right_password.headers["Retry-After"]) <= retry_after
    assert "token" not in right_password.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthToken)) == 0

    outcomes = [(e.outcome, (e.detail or {}).get("locked")) for e in events("auth.login")]
    assert outcomes == [("failure", False)] * (limit - 1) + [("failure", True), ("locked", None)]


def test_a_locked_account_stays_locked_for_wrong_passwords_too(client, tunxi_admin):
    for _ in range(5):
        post_login(client, "tunxi-admin", "not-the-password")
    locked_until = reload(tunxi_admin).locked_until

    response = post_login(client, "tunxi-admin", "still-not-it")

    assert response.status_code == 429
    assert error_of(response)["code"] == "account_locked"
    # Guessing during the lock neither extends it nor counts towards the next one.
    account = reload(tunxi_admin)
    assert account.locked_until == locked_until
    assert account.failed_logins == 0


def test_login_works_again_once_the_lock_has_expired(app, client, tunxi_admin):
    app.config["LOGIN_LOCK_SECONDS"] = 1  # the failures' window, so the lock's length
    for _ in range(5):
        post_login(client, "tunxi-admin", "not-the-password")
    assert post_login(client, "tunxi-admin").status_code == 429
    time.sleep(1.1)

    response = post_login(client, "tunxi-admin")

    assert response.status_code == 200
    account = reload(tunxi_admin)
    assert account.locked_until is None
    assert account.failed_logins == 0
    # A fresh start: one more mistake is an ordinary failure, not another lock.
    again = post_login(client, "tunxi-admin", "not-the-password")
    assert again.status_code == 401
    assert error_of(again)["code"] == "invalid_credentials"


def test_a_successful_login_resets_the_failure_count(client, tunxi_admin):
    for _ in range(4):
        assert post_login(client, "tunxi-admin", "not-the-password").status_code == 401
    assert post_login(client, "tunxi-admin").status_code == 200
    assert reload(tunxi_admin).failed_logins == 0

    for _ in range(4):
        assert post_login(client, "tunxi-admin", "not-the-password").status_code == 401
    assert post_login(client, "tunxi-admin").status_code == 200


def test_a_disabled_account_cannot_log_in(client, tunxi_admin):
    account = reload(tunxi_admin)
    account.is_active = False
    db.session.commit()

    response = post_login(client, "tunxi-admin")

    assert response.status_code == 403
    assert error_of(response)["code"] == "account_disabled"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthToken)) == 0
    event = events("auth.login")[-1]
    assert (event.outcome, event.actor_id, event.detail) == ("denied", tunxi_admin.id, {"reason": "disabled"})


def test_an_account_without_a_password_cannot_log_in_with_one(client, places):
    # A resident logs in through WeChat; it has no password even if it somehow got a username.
    db.session.add(Account(role=Role.resident.value, username="resident-x", openid="o-resident-x"))
    db.session.commit()

    response = post_login(client, "resident-x", "anything-at-all")

    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"json": {"password": PASSWORD}}, "username"),
        ({"json": {"username": "tunxi-admin"}}, "password"),
        ({"json": {}}, "username"),
        ({"json": {"username": "tunxi-admin", "password": PASSWORD, "remember": True}}, "remember"),
        ({"json": {"username": None, "password": PASSWORD}}, "username"),
        ({"json": {"username": 12345, "password": PASSWORD}}, "username"),
        ({"json": {"username": "tunxi-admin", "password": ["x"]}}, "password"),
        ({"json": {"username": "", "password": PASSWORD}}, "username"),
        ({"json": {"username": "a" * 65, "password": PASSWORD}}, "username"),
        ({"json": {"username": "tunxi-admin", "password": ""}}, "password"),
        ({"json": ["tunxi-admin", PASSWORD]}, "_schema"),
        ({"json": "tunxi-admin"}, "_schema"),
        ({"data": "username=tunxi-admin", "content_type": "application/x-www-form-urlencoded"}, "username"),
        ({}, "username"),
    ],
    ids=[
        "no-username",
        "no-password",
        "empty-object",
        "unknown-field",
        "null-username",
        "number-username",
        "list-password",
        "empty-username",
        "long-username",
        "empty-password",
        "array-body",
        "string-body",
        "form-body",
        "no-body",
    ],
)
def test_bad_login_input_gets_a_422_naming_the_field(client, tunxi_admin, kwargs, field):
    response = client.post(LOGIN, **kwargs)

    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["field"] == field
    assert field in error["fields"]
    assert error["message"]
    # Bad input is not a failed password guess.
    assert reload(tunxi_admin).failed_logins == 0
    assert events("auth.login") == []


@pytest.mark.parametrize("body", ["{not json", '{"username": "tunxi-admin",}', "\xff\xfe"])
def test_a_body_that_is_not_json_gets_400_invalid_json(client, tunxi_admin, body):
    response = client.post(LOGIN, data=body.encode("latin-1"), content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


# --- tokens -----------------------------------------------------------------------------------------


@pytest.fixture
def token(client, tunxi_admin):
    """A raw bearer token of the 屯溪区 administrator."""
    response = post_login(client, "tunxi-admin")
    assert response.status_code == 200
    return response.get_json()["token"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Bearer   "}],
    ids=["none", "empty", "scheme-only", "blank-token"],
)
def test_a_request_without_a_token_gets_401_auth_required(client, places, headers):
    response = client.get(PROTECTED, headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_required"


def test_a_token_under_another_scheme_is_not_accepted(client, token):
    response = client.get(PROTECTED, headers={"Authorization": f"Basic {token}"})

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_required"


def test_the_bearer_scheme_is_case_insensitive(client, token):
    assert client.get(PROTECTED, headers={"Authorization": f"bearer {token}"}).status_code == 200


@pytest.mark.parametrize("garbage", ["garbage", "x" * 500, "不是令牌"])
def test_an_unknown_token_gets_401_token_invalid(client, token, garbage):
    response = client.get(PROTECTED, headers={"Authorization": f"Bearer {garbage}"})

    assert response.status_code == 401
    assert error_of(response)["code"] == "token_invalid"


def test_a_token_with_a_changed_character_is_invalid(client, token):
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.get(PROTECTED, headers=bearer(tampered))

    assert response.status_code == 401
    assert error_of(response)["code"] == "token_invalid"


def test_an_expired_token_gets_401_token_expired(client, token):
    row = db.session.scalar(sa.select(AuthToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = client.get(PROTECTED, headers=bearer(token))

    assert response.status_code == 401
    assert error_of(response)["code"] == "token_expired"


def test_tokens_are_stored_only_as_their_sha256(client, token):
    rows = list(db.session.execute(sa.select(AuthToken.__table__)).mappings())

    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for row in rows for value in row.values())


def test_logout_revokes_the_token(client, token, tunxi_admin):
    response = client.post(LOGOUT, headers=bearer(token))

    assert response.status_code == 204
    assert response.get_data() == b""
    assert db.session.scalar(sa.select(AuthToken.revoked_at)) is not None
    after = client.get(PROTECTED, headers=bearer(token))
    assert after.status_code == 401
    assert error_of(after)["code"] == "token_expired"
    again = client.post(LOGOUT, headers=bearer(token))
    assert again.status_code == 401
    (event,) = events("auth.logout")
    assert (event.actor_id, event.object_id, event.outcome) == (
        tunxi_admin.id,
        str(tunxi_admin.id),
        "success",
    )


def test_logout_leaves_the_other_sessions_logged_in(client, token):
    other = post_login(client, "tunxi-admin").get_json()["token"]

    assert client.post(LOGOUT, headers=bearer(token)).status_code == 204

    assert client.get(PROTECTED, headers=bearer(other)).status_code == 200
    assert client.get(PROTECTED, headers=bearer(token)).status_code == 401


def test_logout_needs_a_token(client, places):
    response = client.post(LOGOUT)

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_required"
    assert events("auth.logout") == []


def test_a_resident_token_does_not_open_staff_endpoints(app, client, places):
    from app.services.people.tokens import issue_token

    resident = Account(role=Role.resident.value, openid="o-resident-y")
    db.session.add(resident)
    raw, _ = issue_token(resident)
    db.session.commit()

    response = client.get(PROTECTED, headers=bearer(raw))

    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"
