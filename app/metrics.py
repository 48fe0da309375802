"""Prometheus metrics (prometheus_client) and the guarded /metrics endpoint (docs/OPERATIONS.md, "Metrics").

Counted as they happen: requests per route rule, method and status, their latency, error
responses per stable error code, new check-ins per station, and this process's database pool.
Read when scraped: RQ queue depth and failed jobs per queue, and today's pushes per status.

Under gunicorn, with PROMETHEUS_MULTIPROC_DIR set, each worker writes its values to files there
(prometheus_client's multiprocess mode) and a scrape of any worker adds them all up; the hooks in
gunicorn.conf.py clear the directory at start and drop a dead worker's live gauges. Without it
(tests, `make run`) the values live in this process's registry.

No label holds personal data, and every label's values are bounded: route rules (never the raw
path), known methods, status codes, error codes (snake_case literals), station ids, queue names.
"""

import hmac
import ipaddress
import logging
import os
import re
import threading
import time
from functools import lru_cache

import redis
import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

from app.common.clock import local_day
from app.errors import Forbidden
from app.extensions import db, redis_log_level
from app.models import Push
from app.queues import QUEUE_NAMES, get_queue

log = logging.getLogger(__name__)

# No `*_created` series beside each counter: twice the series for a time Prometheus does not need.
disable_created_metrics()
# Counted where they happen; in multiprocess mode written to this process's files instead.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # memory and CPU; one process only, so plain mode only

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by route rule, method and status.",
    ("route", "method", "status"),
    registry=REGISTRY,
)
# From 1 ms (a board search) to 5 s (a stuck upstream); no status label, to keep the series few.
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Seconds from the request's first hook to its response, by route rule and method.",
    ("route", "method"),
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
ERRORS = Counter(
    "api_errors_total",
    "Error responses by their stable error code (the envelope's `code`).",
    ("code", "status"),
    registry=REGISTRY,
)
CHECK_INS = Counter(
    "check_ins_total",
    "New check-ins (201) by station id (`none`: an event's check-in).",
    ("station",),
    registry=REGISTRY,
)
# Per process: in multiprocess mode each worker's value under its pid, dropped when it exits.
POOL_CHECKED_OUT = Gauge(
    "db_pool_checked_out",
    "Database connections this process has checked out of its pool.",
    registry=REGISTRY,
    multiprocess_mode="liveall",
)
POOL_SIZE = Gauge(
    "db_pool_size",
    "Connections this process's pool keeps open (SQLALCHEMY_ENGINE_OPTIONS pool_size).",
    registry=REGISTRY,
    multiprocess_mode="liveall",
)
POOL_OVERFLOW = Gauge(
    "db_pool_overflow",
    "Connections this process holds beyond the pool's size (negative: size not yet reached).",
    registry=REGISTRY,
    multiprocess_mode="liveall",
)

# Probes and scrapes every few seconds would outnumber the users and say nothing of their service.
UNCOUNTED_PATHS = frozenset({"/metrics", "/livez", "/healthz"})
# Any other method (a client may send any word) is one label value, so the series stay bounded.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"  # a 404 or 405 with no route rule: never the raw path
ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def multiprocess_dir() -> str | None:
    """Return PROMETHEUS_MULTIPROC_DIR when this process runs in multiprocess mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def count_check_in(station_id: int | None) -> None:
    """Count one new check-in at a station (None: at an event without one)."""
    CHECK_INS.labels("none" if station_id is None else str(station_id)).inc()


def _start_timer() -> None:
    """Note when the request reached the app (a before_request hook)."""
    g.metrics_started = time.perf_counter()


def _error_code(response) -> str:
    """Return the error envelope's code of an error response (`other` if it has none)."""
    if response.mimetype != "application/json" or response.direct_passthrough:
        return "other"
    # Read back from the envelope: the one place every error path (APIError, HTTP errors, the
    # console's own envelopes) ends up. Only error responses, a few hundred bytes: ~8 µs.
    body = response.get_json(silent=True)
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and ERROR_CODE.fullmatch(code) else "other"


def _record(response):
    """Count the answered request, its latency and its error code (an after_request hook)."""
    if request.path in UNCOUNTED_PATHS:
        return response
    rule = request.url_rule
    route = rule.rule if rule is not None else UNMATCHED
    method = request.method if request.method in METHODS else "other"
    status = response.status_code
    REQUESTS.labels(route, method, str(status)).inc()
    started = g.get("metrics_started")
    if started is not None:
        LATENCY.labels(route, method).observe(time.perf_counter() - started)
    if status >= 400:
        ERRORS.labels(_error_code(response), str(status)).inc()
    return response


def _watch_pool(engine: sa.Engine) -> None:
    """Keep this process's pool gauges current on every checkout and checkin."""
    if not isinstance(engine.pool, QueuePool):
        return  # SQLite in memory: one static connection, nothing to watch

    def checked_out(*_args) -> None:
        """Set the gauges after a checkout (the pool has counted it)."""
        pool = engine.pool
        POOL_CHECKED_OUT.set(pool.checkedout())
        POOL_SIZE.set(pool.size())
        POOL_OVERFLOW.set(pool.overflow())

    def checked_in(*_args) -> None:
        """Set the gauges for a checkin under way."""
        # SQLAlchemy fires `checkin` before it takes the connection back: count it returned, and
        # closed (one overflow fewer) when the pool already holds `size` idle connections.
        pool = engine.pool
        POOL_CHECKED_OUT.set(pool.checkedout() - 1)
        POOL_OVERFLOW.set(pool.overflow() - (1 if pool.checkedin() >= pool.size() else 0))

    # On the engine, not its pool: dispose() makes a new pool that keeps the engine's listeners.
    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "checkin", checked_in)
    checked_out()


class QueueCollector:
    """RQ queue depth and failed jobs per queue, read from the queue Redis when scraped.

    A Redis that is down or hung never fails the scrape: `rq_redis_up` says 0 and the depths are
    left out. Its breaker (app/extensions.py) bounds the wait: one socket timeout, then none.
    """

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        """Yield the queue gauges (inside the scrape's app context)."""
        depth = GaugeMetricFamily("rq_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"])
        failed = GaugeMetricFamily(
            "rq_queue_failed_jobs", "Jobs in each RQ queue's failed registry.", labels=["queue"]
        )
        up = 1
        try:
            for name in QUEUE_NAMES:
                queue = get_queue(name)
                # No cleanup: a scrape only reads (expired entries go with the next worker's cleanup).
                waiting, dead = queue.count, queue.failed_job_registry.get_job_count(cleanup=False)
                depth.add_metric([name], waiting)
                failed.add_metric([name], dead)
        except redis.RedisError as error:
            up = 0
            log.log(redis_log_level(error), "metrics: queue Redis unavailable: %s", error)
        yield GaugeMetricFamily(
            "rq_redis_up", "1 when the queue Redis answered this scrape, else 0.", value=up
        )
        if up:
            yield depth
            yield failed


class PushCollector:
    """Today's pushes (the city's day) per status, from the pushes table, cached METRICS_CACHE_SECONDS.

    Cheap at province scale twice over: the query reads one day's range of ix_pushes_day_status
    (never the whole table), and each process asks at most once per cache window.
    """

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._cached: tuple[float, object, dict[str, int]] | None = None  # (when, day, counts)

    def counts(self) -> dict[str, int] | None:
        """Return today's push counts by status (None when the database does not answer)."""
        seconds = float(current_app.config["METRICS_CACHE_SECONDS"])
        day = local_day()
        with self._lock:
            cached = self._cached
            if cached is not None and cached[1] == day and time.monotonic() - cached[0] < seconds:
                return cached[2]
            try:
                rows = db.session.execute(
                    sa.select(Push.status, sa.func.count()).where(Push.day == day).group_by(Push.status)
                ).all()
                db.session.commit()  # end the read: the scrape holds no transaction open
            except sa.exc.SQLAlchemyError as error:
                db.session.rollback()
                log.warning("metrics: pushes not counted: %s", error)
                return None
            counts = {status: number for status, number in rows}
            self._cached = (time.monotonic(), day, counts)
            return counts

    def collect(self):
        """Yield the push gauges (inside the scrape's app context)."""
        counts = self.counts()
        yield GaugeMetricFamily(
            "pushes_database_up",
            "1 when the pushes could be counted for this scrape, else 0.",
            value=0 if counts is None else 1,
        )
        if counts is None:
            return
        family = GaugeMetricFamily(
            "pushes_today", "Pushes of the city's current day (their `day`) by status.", labels=["status"]
        )
        for status in sorted(counts):
            family.add_metric([status], counts[status])
        yield family


@lru_cache(maxsize=8)
def _networks(spec: str) -> tuple:
    """Parse METRICS_NETWORKS ("10.0.0.0/8,::1"; empty: any address) once per value."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _allowed_address(address: str | None, spec: str) -> bool:
    """Tell whether a scraper's address lies in METRICS_NETWORKS."""
    networks = _networks(spec)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def metrics_view():
    """Answer a scrape: 404 unless METRICS_TOKEN is set and the address allowed; 403 without the token."""
    config = current_app.config
    token = config.get("METRICS_TOKEN") or ""
    if not token or not _allowed_address(request.remote_addr, config.get("METRICS_NETWORKS") or ""):
        abort(404)  # as if there were no such page: nothing to probe from outside
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Forbidden("metrics_forbidden", "Send the metrics token as a Bearer token.")
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(current_app.extensions["metrics_registry"])
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def install_metrics(app: Flask) -> None:
    """Count every request, watch the database pool, and serve /metrics (called by create_app)."""
    token = app.config.get("METRICS_TOKEN") or ""
    if app.config.get("CONFIG_NAME") == "production" and token and len(token) < 32:
        raise RuntimeError("Refusing to start in production: METRICS_TOKEN must be at least 32 characters")
    _networks(app.config.get("METRICS_NETWORKS") or "")  # a typo fails the start, not the first scrape
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(QueueCollector(app))
    scraped.register(PushCollector(app))
    app.extensions["metrics_registry"] = scraped
    app.before_request(_start_timer)
    app.after_request(_record)
    app.add_url_rule("/metrics", "metrics", metrics_view)
    with app.app_context():
        _watch_pool(db.engine)
