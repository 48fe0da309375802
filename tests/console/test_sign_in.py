"""Signing in to the console: staff only, the password lockout, the layout, sign-out (everywhere)."""

import hashlib

import sqlalchemy as sa

from app.config import DevelopmentConfig, ProductionConfig, TestingConfig
from app.extensions import db
from app.models import Account, AuditEvent, ConsoleSession
from app.services.people.accounts import hash_password
from tests.conftest import PASSWORD
from tests.console.conftest import ACCOUNT, LOGIN, csrf_token
from tests.support import count

TUNXI = "341002000000"
CHENGZHONG = "341002-chengzhong"


def events(action):
    """Return the audit events of one action, oldest first."""
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def sid_cookie(client):
    """Return the console cookie the client holds (None when it holds none)."""
    return client.get_cookie("console_session", path="/console")


def test_the_sign_in_page_is_chinese_and_its_cookie_is_httponly_lax_and_console_only(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "工作人员登录" in page and 'name="csrf_token"' in page
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # tests speak plain http
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_cookie_is_secure_outside_development_and_testing(app, client):
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert DevelopmentConfig.SESSION_COOKIE_SECURE is False and TestingConfig.SESSION_COOKIE_SECURE is False
    app.config["SESSION_COOKIE_SECURE"] = True

    assert "Secure" in client.get(LOGIN).headers["Set-Cookie"]


def test_an_operator_signs_in_and_sees_the_layout_of_their_role(client, make_staff, console_login):
    account = make_staff("operator", "circle", CHENGZHONG, username="chengzhong-op")
    account.display_name = "城中运营"
    db.session.commit()

    response = console_login("Chengzhong-OP ")  # as the API: case and spaces do not matter

    assert response.status_code == 302 and response.location == "/console/"
    home = client.get(ACCOUNT)
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "城中运营" in page and "运营机构" in page and "城中" in page
    assert 'href="/console/lists/residents"' in page and 'href="/console/grid/progress"' in page
    assert "/console/lists/audit_events" not in page  # not an operator's
    assert "退出登录" in page
    # The cookie carries a random id; the row stores only its SHA-256.
    session_row = db.session.scalar(sa.select(ConsoleSession))
    assert session_row.account_id == account.id and session_row.verified_at is not None
    assert session_row.ip == "127.0.0.1"
    [login] = events("console.login")
    assert login.outcome == "success" and login.actor_id == account.id
    db.session.refresh(account)
    assert account.last_login_at is not None


def test_the_cookie_holds_only_a_random_session_id(app, client, console_staff):
    console_staff("operator", "circle", CHENGZHONG)
    raw = sid_cookie(client).value
    serializer = app.session_interface.get_signing_serializer(app)

    content = serializer.loads(raw)

    assert set(content) <= {"sid", "csrf_token"}
    row = db.session.scalar(sa.select(ConsoleSession))
    assert row.sid_hash == hashlib.sha256(content["sid"].encode()).hexdigest()
    assert content["sid"] not in (row.sid_hash, str(row.id))


def test_a_wrong_password_or_an_unknown_name_is_refused_in_chinese_and_audited(
    client, make_staff, console_login
):
    make_staff("operator", "circle", CHENGZHONG, username="op-one")

    wrong = console_login("op-one", "not-the-password")
    unknown = console_login("nobody-here", "not-the-password")

    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "用户名或密码错误" in response.get_data(as_text=True)
    assert count(ConsoleSession) == 0
    failures = events("console.login")
    assert [e.outcome for e in failures] == ["failure", "failure"]
    assert (
        failures[0].detail["reason"] == "wrong_password"
        and failures[1].detail["reason"] == "unknown_username"
    )


def test_the_existing_lockout_applies_to_the_console(app, client, make_staff, console_login):
    make_staff("operator", "circle", CHENGZHONG, username="op-locked")
    limit = app.config["LOGIN_MAX_FAILURES"]

    responses = [console_login("op-locked", "wrong-password-x") for _ in range(limit)]
    after = console_login("op-locked")  # the right password, too late

    assert [r.status_code for r in responses] == [401] * (limit - 1) + [429]
    assert after.status_code == 429
    assert "锁定" in after.get_data(as_text=True) and "分钟" in after.get_data(as_text=True)
    assert count(ConsoleSession) == 0
    assert events("console.login")[-1].outcome == "locked"


def test_residents_and_employers_cannot_sign_in(client, wechat_login, console_login, places):
    body, _, _ = wechat_login()
    resident = db.session.get(Account, body["account"]["id"])
    resident.username = "a-resident"  # even with a name, there is no password to check
    employer = Account(role="employer", username="an-employer", password_hash=hash_password(PASSWORD))
    db.session.add(employer)
    db.session.commit()

    for name in ("a-resident", "an-employer"):
        response = console_login(name)
        assert response.status_code == 401, name
    assert count(ConsoleSession) == 0


def test_a_disabled_account_is_refused_and_disabling_ends_its_sessions(
    client, app, make_staff, console_login, staff_headers
):
    admin, headers = staff_headers("township_admin", "township", "341002002000")
    worker = make_staff("grid_worker", "community", "341002002001", username="grid-one")
    assert console_login("grid-one").status_code == 302
    assert client.get(ACCOUNT).status_code == 200

    changed = client.patch(f"/api/v1/staff/{worker.id}", json={"is_active": False}, headers=headers)

    assert changed.status_code == 200, changed.get_json()
    ended = client.get(ACCOUNT)
    assert ended.status_code == 302 and "reason=revoked" in ended.location
    refused = console_login("grid-one")
    assert refused.status_code == 403 and "账号已停用" in refused.get_data(as_text=True)
    assert events("console.login")[-1].outcome == "denied"


def test_a_password_reset_ends_the_accounts_console_sessions(
    client, make_staff, console_login, staff_headers
):
    _, headers = staff_headers("township_admin", "township", "341002002000")
    worker = make_staff("grid_worker", "community", "341002002001", username="grid-two")
    console_login("grid-two")

    reset = client.patch(
        f"/api/v1/staff/{worker.id}", json={"password": "a-brand-new-password"}, headers=headers
    )

    assert reset.status_code == 200
    assert client.get(ACCOUNT).location.startswith(LOGIN)
    assert db.session.scalar(sa.select(ConsoleSession)).revoked_at is not None


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(client, make_staff):
    make_staff("operator", "circle", CHENGZHONG, username="op-next")
    asked = client.get("/console/account")
    assert asked.status_code == 302 and "next=/console/account" in asked.location

    def sign_in(next_url):
        token = csrf_token(client)
        return client.post(
            LOGIN, data={"csrf_token": token, "username": "op-next", "password": PASSWORD, "next": next_url}
        )

    assert sign_in("/console/account").location == "/console/account"
    for evil in (
        "https://evil.example/console/",
        "//evil.example/console/",
        "/api/v1/staff",
        "/\\evil.example",
    ):
        client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/account")})
        assert sign_in(evil).location == "/console/", evil


def test_an_api_bearer_token_opens_nothing_in_the_console(client, staff_headers):
    _, headers = staff_headers("operator", "circle", CHENGZHONG)

    response = client.get("/console/", headers=headers)
    fetched = client.get("/console/account", headers={**headers, "X-Requested-With": "fetch"})

    assert response.status_code == 302 and response.location.startswith(LOGIN)
    assert fetched.status_code == 401 and fetched.get_json()["error"]["code"] == "console_session_ended"


def test_the_console_cookie_opens_nothing_in_the_api(client, console_staff):
    console_staff("operator", "circle", CHENGZHONG)
    cookie = sid_cookie(client)
    assert cookie is not None and cookie.path == "/console"  # the browser never even sends it to /api

    response = client.get("/api/v1/staff", headers={"Cookie": f"console_session={cookie.value}"})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "auth_required"


def test_sign_out_ends_this_session_and_the_old_cookie_opens_nothing(client, console_staff):
    account, _ = console_staff("operator", "circle", CHENGZHONG)
    old = sid_cookie(client).value
    token = csrf_token(client, "/console/account")

    response = client.post("/console/logout", data={"csrf_token": token})

    assert response.status_code == 302 and "reason=signed_out" in response.location
    assert "您已安全退出" in client.get(response.location).get_data(as_text=True)
    client.set_cookie("console_session", old, path="/console")
    replayed = client.get(ACCOUNT)
    assert replayed.status_code == 302 and "reason=revoked" in replayed.location
    [logout] = events("console.logout")
    assert logout.actor_id == account.id


def test_sign_out_everywhere_ends_every_browser_and_the_api_tokens(app, client, console_staff, login):
    account, _ = console_staff("operator", "circle", CHENGZHONG)
    other = app.test_client()
    token = csrf_token(other)
    other.post(LOGIN, data={"csrf_token": token, "username": account.username, "password": PASSWORD})
    assert other.get(ACCOUNT).status_code == 200
    api_headers = login(account.username)
    assert client.get("/api/v1/staff", headers=api_headers).status_code == 200

    response = client.post(
        "/console/logout-everywhere", data={"csrf_token": csrf_token(client, "/console/account")}
    )

    assert response.status_code == 302 and "reason=signed_out_everywhere" in response.location
    assert other.get(ACCOUNT).location.startswith(LOGIN)
    assert client.get(ACCOUNT).location.startswith(LOGIN)
    assert client.get("/api/v1/staff", headers=api_headers).status_code == 401
    [everywhere] = events("console.logout_everywhere")
    assert everywhere.detail == {"sessions": 2, "tokens": 1}


def test_the_home_page_lists_what_the_role_can_open(client, console_staff):
    console_staff("grid_worker", "community", "341002002001")

    page = client.get("/console/").get_data(as_text=True)

    assert "网格员" in page and "网格工作" in page and "/console/lists/households" in page
    assert "/console/lists/staff_accounts" not in page and "/console/lists/employers" not in page


def test_an_unknown_console_address_is_a_chinese_404(client):
    response = client.get("/console/no-such-page")

    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)
