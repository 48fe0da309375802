"""Residents for staff: lists and details inside their place, and audited reveal."""

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.common import PageArgsSchema, page_schema
from app.api.schemas import CODE_12, ResidentDetailSchema, ResidentSchema
from app.auth import client_ip, current_account, staff_required
from app.models import EmploymentStatus, KeyGroup
from app.services import residents

URL_PREFIX = "/residents"
blp = Blueprint("residents", __name__, description="Residents in the caller's place")


class ResidentQuerySchema(PageArgsSchema):
    """Filters of the resident list."""

    community = ma.fields.String(validate=CODE_12)
    status = ma.fields.String(validate=validate.OneOf([s.value for s in EmploymentStatus]))
    key_group = ma.fields.String(validate=validate.OneOf([k.value for k in KeyGroup]))


class RevealSchema(ma.Schema):
    """What to reveal and why (the reason goes into the audit log)."""

    fields = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(residents.REVEALABLE_FIELDS)),
        load_default=list(residents.REVEALABLE_FIELDS),
    )
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class RevealedSchema(ma.Schema):
    """The full values, for the fields asked for."""

    id = ma.fields.Integer(required=True)
    id_number = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)


ResidentPageSchema = page_schema(ResidentSchema, "ResidentPageSchema")


@blp.get("")
@staff_required
@blp.arguments(ResidentQuerySchema, location="query")
@blp.response(200, ResidentPageSchema)
def list_residents(args):
    """List residents in my place, filtered by community, status or key group."""
    items, total = residents.list_residents(current_account(), **args)
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


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
    revealed = residents.reveal(current_account(), resident_id, args["fields"], args["reason"], client_ip())
    # Full personal data must not linger in a browser or proxy cache.
    return revealed, {"Cache-Control": "no-store"}
