"""Schemas of circle filings (报市局备案) and circle history."""

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
from app.models import FilingStatus

CODES = validate.Length(max=200)
CODE = ma.fields.String(validate=validate.Length(min=1, max=12))


class FilingInputSchema(ma.Schema):
    """A circle's definition: name, what it covers, centre, stations, operator, from when."""

    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=64))
    township_codes = ma.fields.List(
        CODE, validate=CODES, metadata={"description": "Whole townships it covers"}
    )
    community_codes = ma.fields.List(
        CODE,
        validate=CODES,
        metadata={"description": "Single communities (of townships shared with another circle)"},
    )
    station_ids = ma.fields.List(Id(), validate=CODES, metadata={"description": "Its service stations"})
    centre_lat = Latitude(allow_none=True)
    centre_lng = Longitude(allow_none=True)
    operator_id = Id(allow_none=True, metadata={"description": "The operator named on the circle"})
    effective_from = ma.fields.Date(allow_none=True, metadata={"description": "The day it takes effect"})
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=255))


class FilingCreateSchema(FilingInputSchema):
    """A new filing: of a new circle (key) or an existing one of my district (circle code)."""

    key = ma.fields.String(validate=validate.Length(max=32), metadata={"description": "A new circle's key"})
    circle = ma.fields.String(
        validate=validate.Length(max=48), metadata={"description": "An existing circle's code, to revise it"}
    )
    client_id = ClientId(
        load_default=None, metadata={"description": "Idempotency key: a retry returns the first"}
    )


class FilingEditSchema(FilingInputSchema):
    """A change to a draft or returned filing: any of its fields (loaded partial)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(**kwargs)


class FilingReasonSchema(ma.Schema):
    """The city's reason for returning a filing."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class FilingNoteSchema(ma.Schema):
    """An optional remark with a step: filing (kept as its note), accepting, withdrawing (audited)."""

    note = ma.fields.String(allow_none=True, validate=validate.Length(max=200))


class FilingQuerySchema(PageArgsSchema):
    """?status=, ?district= (code) filter the filings list."""

    status = ma.fields.String(validate=one_of(FilingStatus))
    district = ma.fields.String(validate=validate.Length(max=12))


class FilingPlaceSchema(ma.Schema):
    """A place by id, code and name."""

    id = ma.fields.Integer()
    code = ma.fields.String(allow_none=True)
    name = ma.fields.String()


class FilingCircleSchema(ma.Schema):
    """The circle a filing defines."""

    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    status = ma.fields.String()


class FilingOperatorSchema(ma.Schema):
    """The operator named on a filing."""

    id = ma.fields.Integer()
    name = ma.fields.String()


class FilingSchema(ma.Schema):
    """A filing as shown: its circle, what it covers, its status and the city's decision."""

    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    district = ma.fields.Nested(FilingPlaceSchema)
    circle = ma.fields.Nested(FilingCircleSchema)
    name = ma.fields.String()
    centre_lat = ma.fields.Float(allow_none=True)
    centre_lng = ma.fields.Float(allow_none=True)
    operator = ma.fields.Nested(FilingOperatorSchema, allow_none=True)
    townships = ma.fields.List(ma.fields.Nested(FilingPlaceSchema))
    communities = ma.fields.List(ma.fields.Nested(FilingPlaceSchema))
    stations = ma.fields.List(ma.fields.Nested(FilingPlaceSchema))
    effective_from = ma.fields.Date(allow_none=True)
    note = ma.fields.String(allow_none=True)
    created_by_id = ma.fields.Integer(allow_none=True)
    filed_at = UtcDateTime(allow_none=True)
    decided_by_id = ma.fields.Integer(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    reason = ma.fields.String(allow_none=True, metadata={"description": "The city's reason for returning it"})
    applied_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


FilingPageSchema = page_schema(FilingSchema, "FilingPageSchema")


class MembershipSchema(ma.Schema):
    """A community's circle over a span of days (valid_to: its last day, null while it holds)."""

    community = ma.fields.Nested(FilingPlaceSchema)
    circle = ma.fields.Nested(FilingPlaceSchema)
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date(allow_none=True)
    filing_id = ma.fields.Integer(allow_none=True)


class HistoryCircleSchema(ma.Schema):
    """A circle and its state."""

    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    status = ma.fields.String()
    effective_from = ma.fields.Date(allow_none=True)
    retired_on = ma.fields.Date(allow_none=True)
    operator_id = ma.fields.Integer(allow_none=True)


class HistoryFilingSchema(ma.Schema):
    """One filing of a circle, in short."""

    id = ma.fields.Integer()
    status = ma.fields.String()
    effective_from = ma.fields.Date(allow_none=True)
    applied_at = UtcDateTime(allow_none=True)


class CircleHistorySchema(ma.Schema):
    """A circle's communities over time, and its filings."""

    circle = ma.fields.Nested(HistoryCircleSchema)
    memberships = ma.fields.List(ma.fields.Nested(MembershipSchema))
    filings = ma.fields.List(ma.fields.Nested(HistoryFilingSchema))


class CommunityHistorySchema(ma.Schema):
    """A community's circles over time."""

    community = ma.fields.Nested(FilingPlaceSchema)
    memberships = ma.fields.List(ma.fields.Nested(MembershipSchema))
