"""Events: job fairs and training sessions with sign-ups and rotating-code check-in."""

from flask_smorest import Blueprint

from app.api.common import page_schema
from app.api.station_schemas import (
    CheckInListSchema,
    EventInputSchema,
    EventQuerySchema,
    EventSchema,
    EventUpdateSchema,
    ListPageArgsSchema,
    PageLinksSchema,
    ServedArgsSchema,
    SignupListSchema,
    SignupSchema,
)
from app.auth import auth_required, client_ip, current_account, optional_account, staff_required
from app.models import Role
from app.services import check_ins, events, qr_codes

URL_PREFIX = "/events"
blp = Blueprint("events", __name__, description="Events (job fairs, training) with sign-up and check-in")

EventPageSchema = page_schema(EventSchema, "EventPageSchema")


def _decorate(items: list, account=None) -> list:
    """Attach sign-up counts (one query) and the caller's own sign-up to events for output."""
    counts = events.signup_counts([event.id for event in items])
    mine = events.signed_up_ids(account, [event.id for event in items]) if account is not None else set()
    for event in items:
        event.signup_total = counts.get(event.id, 0)
        event.mine = event.id in mine if account is not None else None
    return items


@blp.get("")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, EventPageSchema)
def list_events(args):
    """List upcoming events, soonest first (public)."""
    items, total = events.list_events(**args)
    return {
        "items": _decorate(items, optional_account()),
        "page": args["page"],
        "per_page": args["per_page"],
        "total": total,
    }


@blp.post("")
@staff_required
@blp.arguments(EventInputSchema)
@blp.response(201, EventSchema)
def create(values):
    """Schedule an event at a station or a location in my place (times with their offset)."""
    return _decorate([events.create(current_account(), values, client_ip())])[0]


@blp.get("/<int:event_id>")
@blp.response(200, EventSchema)
def get_event(event_id):
    """Return one event, with whether I signed up when I am logged in."""
    account = optional_account()
    return _decorate([events.get_event(event_id)], account)[0]


@blp.patch("/<int:event_id>")
@staff_required
@blp.arguments(EventUpdateSchema)
@blp.response(200, EventSchema)
def update(values, event_id):
    """Edit an event in my place, or cancel it with status=cancelled."""
    return _decorate([events.update(current_account(), event_id, values, client_ip())])[0]


@blp.post("/<int:event_id>/signups")
@auth_required(Role.resident, Role.employer)
@blp.response(201, SignupSchema)
@blp.alt_response(200, schema=SignupSchema, description="Already signed up: that sign-up")
def sign_up(event_id):
    """Sign up for an event (409 event_full when its capacity is reached)."""
    signup, created = events.sign_up(current_account(), event_id)
    return signup, 201 if created else 200


@blp.delete("/<int:event_id>/signups/me")
@auth_required(Role.resident, Role.employer)
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
    rows, total = events.list_signups(current_account(), event_id, args["page"], args["per_page"])
    items = []
    for signup, resident in rows:
        signup.person = resident
        items.append(signup)
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


@blp.get("/<int:event_id>/check-ins")
@staff_required
@blp.arguments(ServedArgsSchema, location="query")
@blp.response(200, CheckInListSchema)
def list_check_ins(args, event_id):
    """List an event's check-ins in queue order (staff in the event's place)."""
    event = events.get_in_my_scope(current_account(), event_id)
    items, total = check_ins.list_for_event(
        current_account(), event, args.get("served"), args["page"], args["per_page"]
    )
    people = check_ins.people(items)
    for row in items:
        row.person = people.get(row.resident_id)
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


@blp.post("/<int:event_id>/page-links")
@staff_required
@blp.response(200, PageLinksSchema)
def page_links(event_id):
    """Mint a signed link to the event's full-screen rotating code."""
    event = events.get_in_my_scope(current_account(), event_id)
    live_url, expires = qr_codes.page_link(f"/events/{event.id}/live")
    return {
        "live_url": live_url,
        "poster_url": None,
        "qr_url": None,
        "expires_at": expires,
    }
