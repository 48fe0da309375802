"""Placement follow-ups (稳岗回访): the resident's own under /me; staff's list, answers and retention."""

from app.api.json_body import Blueprint
from app.api.schemas.consents import CONSENT_REQUIRED
from app.api.schemas.placements import (
    PlacementAnswerInputSchema,
    PlacementFollowUpListSchema,
    PlacementFollowUpSchema,
    PlacementQuerySchema,
    RetentionQuerySchema,
    RetentionSchema,
    StaffPlacementPageSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.models import STAFF_ROLES, Role
from app.services.placements import answers, retention

URL_PREFIX = ""
blp = Blueprint("placements", __name__, description="Placement follow-ups at 3 and 6 months, and retention")


@blp.get("/me/placements")
@auth_required(Role.resident)
@blp.response(200, PlacementFollowUpListSchema)
def list_own():
    """List the follow-ups I was asked (still working there?), newest first."""
    return {"items": answers.my_follow_ups(current_account())}


@blp.get("/me/placements/<int:placement_follow_up_id>")
@auth_required(Role.resident)
@blp.response(200, PlacementFollowUpSchema)
def get_own(placement_follow_up_id):
    """Return one follow-up I was asked (404 placement_follow_up_not_found)."""
    return answers.my_follow_up(current_account(), placement_follow_up_id)


@blp.post("/me/placements/<int:placement_follow_up_id>/answer")
@auth_required(Role.resident)
@blp.arguments(PlacementAnswerInputSchema)
@blp.response(200, PlacementFollowUpSchema)
@blp.alt_response(403, **CONSENT_REQUIRED)
def answer_own(values, placement_follow_up_id):
    """Answer: still working there, or left (left_reason and left_on); once.

    422 left_reason_required / left_on_required / left_on_in_future / left_on_before_start;
    409 placement_already_answered (a different answer; the same one again is 200) / placement_stopped.
    """
    return answers.answer(current_account(), placement_follow_up_id, values, client_ip())


@blp.get("/placements")
@auth_required(*STAFF_ROLES)
@blp.arguments(PlacementQuerySchema, location="query")
@blp.response(200, StaffPlacementPageSchema)
def list_in_scope(args):
    """List the follow-ups in my place (a grid worker: my communities), oldest due first."""
    return answers.list_follow_ups(current_account(), args)


@blp.post("/placements/<int:placement_follow_up_id>/answer")
@auth_required(*STAFF_ROLES)
@blp.arguments(PlacementAnswerInputSchema)
@blp.response(200, PlacementFollowUpSchema)
def answer_for(values, placement_follow_up_id):
    """Record the answer the person gave by phone, at the door or at the station (channel); once.

    403 role_forbidden (supervisors); 404 outside my place; 422 and 409 as the person's own answer.
    """
    return answers.answer(current_account(), placement_follow_up_id, values, client_ip())


@blp.get("/placements/retention")
@auth_required(*STAFF_ROLES)
@blp.arguments(RetentionQuerySchema, location="query")
@blp.response(200, RetentionSchema)
def retention_figures(args):
    """Return 3- and 6-month retention rates per employer, circle or job kind (?by=) in my place."""
    return retention.retention(
        current_account(), args["by"], args.get("started_from"), args.get("started_to")
    )
