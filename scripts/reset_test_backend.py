"""Empty a test database (drop and re-create it) and a Redis database, for a test run that
builds its schema from the migrations: `reset_test_backend.py DATABASE_URL REDIS_URL`."""

import sys

import redis
import sqlalchemy as sa


def main(database_url: str, redis_url: str) -> None:
    """Drop and re-create the database named in the URL (MySQL/MariaDB); flush the Redis db."""
    url = sa.engine.make_url(database_url)
    if not url.drivername.startswith("mysql"):
        raise SystemExit(f"only a MySQL/MariaDB test database is reset here, not {url.drivername}")
    name = url.database
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to reset a database named {name!r}")
    # (URL.set() takes None for "unchanged", so the server URL is built anew.)
    server = sa.create_engine(
        sa.engine.URL.create(url.drivername, url.username, url.password, url.host, url.port, query=url.query)
    )
    with server.begin() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        connection.execute(
            sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        )
    server.dispose()
    redis.Redis.from_url(redis_url).flushdb()


if __name__ == "__main__":
    main(*sys.argv[1:3])
