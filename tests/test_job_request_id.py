"""The request id carried into RQ jobs (app/queues.py, app/request_log.py, app/tasks/__init__.py).

A job enqueued while a request runs (at once, or after the commit through the outbox) keeps the
request's id in its RQ meta, and the lines logged while a worker runs it carry that id: one grep
of the id finds the request and the work it caused.
"""

import logging

import pytest
import redis
import sqlalchemy as sa
from rq.job import Job as QueuedJob

from app.extensions import db
from app.models import OutboxTask
from app.queues import enqueue, enqueue_after_commit, enqueue_many, flush_outbox, get_queue, task
from app.request_log import HEADER, RequestIdFilter, request_id
from app.tasks import AppWorker
from tests.exports.files import EXPORTS
from tests.support import closed_port

log = logging.getLogger(__name__)
YUZHONG = "341002002000"
EXPORT = "exports.run_export"


@task("default")
def note(label: str) -> str:
    """Log one line naming `label` (and nothing personal)."""
    log.info("noted %s", label)
    return label


@task("default")
def note_and_follow(label: str) -> None:
    """Log a line and enqueue a follow-up, as a task fanning out work does."""
    log.info("noted %s", label)
    enqueue("test_job_request_id.note", f"{label}-follow-up")


@pytest.fixture
def lines(caplog):
    """Capture INFO lines with the production request-id filter; return a reader of (message, request id)."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)

    def read(logger: str = __name__) -> list[tuple[str, str | None]]:
        return [(r.getMessage(), r.request_id) for r in caplog.records if r.name == logger]

    return read


def work(app) -> None:
    """Run the default queue's jobs with the worker `flask worker` starts, until it is empty."""
    AppWorker([get_queue("default")], connection=app.extensions["queue_redis"]).work(burst=True)


def fetch(app, job_id: str) -> QueuedJob:
    """Read a job back from the queue's Redis, as a worker would."""
    return QueuedJob.fetch(job_id, connection=app.extensions["queue_redis"])


def test_a_job_enqueued_in_a_request_carries_its_id_and_the_worker_logs_with_it(app, lines):
    app.config["RQ_ASYNC"] = True
    with app.test_request_context(headers={HEADER: "trace-41"}):
        job = enqueue("test_job_request_id.note", "asked")
    # Another job, from no request (a command line's), between it and the worker.
    enqueue("test_job_request_id.note", "unasked")

    assert fetch(app, job.id).meta == {"request_id": "trace-41"}  # the id, and nothing else
    work(app)

    assert lines() == [("noted asked", "trace-41"), ("noted unasked", None)]


def test_many_jobs_enqueued_at_once_in_a_request_carry_its_id(app, lines):
    app.config["RQ_ASYNC"] = True
    with app.test_request_context(headers={HEADER: "trace-43"}):
        enqueue_many("test_job_request_id.note", [("one",), ("two",)])

    queue = get_queue("default")
    assert [fetch(app, job_id).meta for job_id in queue.job_ids] == [{"request_id": "trace-43"}] * 2
    work(app)

    assert lines() == [("noted one", "trace-43"), ("noted two", "trace-43")]


def test_a_follow_up_a_job_enqueues_carries_the_same_id(app, lines):
    app.config["RQ_ASYNC"] = True
    with app.test_request_context(headers={HEADER: "trace-42"}):
        enqueue("test_job_request_id.note_and_follow", "fan")

    work(app)

    assert lines() == [("noted fan", "trace-42"), ("noted fan-follow-up", "trace-42")]


def test_an_export_the_api_queues_carries_the_request_id_into_the_worker(
    app, client, staff_headers, make_resident, lines
):
    app.config.update(RQ_ASYNC=True, EXPORT_INLINE_MAX_ROWS=0)  # any export goes to the queue
    _, headers = staff_headers("township_admin", "township", YUZHONG)
    make_resident()

    response = client.post(
        EXPORTS, json={"source": "residents", "format": "csv"}, headers={**headers, HEADER: "export-7"}
    )

    assert response.status_code == 201, response.get_json()
    assert response.headers[HEADER] == "export-7"
    # Through the outbox: enqueued after the request's commit, under the outbox row's job id.
    (job_id,) = [each for each in get_queue("default").job_ids if fetch(app, each).func.task_name == EXPORT]
    assert job_id.startswith("outbox-") and fetch(app, job_id).meta == {"request_id": "export-7"}
    work(app)
    status = client.get(f"{EXPORTS}/{response.get_json()['id']}", headers=headers).get_json()
    assert status["status"] == "done"
    # RQ's own line for the job, written while the worker ran it, carries the id too.
    done = [rid for message, rid in lines("rq.worker") if message.endswith(f"Job OK ({job_id})")]
    assert done == ["export-7"]


def test_inline_a_task_after_the_commit_logs_with_the_id_the_request_made(app, lines):
    # Embedded (RQ_ASYNC off): the task runs at the commit, in an app context of its own.
    with app.test_request_context():
        made = request_id()  # no X-Request-ID from the caller: a new one
        db.session.execute(sa.text("SELECT 1"))
        enqueue_after_commit("test_job_request_id.note", "inline")
        db.session.commit()

    assert lines() == [("noted inline", made)]


def test_a_task_the_flush_enqueues_later_still_carries_the_request_id(app, monkeypatch):
    # The queue's Redis was down at the commit: the outbox row keeps the id for the flush.
    app.config.update(RQ_ASYNC=True, OUTBOX_FLUSH_DELAY_SECONDS=0)
    real = app.extensions["queue_redis"]
    monkeypatch.setitem(
        app.extensions, "queue_redis", redis.Redis(port=closed_port(), socket_connect_timeout=0.5)
    )
    with app.test_request_context(headers={HEADER: "visit-42"}):
        enqueue_after_commit("test_job_request_id.note", "later")
        db.session.commit()
    monkeypatch.setitem(app.extensions, "queue_redis", real)
    (row,) = db.session.scalars(sa.select(OutboxTask)).all()
    assert (row.enqueued_at, row.request_id) == (None, "visit-42")

    assert flush_outbox() == 1

    assert fetch(app, f"outbox-{row.id}").meta == {"request_id": "visit-42"}
