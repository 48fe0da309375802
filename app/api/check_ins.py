"""Check-ins: a resident scans a station's or an event's code; staff serve and count visits."""

from app.api.json_body import Blueprint
from app.api.schemas.check_ins import (
    CheckInInputSchema,
    CheckInListSchema,
    CheckInSchema,
    CheckInStaffSchema,
    CountsArgsSchema,
    DailyCountsSchema,
    FollowUpArgsSchema,
    ServeSchema,
)
from app.api.schemas.consents import CONSENT_REQUIRED
from app.auth import auth_required, current_account, staff_required
from app.metrics import count_check_in
from app.models import Role
from app.services.stations import check_in_answers, check_ins, queue
from app.services.stations.training import TRAINEE_ROLES

URL_PREFIX = "/check-ins"
blp = Blueprint("check_ins", __name__, description="Check-in at stations and events")


@blp.post("")
@auth_required(Role.resident, Role.employer, *TRAINEE_ROLES)
@blp.arguments(CheckInInputSchema)
@blp.response(201, CheckInSchema)
@blp.alt_response(200, schema=CheckInSchema, description="Already checked in: the earlier check-in")
@blp.alt_response(403, **CONSENT_REQUIRED)
def check_in(values):
    """Check in with a scanned code; returns the day's queue number and what to do next.

    The same client_id returns the first result; checking in again at the same place within
    30 minutes returns the existing check-in (both 200). Outside the station's opening hours
    the visit is recorded without a queue number (`out_of_hours: true`, next step `come_back`).
    Staff (grid workers, station staff, operators, township admins) check in only to events
    they may attend (a training's attendance); a station's code is refused (`staff_event_only`).
    """
    row, created = check_ins.check_in(current_account(), values)
    if created:
        count_check_in(row.station_id)
    return row, 201 if created else 200


@blp.get("/follow-ups")
@staff_required
@blp.arguments(FollowUpArgsSchema, location="query")
@blp.response(200, CheckInListSchema)
def follow_ups(args):
    """List the open follow-ups of visits in my place (station staff: their stations), oldest first.

    Close one with PATCH /check-ins/{id} and `follow_up_closed: true`.
    """
    return queue.open_follow_ups(current_account(), **args)


@blp.get("/<int:check_in_id>")
@auth_required(Role.resident, Role.employer)
@blp.response(200, CheckInSchema)
def get_mine(check_in_id):
    """Return one of my check-ins (e.g. to show the queue number again)."""
    return check_in_answers.get_check_in(current_account(), check_in_id)


@blp.patch("/<int:check_in_id>")
@staff_required
@blp.arguments(ServeSchema)
@blp.response(200, CheckInStaffSchema)
def serve(values, check_in_id):
    """Mark a visitor served, with a coded outcome, a note, a follow-up opened or closed (staff in scope)."""
    return queue.serve(current_account(), check_in_id, values)


@blp.get("/counts")
@staff_required
@blp.arguments(CountsArgsSchema, location="query")
@blp.response(200, DailyCountsSchema)
def counts(args):
    """Count check-ins (and how many were served) per station per local day in my place."""
    return {"items": queue.daily_counts(current_account(), **args)}
