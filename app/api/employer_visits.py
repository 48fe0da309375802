"""Employers met in the field: staff record visits and calls with hiring needs, and draft jobs of them."""

from app.api.json_body import Blueprint
from app.api.schemas.employer_visits import (
    DraftsSchema,
    EmployerVisitInputSchema,
    EmployerVisitPageSchema,
    EmployerVisitQuerySchema,
    EmployerVisitSchema,
    HiringNeedPageSchema,
    HiringNeedQuerySchema,
)
from app.auth import client_ip, current_account, staff_required
from app.services.jobs import employer_visits, hiring_needs

URL_PREFIX = "/employer-visits"
blp = Blueprint(
    "employer_visits", __name__, description="Employers met in the field: visits, calls, hiring needs"
)


def _filters(args: dict) -> dict:
    """Return the list filters with a place read as a place."""
    if args.get("place"):
        args = {**args, "place": employer_visits.place_ref(args["place"])}
    return args


@blp.post("")
@staff_required
@blp.arguments(EmployerVisitInputSchema)
@blp.response(201, EmployerVisitSchema)
@blp.alt_response(
    200, schema=EmployerVisitSchema, description="Recorded before with this client_id: the first visit"
)
def record(values):
    """Record a visit or phone call to an employer in my area, with its hiring needs (audited)."""
    visit, created = employer_visits.record_visit(current_account(), values, client_ip())
    return visit, 201 if created else 200


@blp.get("")
@staff_required
@blp.arguments(EmployerVisitQuerySchema, location="query")
@blp.response(200, EmployerVisitPageSchema)
def list_visits(args):
    """List the visits and calls in my area, newest first (by place, days, channel, open needs, subsidy)."""
    return employer_visits.list_visits(current_account(), **_filters(args))


@blp.get("/hiring-needs")
@staff_required
@blp.arguments(HiringNeedQuerySchema, location="query")
@blp.response(200, HiringNeedPageSchema)
def list_needs(args):
    """List the hiring needs in my area, soonest deadline first (e.g. ?state=open)."""
    return hiring_needs.list_needs(current_account(), **_filters(args))


@blp.get("/<int:employer_visit_id>")
@staff_required
@blp.response(200, EmployerVisitSchema)
def get_visit(employer_visit_id):
    """Return one visit in my area, with its hiring needs."""
    return employer_visits.get_visit(current_account(), employer_visit_id)


@blp.post("/<int:employer_visit_id>/job-drafts")
@staff_required
@blp.response(200, DraftsSchema)
def make_drafts(employer_visit_id):
    """Turn the visit's hiring needs into the employer's draft job posts, one per position (once)."""
    return hiring_needs.make_drafts(current_account(), employer_visit_id, client_ip())
