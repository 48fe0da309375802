"""The staff console's benchmark scenarios at mini scale: the dashboards under load, an export in a worker."""

import contextlib
import threading
from types import SimpleNamespace

import sqlalchemy as sa
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Account, ExportJob
from bench import generate_history, scenario_dashboard, scenario_export
from bench.common import app_env
from bench.generate import build
from tests.support import backend_settings


@contextlib.contextmanager
def threaded(app, **settings):
    """Serve the test app on a free port from a thread, with these settings in force meanwhile."""
    before = dict(app.config)
    app.config.update({name: int(value) for name, value in settings.items()})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        app.config.clear()
        app.config.update(before)


def test_dashboard_scenario_measures_every_endpoint(app):
    _, manifest = build("mini", seed=3)
    generate_history.build("mini", 3, manifest)
    db.session.commit()
    app.config["STATS_CACHE_SECONDS"] = 0

    result = scenario_dashboard.measure_all(
        app, lambda **settings: threaded(app, **settings), scenario_dashboard.TINY, users=2
    )

    pages = len(scenario_dashboard.PAGES) if result["console_page"] else 0
    per_place = len(scenario_dashboard.SECTIONS) + pages
    assert result["load"]["endpoints"] == {"city": per_place, "drill_down": 2 * per_place}
    for name in ("uncached", "warm"):
        for mix in ("city", "drill_down"):
            measured = result[name][mix]
            assert measured["requests"] > 0 and measured["errors"] == {}, measured
            assert all(figures["not_ok"] == 0 for figures in measured["by_label"].values())
            assert 0 < measured["p50_ms"] <= measured["p95_ms"] <= measured["max_ms"]
    assert len(result["first_views"]) == 3 * per_place
    assert {view["status"] for view in result["first_views"].values()} == {200}
    counted = result["in_process"]
    assert {figures["status"] for figures in counted.values()} == {200}, counted
    assert all(figures["statements"] > 0 for figures in counted.values())
    assert result["places"]["city"].startswith("city:")
    # The officials it signs in are real city admins with a second factor.
    officials = db.session.scalars(sa.select(Account).where(Account.username.like("bench-console-%"))).all()
    assert len(officials) == 2
    assert all(account.totp_enabled_at is not None for account in officials)


def test_export_scenario_writes_in_a_worker_of_its_own(app, backend, tmp_path):
    _, manifest = build("mini", seed=3)
    db.session.commit()
    export_dir = tmp_path / "exports"
    app.config["EXPORT_DIR"] = str(export_dir)
    app.config["EXPORT_INLINE_MAX_ROWS"] = 100  # mini's rows go to the worker, as 100,000 would
    actor_id = manifest["city_admin"]["account_id"]
    filters, rows = scenario_export.choose_filters(db.session.get(Account, actor_id), rows=500)
    assert 500 <= rows < 3000
    log = tmp_path / "worker.log"
    if backend == "embedded":
        # No other process reaches the in-memory Redis: the task runs in a process of its own.
        mode = "task"
        overrides = backend_settings(app)

        def start():
            return scenario_export.task_process("testing", {**overrides, "EXPORT_DIR": str(export_dir)}, log)
    else:
        mode = "rq"
        app.config["RQ_ASYNC"] = True
        url, redis_url = app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"]
        env = app_env(DATABASE_URL=url, REDIS_URL=redis_url, QUEUE_REDIS_URL=redis_url, EXPORT_DIR=export_dir)

        def start():
            return scenario_export.rq_worker(env, log)

    runs = scenario_export.measure(actor_id, filters, mode, start, per_worker=2)

    assert [(run["format"], run["worker_export"]) for run in runs] == [
        ("xlsx", 1),
        ("xlsx", 2),
        ("csv", 1),
        ("csv", 2),
    ]
    assert all(run["rows"] == rows and run["size_mb"] > 0 for run in runs)
    assert all(run["rss_before_mb"] > 0 and run["rss_peak_mb"] >= run["rss_before_mb"] for run in runs)
    # The CSV holds the title block, the header and every row.
    assert all(run["file_lines"] > rows for run in runs if run["format"] == "csv")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportJob)) == 4
    assert not any(export_dir.glob("*.xlsx")) and not any(export_dir.glob("*.csv"))
    summary = scenario_export.summarise(runs)
    assert summary["worst_growth_mb"] < 150
