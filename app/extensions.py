"""Extension objects, created once and bound to the app in create_app() (queues: app/queues.py)."""

import logging
import threading
import time

import redis as redis_lib
import sqlalchemy as sa
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.retry import Retry

from app.errors import ErrorSchema
from app.models.base import Base

log = logging.getLogger(__name__)

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
# CSRF tokens for the console's forms and fetches (it checks them itself: WTF_CSRF_CHECK_DEFAULT=False).
csrf = CSRFProtect()


class ApiWithErrors(Api):
    """flask-smorest Api whose documented error body is our envelope.

    Made per app in create_app() rather than here: an Api holds one app's OpenAPI spec.
    """

    ERROR_SCHEMA = ErrorSchema


class RedisUnavailable(redis_lib.ConnectionError):
    """Raised instead of asking a Redis that failed moments ago (the circuit breaker is open).

    A ConnectionError, so every `except redis.RedisError` that degrades today keeps working.
    """


class RedisBreaker:
    """A circuit breaker for one Redis server: after a connection or timeout error, no one asks
    it again for `seconds`; then a single call probes it while the others keep failing fast."""

    def __init__(self, name: str, seconds: float):
        self.name = name
        self.seconds = seconds
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None: closed, Redis is asked

    def before_call(self) -> None:
        """Raise RedisUnavailable while open; once the window has passed, let one probe through."""
        if self._open_until is None:
            return
        with self._lock:
            open_until = self._open_until
            if open_until is None:
                return
            now = time.monotonic()
            if now < open_until:
                raise RedisUnavailable(f"Redis {self.name} failed moments ago; not asking it again yet")
            # This call probes: the others keep failing fast until it answers (or times out).
            self._open_until = now + self.seconds

    def succeeded(self) -> None:
        """Close the breaker: Redis answered."""
        if self._open_until is not None:
            with self._lock:
                self._open_until = None
            log.warning("Redis %s answers again", self.name)

    def failed(self, error: Exception) -> None:
        """Open the breaker for `seconds` after a connection or timeout error."""
        with self._lock:
            was_closed = self._open_until is None
            self._open_until = time.monotonic() + self.seconds
        if was_closed:
            log.warning("Redis %s unavailable (%s): not asked again for %g s", self.name, error, self.seconds)

    def call(self, func, *args, **kwargs):
        """Run one round trip to Redis through the breaker."""
        self.before_call()
        try:
            result = func(*args, **kwargs)
        except (redis_lib.ConnectionError, redis_lib.TimeoutError) as error:
            self.failed(error)
            raise
        except redis_lib.RedisError:
            self.succeeded()  # an error answer (WRONGTYPE, NOSCRIPT) is still an answer
            raise
        self.succeeded()
        return result


def redis_log_level(error: Exception) -> int:
    """Return the level to log a Redis failure at on a request path: DEBUG while the breaker is open.

    The breaker logs once when it opens; a WARNING from every request that then fails fast
    would be thousands of lines a second during an outage, saying nothing new.
    """
    return logging.DEBUG if isinstance(error, RedisUnavailable) else logging.WARNING


# A client built without one (RQ's scheduler rebuilds the client from its class) gets its own.
DEFAULT_BREAKER_SECONDS = 5.0


class GuardedRedis(redis_lib.Redis):
    """A Redis client whose every round trip (commands, pipelines, locks, scripts) passes its breaker."""

    def __init__(self, *args, breaker: RedisBreaker | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.breaker = breaker or RedisBreaker("(unnamed)", DEFAULT_BREAKER_SECONDS)
        # The same server with REDIS_HEALTH_TIMEOUT, for /healthz (set by RedisConnections).
        self.health_client: GuardedRedis | None = None

    def execute_command(self, *args, **options):
        """Send one command, unless the breaker is open."""
        return self.breaker.call(super().execute_command, *args, **options)

    def pipeline(self, transaction=True, shard_hint=None) -> "GuardedPipeline":
        """Return a pipeline that passes the same breaker."""
        return GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint, breaker=self.breaker
        )


class GuardedPipeline(Pipeline):
    """A pipeline whose round trips (execute, and WATCH's immediate commands) pass a breaker."""

    def __init__(self, *args, breaker: RedisBreaker, **kwargs):
        super().__init__(*args, **kwargs)
        self.breaker = breaker

    def execute(self, raise_on_error: bool = True):
        """Send the queued commands, unless the breaker is open."""
        if not self.command_stack and not self.watching:
            return []  # nothing to send: Redis is not asked
        return self.breaker.call(super().execute, raise_on_error)

    def immediate_execute_command(self, *args, **options):
        """Send a command at once (under WATCH), unless the breaker is open."""
        return self.breaker.call(super().immediate_execute_command, *args, **options)


def guarded_redis(url: str, config, breaker: RedisBreaker, timeout: float | None = None) -> GuardedRedis:
    """Return a client of `url` with the configured short timeouts, passing `breaker`.

    redis-py's defaults (5 s timeouts, retried with backoff) let a hung Redis hold a request
    for many seconds. Here a read waits REDIS_SOCKET_TIMEOUT and a connect
    REDIS_CONNECT_TIMEOUT, once: only a refused or reset connection (a pooled connection to a
    restarted Redis) is retried, at once; a timeout never is.
    """
    client = GuardedRedis.from_url(
        url,
        socket_timeout=timeout or config["REDIS_SOCKET_TIMEOUT"],
        socket_connect_timeout=timeout or config["REDIS_CONNECT_TIMEOUT"],
        retry=Retry(NoBackoff(), 1, supported_errors=(redis_lib.ConnectionError,)),
    )
    client.breaker = breaker
    return client


class RedisConnections:
    """The app's Redis connections: cache/GEO (`REDIS_URL`) and queues (`QUEUE_REDIS_URL`).

    With no URL configured both are one in-process fakeredis server, so `make run` needs
    no Redis. Real ones get short timeouts and a circuit breaker per server (shared by the
    clients of one URL); `/healthz` pings through clients of its own (REDIS_HEALTH_TIMEOUT).
    The queue client is separate even on the same URL: an RQ worker lengthens its timeout
    for the blocking dequeue, which must not reach the cache/GEO client.
    """

    def init_app(self, app: Flask) -> None:
        """Connect (lazily) to the configured Redis servers or create a fakeredis one."""
        config = app.config
        url = config.get("REDIS_URL")
        queue_url = config.get("QUEUE_REDIS_URL") or url
        fake = None
        if not url:
            import fakeredis  # the embedded default and tests only: production never loads it (0.2 s)

            fake = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        # One breaker per server: what one client learns about it, the other need not wait for.
        roles = {}
        for role, each in (("cache", url), ("queue", queue_url)):
            if each:
                roles.setdefault(each, []).append(role)
        seconds = float(config["REDIS_BREAKER_SECONDS"])
        breakers = {each: RedisBreaker("/".join(names), seconds) for each, names in roles.items()}
        main = guarded_redis(url, config, breakers[url]) if url else fake
        queue = guarded_redis(queue_url, config, breakers[queue_url]) if queue_url else fake
        health_timeout = float(config["REDIS_HEALTH_TIMEOUT"])
        for client, each in ((main, url), (queue, queue_url)):
            if isinstance(client, GuardedRedis):
                client.health_client = guarded_redis(each, config, breakers[each], health_timeout)
        app.extensions.update(redis=main, queue_redis=queue)


redis_connections = RedisConnections()


def get_redis() -> redis_lib.Redis:
    """Return the cache/GEO Redis connection of the current app."""
    return current_app.extensions["redis"]


def redis_to_check() -> dict[str, redis_lib.Redis]:
    """Return what /healthz pings, by name: one client per Redis server, its health client if built."""
    app = current_app
    named = {"redis": app.extensions["redis"]}
    if app.config.get("QUEUE_REDIS_URL") not in (None, app.config.get("REDIS_URL")):
        named["queue_redis"] = app.extensions["queue_redis"]
    return {name: getattr(client, "health_client", None) or client for name, client in named.items()}


def ping_database() -> None:
    """Run a trivial query; raise if the database does not answer."""
    db.session.execute(sa.text("SELECT 1"))
