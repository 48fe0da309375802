"""Populations and the funding calculator (购买服务费用), with what-if and Excel."""

from app.api.json_body import Blueprint

URL_PREFIX = ""
blp = Blueprint(
    "funding",
    __name__,
    description="Populations and the funding calculator (购买服务费用), with what-if and Excel",
)
