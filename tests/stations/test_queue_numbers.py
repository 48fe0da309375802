"""Queue numbers from Redis, the rows the record: in order, gapless, never twice, with or without Redis."""

import pytest
import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.extensions import db
from app.models import CheckIn, QueueCounter
from app.services.stations import check_ins as check_in_service
from app.services.stations import queue_numbers
from tests.stations.test_check_ins import (
    CITY,
    _run_threads,
    bulk_residents,
    make_station,
    new_client_id,
    printed_url,
)
from tests.support import check_in, event_url, open_event

CHECK_INS = "/api/v1/check-ins"


@pytest.fixture
def admin(staff_headers):
    """A city admin's headers."""
    return staff_headers(*CITY)[1]


@pytest.fixture
def station(client, admin) -> dict:
    """A station of the chengzhong circle at 昱中, not asking for location."""
    return make_station(client, admin)


@pytest.fixture
def qr_url(client, admin, station) -> str:
    """The station's printed code URL."""
    return printed_url(client, admin, station["id"])


@pytest.fixture
def redis_down(app):
    """Return a switch: redis_down() makes Redis refuse connections; redis_down(False) restores it."""
    real = app.extensions["redis"], app.extensions["queue_redis"]
    down = redis.Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))

    def switch(is_down: bool = True) -> None:
        app.extensions["redis"], app.extensions["queue_redis"] = (down, down) if is_down else real

    yield switch
    switch(False)


def numbers_of(station_id: int) -> list[int]:
    """Return a station's queue numbers in the order the check-ins were written."""
    db.session.commit()  # a fresh read: see what the requests committed
    return list(
        db.session.scalars(
            sa.select(CheckIn.queue_number).where(CheckIn.station_id == station_id).order_by(CheckIn.id)
        )
    )


def redis_value(app, station_id: int) -> int | None:
    """Return the last number Redis holds for the station's queue of today (None: no key)."""
    day = db.session.scalar(sa.select(CheckIn.day).where(CheckIn.station_id == station_id).limit(1))
    key = queue_numbers.redis_key(queue_numbers.station_queue_key(station_id, day))
    value = app.extensions["redis"].get(key)
    return None if value is None else int(value)


def check_in_all(client, url, people) -> list[int]:
    """Check each person in at the url; return their queue numbers (every answer a 201)."""
    numbers = []
    for headers in people:
        response = check_in(client, headers, url)
        assert response.status_code == 201, response.get_json()
        numbers.append(response.get_json()["queue_number"])
    return numbers


def test_numbers_come_from_redis_in_order_and_the_rows_agree(app, client, station, qr_url):
    people = bulk_residents(6)

    numbers = check_in_all(client, qr_url, people)

    assert numbers == [1, 2, 3, 4, 5, 6]
    assert numbers_of(station["id"]) == numbers
    assert redis_value(app, station["id"]) == 6
    # The counter row is the fallback's lock only: Redis numbered these.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QueueCounter)) == 0
    key = queue_numbers.redis_key(
        queue_numbers.station_queue_key(station["id"], check_in_service.local_day())
    )
    assert 0 < app.extensions["redis"].ttl(key) <= queue_numbers.KEY_TTL_SECONDS


def test_the_answer_given_at_once_is_the_one_read_back_later(client, station, qr_url, wechat_login):
    headers = wechat_login()[1]

    made = check_in(client, headers, qr_url, purpose="job_seeking", lat=29.7161, lng=118.3181)
    assert made.status_code == 201, made.get_json()
    read = client.get(f"{CHECK_INS}/{made.get_json()['id']}", headers=headers)

    assert read.status_code == 200, read.get_json()
    assert {**made.get_json(), "repeated": True} == read.get_json()
    assert made.get_json()["station"]["circle"] == {
        "code": "341002-chengzhong",
        "name": station["circle"]["name"],
    }


def test_redis_down_still_numbers_in_order_without_a_gap(app, client, station, qr_url, redis_down):
    people = bulk_residents(6)
    assert check_in_all(client, qr_url, people[:2]) == [1, 2]

    redis_down()
    during = check_in_all(client, qr_url, people[2:5])
    redis_down(False)
    after = check_in_all(client, qr_url, people[5:])

    assert during == [3, 4, 5]
    # Redis still said 2 when it answered again: the number it gave was on a row, so it caught up.
    assert after == [6]
    assert numbers_of(station["id"]) == [1, 2, 3, 4, 5, 6]
    assert redis_value(app, station["id"]) == 6


def test_redis_down_from_the_start_numbers_from_the_database(client, station, qr_url, redis_down):
    redis_down()

    numbers = check_in_all(client, qr_url, bulk_residents(4))

    assert numbers == [1, 2, 3, 4]
    assert db.session.scalar(sa.select(QueueCounter.last)) == 4


def test_redis_flushed_mid_day_repeats_no_number(app, client, station, qr_url):
    people = bulk_residents(5)
    assert check_in_all(client, qr_url, people[:3]) == [1, 2, 3]

    app.extensions["redis"].flushdb()  # a restart without persistence looks the same
    numbers = check_in_all(client, qr_url, people[3:])

    assert numbers == [4, 5]
    assert numbers_of(station["id"]) == [1, 2, 3, 4, 5]
    assert redis_value(app, station["id"]) == 5


def test_a_key_behind_the_rows_takes_the_next_free_number(app, client, station, qr_url):
    """Redis gives a number a row holds (restored from an old snapshot, or a number in flight at a flush)."""
    people = bulk_residents(5)
    assert check_in_all(client, qr_url, people[:3]) == [1, 2, 3]
    key = queue_numbers.redis_key(
        queue_numbers.station_queue_key(station["id"], check_in_service.local_day())
    )
    app.extensions["redis"].set(key, 1)

    numbers = check_in_all(client, qr_url, people[3:])

    assert numbers == [4, 5]
    assert numbers_of(station["id"]) == [1, 2, 3, 4, 5]


def test_a_replayed_client_id_gets_the_same_answer_and_uses_no_number(app, client, station, qr_url):
    first_person, second_person = bulk_residents(2)
    client_id = new_client_id()
    first = check_in(client, first_person, qr_url, client_id=client_id)
    assert first.status_code == 201, first.get_json()

    again = check_in(client, first_person, qr_url, client_id=client_id)
    replay_with_garbage = check_in(client, first_person, "not-a-code", client_id=client_id)
    second = check_in(client, second_person, qr_url)

    for replay in (again, replay_with_garbage):
        assert replay.status_code == 200, replay.get_json()
        assert {**replay.get_json(), "repeated": False} == first.get_json()
    assert second.get_json()["queue_number"] == 2
    assert numbers_of(station["id"]) == [1, 2]


def test_a_client_id_racing_past_the_check_gives_its_number_back(app, client, station, qr_url, monkeypatch):
    """Where nothing serialised the two (SQLite): the insert meets the first on the client-id key."""
    first_person, second_person = bulk_residents(2)
    client_id = new_client_id()
    first = check_in(client, first_person, qr_url, client_id=client_id)
    monkeypatch.setattr(check_in_service, "_earlier", lambda *args: (None, None))

    raced = check_in(client, first_person, qr_url, client_id=client_id)
    monkeypatch.undo()
    second = check_in(client, second_person, qr_url)

    assert raced.status_code == 200, raced.get_json()
    assert (raced.get_json()["id"], raced.get_json()["queue_number"]) == (first.get_json()["id"], 1)
    assert second.get_json()["queue_number"] == 2
    assert numbers_of(station["id"]) == [1, 2]


def test_a_number_is_given_back_only_while_it_is_the_last_one(app):
    key = "s999:2026-01-01"
    assert queue_numbers.take(key) == (1, True)
    assert queue_numbers.take(key) == (2, True)
    queue_numbers.give_back(key, 2)
    assert queue_numbers.take(key) == (2, True)
    assert queue_numbers.take(key) == (3, True)
    queue_numbers.give_back(key, 2)  # 3 was taken after it: the gap cannot be closed
    assert queue_numbers.take(key) == (4, True)


def test_an_events_queue_is_numbered_by_redis_too(app, client, operator):
    event = open_event(client, operator[1])
    people = bulk_residents(3)

    numbers = [check_in(client, headers, event_url(event["id"]), purpose="event") for headers in people]

    assert [response.status_code for response in numbers] == [201] * 3
    assert [response.get_json()["queue_number"] for response in numbers] == [1, 2, 3]
    assert int(app.extensions["redis"].get(queue_numbers.redis_key(f"e{event['id']}"))) == 3


def _threads_check_in(app, qr_url, threads: int, per_thread: int) -> list[list[int]]:
    """Check in threads × per_thread people, one thread per chunk, all at once; each thread's numbers."""
    headers = bulk_residents(threads * per_thread)
    chunks = [headers[i * per_thread : (i + 1) * per_thread] for i in range(threads)]

    def work(web, chunk):
        return [check_in_all(web, qr_url, chunk)]

    return _run_threads(app, work, chunks)


@pytest.mark.parametrize("redis_state", ["up", "down"])
def test_concurrent_check_ins_number_1_to_n_in_order(
    app, client, station, qr_url, backend, redis_state, redis_down
):
    if backend != "real":
        pytest.skip("SQLite serialises writers; the concurrent variant runs on MariaDB")
    if redis_state == "down":
        redis_down()
    threads, per_thread = 8, 25

    per_worker = _threads_check_in(app, qr_url, threads, per_thread)

    assert all(numbers == sorted(numbers) for numbers in per_worker)  # each person after the one before
    assert sorted(n for numbers in per_worker for n in numbers) == list(range(1, threads * per_thread + 1))
    assert sorted(numbers_of(station["id"])) == list(range(1, threads * per_thread + 1))


def test_concurrent_check_ins_while_redis_goes_down_and_comes_back(
    app, client, station, qr_url, backend, redis_down
):
    if backend != "real":
        pytest.skip("SQLite serialises writers; the concurrent variant runs on MariaDB")
    total = 0
    for state in (False, True, False):
        redis_down(state)
        per_worker = _threads_check_in(app, qr_url, 6, 10)
        total += 60
        assert sorted(numbers_of(station["id"])) == list(range(1, total + 1))
        assert all(numbers == sorted(numbers) for numbers in per_worker)
    assert redis_value(app, station["id"]) == total
