"""Extension objects, created once and bound to the app in create_app() (queues: app/queues.py)."""

import redis as redis_lib
import sqlalchemy as sa
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.errors import ErrorSchema
from app.models.base import Base

# The clients live in app/redis_clients.py; the names the rest of the app uses are imported from here.
from app.redis_clients import GuardedRedis as GuardedRedis
from app.redis_clients import GuardedRedisCluster as GuardedRedisCluster
from app.redis_clients import RedisBreaker as RedisBreaker
from app.redis_clients import RedisUnavailable as RedisUnavailable
from app.redis_clients import guarded_redis as guarded_redis
from app.redis_clients import is_cluster as is_cluster
from app.redis_clients import is_cluster_url as is_cluster_url
from app.redis_clients import redis_log_level as redis_log_level

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
# CSRF tokens for the console's forms and fetches (it checks them itself: WTF_CSRF_CHECK_DEFAULT=False).
csrf = CSRFProtect()


class ApiWithErrors(Api):
    """flask-smorest Api whose documented error body is our envelope.

    Made per app in create_app() rather than here: an Api holds one app's OpenAPI spec.
    """

    ERROR_SCHEMA = ErrorSchema


class RedisConnections:
    """The app's Redis connections: cache/GEO (`REDIS_URL`) and queues (`QUEUE_REDIS_URL`).

    With no URL configured both are one in-process fakeredis server, so `make run` needs
    no Redis. Real ones get short timeouts and a circuit breaker per server (shared by the
    clients of one URL); `/healthz` pings through clients of its own (REDIS_HEALTH_TIMEOUT).
    The queue client is separate even on the same URL: an RQ worker lengthens its timeout
    for the blocking dequeue, which must not reach the cache/GEO client. REDIS_URL may name a
    Redis Cluster (redis+cluster://host:port); QUEUE_REDIS_URL may not (RQ cannot run on one).
    Either may name a Sentinel-managed primary (redis+sentinel://host:port,.../service[/db]);
    a malformed URL raises RuntimeError here, at start.
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
