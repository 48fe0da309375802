"""The SMS providers through their SDKs against the fake gateway: sent, throttled and retried,
refused, given up, timed out (never resent); receipts and replies back in each provider's format."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import SmsOptOut
from app.services.push import send as push_send
from tests.push.sms_helpers import pushes, record
from tests.support import error_of

PHONE = "13812340009"
PROVIDERS = ("aliyun", "tencent")


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends here go at once whatever the hour the suite runs (quiet hours have their own tests)."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


@pytest.fixture
def queued(app, fake_sms, make_resident):
    """Return a factory: a resident's record push made and left queued (a worker would send it)."""
    app.config["RQ_ASYNC"] = True

    def factory(provider="aliyun"):
        app.config["SMS_PROVIDER"] = provider
        person = make_resident(phone=PHONE)
        record(person.id)
        [push] = pushes(person.id)
        return person, push.id

    return factory


def deliver_callbacks(client, fake_sms, token="test-sms-token") -> list:
    """Post what the fake gateway has waiting to our callback URLs, as the provider would."""
    answers = []
    for callback in fake_sms.callbacks():
        url = f"/api/v1/sms/callbacks/{callback['provider']}/{callback['what']}?token={token}"
        response = client.post(url, json=callback["body"])
        answers.append((response.status_code, response.get_json()))
    return answers


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_provider_sends_and_its_receipt_is_recorded(app, client, fake_sms, queued, provider):
    person, push_id = queued(provider)
    assert push_send.send(push_id) == "sent"
    [sms] = fake_sms.sent()
    assert sms["provider"] == provider and sms["phone"].removeprefix("+86") == PHONE
    [push] = pushes(person.id)
    assert push.msgid == sms["msgid"] and push.receipt is None
    ok = {"aliyun": {"code": 0, "msg": "成功"}, "tencent": {"result": 0, "errmsg": "OK"}}[provider]
    assert deliver_callbacks(client, fake_sms) == [(200, ok)]
    [push] = pushes(person.id)
    assert (push.receipt, push.receipt_error) == ("delivered", None) and push.delivered_at is not None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_undelivered_receipt_says_why(app, client, fake_sms, queued, provider):
    fake_sms.knobs(undelivered=1)
    person, push_id = queued(provider)
    push_send.send(push_id)
    deliver_callbacks(client, fake_sms)
    [push] = pushes(person.id)
    assert (push.status, push.receipt, push.receipt_error) == ("sent", "undelivered", "MK:0001")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_throttled_sms_is_retried_and_sent_once(app, fake_sms, queued, provider):
    fake_sms.knobs(throttle=1)
    person, push_id = queued(provider)
    with pytest.raises(push_send.PushRetry):
        push_send.send(push_id)
    [push] = pushes(person.id)
    assert push.status == "pending" and push.last_error.startswith(("isv.BUSINESS_LIMIT", "RequestLimit"))
    assert push_send.send(push_id) == "sent"
    assert len(fake_sms.sent()) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refused_number_fails_at_once(app, fake_sms, queued, provider):
    fake_sms.knobs(fail=1)
    person, push_id = queued(provider)
    assert push_send.send(push_id) == "failed"
    assert push_send.send(push_id) == "not_pending"
    [push] = pushes(person.id)
    refusals = ("isv.MOBILE_NUMBER_ILLEGAL", "InvalidParameterValue.IncorrectPhoneNumber")
    assert push.last_error.split()[0] in refusals
    assert fake_sms.sent() == []


def test_retries_give_up_when_the_gateway_stays_down(app, fake_sms, queued):
    app.config["PUSH_MAX_ATTEMPTS"] = 2
    fake_sms.knobs(down=5)
    person, push_id = queued()
    with pytest.raises(push_send.PushRetry):
        push_send.send(push_id)
    assert push_send.send(push_id) == "failed"
    [push] = pushes(person.id)
    assert push.attempts == 2 and push.last_error.startswith("ServiceUnavailable")
    assert fake_sms.sent() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_timeout_after_the_request_went_out_is_never_resent(app, fake_sms, queued, provider):
    app.config["SMS_TIMEOUT_SECONDS"] = 0.5
    fake_sms.knobs(timeout=1, timeout_seconds=1.6)  # Tencent Cloud's SDK waits whole seconds (1 at least)
    person, push_id = queued(provider)
    assert push_send.send(push_id) == "failed"
    assert push_send.send(push_id) == "not_pending"
    [push] = pushes(person.id)
    assert push.last_error == "timeout: outcome unknown, not resent"
    assert len(fake_sms.sent()) == 1  # the gateway did send it: once


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unsubscribe_reply_opts_the_phone_out(app, client, fake_sms, make_resident, provider):
    app.config["SMS_PROVIDER"] = provider
    person = make_resident(phone=PHONE)
    record(person.id, "r:1:accepted")
    fake_sms.callbacks()  # the receipt: not what this test is about
    fake_sms.reply(PHONE, "好的，谢谢")
    fake_sms.reply(PHONE, " td ")
    assert [status for status, _ in deliver_callbacks(client, fake_sms)] == [200, 200]
    assert db.session.scalars(sa.select(SmsOptOut.source)).all() == ["reply"]
    assert record(person.id, "r:2:accepted") == 0
    assert len(fake_sms.sent()) == 1


def test_callbacks_need_the_token_and_a_known_provider(app, client, fake_sms, make_resident):
    person = make_resident(phone=PHONE)
    record(person.id)
    body = fake_sms.callbacks()[0]["body"]
    for token in ("wrong", ""):
        refused = client.post(f"/api/v1/sms/callbacks/aliyun/report?token={token}", json=body)
        assert refused.status_code == 403 and error_of(refused)["code"] == "sms_callback_token"
    app.config["SMS_CALLBACK_TOKEN"] = ""  # none configured: every callback refused
    assert client.post("/api/v1/sms/callbacks/aliyun/report?token=", json=body).status_code == 403
    app.config["SMS_CALLBACK_TOKEN"] = "test-sms-token"
    unknown = client.post("/api/v1/sms/callbacks/other/report?token=test-sms-token", json=body)
    assert unknown.status_code == 404
    assert pushes(person.id)[0].receipt is None
