"""The embedded scheduler (app/tasks/scheduler.py): in `make run`'s mode (fakeredis, tasks inline) a
thread of the API process releases held pushes when due and runs the periodic tasks."""

import socket
import time
import uuid
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa

from app import create_app
from app.config import Config, DevelopmentConfig, TestingConfig
from app.extensions import db
from app.models import OutboxTask, Push, utcnow
from app.queues import enqueue, enqueue_after_commit, get_queue, task
from app.tasks.maintenance import SCHEDULE
from app.tasks.scheduler import EmbeddedScheduler
from tests.support import grant, job_match_push, messages

JOB_MATCH = "tmpl-job-match"
RUNS: list = []


@task("default")
def note(label: str) -> str:
    """A task that records that it ran."""
    RUNS.append(label)
    return label


def wait_for(condition, seconds: float = 10.0) -> bool:
    """Poll `condition` until it holds or `seconds` pass; return whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def scheduler(app):
    """Return a factory: scheduler(schedule) -> a started EmbeddedScheduler looking every 50 ms."""
    started = []

    def factory(schedule=()):
        embedded = EmbeddedScheduler(app, 0.05, schedule)
        assert embedded.start()
        started.append(embedded)
        return embedded

    yield factory
    for embedded in started:
        embedded.stop()


@pytest.fixture
def held_push(app, client, wechat_login, fake_wechat, make_employer, make_job):
    """Return (push id, openid): a job_match push held (status scheduled) with RQ until a second from now."""
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"
    body, headers, codes = wechat_login()
    profile = client.patch(
        "/api/v1/me", json={"name": "推送测试", "community_code": "341002002001"}, headers=headers
    )
    assert profile.status_code == 200, profile.get_json()
    report = client.post(
        "/api/v1/me/subscriptions",
        json={"client_id": uuid.uuid4().hex, "results": {JOB_MATCH: "accept", "errMsg": "ok"}},
        headers=headers,
    )
    assert report.status_code == 200, report.get_json()
    grant(fake_wechat, codes["openid"], JOB_MATCH, 1)
    job_id = make_job(make_employer()[1])
    due = utcnow() + timedelta(seconds=1)
    push_id = job_match_push(body["account"]["id"], job_id, status="scheduled", send_after=due)
    enqueue("push.send_push", push_id, at=due)  # as the fan-out holds it for the quiet hours' end
    return push_id, codes["openid"]


def status_of(push_id: int) -> str:
    """Return a push's status as stored now."""
    db.session.commit()
    return db.session.get(Push, push_id, populate_existing=True).status


def test_without_the_scheduler_a_held_push_is_never_sent(app, fake_wechat, held_push):
    push_id, openid = held_push
    time.sleep(1.5)

    assert status_of(push_id) == "scheduled" and messages(fake_wechat, openid) == []
    assert len(get_queue("push").scheduled_job_registry) == 1


def test_the_scheduler_thread_sends_a_held_push_once_it_is_due(app, fake_wechat, held_push, scheduler):
    push_id, openid = held_push
    scheduler()

    assert wait_for(lambda: status_of(push_id) == "sent")

    assert len(messages(fake_wechat, openid)) == 1
    assert len(get_queue("push").scheduled_job_registry) == 0


def test_the_scheduler_thread_flushes_what_the_queue_refused_at_the_commit(app, scheduler):
    RUNS.clear()
    app.config["OUTBOX_FLUSH_DELAY_SECONDS"] = 0
    real = app.extensions["queue_redis"]
    app.extensions["queue_redis"] = _refusing_redis()
    db.session.execute(sa.text("SELECT 1"))
    enqueue_after_commit("test_embedded_scheduler.note", "flushed")
    db.session.commit()
    app.extensions["queue_redis"] = real
    assert RUNS == []

    scheduler([("maintenance.flush_outbox", 0.05)])

    assert wait_for(lambda: RUNS == ["flushed"])
    db.session.commit()
    assert db.session.scalar(sa.select(OutboxTask.enqueued_at)) is not None
    time.sleep(0.3)  # more rounds of the flush run nothing twice
    assert RUNS == ["flushed"]


def _refusing_redis():
    """Return a Redis client for a port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)


def test_a_round_runs_every_periodic_task_inline_then_each_on_its_interval(app, places):
    embedded = EmbeddedScheduler(app, 60)
    now = time.time()

    assert embedded.run_due(now) == [name for name, _ in SCHEDULE]
    assert embedded.run_due(now + 59) == []
    assert embedded.run_due(now + 61) == [name for name, seconds in SCHEDULE if seconds <= 61]


def test_only_a_serving_app_with_the_flag_starts_it_on_its_first_request(app, runner):
    assert "embedded_scheduler" not in app.extensions  # tests (and production) have none
    overrides = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "EMBEDDED_SCHEDULER": True,
        "EMBEDDED_SCHEDULER_SECONDS": 3600,
    }
    serving = create_app("testing", overrides)
    embedded = serving.extensions["embedded_scheduler"]
    embedded.schedule = ()  # nothing to run here: only whether it starts
    try:
        assert serving.test_cli_runner().invoke(args=["worker", "--help"]).exit_code == 0
        assert not embedded.started  # a command does not start it

        assert serving.test_client().get("/healthz").status_code in (200, 503)

        assert embedded.started
        assert not embedded.start()  # once
    finally:
        embedded.stop()
        with serving.app_context():
            db.engine.dispose()


def test_it_is_on_in_development_without_redis_and_off_in_tests():
    assert TestingConfig.EMBEDDED_SCHEDULER is False and Config.EMBEDDED_SCHEDULER is False
    if Config.REDIS_URL is None:
        assert DevelopmentConfig.EMBEDDED_SCHEDULER is True
