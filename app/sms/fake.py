"""A local fake SMS gateway speaking enough of Alibaba Cloud's and Tencent Cloud's SendSms for their SDKs.

`python -m app.sms.fake [--port 5002] [--callback-base URL --token T]` runs it (what `make run`
does). SendSms of either provider is answered the provider's way (signatures are not checked);
GET /_fake/sms lists what was sent, POST /_fake/sms/knobs makes the next N sends fail (a refused
number), throttle, time out, find the gateway down, or be reported undelivered; POST
/_fake/sms/replies {phone, text} is a person answering. Receipts and replies are posted to the
app's callback URLs in each provider's format when a callback base is set; either way they wait
at GET /_fake/sms/callbacks (taken once) for a test to deliver them itself.
"""

import argparse
import contextlib
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests
from flask import Flask, jsonify, request

KNOBS = ("fail", "throttle", "undelivered", "down", "timeout")


@dataclass
class FakeSmsState:
    """What the fake gateway remembers; one lock guards it all."""

    texts: dict  # template code or id -> text with {name} variables
    lock: threading.Lock = field(default_factory=threading.Lock)
    messages: list = field(default_factory=list)
    knobs: dict = field(default_factory=lambda: dict.fromkeys(KNOBS, 0))
    callbacks: list = field(default_factory=list)  # waiting to be taken: {provider, what, body}
    callback_base: str | None = None
    token: str | None = None
    timeout_seconds: float = 3.0
    serial: itertools.count = field(default_factory=lambda: itertools.count(1))


def _segments(text: str) -> int:
    return 1 if len(text) <= 70 else -(-len(text) // 67)


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def _take_knob(state: FakeSmsState) -> str | None:
    """Use up one turn of the first knob set, if any."""
    for knob in KNOBS:
        if knob != "undelivered" and state.knobs[knob] > 0:
            state.knobs[knob] -= 1
            return knob
    return None


def _record(state, provider, phone, template, params, sign, out_id) -> dict:
    """Remember a sent SMS and queue its delivery receipt."""
    text = state.texts.get(str(template), "")
    with contextlib.suppress(KeyError, IndexError):
        text = text.format(**params) if isinstance(params, dict) else text.format(*params)
    body = f"【{sign}】{text}"
    delivered = state.knobs["undelivered"] <= 0
    if not delivered:
        state.knobs["undelivered"] -= 1
    msgid = (
        f"{int(time.time() * 1000)}{next(state.serial):06d}"
        if provider == "aliyun"
        else f"2433:{uuid.uuid4().int % 10**28:028d}"
    )
    message = {
        "provider": provider,
        "phone": phone,
        "template": str(template),
        "params": params,
        "sign": sign,
        "text": body,
        "segments": _segments(body),
        "out_id": out_id,
        "msgid": msgid,
        "delivered": delivered,
        "at": _now(),
    }
    state.messages.append(message)
    _queue(state, provider, "report", _receipt(message))
    return message


def _receipt(message: dict):
    """Build a delivery receipt in the provider's push format."""
    if message["provider"] == "aliyun":
        return [
            {
                "phone_number": message["phone"],
                "send_time": message["at"],
                "report_time": _now(),
                "success": message["delivered"],
                "err_code": "DELIVERED" if message["delivered"] else "MK:0001",
                "err_msg": "用户接收成功" if message["delivered"] else "用户不可达",
                "sms_size": str(message["segments"]),
                "biz_id": message["msgid"],
                "out_id": message["out_id"],
            }
        ]
    return [
        {
            "user_receive_time": _now(),
            "nationcode": "86",
            "mobile": message["phone"].removeprefix("+86"),
            "report_status": "SUCCESS" if message["delivered"] else "FAIL",
            "errmsg": "DELIVRD" if message["delivered"] else "MK:0001",
            "description": "用户短信送达成功" if message["delivered"] else "用户不可达",
            "sid": message["msgid"],
        }
    ]


def _queue(state: FakeSmsState, provider: str, what: str, body) -> None:
    """Keep a callback for a test to take, and post it to the app when a callback base is set."""
    callback = {"provider": provider, "what": what, "body": body}
    state.callbacks.append(callback)
    if state.callback_base:
        url = f"{state.callback_base.rstrip('/')}/{provider}/{what}?token={state.token or ''}"
        threading.Thread(target=_post, args=(url, body), daemon=True).start()


# Waits before each post of a callback: the providers retry a push the app did not take (under
# `make run` the demo sends before the API listens), so the fake does too, for about ten minutes.
POST_WAITS = (0.2, 1, 2, 5, 10, 20, 40, 60, 120, 300)


def _post(url: str, body) -> None:
    """Post one callback to the app, again after each wait until it answers 2xx."""
    for wait in POST_WAITS:
        time.sleep(wait)  # the first: after the send's answer, as a provider's receipt would come
        with contextlib.suppress(requests.RequestException):
            if requests.post(url, json=body, timeout=5).ok:
                return


def _aliyun(state: FakeSmsState):
    """Answer an Alibaba Cloud RPC call (SendSms only)."""
    args = {**request.args.to_dict(), **request.form.to_dict()}
    action = args.get("Action") or request.headers.get("x-acs-action")
    request_id = str(uuid.uuid4()).upper()
    if action != "SendSms":
        return jsonify(
            {"Code": "InvalidAction.NotFound", "Message": "unknown action", "RequestId": request_id}
        ), 404
    with state.lock:
        knob = _take_knob(state)
        if knob == "down":
            return jsonify({"Code": "ServiceUnavailable", "Message": "down", "RequestId": request_id}), 503
        if knob == "throttle":
            return jsonify(
                {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控", "RequestId": request_id}
            )
        if knob == "fail":
            return jsonify(
                {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": request_id}
            )
        try:
            params = json.loads(args.get("TemplateParam") or "{}")
        except ValueError:
            params = {}
        message = _record(
            state,
            "aliyun",
            args.get("PhoneNumbers", ""),
            args.get("TemplateCode"),
            params,
            args.get("SignName", ""),
            args.get("OutId"),
        )
    if knob == "timeout":
        time.sleep(state.timeout_seconds)
    return jsonify({"Code": "OK", "Message": "OK", "BizId": message["msgid"], "RequestId": request_id})


def _tencent(state: FakeSmsState):
    """Answer a Tencent Cloud API 3.0 call (SendSms only)."""
    body = request.get_json(force=True, silent=True) or {}
    request_id = str(uuid.uuid4())

    def error(code, message):
        return jsonify({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}})

    if request.headers.get("X-TC-Action") != "SendSms":
        return error("InvalidAction", "unknown action")
    with state.lock:
        knob = _take_knob(state)
        if knob == "down":
            return jsonify({"message": "down"}), 503
        if knob == "throttle":
            return error("RequestLimitExceeded", "请求的次数超过了频率限制")
        statuses = []
        for phone in body.get("PhoneNumberSet") or []:
            if knob == "fail":
                statuses.append(
                    {
                        "SerialNo": "",
                        "PhoneNumber": phone,
                        "Fee": 0,
                        "SessionContext": "",
                        "Code": "InvalidParameterValue.IncorrectPhoneNumber",
                        "Message": "手机号格式错误",
                        "IsoCode": "",
                    }
                )
                continue
            message = _record(
                state,
                "tencent",
                phone,
                body.get("TemplateId"),
                body.get("TemplateParamSet") or [],
                body.get("SignName", ""),
                body.get("SessionContext"),
            )
            statuses.append(
                {
                    "SerialNo": message["msgid"],
                    "PhoneNumber": phone,
                    "Fee": message["segments"],
                    "SessionContext": body.get("SessionContext") or "",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            )
    if knob == "timeout":
        time.sleep(state.timeout_seconds)
    return jsonify({"Response": {"SendStatusSet": statuses, "RequestId": request_id}})


def _reply(state: FakeSmsState):
    """A person answers an SMS: queue the provider's upstream message (the provider of their last SMS)."""
    body = request.get_json(force=True, silent=True) or {}
    phone, text = str(body.get("phone") or ""), str(body.get("text") or "")
    with state.lock:
        mine = [m for m in state.messages if m["phone"].removeprefix("+86") == phone.removeprefix("+86")]
        provider = body.get("provider") or (mine[-1]["provider"] if mine else "aliyun")
        sign = mine[-1]["sign"] if mine else ""
        if provider == "aliyun":
            upstream = [
                {
                    "phone_number": phone,
                    "send_time": _now(),
                    "content": text,
                    "sign_name": sign,
                    "dest_code": "",
                    "sequence_id": next(state.serial),
                }
            ]
        else:
            upstream = {
                "extend": "",
                "mobile": phone.removeprefix("+86"),
                "nationcode": "86",
                "sign": sign,
                "text": text,
                "time": int(time.time()),
            }
        _queue(state, provider, "reply", upstream)
    return jsonify({"provider": provider})


def create_fake_sms(texts: dict, callback_base: str | None = None, token: str | None = None) -> Flask:
    """Build the fake gateway for these template texts (code or id -> text), posting callbacks to a base."""
    app = Flask("fake_sms")
    app.json.ensure_ascii = False
    state = FakeSmsState(texts=dict(texts), callback_base=callback_base, token=token)
    app.extensions["fake_sms_state"] = state

    @app.post("/")
    def send_sms():
        """SendSms of either provider: Tencent names its action in a header, Alibaba Cloud in the query."""
        if request.headers.get("X-TC-Action"):
            return _tencent(state)
        return _aliyun(state)

    @app.get("/_fake/sms")
    def sent():
        """What was sent, oldest first."""
        with state.lock:
            return jsonify({"messages": list(state.messages), "knobs": dict(state.knobs)})

    @app.post("/_fake/sms/knobs")
    def knobs():
        """Set knobs ({fail|throttle|undelivered|down|timeout: N}), the callback base and token, or reset."""
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            if body.get("reset"):
                state.messages.clear()
                state.callbacks.clear()
                state.knobs = dict.fromkeys(KNOBS, 0)
            for knob in KNOBS:
                if knob in body:
                    state.knobs[knob] = int(body[knob])
            for name in ("callback_base", "token", "timeout_seconds"):
                if name in body:
                    setattr(state, name, body[name])
            return jsonify({"knobs": dict(state.knobs)})

    @app.post("/_fake/sms/replies")
    def replies():
        """A person replies to an SMS ({phone, text}): the provider's upstream message is sent on."""
        return _reply(state)

    @app.get("/_fake/sms/callbacks")
    def callbacks():
        """Take the receipts and replies not taken yet (each in its provider's format)."""
        with state.lock:
            taken, state.callbacks[:] = list(state.callbacks), []
        return jsonify({"callbacks": taken})

    return app


def template_texts(templates: dict) -> dict:
    """Return the fake's texts by each provider's template code and id from an SMS_TEMPLATES setting."""
    texts = {}
    for settings in templates.values():
        texts[str(settings["aliyun"])] = settings["text"]
        texts[str(settings["tencent"])] = settings["text"].format(
            **{name: f"{{{i}}}" for i, name in enumerate(settings["params"])}
        )
    return texts


def main() -> None:
    """Run the fake gateway (`python -m app.sms.fake`) with the templates of app.config."""
    from app.config import Config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument(
        "--callback-base", default=None, help="e.g. http://127.0.0.1:5000/api/v1/sms/callbacks"
    )
    parser.add_argument("--token", default=None, help="the app's SMS_CALLBACK_TOKEN")
    args = parser.parse_args()
    app = create_fake_sms(template_texts(Config.SMS_TEMPLATES), args.callback_base, args.token)
    app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    main()
