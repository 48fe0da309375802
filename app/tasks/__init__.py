"""RQ tasks: importable, free of request state, each loading ids and calling one service.

Each task is declared on its queue with `@task` (app/queues.py) and enqueued by name from the
services ("push.send_push"). Workers run them inside an app context (`flask worker`); in the
embedded default and in tests the queues are synchronous, so a task runs where it is enqueued.
"""

import redis
from rq import SimpleWorker, Worker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler

from app.extensions import db, redis_log_level
from app.request_log import carrying_request_id


class _FreshSession:
    """Give every job a database session of its own, as a request has.

    A worker runs many jobs in one app context: without this they would share one session,
    and one job's open transaction (REPEATABLE READ on MariaDB) would hide from the next what
    was committed since, and a connection the server dropped overnight would fail every job.
    """

    def perform_job(self, job, queue, *args, **kwargs):
        """Run one job between two session resets, its lines carrying the id of the request that asked."""
        db.session.remove()
        try:
            with carrying_request_id(job.meta.get("request_id")):
                return super().perform_job(job, queue, *args, **kwargs)
        finally:
            db.session.remove()


class SteadyScheduler(RQScheduler):
    """RQ's scheduler, riding out a Redis outage (a restart, a Sentinel failover) instead of exiting.

    RQ's own process exits at its first connection error, and the worker starts it again only
    between two dequeues once its maintenance interval (10 minutes) has passed: until then
    no job enqueued with `at`, and no retry of a failed one, would reach its queue.
    """

    def acquire_locks(self, auto_start=False):
        """Acquire or refresh the queues' locks; while Redis is away, keep those held (asked again)."""
        locks = self._steadily(super().acquire_locks, auto_start)
        return set(self._acquired_locks) if locks is None else locks

    def heartbeat(self):
        """Refresh this scheduler's key and locks; skipped while Redis is away."""
        self._steadily(super().heartbeat)

    def enqueue_scheduled_jobs(self):
        """Move the jobs now due to their queues; skipped while Redis is away."""
        self._steadily(super().enqueue_scheduled_jobs)

    def _steadily(self, step, *args):
        """Run one step of the scheduler's loop; log a connection error instead of dying of it."""
        try:
            return step(*args)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            self.log.log(redis_log_level(error), "Scheduler: Redis unavailable (%s), trying again", error)
            return None


class _SteadyScheduling:
    """Run the worker's scheduler as a SteadyScheduler (RQ 3.0's `_start_scheduler`, with that class)."""

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ):
        """Start the scheduler: in this process once (burst), else in a process of its own."""
        self.scheduler = SteadyScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return  # another worker's scheduler holds the queues
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()


class AppWorker(_FreshSession, _SteadyScheduling, SimpleWorker):
    """The default worker: jobs in this process (no fork per job), each with a fresh session."""


class AppForkWorker(_FreshSession, _SteadyScheduling, Worker):
    """RQ's forking worker, each job with a fresh session (`flask worker --fork`)."""
