"""A hung Redis (one that accepts connections and never answers) stalls nothing.

Every Redis client has short timeouts and a circuit breaker (app/extensions.py): after one
failed round trip no one asks that Redis again for REDIS_BREAKER_SECONDS. Nearby search
then answers from the job board (or SQL), check-ins never wait, `/healthz` answers 503 at
once, and a phone binding, whose WeChat access token is cached in Redis, answers 503
`wechat_unavailable` with Retry-After instead of 500.
"""

import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from app.extensions import RedisUnavailable, get_redis, redis_connections
from app.models import CheckIn
from app.services.jobs.search import board as job_board
from tests.support import check_in, count, error_of, found, offset, search

PHONE = "/api/v1/auth/wechat-phone"
STATIONS = "/api/v1/stations"
# A search or check-in after the first failure must answer in a blink, not after a timeout.
FAST = 0.3
# The first failure waits out one REDIS_SOCKET_TIMEOUT (0.5 s) once; not 5 s, not retried.
FIRST = 1.5


def _command_length(buffer: bytes) -> int:
    """Return the length of the first complete RESP command in `buffer`, or 0 if none is yet."""
    end = buffer.find(b"\r\n")
    if not buffer.startswith(b"*") or end < 0:
        return 0
    position = end + 2
    for _ in range(int(buffer[1:end])):
        end = buffer.find(b"\r\n", position)
        if end < 0:
            return 0
        position = end + 2 + int(buffer[position + 1 : end]) + 2
        if position > len(buffer):
            return 0
    return position


class SilentRedis:
    """A TCP server that accepts connections and reads commands but never answers (a frozen Redis).

    Set `answering` to have it answer every command with PONG from then on (Redis is back).
    """

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"
        self.answering = False
        self.commands = 0  # complete commands received
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return  # closed
            self._sockets.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        buffer = b""
        while True:
            try:
                data = connection.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while size := _command_length(buffer):
                name, buffer = buffer.split(b"\r\n", 3)[2].upper(), buffer[size:]
                self.commands += 1
                if self.answering:  # HELLO (redis-py's RESP3 handshake) wants a map with the protocol
                    connection.sendall(b"%1\r\n$5\r\nproto\r\n:3\r\n" if name == b"HELLO" else b"+PONG\r\n")

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self.server.close()
        for connection in self._sockets:
            connection.close()


@pytest.fixture
def silent():
    """Run a SilentRedis for one test."""
    server = SilentRedis()
    yield server
    server.close()


def hang_redis(app, silent: SilentRedis, **config) -> None:
    """Point every Redis client of the app at the silent server, through the app's own set-up."""
    app.config.update(REDIS_URL=silent.url, QUEUE_REDIS_URL=silent.url, **config)
    redis_connections.init_app(app)
    app.extensions["wechat"] = None  # its client holds the old Redis: rebuild on next use


def timed(call):
    """Return (the call's result, seconds it took)."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


@pytest.fixture
def jobs_around(make_employer, make_job) -> list[int]:
    """Three published jobs 200 m, 800 m and 1.5 km north of CENTER, nearest first."""
    _, headers = make_employer()
    return [make_job(headers, **offset(north_m=metres)) for metres in (200, 800, 1500)]


# ---- nearby search -----------------------------------------------------------------------------


def test_search_answers_from_the_job_board_without_waiting_on_a_hung_redis(app, client, jobs_around, silent):
    assert found(client) == jobs_around  # the board is loaded while Redis answers
    hang_redis(app, silent, REDIS_BREAKER_SECONDS=30)

    first, seconds = timed(lambda: search(client))
    assert first.status_code == 200, first.get_json()
    assert [item["job"]["id"] for item in first.get_json()["items"]] == jobs_around
    assert seconds < FIRST, f"the first search after Redis hung took {seconds:.2f} s"
    asked = silent.commands
    assert asked >= 1  # it did ask, and gave up after the short timeout

    for _ in range(20):
        response = search(client)
        assert response.status_code == 200, response.get_json()
        assert [item["job"]["id"] for item in response.get_json()["items"]] == jobs_around
    # None of them waited on the hung Redis: none asked it (counted, not timed: a loaded machine
    # can stall any request, and what matters is that no search sent a command to wait on).
    assert silent.commands == asked, "searches kept asking a Redis that had just failed"


def test_a_job_published_while_redis_hangs_shows_in_search(app, client, make_employer, make_job, silent):
    _, headers = make_employer()
    near = make_job(headers, **offset(north_m=300))
    assert found(client) == [near]
    hang_redis(app, silent)
    job_board.OUTAGE_RECHECK_SECONDS, kept = 0.0, job_board.OUTAGE_RECHECK_SECONDS
    try:
        nearer, seconds = timed(lambda: make_job(headers, **offset(north_m=100)))
        assert seconds < 2 * FIRST  # posting, publishing and the failed index update
        # No note of it came through Redis: the board learns of it from the database.
        assert found(client) == [nearer, near]
    finally:
        job_board.OUTAGE_RECHECK_SECONDS = kept


def test_a_process_whose_board_never_loaded_answers_from_sql(app, client, jobs_around, silent, caplog):
    # Before any search: this process's board is empty. A window longer than the test, so a
    # loaded machine's slow searches cannot outlast it and let one probe wait on the hung Redis.
    hang_redis(app, silent, REDIS_BREAKER_SECONDS=30)

    caplog.set_level(logging.DEBUG)
    first, seconds = timed(lambda: search(client, radius_m=1000))
    assert first.status_code == 200, first.get_json()
    assert [item["job"]["id"] for item in first.get_json()["items"]] == jobs_around[:2]
    assert seconds < FIRST, f"the first search after Redis hung took {seconds:.2f} s"
    asked = silent.commands
    assert asked >= 1  # it did ask, and gave up after the short timeout
    for _ in range(9):
        response = search(client, radius_m=1000)
        assert response.status_code == 200, response.get_json()
        assert [item["job"]["id"] for item in response.get_json()["items"]] == jobs_around[:2]
    # The breaker answered for the hung Redis: no search after the first sent it a command (counted,
    # not timed: a loaded machine stalled one of these searches 1.3 s once, with no Redis in it).
    assert silent.commands == asked
    # The outage is a warning once (the first failure, the breaker opening), not once per search.
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and "Redis" in r.getMessage()]
    assert 1 <= len(warnings) <= 3, [r.getMessage() for r in warnings]
    # Newest first and text search take SQL anyway; neither waits either.
    assert found(client, sort="newest") == sorted(jobs_around, reverse=True)
    assert search(client, q="茶叶").status_code == 200
    assert silent.commands == asked


# ---- what needs no Redis, and what reports it ---------------------------------------------------


def test_check_ins_do_not_wait_behind_searches_on_a_hung_redis(
    app, client, jobs_around, staff_headers, wechat_login, silent
):
    # Check-ins need no Redis; they stalled because searchers waiting on Redis held every
    # server thread. Four threads here, as a gunicorn worker with --threads 4.
    _, admin = staff_headers("city_admin", "city", "341000000000")
    body = {"name": "昱中就业服务站", "circle": "341002-chengzhong", "lat": 29.716, "lng": 118.318}
    station = client.post(STATIONS, json=body, headers=admin).get_json()
    qr_url = client.post(f"{STATIONS}/{station['id']}/page-links", headers=admin).get_json()["qr_url"]
    residents = [wechat_login()[1] for _ in range(4)]
    hang_redis(app, silent)
    search(client)  # the first searcher meets the hung Redis

    def request(call):
        with app.app_context():
            return call(app.test_client())

    with ThreadPoolExecutor(max_workers=4) as threads:
        arrived = time.perf_counter()
        searches = [threads.submit(request, lambda c: search(c)) for _ in range(8)]
        check_ins = [threads.submit(request, lambda c, h=h: check_in(c, h, qr_url)) for h in residents]
        for future in check_ins:
            response = future.result()
            assert response.status_code == 201, response.get_json()
        waited = time.perf_counter() - arrived
        assert [future.result().status_code for future in searches] == [200] * 8
    assert waited < FIRST, f"check-ins behind 8 searches took {waited:.2f} s"
    assert count(CheckIn) == 4


def test_healthz_answers_503_at_once_when_redis_hangs(app, client, silent):
    hang_redis(app, silent)

    response, seconds = timed(lambda: client.get("/healthz"))
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "ok", "redis": "error"}
    assert response.headers["Retry-After"] == "5"
    assert seconds < 1.0, f"/healthz took {seconds:.2f} s"  # its own 0.25 s timeout
    asked = silent.commands

    response, seconds = timed(lambda: client.get("/healthz"))
    assert response.status_code == 503
    assert seconds < FAST
    assert silent.commands == asked  # the breaker answered


def test_the_breaker_lets_redis_be_asked_again_after_its_window(app, silent):
    hang_redis(app, silent, REDIS_BREAKER_SECONDS=0.3, REDIS_SOCKET_TIMEOUT=0.2)
    connection = get_redis()

    with pytest.raises(redis.TimeoutError):
        connection.ping()
    asked = silent.commands
    _, seconds = timed(lambda: pytest.raises(RedisUnavailable, connection.ping))
    assert seconds < 0.05 and silent.commands == asked
    # Pipelines (RQ enqueues through them) fail fast the same way, as a ConnectionError.
    with pytest.raises(redis.ConnectionError):
        connection.pipeline().get("k").execute()

    time.sleep(0.35)  # the window passes; Redis still hangs: one probe waits, then it opens again
    with pytest.raises(redis.TimeoutError):
        connection.ping()
    with pytest.raises(RedisUnavailable):
        connection.ping()

    silent.answering = True  # Redis is back
    time.sleep(0.35)
    assert connection.ping() is True
    assert connection.ping() is True  # closed again: every call is asked
    assert silent.commands > asked + 2


# ---- WeChat's access token, cached in Redis ------------------------------------------------------


@pytest.mark.parametrize("outage", ["hung", "refused"])
def test_phone_binding_answers_503_with_retry_after_when_redis_is_out(
    app, client, wechat_login, silent, outage
):
    _, headers, codes = wechat_login()  # login needs no access token, so no Redis
    if outage == "hung":
        hang_redis(app, silent)
    else:
        with socket.socket() as sock:  # a bound port nobody listens on: connections are refused
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        app.config.update(REDIS_URL=f"redis://127.0.0.1:{port}/0", QUEUE_REDIS_URL=None)
        redis_connections.init_app(app)
        app.extensions["wechat"] = None

    for _ in range(2):
        response, seconds = timed(
            lambda: client.post(PHONE, json={"code": codes["phone_code"]}, headers=headers)
        )
        assert response.status_code == 503, response.get_json()
        assert error_of(response)["code"] == "wechat_unavailable"
        assert response.headers["Retry-After"] == "5"
        assert seconds < FIRST
    assert seconds < FAST  # the second did not wait
