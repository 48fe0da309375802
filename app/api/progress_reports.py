"""Districts' monthly progress reports to the city."""

from app.api.json_body import Blueprint

URL_PREFIX = ""
blp = Blueprint(
    "progress_reports",
    __name__,
    description="Districts' monthly progress reports to the city",
)
