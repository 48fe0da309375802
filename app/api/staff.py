"""Staff accounts, managed by administrators inside their own place."""

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.common import PageArgsSchema, page_schema
from app.api.schemas import ScopeInputSchema, StaffSchema
from app.auth import client_ip, current_account, staff_required
from app.models import STAFF_ROLES
from app.services import accounts

URL_PREFIX = "/staff"
blp = Blueprint("staff", __name__, description="Staff accounts")

STAFF_ROLE_NAMES = sorted(r.value for r in STAFF_ROLES)


class StaffCreateSchema(ma.Schema):
    """A new staff account."""

    username = ma.fields.String(required=True, validate=validate.Length(min=3, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    display_name = ma.fields.String(validate=validate.Length(max=64))
    role = ma.fields.String(required=True, validate=validate.OneOf(STAFF_ROLE_NAMES))
    scope = ma.fields.Nested(ScopeInputSchema, required=True)


class StaffUpdateSchema(ma.Schema):
    """Changes to a staff account; role, scope and active flag changes are audited."""

    display_name = ma.fields.String(validate=validate.Length(max=64))
    password = ma.fields.String(load_only=True, validate=validate.Length(max=256))
    role = ma.fields.String(validate=validate.OneOf(STAFF_ROLE_NAMES))
    scope = ma.fields.Nested(ScopeInputSchema)
    is_active = ma.fields.Boolean()


class StaffQuerySchema(PageArgsSchema):
    """Filters of the staff list."""

    role = ma.fields.String(validate=validate.OneOf(STAFF_ROLE_NAMES))


StaffPageSchema = page_schema(StaffSchema, "StaffPageSchema")


@blp.post("")
@staff_required
@blp.arguments(StaffCreateSchema)
@blp.response(201, StaffSchema)
def create_staff(args):
    """Create a staff account with a role I may give, inside my place."""
    return accounts.create_staff(current_account(), args, client_ip())


@blp.get("")
@staff_required
@blp.arguments(StaffQuerySchema, location="query")
@blp.response(200, StaffPageSchema)
def list_staff(args):
    """List the staff accounts I manage."""
    items, total = accounts.list_staff(current_account(), args["page"], args["per_page"], args.get("role"))
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


@blp.get("/<int:account_id>")
@staff_required
@blp.response(200, StaffSchema)
def get_staff(account_id):
    """Return one staff account I manage."""
    return accounts.get_staff(current_account(), account_id)


@blp.patch("/<int:account_id>")
@staff_required
@blp.arguments(StaffUpdateSchema)
@blp.response(200, StaffSchema)
def update_staff(args, account_id):
    """Change a staff account I manage; disabling it revokes all its tokens."""
    return accounts.update_staff(current_account(), account_id, args, client_ip())
