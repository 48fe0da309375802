"""Sending pushes in batches (services/push/batch_send.py): every guarantee of the single send holds
for a batch — caps in score order, quiet hours, 43101, refusals, timeouts, consent, opt-outs, live
jobs, SMS — and overlapping batches send each push once; a batch that died is the sweeper's.
"""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
import sqlalchemy as sa
from wechatpy.exceptions import WeChatClientException

from app.common import clock
from app.extensions import db
from app.models import Account, Job, Push, PushQuota, utcnow
from app.queues import get_queue
from app.services.push import batch_send, fan_out, sweeper
from app.tasks.push import send_batch
from app.wechat import wechat
from tests.push.sms_helpers import give_phone, pushes, record, with_record_quota
from tests.push.test_push_send import Calls, failing_sends, run_scheduler_later, run_worker
from tests.support import grant, job_match_push, messages

JOB_MATCH = "tmpl-job-match"
APPLICATION_UPDATE = "tmpl-application-update"
SEND_PATH = "/cgi-bin/message/subscribe/send"


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends go at once whatever the hour the suite runs (quiet hours have their own test)."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


@pytest.fixture
def person(client, wechat_login, fake_wechat, places):
    """Return a factory: person(quota, fake_quota, template_id) -> (account id, openid, headers)."""

    def factory(quota=1, fake_quota=1, template_id=JOB_MATCH):
        body, headers, codes = wechat_login()
        profile = client.patch(
            "/api/v1/me", json={"name": "批量推送", "community_code": "341002002001"}, headers=headers
        )
        assert profile.status_code == 200, profile.get_json()
        for _ in range(quota):
            report = client.post(
                "/api/v1/me/subscriptions",
                json={"client_id": uuid.uuid4().hex, "results": {template_id: "accept", "errMsg": "ok"}},
                headers=headers,
            )
            assert report.status_code == 200, report.get_json()
        if fake_quota:
            grant(fake_wechat, codes["openid"], template_id, fake_quota)
        return body["account"]["id"], codes["openid"], headers

    return factory


@pytest.fixture
def job(make_employer, make_job):
    """Return a factory: job() -> id of a fresh live job (one employer for all)."""
    employer = []

    def factory() -> int:
        if not employer:
            employer.append(make_employer()[1])
        return make_job(employer[0])

    return factory


def stored(push_id: int) -> Push:
    """Return a push as stored now."""
    db.session.commit()
    return db.session.get(Push, push_id, populate_existing=True)


def remaining(account_id: int, key: str = "job_match") -> int:
    """Return the one-time sends left with us."""
    db.session.commit()
    return db.session.get(PushQuota, (account_id, key), populate_existing=True).remaining


def outcome(push_id: int) -> tuple:
    row = stored(push_id)
    return row.status, row.last_error


# ---------------------------------------------------------------- one job, many pushes


def test_due_pushes_go_in_batches_of_push_send_batch_each_sent_once(app, fake_wechat, person, job):
    app.config["RQ_ASYNC"] = True
    app.config["PUSH_SEND_BATCH"] = 3
    people = [person() for _ in range(7)]
    job_id = job()
    ids = [job_match_push(account_id, job_id, score=90 - n) for n, (account_id, _, _) in enumerate(people)]
    calls = Calls(fake_wechat)

    assert fan_out.enqueue_sends(Push.id.in_(ids)) == 7

    queued = get_queue("push").get_jobs()
    # Best-scored first, three a job; the one left over takes the single send.
    assert [(j.func_name.rpartition(".")[2], j.args[0]) for j in queued] == [
        ("send_batch", ids[0:3]),
        ("send_batch", ids[3:6]),
        ("send_push", ids[6]),
    ]
    run_worker(app)
    assert [stored(i).status for i in ids] == ["sent"] * 7
    assert all(stored(i).attempts == 1 and stored(i).msgid and stored(i).claim_token for i in ids[:6])
    for account_id, openid, _ in people:
        assert len(messages(fake_wechat, openid)) == 1
        assert remaining(account_id) == 0
    assert calls.sends() == [0] * 7


def test_a_batch_run_again_or_overlapping_another_sends_nothing_twice(app, fake_wechat, person, job):
    people = [person(quota=2, fake_quota=2) for _ in range(4)]
    job_id = job()
    ids = [job_match_push(account_id, job_id) for account_id, _, _ in people]

    assert send_batch(ids[:3])["sent"] == 3
    assert send_batch(ids[1:]) == {"claimed": 1, "sent": 1}  # only the one not sent yet
    assert send_batch(ids) == {"claimed": 0}

    for account_id, openid, _ in people:
        assert len(messages(fake_wechat, openid)) == 1
        assert remaining(account_id) == 1


def test_two_workers_running_overlapping_batches_at_once_send_each_push_once(
    app, backend, fake_wechat, person, job
):
    if backend != "real":
        pytest.skip("two writers at once need the real database")
    people = [person(quota=2, fake_quota=2) for _ in range(12)]
    job_id = job()
    ids = [job_match_push(account_id, job_id) for account_id, _, _ in people]
    assert wechat.client.access_token  # the race is on the claim, not the token
    start = threading.Barrier(2)
    results, errors = [], []

    def worker(batch):
        try:
            with app.app_context():
                start.wait()
                results.append(send_batch(batch))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(b,)) for b in (ids[:8], ids[4:])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(r.get("sent", 0) for r in results) == 12
    for account_id, openid, _ in people:
        assert len(messages(fake_wechat, openid)) == 1
        assert remaining(account_id) == 1
    assert [(stored(i).status, stored(i).attempts) for i in ids] == [("sent", 1)] * 12


# ---------------------------------------------------------------- the rules, for a batch


def test_the_daily_cap_keeps_the_best_scored_of_one_persons_pushes_in_a_batch(app, fake_wechat, person, job):
    app.config["PUSH_DAILY_CAP"] = 2
    account_id, openid, _ = person(quota=5, fake_quota=5)
    already = job_match_push(account_id, job(), status="sent", score=10)  # sent earlier today
    low, high, middle = (job_match_push(account_id, job(), score=s) for s in (20, 80, 50))

    send_batch([low, high, middle])

    assert stored(high).status == "sent"
    assert outcome(middle) == outcome(low) == ("skipped", "daily_cap")
    assert stored(already).status == "sent"
    assert len(messages(fake_wechat, openid)) == 1
    assert remaining(account_id) == 4


def test_a_batch_reached_in_the_quiet_hours_is_held_for_their_end(app, fake_wechat, person, job, monkeypatch):
    app.config["RQ_ASYNC"] = True
    app.config["PUSH_QUIET_START"], app.config["PUSH_QUIET_END"] = "21:00", "08:00"
    people = [person() for _ in range(2)]
    ids = [job_match_push(account_id, job()) for account_id, _, _ in people]
    tomorrow = clock.local_day() + timedelta(days=1)  # ahead of the real clock, which RQ's registry keeps
    night = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 21, 30, tzinfo=clock.zone())
    monkeypatch.setattr(clock, "local_now", lambda: night)
    wake = datetime.combine(tomorrow + timedelta(days=1), datetime.min.time())  # 08:00 in Shanghai, as UTC

    assert send_batch(ids)["scheduled"] == 2

    for push_id, (account_id, openid, _) in zip(ids, people, strict=True):
        row = stored(push_id)
        assert (row.status, row.send_after, row.attempts) == ("scheduled", wake, 0)
        assert messages(fake_wechat, openid) == [] and remaining(account_id) == 1
    registry = get_queue("push").scheduled_job_registry
    held = [get_queue("push").fetch_job(job_id) for job_id in registry.get_job_ids()]
    assert sorted((j.func_name, j.args[0]) for j in held) == [("app.tasks.push.send_push", i) for i in ids]
    assert {int(registry.get_scheduled_time(j.id).timestamp()) for j in held} == {
        int(wake.replace(tzinfo=UTC).timestamp())
    }


def test_43101_fails_for_good_and_zeroes_our_quota_while_the_others_go(app, fake_wechat, person, job):
    refused_id, refused_openid, _ = person(quota=2, fake_quota=0)  # WeChat says none is left
    ok_id, ok_openid, _ = person()
    job_id = job()
    refused, ok = job_match_push(refused_id, job_id), job_match_push(ok_id, job_id)

    send_batch([refused, ok])

    status, error = outcome(refused)
    assert status == "failed" and error.startswith("43101")
    assert remaining(refused_id) == 0
    assert stored(ok).status == "sent" and len(messages(fake_wechat, ok_openid)) == 1
    assert messages(fake_wechat, refused_openid) == []


@pytest.mark.parametrize(
    ("error", "quota_back"),
    [
        (WeChatClientException(47003, "argument invalid! data.thing1.value"), True),  # refused
        (requests.ReadTimeout("read timed out"), False),  # perhaps delivered: never resent
    ],
)
def test_a_refusal_gives_the_quota_back_and_a_timeout_keeps_it_neither_resent(
    app, fake_wechat, person, job, monkeypatch, error, quota_back
):
    app.config["RQ_ASYNC"] = True
    people = [person(quota=2, fake_quota=2) for _ in range(2)]
    job_id = job()
    ids = [job_match_push(account_id, job_id) for account_id, _, _ in people]
    attempts = failing_sends(monkeypatch, error, times=10)

    assert send_batch(ids)["failed"] == 2

    for push_id, (account_id, _openid, _) in zip(ids, people, strict=True):
        assert stored(push_id).status == "failed"
        assert remaining(account_id) == (2 if quota_back else 1)
    assert len(attempts) == 2
    run_worker(app)  # nothing waits to be sent again
    run_scheduler_later(app, 3600)
    run_worker(app)
    assert len(attempts) == 2


def test_who_withdrew_consent_opted_out_or_whose_job_closed_is_skipped(app, client, fake_wechat, person, job):
    withdrawn, opted_out, closed, fine = (person() for _ in range(4))
    answer = client.post(
        "/api/v1/me/consents/withdraw",
        json={"purposes": ["privacy_notice"], "client_version": "1.4.0"},
        headers=withdrawn[2],
    )
    assert answer.status_code == 200, answer.get_json()
    off = client.patch(
        "/api/v1/me/push-preferences", json={"disabled_kinds": ["job_match"]}, headers=opted_out[2]
    )
    assert off.status_code == 200, off.get_json()
    live, gone = job(), job()
    db.session.execute(sa.update(Job).where(Job.id == gone).values(status="closed"))
    db.session.commit()
    ids = [
        job_match_push(withdrawn[0], live),
        job_match_push(opted_out[0], live),
        job_match_push(closed[0], gone),
        job_match_push(fine[0], live),
    ]

    assert send_batch(ids) == {"claimed": 4, "skipped": 3, "sent": 1}

    assert [outcome(i) for i in ids] == [
        ("skipped", "consent_withdrawn"),
        ("skipped", "opted_out"),
        ("skipped", "job_not_live"),
        ("sent", None),
    ]
    assert [remaining(p[0]) for p in (withdrawn, opted_out, closed, fine)] == [1, 1, 1, 0]
    assert [len(messages(fake_wechat, p[1])) for p in (withdrawn, opted_out, closed, fine)] == [0, 0, 0, 1]


def test_without_quota_or_account_a_job_push_is_skipped(app, fake_wechat, person, job):
    no_quota, disabled = person(quota=0, fake_quota=1), person()
    db.session.get(Account, disabled[0]).is_active = False
    db.session.commit()
    job_id = job()
    ids = [job_match_push(no_quota[0], job_id), job_match_push(disabled[0], job_id)]

    send_batch(ids)

    assert [outcome(i) for i in ids] == [("skipped", "no_quota"), ("skipped", "no_wechat_account")]
    assert messages(fake_wechat, no_quota[1]) == messages(fake_wechat, disabled[1]) == []


def test_a_push_wechat_can_no_longer_take_falls_back_to_sms_once(
    app, client, fake_sms, fake_wechat, make_seeker
):
    keeps, loses = make_seeker(name="有订阅"), make_seeker(name="已退订")
    for n, seeker in enumerate((keeps, loses)):
        give_phone(seeker.resident_id, f"1381234001{n}")
        with_record_quota(client, fake_wechat, seeker)
    app.config["RQ_ASYNC"] = True  # made now, sent by the batch below
    for seeker in (keeps, loses):
        record(seeker.resident_id)
    ids = [pushes(seeker.resident_id)[0].id for seeker in (keeps, loses)]
    # Meanwhile one of them switched the template off in WeChat's settings.
    db.session.execute(
        sa.update(PushQuota).where(PushQuota.account_id == loses.account_id).values(status="reject")
    )
    db.session.commit()
    app.config["RQ_ASYNC"] = False

    result = send_batch(ids)

    assert (result["sent"], result["handed_to_single_send"]) == (1, 1)
    assert [(stored(i).status, stored(i).channel) for i in ids] == [("sent", "wechat"), ("sent", "sms")]
    assert [m["phone"] for m in fake_sms.sent()] == ["13812340011"]
    assert len(messages(fake_wechat, keeps.openid)) == 1 and messages(fake_wechat, loses.openid) == []
    assert stored(ids[1]).attempts == 1  # the single send's try, not the batch's too


# ---------------------------------------------------------------- retries: a send job of its own


def test_a_retryable_answer_gives_the_push_its_own_send_job_and_it_is_sent_once(
    app, fake_wechat, person, job, monkeypatch
):
    app.config["RQ_ASYNC"] = True
    busy, fine = person(), person()
    job_id = job()
    ids = [job_match_push(busy[0], job_id, score=90), job_match_push(fine[0], job_id, score=10)]
    attempts = failing_sends(monkeypatch, WeChatClientException(45009, "reach max api daily quota limit"), 1)

    began = datetime.now().timestamp()
    result = send_batch(ids)

    assert (result["sent"], result["retried"]) == (1, 1)
    row = stored(ids[0])
    assert (row.status, row.attempts, row.last_error) == (
        "pending",
        1,
        "45009 reach max api daily quota limit",
    )
    assert remaining(busy[0]) == 1  # given back until it goes
    registry = get_queue("push").scheduled_job_registry
    [held] = [get_queue("push").fetch_job(job_id) for job_id in registry.get_job_ids()]
    assert (held.func_name, held.args) == ("app.tasks.push.send_push", (ids[0],))
    due = registry.get_scheduled_time(held.id).timestamp()
    assert int(began) + 10 <= due <= datetime.now().timestamp() + 10
    run_scheduler_later(app, 11)
    run_worker(app)
    row = stored(ids[0])
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(attempts) == 3
    assert len(messages(fake_wechat, busy[1])) == len(messages(fake_wechat, fine[1])) == 1
    assert remaining(busy[0]) == 0


def test_an_error_before_the_calls_returns_the_quota_and_retries_or_fails(
    app, fake_wechat, person, job, monkeypatch
):
    people = [person() for _ in range(2)]
    job_id = job()
    ids = [job_match_push(account_id, job_id) for account_id, _, _ in people]

    def broken(count, wait_seconds=5.0):
        raise RuntimeError("the cache Redis went away")
        yield  # a generator, as send_slots is

    monkeypatch.setattr(batch_send, "send_slots", broken)

    assert send_batch(ids)["failed"] == 2  # inline: no worker will retry

    for push_id, (account_id, openid, _) in zip(ids, people, strict=True):
        status, error = outcome(push_id)
        assert status == "failed" and "RuntimeError" in error
        assert remaining(account_id) == 1 and messages(fake_wechat, openid) == []


# ---------------------------------------------------------------- a batch that died: the sweeper


class WorkerKilled(BaseException):
    """Stands in for the end of a worker's process (a kill, a timeout): nothing catches it."""


def age(ids: list[int], minutes: float) -> None:
    """Move the claim of pushes back `minutes`, as if their worker died that long ago."""
    db.session.execute(
        sa.update(Push).where(Push.id.in_(ids)).values(claimed_at=utcnow() - timedelta(minutes=minutes))
    )
    db.session.commit()


def test_a_batch_that_died_before_its_calls_is_sent_once_by_the_sweeper(
    app, fake_wechat, person, job, monkeypatch
):
    people = [person() for _ in range(3)]
    job_id = job()
    ids = [job_match_push(account_id, job_id) for account_id, _, _ in people]

    def killed(pushes):
        raise WorkerKilled

    monkeypatch.setattr(batch_send, "_facts", killed)
    with pytest.raises(WorkerKilled):
        send_batch(ids)
    monkeypatch.undo()
    db.session.rollback()
    assert [(stored(i).status, stored(i).called_at) for i in ids] == [("sending", None)] * 3
    age(ids, app.config["PUSH_STUCK_MINUTES"] + 1)

    assert sweeper.sweep()["retried"] == 3  # runs the sends inline

    assert [(stored(i).status, stored(i).attempts) for i in ids] == [("sent", 2)] * 3
    for account_id, openid, _ in people:
        assert len(messages(fake_wechat, openid)) == 1 and remaining(account_id) == 0


def test_a_batch_that_died_after_marking_its_calls_is_failed_and_never_resent(
    app, fake_wechat, person, job, monkeypatch
):
    people = [person() for _ in range(3)]
    job_id = job()
    ids = [job_match_push(account_id, job_id) for account_id, _, _ in people]

    def killed(count, wait_seconds=5.0):
        raise WorkerKilled
        yield

    monkeypatch.setattr(batch_send, "send_slots", killed)
    with pytest.raises(WorkerKilled):
        send_batch(ids)
    monkeypatch.undo()
    db.session.rollback()
    assert all(stored(i).status == "sending" and stored(i).called_at is not None for i in ids)
    age(ids, app.config["PUSH_STUCK_MINUTES"] + 1)

    assert sweeper.sweep()["failed"] == 3

    for push_id, (account_id, openid, _) in zip(ids, people, strict=True):
        status, error = outcome(push_id)
        assert status == "failed" and error.startswith("outcome_unknown")
        assert messages(fake_wechat, openid) == [] and remaining(account_id) == 0


def test_a_stalled_batch_whose_pushes_the_sweeper_took_back_sends_none_of_them(
    app, fake_wechat, person, job, monkeypatch
):
    people = [person(quota=2, fake_quota=2) for _ in range(2)]
    job_id = job()
    ids = [job_match_push(account_id, job_id) for account_id, _, _ in people]
    real_facts = batch_send._facts

    def stalled(pushes):
        # The batch stalls past PUSH_STUCK_MINUTES: the sweeper hands one push to a single send.
        with app.app_context():
            age([ids[0]], app.config["PUSH_STUCK_MINUTES"] + 1)
            assert sweeper.sweep()["retried"] == 1
        return real_facts(pushes)

    monkeypatch.setattr(batch_send, "_facts", stalled)
    send_batch(ids)

    assert [(stored(i).status, stored(i).attempts) for i in ids] == [("sent", 2), ("sent", 1)]
    for account_id, openid, _ in people:
        assert len(messages(fake_wechat, openid)) == 1 and remaining(account_id) == 1
