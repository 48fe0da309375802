"""The pool's round trips (app/db_pool.py): no ROLLBACK after a commit, no stale snapshot, idle ones pinged.

Each test builds an engine of its own on the run's database with the app's pool checks, so it
can choose the idle window and take connections apart without touching the app's pool.
"""

import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db_pool import install_pool_checks

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def engine_for(database_url):
    """Return a maker of engines on the test database with the pool checks and a given idle window."""
    made = []

    def make(idle_seconds: float = 1.0) -> sa.Engine:
        engine = sa.create_engine(database_url, pool_reset_on_return=None, pool_size=1, max_overflow=0)
        install_pool_checks(engine, idle_seconds)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def scratch(engine_for):
    """A table of its own, dropped afterwards."""
    engine = engine_for()
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS pool_scratch")
        connection.exec_driver_sql("CREATE TABLE pool_scratch (n INTEGER)")
    yield
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE pool_scratch")


@pytest.fixture
def real(backend):
    if backend != "real":
        pytest.skip("counts MariaDB's own statements and kills its connections")


def session_status(connection, name: str) -> int:
    """Return one of MariaDB's counters of this connection's statements."""
    return int(connection.exec_driver_sql(f"SHOW SESSION STATUS LIKE '{name}'").one()[1])


def test_a_committed_session_goes_back_without_a_rollback(real, engine_for):
    engine = engine_for()
    with engine.connect() as connection:
        before = session_status(connection, "Com_rollback")
        connection.commit()
    for _ in range(3):
        with Session(engine) as session:
            session.execute(sa.text("SELECT 1"))
            session.commit()  # gives the connection back: a ROLLBACK more was SQLAlchemy's default
    with engine.connect() as connection:
        assert session_status(connection, "Com_rollback") == before


def test_a_connection_given_back_mid_transaction_is_rolled_back(scratch, engine_for):
    engine = engine_for()
    raw = engine.raw_connection()  # statements the engine never sees: only the driver can tell
    raw.cursor().execute("INSERT INTO pool_scratch (n) VALUES (1)")
    raw.close()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM pool_scratch").scalar() == 0


def test_a_read_left_open_leaves_no_stale_snapshot(real, scratch, engine_for):
    engine, other = engine_for(), engine_for()
    with engine.connect() as connection:
        connection.commit()  # the connection's last word a commit, as after any committed request
    raw = engine.raw_connection()
    raw.cursor().execute("SELECT COUNT(*) FROM pool_scratch")  # REPEATABLE READ: a snapshot from here
    raw.close()
    with other.begin() as connection:
        connection.exec_driver_sql("INSERT INTO pool_scratch (n) VALUES (1)")
    with engine.connect() as connection:  # the same connection again (a pool of one)
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM pool_scratch").scalar() == 1


def test_a_failed_statement_is_rolled_back_on_return(scratch, engine_for):
    engine = engine_for()
    with engine.connect() as connection:
        connection.exec_driver_sql("INSERT INTO pool_scratch (n) VALUES (1)")
        with pytest.raises(sa.exc.DBAPIError):
            connection.exec_driver_sql("INSERT INTO no_such_table (n) VALUES (1)")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM pool_scratch").scalar() == 0


def kill_pooled_connection(engine: sa.Engine, other: sa.Engine) -> None:
    """End the server side of the engine's one pooled connection, as a database restart would."""
    with engine.connect() as connection:
        connection_id = connection.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
        connection.commit()
    with other.connect() as connection:
        connection.exec_driver_sql(f"KILL {connection_id}")


def test_an_idle_connection_that_died_is_replaced(real, engine_for):
    engine = engine_for(idle_seconds=0.05)
    kill_pooled_connection(engine, engine_for())
    time.sleep(0.1)
    with engine.connect() as connection:  # pinged, found dead, replaced: the caller never knows
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1


def test_a_connection_used_a_moment_ago_is_not_pinged(real, engine_for):
    engine = engine_for(idle_seconds=60)
    kill_pooled_connection(engine, engine_for())
    # Within the window nothing is checked: the dead connection fails its statement, and is
    # reported as a disconnect (the API's 503 database_unavailable) and dropped.
    with engine.connect() as connection:
        with pytest.raises(sa.exc.DBAPIError) as failed:
            connection.exec_driver_sql("SELECT 1")
        connection.rollback()
    assert failed.value.connection_invalidated
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
