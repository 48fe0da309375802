"""Schemas of events (job fairs, trainings) and their sign-ups."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.check_ins import masked_person
from app.api.schemas.common import (
    AwareInputDateTime,
    Id,
    Latitude,
    Longitude,
    PageArgsSchema,
    UtcDateTime,
    one_of,
    page_schema,
)
from app.api.schemas.jobs import JobSummarySchema
from app.api.schemas.stations import StationPublicSchema
from app.models import EventKind, EventStatus
from app.services.people.places import place_code
from app.services.stations.training import AUDIENCES


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
    audience = ma.fields.String(
        load_default="everyone",
        validate=validate.OneOf(AUDIENCES),
        metadata={
            "description": "Who may sign up and check in: everyone, residents or staff (a staff training)"
        },
    )
    credit_hours = ma.fields.Float(
        allow_none=True,
        validate=validate.Range(min=0.5, max=200),
        metadata={"description": "Hours credited per attendee of a training; null: the event's length"},
    )
    topic = ma.fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,31}$"),
        metadata={
            "description": "What a training teaches, a short code: platform_use, data_analysis, promotion…"
        },
    )
    channels_finder_id = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={
            "description": "A live job fair (直播带岗): the WeChat Channels (视频号) id, 'sph' and 4-60 of "
            "[0-9A-Za-z_-] (422 invalid_channels_id); null clears it",
            "example": "sphTunxiJobFair01",
        },
    )
    channels_feed_id = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=255),
        metadata={
            "description": "The replay's feed id, 'export/' and 8-240 of [0-9A-Za-z_-+/=] (422 "
            "invalid_channels_feed); with channels_nonce_id and a finder id (422 channels_replay_incomplete)"
        },
    )
    channels_nonce_id = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "The replay's nonce id, 1-32 digits (422 invalid_channels_nonce)"},
    )
    job_ids = ma.fields.List(
        Id(),
        allow_none=True,
        validate=validate.Length(max=30),
        metadata={
            "description": "The jobs presented, in order (at most 30): each a published job in my place "
            "(422 job_not_presentable); [] or null presents none"
        },
    )


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
    audience = ma.fields.String(required=True)
    credit_hours = ma.fields.Float(allow_none=True)
    topic = ma.fields.String(allow_none=True)
    signed_up = ma.fields.Boolean(
        attribute="mine", allow_none=True, metadata={"description": "Whether I signed up (when logged in)"}
    )
    live = ma.fields.Nested(
        "EventLiveSchema",
        allow_none=True,
        metadata={"description": "A live job fair's stream on WeChat Channels; null: not a live fair"},
    )
    jobs_count = ma.fields.Integer(
        required=True, metadata={"description": "How many presented jobs are still published"}
    )


class EventLiveSchema(ma.Schema):
    """How the mini-program opens a live job fair: openChannelsLive, or openChannelsActivity for a replay."""

    finder_id = ma.fields.String(required=True)
    feed_id = ma.fields.String(allow_none=True)
    nonce_id = ma.fields.String(allow_none=True)
    kind = ma.fields.String(
        required=True,
        validate=validate.OneOf(["live", "replay"]),
        metadata={"description": "replay when feed_id and nonce_id are set"},
    )


class EventDetailSchema(EventSchema):
    """One event, with the jobs it presents."""

    jobs = ma.fields.List(
        ma.fields.Nested(JobSummarySchema),
        required=True,
        metadata={"description": "The presented jobs still published, in order (as GET /jobs shows a job)"},
    )


class EventQuerySchema(PageArgsSchema):
    """Filters of the event list."""

    circle = ma.fields.String(metadata={"description": "A circle's code"})
    include_past = ma.fields.Boolean(load_default=False)
    live = ma.fields.Boolean(
        metadata={"description": "true: live job fairs only (with a Channels id); false: the others"}
    )


class SignupSchema(ma.Schema):
    """My sign-up for an event."""

    event_id = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)


class SignupStaffSchema(ma.Schema):
    """A sign-up as the organisers see it (the person masked)."""

    id = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    person = ma.fields.Function(masked_person, metadata={"type": "object"})


class SignupListSchema(ma.Schema):
    """One page of an event's live sign-ups."""

    items = ma.fields.List(ma.fields.Nested(SignupStaffSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


EventPageSchema = page_schema(EventSchema, "EventPageSchema")


class YearArgsSchema(ma.Schema):
    """?year= of a training-hours report (default: this year)."""

    year = ma.fields.Integer(validate=validate.Range(min=2000, max=2100))


class TrainingSchema(ma.Schema):
    """One training attended."""

    event_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    topic = ma.fields.String(allow_none=True)
    starts_at = UtcDateTime(required=True)
    hours = ma.fields.Float(required=True)


class MyTrainingHoursSchema(ma.Schema):
    """My trainings attended in a year and their hours."""

    year = ma.fields.Integer(required=True)
    hours = ma.fields.Float(required=True)
    trainings = ma.fields.List(ma.fields.Nested(TrainingSchema), required=True)


class StaffPlaceSchema(ma.Schema):
    """A place: its level, code and name."""

    kind = ma.fields.String(required=True)
    code = ma.fields.String(allow_none=True)
    name = ma.fields.String(allow_none=True)


class StaffHoursSchema(ma.Schema):
    """One staff member's training hours in the year."""

    account_id = ma.fields.Integer(required=True)
    username = ma.fields.String(allow_none=True)
    display_name = ma.fields.String(allow_none=True)
    role = ma.fields.String(required=True)
    place = ma.fields.Nested(StaffPlaceSchema, required=True)
    hours = ma.fields.Float(required=True)
    trainings = ma.fields.Integer(required=True)
    operator_id = ma.fields.Integer(allow_none=True, metadata={"description": "The operator it works for"})


class HoursRollUpSchema(ma.Schema):
    """Hours summed over a role or a place."""

    role = ma.fields.String()
    kind = ma.fields.String()
    code = ma.fields.String(allow_none=True)
    operator_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "by_operator: null for no operator"}
    )
    operator_name = ma.fields.String(allow_none=True)
    staff = ma.fields.Integer(required=True)
    trained = ma.fields.Integer(required=True, metadata={"description": "Staff with at least one training"})
    hours = ma.fields.Float(required=True)


class StaffTrainingHoursSchema(ma.Schema):
    """The training hours of the staff in my place: per person, per role, per place, per operator."""

    year = ma.fields.Integer(required=True)
    people = ma.fields.List(ma.fields.Nested(StaffHoursSchema), required=True)
    by_role = ma.fields.List(ma.fields.Nested(HoursRollUpSchema), required=True)
    by_place = ma.fields.List(ma.fields.Nested(HoursRollUpSchema), required=True)
    by_operator = ma.fields.List(ma.fields.Nested(HoursRollUpSchema), required=True)
