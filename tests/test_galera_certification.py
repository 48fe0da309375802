"""A visit that Galera aborts at COMMIT (error 1213) is retried once, on a real 3-node cluster.

Real backend only. The module uses the local Galera cluster of scripts/cluster.sh on
127.0.0.1:3311-3313 (g1-g3): one already Synced there is used and left running; otherwise the
script starts one in a temporary directory and stops it after. The app runs on g1 with a database
of its own. While a visit's transaction holds its household's row on g1, a clerk's edit of that
household commits on g2; g1, applying the clerk's write set, aborts the visit's transaction (a
brute-force abort: the local transaction loses to the one the cluster ordered first) and the
visit's COMMIT answers 1213, word for word what a certification failure answers. The service
must run the visit again: applied once, or 503 database_busy when it happens on both attempts,
with the result on the other nodes. No wsrep setting is needed: wsrep_retry_autocommit only
re-runs single autocommit statements, and the app's units are explicit transactions.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pymysql
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.errors import DEADLOCK, database_error_code
from app.extensions import db
from app.models import Household
from app.services import transactions
from app.services.grid import visits as visit_service
from tests.conftest import _config
from tests.support import assign_directly, error_of, new_household
from tests.test_deadlock_retry import YUZHONG_1, YUZHONG_TOWNSHIP, door_visit, post_visit, written

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "cluster.sh"
HOST = "127.0.0.1"
G1, G2, G3 = 3311, 3312, 3313
REDIS_URL = "redis://127.0.0.1:6379/4"
# Of this run only (another run may use the same cluster at the same time); dropped after.
DATABASE = f"ec_galera_test_{os.getpid()}"
WAIT_SECONDS = 10
# What MariaDB says when Galera aborts a transaction: InnoDB's deadlock message, word for word.
GALERA_ABORT = "Deadlock found when trying to get lock; try restarting transaction"
NEEDED = {
    "galera-4": Path("/usr/lib/galera/libgalera_smm.so"),
    "mariadbd": Path("/usr/sbin/mariadbd"),
    "mariadb-install-db": shutil.which("mariadb-install-db"),
    "mysql": shutil.which("mysql"),
    "rsync": shutil.which("rsync"),
    "haproxy": shutil.which("haproxy"),
}


def connect(port: int, database: str | None = DATABASE, **options) -> pymysql.Connection:
    """Return an autocommit connection as root to one Galera node."""
    return pymysql.connect(
        host=HOST, port=port, user="root", database=database, autocommit=True, connect_timeout=2, **options
    )


def node_state(port: int) -> str | None:
    """Return a node's wsrep_local_state (4 is Synced), or None when nothing answers."""
    try:
        with connect(port, None) as conn, conn.cursor() as cursor:
            cursor.execute("SHOW STATUS LIKE 'wsrep_local_state'")
            row = cursor.fetchone()
    except pymysql.err.OperationalError:
        return None
    return row[1] if row else "not a Galera node"


def g1_status(name: str) -> int:
    """Return one of node g1's global status counters."""
    with connect(G1, None) as conn, conn.cursor() as cursor:
        cursor.execute("SHOW GLOBAL STATUS LIKE %s", (name,))
        return int(cursor.fetchone()[1])


def _run_script(action: str, directory: Path, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT), action, str(directory)],
        env={**os.environ, "CLUSTER_PARTS": "db"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cluster_states(wait_seconds: float) -> list[str | None]:
    """Return g1-g3's states, waiting up to `wait_seconds` for a cluster half up to become Synced."""
    deadline = time.monotonic() + wait_seconds
    while True:
        states = [node_state(port) for port in (G1, G2, G3)]
        if states == ["4"] * 3 or not any(states) or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


@pytest.fixture(scope="module")
def galera(backend):
    """Make sure a Synced 3-node cluster answers on g1-g3: someone's running one, or one started here."""
    if backend == "embedded":
        pytest.skip("Galera certification needs --backend=real (the embedded backend is SQLite)")
    # A node of someone's cluster may be restarting (a failover drill): it rejoins within seconds.
    states = cluster_states(wait_seconds=15)
    if states == ["4"] * 3:
        yield  # someone else's cluster: used, and left running
        return
    if any(states):
        pytest.skip(f"127.0.0.1:3311-3313 answer but are not a Synced Galera cluster ({states}); left alone")
    missing = [name for name, path in NEEDED.items() if not (path and Path(path).exists())]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (`scripts/cluster.sh up` installs them as root)")
    # Not under pytest's own temporary directory: that one is private to us (0700), and when we
    # are root the script runs the nodes as the mysql user, who must reach their data directories.
    directory = Path(tempfile.mkdtemp(prefix="ec-galera-test-"))
    directory.chmod(0o755)
    try:
        started = _run_script("up", directory, timeout=120)
        if started.returncode != 0:
            output = (started.stdout + started.stderr).strip()[-800:]
            pytest.skip(f"scripts/cluster.sh could not start the cluster in {directory}: {output}")
        yield
    finally:
        _run_script("down", directory, timeout=90)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def galera_url(galera):
    """Create this run's database on the cluster; return its URL on g1, and drop it afterwards."""
    with connect(G1, None) as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{DATABASE}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    yield f"mysql+pymysql://root@{HOST}:{G1}/{DATABASE}?charset=utf8mb4"
    with connect(G1, None) as conn, conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{DATABASE}`")


@pytest.fixture(scope="module")
def _built_app(galera_url, fake_wechat):
    """The app on node g1 (migrated there; Galera replicates the DDL) and Redis database 4."""
    app = create_app("testing", _config(galera_url, REDIS_URL, fake_wechat))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app, dict(app.config), dict(app.extensions)


@pytest.fixture
def visit_of(staff_headers, places):
    """A grid worker of 昱中一社区 and a household there not located yet: (headers, household)."""
    account, headers = staff_headers("grid_worker", "township", YUZHONG_TOWNSHIP)
    assign_directly(account, [YUZHONG_1])
    return headers, new_household(YUZHONG_1, [("unemployed", "19900101")])


class Clerk:
    """A clerk on node g2 who edits the visited household's address while the visit's transaction holds it."""

    def __init__(self, household_id: int, rounds: int):
        self.household_id, self.rounds = household_id, rounds
        self.addresses: list[str] = []
        self.errors: list[BaseException] = []

    def hook(self):
        """Return a stand-in for the visit's mark_done that has the clerk's edit land just before COMMIT."""
        real = visit_service.mark_done

        def mark_done(visit):
            done = real(visit)
            if len(self.addresses) < self.rounds:
                # The visit's UPDATE of its household (located at the door) reaches g1 now, so
                # its transaction holds the row when the clerk's write set comes to be applied.
                db.session.flush()
                # The edit waits for the visit's COMMIT: every write of the visit is then on g1,
                # as when two nodes take writes for the same rows at the same time.
                sa.event.listen(db.session.connection(), "commit", self._before_commit, once=True)
            return done

        return mark_done

    def _before_commit(self, _connection) -> None:
        try:
            self.edit()
        except BaseException as error:
            # Reported by the test, not raised into the app's COMMIT: the request would answer a
            # bare 500, and its transaction could keep the household's row locked past the test.
            self.errors.append(error)

    def edit(self) -> None:
        """Commit a new address on g2, and return once g1 has applied it (so the visit is aborted)."""
        address = f"昱中路{len(self.addresses) + 1}号"
        with connect(G2) as conn, conn.cursor() as cursor:
            # g2 applies what g1 committed a moment ago (the household itself) only after g1's
            # COMMIT has returned: the UPDATE first waits for it (2: UPDATE and DELETE statements).
            cursor.execute("SET SESSION wsrep_sync_wait = 2")
            cursor.execute("UPDATE households SET address = %s WHERE id = %s", (address, self.household_id))
            assert cursor.rowcount == 1
        self.addresses.append(address)
        with connect(G1, read_timeout=WAIT_SECONDS) as conn, conn.cursor() as cursor:
            # A causal read (per session; the app never needs one, all its connections go to one
            # node): it waits until g1 has applied the write sets the cluster had committed, the
            # clerk's included. Without it the visit's COMMIT races g1's applier: a certification
            # failure when the COMMIT wins, a brute-force abort when it loses, the same 1213 either
            # way, but which one the tests count (wsrep_local_bf_aborts) would vary.
            cursor.execute("SET SESSION wsrep_sync_wait = 1")
            cursor.execute("SELECT address FROM households WHERE id = %s", (self.household_id,))
            assert cursor.fetchone() == (address,)


@pytest.fixture
def conflicts(monkeypatch):
    """Return a factory: conflicts(household_id, rounds) -> (the Clerk, the errors the retry judged)."""
    judged = []
    real_is_deadlock = transactions.is_deadlock

    def is_deadlock(error):
        judged.append((database_error_code(error), str(getattr(error, "orig", error))))
        return real_is_deadlock(error)

    monkeypatch.setattr(transactions, "is_deadlock", is_deadlock)

    def factory(household_id: int, rounds: int) -> tuple[Clerk, list]:
        clerk = Clerk(household_id, rounds)
        monkeypatch.setattr(visit_service, "mark_done", clerk.hook())
        return clerk, judged

    return factory


def on_g3(client_id: str, household_id: int) -> tuple[int, str | None]:
    """Return (visits of the client id, the household's address) as node g3 holds them."""
    with connect(G3) as conn, conn.cursor() as cursor:
        # g3 applies the others' write sets after they commit: a causal read waits for them.
        cursor.execute("SET SESSION wsrep_sync_wait = 1")
        cursor.execute("SELECT COUNT(*) FROM visits WHERE client_id = %s", (client_id,))
        (visits,) = cursor.fetchone()
        cursor.execute("SELECT address FROM households WHERE id = %s", (household_id,))
        (address,) = cursor.fetchone()
    return visits, address


def test_a_visit_aborted_by_galera_once_is_retried_applied_once_and_replicated(
    client, visit_of, conflicts, caplog
):
    headers, household = visit_of
    clerk, judged = conflicts(household.id, rounds=1)
    aborts = g1_status("wsrep_local_bf_aborts")

    response = post_visit(client, headers, door_visit(household, "galera-once-1"))

    assert clerk.errors == []
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    assert result["result"] == "applied"
    # What the retry caught was Galera's abort, as MariaDB words it, and the app took it for one.
    assert judged == [(DEADLOCK, f"({DEADLOCK}, '{GALERA_ABORT}')")]
    assert g1_status("wsrep_local_bf_aborts") >= aborts + 1
    assert "deadlock in _one_visit: retrying it once from its start" in caplog.text
    # One visit, one push intent, the household located; the clerk's address kept; on g3 as well.
    assert written("galera-once-1", household.id) == (1, 1, True)
    [address] = clerk.addresses
    assert db.session.scalar(sa.select(Household.address).where(Household.id == household.id)) == address
    assert on_g3("galera-once-1", household.id) == (1, address)


def test_a_visit_aborted_by_galera_twice_answers_database_busy_with_nothing_written(
    client, visit_of, conflicts, caplog
):
    headers, household = visit_of
    clerk, judged = conflicts(household.id, rounds=2)

    response = post_visit(client, headers, door_visit(household, "galera-twice-1"))

    assert clerk.errors == []
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert error_of(response)["code"] == "database_busy"
    assert judged == [(DEADLOCK, f"({DEADLOCK}, '{GALERA_ABORT}')")] * 2
    assert "deadlock again in _one_visit: answering database_busy" in caplog.text
    assert written("galera-twice-1", household.id) == (0, 0, False)
    assert on_g3("galera-twice-1", household.id) == (0, clerk.addresses[-1])
    # Sent again once the clerk is done, it is applied.
    later = post_visit(client, headers, door_visit(household, "galera-twice-1"))
    assert later.get_json()["results"][0]["result"] == "applied"
    assert on_g3("galera-twice-1", household.id) == (1, clerk.addresses[-1])
