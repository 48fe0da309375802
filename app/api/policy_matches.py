"""Policies find people: a resident's own policies, and staff's working list of who has not claimed."""

from app.api.json_body import Blueprint
from app.api.schemas.policy_matches import MyPoliciesSchema, WorkingListPageSchema, WorkingListQuerySchema
from app.auth import auth_required, current_account, staff_required
from app.errors import ErrorSchema
from app.models import Role
from app.services.policies import my_policies, working_list

URL_PREFIX = ""
blp = Blueprint("policy_matches", __name__, description="Policies find people: my policies, the working list")

NO_STORE = {"Cache-Control": "no-store"}


@blp.get("/me/policies")
@auth_required(Role.resident)
@blp.response(200, MyPoliciesSchema)
def list_mine():
    """List the policies I qualify for (why, amount, deadline, claim) and those I nearly do (what lacks)."""
    return my_policies.mine(current_account()), NO_STORE


@blp.get("/policies/working-list")
@staff_required
@blp.arguments(WorkingListQuerySchema, location="query")
@blp.response(200, WorkingListPageSchema)
@blp.alt_response(
    403, schema=ErrorSchema, description="`role_not_allowed`: not a grid worker, station staff or admin"
)
def list_working(args):
    """List the people in my place who qualify for a policy and have not claimed, soonest deadline first."""
    return working_list.rows(current_account(), **args), NO_STORE
