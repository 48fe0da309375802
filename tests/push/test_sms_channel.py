"""SMS as the second channel: who gets an SMS instead of (or before) WeChat, the per-phone limit,
quiet hours, the cost, the resident's own switch, and no phone number in logs or rows."""

import logging
from datetime import datetime

import pytest
import sqlalchemy as sa

from app.common import clock
from app.extensions import db
from app.models import Push, PushQuota, SmsOptOut, utcnow
from app.services.push import send as push_send
from app.services.push.makers import PushItem, make_pushes
from app.services.push.templates import template
from tests.push.sms_helpers import PREFERENCES, give_phone, pushes, record, with_record_quota
from tests.support import error_of, messages

PHONE = "13812340001"


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends here go at once whatever the hour the suite runs (the quiet-hours test sets its own)."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


def test_a_resident_without_an_account_gets_a_record_by_sms_once(
    app, client, fake_sms, make_resident, staff_headers
):
    person = make_resident(phone=PHONE)
    assert record(person.id) == 1
    assert record(person.id) == 0  # the same outcome again: nothing new
    [push] = pushes(person.id)
    assert (push.status, push.channel, push.account_id) == ("sent", "sms", None)
    assert push.cost_fen == app.config["SMS_PRICE_FEN"]
    assert push.community_id == person.community_id  # counted for the person's place
    [sms] = fake_sms.sent()
    assert sms["phone"] == PHONE and sms["msgid"] == push.msgid
    assert sms["text"] == "【黄山就业圈】您的失业登记已受理（编号0001）。回TD退订"
    _, headers = staff_headers("township_admin", "township", "341002002000")
    [shown] = client.get("/api/v1/pushes", headers=headers).get_json()["items"]
    assert (shown["channel"], shown["cost_fen"], shown["receipt"]) == ("sms", push.cost_fen, None)


def test_nobody_is_reached_by_a_kind_whose_sms_is_off_or_without_a_phone(app, fake_sms, make_resident):
    person, phoneless = make_resident(phone=PHONE), make_resident(phone=None)
    data = template("notice")["builder"]("停水通知", "昱中社区", utcnow())
    assert make_pushes("notice", "notice", [PushItem(person.id, "1", data, "pages/notices/index?id=1")]) == 0
    assert record(phoneless.id) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 0
    assert fake_sms.sent() == []


def test_wechat_with_quota_goes_by_wechat_and_without_by_sms(app, client, fake_sms, fake_wechat, make_seeker):
    subscribed, unsubscribed = make_seeker(name="有订阅"), make_seeker(name="无订阅")
    give_phone(subscribed.resident_id, "13812340002")
    give_phone(unsubscribed.resident_id, "13812340003")
    with_record_quota(client, fake_wechat, subscribed)
    record(subscribed.resident_id)
    record(unsubscribed.resident_id)
    assert [p.channel for p in pushes(subscribed.resident_id)] == ["wechat"]
    assert len(messages(fake_wechat, subscribed.openid)) == 1
    [by_sms] = pushes(unsubscribed.resident_id)
    assert (by_sms.channel, by_sms.status, by_sms.account_id) == ("sms", "sent", unsubscribed.account_id)
    assert [m["phone"] for m in fake_sms.sent()] == ["13812340003"]


def test_the_channel_is_chosen_again_when_sent(app, client, fake_sms, fake_wechat, make_seeker):
    seeker = make_seeker()
    give_phone(seeker.resident_id, PHONE)
    with_record_quota(client, fake_wechat, seeker)
    app.config["RQ_ASYNC"] = True  # made now, sent later by a worker
    record(seeker.resident_id)
    [push] = pushes(seeker.resident_id)
    assert (push.channel, push.status) == ("wechat", "pending")
    # Meanwhile the person switched the template off in WeChat's settings.
    db.session.execute(sa.update(PushQuota).values(status="reject"))
    db.session.commit()
    assert push_send.send(push.id) == "sent"
    [push] = pushes(seeker.resident_id)
    assert push.channel == "sms" and messages(fake_wechat, seeker.openid) == []
    assert len(fake_sms.sent()) == 1


def test_a_claim_approved_goes_by_sms_first_even_with_wechat(app, client, fake_sms, fake_wechat, make_seeker):
    seeker = make_seeker()
    give_phone(seeker.resident_id, PHONE)
    with_record_quota(client, fake_wechat, seeker)
    record(seeker.resident_id, "claim:5:approved:1", "已核准", sms_first=True)
    record(seeker.resident_id, "claim:5:returned:1", "请补充材料")
    approved, returned = pushes(seeker.resident_id)
    assert (approved.channel, approved.status) == ("sms", "sent")
    assert (returned.channel, returned.status) == ("wechat", "sent")
    assert [m["params"]["result"] for m in fake_sms.sent()] == ["已核准"]
    assert len(messages(fake_wechat, seeker.openid)) == 1


def test_a_resident_switches_sms_off_and_on(app, client, fake_sms, make_seeker):
    seeker = make_seeker()
    no_phone = client.patch(PREFERENCES, json={"sms_enabled": False}, headers=seeker.headers)
    assert no_phone.status_code == 422 and error_of(no_phone)["code"] == "no_phone"
    give_phone(seeker.resident_id, PHONE)
    off = client.patch(PREFERENCES, json={"sms_enabled": False}, headers=seeker.headers)
    assert off.status_code == 200 and off.get_json()["preferences"]["sms_enabled"] is False
    assert db.session.scalars(sa.select(SmsOptOut.source)).all() == ["resident"]
    assert record(seeker.resident_id) == 0  # no WeChat quota and no SMS: nobody to tell
    on = client.patch(PREFERENCES, json={"sms_enabled": True}, headers=seeker.headers)
    assert on.get_json()["preferences"]["sms_enabled"] is True
    assert record(seeker.resident_id) == 1 and len(fake_sms.sent()) == 1


def test_a_phone_gets_at_most_its_daily_sms(app, fake_sms, make_resident):
    app.config["SMS_DAILY_PER_PHONE"] = 2
    # Two ledger rows sharing a family phone count together.
    mother, son = make_resident(phone=PHONE), make_resident(name="儿子", phone=PHONE)
    record(mother.id, "r:1:accepted")
    record(son.id, "r:2:accepted")
    record(mother.id, "r:3:accepted")
    statuses = [(p.status, p.last_error) for p in pushes(mother.id) + pushes(son.id)]
    assert sorted(statuses, key=str) == [("sent", None), ("sent", None), ("skipped", "sms_daily_limit")]
    assert len(fake_sms.sent()) == 2


def test_an_sms_waits_for_the_end_of_the_quiet_hours(app, fake_sms, make_resident, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_QUIET_START", "21:00")
    monkeypatch.setitem(app.config, "PUSH_QUIET_END", "08:00")
    night = datetime(2026, 3, 2, 23, 30, tzinfo=clock.zone())
    monkeypatch.setattr(clock, "local_now", lambda: night)
    person = make_resident(phone=PHONE)
    record(person.id)
    [push] = pushes(person.id)
    morning = datetime(2026, 3, 3, 8, 0, tzinfo=clock.zone())
    assert push.status == "scheduled"
    assert push.send_after == morning.astimezone(clock.UTC).replace(tzinfo=None)
    assert fake_sms.sent() == []


@pytest.mark.parametrize("knob", [None, "fail", "timeout"])
def test_no_phone_number_in_logs_or_push_rows(app, fake_sms, make_resident, caplog, knob):
    app.config["SMS_TIMEOUT_SECONDS"] = 0.5
    if knob:
        fake_sms.knobs(**{knob: 1, "timeout_seconds": 1.0})
    caplog.set_level(logging.DEBUG)
    person = make_resident(phone=PHONE)
    record(person.id)
    [push] = pushes(person.id)
    assert push.status == ("sent" if knob is None else "failed")
    row = db.session.execute(sa.select(Push.__table__).where(Push.id == push.id)).one()
    assert PHONE not in repr(tuple(row))
    # The fake gateway runs in this process; its access log stands for the provider's, not ours.
    ours = [r.getMessage() for r in caplog.records if r.name != "werkzeug"]
    assert ours and not [m for m in ours if PHONE in m]


def test_the_sms_sent_and_their_cost_count_in_the_place_of_each_person(
    app, client, fake_sms, make_resident, staff_headers
):
    app.config["SMS_PRICE_FEN"] = 5
    in_yuzhong, elsewhere = make_resident(phone=PHONE), make_resident("341002004001", phone="13812340004")
    record(in_yuzhong.id)
    record(elsewhere.id)
    # A policy notice of a long title and summary is over 70 characters: two parts, twice the price.
    data = template("policy_notice")["builder"](
        "黄山市就业困难人员灵活就业社会保险补贴", "预计3,600元，请在3月31日前申领办理", utcnow()
    )
    make_pushes(
        "policy_notice", "policy_version", [PushItem(in_yuzhong.id, "9", data, "pages/policies/index")]
    )
    _, township = staff_headers("township_admin", "township", "341002002000")
    figures = client.get("/api/v1/stats/push", headers=township).get_json()["figures"]
    assert (figures["sms_sent"], figures["sms_cost_yuan"]) == (2, 0.15)
    _, city = staff_headers("city_admin", "city", "341000000000")
    figures = client.get("/api/v1/stats/push", headers=city).get_json()["figures"]
    assert (figures["sms_sent"], figures["sms_delivered"], figures["sms_cost_yuan"]) == (3, 0, 0.2)


def test_without_a_provider_nothing_goes_by_sms(app, fake_sms, make_resident):
    person = make_resident(phone=PHONE)
    app.config["SMS_PROVIDER"] = "none"  # production's default until a provider is named

    assert record(person.id) == 0  # nobody could be reached: no row
    assert fake_sms.sent() == []


def test_production_refuses_the_fake_sms_and_missing_keys():
    from app.config import _sms_problems

    assert _sms_problems({"SMS_PROVIDER": "none"}) == []
    assert "development only" in _sms_problems({"SMS_PROVIDER": "fake"})[0]
    tencent = {
        "SMS_PROVIDER": "tencent",
        "TENCENTCLOUD_SECRET_ID": "fake-secret-id",
        "SMS_SDK_APP_ID": "1400000000",
    }
    assert _sms_problems(tencent) == [
        "TENCENTCLOUD_SECRET_ID must be set",
        "SMS_SDK_APP_ID must be set",
        "SMS_CALLBACK_TOKEN must be set (delivery receipts and replies are refused without it)",
    ]
    aliyun = {
        "SMS_PROVIDER": "aliyun",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5t",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s3cret",
        "SMS_CALLBACK_TOKEN": "t0ken",
    }
    assert _sms_problems(aliyun) == []
    templates = {"PUSH_TEMPLATES": {"policy_notice": {"sms": "always"}}}
    assert _sms_problems({**aliyun, **templates}) == ["PUSH_SMS_POLICY_NOTICE must be off, fallback or first"]
