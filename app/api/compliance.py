"""Compliance with the plan's standing rules, gaps with since-when, weekly digests."""

from app.api.json_body import Blueprint

URL_PREFIX = ""
blp = Blueprint(
    "compliance",
    __name__,
    description="Compliance with the plan's standing rules, gaps with since-when, weekly digests",
)
