"""Events (job fairs, training sessions, talks): scheduling in scope, sign-ups within capacity."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.common.geo import check_point
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Circle,
    Event,
    EventSignup,
    EventStatus,
    Resident,
    Role,
    Station,
    utcnow,
)
from app.services.people import audit
from app.services.people.consents import require_consent
from app.services.people.places import locate
from app.services.people.scoping import get_in_scope, in_scope
from app.services.results import Page, RowWith, paginate
from app.services.stations import live_fairs, qr_codes, training
from app.services.stations.stations import MANAGE_ROLES, circle_by_code, get_station

# Who may schedule and edit events: station managers, station staff, township admins.
ORGANISE_ROLES = MANAGE_ROLES | {Role.station_staff, Role.township_admin}
EDITABLE = (
    "title",
    "kind",
    "description",
    "address",
    "capacity",
    "require_location",
    "geofence_m",
    "audience",
    "credit_hours",
    "topic",
)


def _place(event: Event, actor: Account, values: dict) -> None:
    """Place an event at a station in scope, or at its own location inside our places."""
    if values.get("station_id") is not None:
        station = get_station(actor, values["station_id"])
        # At a station the station's point counts: a point of its own would mislead the geofence.
        event.station_id, event.lat, event.lng = station.id, None, None
        columns = {name: getattr(station, name) for name in PLACE_COLUMN_NAMES}
        event.address = values.get("address") or station.address
        return _set_columns(event, columns)
    lat, lng = values.get("lat"), values.get("lng")
    if lat is None or lng is None:
        raise ValidationFailed(
            "station_id", "Give the event's station_id, or its lat and lng.", code="location_required"
        )
    check_point(lat, lng)
    columns = locate(lat, lng)
    if columns["city_id"] is None:
        raise ValidationFailed(
            "lat", "This location is outside the area this service covers.", code="outside_service_area"
        )
    event.station_id, event.lat, event.lng = None, lat, lng
    return _set_columns(event, columns)


def _set_columns(event: Event, columns: dict) -> None:
    for name, value in columns.items():
        setattr(event, name, value)


def _check_window(event: Event) -> None:
    if event.ends_at <= event.starts_at:
        raise ValidationFailed("ends_at", "An event must end after it starts.", code="invalid_time_window")
    if event.ends_at - event.starts_at > timedelta(days=14):
        raise ValidationFailed("ends_at", "An event lasts at most 14 days.", code="invalid_time_window")


def create(actor: Account, values: dict, ip: str | None) -> RowWith:
    """Schedule an event at a station or a location inside the actor's place."""
    if actor.role not in ORGANISE_ROLES:
        raise Forbidden("role_forbidden", "Your role may not organise events.")
    event = Event(
        starts_at=values["starts_at"],
        ends_at=values["ends_at"],
        status=EventStatus.scheduled.value,
        created_by_id=actor.id,
    )
    for name in EDITABLE:
        if name in values:
            setattr(event, name, values[name])
    _place(event, actor, values)
    if not in_scope(event, actor):
        raise Forbidden("out_of_scope", "This place is outside your area.")
    _check_window(event)
    live_fairs.apply_channels(event, values)
    db.session.add(event)
    db.session.flush()
    if "job_ids" in values:
        live_fairs.set_jobs(actor, event, values["job_ids"])
    audit.commit(
        "event.create",
        actor=actor,
        object_type="event",
        object_id=event.id,
        ip=ip,
        detail={"title": event.title},
    )
    return shown([event], detail=True)[0]


def public_event(event_id: int) -> Event:
    """Return any event (events are public), or 404."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound("event_not_found", f"No event {event_id}.")
    return event


def event_for(account: Account | None, event_id: int) -> RowWith:
    """Return one event as shown, with whether the caller (when logged in) signed up."""
    return shown([public_event(event_id)], account, detail=True)[0]


def get_event(actor: Account, event_id: int) -> Event:
    """Return an event in the staff member's place, or 404."""
    return get_in_scope(Event, event_id, actor, "event_not_found")


def update(actor: Account, event_id: int, values: dict, ip: str | None) -> RowWith:
    """Edit or cancel an event in the actor's place; capacity never drops below the sign-ups."""
    if actor.role not in ORGANISE_ROLES:
        raise Forbidden("role_forbidden", "Your role may not organise events.")
    get_event(actor, event_id)
    # Locked, like a sign-up, so a capacity cut and a sign-up cannot cross.
    db.session.commit()
    event = db.session.scalar(sa.select(Event).where(Event.id == event_id).with_for_update())
    for name in (*EDITABLE, "starts_at", "ends_at", "status"):
        if name in values:
            setattr(event, name, values[name])
    if "station_id" in values or "lat" in values or "lng" in values:
        # A new lat/lng without a station_id moves the event off its station to that point.
        current = {"station_id": event.station_id if "lat" not in values and "lng" not in values else None}
        _place(event, actor, {**current, "lat": event.lat, "lng": event.lng, **values})
        if not in_scope(event, actor):
            raise Forbidden("out_of_scope", "This place is outside your area.")
    _check_window(event)
    live_fairs.apply_channels(event, values)
    if "job_ids" in values:
        live_fairs.set_jobs(actor, event, values["job_ids"])
    if event.capacity is not None and signup_count(event.id) > event.capacity:
        raise ValidationFailed(
            "capacity", "More people have signed up than this capacity.", code="capacity_below_signups"
        )
    audit.commit(
        "event.update",
        actor=actor,
        object_type="event",
        object_id=event.id,
        ip=ip,
        detail={"fields": sorted(values)},
    )
    return shown([event], detail=True)[0]


def list_events(
    page: int,
    per_page: int,
    circle: str | None = None,
    include_past: bool = False,
    account: Account | None = None,
    live: bool | None = None,
) -> Page:
    """Return one page of scheduled events, soonest first (not yet ended unless include_past).

    Staff-only trainings are listed to staff only: a resident could not sign up for them.
    `live` true lists the live job fairs only (those with a Channels id), false the others.
    """
    statement = sa.select(Event).where(Event.status == EventStatus.scheduled)
    if live is not None:
        has_channel = Event.channels_finder_id.is_not(None)
        statement = statement.where(has_channel if live else sa.not_(has_channel))
    if account is None or not account.is_staff:
        statement = statement.where(Event.audience != "staff")
    if not include_past:
        statement = statement.where(Event.ends_at >= utcnow())
    if circle:
        statement = statement.where(Event.circle_id == circle_by_code(circle).id)
    found = paginate(
        statement,
        page,
        per_page,
        order_by=(Event.starts_at, Event.id),
        options=(
            selectinload(Event.station).selectinload(Station.circle).selectinload(Circle.district),
            selectinload(Event.circle).selectinload(Circle.district),
        ),
    )
    found.items = shown(found.items, account)
    return found


def shown(items: list[Event], account: Account | None = None, detail: bool = False) -> list[RowWith]:
    """Return events with their live sign-up and presented-job counts (a query each), their stream,
    and, for a caller, their own sign-up; `detail` adds the presented jobs themselves.

    `mine` is None without a logged-in caller.
    """
    ids = [event.id for event in items]
    counts = signup_counts(ids)
    job_counts = live_fairs.jobs_counts(ids)
    mine = signed_up_ids(account, ids) if account is not None else set()
    return [
        RowWith(
            event,
            signup_total=counts.get(event.id, 0),
            mine=event.id in mine if account is not None else None,
            live=live_fairs.live_of(event),
            jobs_count=job_counts.get(event.id, 0),
            **({"jobs": live_fairs.presented_jobs(event.id)} if detail else {}),
        )
        for event in items
    ]


def signup_count(event_id: int) -> int:
    """Return how many live sign-ups an event has."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(EventSignup.event_id == event_id, EventSignup.cancelled_at.is_(None))
    )


def signup_counts(event_ids: list[int]) -> dict[int, int]:
    """Return live sign-up counts of several events in one query."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        sa.select(EventSignup.event_id, sa.func.count())
        .where(EventSignup.event_id.in_(event_ids), EventSignup.cancelled_at.is_(None))
        .group_by(EventSignup.event_id)
    )
    return dict(rows.all())


def signed_up_ids(account: Account, event_ids: list[int]) -> set[int]:
    """Return which of these events the account has a live sign-up for, in one query."""
    if not event_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(EventSignup.event_id).where(
                EventSignup.event_id.in_(event_ids),
                EventSignup.account_id == account.id,
                EventSignup.cancelled_at.is_(None),
            )
        )
    )


def my_signup(account: Account | None, event_id: int) -> EventSignup | None:
    """Return the caller's live sign-up for an event, if any."""
    if account is None:
        return None
    return db.session.scalar(
        sa.select(EventSignup).where(
            EventSignup.event_id == event_id,
            EventSignup.account_id == account.id,
            EventSignup.cancelled_at.is_(None),
        )
    )


def sign_up(account: Account, event_id: int) -> tuple[EventSignup, bool]:
    """Sign up for an event within its capacity and audience; signing up again returns the same sign-up."""
    require_consent(account)  # a resident's (employers and staff pass)
    role = account.role  # read now: the commit below expires the account
    # Lock the event row: the capacity check and the insert must not interleave. A fresh
    # transaction first, so the count after the lock sees every sign-up committed before it.
    db.session.commit()
    event = db.session.scalar(sa.select(Event).where(Event.id == event_id).with_for_update())
    if event is None:
        raise NotFound("event_not_found", f"No event {event_id}.")
    training.check_audience(role, event)
    signup = db.session.scalar(
        sa.select(EventSignup).where(EventSignup.event_id == event.id, EventSignup.account_id == account.id)
    )
    if signup is not None and signup.cancelled_at is None:
        db.session.rollback()
        return signup, False
    if event.status == EventStatus.cancelled:
        raise ValidationFailed("event_id", "This event was cancelled.", code="event_cancelled")
    if event.ends_at < utcnow():
        raise ValidationFailed("event_id", "This event is over.", code="event_over")
    if event.capacity is not None and signup_count(event.id) >= event.capacity:
        raise Conflict("event_full", "This event is full.")
    if signup is None:
        signup = EventSignup(event_id=event.id, account_id=account.id)
        db.session.add(signup)
    else:
        signup.cancelled_at, signup.created_at = None, utcnow()
    db.session.commit()
    return signup, True


def cancel_signup(account: Account, event_id: int) -> None:
    """Cancel the caller's sign-up (a no-op when there is none)."""
    signup = my_signup(account, public_event(event_id).id)
    if signup is not None:
        signup.cancelled_at = utcnow()
        db.session.commit()


def list_signups(actor: Account, event_id: int, page: int = 1, per_page: int = 200) -> Page:
    """Return one page of an event's live sign-ups, oldest first, each with the person behind it."""
    event = get_event(actor, event_id)
    found = paginate(
        sa.select(EventSignup).where(EventSignup.event_id == event.id, EventSignup.cancelled_at.is_(None)),
        page,
        per_page,
        order_by=(EventSignup.created_at, EventSignup.id),
    )
    accounts = {signup.account_id for signup in found.items}
    people = (
        {
            r.account_id: r
            for r in db.session.scalars(sa.select(Resident).where(Resident.account_id.in_(accounts)))
        }
        if accounts
        else {}
    )
    found.items = [RowWith(signup, person=people.get(signup.account_id)) for signup in found.items]
    return found


def page_links(actor: Account, event_id: int) -> dict:
    """Mint a signed link to an event's full-screen rotating code (events have no poster)."""
    event = get_event(actor, event_id)
    live_url, expires = qr_codes.page_link(f"/events/{event.id}/live")
    return {"live_url": live_url, "poster_url": None, "qr_url": None, "expires_at": expires}
