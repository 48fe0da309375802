"""The logged-in resident's own profile, and my own records (my check-ins)."""

from app.api.json_body import Blueprint
from app.api.schemas.check_ins import MyCheckInPageSchema, MyCheckInsArgsSchema
from app.api.schemas.consents import CONSENT_REQUIRED
from app.api.schemas.people import ProfileSchema, ProfileUpdateSchema
from app.auth import auth_required, current_account
from app.models import Role
from app.services.people import residents
from app.services.stations import check_in_answers

URL_PREFIX = "/me"
blp = Blueprint("me", __name__, description="The resident's own profile")


@blp.get("")
@auth_required(Role.resident)
@blp.response(200, ProfileSchema)
def get_profile():
    """Return my profile (ID number and phone masked)."""
    return residents.resident_of(current_account())


@blp.patch("")
@auth_required(Role.resident)
@blp.arguments(ProfileUpdateSchema)
@blp.response(200, ProfileSchema)
@blp.alt_response(403, **CONSENT_REQUIRED)
def update_profile(changes):
    """Change my profile: name, ID number, home, community, status, key groups, preferences."""
    return residents.update_profile(current_account(), changes)


@blp.get("/check-ins")
@auth_required(Role.resident, Role.employer)
@blp.arguments(MyCheckInsArgsSchema, location="query")
@blp.response(200, MyCheckInPageSchema)
def my_check_ins(args):
    """List my check-ins at stations and events, newest first (我的签到)."""
    return check_in_answers.list_mine(current_account(), args["page"], args["per_page"])
