"""Console sessions: idle and absolute timeouts, pending sign-ins, CSRF, headers, assets."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, AuthToken, ConsoleSession, utcnow
from tests.console.conftest import ACCOUNT, LOGIN, csrf_token, enrol_totp
from tests.support import count

CHENGZHONG = "341002-chengzhong"
FETCH = {"X-Requested-With": "fetch"}


def the_session() -> ConsoleSession:
    """Return the one console session row, as stored now."""
    db.session.expire_all()
    return db.session.scalar(sa.select(ConsoleSession))


def age(**changes) -> None:
    """Move the session's clocks back (e.g. last_seen_at=31 minutes ago)."""
    row = the_session()
    for name, delta in changes.items():
        setattr(row, name, getattr(row, name) - delta)
    db.session.commit()


def test_an_idle_session_ends_after_the_idle_timeout(app, client, console_staff):
    console_staff("operator", "circle", CHENGZHONG)
    idle = app.config["CONSOLE_IDLE_MINUTES"]
    age(last_seen_at=timedelta(minutes=idle - 1))
    assert client.get(ACCOUNT).status_code == 200  # still within the idle time

    age(last_seen_at=timedelta(minutes=idle + 1))
    response = client.get("/console/account")

    assert response.status_code == 302
    assert "reason=idle" in response.location and "next=/console/account" in response.location
    assert "长时间未操作" in client.get(response.location).get_data(as_text=True)
    assert the_session().revoked_at is not None
    [ended] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "console.session_end"))
    assert ended.outcome == "idle"


def test_a_session_ends_at_the_absolute_timeout_however_busy(app, client, console_staff):
    console_staff("operator", "circle", CHENGZHONG)
    row = the_session()
    assert row.expires_at - row.verified_at == timedelta(hours=app.config["CONSOLE_ABSOLUTE_HOURS"])
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = client.get(ACCOUNT)

    assert response.status_code == 302 and "reason=expired" in response.location


def test_a_script_request_of_an_ended_session_gets_401_json(client, console_staff):
    console_staff("operator", "circle", CHENGZHONG)
    age(last_seen_at=timedelta(hours=1))

    response = client.get("/console/account", headers=FETCH)
    htmx = client.get("/console/account", headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "console_session_ended"
    assert "长时间未操作" in response.get_json()["error"]["message"]
    assert (
        htmx.status_code == 401 and htmx.get_json()["error"]["message"] == "请先登录。"
    )  # the cookie is gone


def test_last_seen_is_written_at_most_once_a_minute(client, console_staff):
    console_staff("operator", "circle", CHENGZHONG)
    first = the_session().last_seen_at
    client.get(ACCOUNT)
    assert the_session().last_seen_at == first  # a second later: no write

    age(last_seen_at=timedelta(minutes=2))
    before = the_session().last_seen_at
    client.get(ACCOUNT)

    assert the_session().last_seen_at > before


def test_a_pending_sign_in_opens_only_the_code_page_and_expires(app, client, make_staff):
    admin = make_staff("city_admin", "city", "341000000000", username="city-pending")
    enrol_totp(admin)
    token = csrf_token(client)
    response = client.post(
        LOGIN, data={"csrf_token": token, "username": "city-pending", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302 and response.location.startswith("/console/login/verify")

    assert client.get(ACCOUNT).location == "/console/login/verify"
    assert client.get("/console/account", headers=FETCH).status_code == 401
    row = the_session()
    assert row.verified_at is None
    assert row.expires_at - row.created_at == timedelta(minutes=app.config["CONSOLE_PENDING_MINUTES"])

    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    late = client.get("/console/login/verify")
    assert late.status_code == 302 and "reason=pending_expired" in late.location


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client, console_staff, login):
    account, _ = console_staff("operator", "circle", CHENGZHONG)
    api_headers = login(account.username)

    for path in ("/console/logout", "/console/logout-everywhere"):
        response = client.post(path)
        assert response.status_code == 400, path
        assert "CSRF" in response.get_data(as_text=True) and "操作未执行" in response.get_data(as_text=True)
    forged = client.post("/console/logout-everywhere", data={"csrf_token": "forged"})
    assert forged.status_code == 400

    assert client.get(ACCOUNT).status_code == 200  # still signed in
    assert the_session().revoked_at is None
    assert db.session.scalar(sa.select(AuthToken)).revoked_at is None
    assert client.get("/api/v1/staff", headers=api_headers).status_code == 200
    assert count(AuditEvent, AuditEvent.action.in_(["console.logout", "console.logout_everywhere"])) == 0


def test_a_fetch_without_the_token_gets_json_and_the_header_token_works(client, console_staff):
    console_staff("operator", "circle", CHENGZHONG)

    refused = client.post("/console/logout", headers=FETCH)
    token = csrf_token(client, "/console/account")
    accepted = client.post("/console/logout", headers={**FETCH, "X-CSRFToken": token})

    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    assert accepted.status_code == 302
    assert the_session().revoked_at is not None


def test_the_sign_in_form_needs_its_csrf_token(client, make_staff):
    make_staff("operator", "circle", CHENGZHONG, username="op-csrf")

    response = client.post(LOGIN, data={"username": "op-csrf", "password": "correct-horse-battery"})

    assert response.status_code == 400
    assert count(ConsoleSession) == 0 and count(AuditEvent, AuditEvent.action == "console.login") == 0


def test_the_api_is_not_asked_for_csrf_tokens(client, staff_headers):
    _, headers = staff_headers("operator", "circle", CHENGZHONG)

    response = client.post("/api/v1/auth/logout", headers=headers)

    assert response.status_code == 204


def test_console_pages_render_without_the_vendored_scripts(app, client, console_staff):
    console_staff("operator", "circle", CHENGZHONG)
    app.jinja_env.globals["vendor_ready"] = lambda: False
    try:
        page = client.get(ACCOUNT).get_data(as_text=True)
    finally:
        app.jinja_env.globals.pop("vendor_ready")
        from app.console import vendor_ready

        app.jinja_env.globals["vendor_ready"] = vendor_ready

    assert "退出登录" in page and "vendor/echarts" not in page and "console.js" in page


def test_the_console_serves_its_own_assets(client):
    with (
        client.get("/console/static/console.js") as script,
        client.get("/console/static/console.css") as style,
    ):
        assert script.status_code == 200 and "consoleCharts" in script.get_data(as_text=True)
        assert style.status_code == 200
        assert "no-store" not in script.headers.get("Cache-Control", "")


def test_the_daily_purge_deletes_long_ended_sessions_only(client, console_staff):
    from app.queues import enqueue
    from app.tasks.maintenance import purge_console_sessions

    console_staff("operator", "circle", CHENGZHONG)
    live = the_session()
    db.session.add_all(
        [
            ConsoleSession(
                account_id=live.account_id,
                sid_hash="a" * 64,
                last_seen_at=utcnow() - timedelta(days=30),
                expires_at=utcnow() - timedelta(days=29),
            ),
            ConsoleSession(
                account_id=live.account_id,
                sid_hash="b" * 64,
                expires_at=utcnow() + timedelta(hours=1),
                revoked_at=utcnow() - timedelta(days=8),
            ),
        ]
    )
    db.session.commit()

    job = enqueue(purge_console_sessions, 7)

    assert job.is_finished and job.return_value() == 2
    assert count(ConsoleSession) == 1 and client.get(ACCOUNT).status_code == 200
