"""RQ plumbing: queues by purpose, tasks declared on their queue, and the one way to enqueue them.

A task (a function in `app/tasks/`) is declared with `@task(queue, …)`, which files it under its
name, "<module>.<function>" (e.g. "push.send_push"). Services enqueue a task by that name, so
they import neither `app.tasks` (which sits above them and calls them) nor RQ:

- `enqueue_after_commit(name, *args)`, the usual way: the task goes on its queue once the
  session's transaction commits, and not at all if it rolls back. Call it before the commit of
  the change it follows. A queue that cannot be reached then is logged, never raised: the change
  stands and the caller is not failed for a side effect.
- `enqueue(name, *args, at=None)` and `enqueue_many(name, args_list)`, at once, raising when the
  queue is down: for code that has committed its own work and wants that failure to count, such
  as a task enqueueing its follow-ups (RQ then retries the task), and the command line.

With RQ_ASYNC off (the embedded default, the tests) a task runs where it is enqueued; one
enqueued after a commit runs in an app context of its own, so with its own database session, as
it would on a worker (the committing session can run no SQL inside its own commit).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from rq import Queue, Retry
from rq.job import Job as QueuedJob
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db

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


def enqueue(name, *args, at: datetime | None = None) -> QueuedJob:
    """Put task `name` on its queue now (at `at`, naive UTC, when given); raises if the queue is down."""
    declared = _declared(name)
    queue = get_queue(declared.queue)
    if at is not None:
        moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        return queue.enqueue_at(moment, declared.func, *args, **declared.options())
    return queue.enqueue(declared.func, *args, **declared.options())


def enqueue_many(name, args_list: list[tuple]) -> None:
    """Put many runs of task `name` on its queue now, in a few round trips; raises if the queue is down."""
    declared = _declared(name)
    queue = get_queue(declared.queue)
    options = declared.options()
    for start in range(0, len(args_list), _MANY_CHUNK):
        queue.enqueue_many(
            [
                Queue.prepare_data(declared.func, args, **options)
                for args in args_list[start : start + _MANY_CHUNK]
            ]
        )


def enqueue_after_commit(name, *args) -> None:
    """Enqueue task `name` once this session's transaction commits (never, if it rolls back)."""
    _declared(name)  # an unknown name fails here, in the caller, not silently after the commit
    session = db.session()
    if not session.in_transaction():
        _send([(name, args)])  # nothing waits to be committed
        return
    session.info.setdefault(_PENDING, []).append((name, args))


def _send(pending: list[tuple]) -> None:
    """Enqueue tasks whose change is committed; log (never raise) what cannot be enqueued."""
    for name, args in pending:
        try:
            if current_app.config["RQ_ASYNC"]:
                enqueue(name, *args)
            else:
                # Run inline, as a worker would: in an app context (so a session) of its own.
                with current_app.app_context():
                    enqueue(name, *args)
        except Exception:  # the change stands; the lost task is logged
            log.exception("could not enqueue %s%s after the commit", name, args)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """Enqueue what waited for this commit."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        _send(pending)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Forget the tasks of a transaction that ended without a commit (a commit took its own)."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
