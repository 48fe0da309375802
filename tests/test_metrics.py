"""Prometheus metrics at /metrics: who may scrape, what requests count, what is read at scrape time."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from prometheus_client import multiprocess
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue
from rq.job import Job

from app.common.clock import local_day
from app.extensions import RedisBreaker, db, guarded_redis
from app.models import Push, utcnow
from app.tasks.maintenance import flush_outbox
from tests.stations.test_check_ins import make_station, printed_url
from tests.support import check_in, error_of, search

TOKEN = "metrics-token-for-the-tests-0123456789"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def metrics(app, client):
    """Turn /metrics on (push counts never cached) and return a scraper: {(name, labels): value}."""
    app.config.update(METRICS_TOKEN=TOKEN, METRICS_CACHE_SECONDS=0)

    def scrape() -> dict:
        response = client.get("/metrics", headers=SCRAPE)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/plain"
        return samples(response.get_data(as_text=True))

    return scrape


def samples(text: str) -> dict:
    """Parse the text format into {(sample name, frozenset of labels): value}."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: dict, name: str, **labels) -> float:
    """Return one sample's value (0 when the series does not exist yet)."""
    return scraped.get((name, frozenset(labels.items())), 0.0)


def names(scraped: dict) -> set[str]:
    """Return the sample names scraped."""
    return {name for name, _ in scraped}


def test_metrics_are_not_served_until_a_token_is_configured(app, client):
    assert not app.config["METRICS_TOKEN"]

    response = client.get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_scrape_needs_the_token_and_an_allowed_address(app, client):
    app.config.update(METRICS_TOKEN=TOKEN, METRICS_NETWORKS="10.0.0.0/8,127.0.0.1")

    assert error_of(client.get("/metrics"))["code"] == "metrics_forbidden"
    wrong = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 403
    assert client.get("/metrics", headers=SCRAPE).status_code == 200
    inside = client.get("/metrics", headers=SCRAPE, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert inside.status_code == 200
    # From a public address the right token still finds nothing.
    outside = client.get("/metrics", headers=SCRAPE, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 404


def test_requests_count_by_route_rule_with_their_latency_and_error_codes(client, metrics):
    before = metrics()

    assert search(client).status_code == 200
    assert client.get("/api/v1/jobs/987654").status_code == 404
    bad = search(client, lat=95)
    assert bad.status_code == 422
    assert error_of(bad)["code"] == "coordinates_out_of_range"
    assert client.get("/api/v1/no/such/path-4242").status_code == 404
    client.get("/healthz")
    after = metrics()

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    jobs = {"route": "/api/v1/jobs", "method": "GET"}
    assert moved("http_requests_total", **jobs, status="200") == 1
    assert moved("http_requests_total", **jobs, status="422") == 1
    assert moved("http_request_duration_seconds_count", **jobs) == 2
    assert moved("http_request_duration_seconds_bucket", **jobs, le="+Inf") == 2
    assert 0 < moved("http_request_duration_seconds_sum", **jobs) < 5
    detail = {"route": "/api/v1/jobs/<int:job_id>", "method": "GET", "status": "404"}
    assert moved("http_requests_total", **detail) == 1
    assert moved("http_requests_total", route="(unmatched)", method="GET", status="404") == 1
    assert moved("api_errors_total", code="job_not_found", status="404") == 1
    assert moved("api_errors_total", code="coordinates_out_of_range", status="422") == 1
    assert moved("api_errors_total", code="not_found", status="404") == 1
    # Neither the probes nor the scrapes are counted; no raw path is ever a label.
    routes = {dict(labels).get("route") for name, labels in after if name == "http_requests_total"}
    assert "/healthz" not in routes and "/metrics" not in routes
    assert not any("987654" in str(labels) or "4242" in str(labels) for _, labels in after)


def test_a_method_nobody_uses_is_one_label_value(client, metrics):
    before = metrics()

    assert client.open("/api/v1/jobs", method="BREW").status_code == 405
    after = metrics()

    labels = {"route": "(unmatched)", "method": "other", "status": "405"}
    assert value(after, "http_requests_total", **labels) - value(before, "http_requests_total", **labels) == 1
    assert not any(dict(labels).get("method") == "BREW" for _, labels in after)


def test_a_new_check_in_counts_at_its_station_and_a_repeat_does_not(
    client, metrics, staff_headers, wechat_login
):
    admin = staff_headers("city_admin", "city", "341000000000")[1]
    station = make_station(client, admin)
    url = printed_url(client, admin, station["id"])
    resident = wechat_login()[1]
    before = metrics()

    first = check_in(client, resident, url, client_id="first-visit")
    again = check_in(client, resident, url, client_id="first-visit")
    refused = check_in(client, resident, "not-a-code")
    after = metrics()

    assert (first.status_code, again.status_code, refused.status_code) == (201, 200, 422)
    station_label = {"station": str(station["id"])}
    assert (
        value(after, "check_ins_total", **station_label) - value(before, "check_ins_total", **station_label)
        == 1
    )
    code = error_of(refused)["code"]
    assert value(after, "api_errors_total", code=code, status="422") == (
        value(before, "api_errors_total", code=code, status="422") + 1
    )


def test_queue_depth_and_failed_jobs_are_read_when_scraped(app, metrics):
    queue = Queue("push", connection=app.extensions["queue_redis"])  # enqueued for no worker
    queue.enqueue(flush_outbox)
    queue.enqueue(flush_outbox)
    queue.failed_job_registry.add(Job.create(flush_outbox, connection=queue.connection))

    scraped = metrics()

    assert value(scraped, "rq_redis_up") == 1
    assert value(scraped, "rq_queue_jobs", queue="push") == 2
    assert value(scraped, "rq_queue_jobs", queue="default") == 0
    assert ("rq_queue_jobs", frozenset({("queue", "default")})) in scraped
    assert value(scraped, "rq_queue_failed_jobs", queue="push") == 1
    assert value(scraped, "rq_queue_failed_jobs", queue="default") == 0


def test_a_queue_redis_that_is_down_does_not_fail_the_scrape(app, metrics):
    # Nothing listens on port 9: the connection is refused, and the breaker opens.
    app.extensions["queue_redis"] = guarded_redis(
        "redis://127.0.0.1:9/0", app.config, RedisBreaker("queue", 5)
    )

    first, second = metrics(), metrics()

    for scraped in (first, second):
        assert value(scraped, "rq_redis_up") == 0
        assert "rq_queue_jobs" not in names(scraped)
        assert value(scraped, "pushes_database_up") == 1  # the rest of the scrape is there


def push_row(status: str) -> None:
    """Write a push of today with `status` (no person: the metric never looks at one)."""
    now = utcnow()
    db.session.add(
        Push(
            kind="job_match",
            object_type="job",
            object_id=uuid.uuid4().hex[:12],
            status=status,
            data={},
            day=local_day(now),
            send_after=now,
        )
    )
    db.session.commit()


def test_pushes_today_are_counted_by_status_and_cached_between_scrapes(app, metrics):
    push_row("failed")
    push_row("sent")
    push_row("sent")

    scraped = metrics()

    assert value(scraped, "pushes_database_up") == 1
    assert value(scraped, "pushes_today", status="sent") == 2
    assert value(scraped, "pushes_today", status="failed") == 1
    assert ("pushes_today", frozenset({("status", "pending")})) not in scraped

    app.config["METRICS_CACHE_SECONDS"] = 60
    push_row("failed")
    assert value(metrics(), "pushes_today", status="failed") == 1  # the cached count
    app.config["METRICS_CACHE_SECONDS"] = 0
    assert value(metrics(), "pushes_today", status="failed") == 2


def test_the_database_pool_of_this_process_is_watched(app, metrics):
    pool = db.engine.pool
    db.session.remove()  # the test's own session holds no connection
    idle = metrics()
    with db.engine.connect(), db.engine.connect():
        overflow = pool.overflow()  # connections opened beyond the size (negative: fewer)
        held = metrics()

    assert pool.size() > 0
    assert value(idle, "db_pool_size") == value(held, "db_pool_size") == pool.size()
    # The scrape reads the gauges before its own database work (the push counts).
    assert value(idle, "db_pool_checked_out") == 0
    assert value(held, "db_pool_checked_out") == 2
    assert value(held, "db_pool_overflow") == overflow
    assert value(metrics(), "db_pool_checked_out") == 0


def test_worker_processes_add_up_and_a_dead_one_drops_its_pool_gauges(app, metrics, tmp_path, monkeypatch):
    code = (
        "from app.metrics import POOL_SIZE, count_check_in\n"
        "count_check_in(7); POOL_SIZE.set(5); import os; print(os.getpid())"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    workers = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    pids = [worker.communicate(timeout=60)[0].strip() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0]
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    scraped = metrics()

    assert value(scraped, "check_ins_total", station="7") == 2
    assert {value(scraped, "db_pool_size", pid=pid) for pid in pids} == {5}
    multiprocess.mark_process_dead(int(pids[0]), str(tmp_path))  # what gunicorn's child_exit does
    after = metrics()
    assert value(after, "check_ins_total", station="7") == 2  # a dead worker's counts stay in the sums
    assert ("db_pool_size", frozenset({("pid", pids[0])})) not in after
    assert value(after, "db_pool_size", pid=pids[1]) == 5
