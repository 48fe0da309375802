"""Statistics: the dashboards' figures per place and month (staff; the console shows the same)."""

from app.api.json_body import Blueprint
from app.api.schemas.stats import (
    GridStatsSchema,
    JobsStatsSchema,
    PeopleSchema,
    PlaceArgsSchema,
    PlacesSchema,
    PushStatsSchema,
    SectionArgsSchema,
    StationsStatsSchema,
    ZeroEmploymentSchema,
)
from app.auth import current_account, staff_required
from app.services.stats import report

URL_PREFIX = "/stats"
blp = Blueprint("stats", __name__, description="Statistics per place and month, with drill-down")


@blp.get("/places")
@staff_required
@blp.arguments(PlaceArgsSchema, location="query")
@blp.response(200, PlacesSchema)
def places(args):
    """My place (or ?place= within it): its breadcrumbs, the places one level down, the sections I see."""
    return report.places(current_account(), args.get("place"))


@blp.get("/people")
@staff_required
@blp.arguments(SectionArgsSchema, location="query")
@blp.response(200, PeopleSchema)
def people(args):
    """Residents by employment status and key group, the month's movements, a 12-month trend (officials)."""
    return report.section(current_account(), "people", args.get("place"), args.get("month"))


@blp.get("/zero-employment")
@staff_required
@blp.arguments(SectionArgsSchema, location="query")
@blp.response(200, ZeroEmploymentSchema)
def zero_employment(args):
    """Zero-employment households: open, opened and cleared in the month, days open (officials)."""
    return report.section(current_account(), "zero_employment", args.get("place"), args.get("month"))


@blp.get("/grid")
@staff_required
@blp.arguments(SectionArgsSchema, location="query")
@blp.response(200, GridStatsSchema)
def grid(args):
    """Grid workers' visit days against the plan's 10, coverage this quarter per community (officials)."""
    return report.section(current_account(), "grid", args.get("place"), args.get("month"))


@blp.get("/jobs")
@staff_required
@blp.arguments(SectionArgsSchema, location="query")
@blp.response(200, JobsStatsSchema)
def jobs(args):
    """Jobs published, open, expired; applications, interviews, hires per circle and employer size."""
    return report.section(current_account(), "jobs", args.get("place"), args.get("month"))


@blp.get("/stations")
@staff_required
@blp.arguments(SectionArgsSchema, location="query")
@blp.response(200, StationsStatsSchema)
def stations(args):
    """The station funnel: check-ins by purpose, served, outcome; time to serve; follow-ups; busy hours."""
    return report.section(current_account(), "stations", args.get("place"), args.get("month"))


@blp.get("/push")
@staff_required
@blp.arguments(SectionArgsSchema, location="query")
@blp.response(200, PushStatsSchema)
def push(args):
    """Pushes sent, refused for want of quota, skipped and failed, per template and day (officials)."""
    return report.section(current_account(), "push", args.get("place"), args.get("month"))
