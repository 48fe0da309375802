"""Operators (运营机构) and their contracts; staff accounts belong to them."""

from app.api.json_body import Blueprint

URL_PREFIX = ""
blp = Blueprint(
    "operators",
    __name__,
    description="Operators (运营机构) and their contracts; staff accounts belong to them",
)
