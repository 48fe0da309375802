"""Push: a published job reaches fitting seekers with quota, once, through the fake WeChat."""

import json
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import Push, PushQuota

ME, RESUME = "/api/v1/me", "/api/v1/me/resume"
SUBSCRIPTIONS = "/api/v1/me/subscriptions"
JOB_MATCH_TEMPLATE = "tmpl-job-match"


@pytest.fixture
def make_seeker(client, wechat_login, places):
    """Return a factory: make_seeker(lat, lng, accept=True) -> (account id, openid, headers).

    A resident with a home and an open résumé; `accept` reports one one-time accept of the
    job_match template to us and grants it on the fake WeChat, as the phone would.
    """

    def factory(lat=29.7165, lng=118.3185, accept=True, fake_quota=1, **resume):
        body, headers, codes = wechat_login()
        profile = client.patch(ME, json={"name": "求职者", "home_lat": lat, "home_lng": lng}, headers=headers)
        assert profile.status_code == 200, profile.get_json()
        assert client.put(RESUME, json=resume, headers=headers).status_code == 200
        if accept:
            report = client.post(
                SUBSCRIPTIONS,
                json={
                    "client_id": uuid.uuid4().hex,
                    "results": {JOB_MATCH_TEMPLATE: "accept", "errMsg": "ok"},
                },
                headers=headers,
            )
            assert report.status_code == 200, report.get_json()
        return body["account"]["id"], codes["openid"], headers

    return factory


def grant(fake_wechat, openid: str, template_id: str = JOB_MATCH_TEMPLATE, count: int = 1) -> None:
    """Give the person quota on the fake WeChat too (their tap on "accept" does both)."""
    requests.post(
        fake_wechat.base_url + "_fake/subscriptions",
        json={"openid": openid, "template_id": template_id, "count": count},
        timeout=5,
    ).raise_for_status()


def messages(fake_wechat, openid: str | None = None) -> list[dict]:
    """Read back what the fake WeChat delivered."""
    params = {"openid": openid} if openid else {}
    return requests.get(fake_wechat.base_url + "_fake/messages", params=params, timeout=5).json()["messages"]


def publish(client, staff_headers, make_job, employer_headers, **fields) -> int:
    """Create a job, submit it and approve it as the circle's operator (which starts the fan-out)."""
    job_id = make_job(employer_headers, publish=False, **fields)
    assert client.post(f"/api/v1/jobs/{job_id}/submit", headers=employer_headers).status_code == 200
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")
    review = client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=operator)
    assert review.status_code == 200, review.get_json()
    return job_id


def test_a_published_job_pushes_once_to_each_fitting_seeker_with_quota(
    client, app, fake_wechat, make_seeker, make_employer, make_job, staff_headers, monkeypatch
):
    # Daytime, so nothing waits for the quiet hours.
    monkeypatch.setitem(app.config, "PUSH_QUIET_START", "00:00")
    monkeypatch.setitem(app.config, "PUSH_QUIET_END", "00:00")
    with_quota, openid, headers = make_seeker()
    grant(fake_wechat, openid)
    without_quota, other_openid, _ = make_seeker(accept=False)
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
    app_json = Path(__file__).resolve().parent.parent / "miniprogram_stub" / "miniprogram" / "app.json"
    pages = set(json.loads(app_json.read_text(encoding="utf-8"))["pages"])
    for key, settings in app.config["PUSH_TEMPLATES"].items():
        assert settings["page"] in pages, key
