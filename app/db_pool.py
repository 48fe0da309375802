"""The database pool's own round trips: a ping only after idling, a rollback only when one is open.

SQLAlchemy's defaults for a safe pool (`pool_pre_ping`, and a ROLLBACK whenever a connection goes
back) cost every request a ping and a ROLLBACK beyond its own statements, and a check-in two of
each: a Session gives its connection back at each commit and takes it again at the next
statement. On MariaDB a check-in made 12 round trips for its 8 statements (docs/PERFORMANCE.md).
This module keeps both guarantees where they matter and drops them where they cannot:
- A connection taken after lying idle DATABASE_PING_IDLE_SECONDS or longer is pinged first and
  replaced when the ping fails, as pool_pre_ping did. One given back more recently was answering
  a moment ago (HikariCP skips its check the same way, within 500 ms). Should it have died in
  that moment, its request answers 503 `database_unavailable` (app/errors.py) and SQLAlchemy
  drops the pool's older connections with it.
- A connection given back is rolled back unless its last word was a commit or a rollback (after
  it was taken, and after every statement and error on it) and the driver confirms that no
  transaction is open: sqlite3 says so itself (`in_transaction`), PyMySQL keeps the status flags
  of the server's last OK reply (a COMMIT's among them). A driver that says neither is always
  rolled back.
"""

import time

import sqlalchemy as sa
from pymysql.constants import SERVER_STATUS

# In the connection record's info, which lives as long as its DBAPI connection: the monotonic
# time it was last given back, and whether it was taken, ran a statement or failed since its last
# commit or rollback (taken: what runs on it may bypass the engine, as a raw cursor does).
RETURNED_AT = "db_pool_returned_at"
UNFINISHED = "db_pool_unfinished"


def install_pool_checks(engine: sa.Engine, idle_seconds: float) -> None:
    """Ping idle connections when taken and roll back open transactions when given back (module docstring)."""
    # On the engine, not its pool: dispose() makes a new pool that keeps the engine's listeners.
    sa.event.listen(engine, "checkout", _taken)
    sa.event.listen(engine, "before_cursor_execute", _ran)
    sa.event.listen(engine, "handle_error", _failed)
    sa.event.listen(engine, "commit", _finished)
    sa.event.listen(engine, "rollback", _finished)
    sa.event.listen(engine, "checkin", _given_back)
    sa.event.listen(engine, "reset", _reset)
    if engine.dialect.name != "sqlite":  # a file or memory: nothing between us to go away
        sa.event.listen(engine, "checkout", _pinger(engine.dialect, idle_seconds))


def _taken(_dbapi_connection, record, _proxy) -> None:
    record.info[UNFINISHED] = True


def _ran(connection, *_args) -> None:
    connection.info[UNFINISHED] = True


def _failed(context) -> None:
    if context.connection is not None and not context.connection.invalidated:
        context.connection.info[UNFINISHED] = True


def _finished(connection) -> None:
    if not connection.invalidated:  # a lost connection's rollback: its record is dropped anyway
        connection.info[UNFINISHED] = False


def _given_back(_dbapi_connection, record) -> None:
    if record is not None:
        record.info[RETURNED_AT] = time.monotonic()


def transaction_open(dbapi_connection, info: dict) -> bool:
    """Return whether a transaction may be open on a DBAPI connection (True when it cannot tell)."""
    in_transaction = getattr(dbapi_connection, "in_transaction", None)
    if isinstance(in_transaction, bool):  # sqlite3 knows
        return in_transaction
    status = getattr(dbapi_connection, "server_status", None)
    if status is None or info.get(UNFINISHED, True):
        # PyMySQL reads the flags from OK replies only: after a SELECT they are a reply older than it.
        return True
    return bool(status & SERVER_STATUS.SERVER_STATUS_IN_TRANS)


def _reset(dbapi_connection, record, state) -> None:
    """Roll back a connection given back with a transaction open (pool_reset_on_return is None)."""
    if state.terminate_only or state.transaction_was_reset:
        return  # being closed, or SQLAlchemy rolled it back already
    info = record.info if record is not None else {}  # a detached connection has no record
    if transaction_open(dbapi_connection, info):
        dbapi_connection.rollback()
        info[UNFINISHED] = False


def _pinger(dialect, idle_seconds: float):
    """Return the checkout listener that pings a connection idle for `idle_seconds` or longer."""

    def checkout(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get(RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return  # just connected, or given back a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool closes this one and connects again (up to three times) before giving up.
            raise sa.exc.DisconnectionError(f"ping after {idle_seconds:g} s idle failed: {error}") from error

    return checkout
