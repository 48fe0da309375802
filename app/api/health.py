"""GET /healthz: is the database and Redis answering?"""

from flask import Blueprint, current_app, jsonify

from app.extensions import db, get_redis, ping_database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Check the database and Redis; 200 when both answer, else 503 naming the failure."""
    checks = {}
    try:
        ping_database()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy", never a 500
        db.session.rollback()
        current_app.logger.warning("healthz: database: %s", exc)
        checks["database"] = "error"
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        current_app.logger.warning("healthz: redis: %s", exc)
        checks["redis"] = "error"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if healthy else "unavailable", **checks}), 200 if healthy else 503
