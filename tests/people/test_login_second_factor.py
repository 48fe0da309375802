"""The API's staff login asks for the second factor of an account that has TOTP on, as the console does."""

import time

import pyotp
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, AuditEvent, AuthToken
from app.services.people import second_factor
from tests.conftest import PASSWORD
from tests.console.conftest import LOGIN as CONSOLE_LOGIN
from tests.console.conftest import TOTP_SECRET, VERIFY, csrf_token, enrol_totp, fresh_code
from tests.people.test_login_throttle import redis_down  # noqa: F401  (fixture)
from tests.support import count, error_of

LOGIN = "/api/v1/auth/login"
# Any endpoint that needs a staff token will do to see whether a token works.
PROTECTED = "/api/v1/staff"
TUNXI = "341002000000"


def post_login(client, username, password=PASSWORD, **body):
    """Attempt a staff login (with `totp_code=...` if given) and return the response."""
    return client.post(LOGIN, json={"username": username, "password": password, **body})


def wrong_code() -> str:
    """Return six digits that are no code of TOTP_SECRET in the window accepted now."""
    totp, now = pyotp.TOTP(TOTP_SECRET), time.time()
    valid = {totp.at(now + offset * second_factor.STEP_SECONDS) for offset in (-1, 0, 1, 2)}
    return next(code for code in ("123456", "654321", "111111", "909090", "000000") if code not in valid)


def login_events(outcome=None):
    """Return the auth.login audit events (optionally of one outcome), oldest first."""
    db.session.commit()
    statement = sa.select(AuditEvent).where(AuditEvent.action == "auth.login").order_by(AuditEvent.id)
    if outcome:
        statement = statement.where(AuditEvent.outcome == outcome)
    return list(db.session.scalars(statement))


def tokens() -> int:
    """Return how many bearer tokens were ever issued."""
    return count(AuthToken)


def reload(account):
    """Return the account row as it is in the database now."""
    db.session.expire_all()
    return db.session.get(Account, account.id)


@pytest.fixture
def admin(make_staff):
    """A district administrator of 屯溪区 who has TOTP on (enrolled in the console): (account, codes)."""
    account = make_staff("district_admin", "district", TUNXI, username="tunxi-totp")
    return account, enrol_totp(account, TOTP_SECRET)


def test_without_a_code_the_right_password_gets_401_totp_required_and_no_token(client, admin):
    account, _ = admin

    response = post_login(client, "tunxi-totp")

    assert response.status_code == 401
    error = error_of(response)
    assert (error["code"], error["field"]) == ("totp_required", "totp_code")
    assert "token" not in response.get_json()
    assert tokens() == 0
    assert reload(account).last_login_at is None
    (event,) = login_events()
    assert (event.outcome, event.actor_id, event.detail) == ("pending", account.id, {"next": "second_factor"})


def test_a_wrong_password_is_refused_before_any_code_is_looked_at(client, admin):
    account, _ = admin
    code = fresh_code(account, TOTP_SECRET)

    response = post_login(client, "tunxi-totp", "not-the-password", totp_code=code)

    assert (response.status_code, error_of(response)["code"]) == (401, "invalid_credentials")
    # The code was not spent: it still opens the account with the right password.
    assert post_login(client, "tunxi-totp", totp_code=code).status_code == 200


def test_the_right_code_gets_a_working_token_and_is_audited(client, admin):
    account, _ = admin

    response = post_login(client, "tunxi-totp", totp_code=fresh_code(account, TOTP_SECRET))

    assert response.status_code == 200, response.get_json()
    token = response.get_json()["token"]
    assert client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert reload(account).last_login_at is not None
    (event,) = login_events()
    assert (event.outcome, event.detail) == ("success", {"second_factor": "totp"})


def test_a_code_works_once_a_replay_gets_401_invalid_code(client, admin):
    account, _ = admin
    code = fresh_code(account, TOTP_SECRET)
    assert post_login(client, "tunxi-totp", totp_code=code).status_code == 200

    replayed = post_login(client, "tunxi-totp", totp_code=code)

    assert (replayed.status_code, error_of(replayed)["code"]) == (401, "invalid_code")
    assert "token" not in replayed.get_json()
    assert tokens() == 1
    assert login_events()[-1].detail == {"reason": "wrong_code", "locked": False}
    # The next step's code still works (fresh_code waits for one the server has not seen).
    assert post_login(client, "tunxi-totp", totp_code=fresh_code(account, TOTP_SECRET)).status_code == 200


def test_a_wrong_code_gets_401_invalid_code_and_is_audited(client, admin):
    account, _ = admin

    response = post_login(client, "tunxi-totp", totp_code=wrong_code())

    assert (response.status_code, error_of(response)["code"]) == (401, "invalid_code")
    assert tokens() == 0
    assert reload(account).last_login_at is None
    (event,) = login_events()
    assert (event.outcome, event.actor_id) == ("failure", account.id)
    assert event.detail == {"reason": "wrong_code", "locked": False}


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, client, admin):
    account, _ = admin
    limit = app.config["LOGIN_MAX_FAILURES"]

    answers = [post_login(client, "tunxi-totp", totp_code=wrong_code()) for _ in range(limit)]

    assert [a.status_code for a in answers] == [401] * (limit - 1) + [429]
    assert error_of(answers[-1])["code"] == "account_locked"
    assert int(answers[-1].headers["Retry-After"]) > 0
    # Locked: the right password and a right code are refused too, unchecked.
    right = post_login(client, "tunxi-totp", totp_code=fresh_code(account, TOTP_SECRET))
    assert (right.status_code, error_of(right)["code"]) == (429, "account_locked")
    assert tokens() == 0
    outcomes = [(e.outcome, (e.detail or {}).get("locked")) for e in login_events()]
    assert outcomes == [("failure", False)] * (limit - 1) + [("failure", True), ("locked", None)]


def test_sending_the_right_password_again_does_not_wipe_the_wrong_codes(app, client, admin):
    # A right password alone clears earlier failures for an account without a second factor; here
    # it would let whoever holds the password guess codes for ever, a few at a time.
    account, _ = admin
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert post_login(client, "tunxi-totp", totp_code=wrong_code()).status_code == 401
    assert error_of(post_login(client, "tunxi-totp"))["code"] == "totp_required"
    # The console's password step is the same check: it wipes nothing either.
    form = {"csrf_token": csrf_token(client), "username": "tunxi-totp", "password": PASSWORD}
    assert client.post(CONSOLE_LOGIN, data=form).location.startswith(VERIFY)

    last = post_login(client, "tunxi-totp", totp_code=wrong_code())

    assert (last.status_code, error_of(last)["code"]) == (429, "account_locked")


def test_a_right_code_clears_the_failures_before_it(app, client, admin):
    account, _ = admin
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        assert post_login(client, "tunxi-totp", totp_code=wrong_code()).status_code == 401
    assert post_login(client, "tunxi-totp", totp_code=fresh_code(account, TOTP_SECRET)).status_code == 200

    for _ in range(limit - 1):
        assert post_login(client, "tunxi-totp", totp_code=wrong_code()).status_code == 401


def test_a_recovery_code_works_once_as_in_the_console(client, admin):
    account, codes = admin

    used = post_login(client, "tunxi-totp", totp_code=codes[2].upper())
    again = post_login(client, "tunxi-totp", totp_code=codes[2])

    assert used.status_code == 200, used.get_json()
    assert (again.status_code, error_of(again)["code"]) == (401, "invalid_code")
    assert second_factor.recovery_codes_left(reload(account)) == second_factor.RECOVERY_CODE_COUNT - 1
    success = login_events("success")
    assert [e.detail for e in success] == [{"second_factor": "recovery_code"}]
    (recovery,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.recovery_code"))
    assert (recovery.actor_id, recovery.detail) == (account.id, {"left": 9})
    # Typed off paper without the dash, or with a space, it is the same code.
    assert post_login(client, "tunxi-totp", totp_code=codes[5].replace("-", "")).status_code == 200
    assert post_login(client, "tunxi-totp", totp_code=codes[6].replace("-", " ")).status_code == 200


def test_an_account_without_totp_logs_in_as_before(client, make_staff):
    # A city or district administrator who has not enrolled yet (enrolment is in the console).
    account = make_staff("city_admin", "city", "341000000000", username="city-no-totp")

    plain = post_login(client, "city-no-totp")
    with_a_code = post_login(client, "city-no-totp", totp_code="123456")  # not looked at

    assert (plain.status_code, with_a_code.status_code) == (200, 200)
    assert [e.detail for e in login_events()] == [None, None]
    assert reload(account).totp_last_step is None


def test_a_pending_enrolment_is_not_a_second_factor_yet(client, make_staff):
    account = make_staff("district_admin", "district", TUNXI, username="tunxi-enrolling")
    second_factor.begin_enrolment(account)  # the enrolment page was opened, no code confirmed
    db.session.commit()

    assert post_login(client, "tunxi-enrolling").status_code == 200


@pytest.mark.parametrize("code", ["", "12345", "123456789", "abc", "12 34 56", "abcde-fghij-k", 123456, None])
def test_a_malformed_code_is_a_422_naming_the_field_and_counts_nothing(client, admin, code):
    response = post_login(client, "tunxi-totp", totp_code=code)

    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", "totp_code")
    assert login_events() == []


@pytest.mark.usefixtures("redis_down")
def test_without_redis_a_wrong_code_is_counted_on_the_account_row(app, client, admin):
    account, _ = admin
    limit = app.config["LOGIN_MAX_FAILURES"]

    answers = [post_login(client, "tunxi-totp", totp_code=wrong_code()) for _ in range(limit - 1)]
    # The right password alone gives its attempt back and wipes nothing, as with Redis.
    pending = [post_login(client, "tunxi-totp") for _ in range(limit)]
    answers.append(post_login(client, "tunxi-totp", totp_code=wrong_code()))

    assert [error_of(a)["code"] for a in answers] == ["invalid_code"] * (limit - 1) + ["account_locked"]
    assert {error_of(a)["code"] for a in pending} == {"totp_required"}
    assert reload(account).locked_until is not None
    right = post_login(client, "tunxi-totp", totp_code=fresh_code(account, TOTP_SECRET))
    assert (right.status_code, error_of(right)["code"]) == (429, "account_locked")
    assert tokens() == 0


@pytest.mark.usefixtures("redis_down")
def test_without_redis_the_right_code_logs_in(client, admin):
    account, _ = admin

    response = post_login(client, "tunxi-totp", totp_code=fresh_code(account, TOTP_SECRET))

    assert response.status_code == 200, response.get_json()
    assert reload(account).failed_logins == 0


def test_the_api_document_shows_the_code_and_its_refusals(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"][LOGIN]["post"]

    schema_name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"][schema_name]
    assert schema["properties"]["totp_code"]["type"] == "string"
    assert "totp_code" not in schema.get("required", [])
    described = operation["responses"]["401"]["description"]
    assert all(code in described for code in ("invalid_credentials", "totp_required", "invalid_code"))
