"""A hire pauses the resident's seeking: out of candidate lists and job pushes until they look again."""

import uuid
from datetime import datetime, timedelta

import pytest

from app.extensions import db, get_redis
from app.models import Resume, utcnow
from app.services.people.seekers import SEEKERS
from tests.conftest import JOB_MATCH_TEMPLATE, ME, RESUME, SUBSCRIPTIONS
from tests.support import error_of, grant, messages, publish

SEEKING = "/api/v1/me/resume/seeking"
NEAR = (29.7165, 118.3185)  # about 70 m from the employer (and so its jobs)


@pytest.fixture
def daytime(app, monkeypatch):
    """No quiet hours: a push goes out at once, whatever the hour of the run."""
    monkeypatch.setitem(app.config, "PUSH_QUIET_START", "00:00")
    monkeypatch.setitem(app.config, "PUSH_QUIET_END", "00:00")


@pytest.fixture
def boss(make_employer):
    """A verified employer: (Employer, headers)."""
    return make_employer()


def accept_job_pushes(client, fake_wechat, seeker, count: int = 2) -> None:
    """Report `count` one-time accepts of the job_match template, and grant them on the fake WeChat."""
    for _ in range(count):
        answer = client.post(
            SUBSCRIPTIONS,
            json={"client_id": uuid.uuid4().hex, "results": {JOB_MATCH_TEMPLATE: "accept", "errMsg": "ok"}},
            headers=seeker.headers,
        )
        assert answer.status_code == 200, answer.get_json()
    grant(fake_wechat, seeker.openid, count=count)


def hire(client, boss_headers, job_id: int, seeker_headers) -> int:
    """Apply to a job as the seeker and hire them as its employer; return the application id."""
    applied = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=seeker_headers)
    assert applied.status_code == 201, applied.get_json()
    application_id = applied.get_json()["id"]
    for status in ("interview", "hired"):
        moved = client.patch(
            f"/api/v1/applications/{application_id}", json={"status": status}, headers=boss_headers
        )
        assert moved.status_code == 200, moved.get_json()
    return application_id


def candidate_names(client, job_id: int, headers) -> list[str]:
    """Return the (masked) names on a job's candidate list."""
    response = client.get(f"/api/v1/jobs/{job_id}/candidates", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def in_geo_set(resident_id: int) -> bool:
    """Tell whether the resident's home is in the seekers' GEO set."""
    return get_redis().zscore(SEEKERS, resident_id) is not None


def job_pushes(fake_wechat, openid: str) -> list[dict]:
    """Return the job_match messages the fake WeChat delivered to one person."""
    return [m for m in messages(fake_wechat, openid) if m["template_id"] == JOB_MATCH_TEMPLATE]


def test_a_hired_resident_leaves_candidates_and_job_pushes_until_they_look_again(
    client, daytime, fake_wechat, boss, make_job, make_seeker, staff_headers
):
    hired = make_seeker("李强", *NEAR)
    other = make_seeker("张秀英", NEAR[0] + 0.0002, NEAR[1])
    for seeker in (hired, other):
        accept_job_pushes(client, fake_wechat, seeker)
    first_job = make_job(boss[1])
    assert candidate_names(client, first_job, boss[1]) == ["李*", "张**"]
    assert in_geo_set(hired.resident_id)

    hire(client, boss[1], first_job, hired.headers)

    resume = client.get(RESUME, headers=hired.headers).get_json()
    assert resume["open_to_work"] is False
    assert resume["seeking_paused_reason"] == "hired"
    paused_at = datetime.fromisoformat(resume["seeking_paused_at"])
    assert abs(paused_at.replace(tzinfo=None) - utcnow()) < timedelta(minutes=1)
    assert not in_geo_set(hired.resident_id)
    assert candidate_names(client, first_job, boss[1]) == ["张**"]
    # The employer's next post, seconds later: a candidate list and a push without the new hire.
    next_job = publish(client, staff_headers, make_job, boss[1], title="包装工")
    assert candidate_names(client, next_job, boss[1]) == ["张**"]
    assert job_pushes(fake_wechat, hired.openid) == []
    assert len(job_pushes(fake_wechat, other.openid)) == 1

    # One tap: looking again.
    again = client.post(SEEKING, headers=hired.headers)

    assert again.status_code == 200, again.get_json()
    body = again.get_json()
    assert (body["open_to_work"], body["seeking_paused_at"], body["seeking_paused_reason"]) == (
        True,
        None,
        None,
    )
    assert in_geo_set(hired.resident_id)
    assert candidate_names(client, next_job, boss[1]) == ["李*", "张**"]
    third_job = publish(client, staff_headers, make_job, boss[1], title="质检员")
    assert [m["page"] for m in job_pushes(fake_wechat, hired.openid)] == [
        f"pages/job-detail/index?id={third_job}"
    ]


def test_the_pause_outlives_a_return_to_unemployment_until_the_resident_looks_again(
    client, boss, make_job, make_seeker
):
    seeker = make_seeker("李强", *NEAR)
    job_id = make_job(boss[1])
    hire(client, boss[1], job_id, seeker.headers)

    # Back to unemployed (the resident says so; a visit or an import would do the same): still paused.
    changed = client.patch(ME, json={"employment_status": "unemployed"}, headers=seeker.headers)
    assert changed.status_code == 200, changed.get_json()
    assert client.get(RESUME, headers=seeker.headers).get_json()["seeking_paused_reason"] == "hired"
    assert candidate_names(client, job_id, boss[1]) == []

    # Saving the résumé as the form shows it (switch off) keeps the pause and its reason ...
    saved = client.put(RESUME, json={"open_to_work": False, "skills": ["包装"]}, headers=seeker.headers)
    assert saved.status_code == 200, saved.get_json()
    assert (saved.get_json()["open_to_work"], saved.get_json()["seeking_paused_reason"]) == (False, "hired")
    # ... and switching it on in the form is looking again, as the one-tap call is.
    saved = client.put(RESUME, json={"open_to_work": True}, headers=seeker.headers)
    assert (saved.get_json()["open_to_work"], saved.get_json()["seeking_paused_reason"]) == (True, None)
    assert candidate_names(client, job_id, boss[1]) == ["李*"]


def test_closing_the_resume_oneself_says_so(client, make_seeker):
    seeker = make_seeker("李强", *NEAR)

    closed = client.put(RESUME, json={"open_to_work": False}, headers=seeker.headers).get_json()

    assert (closed["open_to_work"], closed["seeking_paused_reason"]) == (False, "self")
    assert closed["seeking_paused_at"] is not None
    assert not in_geo_set(seeker.resident_id)


def test_a_hire_without_a_resume_writes_one_paused(client, boss, make_job, wechat_login):
    _, headers, _ = wechat_login()
    job_id = make_job(boss[1])

    hire(client, boss[1], job_id, headers)

    resume = client.get(RESUME, headers=headers).get_json()
    assert (resume["open_to_work"], resume["seeking_paused_reason"]) == (False, "hired")
    assert resume["updated_at"] is not None  # the mini-program shows the switch off, not a first save
    assert db.session.get(Resume, resume["resident_id"]).open_to_work is False


def test_looking_again_is_for_residents_only(client, boss):
    response = client.post(SEEKING, headers=boss[1])

    assert response.status_code == 403
    assert error_of(response)["code"]
    assert client.post(SEEKING).status_code == 401
