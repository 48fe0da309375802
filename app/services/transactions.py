"""Retry once a transaction the database chose as a deadlock victim (InnoDB) or failed to certify (Galera).

Both answer error 1213, at any statement or at COMMIT, having rolled the whole transaction back.
Running the unit again from its start is then safe, and usually succeeds, when the unit is the
whole transaction and nothing left the database before the failure. So `retry_on_deadlock` is
only for a function that:
- begins its transaction (what the session held before is rolled back with it) and commits at
  its end, once;
- sends nothing outside the database before that commit: no Redis number kept, no HTTP call, no
  job enqueued at once (`enqueue_after_commit` is fine: its outbox row and its after-commit send
  go with the rolled-back transaction, so the retry enqueues once);
- finds its own earlier write by a unique key (a client_id) if the failure came after a commit
  that did land;
- is not called inside another open transaction (a wrapped unit called by a wrapped unit runs
  as part of the outer one, which alone retries).
A second 1213 answers 503 `database_busy` with Retry-After: the client sends it again later.
"""

import functools
import logging
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from app.errors import DEADLOCK, database_busy, database_error_code
from app.extensions import db

log = logging.getLogger(__name__)
# Set in the session while a wrapped unit runs: a unit called by another is part of its transaction.
_IN_UNIT = "retry_on_deadlock_unit"


def is_deadlock(error: BaseException) -> bool:
    """Return whether a database error is a deadlock or a Galera certification failure (1213)."""
    return isinstance(error, DBAPIError) and database_error_code(error) == DEADLOCK


def retry_on_deadlock(func: Callable) -> Callable:
    """Run a one-transaction service function again, once, when the database aborts it with 1213."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        info = db.session.info
        if info.get(_IN_UNIT):
            return func(*args, **kwargs)  # the outer unit retries the whole transaction, not this part
        info[_IN_UNIT] = True
        try:
            return _twice(func, args, kwargs)
        finally:
            info.pop(_IN_UNIT, None)

    return run


def _twice(func: Callable, args, kwargs):
    """Run `func`; on a 1213 roll back and run it once more; on a second, raise database_busy."""
    for attempt in (1, 2):
        try:
            return func(*args, **kwargs)
        except DBAPIError as error:
            if not is_deadlock(error):
                raise
            # Drops the session's state and the attempt's after-commit tasks (app/queues.py).
            db.session.rollback()
            if attempt == 2:
                log.warning("deadlock again in %s: answering database_busy", func.__qualname__)
                raise database_busy() from error
            log.warning("deadlock in %s: retrying it once from its start", func.__qualname__)
