"""Circles per district, filed with the city (报市局备案), and their history."""

from app.api.json_body import Blueprint
from app.api.schemas.circle_filings import (
    CircleHistorySchema,
    CommunityHistorySchema,
    FilingCreateSchema,
    FilingEditSchema,
    FilingNoteSchema,
    FilingPageSchema,
    FilingQuerySchema,
    FilingReasonSchema,
    FilingSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.errors import ErrorSchema
from app.models import Role
from app.services.programme import circle_filings, memberships
from app.services.programme.circle_filings import READ_ROLES

URL_PREFIX = ""
blp = Blueprint(
    "circle_filings",
    __name__,
    description="Circles per district, filed with the city (报市局备案), and their history",
)
WRONG_STATUS = {
    "schema": ErrorSchema,
    "description": "`filing_status_conflict`: not in a status this step takes",
}


@blp.get("/circle-filings")
@auth_required(*READ_ROLES)
@blp.arguments(FilingQuerySchema, location="query")
@blp.response(200, FilingPageSchema)
def list_filings(args):
    """List the circle filings of my place, newest first."""
    return circle_filings.list_filings(current_account(), args)


@blp.post("/circle-filings")
@auth_required(Role.district_admin)
@blp.arguments(FilingCreateSchema)
@blp.response(201, FilingSchema)
@blp.alt_response(200, schema=FilingSchema, description="Sent before with this client_id: the filing")
@blp.alt_response(
    409, schema=ErrorSchema, description="`filing_open`, `circle_key_taken`, `community_in_two_circles`"
)
def create_filing(values):
    """Define a circle of my district (new by key, or an existing one by code) as a draft filing."""
    filing, created = circle_filings.create_filing(current_account(), values, client_ip())
    return filing, 201 if created else 200


@blp.get("/circle-filings/<int:circle_filing_id>")
@auth_required(*READ_ROLES)
@blp.response(200, FilingSchema)
def get_filing(circle_filing_id):
    """Open a circle filing of my place."""
    return circle_filings.get_filing(current_account(), circle_filing_id)


@blp.patch("/circle-filings/<int:circle_filing_id>")
@auth_required(Role.district_admin)
@blp.arguments(FilingEditSchema)
@blp.response(200, FilingSchema)
@blp.alt_response(409, **WRONG_STATUS)
def edit_filing(values, circle_filing_id):
    """Change my district's draft or returned filing."""
    return circle_filings.edit_filing(current_account(), circle_filing_id, values, client_ip())


@blp.post("/circle-filings/<int:circle_filing_id>/file")
@auth_required(Role.district_admin)
@blp.arguments(FilingNoteSchema)
@blp.response(200, FilingSchema)
@blp.alt_response(409, **WRONG_STATUS)
def file_filing(values, circle_filing_id):
    """File my district's circle with the city (422 filing_empty, effective_from_required/_past)."""
    return circle_filings.file_filing(current_account(), circle_filing_id, client_ip(), values.get("note"))


@blp.post("/circle-filings/<int:circle_filing_id>/withdraw")
@auth_required(Role.district_admin)
@blp.arguments(FilingNoteSchema)
@blp.response(200, FilingSchema)
@blp.alt_response(409, **WRONG_STATUS)
def withdraw_filing(values, circle_filing_id):
    """Take my district's filing back before the city decided."""
    return circle_filings.withdraw_filing(
        current_account(), circle_filing_id, client_ip(), values.get("note")
    )


@blp.post("/circle-filings/<int:circle_filing_id>/accept")
@auth_required(Role.city_admin)
@blp.arguments(FilingNoteSchema)
@blp.response(200, FilingSchema)
@blp.alt_response(409, **WRONG_STATUS)
def accept_filing(values, circle_filing_id):
    """Accept a filed circle (备案); one due today or earlier takes effect at once."""
    return circle_filings.accept_filing(current_account(), circle_filing_id, client_ip(), values.get("note"))


@blp.post("/circle-filings/<int:circle_filing_id>/return")
@auth_required(Role.city_admin)
@blp.arguments(FilingReasonSchema)
@blp.response(200, FilingSchema)
@blp.alt_response(409, **WRONG_STATUS)
def return_filing(values, circle_filing_id):
    """Return a filed circle to its district with the reason."""
    return circle_filings.return_filing(current_account(), circle_filing_id, values["reason"], client_ip())


@blp.get("/circles/<int:circle_id>/history")
@auth_required(*READ_ROLES)
@blp.response(200, CircleHistorySchema)
def circle_history(circle_id):
    """Show a circle's communities over time and its filings (404 outside my place)."""
    return memberships.circle_history(current_account(), circle_id)


@blp.get("/communities/<community_code>/circle-history")
@auth_required(*READ_ROLES)
@blp.response(200, CommunityHistorySchema)
def community_history(community_code):
    """Show the circles a community belonged to over time (404 outside my place)."""
    return memberships.community_history(current_account(), community_code)
