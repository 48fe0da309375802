"""RQ plumbing: queues by purpose, tasks declared on their queue, and the one way to enqueue them.

A task (a function in `app/tasks/`) is declared with `@task(queue, …)`, which files it under its
name, "<module>.<function>" (e.g. "push.send_push"). Services enqueue a task by that name, so
they import neither `app.tasks` (which sits above them and calls them) nor RQ:

- `enqueue_after_commit(name, *args)`, the usual way: the task's intent is written as a row of
  the outbox (app/models/outbox.py) in the session's transaction, so it exists exactly when the
  change does (a rollback leaves neither). Once the transaction commits the task goes on its
  queue and the row is marked enqueued. Should the queue be unreachable then, that is logged,
  never raised (the change stands and the caller is not failed for a side effect), and the
  periodic `flush_outbox` (task `maintenance.flush_outbox`) enqueues the row once the queue is
  back. Call it before the commit of the change it follows; its arguments must be JSON values.
- `enqueue(name, *args, at=None)` and `enqueue_many(name, args_list)`, at once, raising when the
  queue is down: for code that has committed its own work and wants that failure to count, such
  as a task enqueueing its follow-ups (RQ then retries the task), and the command line.

Every job enqueued while a request runs carries the request's id in its RQ meta
(`job.meta["request_id"]`, the id and nothing else: the meta is readable by whoever reads the
queue), and so does a job enqueued by a running job that carries one; the worker (app/tasks)
makes it the current request id for the job's run, so the job's log lines carry it
(app/request_log.py). A job enqueued after a commit gets it from the request the commit ended;
the outbox row keeps it too, so one the periodic flush or the rescue enqueues later has it.

With RQ_ASYNC off (the embedded default, the tests) a task runs where it is enqueued; one
enqueued after a commit runs in an app context of its own, so with its own database session, as
it would on a worker (the committing session can run no SQL inside its own commit).

The outbox is generic: any declared task can go through it, and the provincial exchange (a later
issue) reuses it for its deliveries. Its guarantees:
- nothing a committed change asked for is lost: a row not enqueued is retried by every flush
  (`OUTBOX_FLUSH_DELAY_SECONDS` after its commit, so the commit's own try normally wins);
- a row is enqueued by one process at a time: the committing process owns a new row for
  `OUTBOX_CLAIM_SECONDS` (it is written claimed), the flush takes a row only with a conditional
  UPDATE of that lease, and each row's RQ job has a stable id (`outbox-<id>`) enqueued with
  RQ's `unique`, so a second enqueue of a job still known to RQ is refused;
- a job the queue's Redis lost in a failover (asynchronous replication; a worker's BLPOP as the
  primary died; a worker quitting mid-job) is enqueued again by app/queue_rescue.py, run with the flush;
- what is left is at-least-once, not exactly-once: a process that dies between enqueueing and
  marking the row, with the job already gone from RQ when the lease ends, has it enqueued again.
  Every task enqueued this way is safe to repeat (push rows are unique, a send claims its row);
  a new one must be too.
Done rows are deleted `OUTBOX_RETENTION_DAYS` after they were enqueued (`purge_outbox`).

What operators see of the queues and do with failed jobs is app/queue_admin.py.

Long because the outbox's two halves (written at the commit, flushed when the queue was down) share
one row's life and one set of guarantees: read together. Its rescue after a failover of the queue's
Redis is app/queue_rescue.py.
"""

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job as QueuedJob
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import OutboxTask
from app.request_log import carrying_request_id, current_request_id

log = logging.getLogger(__name__)

QUEUE_NAMES = ("default", "push", "exchange")
# Where a session keeps the tasks waiting for its commit.
_PENDING = "tasks_after_commit"
# enqueue_many sends this many jobs to Redis per round trip.
_MANY_CHUNK = 1000


@dataclass(frozen=True)
class Task:
    """A declared task: its function, its queue, and how RQ treats it."""

    func: Callable
    queue: str
    # An RQ Retry, or a callable returning one (or None) when it depends on the config.
    retry: Retry | Callable[[], Retry | None] | None = None
    # Seconds RQ keeps a finished job (0: delete it at once); None: RQ's default.
    result_ttl: int | None = None

    def options(self) -> dict:
        """Return the enqueue options of this task."""
        retry = self.retry if isinstance(self.retry, Retry) or self.retry is None else self.retry()
        options: dict = {}
        if retry is not None:
            options["retry"] = retry
        if self.result_ttl is not None:
            options["result_ttl"] = self.result_ttl
        return options


TASKS: dict[str, Task] = {}


def task(queue: str, retry=None, result_ttl: int | None = None):
    """Declare an RQ task on its queue; it is enqueued by name, "<module>.<function>"."""
    if queue not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {queue!r}")

    def declare(func: Callable) -> Callable:
        name = f"{func.__module__.rpartition('.')[2]}.{func.__name__}"
        TASKS[name] = Task(func, queue, retry, result_ttl)
        func.task_name = name
        return func

    return declare


def get_queue(name: str = "default") -> Queue:
    """Return the RQ queue `name`; jobs run inline when RQ_ASYNC is off (embedded mode)."""
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(
        name,
        connection=current_app.extensions["queue_redis"],
        is_async=current_app.config["RQ_ASYNC"],
    )


def _declared(name_or_func) -> Task:
    """Return the task of a name (or of a task function); LookupError for an unknown one."""
    name = getattr(name_or_func, "task_name", name_or_func)
    try:
        return TASKS[name]
    except KeyError:
        raise LookupError(f"no task {name!r}: tasks are declared with @task in app/tasks/") from None


def _with_request_id(options: dict) -> str | None:
    """Put the current request's id (or the running job's carried one) in a job's RQ meta; return it.

    The id only: the meta is visible to whoever reads the queue, so nothing personal goes there.
    """
    carried = current_request_id()
    if carried is not None:
        options["meta"] = {"request_id": carried}
    return carried


def enqueue(name, *args, at: datetime | None = None, job_id: str | None = None) -> QueuedJob:
    """Put task `name` on its queue now (at `at`, naive UTC, when given); raises if the queue is down.

    With `job_id` the job is enqueued only if RQ knows no job of that id (DuplicateJobError).
    """
    declared = _declared(name)
    queue = get_queue(declared.queue)
    options = declared.options()
    if job_id is not None:
        options.update(job_id=job_id, unique=True)
    carried = _with_request_id(options)
    # Carried while enqueueing too: an inline queue (RQ_ASYNC off) runs the job right here.
    with carrying_request_id(carried):
        if at is not None:
            moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at
            return queue.enqueue_at(moment, declared.func, *args, **options)
        return queue.enqueue(declared.func, *args, **options)


def enqueue_many(name, args_list: list[tuple]) -> None:
    """Put many runs of task `name` on its queue now, in a few round trips; raises if the queue is down."""
    declared = _declared(name)
    queue = get_queue(declared.queue)
    options = declared.options()
    carried = _with_request_id(options)
    with carrying_request_id(carried):  # an inline queue runs the jobs right here
        for start in range(0, len(args_list), _MANY_CHUNK):
            queue.enqueue_many(
                [
                    Queue.prepare_data(declared.func, args, **options)
                    for args in args_list[start : start + _MANY_CHUNK]
                ]
            )


def enqueue_after_commit(name, *args, at: datetime | None = None) -> None:
    """Enqueue task `name` once this session's transaction commits (never, if it rolls back).

    The intent is a row of the outbox written in the same transaction; `at` (naive UTC) holds
    the task until then. Outside a transaction the row is committed (and enqueued) at once.
    """
    _declared(name)  # an unknown name fails here, in the caller, not silently after the commit
    json.dumps(args)  # so do arguments the row cannot hold
    session = db.session()
    outside = not session.in_transaction()
    claim = timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    # Written claimed: the flush leaves it to this process until the lease ends.
    row = OutboxTask(
        task=name,
        args=list(args),
        not_before=at,
        claimed_until=utcnow() + claim,
        request_id=current_request_id(),
    )
    session.add(row)
    session.info.setdefault(_PENDING, []).append((row, name, args, at))
    if outside:
        session.commit()


def outbox_job_id(outbox_id: int) -> str:
    """Return the RQ job id of an outbox row: the same for every try, so RQ refuses a second."""
    return f"outbox-{outbox_id}"


def _enqueue_row(outbox_id: int, name: str, args, at: datetime | None, request_id: str | None) -> None:
    """Enqueue an outbox row's task (inline: run it in a session of its own); a repeat is a no-op.

    Under the id of the request that wrote the row (`request_id`; None: the current one's),
    whoever enqueues it and whenever.
    """
    at = at if at is not None and at > utcnow() else None
    try:
        with carrying_request_id(request_id) if request_id else contextlib.nullcontext():
            if current_app.config["RQ_ASYNC"]:
                enqueue(name, *args, at=at, job_id=outbox_job_id(outbox_id))
            else:
                # Run inline, as a worker would: in an app context (so a session) of its own.
                with current_app.app_context():
                    enqueue(name, *args, at=at, job_id=outbox_job_id(outbox_id))
    except DuplicateJobError:
        pass  # enqueued before by a try that died before marking the row: it is there


def _mark_enqueued(outbox_id: int) -> None:
    """Record that a row's task is on its queue (done)."""
    db.session.execute(
        sa.update(OutboxTask)
        .where(OutboxTask.id == outbox_id)
        .values(enqueued_at=utcnow(), claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _release(outbox_id: int, error: Exception, retry_at: datetime | None) -> None:
    """Give a row back after a failed try, counting it; the flush takes it again from `retry_at`."""
    try:
        db.session.rollback()
        db.session.execute(
            sa.update(OutboxTask)
            .where(OutboxTask.id == outbox_id, OutboxTask.enqueued_at.is_(None))
            .values(
                claimed_until=retry_at,
                attempts=OutboxTask.attempts + 1,
                last_error=f"{error.__class__.__name__}: {error}"[:255],
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except Exception:  # the database too: the lease runs out by itself
        db.session.rollback()
        log.exception("could not record the failed enqueue of outbox row %s", outbox_id)


def _send(pending: list[tuple]) -> None:
    """Enqueue the outbox rows of a committed change; log (never raise) what cannot be enqueued."""
    # A session of its own: the committing one can run no SQL inside its own commit.
    with current_app.app_context():
        for row, name, args, at in pending:
            identity = sa.inspect(row).identity
            if identity is None:  # added inside a savepoint that rolled back
                continue
            outbox_id = identity[0]
            try:
                _enqueue_row(outbox_id, name, args, at, None)  # right after the commit: the request's id
            except Exception as exc:  # the change stands; the flush enqueues the row later
                log.warning(
                    "could not enqueue %s%s after the commit (outbox row %s): %r", name, args, outbox_id, exc
                )
                _release(outbox_id, exc, None)
                continue
            try:
                _mark_enqueued(outbox_id)
            except Exception:  # enqueued all the same; the flush finds RQ has it and marks it
                db.session.rollback()
                log.exception("could not mark outbox row %s enqueued", outbox_id)


def _claim(outbox_id: int, now: datetime) -> OutboxTask | None:
    """Take a row for the flush with a conditional UPDATE; None when someone else holds it or it is done."""
    claim = timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    result = db.session.execute(
        sa.update(OutboxTask)
        .where(
            OutboxTask.id == outbox_id,
            OutboxTask.enqueued_at.is_(None),
            sa.or_(OutboxTask.claimed_until.is_(None), OutboxTask.claimed_until <= now),
        )
        .values(claimed_until=now + claim)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(OutboxTask, outbox_id)


def flush_outbox(limit: int = 500) -> int:
    """Enqueue the outbox rows that their commit could not (the queue was down), oldest first.

    Each row is claimed first, so two flushes, or a flush and a commit's own try, never both
    enqueue it. Stops at the first queue error (the queue is still down). Returns how many
    rows were enqueued.
    """
    delay = timedelta(seconds=current_app.config["OUTBOX_FLUSH_DELAY_SECONDS"])
    now = utcnow()
    ids = db.session.scalars(
        sa.select(OutboxTask.id)
        .where(
            OutboxTask.enqueued_at.is_(None),
            OutboxTask.created_at <= now - delay,
            sa.or_(OutboxTask.claimed_until.is_(None), OutboxTask.claimed_until <= now),
        )
        .order_by(OutboxTask.id)
        .limit(limit)
    ).all()
    db.session.commit()
    enqueued = 0
    for outbox_id in ids:
        row = _claim(outbox_id, now)
        if row is None:
            continue
        name, args, at = row.task, row.args, row.not_before
        try:
            _enqueue_row(outbox_id, name, args, at, row.request_id)
        except Exception as exc:
            log.warning("outbox row %s (%s) still cannot be enqueued: %r", outbox_id, name, exc)
            _release(outbox_id, exc, utcnow() + max(delay, timedelta(seconds=30)))
            if isinstance(exc, RedisError):
                break  # the queue is down: the next flush tries again
            continue
        _mark_enqueued(outbox_id)
        enqueued += 1
    return enqueued


def purge_outbox(older_than_days: int | None = None) -> int:
    """Delete outbox rows enqueued more than OUTBOX_RETENTION_DAYS (or `older_than_days`) ago."""
    days = current_app.config["OUTBOX_RETENTION_DAYS"] if older_than_days is None else older_than_days
    result = db.session.execute(
        sa.delete(OutboxTask).where(OutboxTask.enqueued_at < utcnow() - timedelta(days=days))
    )
    db.session.commit()
    return result.rowcount


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """Enqueue what waited for this commit."""
    # SQLAlchemy calls this for a savepoint's release too (begin_nested): the transaction is
    # still open then, so its rows are not yet visible and its locks still held. Only the
    # outermost commit sends (an inline task would otherwise wait on this very transaction).
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        _send(pending)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Forget the tasks of a transaction that ended without a commit (a commit took its own)."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
