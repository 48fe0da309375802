"""The sweeper (services/push/sweeper.py): pushes a dead worker left `sending` are retried when
WeChat was never called and failed, never resent, when it may have been; sends lost with Redis
are enqueued again. Each push reaches its person once."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Push, PushQuota, utcnow
from app.queues import enqueue
from app.services.push import send as push_send
from app.services.push import sweeper
from app.tasks.push import send_push
from tests.support import grant, job_match_push, messages

JOB_MATCH = "tmpl-job-match"


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends go at once whatever the hour the suite runs."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


@pytest.fixture
def person(client, wechat_login, fake_wechat, places):
    """Return a factory: person(quota) -> (account id, openid), `quota` job_match sends with us and WeChat."""

    def factory(quota=1):
        body, headers, codes = wechat_login()
        profile = client.patch(
            "/api/v1/me", json={"name": "推送测试", "community_code": "341002002001"}, headers=headers
        )
        assert profile.status_code == 200, profile.get_json()
        for _ in range(quota):
            report = client.post(
                "/api/v1/me/subscriptions",
                json={"client_id": uuid.uuid4().hex, "results": {JOB_MATCH: "accept", "errMsg": "ok"}},
                headers=headers,
            )
            assert report.status_code == 200, report.get_json()
        grant(fake_wechat, codes["openid"], JOB_MATCH, quota)
        return body["account"]["id"], codes["openid"]

    return factory


@pytest.fixture
def make_push(make_employer, make_job):
    """Return a factory: make_push(account_id, **columns) -> id of a job_match push about a live job."""
    employer = []

    def factory(account_id: int, **columns) -> int:
        if not employer:
            employer.append(make_employer()[1])
        job_id = make_job(employer[0])
        return job_match_push(account_id, job_id, **columns)

    return factory


def stuck(minutes: float, attempts: int = 1, called: bool = False) -> dict:
    """Return the columns of a push a worker claimed `minutes` ago and then died (after calling WeChat?)."""
    claimed = utcnow() - timedelta(minutes=minutes)
    return {
        "status": "sending",
        "attempts": attempts,
        "claimed_at": claimed,
        "called_at": claimed + timedelta(seconds=1) if called else None,
    }


def stored(push_id: int) -> Push:
    """Return a push as stored now."""
    db.session.commit()
    return db.session.get(Push, push_id, populate_existing=True)


def remaining(account_id: int) -> int:
    """Return the job_match sends left with us."""
    db.session.commit()
    return db.session.get(PushQuota, (account_id, "job_match"), populate_existing=True).remaining


def sweep() -> dict:
    """Run the sweeper as its periodic task does (inline here, so a retried send goes at once)."""
    db.session.remove()
    job = enqueue("push.sweep_sends")
    assert job.is_finished, job.latest_result()
    return job.return_value()


def test_a_push_left_sending_before_the_wechat_call_is_sent_once_by_the_sweeper(
    app, fake_wechat, person, make_push
):
    account_id, openid = person(quota=1)
    # A worker claimed it 11 minutes ago and died before calling WeChat (no quota taken).
    push_id = make_push(account_id, **stuck(minutes=11))

    assert sweep() == {"retried": 1, "failed": 0, "lost": 0}

    row = stored(push_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(messages(fake_wechat, openid)) == 1
    assert remaining(account_id) == 0
    assert sweep() == {"retried": 0, "failed": 0, "lost": 0}
    assert len(messages(fake_wechat, openid)) == 1


def test_a_push_left_sending_during_the_wechat_call_fails_and_is_never_resent(
    app, fake_wechat, person, make_push
):
    account_id, openid = person(quota=2)
    push_id = make_push(account_id, **stuck(minutes=11, called=True))
    db.session.execute(sa.update(PushQuota).values(remaining=1))  # the dead worker took its unit
    db.session.commit()

    assert sweep() == {"retried": 0, "failed": 1, "lost": 0}

    row = stored(push_id)
    assert row.status == "failed" and row.last_error.startswith("outcome_unknown")
    assert messages(fake_wechat, openid) == []  # (the fake never got the call; WeChat may have)
    assert remaining(account_id) == 1  # the unit may have been used: not given back


def test_a_push_left_sending_before_the_upgrade_is_failed_not_resent(app, fake_wechat, person, make_push):
    account_id, openid = person(quota=1)
    # Claimed by the version before the sweeper: no claim time, no mark, outcome unknown.
    push_id = make_push(account_id, **{**stuck(minutes=0), "claimed_at": None})

    assert sweep() == {"retried": 0, "failed": 1, "lost": 0}

    assert stored(push_id).last_error.startswith("outcome_unknown")
    assert messages(fake_wechat, openid) == []


def test_a_push_left_sending_with_its_attempts_used_up_fails(app, fake_wechat, person, make_push):
    app.config["PUSH_MAX_ATTEMPTS"] = 3
    account_id, openid = person(quota=1)
    push_id = make_push(account_id, **stuck(minutes=30, attempts=3))

    assert sweep() == {"retried": 0, "failed": 1, "lost": 0}

    assert (stored(push_id).status, stored(push_id).last_error) == ("failed", "worker_lost: attempts used up")
    assert messages(fake_wechat, openid) == []


def test_a_push_sending_for_less_than_the_limit_is_left_to_its_worker(app, fake_wechat, person, make_push):
    account_id, openid = person(quota=1)
    push_id = make_push(account_id, **stuck(minutes=2))

    assert sweep() == {"retried": 0, "failed": 0, "lost": 0}

    assert stored(push_id).status == "sending"
    assert messages(fake_wechat, openid) == []


def test_a_stalled_worker_finding_its_push_taken_back_sends_nothing(
    app, fake_wechat, person, make_push, monkeypatch
):
    account_id, openid = person(quota=2)
    push_id = make_push(account_id)
    app.config["PUSH_STUCK_MINUTES"] = -1  # whatever is `sending` counts as stuck
    real_preferences, swept = push_send.preferences, []

    def stall(account):
        """The first worker stalls here; meanwhile the sweeper hands the push to a second try."""
        if not swept:
            swept.append(True)
            with app.app_context():
                swept.append(sweeper.sweep())
        return real_preferences(account)

    monkeypatch.setattr(push_send, "preferences", stall)

    assert send_push(push_id) == "not_pending"  # the first worker, woken: it sends nothing

    assert swept[1]["retried"] == 1
    assert stored(push_id).status == "sent"
    assert len(messages(fake_wechat, openid)) == 1
    assert remaining(account_id) == 1  # the first worker's unit went back with its rollback


def test_a_scheduled_push_whose_queued_send_was_lost_is_sent_once(app, fake_wechat, person, make_push):
    account_id, openid = person(quota=1)
    # Held for 08:00 two hours ago; the Redis holding its scheduled send was emptied since.
    push_id = make_push(account_id, status="scheduled", send_after=utcnow() - timedelta(hours=2))

    assert sweep()["lost"] == 1

    assert stored(push_id).status == "sent"
    assert len(messages(fake_wechat, openid)) == 1
    assert sweep()["lost"] == 0
    assert len(messages(fake_wechat, openid)) == 1


def test_a_push_due_recently_is_left_to_its_queued_send(app, fake_wechat, person, make_push):
    account_id, openid = person(quota=1)
    push_id = make_push(account_id, status="scheduled", send_after=utcnow() - timedelta(minutes=5))

    assert sweep()["lost"] == 0

    assert stored(push_id).status == "scheduled"
    assert messages(fake_wechat, openid) == []


def test_the_sweeper_runs_every_minute(app):
    from app.tasks.maintenance import SCHEDULE

    assert ("push.sweep_sends", 60) in SCHEDULE
