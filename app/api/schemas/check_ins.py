"""Schemas of check-ins: scanning a code, the queue, serving, and the daily counts."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import (
    ClientId,
    Id,
    Latitude,
    Longitude,
    PageArgsSchema,
    UtcDateTime,
    one_of,
    page_schema,
)
from app.api.schemas.stations import StationPublicSchema
from app.common.identity import mask_name
from app.models import Purpose, ServeOutcome


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


class StationRefSchema(ma.Schema):
    """A station, briefly."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class EventTitleSchema(ma.Schema):
    """An event, briefly."""

    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)


class MyCheckInSchema(ma.Schema):
    """One of my check-ins in my history (我的签到)."""

    id = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    day = ma.fields.Date(required=True)
    station = ma.fields.Nested(StationRefSchema, allow_none=True)
    event = ma.fields.Nested(EventTitleSchema, allow_none=True)
    purpose = ma.fields.String(required=True)
    queue_number = ma.fields.Integer(required=True, allow_none=True)
    out_of_hours = ma.fields.Boolean(required=True)
    served = ma.fields.Function(
        lambda row: row.served_at is not None, required=True, metadata={"type": "boolean"}
    )
    outcome = ma.fields.String(
        allow_none=True, metadata={"description": "The coded outcome (ServeOutcome) when served with one"}
    )


class MyCheckInsArgsSchema(PageArgsSchema):
    """?page=&per_page= of my check-ins (per_page at most 50)."""

    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


MyCheckInPageSchema = page_schema(MyCheckInSchema, "MyCheckInPageSchema")


def masked_person(row) -> dict:
    """Return the person behind a check-in or sign-up, masked, as staff lists show them."""
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
    person = ma.fields.Function(masked_person, metadata={"type": "object"})
    signed_up = ma.fields.Boolean(allow_none=True)
    distance_m = ma.fields.Float(allow_none=True)
    created_at = UtcDateTime(required=True)
    called_at = UtcDateTime(
        allow_none=True, metadata={"description": "When a clerk called the visitor to the counter (叫号)"}
    )
    called_by_id = ma.fields.Integer(allow_none=True, metadata={"description": "The clerk who called"})
    served_at = UtcDateTime(allow_none=True)
    served_by_id = ma.fields.Integer(allow_none=True)
    outcome_note = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(
        allow_none=True, metadata={"description": "The coded outcome (ServeOutcome); null: not given"}
    )
    follow_up = ma.fields.Boolean(required=True)
    follow_up_closed_at = UtcDateTime(
        allow_none=True, metadata={"description": "When the follow-up was closed; null while open or none"}
    )


class ListPageArgsSchema(ma.Schema):
    """?page=&per_page= of a day's list (per_page up to 500: a job fair's desk wants it whole)."""

    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=200, validate=validate.Range(min=1, max=500))


class ServedArgsSchema(ListPageArgsSchema):
    """?served=&page=&per_page= of a check-in list."""

    served = ma.fields.Boolean()


class CheckInListArgsSchema(ServedArgsSchema):
    """?date=&served=&called= of a station's check-in list."""

    date = ma.fields.Date(metadata={"description": "Local day, YYYY-MM-DD; default today"})
    called = ma.fields.Boolean(metadata={"description": "true: called to a counter; false: still waiting"})


class FollowUpArgsSchema(ma.Schema):
    """?station_id=&page=&per_page= of the open follow-ups."""

    station_id = Id()
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class CheckInListSchema(ma.Schema):
    """One page of check-ins in queue order."""

    items = ma.fields.List(ma.fields.Nested(CheckInStaffSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


class ServeSchema(ma.Schema):
    """Staff's record of serving a visitor (every key optional)."""

    served = ma.fields.Boolean()
    outcome = ma.fields.String(
        allow_none=True,
        validate=one_of(ServeOutcome),
        metadata={
            "description": "What came of it: recommended_jobs, registered, claim_started, "
            "referred_to_training, follow_up_needed (opens a follow-up) or nothing; marks the visit served"
        },
    )
    outcome_note = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    follow_up = ma.fields.Boolean()
    follow_up_closed = ma.fields.Boolean(
        metadata={
            "description": "true: close the open follow-up (409 no_follow_up if none); false: open it again"
        }
    )


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
