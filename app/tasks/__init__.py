"""RQ tasks: importable, free of request state, each loading ids and calling one service.

Each task is declared on its queue with `@task` (app/queues.py) and enqueued by name from the
services ("push.send_push"). Workers run them inside an app context (`flask worker`); in the
embedded default and in tests the queues are synchronous, so a task runs where it is enqueued.
"""

from rq import SimpleWorker, Worker

from app.extensions import db
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


class AppWorker(_FreshSession, SimpleWorker):
    """The default worker: jobs in this process (no fork per job), each with a fresh session."""


class AppForkWorker(_FreshSession, Worker):
    """RQ's forking worker, each job with a fresh session (`flask worker --fork`)."""
