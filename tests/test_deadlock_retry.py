"""A write the database aborts with 1213 (a deadlock; Galera's certification failure) is retried once.

On MariaDB a second connection locks rows in the opposite order to a visit's transaction, so
InnoDB makes the visit its victim: the visit is applied once all the same (its retry), or, when
that happens twice, the answer is 503 database_busy with nothing of it written. The embedded
backend (SQLite, no row locks, no deadlocks) checks the same paths with a real PyMySQL 1213
raised inside the transaction.
"""

import threading
from datetime import UTC, datetime

import pymysql
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Application, AuditEvent, Household, OutboxTask, Visit
from app.services.grid import visits as visit_service
from app.services.people import audit
from app.services.transactions import retry_on_deadlock
from tests.support import assign_directly, error_of, new_household

YUZHONG_1, YUZHONG_TOWNSHIP = "341002002001", "341002002000"
DOOR = (29.7170, 118.3190)  # the centre of 昱中一社区
# How long a side waits for the other; far above what a lock wait takes.
WAIT_SECONDS = 10
LOCK = sa.text("SELECT id FROM households WHERE id = :id FOR UPDATE")


@pytest.fixture
def worker(staff_headers, places):
    """A grid worker of 昱中一社区: (account, headers)."""
    account, headers = staff_headers("grid_worker", "township", YUZHONG_TOWNSHIP)
    assign_directly(account, [YUZHONG_1])
    return account, headers


@pytest.fixture
def homes(worker):
    """Two households of 昱中一社区, neither located yet: (the visited one, another)."""
    visited = new_household(YUZHONG_1, [("unemployed", "19900101")])
    other = new_household(YUZHONG_1, [("employed", "19850101")])
    return visited, other


def door_visit(household: Household, client_id: str) -> dict:
    """Return a met door visit recording a need (so it locates the household and enqueues a push)."""
    return {
        "client_id": client_id,
        "visited_at": datetime.now(UTC).isoformat(),
        "household_id": household.id,
        "outcome": "met",
        "channel": "door",
        "lat": DOOR[0],
        "lng": DOOR[1],
        "members": [{"resident_id": household.members[0].id, "needs": ["job"]}],
    }


def post_visit(client, headers, item: dict):
    """POST a batch of one visit; return the response."""
    return client.post("/api/v1/grid/visits", json={"visits": [item]}, headers=headers)


def written(client_id: str, household_id: int) -> tuple[int, int, bool]:
    """Return (visits of the client id, push tasks in the outbox, whether the household is located)."""
    db.session.rollback()
    visits = db.session.scalar(sa.select(sa.func.count()).where(Visit.client_id == client_id))
    tasks = db.session.scalar(sa.select(sa.func.count()).where(OutboxTask.task == "push.notify_visit_needs"))
    located = db.session.scalar(sa.select(Household.lat).where(Household.id == household_id)) is not None
    return visits, tasks, located


class Opponent:
    """A second connection that deadlocks with the visit's transaction in `rounds` rounds.

    Each round it writes many rows (so InnoDB, which rolls back the smaller transaction, picks
    the visit), locks the other household, and once the visit waits for that lock, asks for
    the visited household, which the visit's transaction holds: a cycle. It rolls back after.
    """

    def __init__(self, url: str, visited_id: int, other_id: int, rounds: int):
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.visited_id, self.other_id, self.rounds = visited_id, other_id, rounds
        self.locked = threading.Event()  # this round's lock on the other household is held
        self.visit_waits = threading.Event()  # the visit is about to ask for that lock
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            for _ in range(self.rounds):
                self._round()
        except BaseException as error:  # reported by the test, which would otherwise hang
            self.errors.append(error)
            self.locked.set()

    def _round(self) -> None:
        with self.engine.connect() as conn, self.engine.connect() as watcher:
            conn.execute(
                AuditEvent.__table__.insert(),
                [{"action": "test.weight", "outcome": "success"} for _ in range(200)],
            )
            conn.execute(LOCK, {"id": self.other_id})
            self.locked.set()
            assert self.visit_waits.wait(WAIT_SECONDS), "the visit never reached its lock"
            self.visit_waits.clear()
            self._until_a_lock_wait(watcher)
            # Blocks until InnoDB rolls the visit's transaction back, then holds its household.
            conn.execute(LOCK, {"id": self.visited_id})
            conn.rollback()

    def _until_a_lock_wait(self, watcher) -> None:
        """Return once the visit's transaction waits for a lock (the other household's)."""
        for _ in range(WAIT_SECONDS * 100):
            waiting = watcher.scalar(
                sa.text(
                    "SELECT COUNT(*) FROM information_schema.INNODB_TRX"
                    " WHERE trx_state = 'LOCK WAIT' AND trx_query = :query"
                ),
                # Only the visit runs this statement for this row (others' tests may wait for locks too).
                {"query": LOCK.text.replace(":id", str(self.other_id))},
            )
            watcher.rollback()
            if waiting:
                return
            threading.Event().wait(0.01)
        raise AssertionError("the visit never waited for the lock")

    def hook(self):
        """Return a stand-in for the visit's mark_done that first asks for the other household's lock."""
        real = visit_service.mark_done
        rounds = {"left": self.rounds}

        def mark_done(visit):
            if rounds["left"]:
                rounds["left"] -= 1
                assert self.locked.wait(WAIT_SECONDS), "the opponent never locked"
                self.locked.clear()
                self.visit_waits.set()
                db.session.execute(LOCK, {"id": self.other_id})
            return real(visit)

        return mark_done


def deadlock_error() -> sa.exc.OperationalError:
    """Return what SQLAlchemy raises when MariaDB answers 1213."""
    original = pymysql.err.OperationalError(
        1213, "Deadlock found when trying to get lock; try restarting transaction"
    )
    return sa.exc.OperationalError("INSERT INTO visits ...", {}, original)


def injected(times: int):
    """Return a stand-in for the visit's mark_done that raises 1213 the first `times` calls."""
    real = visit_service.mark_done
    calls = {"left": times}

    def mark_done(visit):
        if calls["left"]:
            calls["left"] -= 1
            raise deadlock_error()
        return real(visit)

    return mark_done


def provoke(backend, monkeypatch, database_url, homes, rounds: int) -> Opponent | None:
    """Arrange `rounds` deadlocks of the next visit: real ones on MariaDB, raised ones on SQLite."""
    visited, other = homes
    if backend != "real":
        monkeypatch.setattr(visit_service, "mark_done", injected(rounds))
        return None
    opponent = Opponent(database_url, visited.id, other.id, rounds)
    monkeypatch.setattr(visit_service, "mark_done", opponent.hook())
    opponent.thread.start()
    return opponent


def finish(opponent: Opponent | None) -> None:
    """Wait for the opponent's rounds; fail on its errors (it must never be the victim)."""
    if opponent is None:
        return
    opponent.thread.join(WAIT_SECONDS)
    opponent.engine.dispose()
    assert not opponent.thread.is_alive()
    assert opponent.errors == []


def test_a_visit_chosen_as_a_deadlock_victim_is_retried_and_applied_once(
    client, worker, homes, backend, database_url, monkeypatch, caplog
):
    _, headers = worker
    visited, _ = homes
    opponent = provoke(backend, monkeypatch, database_url, homes, rounds=1)

    response = post_visit(client, headers, door_visit(visited, "dl-once-1"))
    finish(opponent)

    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    assert result["result"] == "applied"
    # One visit, one push intent (the failed attempt's outbox row went with its rollback), located.
    assert written("dl-once-1", visited.id) == (1, 1, True)
    assert "deadlock in _one_visit: retrying it once from its start" in caplog.text
    # The phone resends it (it never saw the answer): still one visit.
    again = post_visit(client, headers, door_visit(visited, "dl-once-1"))
    assert again.get_json()["results"][0]["result"] == "duplicate"
    assert written("dl-once-1", visited.id) == (1, 1, True)


def test_a_visit_deadlocked_twice_answers_database_busy_with_nothing_written(
    client, worker, homes, backend, database_url, monkeypatch, caplog
):
    _, headers = worker
    visited, _ = homes
    opponent = provoke(backend, monkeypatch, database_url, homes, rounds=2)

    response = post_visit(client, headers, door_visit(visited, "dl-twice-1"))
    finish(opponent)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert error_of(response)["code"] == "database_busy"
    assert written("dl-twice-1", visited.id) == (0, 0, False)
    assert "deadlock again in _one_visit: answering database_busy" in caplog.text
    # Sent again once the clash is over, it is applied.
    later = post_visit(client, headers, door_visit(visited, "dl-twice-1"))
    assert later.get_json()["results"][0]["result"] == "applied"
    assert written("dl-twice-1", visited.id) == (1, 1, True)


def test_a_deadlock_where_nothing_retries_answers_database_busy_not_500(client, worker, monkeypatch):
    _, headers = worker

    def deadlocked(*args, **kwargs):
        raise deadlock_error()

    # Listing planned visits is not wrapped: the error handler answers for it.
    monkeypatch.setattr("app.services.grid.planned_visits.list_mine", deadlocked)
    response = client.get("/api/v1/grid/planned-visits", headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert error_of(response)["code"] == "database_busy"


def test_an_application_whose_commit_fails_certification_is_retried_and_stored_once(
    client, make_employer, make_job, wechat_login, monkeypatch, caplog
):
    _, employer_headers = make_employer()
    job_id = make_job(employer_headers)
    seeker = wechat_login()[1]
    real_commit = audit.commit
    calls = {"left": 1}

    def commit(*args, **kwargs):
        # As Galera answers at COMMIT: the writes went out, then the whole transaction is refused.
        if calls["left"]:
            calls["left"] -= 1
            db.session.flush()
            raise deadlock_error()
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(audit, "commit", commit)
    response = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=seeker)

    assert response.status_code == 201, response.get_json()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).where(Application.job_id == job_id)) == 1
    created = sa.select(sa.func.count()).where(AuditEvent.action == "application.create")
    assert db.session.scalar(created) == 1
    assert "deadlock in apply: retrying it once from its start" in caplog.text


def test_a_unit_inside_another_is_retried_with_it_not_on_its_own(app, caplog):
    calls = []

    @retry_on_deadlock
    def inner():
        calls.append("inner")
        if calls.count("inner") == 1:
            raise deadlock_error()

    @retry_on_deadlock
    def outer():
        calls.append("outer")
        inner()

    outer()

    # The whole transaction ran again from its start, once.
    assert calls == ["outer", "inner", "outer", "inner"]
    assert "<locals>.outer: retrying it once from its start" in caplog.text
    assert "<locals>.inner: retrying" not in caplog.text
