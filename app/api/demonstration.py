"""Demonstration communities (示范社区评选): criteria, rankings, confirmation, export."""

from app.api.json_body import Blueprint

URL_PREFIX = ""
blp = Blueprint(
    "demonstration",
    __name__,
    description="Demonstration communities (示范社区评选): criteria, rankings, confirmation, export",
)
