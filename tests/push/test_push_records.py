"""A record's outcome pushed to its person (record_update, long-term): each outcome sent once."""

import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Push, Resident
from app.queues import enqueue
from app.services.registrations.certifications import PAGE as CERTIFICATION_PAGE
from app.services.registrations.records import PAGE as REGISTRATION_PAGE
from tests.support import grant, messages

ROOT = Path(__file__).resolve().parents[2]

ME = "/api/v1/me"
SUBSCRIPTIONS = "/api/v1/me/subscriptions"
RECORD_UPDATE = "tmpl-record-update"


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends go at once whatever the hour the suite runs."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


def test_one_long_term_accept_carries_every_outcome_each_once(client, wechat_login, fake_wechat, places):
    body, headers, codes = wechat_login()
    profile = client.patch(ME, json={"name": "办事测试", "community_code": "341002002001"}, headers=headers)
    assert profile.status_code == 200, profile.get_json()
    report = client.post(
        SUBSCRIPTIONS,
        json={"client_id": uuid.uuid4().hex, "results": {RECORD_UPDATE: "accept", "errMsg": "ok"}},
        headers=headers,
    )
    assert report.status_code == 200, report.get_json()
    grant(fake_wechat, codes["openid"], RECORD_UPDATE)  # one tap on the phone: a standing yes
    resident_id = db.session.scalar(sa.select(Resident.id).filter_by(account_id=body["account"]["id"]))

    enqueue(
        "push.notify_record", resident_id, "失业登记", "unemployment_registration:1:accepted", "已受理", "SY1"
    )
    enqueue(
        "push.notify_record", resident_id, "失业登记", "unemployment_registration:1:accepted", "已受理", "SY1"
    )
    enqueue(
        "push.notify_record", resident_id, "重点群体认定", "certification:2:rejected", "未通过", "材料不全"
    )

    sent = messages(fake_wechat, codes["openid"])
    assert [m["data"]["thing1"]["value"] for m in sent] == ["失业登记", "重点群体认定"]
    assert [m["data"]["phrase2"]["value"] for m in sent] == ["已受理", "未通过"]
    assert {m["template_id"] for m in sent} == {RECORD_UPDATE}
    rows = db.session.scalars(
        sa.select(Push).filter_by(account_id=body["account"]["id"], kind="record_update")
    ).all()
    assert sorted(r.status for r in rows) == ["sent", "sent"]


def test_no_push_without_a_subscription(client, wechat_login, fake_wechat, places):
    body, headers, codes = wechat_login()
    assert client.patch(ME, json={"community_code": "341002002001"}, headers=headers).status_code == 200
    resident_id = db.session.scalar(sa.select(Resident.id).filter_by(account_id=body["account"]["id"]))
    enqueue(
        "push.notify_record", resident_id, "失业登记", "unemployment_registration:9:accepted", "已受理", ""
    )
    assert messages(fake_wechat, codes["openid"]) == []
    assert db.session.scalars(sa.select(Push).filter_by(account_id=body["account"]["id"])).all() == []


def test_the_pages_records_open_are_mini_program_pages():
    pages = json.loads((ROOT / "miniprogram_stub" / "miniprogram" / "app.json").read_text())["pages"]
    assert {REGISTRATION_PAGE, CERTIFICATION_PAGE} <= set(pages)
