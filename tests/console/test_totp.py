"""The second factor: TOTP enrolment (required for city and district admins), codes, recovery codes."""

import base64
import html
import io
import re
import time

import pyotp
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from app.extensions import db
from app.models import Account, AuditEvent, ConsoleSession, RecoveryCode
from app.services.people import second_factor
from tests.conftest import PASSWORD
from tests.console.conftest import (
    ACCOUNT,
    ENROL,
    LOGIN,
    TOTP_SECRET,
    VERIFY,
    csrf_from,
    csrf_token,
    enrol_totp,
    fresh_code,
)
from tests.support import count

CITY = "341000000000"
TUNXI = "341002000000"
CHENGZHONG = "341002-chengzhong"


def actions(prefix="console."):
    """Return (action, outcome) of the audit events under `prefix`, oldest first."""
    rows = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)
    )
    return [(e.action, e.outcome) for e in rows]


def password_step(client, username):
    """Post the sign-in form; return the response (a redirect to the next step)."""
    return client.post(
        LOGIN, data={"csrf_token": csrf_token(client), "username": username, "password": PASSWORD}
    )


def code_step(client, code, path=VERIFY):
    """Post a code to the verify (or enrol) page; return the response."""
    return client.post(path, data={"csrf_token": csrf_token(client, path), "code": code})


def reload(account):
    db.session.expire_all()
    return db.session.get(Account, account.id)


def test_a_city_admin_must_enrol_then_sees_recovery_codes_once(client, make_staff):
    admin = make_staff("city_admin", "city", CITY, username="city-new")

    response = password_step(client, "city-new")

    assert response.status_code == 302 and response.location.startswith(ENROL)
    assert client.get(ACCOUNT).location == VERIFY  # nothing opens before the second factor
    page = client.get(ENROL).get_data(as_text=True)
    assert "您的角色必须启用二次验证" in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    uri = html.unescape(re.search(r'data-testid="totp-uri">([^<]+)<', page).group(1))
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "city-new" in uri
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1))
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert decoded.text == uri
    assert secret in client.get(ENROL).get_data(as_text=True)  # reloading keeps the same secret

    wrong = code_step(client, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111", ENROL)
    assert wrong.status_code == 401 and "验证码不正确" in wrong.get_data(as_text=True)
    assert reload(admin).totp_enabled_at is None

    confirmed = code_step(client, pyotp.TOTP(secret).now(), ENROL)

    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", confirmed.get_data(as_text=True))
    assert len(codes) == 10 == len(set(codes))
    assert "只显示这一次" in confirmed.get_data(as_text=True)
    assert client.get(ACCOUNT).status_code == 200
    admin = reload(admin)
    assert admin.totp_enabled_at is not None and secret.encode() not in admin.totp_secret_enc
    stored = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and not stored & set(codes)
    assert actions() == [
        ("console.login", "pending"),
        ("console.totp_enrol", "failure"),
        ("console.totp_enrol", "success"),
        ("console.login", "success"),
    ]


def test_a_district_admin_signs_in_with_a_code_that_works_only_once(app, client, make_staff):
    admin = make_staff("district_admin", "district", TUNXI, username="tunxi-totp")
    enrol_totp(admin)
    code = fresh_code(admin, TOTP_SECRET)

    assert password_step(client, "tunxi-totp").location.startswith(VERIFY)
    signed_in = code_step(client, code)
    assert signed_in.status_code == 302 and signed_in.location == "/console/"
    assert client.get(ACCOUNT).status_code == 200

    other = app.test_client()
    password_step(other, "tunxi-totp")
    replayed = code_step(other, code)

    assert replayed.status_code == 401 and "已使用过" in replayed.get_data(as_text=True)
    assert other.get(ACCOUNT).location == VERIFY
    assert actions("console.login")[-1] == ("console.login", "failure")
    failure = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert failure.detail["reason"] == "wrong_code"


def test_signing_in_gives_the_session_a_new_id(client, make_staff):
    admin = make_staff("district_admin", "district", TUNXI, username="tunxi-fixation")
    enrol_totp(admin)
    password_step(client, "tunxi-fixation")
    pending_hash = db.session.scalar(sa.select(ConsoleSession.sid_hash))

    code_step(client, fresh_code(admin, TOTP_SECRET))

    db.session.expire_all()
    assert db.session.scalar(sa.select(ConsoleSession.sid_hash)) != pending_hash


def test_a_recovery_code_works_once_and_is_audited(app, client, make_staff):
    admin = make_staff("city_admin", "city", CITY, username="city-recovery")
    codes = enrol_totp(admin)

    password_step(client, "city-recovery")
    used = code_step(client, codes[3].upper().replace("-", " "))  # as typed off paper
    assert used.status_code == 302 and client.get(ACCOUNT).status_code == 200

    other = app.test_client()
    password_step(other, "city-recovery")
    again = code_step(other, codes[3])

    assert again.status_code == 401
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "console.recovery_code"))
    assert event.detail == {"left": 9}
    assert second_factor.recovery_codes_left(reload(admin)) == 9


def test_wrong_codes_count_toward_the_password_lockout(app, client, make_staff):
    admin = make_staff("district_admin", "district", TUNXI, username="tunxi-guess")
    enrol_totp(admin)
    limit = app.config["LOGIN_MAX_FAILURES"]
    password_step(client, "tunxi-guess")
    right = pyotp.TOTP(TOTP_SECRET).now()
    wrong = next(c for c in ("123456", "654321", "111111") if c != right)

    answers = [code_step(client, wrong).status_code for _ in range(limit)]
    again = password_step(app.test_client(), "tunxi-guess")

    assert answers == [401] * (limit - 1) + [429]
    assert again.status_code == 429 and "锁定" in again.get_data(as_text=True)
    assert code_step(client, fresh_code(admin, TOTP_SECRET)).status_code == 429  # a right code too
    assert ("console.login", "locked") in actions()


def test_an_operator_may_turn_totp_on_and_off_with_a_current_code(app, client, console_staff):
    account, _ = console_staff("operator", "circle", CHENGZHONG)
    page = client.get("/console/account").get_data(as_text=True)
    assert "未启用" in page

    enrol_page = client.get("/console/account/totp").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', enrol_page).group(1)
    confirmed = client.post(
        "/console/account/totp", data={"csrf_token": csrf_from(enrol_page), "code": pyotp.TOTP(secret).now()}
    )
    assert confirmed.status_code == 200 and "请保存恢复码" in confirmed.get_data(as_text=True)
    assert second_factor.enabled(reload(account))

    # From now on signing in asks for a code.
    other = app.test_client()
    assert password_step(other, account.username).location.startswith(VERIFY)

    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    refused = client.post(
        "/console/account/totp/disable",
        data={"csrf_token": csrf_token(client, "/console/account"), "code": wrong},
    )
    assert refused.status_code == 401 and "验证码不正确" in refused.get_data(as_text=True)
    assert second_factor.enabled(reload(account))
    disabled = client.post(
        "/console/account/totp/disable",
        data={"csrf_token": csrf_token(client, "/console/account"), "code": fresh_code(account, secret)},
    )
    assert disabled.status_code == 302
    account = reload(account)
    assert not second_factor.enabled(account) and account.totp_secret_enc is None
    assert count(RecoveryCode) == 0
    assert ("console.totp_disable", "success") in actions() and (
        "console.totp_disable",
        "failure",
    ) in actions()


def test_a_district_admin_cannot_turn_totp_off(client, console_staff):
    account, secret = console_staff("district_admin", "district", TUNXI)
    assert "不能关闭" in client.get("/console/account").get_data(as_text=True)

    response = client.post(
        "/console/account/totp/disable",
        data={"csrf_token": csrf_token(client, "/console/account"), "code": fresh_code(account, secret)},
    )

    assert response.status_code == 403 and "不能关闭" in response.get_data(as_text=True)
    assert second_factor.enabled(reload(account))


def test_renewing_recovery_codes_retires_the_old_ones(client, make_staff, console_login):
    admin = make_staff("city_admin", "city", CITY, username="city-renew")
    old = enrol_totp(admin)
    console_login("city-renew", totp_secret=TOTP_SECRET)

    response = client.post(
        "/console/account/recovery-codes",
        data={"csrf_token": csrf_token(client, "/console/account"), "code": fresh_code(admin, TOTP_SECRET)},
    )

    assert response.status_code == 200
    new = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    admin = reload(admin)
    assert not second_factor.verify(admin, old[0])
    assert second_factor.verify(admin, new[0])


def test_the_service_enrols_with_a_fixed_secret_and_verifies_each_code_once(app, make_staff):
    account = make_staff("city_admin", "city", CITY, username="city-service")

    codes = second_factor.enrol(account, secret=TOTP_SECRET)
    db.session.commit()

    assert len(codes) == second_factor.RECOVERY_CODE_COUNT == 10
    now = time.time()
    code = pyotp.TOTP(TOTP_SECRET).at(now)
    assert second_factor.verify(account, code) is True
    assert second_factor.verify(account, code) is False  # the same step again: a replay
    earlier = pyotp.TOTP(TOTP_SECRET).at(now - 30)
    assert second_factor.verify(account, earlier) is False  # an older step after a newer one
    assert second_factor.verify(account, codes[0]) is True
    assert second_factor.verify(account, codes[0]) is False
    assert (
        second_factor.verify(account, "") is False and second_factor.verify(account, "abcde-fghjk") is False
    )
