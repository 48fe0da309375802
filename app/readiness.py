"""The checks behind /readyz: may this process take traffic? Each check says ok, or why not.

Cheap on purpose (a balancer asks every few seconds): one `SELECT 1`, one indexed `MIN()` on the
outbox, and per Redis one round trip through its health client (REDIS_HEALTH_TIMEOUT, the
circuit breaker), never a wait past that. A check that needs a Redis or the database that
already failed here is reported without asking again. No personal data: only counts and ages.
"""

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from app.extensions import db, ping_database, redis_to_check
from app.models.base import utcnow
from app.models.outbox import OutboxTask
from app.queues import QUEUE_NAMES, get_queue

log = logging.getLogger(__name__)

# WeChat keeps an access token 7200 s; the cache keeps it a little less (app/wechat/client.py).
WECHAT_TOKEN_LIFETIME_SECONDS = 7200
# How a reason names each Redis of redis_to_check().
REDIS_NAMES = {"redis": "the cache Redis", "queue_redis": "the queue Redis"}


def _failed(reason: str, **details) -> dict:
    """Return a failed check with its reason."""
    return {"ok": False, "reason": reason, **details}


def _health_client(name: str):
    """Return the client /healthz pings for the app's Redis `name` ("redis" or "queue_redis")."""
    client = current_app.extensions[name]
    return getattr(client, "health_client", None) or client


def _guarded(what: str, check: Callable[[], dict], database: bool = False) -> dict:
    """Run one check; any exception is a failure with its class named (details go to the log)."""
    try:
        return check()
    except Exception as exc:  # not ready, never a 500
        log.warning("readyz: %s: %r", what, exc)
        if database:
            db.session.rollback()  # the session is unusable until then
        return _failed(f"{what} did not answer ({exc.__class__.__name__})")


def check_database() -> dict:
    """Ping the database."""

    def ping() -> dict:
        ping_database()
        return {"ok": True}

    return _guarded("the database", ping, database=True)


def check_redis(what: str, client) -> dict:
    """Ping one Redis through its health client."""

    def ping() -> dict:
        client.ping()
        return {"ok": True}

    return _guarded(what, ping)


def check_queues(limit: int) -> dict[str, dict]:
    """Return each RQ queue's depth (one pipelined round trip), failing the ones deeper than `limit`."""
    names = [f"queue:{name}" for name in QUEUE_NAMES]
    try:
        pipeline = _health_client("queue_redis").pipeline(transaction=False)
        for name in QUEUE_NAMES:
            pipeline.llen(get_queue(name).key)  # the list RQ's Queue.count reads
        depths = pipeline.execute()
    except Exception as exc:  # not ready, never a 500
        log.warning("readyz: queue depths: %r", exc)
        return dict.fromkeys(names, _failed(f"the queue's Redis did not answer ({exc.__class__.__name__})"))
    return {
        name: {"ok": True, "depth": depth, "limit": limit}
        if depth <= limit
        else _failed(f"{depth} jobs waiting, more than {limit}", depth=depth, limit=limit)
        for name, depth in zip(names, depths, strict=True)
    }


def check_wechat_token() -> dict:
    """Say whether the cached WeChat access token can be trusted to go stale on time.

    There is none until the first call needing it (phone binding, a push) fetches one, and none
    again two hours after the last: "missing" is ready. A token cached without an expiry, or
    longer than WeChat keeps it, would be sent after WeChat dropped it: not ready.
    """

    def read() -> dict:
        key = f"wechatpy:{current_app.config['WECHAT_APPID']}_access_token"  # wechatpy's RedisStorage key
        seconds = _health_client("redis").ttl(key)
        if seconds == -2:
            return {"ok": True, "state": "missing"}
        if seconds == -1 or seconds > WECHAT_TOKEN_LIFETIME_SECONDS:
            return _failed(
                "the cached token outlives WeChat's two hours: delete it and let the next call fetch one",
                state="no_expiry" if seconds == -1 else "too_long",
            )
        return {"ok": True, "state": "cached", "expires_in": seconds}

    return _guarded("the token cache", read)


def check_outbox(limit: int) -> dict:
    """Return how long the oldest task not yet on its queue has waited, failing past `limit` seconds."""

    def oldest() -> dict:
        created = db.session.scalar(
            sa.select(sa.func.min(OutboxTask.created_at)).where(OutboxTask.enqueued_at.is_(None))
        )
        age = max(0, int((utcnow() - created).total_seconds())) if created else 0
        if age > limit:
            reason = f"a task has waited {age} s to be enqueued, more than {limit}"
            return _failed(reason, oldest_seconds=age, limit=limit)
        return {"ok": True, "oldest_seconds": age, "limit": limit}

    return _guarded("the outbox", oldest, database=True)


def readiness() -> dict[str, dict]:
    """Run every check in order; a check whose database or Redis failed above is not asked."""
    config = current_app.config
    checks = {"database": check_database()}
    redises = redis_to_check()
    # It names the queue Redis only when it is another server than the cache's.
    names = REDIS_NAMES if len(redises) > 1 else {"redis": "Redis"}
    for name, client in redises.items():
        checks[name] = check_redis(names[name], client)
    queue_redis = "queue_redis" if "queue_redis" in checks else "redis"
    if checks[queue_redis]["ok"]:
        checks.update(check_queues(int(config["READY_MAX_QUEUE_DEPTH"])))
    else:
        down = _failed(f"{names[queue_redis]} is down")
        checks.update((f"queue:{name}", down) for name in QUEUE_NAMES)
    cache_up = checks["redis"]["ok"]
    checks["wechat_token"] = check_wechat_token() if cache_up else _failed(f"{names['redis']} is down")
    if checks["database"]["ok"]:
        checks["outbox"] = check_outbox(int(config["READY_MAX_OUTBOX_LAG_SECONDS"]))
    else:
        checks["outbox"] = _failed("the database is down")
    return checks
