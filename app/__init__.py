"""The application factory."""

import os

from flask import Flask
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import CONFIGS, ProductionConfig


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Create the app for `config_name` (default: $APP_CONFIG or "development")."""
    name = config_name or os.environ.get("APP_CONFIG", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"unknown config {name!r}; choose one of {sorted(CONFIGS)}")
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides or {})
    app.config["CONFIG_NAME"] = name
    if name == "production":
        ProductionConfig.check(app.config)
    if app.config["PROXY_COUNT"]:
        # So request.remote_addr (written to audit events) is the client, not the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=1)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)

    from app import models  # noqa: F401  (register every table before Alembic looks)
    from app.api import register_blueprints
    from app.api.jobs import render_summaries
    from app.cli import register_commands
    from app.console import register_console
    from app.db_pool import install_pool_checks
    from app.errors import register_error_handlers
    from app.extensions import ApiWithErrors, db, migrate, redis_connections
    from app.metrics import install_metrics
    from app.request_log import install_request_log
    from app.services.jobs.search.board import JobBoard
    from app.tasks import certifications, exports, maintenance, people, push  # noqa: F401  (declare every task before any is enqueued)
    from app.wechat import wechat

    # First of the hooks: the request id and the log format hold for everything after them.
    install_request_log(app)
    db.init_app(app)
    with app.app_context():
        install_pool_checks(db.engine, app.config["DATABASE_PING_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    redis_connections.init_app(app)
    wechat.init_app(app)
    api = ApiWithErrors(
        app,
        spec_kwargs={
            "info": {"description": "Backend of the Huangshan 3-km employment circle mini-program."},
        },
    )
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "Token from /auth/*-login"}
    )
    register_blueprints(app, api)
    # The staff console (/console/): its pages, cookie session and CSRF (checked for the console only).
    register_console(app)
    # This process's copy of the live jobs, rendered as the API lists them (services/jobs/search).
    app.extensions["job_board"] = JobBoard(render_summaries)
    register_error_handlers(app)
    install_metrics(app)
    register_commands(app)
    if app.config["EMBEDDED_SCHEDULER"]:
        # Scheduled work in this process (fakeredis is in-process), from the first request on.
        from app.tasks.scheduler import start_on_first_request

        start_on_first_request(app)

    @app.after_request
    def no_sniffing(response):
        """Make browsers trust every answer's Content-Type (JSON, files), never sniff one."""
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    # Registered after db.init_app, so it runs before Flask-SQLAlchemy's own session removal.
    @app.teardown_appcontext
    def close_session(error):
        """End the request's session; one whose connection died under it is dropped, not rolled back.

        A Galera node lost between a request's last statement and its end leaves a connection
        whose rollback raises 2013: from the teardown that would be gunicorn's bare 500 in place
        of the answer the request had already made.
        """
        try:
            db.session.remove()
        except DBAPIError as lost:
            app.logger.warning("session closed on a lost database connection: %s", lost.orig)
            db.session().invalidate()  # the request's Session itself: the scoped proxy has no invalidate
            db.session.remove()

    return app
