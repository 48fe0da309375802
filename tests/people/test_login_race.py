"""The login race: many parallel guesses at one account get no more password checks than the limit."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry
from werkzeug.serving import make_server

from app.extensions import db
from app.models import AuditEvent
from app.services.people import accounts
from tests.conftest import PASSWORD

GUESSES = 40


@pytest.fixture
def server(app):
    """Serve the app over real HTTP from a thread (one thread per request), as gunicorn's threads would."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/api/v1/auth/login"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def hash_checks(monkeypatch):
    """Count the password checks login makes; each takes a little while, as scrypt does."""
    calls = Counter()
    lock = threading.Lock()
    real = accounts.check_password_hash

    def counting(pwhash, password):
        with lock:
            calls["checks"] += 1
        time.sleep(0.05)  # widen the window between reading a counter and writing it
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return calls


def guess_all_at_once(url, username, passwords):
    """POST every password at the same moment from its own thread; return the responses."""
    start = threading.Barrier(len(passwords))

    def guess(password):
        start.wait()
        return requests.post(url, json={"username": username, "password": password}, timeout=60)

    with ThreadPoolExecutor(len(passwords)) as pool:
        return list(pool.map(guess, passwords))


def outcomes():
    """Return the auth.login audit outcomes, counted."""
    db.session.commit()  # end our snapshot: see what the server's threads committed (MariaDB)
    return Counter(db.session.scalars(sa.select(AuditEvent.outcome).where(AuditEvent.action == "auth.login")))


def test_forty_parallel_guesses_get_at_most_the_limit_of_checks(app, server, hash_checks, make_staff):
    make_staff("city_admin", "city", "341000000000", username="raced-admin")
    limit = app.config["LOGIN_MAX_FAILURES"]

    responses = guess_all_at_once(server, "raced-admin", [f"guess-{n}" for n in range(GUESSES)])

    assert hash_checks["checks"] <= limit
    statuses = Counter(r.status_code for r in responses)
    # The first `limit` guesses are checked (the last of them locks); every other one is refused unchecked.
    assert statuses == {401: limit - 1, 429: GUESSES - limit + 1}
    for response in responses:
        code = response.json()["error"]["code"]
        assert code == ("invalid_credentials" if response.status_code == 401 else "account_locked")
        if response.status_code == 429:
            assert 0 < int(response.headers["Retry-After"]) <= app.config["LOGIN_LOCK_SECONDS"]
    assert outcomes() == {"failure": limit, "locked": GUESSES - limit}
    # The right password from the same address is refused too: this address is locked out.
    late = requests.post(server, json={"username": "raced-admin", "password": PASSWORD}, timeout=10)
    assert (late.status_code, late.json()["error"]["code"]) == (429, "account_locked")
    assert hash_checks["checks"] <= limit


def test_an_unknown_username_races_the_same_way(app, server, hash_checks, places):
    limit = app.config["LOGIN_MAX_FAILURES"]

    responses = guess_all_at_once(server, "no-such-admin", [f"guess-{n}" for n in range(GUESSES)])

    assert hash_checks["checks"] <= limit
    assert Counter(r.status_code for r in responses) == {401: limit - 1, 429: GUESSES - limit + 1}


def test_without_redis_the_account_row_still_bounds_the_checks(app, server, hash_checks, make_staff):
    make_staff("district_admin", "district", "341002000000", username="raced-offline")
    # A Redis that refuses connections at once (as the circuit breaker will make a hung one).
    app.extensions["redis"] = redis.Redis(
        host="127.0.0.1", port=9, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    limit = app.config["LOGIN_MAX_FAILURES"]

    responses = guess_all_at_once(server, "raced-offline", [f"guess-{n}" for n in range(GUESSES)])

    assert hash_checks["checks"] <= limit
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {401, 429}
    assert statuses[401] < limit
    assert statuses[429] >= GUESSES - limit
    assert all(r.status_code != 429 or int(r.headers["Retry-After"]) > 0 for r in responses)
    assert outcomes()["failure"] <= limit
