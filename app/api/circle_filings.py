"""Circles per district, filed with the city (报市局备案), and their history."""

from app.api.json_body import Blueprint

URL_PREFIX = ""
blp = Blueprint(
    "circle_filings",
    __name__,
    description="Circles per district, filed with the city (报市局备案), and their history",
)
