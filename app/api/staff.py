"""Staff accounts, managed by administrators inside their own place."""

from app.api.json_body import Blueprint
from app.api.schemas.people import (
    StaffCreateSchema,
    StaffPageSchema,
    StaffQuerySchema,
    StaffSchema,
    StaffUpdateSchema,
)
from app.auth import client_ip, current_account, staff_required
from app.services.people import staff

URL_PREFIX = "/staff"
blp = Blueprint("staff", __name__, description="Staff accounts")


@blp.post("")
@staff_required
@blp.arguments(StaffCreateSchema)
@blp.response(201, StaffSchema)
def create_staff(args):
    """Create a staff account with a role I may give, inside my place."""
    return staff.create_staff(current_account(), args, client_ip())


@blp.get("")
@staff_required
@blp.arguments(StaffQuerySchema, location="query")
@blp.response(200, StaffPageSchema)
def list_staff(args):
    """List the staff accounts I manage."""
    return staff.list_staff(current_account(), args["page"], args["per_page"], args.get("role"))


@blp.get("/<int:account_id>")
@staff_required
@blp.response(200, StaffSchema)
def get_staff(account_id):
    """Return one staff account I manage."""
    return staff.get_staff(current_account(), account_id)


@blp.patch("/<int:account_id>")
@staff_required
@blp.arguments(StaffUpdateSchema)
@blp.response(200, StaffSchema)
def update_staff(args, account_id):
    """Change a staff account I manage; disabling it revokes all its tokens."""
    return staff.update_staff(current_account(), account_id, args, client_ip())
