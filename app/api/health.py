"""GET /livez: does this process answer? GET /healthz: is the database and Redis answering?
GET /readyz: may this process take traffic?"""

from flask import Blueprint, current_app, jsonify

from app.errors import redis_retry_after
from app.extensions import db, ping_database, redis_to_check
from app.readiness import readiness

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    """Answer 200 while this process serves requests at all: the balancer's check (HAProxy).

    Nothing behind it is asked: a database or Redis failover is every process's at once, and
    each answers it with its own 503 + Retry-After; a balancer that took every process out on
    /healthz would turn those into its own page without a code.
    """
    return jsonify({"status": "alive"})


@bp.get("/healthz")
def healthz():
    """Check the database and Redis; 200 when all answer, else 503 naming the failure.

    Redis is pinged through clients of its own (REDIS_HEALTH_TIMEOUT, no retry) and its
    circuit breaker: a Redis that failed moments ago is reported at once, not waited for.
    """
    checks = {}
    try:
        ping_database()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy", never a 500
        db.session.rollback()
        current_app.logger.warning("healthz: database: %s", exc)
        checks["database"] = "error"
    for name, client in redis_to_check().items():
        try:
            client.ping()
            checks[name] = "ok"
        except Exception as exc:  # as above: unhealthy, not a 500
            current_app.logger.warning("healthz: %s: %s", name, exc)
            checks[name] = "error"
    healthy = all(v == "ok" for v in checks.values())
    response = jsonify({"status": "ok" if healthy else "unavailable", **checks})
    if not healthy:
        response.status_code = 503
        response.headers["Retry-After"] = str(redis_retry_after())
    return response


@bp.get("/readyz")
def readyz():
    """Run the readiness checks; 200 when all pass, else 503 with Retry-After and each failure's reason.

    Beyond /healthz: both Redises, each RQ queue's depth, the cached WeChat token and the
    outbox's oldest waiting task (app/readiness.py; docs/OPERATIONS.md, "Ready for traffic").
    """
    checks = readiness()
    ready = all(check["ok"] for check in checks.values())
    response = jsonify({"status": "ready" if ready else "not_ready", "checks": checks})
    response.headers["Cache-Control"] = "no-store"
    if not ready:
        response.status_code = 503
        response.headers["Retry-After"] = str(redis_retry_after())
    return response
