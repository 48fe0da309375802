"""The outbox's rescue: jobs a failover of the queue's Redis lost, found from their rows and enqueued again.

The outbox (app/queues.py) marks a row enqueued once RQ has its job; a Sentinel failover can
still lose that job afterwards (docs/OPERATIONS.md, "Tasks that must not be lost: the outbox"):
- replication to the replica is asynchronous: a job enqueued just before the primary died can be
  gone from the new one, with no trace;
- a worker on several queues takes a job with BLPOP: one popped as the primary died, the worker's
  next command failing, is left "queued" on no list, never to run;
- a worker meeting the connection error mid-job quits (systemd starts it again): its job stays
  "started" for good.
`rescue_lost_tasks`, run every minute with the flush (`maintenance.flush_outbox`), looks at the rows
enqueued RESCUE_AFTER to RESCUE_WINDOW ago and enqueues such jobs again under the same job id.
At-least-once, as the outbox always was: every task enqueued through it is safe to repeat.
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.job import Job as QueuedJob
from rq.utils import utcparse

from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import OutboxTask
from app.queues import TASKS, enqueue, outbox_job_id
from app.request_log import carrying_request_id

log = logging.getLogger(__name__)

# A task is looked for on its queue from this long after it was enqueued (a worker takes a job
# within moments, or it waits on the list), for as long as RQ still knows a finished job (its
# default result_ttl is 500 s): a job unknown to RQ within the window was never run.
RESCUE_AFTER = timedelta(seconds=60)
RESCUE_WINDOW = timedelta(minutes=5)
# A job "started" this long past its own timeout was abandoned by its worker.
ABANDONED_AFTER = timedelta(seconds=30)
# RQ's default job timeout, for a job that records none.
DEFAULT_JOB_TIMEOUT = 180
# A queue holding more ids than this is not read whole to look for lost ones (a backlog is not a loss).
_RESCUE_MAX_LIST = 50_000


def rescue_lost_tasks(limit: int = 5000) -> int:
    """Enqueue again the tasks a failover of the queue's Redis lost (the cases above); return how many."""
    now = utcnow()
    rows = db.session.execute(
        sa.select(
            OutboxTask.id, OutboxTask.task, OutboxTask.args, OutboxTask.not_before, OutboxTask.request_id
        )
        .where(OutboxTask.enqueued_at.between(now - RESCUE_WINDOW, now - RESCUE_AFTER))
        .order_by(OutboxTask.id)
        .limit(limit)
    ).all()
    db.session.commit()
    if not rows:
        return 0
    connection = current_app.extensions["queue_redis"]
    pipe = connection.pipeline(transaction=False)
    for row in rows:
        pipe.hmget(QueuedJob.key_for(outbox_job_id(row.id)), "status", "origin", "started_at", "timeout")
    found = pipe.execute()
    waiting: dict[str, set[bytes] | None] = {}
    rescued = 0
    for row, (status, origin, started_at, timeout) in zip(rows, found, strict=True):
        try:
            if not _rescue_one(connection, row, status, origin, started_at, timeout, now, waiting):
                continue
        except RedisError:
            raise  # the queue is down again: the next run tries
        except Exception:  # one job's odd state (RQ's records half gone) must not stop the others
            log.exception("outbox row %s (%s): could not look for its job", row.id, row.task)
            continue
        rescued += 1
        log.warning(
            "outbox row %s (%s): its job was lost by the queue's Redis; enqueued again", row.id, row.task
        )
    return rescued


def _rescue_one(connection, row, status, origin, started_at, timeout, now, waiting) -> bool:
    """Enqueue again one outbox row's job if the queue's Redis lost it; tell whether it did."""
    job_id = outbox_job_id(row.id)
    if status == b"started" and _abandoned(started_at, timeout, now):
        # Its worker quit mid-job (a connection error at the failover) and nobody finishes it.
        queue = Queue(origin.decode(), connection=connection)
        _forget_started(queue, job_id)
        queue.enqueue_job(QueuedJob.fetch(job_id, connection=connection))
        return True
    if status is None and _lost(row):
        try:
            with carrying_request_id(row.request_id):
                enqueue(row.task, *row.args, job_id=job_id)
        except DuplicateJobError:
            return False  # enqueued meanwhile (a flush, another rescue)
        return True
    if status != b"queued":
        return False
    name = origin.decode()
    if name not in waiting:
        waiting[name] = _waiting_ids(connection, name)
    known = waiting[name]
    # Read once more: a worker that has just popped it marks it started in moments.
    if (
        known is None
        or job_id.encode() in known
        or connection.hget(QueuedJob.key_for(job_id), "status") != b"queued"
    ):
        return False
    Queue(name, connection=connection).push_job_id(job_id)
    return True


def _forget_started(queue: Queue, job_id: str) -> None:
    """Take an abandoned job's entries ("<job id>:<execution id>") out of its queue's started registry.

    By hand, not RQ's remove_executions: that reads each execution's hash first, and the one the
    failover interrupted is often gone with the old primary (it raises "not found"). The registry
    holds only the jobs running now, so reading it whole is cheap.
    """
    registry = queue.started_job_registry
    prefix = f"{job_id}:".encode()
    entries = [entry for entry in queue.connection.zrange(registry.key, 0, -1) if entry.startswith(prefix)]
    if entries:
        queue.connection.zrem(registry.key, *entries)


def _abandoned(started_at: bytes | None, timeout: bytes | None, now: datetime) -> bool:
    """Tell whether a job still "started" has outlived its own timeout: its worker is gone."""
    if not started_at:
        return False
    started = utcparse(started_at.decode()).replace(tzinfo=None)
    seconds = int(timeout) if timeout and timeout.isdigit() else DEFAULT_JOB_TIMEOUT
    # A running job is stopped by its own timeout (the worker's death penalty): past it and a
    # margin, no worker is on it any more.
    return now - started > timedelta(seconds=seconds) + ABANDONED_AFTER


def _lost(row) -> bool:
    """Tell whether RQ not knowing an outbox row's job means it never ran (not: ran and expired)."""
    declared = TASKS.get(row.task)
    if declared is None or row.not_before is not None:
        return False  # unknown here, or scheduled: RQ's scheduler holds it, not a list
    ttl = declared.result_ttl
    return ttl is None or ttl < 0 or ttl > RESCUE_WINDOW.total_seconds()


def _waiting_ids(connection, name: str) -> set[bytes] | None:
    """Return the ids on a queue's list and its workers' intermediate list; None for a long backlog."""
    queue = Queue(name, connection=connection)
    if connection.llen(queue.key) > _RESCUE_MAX_LIST:
        return None
    return set(connection.lrange(queue.key, 0, -1)) | set(
        connection.lrange(queue.intermediate_queue_key, 0, -1)
    )
