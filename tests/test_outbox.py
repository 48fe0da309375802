"""The outbox (app/queues.py): a task wanted by a change is written in the change's transaction,
enqueued after the commit, and by the periodic flush when the queue was down then; never twice."""

import uuid
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa
from rq import SimpleWorker
from rq.job import Job as QueuedJob
from rq.utils import utcformat

from app import queue_rescue, queues
from app.extensions import db
from app.models import OutboxTask, utcnow
from app.queues import enqueue, enqueue_after_commit, get_queue, task
from app.tasks.maintenance import SCHEDULE
from tests.support import closed_port, grant, messages

APPLICATION_UPDATE = "tmpl-application-update"
# What the test task below saw, one entry per run.
RUNS: list = []


@task("default")
def record_run(label: str) -> str:
    """A task that only records that it ran (so a second run shows)."""
    RUNS.append(label)
    return label


@pytest.fixture(autouse=True)
def _no_runs_yet(app):
    """Start every test with no recorded runs, sends never held for the quiet hours."""
    RUNS.clear()
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"


@pytest.fixture
def queue_down(app):
    """Point the queues at a closed port for as long as the test says; put them back on exit."""
    real = app.extensions["queue_redis"]
    dead = redis.Redis(host="127.0.0.1", port=closed_port(), socket_connect_timeout=0.5)

    class Switch:
        def down(self):
            app.extensions["queue_redis"] = dead

        def up(self):
            app.extensions["queue_redis"] = real

    yield Switch()
    app.extensions["queue_redis"] = real


def run_periodic_tasks(app) -> None:
    """Run every periodic task once, as `flask cron` and a worker would (the flush sees no delay)."""
    app.config["OUTBOX_FLUSH_DELAY_SECONDS"] = 0
    for name, _ in SCHEDULE:
        db.session.remove()
        enqueue(name)
    db.session.remove()


@pytest.fixture
def applied(client, wechat_login, fake_wechat, make_employer, make_job):
    """Return (application id, employer headers, applicant openid): the applicant may receive 2 updates."""
    _, boss = make_employer()
    job_id = make_job(boss)
    body, headers, codes = wechat_login()
    profile = client.patch(
        "/api/v1/me", json={"name": "推送测试", "community_code": "341002002001"}, headers=headers
    )
    assert profile.status_code == 200, profile.get_json()
    for _ in range(2):
        report = client.post(
            "/api/v1/me/subscriptions",
            json={"client_id": uuid.uuid4().hex, "results": {APPLICATION_UPDATE: "accept", "errMsg": "ok"}},
            headers=headers,
        )
        assert report.status_code == 200, report.get_json()
    grant(fake_wechat, codes["openid"], APPLICATION_UPDATE, 2)
    response = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], boss, codes["openid"]


def move(client, application_id, status, headers):
    """Move an application on, as its employer."""
    response = client.patch(
        f"/api/v1/applications/{application_id}", json={"status": status}, headers=headers
    )
    assert response.status_code == 200, response.get_json()


# ---------------------------------------------------------------- the queue down at the commit


def test_an_application_moved_while_the_queue_is_down_is_pushed_once_by_the_periodic_flush(
    app, client, fake_wechat, applied, queue_down
):
    application_id, boss, openid = applied
    queue_down.down()

    move(client, application_id, "interview", boss)  # the change stands, the push cannot go yet

    assert messages(fake_wechat, openid) == []
    queue_down.up()
    run_periodic_tasks(app)

    delivered = messages(fake_wechat, openid)
    assert [m["data"]["phrase2"]["value"] for m in delivered] == ["邀请面试"]
    run_periodic_tasks(app)
    assert len(messages(fake_wechat, openid)) == 1  # flushed once, never again


def test_with_the_queue_up_the_push_goes_at_the_commit_and_the_flush_adds_nothing(
    app, client, fake_wechat, applied
):
    application_id, boss, openid = applied

    move(client, application_id, "interview", boss)

    assert len(messages(fake_wechat, openid)) == 1
    run_periodic_tasks(app)
    assert len(messages(fake_wechat, openid)) == 1


# ---------------------------------------------------------------- the row and the commit


def outbox_rows() -> list[OutboxTask]:
    """Return the outbox rows as stored now."""
    db.session.commit()
    return list(db.session.scalars(sa.select(OutboxTask).order_by(OutboxTask.id)).all())


def in_a_change(*labels: str) -> None:
    """Begin a change (a transaction) that wants a record_run per label after its commit."""
    db.session.execute(sa.text("SELECT 1"))  # the transaction begins
    for label in labels:
        enqueue_after_commit("test_outbox.record_run", label)


def test_the_task_runs_once_after_the_commit_and_its_row_is_marked_enqueued(app):
    in_a_change("committed")
    assert RUNS == []  # nothing before the commit

    db.session.commit()

    assert RUNS == ["committed"]
    (row,) = outbox_rows()
    assert (row.task, row.args, row.attempts) == ("test_outbox.record_run", ["committed"], 0)
    assert row.enqueued_at is not None and row.claimed_until is None
    run_periodic_tasks(app)
    assert RUNS == ["committed"]


def test_a_savepoint_released_inside_the_change_sends_nothing_before_the_commit(app):
    in_a_change("after the savepoint")
    # As services do for an insert that may race (employer credibility's first mark): SQLAlchemy
    # calls after_commit at the savepoint's release, while the change is still open.
    with db.session.begin_nested():
        db.session.execute(sa.text("SELECT 1"))

    assert RUNS == []  # the release of a savepoint is not the commit
    db.session.commit()

    assert RUNS == ["after the savepoint"]
    (row,) = outbox_rows()
    assert row.enqueued_at is not None and row.claimed_until is None


def test_a_rolled_back_change_leaves_no_outbox_row_and_runs_nothing(app):
    in_a_change("rolled back")

    db.session.rollback()

    assert outbox_rows() == [] and RUNS == []
    run_periodic_tasks(app)
    assert RUNS == []


def test_a_task_the_queue_refused_at_the_commit_is_kept_counted_and_flushed_once(app, queue_down):
    queue_down.down()
    in_a_change("later")
    db.session.commit()  # the change stands though the queue is down

    (row,) = outbox_rows()
    assert row.enqueued_at is None and row.attempts == 1 and "ConnectionError" in row.last_error
    app.config["OUTBOX_FLUSH_DELAY_SECONDS"] = 0
    assert queues.flush_outbox() == 0  # a flush while it is still down: kept, counted again
    (row,) = outbox_rows()
    assert row.enqueued_at is None and row.attempts == 2 and RUNS == []

    queue_down.up()
    db.session.execute(sa.update(OutboxTask).values(claimed_until=None))  # the flush's backoff is over
    db.session.commit()
    run_periodic_tasks(app)

    assert RUNS == ["later"]
    assert outbox_rows()[0].enqueued_at is not None
    run_periodic_tasks(app)
    assert RUNS == ["later"]


def test_arguments_a_row_cannot_hold_fail_in_the_caller(app):
    with pytest.raises(TypeError):
        enqueue_after_commit("test_outbox.record_run", object())
    with pytest.raises(LookupError):
        enqueue_after_commit("test_outbox.no_such_task")


# ---------------------------------------------------------------- never twice


def test_a_flush_racing_the_commits_own_enqueue_leaves_the_row_to_it(app, monkeypatch):
    app.config["OUTBOX_FLUSH_DELAY_SECONDS"] = 0
    real_enqueue, flushed = queues.enqueue, []

    def enqueue_while_a_flush_runs(name, *args, **kwargs):
        """A periodic flush (another process) runs just as the commit's own enqueue does."""
        if name == "test_outbox.record_run":
            with app.app_context():
                flushed.append(queues.flush_outbox())
        return real_enqueue(name, *args, **kwargs)

    monkeypatch.setattr(queues, "enqueue", enqueue_while_a_flush_runs)
    in_a_change("raced")
    db.session.commit()

    assert flushed == [0]  # the row was the commit's: the flush left it
    assert RUNS == ["raced"]
    assert outbox_rows()[0].enqueued_at is not None


def test_two_flushes_at_once_enqueue_a_row_once(app, queue_down, monkeypatch):
    queue_down.down()
    in_a_change("flushed once")
    db.session.commit()
    queue_down.up()
    app.config["OUTBOX_FLUSH_DELAY_SECONDS"] = 0
    real_enqueue, inner = queues.enqueue, []

    def enqueue_while_another_flush_runs(name, *args, **kwargs):
        if name == "test_outbox.record_run" and not inner:
            with app.app_context():
                inner.append(queues.flush_outbox())
        return real_enqueue(name, *args, **kwargs)

    monkeypatch.setattr(queues, "enqueue", enqueue_while_another_flush_runs)
    with app.app_context():
        outer = queues.flush_outbox()

    assert (outer, inner) == (1, [0])
    assert RUNS == ["flushed once"]


def test_a_row_whose_job_rq_already_holds_is_marked_without_a_second_job(app):
    # A process enqueued it, then died before marking the row; its lease has run out.
    app.config["RQ_ASYNC"] = True
    row = OutboxTask(
        task="test_outbox.record_run", args=["held"], created_at=utcnow() - timedelta(minutes=10)
    )
    db.session.add(row)
    db.session.commit()
    enqueue("test_outbox.record_run", "held", job_id=f"outbox-{row.id}")
    assert len(get_queue("default")) == 1

    assert queues.flush_outbox() == 1

    assert len(get_queue("default")) == 1  # RQ refused the second job of that id
    assert outbox_rows()[0].enqueued_at is not None


# ---------------------------------------------------------------- jobs a queue failover lost


def enqueued_row(label: str, ago: timedelta, not_before=None) -> OutboxTask:
    """Write an outbox row marked enqueued `ago` (its job is the test's to arrange)."""
    row = OutboxTask(
        task="test_outbox.record_run", args=[label], enqueued_at=utcnow() - ago, not_before=not_before
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_a_job_popped_as_the_queues_redis_failed_over_is_put_back_and_runs_once(app):
    # The worker's BLPOP took it as the primary died: "queued", on no list, never to run.
    app.config["RQ_ASYNC"] = True
    row = enqueued_row("popped", timedelta(minutes=2))
    enqueue("test_outbox.record_run", "popped", job_id=f"outbox-{row.id}")
    queue = get_queue("default")
    assert queue.connection.lpop(queue.key) == f"outbox-{row.id}".encode()

    assert queue_rescue.rescue_lost_tasks() == 1

    assert queue.job_ids == [f"outbox-{row.id}"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert RUNS == ["popped"]
    assert queue_rescue.rescue_lost_tasks() == 0  # finished: nothing more to do


def test_a_job_the_new_primary_never_received_is_enqueued_again(app):
    # Enqueued on the old primary, acknowledged, not yet replicated when it died.
    app.config["RQ_ASYNC"] = True
    row = enqueued_row("unreplicated", timedelta(minutes=2))

    assert queue_rescue.rescue_lost_tasks() == 1

    queue = get_queue("default")
    assert queue.job_ids == [f"outbox-{row.id}"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert RUNS == ["unreplicated"]


def started_long_ago(queue, job_id: str, ago: timedelta) -> None:
    """Make a waiting job look taken by a worker `ago` and left there, as a failover leaves it.

    Popped, "started" then, in the started registry under an execution whose own record went
    with the old primary (RQ's remove_executions would raise on it).
    """
    connection = queue.connection
    assert connection.lpop(queue.key) == job_id.encode()
    connection.hset(
        QueuedJob.key_for(job_id), mapping={"status": "started", "started_at": utcformat(utcnow() - ago)}
    )
    connection.zadd(QueuedJob.fetch(job_id, connection=connection).execution_registry.key, {"gone": 1})
    connection.zadd(queue.started_job_registry.key, {f"{job_id}:gone": 1})


def test_a_job_whose_worker_quit_mid_run_is_enqueued_again_once_past_its_timeout(app):
    # The worker met a connection error at the failover and quit: the job stays "started" for good.
    app.config["RQ_ASYNC"] = True
    row = enqueued_row("abandoned", timedelta(minutes=4))
    enqueue("test_outbox.record_run", "abandoned", job_id=f"outbox-{row.id}")
    queue = get_queue("default")
    started_long_ago(queue, f"outbox-{row.id}", timedelta(minutes=4))  # timeout 180 s, + 30 s

    assert queue_rescue.rescue_lost_tasks() == 1

    assert queue.job_ids == [f"outbox-{row.id}"]
    assert queue.connection.zrange(queue.started_job_registry.key, 0, -1) == []
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert RUNS == ["abandoned"]


def test_a_job_running_within_its_timeout_is_left_to_its_worker(app):
    app.config["RQ_ASYNC"] = True
    row = enqueued_row("running", timedelta(minutes=2))
    enqueue("test_outbox.record_run", "running", job_id=f"outbox-{row.id}")
    queue = get_queue("default")
    started_long_ago(queue, f"outbox-{row.id}", timedelta(minutes=2))

    assert queue_rescue.rescue_lost_tasks() == 0

    assert queue.job_ids == []


def test_waiting_recent_old_and_scheduled_jobs_are_left_alone(app):
    app.config["RQ_ASYNC"] = True
    waiting = enqueued_row("waiting", timedelta(minutes=2))
    enqueue("test_outbox.record_run", "waiting", job_id=f"outbox-{waiting.id}")
    enqueued_row("just now", timedelta(seconds=10))  # its worker may still be about to take it
    enqueued_row("long ago", timedelta(minutes=30))  # finished and expired, for all RQ knows
    enqueued_row("scheduled", timedelta(minutes=2), not_before=utcnow() + timedelta(hours=1))

    assert queue_rescue.rescue_lost_tasks() == 0

    assert get_queue("default").job_ids == [f"outbox-{waiting.id}"]
    assert RUNS == []


# ---------------------------------------------------------------- retention


def test_done_rows_are_purged_after_the_retention_and_undone_rows_kept(app):
    now = utcnow()
    old_done = OutboxTask(task="test_outbox.record_run", args=["a"], enqueued_at=now - timedelta(days=8))
    recent_done = OutboxTask(task="test_outbox.record_run", args=["b"], enqueued_at=now - timedelta(days=1))
    # Not enqueued yet, however old: the flush still owes it (its claim keeps the flush off here).
    old_undone = OutboxTask(
        task="test_outbox.record_run",
        args=["c"],
        created_at=now - timedelta(days=30),
        claimed_until=now + timedelta(hours=1),
    )
    db.session.add_all([old_done, recent_done, old_undone])
    db.session.commit()
    app.config["OUTBOX_RETENTION_DAYS"] = 7

    run_periodic_tasks(app)

    assert sorted(row.args[0] for row in outbox_rows()) == ["b", "c"]


def test_with_workers_the_commit_queues_the_task_under_its_outbox_id_and_a_worker_pushes(
    app, client, fake_wechat, applied
):
    app.config["RQ_ASYNC"] = True
    application_id, boss, openid = applied

    move(client, application_id, "interview", boss)

    (row,) = outbox_rows()
    assert row.enqueued_at is not None
    assert get_queue("push").job_ids == [f"outbox-{row.id}"]
    SimpleWorker([get_queue("push")], connection=app.extensions["queue_redis"]).work(burst=True)
    assert [m["data"]["phrase2"]["value"] for m in messages(fake_wechat, openid)] == ["邀请面试"]
