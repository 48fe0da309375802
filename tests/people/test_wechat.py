"""WeChat login, phone binding, our wechatpy client's access-token handling, and the fake WeChat server."""

import contextlib
import logging
import socket
import threading
import time

import pytest
import requests
import sqlalchemy as sa
from wechatpy.exceptions import WeChatClientException
from werkzeug.serving import make_server

from app.common.crypto import decrypt
from app.extensions import db
from app.models import Account, AuditEvent, Resident
from app.wechat import wechat
from app.wechat.client import ApiClient
from tests.conftest import give_consent
from tests.support import backend_settings, error_of

LOGIN = "/api/v1/auth/wechat-login"
PHONE = "/api/v1/auth/wechat-phone"
ME = "/api/v1/me"
TOKEN_PATH = "/cgi-bin/token"
LOGIN_PATH = "/sns/jscode2session"
PHONE_PATH = "/wxa/business/getuserphonenumber"
SEND_PATH = "/cgi-bin/message/subscribe/send"
TEMPLATE = "TPL_job_match"


# ---------------------------------------------------------------- helpers


def token_key(app) -> str:
    """Return the Redis key wechatpy's RedisStorage keeps the access token under."""
    return f"wechatpy:{app.config['WECHAT_APPID']}_access_token"


def cached_token(app) -> str | None:
    """Return the access token cached in Redis (JSON-encoded by RedisStorage), or None."""
    raw = app.extensions["redis"].get(token_key(app))
    return None if raw is None else raw.decode().strip('"')


def errcodes(fake_wechat, path: str, since: int) -> list:
    """Return the errcodes the fake answered on `path` after the first `since` such calls."""
    return [c["errcode"] for c in fake_wechat.calls(path)[since:]]


def use_wechat_base(monkeypatch, app, base: str) -> None:
    """Point the app's WeChat client at another base URL (rebuilt on next use)."""
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", base)
    app.extensions["wechat"] = None


@contextlib.contextmanager
def refused_port():
    """Yield a base URL on a port that is bound but not listening: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


@contextlib.contextmanager
def html_server():
    """Yield the base URL of a server that answers every request with an HTML page (a proxy's)."""

    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<html><body>502 Bad Gateway</body></html>"]

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture
def http_log(app, monkeypatch):
    """Record every HTTP request our WeChat client sends: (method, url, params)."""
    client = wechat.client
    sent = []
    original = client._http.request

    def request(method, url, **kwargs):
        sent.append((method.upper(), url, kwargs.get("params")))
        return original(method, url, **kwargs)

    monkeypatch.setattr(client._http, "request", request)
    return sent


@pytest.fixture
def resident(wechat_login):
    """Log in a fresh resident; return (login body, auth headers, the fake's minted codes)."""
    return wechat_login()


def assert_no_session_key(response, session_key: str) -> None:
    """Check that neither the session_key nor its name appears in a response."""
    text = response.get_data(as_text=True)
    assert session_key not in text
    assert "session_key" not in text
    for name, value in response.headers.items():
        assert session_key not in value, name


# ---------------------------------------------------------------- WeChat login


def test_first_login_creates_resident_account(client, fake_wechat):
    codes = fake_wechat.codes()

    response = client.post(LOGIN, json={"code": codes["code"]})

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["is_new"] is True
    assert body["account"]["role"] == "resident"
    assert len(body["token"]) >= 22 and body["expires_at"]
    account = db.session.scalar(sa.select(Account).where(Account.openid == codes["openid"]))
    assert account is not None and account.id == body["account"]["id"]
    assert account.role == "resident" and account.last_login_at is not None
    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account.id))
    assert resident is not None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "auth.wechat_login"))
    assert event.actor_id == account.id and event.outcome == "success"
    assert event.detail == {"new_account": True}
    me = client.get(ME, headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == resident.id
    assert me.get_json()["phone_bound"] is False


def test_second_login_with_new_code_returns_same_account(client, fake_wechat):
    first = fake_wechat.codes()
    second = fake_wechat.codes(openid=first["openid"])

    one = client.post(LOGIN, json={"code": first["code"]}).get_json()
    two = client.post(LOGIN, json={"code": second["code"]})

    assert two.status_code == 200
    two = two.get_json()
    assert two["is_new"] is False
    assert two["account"]["id"] == one["account"]["id"]
    assert two["token"] != one["token"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 1
    for token in (one["token"], two["token"]):
        assert client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_different_wechat_users_get_different_accounts(client, fake_wechat):
    ids = {client.post(LOGIN, json={"code": fake_wechat.codes()["code"]}).get_json()["account"]["id"]}
    ids.add(client.post(LOGIN, json={"code": fake_wechat.codes()["code"]}).get_json()["account"]["id"])
    assert len(ids) == 2


def test_reused_login_code_is_401(client, fake_wechat):
    codes = fake_wechat.codes()
    assert client.post(LOGIN, json={"code": codes["code"]}).status_code == 200
    seen = len(fake_wechat.calls(LOGIN_PATH))

    response = client.post(LOGIN, json={"code": codes["code"]})

    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "wechat_code_invalid"
    assert error["field"] == "code" and "code" in error["fields"]
    assert errcodes(fake_wechat, LOGIN_PATH, seen) == [40163]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 1


def test_unknown_login_code_is_401(client, fake_wechat):
    seen = len(fake_wechat.calls(LOGIN_PATH))

    response = client.post(LOGIN, json={"code": "0" * 32})

    assert response.status_code == 401
    assert error_of(response)["code"] == "wechat_code_invalid"
    assert errcodes(fake_wechat, LOGIN_PATH, seen) == [40029]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_login_when_wechat_is_unreachable_is_502(app, client, fake_wechat, monkeypatch):
    codes = fake_wechat.codes()
    with refused_port() as dead:
        use_wechat_base(monkeypatch, app, dead)
        response = client.post(LOGIN, json={"code": codes["code"]})

    assert response.status_code == 502
    assert error_of(response)["code"] == "wechat_unavailable"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_login_with_an_app_built_on_a_dead_base_is_502(app, fake_wechat):
    from app import create_app

    overrides = backend_settings(app)
    with refused_port() as dead:
        other = create_app("testing", {**overrides, "WECHAT_API_BASE": dead})
        with other.app_context():
            response = other.test_client().post(LOGIN, json={"code": fake_wechat.codes()["code"]})
            db.session.remove()
            db.engine.dispose()

    assert response.status_code == 502
    assert error_of(response)["code"] == "wechat_unavailable"


def test_login_when_wechat_answers_http_errors_is_502(app, client, fake_wechat, monkeypatch):
    use_wechat_base(monkeypatch, app, fake_wechat.base_url + "no-such-prefix/")

    response = client.post(LOGIN, json={"code": fake_wechat.codes()["code"]})

    assert response.status_code == 502
    assert error_of(response)["code"] == "wechat_unavailable"


def test_login_when_wechat_answers_html_is_502(app, client, fake_wechat, monkeypatch):
    with html_server() as base:
        use_wechat_base(monkeypatch, app, base)
        response = client.post(LOGIN, json={"code": fake_wechat.codes()["code"]})

    assert response.status_code == 502
    assert error_of(response)["code"] == "wechat_unavailable"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_login_with_a_wrong_app_secret_is_502_and_keeps_the_code(app, client, fake_wechat, monkeypatch):
    codes = fake_wechat.codes()
    seen = len(fake_wechat.calls(LOGIN_PATH))
    monkeypatch.setitem(app.config, "WECHAT_SECRET", "not-the-secret")
    app.extensions["wechat"] = None

    response = client.post(LOGIN, json={"code": codes["code"]})

    assert response.status_code == 502
    assert error_of(response)["code"] == "wechat_unavailable"
    assert errcodes(fake_wechat, LOGIN_PATH, seen) == [40125]
    # Our configuration error must not burn the user's code.
    monkeypatch.undo()
    app.extensions["wechat"] = None
    assert client.post(LOGIN, json={"code": codes["code"]}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"code": ""}, {"code": None}, {"code": 12345}, {"code": ["abc"]}, {"code": "x" * 129}],
    ids=["missing", "empty", "null", "number", "list", "too-long"],
)
def test_login_needs_a_code(client, fake_wechat, body):
    seen = len(fake_wechat.calls(LOGIN_PATH))

    response = client.post(LOGIN, json=body)

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "code" in error["fields"]
    assert len(fake_wechat.calls(LOGIN_PATH)) == seen


def test_login_with_a_non_json_body_is_4xx(client, fake_wechat):
    response = client.post(LOGIN, data="code=abc", content_type="application/json")
    assert response.status_code in (400, 422)
    assert error_of(response)["code"] in ("invalid_json", "validation_error")


def test_disabled_resident_cannot_log_in(client, fake_wechat, wechat_login):
    body, _, codes = wechat_login()
    account = db.session.get(Account, body["account"]["id"])
    account.is_active = False
    db.session.commit()

    response = client.post(LOGIN, json={"code": fake_wechat.codes(openid=codes["openid"])["code"]})

    assert response.status_code == 403
    assert error_of(response)["code"] == "account_disabled"


def test_login_fetches_no_access_token(app, client, fake_wechat, http_log):
    tokens_before = len(fake_wechat.calls(TOKEN_PATH))

    response = client.post(LOGIN, json={"code": fake_wechat.codes()["code"]})

    assert response.status_code == 200
    assert len(fake_wechat.calls(TOKEN_PATH)) == tokens_before
    assert cached_token(app) is None
    [(method, url, params)] = http_log
    assert (method, url) == ("GET", fake_wechat.base_url + "sns/jscode2session")
    assert "access_token" not in dict(params)


# ---------------------------------------------------------------- the session_key stays here


def test_session_key_is_stored_encrypted_and_never_sent(app, client, fake_wechat, caplog):
    caplog.set_level(logging.DEBUG)
    codes = fake_wechat.codes(phone="13812340000")

    login = client.post(LOGIN, json={"code": codes["code"]})
    headers = {"Authorization": f"Bearer {login.get_json()['token']}"}
    give_consent(login.get_json()["account"]["id"])  # binding a phone needs it
    me = client.get(ME, headers=headers)
    phone = client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers)

    session_key = fake_wechat.state.sessions[codes["openid"]]
    assert [login.status_code, me.status_code, phone.status_code] == [200, 200, 200]
    for response in (login, me, phone):
        assert_no_session_key(response, session_key)
    assert session_key not in caplog.text
    account = db.session.scalar(sa.select(Account).where(Account.openid == codes["openid"]))
    assert session_key.encode() not in account.session_key_enc
    assert decrypt(account.session_key_enc, "session_key") == session_key


def test_new_login_stores_the_new_session_key(client, fake_wechat, wechat_login):
    _, _, codes = wechat_login()
    first_key = fake_wechat.state.sessions[codes["openid"]]

    again = client.post(LOGIN, json={"code": fake_wechat.codes(openid=codes["openid"])["code"]})

    second_key = fake_wechat.state.sessions[codes["openid"]]
    assert again.status_code == 200 and second_key != first_key
    assert_no_session_key(again, second_key)
    account = db.session.scalar(sa.select(Account).where(Account.openid == codes["openid"]))
    db.session.refresh(account)
    assert decrypt(account.session_key_enc, "session_key") == second_key


# ---------------------------------------------------------------- phone binding


def test_bind_phone_shows_it_masked(client, fake_wechat, wechat_login):
    _, headers, codes = wechat_login(phone="13955551234")

    response = client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["phone"] == "139****1234"
    assert response.get_json()["phone_bound"] is True
    assert "13955551234" not in response.get_data(as_text=True)
    me = client.get(ME, headers=headers)
    assert me.status_code == 200
    assert me.get_json()["phone"] == "139****1234" and me.get_json()["phone_bound"] is True
    assert "13955551234" not in me.get_data(as_text=True)
    resident = db.session.scalar(
        sa.select(Resident)
        .join(Account, Account.id == Resident.account_id)
        .where(Account.openid == codes["openid"])
    )
    assert decrypt(resident.phone_enc, "phone") == "13955551234"


def test_reused_phone_code_is_401_and_keeps_the_bound_phone(client, fake_wechat, wechat_login):
    _, headers, codes = wechat_login(phone="13955556789")
    assert client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers).status_code == 200
    seen = len(fake_wechat.calls(PHONE_PATH))

    response = client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "wechat_code_invalid"
    assert errcodes(fake_wechat, PHONE_PATH, seen) == [40163]
    assert client.get(ME, headers=headers).get_json()["phone"] == "139****6789"


def test_unknown_phone_code_is_401(client, fake_wechat, resident):
    _, headers, _ = resident
    seen = len(fake_wechat.calls(PHONE_PATH))

    response = client.post(PHONE, json={"code": "f" * 32}, headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "wechat_code_invalid"
    assert errcodes(fake_wechat, PHONE_PATH, seen) == [40029]
    assert client.get(ME, headers=headers).get_json()["phone_bound"] is False


def test_a_second_binding_replaces_the_phone(client, fake_wechat, resident):
    _, headers, codes = resident
    assert client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers).status_code == 200
    other = fake_wechat.codes(openid=codes["openid"], phone="13700001111")

    response = client.post(PHONE, json={"code": other["phone_code"]}, headers=headers)

    assert response.status_code == 200
    assert client.get(ME, headers=headers).get_json()["phone"] == "137****1111"


def test_staff_cannot_bind_a_phone(client, fake_wechat, staff_headers):
    _, headers = staff_headers("city_admin", "city", "341000000000")
    codes = fake_wechat.codes()
    seen = len(fake_wechat.calls(PHONE_PATH))

    response = client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers)

    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"
    assert len(fake_wechat.calls(PHONE_PATH)) == seen


def test_phone_binding_needs_a_login(client, fake_wechat):
    codes = fake_wechat.codes()
    seen = len(fake_wechat.calls(PHONE_PATH))

    response = client.post(PHONE, json={"code": codes["phone_code"]})

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_required"
    bad = client.post(PHONE, json={"code": codes["phone_code"]}, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and error_of(bad)["code"] == "token_invalid"
    assert len(fake_wechat.calls(PHONE_PATH)) == seen


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": None}], ids=["missing", "empty", "null"])
def test_phone_binding_needs_a_code(client, fake_wechat, resident, body):
    seen = len(fake_wechat.calls(PHONE_PATH))
    response = client.post(PHONE, json=body, headers=resident[1])
    assert response.status_code == 422
    assert "code" in error_of(response)["fields"]
    assert len(fake_wechat.calls(PHONE_PATH)) == seen


def test_phone_binding_when_wechat_is_unreachable_is_502(app, client, fake_wechat, resident, monkeypatch):
    _, headers, codes = resident
    with refused_port() as dead:
        use_wechat_base(monkeypatch, app, dead)
        response = client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers)

    assert response.status_code == 502
    assert error_of(response)["code"] == "wechat_unavailable"
    assert client.get(ME, headers=headers).get_json()["phone_bound"] is False


# ---------------------------------------------------------------- the access token


def test_every_call_goes_to_the_configured_base(app, client, fake_wechat, resident, http_log):
    _, headers, codes = resident
    tokens_before = len(fake_wechat.calls(TOKEN_PATH))

    assert client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers).status_code == 200
    with pytest.raises(WeChatClientException):
        wechat.client.wxa.send_subscribe_message(codes["openid"], TEMPLATE, {"thing1": {"value": "x"}})

    urls = [url for _, url, _ in http_log]
    assert urls == [
        fake_wechat.base_url + "cgi-bin/token",
        fake_wechat.base_url + "wxa/business/getuserphonenumber",
        fake_wechat.base_url + "cgi-bin/message/subscribe/send",
    ]
    assert len(fake_wechat.calls(TOKEN_PATH)) == tokens_before + 1


def test_access_token_is_cached_in_redis(app, client, fake_wechat, wechat_login):
    _, headers, codes = wechat_login()
    tokens_before = len(fake_wechat.calls(TOKEN_PATH))
    assert cached_token(app) is None

    assert client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers).status_code == 200
    token = cached_token(app)
    assert token in fake_wechat.state.tokens
    assert 0 < app.extensions["redis"].ttl(token_key(app)) <= 7200 - 300
    _, other_headers, other = wechat_login()
    assert client.post(PHONE, json={"code": other["phone_code"]}, headers=other_headers).status_code == 200

    assert len(fake_wechat.calls(TOKEN_PATH)) == tokens_before + 1
    assert cached_token(app) == token


def test_client_with_new_redis_connection_reuses_the_cached_token(app, fake_wechat):
    first = wechat.client.access_token
    tokens_before = len(fake_wechat.calls(TOKEN_PATH))
    other = ApiClient(
        app.config["WECHAT_APPID"], app.config["WECHAT_SECRET"], fake_wechat.base_url, app.extensions["redis"]
    )
    assert other.access_token == first
    assert len(fake_wechat.calls(TOKEN_PATH)) == tokens_before


def test_expired_token_is_refreshed_once_and_the_call_retried(app, client, fake_wechat, resident):
    _, headers, codes = resident
    assert client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers).status_code == 200
    stale = cached_token(app)
    tokens_before = len(fake_wechat.calls(TOKEN_PATH))
    phone_calls = len(fake_wechat.calls(PHONE_PATH))
    fake_wechat.expire_tokens()
    again = fake_wechat.codes(openid=codes["openid"], phone="13600002222")

    response = client.post(PHONE, json={"code": again["phone_code"]}, headers=headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["phone"] == "136****2222"
    assert len(fake_wechat.calls(TOKEN_PATH)) == tokens_before + 1
    assert errcodes(fake_wechat, PHONE_PATH, phone_calls) == [42001, 0]
    assert cached_token(app) not in (None, stale)


def test_expired_token_retry_also_works_for_wechatpy_api_groups(app, fake_wechat):
    openid = fake_wechat.codes()["openid"]
    requests.post(
        fake_wechat.base_url + "_fake/subscriptions",
        json={"openid": openid, "template_id": TEMPLATE, "count": 1},
        timeout=5,
    )
    wechat.client.access_token  # noqa: B018 - fetch a token, then let it expire
    fake_wechat.expire_tokens()
    tokens_before = len(fake_wechat.calls(TOKEN_PATH))
    sends = len(fake_wechat.calls(SEND_PATH))

    result = wechat.client.wxa.send_subscribe_message(openid, TEMPLATE, {"thing1": {"value": "hi"}})

    assert result["errcode"] == 0
    assert errcodes(fake_wechat, SEND_PATH, sends) == [42001, 0]
    assert len(fake_wechat.calls(TOKEN_PATH)) == tokens_before + 1


class AlwaysExpired(dict):
    """A token table in which every token is born expired."""

    def __setitem__(self, key, value):
        super().__setitem__(key, 0)


def test_token_refused_after_refresh_gives_up_after_one_retry(
    app, client, fake_wechat, resident, monkeypatch
):
    _, headers, codes = resident
    tokens_before = len(fake_wechat.calls(TOKEN_PATH))
    phone_calls = len(fake_wechat.calls(PHONE_PATH))

    with monkeypatch.context() as patch:
        patch.setattr(fake_wechat.state, "tokens", AlwaysExpired())
        response = client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers)

    assert response.status_code == 502
    assert error_of(response)["code"] == "wechat_unavailable"
    assert len(fake_wechat.calls(TOKEN_PATH)) == tokens_before + 2
    assert errcodes(fake_wechat, PHONE_PATH, phone_calls) == [42001, 42001]
    # The code was never consumed: with WeChat healthy again it still binds.
    app.extensions["redis"].delete(token_key(app))
    assert client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers).status_code == 200


def test_parallel_refreshes_fetch_the_token_once(app, fake_wechat, monkeypatch):
    client = wechat.client
    stale = client.access_token
    tokens_before = len(fake_wechat.calls(TOKEN_PATH))
    fetch = client._http.get

    def slow_fetch(*args, **kwargs):
        # Hold the refresh long enough that every thread would fetch too without the lock.
        time.sleep(0.3)
        return fetch(*args, **kwargs)

    monkeypatch.setattr(client._http, "get", slow_fetch)
    start = threading.Barrier(5)
    results, failures = [], []

    def refresh():
        try:
            with app.app_context():
                start.wait(5)
                results.append(wechat.client.refresh_access_token(stale=stale))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert len(results) == 5 and len(set(results)) == 1
    assert results[0] != stale and results[0] == cached_token(app)
    assert len(fake_wechat.calls(TOKEN_PATH)) == tokens_before + 1


def test_refresh_lock_held_elsewhere_is_502(app, client, fake_wechat, resident, monkeypatch):
    _, headers, codes = resident
    monkeypatch.setattr(ApiClient, "token_lock_wait", 0.2)
    lock = app.extensions["redis"].lock(f"wechatpy:{app.config['WECHAT_APPID']}:token-lock", timeout=30)
    assert lock.acquire(blocking=False)
    try:
        response = client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers)
    finally:
        lock.release()

    assert response.status_code == 502
    assert error_of(response)["code"] == "wechat_unavailable"


def test_refresh_with_a_wrong_secret_is_502(app, client, fake_wechat, resident, monkeypatch):
    _, headers, codes = resident
    tokens_before = len(fake_wechat.calls(TOKEN_PATH))
    monkeypatch.setitem(app.config, "WECHAT_SECRET", "not-the-secret")
    app.extensions["wechat"] = None

    response = client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers)

    assert response.status_code == 502
    assert error_of(response)["code"] == "wechat_unavailable"
    assert errcodes(fake_wechat, TOKEN_PATH, tokens_before) == [40125]
    assert cached_token(app) is None


def test_api_base_is_normalised_and_official_urls_rebased(app):
    client = ApiClient("wxappid", "secret", "http://fake.test:5001", app.extensions["redis"])
    assert client.api_base == "http://fake.test:5001/"
    assert client.API_BASE_URL == "http://fake.test:5001/cgi-bin/"
    assert client.rebase("https://api.weixin.qq.com/wxa/x?y=1") == "http://fake.test:5001/wxa/x?y=1"
    assert client.rebase("https://example.com/a") == "https://example.com/a"


# ---------------------------------------------------------------- the fake WeChat server


def test_subscribe_message_without_quota_is_43101(app, fake_wechat):
    openid = fake_wechat.codes()["openid"]
    sends = len(fake_wechat.calls(SEND_PATH))

    with pytest.raises(WeChatClientException) as raised:
        wechat.client.wxa.send_subscribe_message(openid, TEMPLATE, {"thing1": {"value": "x"}})

    assert raised.value.errcode == 43101
    assert errcodes(fake_wechat, SEND_PATH, sends) == [43101]
    messages = requests.get(fake_wechat.base_url + "_fake/messages", params={"openid": openid}, timeout=5)
    assert messages.json() == {"messages": []}


def test_subscribe_message_with_quota_is_delivered_once(app, fake_wechat):
    openid, bystander = fake_wechat.codes()["openid"], fake_wechat.codes()["openid"]
    granted = requests.post(
        fake_wechat.base_url + "_fake/subscriptions",
        json={"openid": openid, "template_id": TEMPLATE, "count": 1},
        timeout=5,
    )
    assert granted.status_code == 200
    data = {"thing1": {"value": "收银员 0.8 km"}}

    result = wechat.client.wxa.send_subscribe_message(openid, TEMPLATE, data, page="pages/job?id=7")

    assert result["errcode"] == 0 and result["msgid"]
    found = requests.get(fake_wechat.base_url + "_fake/messages", params={"openid": openid}, timeout=5)
    [message] = found.json()["messages"]
    assert message["touser"] == openid and message["template_id"] == TEMPLATE
    assert message["data"] == data and message["page"] == "pages/job?id=7"
    # One-time quota: the second send is refused, and nothing reached the bystander.
    with pytest.raises(WeChatClientException) as raised:
        wechat.client.wxa.send_subscribe_message(openid, TEMPLATE, data)
    assert raised.value.errcode == 43101
    others = requests.get(fake_wechat.base_url + "_fake/messages", params={"openid": bystander}, timeout=5)
    assert others.json()["messages"] == []
    assert len(requests.get(fake_wechat.base_url + "_fake/messages", timeout=5).json()["messages"]) >= 1


def test_fake_token_endpoint_checks_credentials(app, fake_wechat):
    url = fake_wechat.base_url + "cgi-bin/token"
    appid, secret = app.config["WECHAT_APPID"], app.config["WECHAT_SECRET"]
    good = {"grant_type": "client_credential", "appid": appid, "secret": secret}

    ok = requests.get(url, params=good, timeout=5).json()
    wrong_appid = requests.get(url, params={**good, "appid": "wxnope"}, timeout=5).json()
    wrong_secret = requests.get(url, params={**good, "secret": "nope"}, timeout=5).json()

    assert ok["access_token"].startswith("FAKE_TOKEN_") and ok["expires_in"] == 7200
    assert wrong_appid["errcode"] == 40013
    assert wrong_secret["errcode"] == 40125


def test_fake_rejects_missing_unknown_and_expired_tokens(app, fake_wechat):
    url = fake_wechat.base_url + "wxa/business/getuserphonenumber"
    phone_code = fake_wechat.codes()["phone_code"]
    token = wechat.client.access_token

    missing = requests.post(url, json={"code": phone_code}, timeout=5).json()
    unknown = requests.post(
        url, params={"access_token": "forged"}, json={"code": phone_code}, timeout=5
    ).json()
    fake_wechat.expire_tokens()
    expired = requests.post(url, params={"access_token": token}, json={"code": phone_code}, timeout=5).json()

    assert [missing["errcode"], unknown["errcode"], expired["errcode"]] == [40001, 40001, 42001]
    # None of these consumed the phone code.
    assert fake_wechat.state.phone_codes[phone_code] is not None


def test_fake_login_code_works_once_for_the_openid_it_was_minted_for(app, fake_wechat):
    codes = fake_wechat.codes(openid="o-fixed-openid-for-test")
    params = {
        "appid": app.config["WECHAT_APPID"],
        "secret": app.config["WECHAT_SECRET"],
        "js_code": codes["code"],
        "grant_type": "authorization_code",
    }
    url = fake_wechat.base_url + "sns/jscode2session"

    first = requests.get(url, params=params, timeout=5).json()
    second = requests.get(url, params=params, timeout=5).json()

    assert first["openid"] == "o-fixed-openid-for-test" and first["session_key"]
    assert second["errcode"] == 40163
    assert codes["phone"].startswith("139") and len(codes["phone"]) == 11
    assert codes["code"] != codes["phone_code"]
    assert fake_wechat.codes()["code"] != codes["code"]


def test_fake_records_only_wechat_api_calls(fake_wechat):
    fake_wechat.codes()
    requests.get(fake_wechat.base_url + "_fake/messages", timeout=5)
    paths = {c["path"] for c in fake_wechat.calls()}
    assert not any(path.startswith("/_fake/") for path in paths)


def test_fake_grants_many_subscriptions_at_once_and_counts_what_it_delivered(app, fake_wechat):
    openids = [fake_wechat.codes()["openid"] for _ in range(3)]
    stats_url = fake_wechat.base_url + "_fake/stats"
    before = requests.get(stats_url, timeout=5).json()
    granted = requests.post(
        fake_wechat.base_url + "_fake/subscriptions",
        json={"grants": [{"openid": openid, "template_id": TEMPLATE, "count": 1} for openid in openids]},
        timeout=5,
    )
    assert granted.json() == {"ok": True, "granted": 3}
    started = time.time()

    for openid in openids:
        wechat.client.wxa.send_subscribe_message(openid, TEMPLATE, {"thing1": {"value": "x"}})
    with pytest.raises(WeChatClientException):  # a second send to the same person: no quota left
        wechat.client.wxa.send_subscribe_message(openids[0], TEMPLATE, {"thing1": {"value": "x"}})

    after = requests.get(stats_url, timeout=5).json()
    assert after["messages"] - before["messages"] == 3
    assert after["recipients"] - before["recipients"] == 3
    assert after["refused_no_quota"] - before["refused_no_quota"] == 1
    assert started <= after["last_sent_at"] <= time.time()
    assert after["first_sent_at"] <= after["last_sent_at"]
