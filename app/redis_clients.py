"""Redis clients: a circuit breaker per server, and the clients of the URL forms the settings take.

A URL is redis://host:port/db (one server), redis+cluster://host:port (a Redis Cluster, any one
node) or redis+sentinel://host:port,host:port,host:port/service[/db] (the primary that Redis
Sentinels name for `service`, found again through them after a failover). app/extensions.py
builds the app's clients with `guarded_redis`.
"""

import logging
import threading
import time

import redis as redis_lib
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.cluster import ClusterPipeline, RedisCluster
from redis.connection import ConnectionPool
from redis.exceptions import RedisClusterException
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool, SentinelConnectionPoolProxy

log = logging.getLogger(__name__)


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
        self._executing = False

    def execute(self, raise_on_error: bool = True):
        """Send the queued commands, unless the breaker is open."""
        if not self.command_stack and not self.watching:
            return []  # nothing to send: Redis is not asked
        self._executing = True
        try:
            return self.breaker.call(super().execute, raise_on_error)
        finally:
            self._executing = False

    def immediate_execute_command(self, *args, **options):
        """Send a command at once (under WATCH), unless the breaker is open."""
        if self._executing:
            # Part of execute's own round trips (SCRIPT EXISTS for its scripts), which its breaker
            # call already counts: asked again, a breaker whose probe is that execute would fail it.
            return super().immediate_execute_command(*args, **options)
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


# QUEUE_REDIS_URL (or REDIS_URL) names a Sentinel-managed primary with this scheme.
SENTINEL_SCHEME = "redis+sentinel://"
# Where a Sentinel listens when its URL gives no port.
SENTINEL_DEFAULT_PORT = 26379


def is_sentinel_url(url: str | None) -> bool:
    """Tell whether `url` names a Sentinel-managed primary (redis+sentinel://...)."""
    return bool(url) and url.lower().startswith(SENTINEL_SCHEME)


def is_sentinel(client) -> bool:
    """Tell whether `client` talks to a Sentinel-managed primary."""
    return isinstance(getattr(client, "connection_pool", None), SentinelConnectionPool)


def _host_port(address: str, url: str) -> tuple[str, int]:
    """Return the (host, port) of one Sentinel of a redis+sentinel:// URL."""
    address = address.strip()
    host, _, port = address.rpartition(":") if ":" in address else (address, "", "")
    if not host or (port and not port.isdigit()):
        raise _malformed(url, f"{address!r} is not host:port")
    return host, int(port or SENTINEL_DEFAULT_PORT)


def _malformed(url: str, reason: str) -> RuntimeError:
    """Return the error a malformed Sentinel URL raises at start."""
    return RuntimeError(
        f"{url!r} is not a Redis Sentinel URL ({reason}): expected "
        "redis+sentinel://host:port,host:port,host:port/service[/db], e.g. "
        "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/ec-queue"
    )


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str, int]:
    """Return the Sentinels, service name and db of a redis+sentinel:// URL; RuntimeError if malformed."""
    rest = url[len(SENTINEL_SCHEME) :]
    if any(mark in rest for mark in "@?#"):
        raise _malformed(url, "passwords and options are not supported")
    hosts, _, path = rest.partition("/")
    service, _, db = path.partition("/")
    sentinels = [_host_port(each, url) for each in hosts.split(",") if each.strip()]
    if not sentinels:
        raise _malformed(url, "no Sentinel host")
    if not service:
        raise _malformed(url, "no service name")
    if db and not db.isdigit():
        raise _malformed(url, f"database {db!r} is not a number")
    return sentinels, service, int(db or 0)


# Connection kwargs a redis-py pool adds to the given ones (RQ drops the same when it rebuilds a client).
_POOL_STATE_KWARGS = (
    "connection_pool",
    "event_dispatcher",
    "himport_registry",
    "maint_notifications_config",
    "maint_notifications_pool_handler",
    "orig_host_address",
    "orig_socket_connect_timeout",
    "orig_socket_timeout",
)


def _through_sentinels(pool: ConnectionPool | None) -> ConnectionPool | None:
    """Return `pool`, or a Sentinel pool in its place if it is a plain pool of a Sentinel's connections.

    RQ's scheduler rebuilds its client as `connection.__class__(connection_pool=ConnectionPool(
    **connection_pool.connection_kwargs))`. The connections of that plain pool still ask the
    Sentinels where the primary is, but the pool would neither drop its idle connections to a
    demoted primary nor refuse them back: reads would go on being served by the old primary,
    now a replica, after a failover.
    """
    if pool is None or isinstance(pool, SentinelConnectionPool):
        return pool
    proxy = pool.connection_kwargs.get("connection_pool")
    if not isinstance(proxy, SentinelConnectionPoolProxy):
        return pool
    # What the plain pool derived for itself (its handlers, registries) is not the new pool's.
    kwargs = {key: value for key, value in pool.connection_kwargs.items() if key not in _POOL_STATE_KWARGS}
    return SentinelConnectionPool(
        proxy.service_name,
        proxy.sentinel_manager,
        is_master=proxy.is_master,
        check_connection=proxy.check_connection,
        **kwargs,
    )


class SentinelGuardedRedis(GuardedRedis):
    """A GuardedRedis of a Sentinel-managed primary, which it finds through the Sentinels on every connect.

    Rebuilt from its pool's kwargs (RQ's scheduler does), it still gets a Sentinel pool.
    """

    def __init__(self, *args, connection_pool: ConnectionPool | None = None, **kwargs):
        super().__init__(*args, connection_pool=_through_sentinels(connection_pool), **kwargs)


def _guarded_sentinel(url: str, config, breaker: RedisBreaker, timeout: float | None) -> SentinelGuardedRedis:
    """Return a client of the primary a redis+sentinel:// URL names, with the short timeouts."""
    sentinels, service, db = parse_sentinel_url(url)
    timeouts = {
        "socket_timeout": timeout or config["REDIS_SOCKET_TIMEOUT"],
        "socket_connect_timeout": timeout or config["REDIS_CONNECT_TIMEOUT"],
    }
    # A Sentinel that does not answer is not retried: the next one is asked.
    manager = Sentinel(sentinels, sentinel_kwargs={**timeouts, "retry": Retry(NoBackoff(), 0)})
    client = manager.master_for(
        service, redis_class=SentinelGuardedRedis, db=db, retry=_retry_refused_once(), **timeouts
    )
    client.breaker = breaker
    return client


def _retry_refused_once() -> Retry:
    """Return the retry of a single server: a refused or reset connection once, at once; never a timeout."""
    return Retry(NoBackoff(), 1, supported_errors=(redis_lib.ConnectionError,))


def guarded_redis(url: str, config, breaker: RedisBreaker, timeout: float | None = None):
    """Return a client of `url` with the configured short timeouts, passing `breaker`.

    redis-py's defaults (5 s timeouts, retried with backoff) let a hung Redis hold a request
    for many seconds. Here a read waits REDIS_SOCKET_TIMEOUT and a connect
    REDIS_CONNECT_TIMEOUT, once: only a refused or reset connection (a pooled connection to a
    restarted Redis, or to a primary that failed over) is retried, at once; a timeout never
    is. A redis+cluster:// URL gives a GuardedRedisCluster, a redis+sentinel:// one a
    SentinelGuardedRedis.
    """
    if is_cluster_url(url):
        return _guarded_cluster(url, config, breaker, timeout)
    if is_sentinel_url(url):
        return _guarded_sentinel(url, config, breaker, timeout)
    client = GuardedRedis.from_url(
        url,
        socket_timeout=timeout or config["REDIS_SOCKET_TIMEOUT"],
        socket_connect_timeout=timeout or config["REDIS_CONNECT_TIMEOUT"],
        retry=_retry_refused_once(),
    )
    client.breaker = breaker
    return client
