"""RQ job functions: importable, free of request state, each loading ids and calling a service.

Workers run them inside an app context (`flask worker`); in the embedded default and in
tests the queues are synchronous, so a job runs inline where it is enqueued.
"""

from rq import SimpleWorker, Worker

from app.extensions import db, get_queue


def enqueue(queue: str, func, *args, **kwargs):
    """Put `func(*args, **kwargs)` on the named queue; call after the transaction commits."""
    return get_queue(queue).enqueue(func, *args, **kwargs)


class _FreshSession:
    """Give every job a database session of its own, as a request has.

    A worker runs many jobs in one app context: without this they would share one session,
    and one job's open transaction (REPEATABLE READ on MariaDB) would hide from the next what
    was committed since, and a connection the server dropped overnight would fail every job.
    """

    def perform_job(self, job, queue, *args, **kwargs):
        """Run one job between two session resets."""
        db.session.remove()
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            db.session.remove()


class AppWorker(_FreshSession, SimpleWorker):
    """The default worker: jobs in this process (no fork per job), each with a fresh session."""


class AppForkWorker(_FreshSession, Worker):
    """RQ's forking worker, each job with a fresh session (`flask worker --fork`)."""
