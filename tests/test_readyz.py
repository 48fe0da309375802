"""GET /readyz: 200 when this process may take traffic, else 503 with Retry-After and each reason.

It checks the database, each Redis, the depth of every RQ queue, the cached WeChat token and the
outbox's oldest waiting task (app/readiness.py), never waiting past Redis's health timeout.
"""

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import Queue

from app import readiness
from app.extensions import db, get_redis, redis_connections
from app.models import OutboxTask
from app.models.base import utcnow
from app.wechat import wechat
from tests.test_redis_outage import SilentRedis, hang_redis

READYZ = "/readyz"
QUEUES = ("queue:default", "queue:push", "queue:exchange")


@pytest.fixture
def silent():
    """Run a Redis that accepts connections and never answers, for one test."""
    server = SilentRedis()
    yield server
    server.close()


def checks_of(response) -> dict:
    """Return the checks of a /readyz answer."""
    return response.get_json()["checks"]


def failing(response) -> dict:
    """Return the checks that failed, by name."""
    return {name: check for name, check in checks_of(response).items() if not check["ok"]}


def add_outbox_row(waited_seconds: int, enqueued: bool = False) -> None:
    """Write an outbox row made `waited_seconds` ago, still waiting unless `enqueued`."""
    made = utcnow() - timedelta(seconds=waited_seconds)
    db.session.add(
        OutboxTask(task="push.fan_out_job", args=[1], created_at=made, enqueued_at=made if enqueued else None)
    )
    db.session.commit()


def test_ready_when_everything_answers_and_nothing_waits(client):
    response = client.get(READYZ)

    assert response.status_code == 200
    assert response.get_json()["status"] == "ready"
    assert "Retry-After" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    checks = checks_of(response)
    assert set(checks) == {"database", "redis", *QUEUES, "wechat_token", "outbox"}
    assert checks["database"] == checks["redis"] == {"ok": True}
    for name in QUEUES:
        assert checks[name] == {"ok": True, "depth": 0, "limit": 5000}
    # No WeChat call was made yet, so no token is cached: that is ready, not a failure.
    assert checks["wechat_token"] == {"ok": True, "state": "missing"}
    assert checks["outbox"] == {"ok": True, "oldest_seconds": 0, "limit": 300}


def test_a_queue_deeper_than_the_limit_is_not_ready(app, client):
    app.config["READY_MAX_QUEUE_DEPTH"] = 2
    # Jobs waiting on the push queue as RQ leaves them (no worker takes them here).
    waiting = Queue("push", connection=app.extensions["queue_redis"], is_async=True)
    for number in range(3):
        waiting.enqueue("app.tasks.push.send_push", number)

    response = client.get(READYZ)

    assert response.status_code == 503
    assert response.get_json()["status"] == "not_ready"
    assert response.headers["Retry-After"] == "5"
    assert failing(response) == {
        "queue:push": {"ok": False, "reason": "3 jobs waiting, more than 2", "depth": 3, "limit": 2}
    }
    assert checks_of(response)["queue:default"] == {"ok": True, "depth": 0, "limit": 2}

    app.config["READY_MAX_QUEUE_DEPTH"] = 3
    assert client.get(READYZ).status_code == 200


def test_a_task_waiting_in_the_outbox_past_the_limit_is_not_ready(app, client):
    add_outbox_row(3 * 24 * 3600, enqueued=True)  # long done: does not count
    add_outbox_row(20)
    response = client.get(READYZ)
    assert response.status_code == 200
    assert 19 <= checks_of(response)["outbox"]["oldest_seconds"] <= 60

    add_outbox_row(400)
    response = client.get(READYZ)

    assert response.status_code == 503
    outbox = failing(response)["outbox"]
    assert 400 <= outbox["oldest_seconds"] <= 440 and outbox["limit"] == 300
    assert outbox["reason"] == f"a task has waited {outbox['oldest_seconds']} s to be enqueued, more than 300"
    assert set(failing(response)) == {"outbox"}

    app.config["READY_MAX_OUTBOX_LAG_SECONDS"] = 900
    assert client.get(READYZ).status_code == 200


def test_a_token_fetched_from_wechat_is_reported_with_its_time_left(app, client, fake_wechat):
    token = wechat.client.access_token  # what a phone binding or a push does first

    check = checks_of(client.get(READYZ))["wechat_token"]

    assert token and check["ok"] and check["state"] == "cached"
    # WeChat gives 7200 s; the cache keeps it 300 s less (app/wechat/client.py).
    assert 6800 <= check["expires_in"] <= 6900


def test_a_token_cached_without_an_expiry_is_not_ready(app, client):
    key = f"wechatpy:{app.config['WECHAT_APPID']}_access_token"
    get_redis().set(key, json.dumps("a-token-set-by-hand"))

    response = client.get(READYZ)

    assert response.status_code == 503
    token = failing(response)["wechat_token"]
    assert token["state"] == "no_expiry" and "delete it" in token["reason"]
    assert "a-token-set-by-hand" not in response.get_data(as_text=True)


def test_a_hung_redis_is_reported_within_its_health_timeout_then_at_once(app, client, silent):
    hang_redis(app, silent)

    started = time.perf_counter()
    response = client.get(READYZ)
    seconds = time.perf_counter() - started

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert seconds < 1.0, f"/readyz took {seconds:.2f} s"  # one REDIS_HEALTH_TIMEOUT (0.25 s)
    down = {"ok": False, "reason": "Redis is down"}
    assert failing(response) == {
        "redis": {"ok": False, "reason": "Redis did not answer (TimeoutError)"},
        **dict.fromkeys(QUEUES, down),
        "wechat_token": down,
    }
    assert checks_of(response)["database"] == {"ok": True}
    assert checks_of(response)["outbox"]["ok"]
    asked = silent.commands

    started = time.perf_counter()
    assert client.get(READYZ).status_code == 503
    assert time.perf_counter() - started < 0.3
    assert silent.commands == asked  # the breaker answered


def test_a_separate_queue_redis_is_checked_on_its_own(app, client, silent):
    app.config.update(QUEUE_REDIS_URL=silent.url)
    redis_connections.init_app(app)

    response = client.get(READYZ)

    assert response.status_code == 503
    checks = checks_of(response)
    assert checks["redis"] == {"ok": True}  # the cache's Redis, with the WeChat token
    assert checks["wechat_token"] == {"ok": True, "state": "missing"}
    assert checks["queue_redis"] == {"ok": False, "reason": "the queue Redis did not answer (TimeoutError)"}
    assert {checks[name]["reason"] for name in QUEUES} == {"the queue Redis is down"}


def test_a_database_that_does_not_answer_is_not_ready(app, client, monkeypatch):
    def refuse():
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("Lost connection"))

    monkeypatch.setattr(readiness, "ping_database", refuse)

    response = client.get(READYZ)

    assert response.status_code == 503
    assert failing(response) == {
        "database": {"ok": False, "reason": "the database did not answer (OperationalError)"},
        "outbox": {"ok": False, "reason": "the database is down"},
    }
