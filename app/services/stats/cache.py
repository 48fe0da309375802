"""A short Redis cache of computed sections, per (section, place, month): many viewers, one computation.

Figures of a place are the same for everyone allowed to see it, so one entry serves them all.
An entry is fresh for STATS_CACHE_SECONDS (default 60; 0 turns the cache off). After that the
first request to take the entry's refresh lock computes it again while the others keep
answering the previous figures (for at most STALE_FACTOR times as long), so officials opening
the city's dashboard together never all wait for one computation; with no entry at all, they
wait briefly for the one being computed. When Redis fails (or its circuit breaker is open) the
section is computed and answered without the cache.
"""

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import date

import redis
from flask import current_app

from app.extensions import get_redis, redis_log_level
from app.services.stats.places import PlaceRef

log = logging.getLogger(__name__)
VERSION = 1  # bumped when a section's shape changes, so no old answer is read back
STALE_FACTOR = 10
LOCK_SECONDS = 30  # longer than any computation; a crashed one's lock lapses
WAIT_SECONDS, WAIT_STEP = 3.0, 0.05  # how long a request waits for another's first computation


def key(section: str, place: PlaceRef, month: date) -> str:
    """Return the cache key of a section of a place and month."""
    return f"stats:v{VERSION}:{section}:{place.kind}:{place.id}:{month:%Y-%m}"


def cached(section: str, place: PlaceRef, month: date, compute: Callable[[], dict]) -> dict:
    """Return a section's figures from the cache, computing them (once among concurrent requests) when due."""
    seconds = int(current_app.config.get("STATS_CACHE_SECONDS", 60))
    if seconds <= 0:
        return compute()
    name = key(section, place, month)
    try:
        return _through_cache(get_redis(), name, seconds, compute)
    except redis.RedisError as error:
        log.log(redis_log_level(error), "Statistics cache unavailable (%s): computing %s", error, name)
        return compute()


def _through_cache(connection, name: str, seconds: int, compute: Callable[[], dict]) -> dict:
    entry = _read(connection, name)
    if entry is not None and time.time() - entry["at"] < seconds:
        return entry["value"]
    token = uuid.uuid4().hex
    if connection.set(f"{name}:lock", token, nx=True, ex=LOCK_SECONDS):
        try:
            return _store(connection, name, seconds, compute())
        finally:
            if connection.get(f"{name}:lock") in (token, token.encode()):
                connection.delete(f"{name}:lock")
    if entry is not None:
        return entry["value"]  # another request is refreshing it: the previous figures meanwhile
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP)
        entry = _read(connection, name)
        if entry is not None:
            return entry["value"]
    return compute()  # the other computation is slow or died: do not wait longer


def _read(connection, name: str) -> dict | None:
    raw = connection.get(name)
    return json.loads(raw) if raw is not None else None


def _store(connection, name: str, seconds: int, value: dict) -> dict:
    entry = json.dumps({"at": time.time(), "value": value}, ensure_ascii=False, separators=(",", ":"))
    try:
        connection.set(name, entry, ex=seconds * STALE_FACTOR)
    except redis.RedisError as error:
        log.log(redis_log_level(error), "Statistics cache unavailable (%s): %s not kept", error, name)
    return value
