"""A local fake of the WeChat server API, for tests and the demo (`flask fake-wechat`).

It answers the calls this backend makes, the way WeChat does on the unhappy paths too: a
login code works once (40163 on reuse), an unknown code is 40029, an expired token 42001,
a message without subscription quota 43101. Extra `/_fake/*` routes stand in for the phone.

`python -m app.wechat.fake [--port 5001]` runs it without loading the whole app (what
`make run` does); `flask fake-wechat` runs the same server.
"""

import secrets
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

TOKEN_TTL_SECONDS = 7200
SEND_PATH = "/cgi-bin/message/subscribe/send"


@dataclass
class FakeState:
    """What the fake WeChat remembers; one lock guards it all."""

    appid: str
    secret: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    login_codes: dict = field(default_factory=dict)  # code -> openid (None once used)
    phone_codes: dict = field(default_factory=dict)  # code -> phone (None once used)
    sessions: dict = field(default_factory=dict)  # openid -> session_key
    tokens: dict = field(default_factory=dict)  # access_token -> expiry (epoch seconds)
    quotas: dict = field(default_factory=dict)  # (openid, template_id) -> sends left
    # Long-term templates: an accept is a standing yes, not one send (WeChat's 长期订阅).
    long_term: frozenset = frozenset()
    messages: list = field(default_factory=list)
    calls: list = field(default_factory=list)  # (path, errcode) of every API call


def _error(errcode: int, errmsg: str):
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def _body() -> dict:
    """Return the JSON body; like WeChat, ignore the Content-Type (wechatpy sends none)."""
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) else {}


def long_term_ids(templates: dict) -> frozenset:
    """Return the WeChat ids of the long-term templates in a PUSH_TEMPLATES setting."""
    return frozenset(t["template_id"] for t in templates.values() if t["kind"] == "long_term")


def create_fake_wechat(appid: str, secret: str, long_term: frozenset = frozenset()) -> Flask:
    """Build the fake WeChat server app for one appid/secret pair (and its long-term template ids)."""
    app = Flask("fake_wechat")
    app.json.ensure_ascii = False
    state = FakeState(appid=appid, secret=secret, long_term=frozenset(long_term))
    app.extensions["fake_state"] = state

    def check_token():
        token = request.args.get("access_token")
        expiry = state.tokens.get(token)
        if expiry is None:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if expiry < time.time():
            return _error(42001, "access_token expired")
        return None

    @app.after_request
    def record(response):
        # Only what stands in for WeChat is recorded, not the test helpers under /_fake/.
        if not request.path.startswith("/_fake/"):
            body = response.get_json(silent=True) or {}
            with state.lock:
                state.calls.append((request.path, body.get("errcode", 0)))
        return response

    @app.get("/cgi-bin/token")
    def token():
        if request.args.get("appid") != state.appid:
            return _error(40013, "invalid appid")
        if request.args.get("secret") != state.secret:
            return _error(40125, "invalid appsecret")
        access_token = "FAKE_TOKEN_" + secrets.token_hex(16)
        with state.lock:
            state.tokens[access_token] = time.time() + TOKEN_TTL_SECONDS
        return jsonify({"access_token": access_token, "expires_in": TOKEN_TTL_SECONDS})

    @app.get("/sns/jscode2session")
    def jscode2session():
        if request.args.get("appid") != state.appid or request.args.get("secret") != state.secret:
            return _error(40125, "invalid appsecret")
        code = request.args.get("js_code", "")
        with state.lock:
            if code not in state.login_codes:
                return _error(40029, "invalid code")
            openid = state.login_codes[code]
            if openid is None:
                return _error(40163, "code been used")
            state.login_codes[code] = None
            session_key = secrets.token_urlsafe(16)
            state.sessions[openid] = session_key
        return jsonify({"openid": openid, "session_key": session_key})

    @app.post("/wxa/business/getuserphonenumber")
    def getuserphonenumber():
        if (failure := check_token()) is not None:
            return failure
        code = _body().get("code")
        with state.lock:
            if not isinstance(code, str) or code not in state.phone_codes:
                return _error(40029, "invalid code")
            phone = state.phone_codes[code]
            if phone is None:
                return _error(40163, "code been used")
            state.phone_codes[code] = None
        return jsonify(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": phone,
                    "purePhoneNumber": phone,
                    "countryCode": "86",
                    "watermark": {"timestamp": int(time.time()), "appid": state.appid},
                },
            }
        )

    @app.post(SEND_PATH)
    def subscribe_send():
        if (failure := check_token()) is not None:
            return failure
        body = _body()
        if not isinstance(body.get("touser"), str) or not body["touser"]:
            return _error(40003, "invalid openid")
        if not isinstance(body.get("template_id"), str) or not body["template_id"]:
            return _error(40037, "invalid template_id")
        key = (body["touser"], body["template_id"])
        with state.lock:
            left = state.quotas.get(key, 0)
            if left <= 0:
                return _error(43101, "user refuse to accept the msg")
            if body["template_id"] not in state.long_term:
                state.quotas[key] = left - 1
            state.messages.append({**body, "sent_at": time.time()})
        return jsonify({"errcode": 0, "errmsg": "ok", "msgid": secrets.randbits(48)})

    @app.post("/_fake/codes")
    def mint_codes():
        """Mint what wx.login and getPhoneNumber would hand the mini-program."""
        body = _body()
        openid = body.get("openid") or "o" + secrets.token_urlsafe(20)
        phone = body.get("phone") or "139" + f"{secrets.randbelow(10**8):08d}"
        code, phone_code = secrets.token_hex(16), secrets.token_hex(16)
        with state.lock:
            state.login_codes[code] = openid
            state.phone_codes[phone_code] = phone
        return jsonify({"code": code, "phone_code": phone_code, "openid": openid, "phone": phone})

    @app.post("/_fake/request-subscribe-message")
    def request_subscribe_message():
        """Play the person's answer to wx.requestSubscribeMessage: WeChat's grant and the phone's result.

        `{"openid", "tmplIds": [...], "answer": "accept"}` (answer optional; "reject" grants nothing).
        Each accept adds one send to a one-time template and is a standing yes to a long-term
        one (until a "ban"); the answer is what the mini-program
        receives and passes on, as `results`, to POST /api/v1/me/subscriptions.
        """
        body = _body()
        openid, answer = body.get("openid"), body.get("answer", "accept")
        ids = body.get("tmplIds")
        if not isinstance(openid, str) or not openid:
            return _error(40003, "invalid openid")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            return _error(40037, "tmplIds must be a non-empty list of template ids")
        if answer not in ("accept", "reject", "ban", "filter"):
            return _error(-1, "answer must be accept, reject, ban or filter")
        with state.lock:
            for template_id in ids:
                key = (openid, template_id)
                if answer == "accept":
                    state.quotas[key] = state.quotas.get(key, 0) + 1
                elif answer == "ban":
                    state.quotas[key] = 0
        return jsonify({**dict.fromkeys(ids, answer), "errMsg": "requestSubscribeMessage:ok"})

    @app.post("/_fake/subscriptions")
    def grant_subscription():
        """Give (openid, template_id) `count` sends, as the user's "accept" would.

        `{"grants": [{openid, template_id, count}, …]}` gives many at once (a benchmark's
        tens of thousands of seekers).
        """
        body = _body()
        grants = body.get("grants") if isinstance(body.get("grants"), list) else [body]
        with state.lock:
            for grant in grants:
                state.quotas[(grant.get("openid"), grant.get("template_id"))] = int(grant.get("count", 1))
        return jsonify({"ok": True, "granted": len(grants)})

    @app.post("/_fake/expire-tokens")
    def expire_tokens():
        """Make every issued access token expired (to exercise the 42001 path)."""
        with state.lock:
            for token in state.tokens:
                state.tokens[token] = 0
        return jsonify({"expired": len(state.tokens)})

    @app.get("/_fake/messages")
    def read_messages():
        """Read back the subscribe messages sent, optionally for one openid."""
        openid = request.args.get("openid")
        with state.lock:
            found = [m for m in state.messages if openid in (None, m.get("touser"))]
        return jsonify({"messages": found})

    @app.get("/_fake/stats")
    def read_stats():
        """Count the subscribe messages delivered (and to how many people, first and last) and refused."""
        with state.lock:
            delivered = list(state.messages)
            refused = sum(1 for path, errcode in state.calls if path == SEND_PATH and errcode == 43101)
        return jsonify(
            {
                "messages": len(delivered),
                "recipients": len({m.get("touser") for m in delivered}),
                "first_sent_at": delivered[0]["sent_at"] if delivered else None,
                "last_sent_at": delivered[-1]["sent_at"] if delivered else None,
                "refused_no_quota": refused,
            }
        )

    @app.get("/_fake/calls")
    def read_calls():
        """Read back every API call made: path and the errcode answered."""
        with state.lock:
            return jsonify({"calls": [{"path": p, "errcode": e} for p, e in state.calls]})

    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the fake for WECHAT_APPID / WECHAT_SECRET (the development defaults when unset)."""
    import argparse

    from werkzeug.serving import run_simple

    from app.config import DevelopmentConfig

    parser = argparse.ArgumentParser(prog="python -m app.wechat.fake", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args(argv)
    appid, secret = DevelopmentConfig.WECHAT_APPID, DevelopmentConfig.WECHAT_SECRET
    print(f"fake WeChat for {appid} on http://{args.host}:{args.port}/", flush=True)
    fake = create_fake_wechat(appid, secret, long_term_ids(DevelopmentConfig.PUSH_TEMPLATES))
    run_simple(args.host, args.port, fake, threaded=True)


if __name__ == "__main__":
    main()
