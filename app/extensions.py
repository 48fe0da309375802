"""Extension objects, created once and bound to the app in create_app() (queues: app/queues.py)."""

import fakeredis
import redis as redis_lib
import sqlalchemy as sa
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from app.errors import ErrorSchema
from app.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)


class ApiWithErrors(Api):
    """flask-smorest Api whose documented error body is our envelope.

    Made per app in create_app() rather than here: an Api holds one app's OpenAPI spec.
    """

    ERROR_SCHEMA = ErrorSchema


class RedisConnections:
    """The app's Redis connections: cache/GEO (`REDIS_URL`) and queues (`QUEUE_REDIS_URL`).

    With no URL configured both are one in-process fakeredis server, so `make run` needs
    no Redis.
    """

    def init_app(self, app: Flask) -> None:
        """Connect (lazily) to the configured Redis servers or create a fakeredis one."""
        url = app.config.get("REDIS_URL")
        queue_url = app.config.get("QUEUE_REDIS_URL") or url
        main = redis_lib.Redis.from_url(url) if url else fakeredis.FakeRedis(server=fakeredis.FakeServer())
        queue = redis_lib.Redis.from_url(queue_url) if queue_url and queue_url != url else main
        app.extensions["redis"] = main
        app.extensions["queue_redis"] = queue


redis_connections = RedisConnections()


def get_redis() -> redis_lib.Redis:
    """Return the cache/GEO Redis connection of the current app."""
    return current_app.extensions["redis"]


def ping_database() -> None:
    """Run a trivial query; raise if the database does not answer."""
    db.session.execute(sa.text("SELECT 1"))
