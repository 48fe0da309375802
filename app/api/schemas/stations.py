"""Schemas of the stations wing: stations, QR codes, check-ins, events and sign-ups."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import (
    AwareInputDateTime,
    ClientId,
    Id,
    Latitude,
    Longitude,
    PageArgsSchema,
    UtcDateTime,
    one_of,
    page_schema,
)
from app.common.identity import mask_name
from app.models import EventKind, EventStatus, Purpose
from app.services.people.places import place_code
from app.services.results import RowWith
from app.services.stations import opening_hours


def _circle(station) -> dict | None:
    if station is None:
        return None
    return {"code": place_code("circle", station.circle), "name": station.circle.name}


class CircleRefSchema(ma.Schema):
    """A circle named by its code."""

    code = ma.fields.String(required=True, metadata={"example": "341002-chengzhong"})
    name = ma.fields.String(required=True)


# ---- stations -------------------------------------------------------------------------------

HHMM = validate.Regexp(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", error="A time is HH:MM (00:00-24:00).")


class HoursIntervalSchema(ma.Schema):
    """One open interval of a local day, [opens, closes); "24:00" closes at midnight."""

    opens = ma.fields.String(required=True, validate=HHMM, metadata={"example": "08:30"})
    closes = ma.fields.String(required=True, validate=HHMM, metadata={"example": "17:30"})


def _day_field() -> ma.fields.List:
    """Return the field of one weekday's intervals."""
    return ma.fields.List(
        ma.fields.Nested(HoursIntervalSchema),
        load_default=list,
        validate=validate.Length(max=6),
        metadata={"description": "Open intervals, not overlapping; empty or missing: closed"},
    )


class WeeklyHoursSchema(ma.Schema):
    """The usual week, in the city's local time (Asia/Shanghai)."""

    mon = _day_field()
    tue = _day_field()
    wed = _day_field()
    thu = _day_field()
    fri = _day_field()
    sat = _day_field()
    sun = _day_field()


class StoredDate(ma.fields.Date):
    """A date loaded as a date, dumped from a date or from the ISO text a JSON column holds."""

    def _serialize(self, value, attr, obj, **kwargs):
        """Pass stored ISO text through; format a date."""
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class HoursExceptionSchema(ma.Schema):
    """A dated exception to the week: a holiday (closed), or a day with its own hours (调休 working day)."""

    date = StoredDate(required=True, metadata={"description": "Local day, YYYY-MM-DD"})
    closed = ma.fields.Boolean(load_default=False)
    hours = ma.fields.List(
        ma.fields.Nested(HoursIntervalSchema),
        load_default=list,
        validate=validate.Length(max=6),
        metadata={"description": "The day's hours (when not closed); they replace the weekday's"},
    )
    note = ma.fields.String(
        allow_none=True, validate=validate.Length(max=64), metadata={"example": "元旦 / 调休上班"}
    )


class OpeningHoursSchema(ma.Schema):
    """A station's structured opening hours: check-in gives queue numbers only inside them."""

    weekly = ma.fields.Nested(WeeklyHoursSchema, required=True)
    exceptions = ma.fields.List(
        ma.fields.Nested(HoursExceptionSchema), load_default=list, validate=validate.Length(max=200)
    )


class StationInputSchema(ma.Schema):
    """A station to create (city/district admins and operators, in their place)."""

    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=128))
    circle = ma.fields.String(
        required=True, metadata={"description": "The circle's code, `<district short code>-<key>`"}
    )
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=255))
    lat = Latitude(required=True)
    lng = Longitude(required=True)
    hours = ma.fields.String(
        allow_none=True, validate=validate.Length(max=128), metadata={"example": "周一至周五 8:30-17:30"}
    )
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=32))
    opening_hours = ma.fields.Nested(
        OpeningHoursSchema,
        allow_none=True,
        metadata={"description": "Structured hours (replaced whole); without `hours`, the text follows them"},
    )
    require_location = ma.fields.Boolean(
        load_default=False, metadata={"description": "Check-in must send a location inside the geofence"}
    )
    geofence_m = ma.fields.Integer(load_default=500, validate=validate.Range(min=50, max=5000))
    staff_ids = ma.fields.List(
        Id(),
        validate=validate.Length(max=50),
        metadata={"description": "Station staff or operator accounts whose place holds the station"},
    )


class StationUpdateSchema(ma.Schema):
    """Changes to a station (all optional; the circle and code never change)."""

    name = ma.fields.String(validate=validate.Length(min=2, max=128))
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=255))
    lat = Latitude()
    lng = Longitude()
    hours = ma.fields.String(allow_none=True, validate=validate.Length(max=128))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=32))
    opening_hours = ma.fields.Nested(
        OpeningHoursSchema,
        allow_none=True,
        metadata={"description": "Replaced whole; null: no structured hours"},
    )
    require_location = ma.fields.Boolean()
    geofence_m = ma.fields.Integer(validate=validate.Range(min=50, max=5000))
    is_active = ma.fields.Boolean()
    staff_ids = ma.fields.List(Id(), validate=validate.Length(max=50))


class StationPublicSchema(ma.Schema):
    """What anyone may know of a station."""

    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    circle = ma.fields.Function(_circle, metadata={"type": "object"})
    address = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    hours = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    opening_hours = ma.fields.Nested(OpeningHoursSchema, allow_none=True)
    open_now = ma.fields.Boolean(
        allow_none=True, metadata={"description": "Open at this moment; null: no structured hours"}
    )
    today_hours = ma.fields.List(
        ma.fields.Nested(HoursIntervalSchema),
        allow_none=True,
        metadata={"description": "Today's local hours (a holiday or 调休 day counted); empty: closed today"},
    )
    today_note = ma.fields.String(allow_none=True, metadata={"description": "Today's exception, e.g. 元旦"})
    next_opening = UtcDateTime(
        allow_none=True, metadata={"description": "When it next opens (after the current interval if open)"}
    )

    @ma.pre_dump
    def _with_status(self, station, **kwargs):
        """Compute open_now, today's hours and the next opening once, at the city's current time."""
        return RowWith(station, **opening_hours.status(station.opening_hours))


class StationSchema(StationPublicSchema):
    """A station as staff manage it."""

    require_location = ma.fields.Boolean(required=True)
    geofence_m = ma.fields.Integer(required=True)
    qr_version = ma.fields.Integer(required=True)
    qr_rotated_at = UtcDateTime(allow_none=True)
    is_active = ma.fields.Boolean(required=True)
    staff_ids = ma.fields.List(ma.fields.Integer(), required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class StationQuerySchema(PageArgsSchema):
    """Filters of the station list."""

    circle = ma.fields.String(metadata={"description": "A circle's code"})
    active = ma.fields.Boolean()
    mine = ma.fields.Boolean(load_default=False, metadata={"description": "Only stations I am assigned to"})


class NearestArgsSchema(ma.Schema):
    """?lat=&lng=&limit= of the nearest-stations lookup."""

    lat = Latitude(required=True)
    lng = Longitude(required=True)
    limit = ma.fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))


class NearbyStationSchema(ma.Schema):
    """A station with its distance from the asked point."""

    station = ma.fields.Nested(StationPublicSchema, required=True)
    distance_m = ma.fields.Float(required=True)


class PointCircleSchema(ma.Schema):
    """The circle a point falls in: that of the nearest station within 3 km."""

    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    station_id = ma.fields.Integer(required=True)
    distance_m = ma.fields.Float(required=True)


class NearestSchema(ma.Schema):
    """Stations by distance, and the point's circle (null when no station is within 3 km)."""

    circle = ma.fields.Nested(PointCircleSchema, allow_none=True)
    items = ma.fields.List(ma.fields.Nested(NearbyStationSchema), required=True)


class QrImageArgsSchema(ma.Schema):
    """Which code an image shows."""

    kind = ma.fields.String(
        load_default="printed",
        validate=validate.OneOf(["printed", "rotating"]),
        metadata={"description": "printed: the poster's code; rotating: the current 30-second code"},
    )
    size = ma.fields.Integer(
        load_default=10,
        validate=validate.Range(min=2, max=40),
        metadata={"description": "PNG pixels per module"},
    )


class PageLinksSchema(ma.Schema):
    """Signed links to a station's (or event's) pages, to open in a browser."""

    live_url = ma.fields.String(required=True, metadata={"description": "Full-screen rotating code"})
    poster_url = ma.fields.String(allow_none=True, metadata={"description": "Printable A4 poster (stations)"})
    qr_url = ma.fields.String(
        allow_none=True, metadata={"description": "What the printed code encodes (stations)"}
    )
    expires_at = UtcDateTime(required=True)


# ---- check-ins ------------------------------------------------------------------------------


class CheckInInputSchema(ma.Schema):
    """A scanned code, with the scanner's location when the phone gave it."""

    url_or_token = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={
            "description": "The scanned URL, the mini-program's `q` launch parameter, or the bare token"
        },
    )
    lat = Latitude(allow_none=True)
    lng = Longitude(allow_none=True)
    purpose = ma.fields.String(required=True, validate=one_of(Purpose))
    client_id = ClientId(
        required=True,
        metadata={"description": "A client-made id (e.g. a UUID): a retried check-in is applied once"},
    )


class NextStepSchema(ma.Schema):
    """Something the person should do next."""

    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class EventRefSchema(ma.Schema):
    """An event, briefly."""

    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)


class CheckInSchema(ma.Schema):
    """A check-in as the person who made it sees it."""

    id = ma.fields.Integer(required=True)
    queue_number = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: an out-of-hours visit, not queued"}
    )
    out_of_hours = ma.fields.Boolean(
        required=True, metadata={"description": "Came while the station was closed: recorded, no number"}
    )
    day = ma.fields.Date(required=True, metadata={"description": "The local day the queue number belongs to"})
    purpose = ma.fields.String(required=True)
    via = ma.fields.String(required=True, metadata={"description": "printed, rotating or event"})
    station = ma.fields.Nested(StationPublicSchema, allow_none=True)
    event = ma.fields.Nested(EventRefSchema, allow_none=True)
    distance_m = ma.fields.Float(allow_none=True)
    served_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime(required=True)
    repeated = ma.fields.Boolean(
        required=True, metadata={"description": "True when this is an earlier check-in given back"}
    )
    next_steps = ma.fields.List(ma.fields.Nested(NextStepSchema), required=True)


def _person(row) -> dict:
    resident = getattr(row, "person", None)
    if resident is None:
        return {"resident_id": None, "name": None, "phone": None}
    return {"resident_id": resident.id, "name": mask_name(resident.name), "phone": resident.phone_hint}


class CheckInStaffSchema(ma.Schema):
    """A check-in as station staff see it (the person masked; open the resident for more)."""

    id = ma.fields.Integer(required=True)
    queue_number = ma.fields.Integer(required=True, allow_none=True)
    out_of_hours = ma.fields.Boolean(required=True)
    day = ma.fields.Date(required=True)
    station_id = ma.fields.Integer(allow_none=True)
    event_id = ma.fields.Integer(allow_none=True)
    purpose = ma.fields.String(required=True)
    via = ma.fields.String(required=True)
    person = ma.fields.Function(_person, metadata={"type": "object"})
    signed_up = ma.fields.Boolean(allow_none=True)
    distance_m = ma.fields.Float(allow_none=True)
    created_at = UtcDateTime(required=True)
    served_at = UtcDateTime(allow_none=True)
    served_by_id = ma.fields.Integer(allow_none=True)
    outcome_note = ma.fields.String(allow_none=True)
    follow_up = ma.fields.Boolean(required=True)


class ListPageArgsSchema(ma.Schema):
    """?page=&per_page= of a day's list (per_page up to 500: a job fair's desk wants it whole)."""

    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=200, validate=validate.Range(min=1, max=500))


class ServedArgsSchema(ListPageArgsSchema):
    """?served=&page=&per_page= of a check-in list."""

    served = ma.fields.Boolean()


class CheckInListArgsSchema(ServedArgsSchema):
    """?date=&served= of a station's check-in list."""

    date = ma.fields.Date(metadata={"description": "Local day, YYYY-MM-DD; default today"})


class CheckInListSchema(ma.Schema):
    """One page of check-ins in queue order."""

    items = ma.fields.List(ma.fields.Nested(CheckInStaffSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


class ServeSchema(ma.Schema):
    """Staff's record of serving a visitor."""

    served = ma.fields.Boolean()
    outcome_note = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    follow_up = ma.fields.Boolean()


class CountsArgsSchema(ma.Schema):
    """?from=&to=&station_id= of the daily counts (default: the last 7 days)."""

    date_from = ma.fields.Date(
        data_key="from",
        metadata={"description": "Default: 6 days before `to`; not after `to`, at most 366 days in all"},
    )
    date_to = ma.fields.Date(data_key="to", metadata={"description": "Default: today (the city's day)"})
    station_id = Id()


class DailyCountSchema(ma.Schema):
    """Check-ins at one station (or event) on one local day."""

    date = ma.fields.Date(required=True)
    station_id = ma.fields.Integer(allow_none=True)
    station_code = ma.fields.String(allow_none=True)
    station_name = ma.fields.String(allow_none=True)
    event_id = ma.fields.Integer(allow_none=True)
    check_ins = ma.fields.Integer(
        required=True, metadata={"description": "Every visit, out-of-hours ones too"}
    )
    served = ma.fields.Integer(required=True)
    out_of_hours = ma.fields.Integer(
        required=True, metadata={"description": "Visits while closed (no number)"}
    )


class DailyCountsSchema(ma.Schema):
    """Daily counts in the caller's place."""

    items = ma.fields.List(ma.fields.Nested(DailyCountSchema), required=True)


# ---- events ---------------------------------------------------------------------------------


class EventInputSchema(ma.Schema):
    """An event to schedule: at a station (station_id) or at its own location (lat, lng)."""

    title = ma.fields.String(required=True, validate=validate.Length(min=2, max=128))
    kind = ma.fields.String(required=True, validate=one_of(EventKind))
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
    station_id = Id(allow_none=True)
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=255))
    lat = Latitude(allow_none=True)
    lng = Longitude(allow_none=True)
    starts_at = AwareInputDateTime(required=True, metadata={"example": "2026-12-05T09:00:00+08:00"})
    ends_at = AwareInputDateTime(
        required=True, metadata={"description": "After `starts_at`, at most 14 days later"}
    )
    capacity = ma.fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000))
    require_location = ma.fields.Boolean(load_default=False)
    geofence_m = ma.fields.Integer(load_default=500, validate=validate.Range(min=50, max=5000))


class EventUpdateSchema(EventInputSchema):
    """Changes to an event (all optional); status `cancelled` cancels it."""

    status = ma.fields.String(validate=one_of(EventStatus))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class EventSchema(ma.Schema):
    """An event as anyone sees it."""

    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True)
    station = ma.fields.Nested(StationPublicSchema, allow_none=True)
    circle = ma.fields.Function(
        lambda event: (
            None
            if event.circle is None
            else {"code": place_code("circle", event.circle), "name": event.circle.name}
        ),
        allow_none=True,
        metadata={"type": "object"},
    )
    address = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    capacity = ma.fields.Integer(allow_none=True)
    signups = ma.fields.Integer(attribute="signup_total", required=True)
    spots_left = ma.fields.Function(
        lambda event: None if event.capacity is None else max(0, event.capacity - event.signup_total),
        allow_none=True,
        metadata={"type": "integer"},
    )
    require_location = ma.fields.Boolean(required=True)
    signed_up = ma.fields.Boolean(
        attribute="mine", allow_none=True, metadata={"description": "Whether I signed up (when logged in)"}
    )


class EventQuerySchema(PageArgsSchema):
    """Filters of the event list."""

    circle = ma.fields.String(metadata={"description": "A circle's code"})
    include_past = ma.fields.Boolean(load_default=False)


class SignupSchema(ma.Schema):
    """My sign-up for an event."""

    event_id = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)


class SignupStaffSchema(ma.Schema):
    """A sign-up as the organisers see it (the person masked)."""

    id = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    person = ma.fields.Function(_person, metadata={"type": "object"})


class SignupListSchema(ma.Schema):
    """One page of an event's live sign-ups."""

    items = ma.fields.List(ma.fields.Nested(SignupStaffSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


StationPageSchema = page_schema(StationSchema, "StationPageSchema")
EventPageSchema = page_schema(EventSchema, "EventPageSchema")
