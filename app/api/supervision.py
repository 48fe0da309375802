"""Supervision (监理): phone spot-checks, findings, operator KPIs, the monthly report."""

from app.api.json_body import Blueprint

URL_PREFIX = ""
blp = Blueprint(
    "supervision",
    __name__,
    description="Supervision (监理): phone spot-checks, findings, operator KPIs, the monthly report",
)
