"""Push: a published job reaches fitting seekers with quota, once, through the fake WeChat."""

import json
import uuid
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Push, PushQuota
from tests.conftest import JOB_MATCH_TEMPLATE, SUBSCRIPTIONS
from tests.support import grant, messages, publish


def test_a_published_job_pushes_once_to_each_fitting_seeker_with_quota(
    client, app, fake_wechat, make_seeker, make_employer, make_job, staff_headers, monkeypatch
):
    # Daytime, so nothing waits for the quiet hours.
    monkeypatch.setitem(app.config, "PUSH_QUIET_START", "00:00")
    monkeypatch.setitem(app.config, "PUSH_QUIET_END", "00:00")
    _, with_quota, openid, headers = make_seeker(accept=True)
    grant(fake_wechat, openid)
    _, without_quota, other_openid, _ = make_seeker(accept=False)
    _, boss = make_employer()

    job_id = publish(client, staff_headers, make_job, boss)

    delivered = messages(fake_wechat, openid)
    assert len(delivered) == 1
    assert delivered[0]["template_id"] == JOB_MATCH_TEMPLATE
    assert delivered[0]["page"] == f"pages/job-detail/index?id={job_id}"
    assert delivered[0]["data"]["thing1"]["value"] == "茶叶分拣工"
    assert messages(fake_wechat, other_openid) == []
    rows = db.session.scalars(sa.select(Push)).all()
    assert [(row.account_id, row.status) for row in rows] == [(with_quota, "sent")]
    assert db.session.get(PushQuota, (with_quota, "job_match")).remaining == 0

    # The fan-out again (a retry), even with quota to spare now, creates and sends nothing more.
    from app.tasks.push import match_and_push

    more = client.post(
        SUBSCRIPTIONS,
        json={"client_id": uuid.uuid4().hex, "results": {JOB_MATCH_TEMPLATE: "accept"}},
        headers=headers,
    )
    assert more.get_json()["templates"][0]["remaining"] == 1
    grant(fake_wechat, openid)
    assert match_and_push(job_id)["created"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 1
    assert len(messages(fake_wechat, openid)) == 1


def test_every_push_opens_a_page_the_mini_program_has(app):
    # A subscribe message naming a page that app.json lacks opens nothing on the phone.
    app_json = Path(__file__).resolve().parents[2] / "miniprogram_stub" / "miniprogram" / "app.json"
    pages = set(json.loads(app_json.read_text(encoding="utf-8"))["pages"])
    for key, settings in app.config["PUSH_TEMPLATES"].items():
        assert settings["page"] in pages, key
