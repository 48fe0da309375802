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
from redis.cluster import ClusterPipeline, RedisCluster
from redis.exceptions import RedisClusterException
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


# REDIS_URL names a Redis Cluster with this scheme (redis+cluster://host:port, any one node).
CLUSTER_SCHEME = "redis+cluster://"


def is_cluster_url(url: str | None) -> bool:
    """Tell whether `url` names a Redis Cluster (redis+cluster://host:port)."""
    return bool(url) and url.lower().startswith(CLUSTER_SCHEME)


def is_cluster(client) -> bool:
    """Tell whether `client` talks to a Redis Cluster (a MULTI then must stay in one slot)."""
    return isinstance(client, RedisCluster)


def _unreachable_as_connection_error(func):
    """Wrap `func` so that "no node answers" raises a ConnectionError, as a single Redis would.

    redis-py raises a bare RedisClusterException (not a RedisError) when it can reach no node:
    unconverted, it would pass every `except redis.RedisError` that degrades, and the breaker.
    Its other RedisClusterExceptions (keys in several slots) are mistakes in code: left as they are.
    """

    def call(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except RedisClusterException as error:
            if "cannot be connected" not in str(error):
                raise
            raise redis_lib.ConnectionError(f"no Redis Cluster node answers: {error}") from error

    return call


class GuardedRedisCluster(RedisCluster):
    """A Redis Cluster client whose commands and pipelines pass one breaker (for the whole cluster).

    A cluster fails over on its own; the breaker only stops asking while no node answers at all.
    """

    def __init__(self, *args, breaker: RedisBreaker | None = None, **kwargs):
        # Set before connecting: building the client already sends commands (the slot map).
        self.breaker = breaker or RedisBreaker("(unnamed cluster)", DEFAULT_BREAKER_SECONDS)
        self.health_client: GuardedRedisCluster | None = None
        super().__init__(*args, **kwargs)

    def execute_command(self, *args, **kwargs):
        """Send one command (to the node owning its slot), unless the breaker is open."""
        return self.breaker.call(_unreachable_as_connection_error(super().execute_command), *args, **kwargs)

    def pipeline(self, transaction=None, shard_hint=None) -> "GuardedClusterPipeline":
        """Return a pipeline that passes the same breaker (a transaction must stay in one slot)."""
        if shard_hint:
            raise redis_lib.RedisError("shard_hint is not supported on a cluster")
        return GuardedClusterPipeline(
            nodes_manager=self.nodes_manager,
            commands_parser=self.commands_parser,
            startup_nodes=self.nodes_manager.startup_nodes,
            result_callbacks=self.result_callbacks,
            cluster_response_callbacks=self.cluster_response_callbacks,
            read_from_replicas=self.read_from_replicas,
            load_balancing_strategy=self.load_balancing_strategy,
            reinitialize_steps=self.reinitialize_steps,
            retry=self.retry,
            lock=self._lock,
            transaction=transaction,
            event_dispatcher=self._event_dispatcher,
            breaker=self.breaker,
        )


class GuardedClusterPipeline(ClusterPipeline):
    """A cluster pipeline whose execute passes a breaker.

    WATCH on a cluster pipeline sends at once without passing it (no caller here WATCHes).
    """

    def __init__(self, *args, breaker: RedisBreaker, **kwargs):
        super().__init__(*args, **kwargs)
        self.breaker = breaker

    def execute(self, raise_on_error: bool = True):
        """Send the queued commands (per node, or one slot's MULTI), unless the breaker is open."""
        if not len(self):
            return []  # nothing to send: Redis is not asked
        return self.breaker.call(_unreachable_as_connection_error(super().execute), raise_on_error)


def _guarded_cluster(url: str, config, breaker: RedisBreaker, timeout: float | None) -> GuardedRedisCluster:
    """Return a cluster client of `url` (redis+cluster://host:port) with the short timeouts."""
    client = GuardedRedisCluster.from_url(
        "redis://" + url[len(CLUSTER_SCHEME) :],
        socket_timeout=timeout or config["REDIS_SOCKET_TIMEOUT"],
        socket_connect_timeout=timeout or config["REDIS_CONNECT_TIMEOUT"],
        # One retry at once (after a failover the slot map is refreshed), never a backoff loop.
        retry=Retry(NoBackoff(), 1),
    )
    client.breaker = breaker
    return client


def guarded_redis(url: str, config, breaker: RedisBreaker, timeout: float | None = None):
    """Return a client of `url` with the configured short timeouts, passing `breaker`.

    redis-py's defaults (5 s timeouts, retried with backoff) let a hung Redis hold a request
    for many seconds. Here a read waits REDIS_SOCKET_TIMEOUT and a connect
    REDIS_CONNECT_TIMEOUT, once: only a refused or reset connection (a pooled connection to a
    restarted Redis) is retried, at once; a timeout never is. A redis+cluster:// URL gives a
    GuardedRedisCluster.
    """
    if is_cluster_url(url):
        return _guarded_cluster(url, config, breaker, timeout)
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
    for the blocking dequeue, which must not reach the cache/GEO client. REDIS_URL may name a
    Redis Cluster (redis+cluster://host:port); QUEUE_REDIS_URL may not (RQ cannot run on one).
    """

    def init_app(self, app: Flask) -> None:
        """Connect (lazily) to the configured Redis servers or create a fakeredis one."""
        config = app.config
        url = config.get("REDIS_URL")
        queue_url = config.get("QUEUE_REDIS_URL") or url
        if is_cluster_url(queue_url):
            raise RuntimeError(
                "QUEUE_REDIS_URL names a Redis Cluster, and RQ cannot run on one: set QUEUE_REDIS_URL "
                "to a single Redis (or a Sentinel-managed primary) when REDIS_URL is a cluster."
            )
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
            if isinstance(client, GuardedRedis | GuardedRedisCluster):
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
