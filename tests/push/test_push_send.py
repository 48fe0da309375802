"""Sending one push: WeChat's answers (43101, stale token, 45009, network), retries by RQ workers,
claiming, skips, the global rate limit, application updates, and the worker command.

The fake WeChat is session-wide: messages are read back per openid, and calls are read from
the index they had when the test began (`Calls`).
"""

import socket
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import redis
import requests
import rq.scheduler
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry
from rq import SimpleWorker
from wechatpy.exceptions import WeChatClientException

from app.common import clock
from app.extensions import db
from app.models import Account, Application, Push, PushQuota
from app.queues import get_queue
from app.services.push import fan_out
from app.services.push import send as push_send
from app.tasks.push import send_push
from app.wechat import wechat
from tests.support import grant, job_match_push, messages

ME = "/api/v1/me"
SUBSCRIPTIONS = "/api/v1/me/subscriptions"
PREFERENCES = "/api/v1/me/push-preferences"
PUSHES = "/api/v1/pushes"
SEND_PATH = "/cgi-bin/message/subscribe/send"
TOKEN_PATH = "/cgi-bin/token"
JOB_MATCH = "tmpl-job-match"
APPLICATION_UPDATE = "tmpl-application-update"
RETRY_INTERVALS = [10, 30, 90, 270]  # what enqueue_sends gives RQ's Retry

# ---------------------------------------------------------------- helpers


def accept(client, headers, template_id: str = JOB_MATCH, times: int = 1) -> None:
    """Report `times` one-time accepts of a template, as the mini-program would."""
    for _ in range(times):
        report = client.post(
            SUBSCRIPTIONS,
            json={"client_id": uuid.uuid4().hex, "results": {template_id: "accept", "errMsg": "ok"}},
            headers=headers,
        )
        assert report.status_code == 200, report.get_json()


class Calls:
    """The fake WeChat's API calls made since this object was created."""

    def __init__(self, fake_wechat):
        self.fake = fake_wechat
        self.start = len(fake_wechat.calls())

    def all(self) -> list[tuple[str, int]]:
        """Return (path, errcode) of each call since the start."""
        return [(c["path"], c["errcode"]) for c in self.fake.calls()[self.start :]]

    def sends(self) -> list[int]:
        """Return the errcode of each send since the start."""
        return [errcode for path, errcode in self.all() if path == SEND_PATH]


@pytest.fixture(autouse=True)
def never_quiet(app):
    """Sends here go at once whatever the hour the suite runs (quiet hours have their own tests)."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


@pytest.fixture
def person(client, wechat_login, fake_wechat, places):
    """Return a factory: person(quota, fake_quota, template_id) -> (account id, openid, headers).

    A resident living in 昱中一社区 who accepted the template `quota` times with us and has
    `fake_quota` sends on the fake WeChat.
    """

    def factory(quota=1, fake_quota=1, template_id=JOB_MATCH):
        body, headers, codes = wechat_login()
        profile = client.patch(
            ME, json={"name": "推送测试", "community_code": "341002002001"}, headers=headers
        )
        assert profile.status_code == 200, profile.get_json()
        accept(client, headers, template_id, quota)
        if fake_quota:
            grant(fake_wechat, codes["openid"], template_id, fake_quota)
        return body["account"]["id"], codes["openid"], headers

    return factory


@pytest.fixture
def make_push(make_employer, make_job):
    """Return a factory: make_push(account_id) -> id of a pending job_match push about a fresh live job.

    Written as the fan-out writes it (the job must stay live: a push about a closed job is skipped).
    """
    employer = []

    def factory(account_id: int) -> int:
        if not employer:
            employer.append(make_employer()[1])
        job_id = make_job(employer[0])
        return job_match_push(account_id, job_id)

    return factory


def stored(push_id: int) -> Push:
    """Return a push as stored now."""
    db.session.commit()  # end the test's snapshot: see what workers and requests committed
    return db.session.get(Push, push_id, populate_existing=True)


def remaining(account_id: int, key: str = "job_match") -> int:
    """Return the one-time sends left with us."""
    db.session.commit()
    return db.session.get(PushQuota, (account_id, key), populate_existing=True).remaining


def enqueue(push_id: int) -> int:
    """Enqueue a push's send the way the app does (with RQ's Retry)."""
    return fan_out.enqueue_sends(Push.id == push_id)


def run_worker(app) -> float:
    """Run a SimpleWorker on the push queue until it is empty (no scheduler); return when it began."""
    began = time.time()
    SimpleWorker([get_queue("push")], connection=app.extensions["queue_redis"]).work(burst=True)
    return began


def scheduled(app) -> list[float]:
    """Return when each job of the push queue's ScheduledJobRegistry is due (epoch, whole seconds)."""
    registry = get_queue("push").scheduled_job_registry
    return [registry.get_scheduled_time(job_id).timestamp() for job_id in registry.get_job_ids()]


def assert_retry_due(app, began: float, seconds: int) -> None:
    """Assert one retry waits, due `seconds` after the try that began at `began` (RQ truncates)."""
    (due,) = scheduled(app)
    assert int(began) + seconds <= due <= time.time() + seconds


def run_scheduler_later(app, seconds: float) -> None:
    """Run RQ's scheduler as it would run `seconds` from now: due retries go back onto the queue."""
    later = rq.scheduler.current_timestamp() + int(seconds)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rq.scheduler, "current_timestamp", lambda: later)
        scheduler = rq.scheduler.RQScheduler([get_queue("push")], connection=app.extensions["queue_redis"])
        scheduler._connection = app.extensions["queue_redis"]  # the same (fake) Redis, not a new pool
        scheduler.prepare_registries(["push"])
        scheduler.enqueue_scheduled_jobs()


def failing_sends(monkeypatch, error: Exception, times: int) -> list:
    """Make the next `times` WeChat sends raise `error`, then call the fake WeChat again.

    Returns the list of every send attempted (its openid), failed or not.
    """
    wxa = wechat.client.wxa
    real = wxa.send_subscribe_message
    attempts = []

    def send(openid, *args, **kwargs):
        attempts.append(openid)
        if len(attempts) <= times:
            raise error
        return real(openid, *args, **kwargs)

    monkeypatch.setattr(wxa, "send_subscribe_message", send)
    return attempts


def quota_error() -> WeChatClientException:
    return WeChatClientException(45009, "reach max api daily quota limit")


# ---------------------------------------------------------------- 43101 is final


def test_43101_fails_the_push_at_once_and_zeroes_our_quota(app, fake_wechat, person, make_push):
    app.config["RQ_ASYNC"] = True
    account_id, openid, _ = person(quota=2, fake_quota=0)  # we think 2 sends are left; WeChat says none
    push_id = make_push(account_id)
    calls = Calls(fake_wechat)

    assert enqueue(push_id) == 1
    run_worker(app)

    row = stored(push_id)
    assert row.status == "failed"
    assert row.last_error.startswith("43101")
    assert row.attempts == 1
    assert row.sent_at is None
    assert remaining(account_id) == 0
    assert calls.sends() == [43101]
    assert scheduled(app) == []  # no retry waiting
    assert len(get_queue("push")) == 0
    assert messages(fake_wechat, openid) == []


# ---------------------------------------------------------------- stale token


def test_an_expired_token_is_refreshed_once_and_the_send_succeeds(app, fake_wechat, person, make_push):
    account_id, openid, _ = person(quota=2, fake_quota=2)
    first, second = make_push(account_id), make_push(account_id)
    assert send_push(first) == "sent"
    fake_wechat.expire_tokens()
    calls = Calls(fake_wechat)

    assert send_push(second) == "sent"

    assert calls.all() == [(SEND_PATH, 42001), (TOKEN_PATH, 0), (SEND_PATH, 0)]
    row = stored(second)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.msgid and row.sent_at is not None
    assert len(messages(fake_wechat, openid)) == 2
    assert remaining(account_id) == 0


# ---------------------------------------------------------------- retries by workers


ERRORS = {
    "45009": (quota_error, "45009 reach max api daily quota limit"),
    "network": (lambda: requests.ConnectionError("connection refused"), "network: ConnectionError"),
}


@pytest.mark.parametrize("error", ERRORS)
def test_a_retryable_error_is_retried_by_the_worker_until_the_send_succeeds(
    app, fake_wechat, person, monkeypatch, error, make_push
):
    app.config["RQ_ASYNC"] = True
    make_error, message = ERRORS[error]
    account_id, openid, _ = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)
    attempts = failing_sends(monkeypatch, make_error(), times=2)
    enqueue(push_id)

    # First try: fails, the unit goes back, RQ schedules the retry 10 s later.
    began = run_worker(app)
    row = stored(push_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, message)
    assert remaining(account_id) == 1
    assert_retry_due(app, began, RETRY_INTERVALS[0])
    run_scheduler_later(app, 5)  # not due yet
    assert len(get_queue("push")) == 0

    # Second try, when the scheduler finds it due: fails again; the next wait is 30 s.
    run_scheduler_later(app, RETRY_INTERVALS[0] + 1)
    assert len(get_queue("push")) == 1
    began = run_worker(app)
    row = stored(push_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 2, message)
    assert remaining(account_id) == 1
    assert_retry_due(app, began, RETRY_INTERVALS[1])

    # Third try: sent.
    run_scheduler_later(app, RETRY_INTERVALS[1] + 1)
    run_worker(app)
    row = stored(push_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert row.msgid and row.sent_at is not None
    assert len(attempts) == 3
    assert remaining(account_id) == 0  # exactly one unit used in the end
    assert len(messages(fake_wechat, openid)) == 1
    assert scheduled(app) == [] and len(get_queue("push")) == 0


@pytest.mark.parametrize("error", ERRORS)
def test_when_every_attempt_fails_the_push_fails_with_the_last_error_and_the_quota_back(
    app, client, fake_wechat, person, monkeypatch, staff_headers, error, make_push
):
    app.config["RQ_ASYNC"] = True
    app.config["PUSH_MAX_ATTEMPTS"] = 2
    make_error, message = ERRORS[error]
    account_id, openid, _ = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)
    attempts = failing_sends(monkeypatch, make_error(), times=10)
    enqueue(push_id)

    began = run_worker(app)
    assert stored(push_id).status == "pending"
    assert remaining(account_id) == 1
    # One retry left: RQ takes the intervals from the end of the list, so it waits the longest.
    (due,) = scheduled(app)
    assert int(began) + RETRY_INTERVALS[0] <= due <= time.time() + RETRY_INTERVALS[-1]
    run_scheduler_later(app, RETRY_INTERVALS[-1] + 1)
    run_worker(app)

    row = stored(push_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, message)
    assert len(attempts) == 2
    assert remaining(account_id) == 1
    assert messages(fake_wechat, openid) == []
    assert scheduled(app) == [] and len(get_queue("push")) == 0
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")
    listed = client.get(PUSHES, query_string={"status": "failed"}, headers=operator)
    assert listed.status_code == 200, listed.get_json()
    body = listed.get_json()
    assert body["total"] == 1
    assert [(p["id"], p["status"], p["attempts"], p["last_error"]) for p in body["items"]] == [
        (push_id, "failed", 2, message)
    ]


def test_an_unreachable_wechat_fails_the_push_after_its_attempts(
    app, fake_wechat, person, monkeypatch, make_push
):
    """Nothing listens on the closed port: the token fetch itself fails, like a network outage."""
    account_id, openid, _ = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)
    app.config["RQ_ASYNC"] = True
    app.config["PUSH_MAX_ATTEMPTS"] = 2
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9/"
    app.extensions["wechat"] = None
    calls = Calls(fake_wechat)
    enqueue(push_id)

    run_worker(app)
    assert stored(push_id).status == "pending"
    run_scheduler_later(app, RETRY_INTERVALS[-1] + 1)
    run_worker(app)

    row = stored(push_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, "network: ConnectionError")
    assert remaining(account_id) == 1
    assert calls.all() == []


@pytest.mark.parametrize("error", ERRORS)
def test_without_workers_a_retryable_error_fails_the_push_at_once(
    app, fake_wechat, person, monkeypatch, error, make_push
):
    assert app.config["RQ_ASYNC"] is False
    make_error, message = ERRORS[error]
    account_id, openid, _ = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)
    attempts = failing_sends(monkeypatch, make_error(), times=1)

    assert enqueue(push_id) == 1  # runs inline

    row = stored(push_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, message)
    assert len(attempts) == 1
    assert remaining(account_id) == 1
    assert messages(fake_wechat, openid) == []
    assert scheduled(app) == []


def test_one_attempt_in_all_sends_without_retries(app, fake_wechat, person, make_push):
    app.config["PUSH_MAX_ATTEMPTS"] = 1
    account_id, openid, _ = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)

    assert enqueue(push_id) == 1

    assert stored(push_id).status == "sent"
    assert len(messages(fake_wechat, openid)) == 1


# ---------------------------------------------------------------- claiming


def test_sending_a_push_already_sent_sends_nothing(app, fake_wechat, person, make_push):
    account_id, openid, _ = person(quota=2, fake_quota=2)
    push_id = make_push(account_id)
    assert send_push(push_id) == "sent"
    calls = Calls(fake_wechat)

    assert send_push(push_id) == "not_pending"

    assert calls.all() == []
    assert len(messages(fake_wechat, openid)) == 1
    row = stored(push_id)
    assert (row.status, row.attempts) == ("sent", 1)
    assert remaining(account_id) == 1


def test_two_workers_sending_the_same_push_at_once_send_one_message(
    app, backend, fake_wechat, person, make_push
):
    if backend != "real":
        pytest.skip("two writers at once need the real database")
    # Quota for two everywhere: only the claim keeps the second send from going.
    account_id, openid, _ = person(quota=2, fake_quota=2)
    push_id = make_push(account_id)
    assert wechat.client.access_token  # fetch the token first: the race is on the claim, not the token
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with app.app_context():
                start.wait()
                results.append(send_push(push_id))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert sorted(results) == ["not_pending", "sent"]
    assert len(messages(fake_wechat, openid)) == 1
    assert (stored(push_id).status, stored(push_id).attempts) == ("sent", 1)
    assert remaining(account_id) == 1


# ---------------------------------------------------------------- skips


def test_a_person_who_opted_out_after_the_push_was_made_is_skipped(
    app, client, fake_wechat, person, make_push
):
    account_id, openid, headers = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)
    off = client.patch(PREFERENCES, json={"disabled_kinds": ["job_match"]}, headers=headers)
    assert off.status_code == 200, off.get_json()
    calls = Calls(fake_wechat)

    assert send_push(push_id) == "skipped"

    row = stored(push_id)
    assert (row.status, row.last_error) == ("skipped", "opted_out")
    assert remaining(account_id) == 1
    assert calls.sends() == []
    assert messages(fake_wechat, openid) == []


def test_a_person_whose_quota_is_used_up_is_skipped(app, fake_wechat, person, make_push):
    account_id, openid, _ = person(quota=1, fake_quota=5)
    first, second = make_push(account_id), make_push(account_id)

    assert send_push(first) == "sent"
    calls = Calls(fake_wechat)
    assert send_push(second) == "skipped"

    row = stored(second)
    assert (row.status, row.last_error) == ("skipped", "no_quota")
    assert remaining(account_id) == 0
    assert calls.sends() == []
    assert len(messages(fake_wechat, openid)) == 1


def test_a_disabled_account_is_skipped(app, fake_wechat, person, make_push):
    account_id, openid, _ = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)
    db.session.get(Account, account_id).is_active = False
    db.session.commit()
    calls = Calls(fake_wechat)

    assert send_push(push_id) == "skipped"

    row = stored(push_id)
    assert (row.status, row.last_error) == ("skipped", "no_wechat_account")
    assert remaining(account_id) == 1
    assert calls.sends() == []
    assert messages(fake_wechat, openid) == []


# ---------------------------------------------------------------- the global rate limit


class FakeClock:
    """Stands in for the `time` module in app.services.push: sleeping moves the clock."""

    def __init__(self, start: float):
        self.now = start
        self.sleeps = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_fourth_send_within_a_second_waits_for_the_next_second(app, monkeypatch):
    app.config["PUSH_QPS"] = 3
    fake = FakeClock(1_800_000_000.2)
    monkeypatch.setattr(push_send, "clock_time", fake)
    store = app.extensions["redis"]

    for _ in range(3):
        push_send.take_send_slot()
    assert fake.sleeps == []
    push_send.take_send_slot()

    assert len(fake.sleeps) == 1
    assert fake.sleeps[0] == pytest.approx(0.801, abs=0.001)
    assert int(fake.now) == 1_800_000_001
    assert int(store.get("push:rate:1800000000")) == 4
    assert int(store.get("push:rate:1800000001")) == 1
    assert 0 < store.ttl("push:rate:1800000001") <= 5


def test_each_send_takes_a_slot_of_the_global_rate(app, fake_wechat, person, monkeypatch, make_push):
    fake = FakeClock(1_800_000_100.5)
    monkeypatch.setattr(push_send, "clock_time", fake)
    account_id, _, _ = person(quota=1, fake_quota=1)

    assert send_push(make_push(account_id)) == "sent"

    assert int(app.extensions["redis"].get("push:rate:1800000100")) == 1


def test_the_rate_limit_does_not_block_when_redis_is_down(app, monkeypatch):
    app.config["PUSH_QPS"] = 1
    fake = FakeClock(1_800_000_200.0)
    monkeypatch.setattr(push_send, "clock_time", fake)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    down = redis.Redis(port=closed_port, socket_connect_timeout=0.5, retry=RedisRetry(NoBackoff(), 0))
    monkeypatch.setattr(push_send, "get_redis", lambda: down)

    for _ in range(5):
        push_send.take_send_slot()

    assert fake.sleeps == []


# ---------------------------------------------------------------- application updates


def move(client, application_id: int, status: str, headers):
    """Change an application's status."""
    response = client.patch(
        f"/api/v1/applications/{application_id}", json={"status": status}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == status
    return response


@pytest.fixture
def applied(app, client, person, make_employer, make_job):
    """Return a factory: applied(quota, fake_quota) -> (application id, employer headers, applicant).

    The applicant (account id, openid, headers) accepted the application_update template
    `quota` times; nothing waits for quiet hours.
    """
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"
    _, boss = make_employer()
    job_id = make_job(boss)

    def factory(quota=2, fake_quota=2):
        applicant = person(quota=quota, fake_quota=fake_quota, template_id=APPLICATION_UPDATE)
        response = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=applicant[2])
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"], boss, applicant

    return factory


def pushes_of(account_id: int) -> list[tuple[str, str, str]]:
    """Return (kind, object id, status) of a person's pushes."""
    db.session.commit()
    rows = db.session.scalars(sa.select(Push).where(Push.account_id == account_id).order_by(Push.id))
    return [(row.kind, row.object_id, row.status) for row in rows]


def test_interview_and_hired_each_push_one_application_update(client, fake_wechat, applied):
    application_id, boss, (account_id, openid, headers) = applied(quota=2, fake_quota=2)

    move(client, application_id, "interview", boss)

    delivered = messages(fake_wechat, openid)
    assert len(delivered) == 1
    assert delivered[0]["template_id"] == APPLICATION_UPDATE
    job_id = client.get(f"/api/v1/applications/{application_id}", headers=boss).get_json()["job"]["id"]
    assert delivered[0]["page"] == f"pages/job-detail/index?id={job_id}"  # it shows the application
    assert delivered[0]["data"]["phrase2"]["value"] == "邀请面试"
    assert delivered[0]["data"]["thing1"]["value"] == "茶叶分拣工"
    assert delivered[0]["data"]["thing4"]["value"] == "黄山测试茶业有限公司"
    assert pushes_of(account_id) == [("application_update", f"{application_id}:interview", "sent")]

    move(client, application_id, "hired", boss)

    delivered = messages(fake_wechat, openid)
    assert [m["data"]["phrase2"]["value"] for m in delivered] == ["邀请面试", "已录用"]
    assert pushes_of(account_id) == [
        ("application_update", f"{application_id}:interview", "sent"),
        ("application_update", f"{application_id}:hired", "sent"),
    ]
    assert remaining(account_id, "application_update") == 0

    # The same status again sends nothing more, even with quota to spare.
    accept(client, headers, APPLICATION_UPDATE)
    grant(fake_wechat, openid, APPLICATION_UPDATE, 1)
    move(client, application_id, "hired", boss)

    assert len(messages(fake_wechat, openid)) == 2
    assert len(pushes_of(account_id)) == 2
    assert remaining(account_id, "application_update") == 1


def test_viewed_and_withdrawn_push_nothing(client, fake_wechat, applied):
    application_id, boss, (account_id, openid, headers) = applied(quota=2, fake_quota=2)
    calls = Calls(fake_wechat)

    move(client, application_id, "viewed", boss)
    move(client, application_id, "withdrawn", headers)

    assert messages(fake_wechat, openid) == []
    assert pushes_of(account_id) == []
    assert calls.sends() == []
    assert remaining(account_id, "application_update") == 2


def test_an_applicant_without_quota_gets_nothing_and_the_status_still_changes(client, fake_wechat, applied):
    application_id, boss, (account_id, openid, _) = applied(quota=0, fake_quota=1)
    calls = Calls(fake_wechat)

    move(client, application_id, "interview", boss)
    move(client, application_id, "rejected", boss)

    assert messages(fake_wechat, openid) == []
    assert pushes_of(account_id) == []
    assert calls.sends() == []
    db.session.commit()
    assert db.session.get(Application, application_id, populate_existing=True).status == "rejected"


# ---------------------------------------------------------------- the worker command


def test_flask_worker_offers_fork_and_make_worker_runs_the_push_and_default_queues(runner):
    result = runner.invoke(args=["worker", "--help"])

    assert result.exit_code == 0, result.output
    assert "--fork" in result.output
    assert "--burst" in result.output
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    target = makefile.split("\nworker:", 1)[1].split("\n\n", 1)[0]
    assert "flask worker push default" in target


def test_flask_worker_burst_sends_the_queued_pushes(app, runner, fake_wechat, person, make_push):
    app.config["RQ_ASYNC"] = True
    account_id, openid, _ = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)
    enqueue(push_id)
    assert stored(push_id).status == "pending"

    result = runner.invoke(args=["worker", "push", "--burst"])

    assert result.exit_code == 0, result.output
    assert stored(push_id).status == "sent"
    assert len(messages(fake_wechat, openid)) == 1


# ---------------------------------------------------------------- after the review


@pytest.mark.parametrize(
    ("error", "status", "quota_back"),
    [
        (WeChatClientException(None, "502 Bad Gateway"), "failed", True),  # a 5xx: retryable, then given up
        (WeChatClientException(47003, "argument invalid! data.thing1.value"), "failed", True),  # refused
        (requests.ReadTimeout("read timed out"), "failed", False),  # maybe delivered: never resent
    ],
)
def test_errors_after_the_call_keep_or_return_the_quota_as_delivery_may_have_happened(
    app, fake_wechat, person, make_push, monkeypatch, error, status, quota_back
):
    account_id, openid, _ = person(quota=2, fake_quota=0)
    push_id = make_push(account_id)
    failing_sends(monkeypatch, error, times=10)

    assert send_push(push_id) == status

    assert remaining(account_id) == (2 if quota_back else 1)
    assert stored(push_id).status == status


def test_a_push_reached_in_the_quiet_hours_is_held_for_their_end(
    app, fake_wechat, person, make_push, monkeypatch
):
    app.config["PUSH_QUIET_START"], app.config["PUSH_QUIET_END"] = "21:00", "08:00"
    account_id, openid, _ = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)  # made in the day, reached by a backlog at 21:30
    night = datetime(2026, 12, 1, 21, 30, tzinfo=clock.zone())
    monkeypatch.setattr(clock, "local_now", lambda: night)

    assert send_push(push_id) == "scheduled"

    row = stored(push_id)
    assert row.send_after == datetime(2026, 12, 2, 0, 0)  # 08:00 in Shanghai, as UTC
    assert messages(fake_wechat, openid) == [] and remaining(account_id) == 1


def test_a_failure_before_the_call_leaves_no_push_sending_and_returns_the_quota(
    app, fake_wechat, person, make_push, monkeypatch
):
    account_id, openid, _ = person(quota=1, fake_quota=1)
    push_id = make_push(account_id)

    def broken(*args, **kwargs):
        raise RuntimeError("the cache Redis went away")

    monkeypatch.setattr(push_send, "take_send_slot", broken)

    assert send_push(push_id) == "failed"  # inline: no worker will retry

    assert stored(push_id).status == "failed" and "RuntimeError" in stored(push_id).last_error
    assert remaining(account_id) == 1 and messages(fake_wechat, openid) == []


def test_a_push_on_its_way_counts_against_the_cap_whatever_its_score(app, person, make_push, monkeypatch):
    account_id, _, headers = person(quota=3, fake_quota=0)
    low, high = make_push(account_id), make_push(account_id)
    db.session.execute(sa.update(Push).where(Push.id == low).values(status="sending", score=10))
    db.session.execute(sa.update(Push).where(Push.id == high).values(score=90))
    db.session.commit()
    app.config["PUSH_DAILY_CAP"] = 1

    assert send_push(high) == "skipped"

    assert stored(high).last_error == "daily_cap"
