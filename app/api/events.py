"""Events: job fairs and training sessions with sign-ups and rotating-code check-in."""

from app.api.json_body import Blueprint
from app.api.schemas.check_ins import (
    CheckInListSchema,
    ListPageArgsSchema,
    ServedArgsSchema,
)
from app.api.schemas.consents import CONSENT_REQUIRED
from app.api.schemas.events import (
    EventDetailSchema,
    EventInputSchema,
    EventPageSchema,
    EventQuerySchema,
    EventUpdateSchema,
    MyTrainingHoursSchema,
    SignupListSchema,
    SignupSchema,
    StaffTrainingHoursSchema,
    YearArgsSchema,
)
from app.api.schemas.stations import (
    PageLinksSchema,
)
from app.auth import auth_required, client_ip, current_account, optional_account, staff_required
from app.models import Role
from app.services.stations import events, queue, training

URL_PREFIX = "/events"
blp = Blueprint("events", __name__, description="Events (job fairs, training) with sign-up and check-in")


@blp.get("")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, EventPageSchema)
def list_events(args):
    """List upcoming events, soonest first (public)."""
    return events.list_events(**args, account=optional_account())


@blp.post("")
@staff_required
@blp.arguments(EventInputSchema)
@blp.response(201, EventDetailSchema)
def create(values):
    """Schedule an event at a station or a location in my place (times with their offset)."""
    return events.create(current_account(), values, client_ip())


@blp.get("/<int:event_id>")
@blp.response(200, EventDetailSchema)
def get_event(event_id):
    """Return one event, with whether I signed up when I am logged in."""
    return events.event_for(optional_account(), event_id)


@blp.patch("/<int:event_id>")
@staff_required
@blp.arguments(EventUpdateSchema)
@blp.response(200, EventDetailSchema)
def update(values, event_id):
    """Edit an event in my place, or cancel it with status=cancelled."""
    return events.update(current_account(), event_id, values, client_ip())


@blp.get("/training-hours/me")
@auth_required(*training.TRAINEE_ROLES)
@blp.arguments(YearArgsSchema, location="query")
@blp.response(200, MyTrainingHoursSchema)
def my_training_hours(args):
    """Return the trainings I attended in a year (default this one) and their hours."""
    return training.my_hours(current_account(), args.get("year"))


@blp.get("/training-hours")
@staff_required
@blp.arguments(YearArgsSchema, location="query")
@blp.response(200, StaffTrainingHoursSchema)
def staff_training_hours(args):
    """Report the training hours of the staff in my place in a year: per person, role and place."""
    return training.staff_hours(current_account(), args.get("year"))


@blp.post("/<int:event_id>/signups")
@auth_required(Role.resident, Role.employer, *training.TRAINEE_ROLES)
@blp.response(201, SignupSchema)
@blp.alt_response(200, schema=SignupSchema, description="Already signed up: that sign-up")
@blp.alt_response(403, **CONSENT_REQUIRED)
def sign_up(event_id):
    """Sign up for an event (409 event_full when its capacity is reached).

    Staff of the trainee roles sign up too; an event's audience refuses the others (422
    event_audience: residents and employers at a staff training, staff at a residents' event).
    """
    signup, created = events.sign_up(current_account(), event_id)
    return signup, 201 if created else 200


@blp.delete("/<int:event_id>/signups/me")
@auth_required(Role.resident, Role.employer, *training.TRAINEE_ROLES)
@blp.response(204)
def cancel_signup(event_id):
    """Cancel my sign-up."""
    events.cancel_signup(current_account(), event_id)


@blp.get("/<int:event_id>/signups")
@staff_required
@blp.arguments(ListPageArgsSchema, location="query")
@blp.response(200, SignupListSchema)
def list_signups(args, event_id):
    """List an event's sign-ups, oldest first (staff in the event's place; people masked)."""
    return events.list_signups(current_account(), event_id, args["page"], args["per_page"])


@blp.get("/<int:event_id>/check-ins")
@staff_required
@blp.arguments(ServedArgsSchema, location="query")
@blp.response(200, CheckInListSchema)
def list_check_ins(args, event_id):
    """List an event's check-ins in queue order (staff in the event's place)."""
    return queue.list_for_event(
        current_account(), event_id, args.get("served"), args["page"], args["per_page"]
    )


@blp.post("/<int:event_id>/page-links")
@staff_required
@blp.response(200, PageLinksSchema)
def page_links(event_id):
    """Mint a signed link to the event's full-screen rotating code."""
    return events.page_links(current_account(), event_id)
