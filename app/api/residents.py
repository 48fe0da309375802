"""Residents for staff: lists and details inside their place, and audited reveal."""

from app.api.json_body import Blueprint
from app.api.schemas.people import (
    ResidentDetailSchema,
    ResidentPageSchema,
    ResidentQuerySchema,
    RevealedSchema,
    RevealSchema,
)
from app.auth import client_ip, current_account, staff_required
from app.services.people import personal_data, residents

URL_PREFIX = "/residents"
blp = Blueprint("residents", __name__, description="Residents in the caller's place")


@blp.get("")
@staff_required
@blp.arguments(ResidentQuerySchema, location="query")
@blp.response(200, ResidentPageSchema)
def list_residents(args):
    """List residents in my place, filtered by community, status or key group."""
    return residents.list_residents(current_account(), **args)


@blp.get("/<int:resident_id>")
@staff_required
@blp.response(200, ResidentDetailSchema)
def get_resident(resident_id):
    """Return one resident in my place (404 outside it)."""
    return residents.get_resident(current_account(), resident_id)


@blp.post("/<int:resident_id>/reveal")
@staff_required
@blp.arguments(RevealSchema)
@blp.response(200, RevealedSchema)
def reveal(args, resident_id):
    """Reveal a resident's full ID number and/or phone (allowed roles only; audited)."""
    revealed = personal_data.reveal(
        current_account(), resident_id, args["fields"], args["reason"], client_ip()
    )
    # Full personal data must not linger in a browser or proxy cache.
    return revealed, {"Cache-Control": "no-store"}
