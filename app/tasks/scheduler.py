"""The embedded scheduler: scheduled work run by a thread of the API process, for `make run`.

In the embedded mode (development config, no REDIS_URL) the queues live on an in-process
fakeredis and tasks run inline where they are enqueued: no `flask worker` holds RQ's scheduler
(which releases quiet-hour pushes at 08:00) and no `flask cron` runs the maintenance SCHEDULE
(outbox flush, push sweeper, expiry, purges). This thread does both, every
EMBEDDED_SCHEDULER_SECONDS: it runs the jobs of RQ's scheduled registries once due, then each
SCHEDULE task when its interval has passed (each once at the start, as `flask cron` does). It
must live in the API process, the only one that sees that fakeredis.

With EMBEDDED_SCHEDULER on (DevelopmentConfig without REDIS_URL) create_app arranges for it to
start on the first request the server answers, so `flask` commands never start it; tests start
one with `EmbeddedScheduler(app, …).start()`.
"""

import logging
import threading
import time

from flask import Flask
from rq.exceptions import NoSuchJobError
from rq.job import Job as QueuedJob

from app.queues import QUEUE_NAMES, enqueue, get_queue

log = logging.getLogger(__name__)


class EmbeddedScheduler:
    """A daemon thread running due scheduled jobs and the SCHEDULE tasks inside this process."""

    def __init__(self, app: Flask, interval: float, schedule=None):
        self.app = app
        self.interval = interval
        # (task name, seconds) pairs; None: app/tasks/maintenance.py's SCHEDULE, read when first run.
        self.schedule = None if schedule is None else tuple(schedule)
        self.next_runs: dict[str, float] = {}
        self.started = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start the thread unless it runs already; return whether this call started it."""
        if self.started:  # the per-request check, without the lock
            return False
        with self._lock:
            if self.started:
                return False
            self.started = True
            self._thread = threading.Thread(target=self._loop, name="embedded-scheduler", daemon=True)
            self._thread.start()
        log.info("embedded scheduler started (every %s s)", self.interval)
        return True

    def start_on_request(self) -> None:
        """Start the thread on the first request (a Flask before_request hook: returns nothing)."""
        self.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after its current round."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        """Run a round, then wait the interval, until stopped."""
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:  # keep the thread alive: the next round tries again
                log.exception("embedded scheduler round failed")
            self._stop.wait(self.interval)

    def run_due(self, now: float | None = None) -> list[str]:
        """Run what is due: scheduled jobs, then the SCHEDULE tasks whose time came; return what ran."""
        now = time.time() if now is None else now
        if self.schedule is None:
            from app.tasks.maintenance import SCHEDULE  # not at create_app: commands import less

            self.schedule = SCHEDULE
        ran = self._release_scheduled(now)
        for name, seconds in self.schedule:
            if self.next_runs.get(name, now) > now:
                continue
            self.next_runs[name] = now + seconds
            # Each task in an app context, so a database session, of its own, as on a worker.
            with self.app.app_context():
                try:
                    job = enqueue(name)  # inline in the embedded mode
                except Exception:
                    log.exception("embedded scheduler: could not run %s", name)
                    continue
            if job.is_failed:  # RQ kept the error in the job, as a worker would
                result = job.latest_result()
                log.warning("embedded scheduler: %s failed: %s", name, result.exc_string if result else "")
            else:
                ran.append(name)
        return ran

    def _release_scheduled(self, now: float) -> list[str]:
        """Run the jobs of every queue's scheduled registry that are due (as RQ's scheduler would)."""
        ran = []
        with self.app.app_context():
            for name in QUEUE_NAMES:
                queue = get_queue(name)
                registry = queue.scheduled_job_registry
                for job_id in registry.get_jobs_to_schedule(int(now)):
                    registry.remove(job_id)
                    try:
                        job = QueuedJob.fetch(job_id, connection=queue.connection)
                    except NoSuchJobError:
                        continue
                    with self.app.app_context():
                        queue.enqueue_job(job)  # runs it here when the queue is inline
                    ran.append(job.func_name)
        return ran


def start_on_first_request(app: Flask) -> EmbeddedScheduler:
    """Make the app start an embedded scheduler on the first request it serves."""
    scheduler = EmbeddedScheduler(app, app.config["EMBEDDED_SCHEDULER_SECONDS"])
    app.extensions["embedded_scheduler"] = scheduler
    app.before_request(scheduler.start_on_request)
    return scheduler
