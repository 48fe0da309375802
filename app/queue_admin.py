"""What operators see of the RQ queues, and what they may do with failed jobs (console/queues.py).

Each queue's counts and its oldest waiting job, the workers as their heartbeats left them, a
queue's failed jobs without their arguments (they can hold personal data: only the task, the
times and the exception's last line, long digit runs masked), and requeue or delete of failed
jobs. Beside app/queues.py because only these modules and app/tasks touch RQ; every read raises
RedisError when the queue Redis is down, for the caller to say so.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from rq import Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job as QueuedJob

from app.queues import QUEUE_NAMES, get_queue

# Long digit runs (phone and ID numbers) in an exception's message are masked before it is shown.
_DIGITS = re.compile(r"\d{6,}[\dXx]?")
_ERROR_CHARS = 300


@dataclass(frozen=True)
class QueueState:
    """One queue's counts: waiting, started, scheduled, failed, and the oldest waiting job's age."""

    name: str
    waiting: int
    started: int
    scheduled: int
    failed: int
    oldest_waiting_seconds: int | None


@dataclass(frozen=True)
class WorkerState:
    """One RQ worker as its heartbeat left it."""

    name: str
    state: str
    queues: tuple[str, ...]
    current_job_id: str | None
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class FailedJob:
    """A failed job without its arguments: only what says which task failed, when and why."""

    id: str
    func_name: str
    enqueued_at: datetime | None
    ended_at: datetime | None
    error: str


def _aware(moment: datetime | None) -> datetime | None:
    """Return `moment` as aware UTC (RQ's datetimes are naive or aware UTC, by version)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def queue_states(now: datetime | None = None) -> list[QueueState]:
    """Return the counts of every queue; raises RedisError when the queue Redis is down."""
    now = _aware(now) or datetime.now(UTC)
    states = []
    for name in QUEUE_NAMES:
        queue = get_queue(name)
        oldest = None
        first = queue.get_job_ids(0, 1)
        job = QueuedJob.fetch_many(first, connection=queue.connection)[0] if first else None
        if job is not None and job.enqueued_at is not None:
            oldest = max(0, int((now - _aware(job.enqueued_at)).total_seconds()))
        states.append(
            QueueState(
                name=name,
                waiting=queue.count,
                started=queue.started_job_registry.get_job_count(),
                scheduled=queue.scheduled_job_registry.get_job_count(),
                failed=queue.failed_job_registry.get_job_count(),
                oldest_waiting_seconds=oldest,
            )
        )
    return states


def worker_states() -> list[WorkerState]:
    """Return the workers registered on the queue Redis, by name."""
    workers = Worker.all(connection=current_app.extensions["queue_redis"])
    return sorted(
        (
            WorkerState(
                name=worker.name,
                state=getattr(worker.get_state(), "value", str(worker.get_state())),
                queues=tuple(worker.queue_names()),
                current_job_id=worker.get_current_job_id(),
                last_heartbeat=_aware(worker.last_heartbeat),
            )
            for worker in workers
        ),
        key=lambda worker: worker.name,
    )


def _last_line(exc_string: str | None) -> str:
    """Return a traceback's last line (the exception), digit runs masked: never its frames' values."""
    lines = [line for line in (exc_string or "").strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    return _DIGITS.sub("…", last)[:_ERROR_CHARS]


def failed_jobs(queue_name: str, limit: int = 50) -> list[FailedJob]:
    """Return a queue's latest failed jobs (newest first), without their arguments."""
    queue = get_queue(queue_name)
    ids = queue.failed_job_registry.get_job_ids(0, limit - 1, desc=True)
    jobs = []
    for job_id, job in zip(ids, QueuedJob.fetch_many(ids, connection=queue.connection), strict=True):
        if job is None:
            continue  # expired between the two reads
        result = job.latest_result()
        try:
            func_name = job.func_name or ""
        except Exception:  # a job of code since removed cannot be decoded: its id is still shown
            func_name = "?"
        jobs.append(
            FailedJob(
                id=job_id,
                func_name=func_name,
                enqueued_at=_aware(job.enqueued_at),
                ended_at=_aware(job.ended_at),
                error=_last_line(result.exc_string if result is not None else None),
            )
        )
    return jobs


def requeue_failed(queue_name: str, job_id: str) -> bool:
    """Put one failed job back on its queue; False when the queue holds no failed job of that id."""
    registry = get_queue(queue_name).failed_job_registry
    try:
        registry.requeue(job_id)
    except (InvalidJobOperation, NoSuchJobError):
        return False
    return True


def requeue_all_failed(queue_name: str) -> int:
    """Put every failed job of a queue back on it; return how many went back."""
    registry = get_queue(queue_name).failed_job_registry
    return sum(requeue_failed(queue_name, job_id) for job_id in registry.get_job_ids())


def delete_failed(queue_name: str, job_id: str) -> bool:
    """Delete one failed job (its data too); False when the queue holds no failed job of that id."""
    registry = get_queue(queue_name).failed_job_registry
    if job_id not in registry:
        return False
    registry.remove(job_id, delete_job=True)
    return True
