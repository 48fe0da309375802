"""Schemas of compliance (达标): gaps per place with since-when, circles' progress, checks and digests."""

from datetime import date

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import PageArgsSchema, UtcDateTime, one_of, page_schema
from app.api.schemas.progress import PlaceRefSchema
from app.models import ComplianceRule


class ComplianceGapQuerySchema(PageArgsSchema):
    """?status=open|closed|all&rule=&place_kind=circle|community."""

    status = ma.fields.String(
        load_default="open",
        validate=validate.OneOf(["open", "closed", "all"]),
        metadata={"description": "open (default), closed or all"},
    )
    rule = ma.fields.String(validate=one_of(ComplianceRule), metadata={"description": "One rule's gaps"})
    place_kind = ma.fields.String(validate=validate.OneOf(["circle", "community"]))


class OperatorNameSchema(ma.Schema):
    """An operator named by id and name."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)


class ComplianceGapSchema(ma.Schema):
    """A place short of a rule (for a month or quarter where the rule has one), since when."""

    id = ma.fields.Integer(required=True)
    rule = ma.fields.String(
        required=True,
        metadata={
            "description": "circle_station, circle_full_time_staff, community_officer, "
            "circle_visit_days, quarter_coverage"
        },
    )
    place = ma.fields.Nested(PlaceRefSchema, allow_none=True)
    circle = ma.fields.Nested(PlaceRefSchema, allow_none=True)
    district = ma.fields.Nested(PlaceRefSchema, allow_none=True)
    operator = ma.fields.Nested(
        OperatorNameSchema, allow_none=True, metadata={"description": "Who answers for the circle"}
    )
    period = ma.fields.String(
        allow_none=True, metadata={"description": "2026-11 or 2026Q3; none for a standing rule"}
    )
    detail = ma.fields.Dict(
        metadata={"description": "The figures behind it (visit_days and target, households and met ...)"}
    )
    opened_at = UtcDateTime(required=True, metadata={"description": "Since when"})
    checked_at = UtcDateTime(required=True)
    closed_at = UtcDateTime(allow_none=True)
    open = ma.fields.Boolean(required=True)
    days_open = ma.fields.Integer(required=True)


ComplianceGapPageSchema = page_schema(ComplianceGapSchema, "ComplianceGapPageSchema")


class ComplianceProgressQuerySchema(ma.Schema):
    """?as_of=YYYY-MM-DD (default today)."""

    as_of = ma.fields.Date(
        validate=validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31)),
        metadata={"description": "The day the month and quarter run to"},
    )


class CircleComplianceSchema(ma.Schema):
    """One circle's standing this month and quarter."""

    circle = ma.fields.Nested(PlaceRefSchema, required=True)
    operator = ma.fields.Nested(OperatorNameSchema, allow_none=True)
    stations = ma.fields.Integer(required=True)
    full_time_staff = ma.fields.Integer(required=True)
    visit_days = ma.fields.Integer(
        required=True, metadata={"description": "Days with a door visit this month"}
    )
    visit_days_target = ma.fields.Integer(required=True)
    expected_by_now = ma.fields.Integer(
        required=True, metadata={"description": "The target pro-rated to as_of"}
    )
    behind = ma.fields.Boolean(required=True)
    households = ma.fields.Integer(required=True)
    met = ma.fields.Integer(
        required=True, metadata={"description": "Households met at the door this quarter"}
    )
    coverage = ma.fields.Float(required=True)
    open_gaps = ma.fields.Integer(required=True)


class ComplianceProgressSchema(ma.Schema):
    """The circles of my place in the month and quarter in progress."""

    as_of = ma.fields.Date(required=True)
    month = ma.fields.String(required=True)
    quarter = ma.fields.String(required=True)
    circles = ma.fields.List(ma.fields.Nested(CircleComplianceSchema), required=True)


class ComplianceCheckSchema(ma.Schema):
    """What a check run did."""

    as_of = ma.fields.Date(required=True)
    opened = ma.fields.Integer(required=True)
    refreshed = ma.fields.Integer(required=True)
    closed = ma.fields.Integer(required=True)
    open = ma.fields.Integer(required=True)


class ComplianceDigestSchema(ma.Schema):
    """A weekly digest sent to me."""

    week = ma.fields.Date(required=True, metadata={"description": "Its Monday"})
    gaps = ma.fields.Integer(required=True)
    summary = ma.fields.Dict()
    notice_id = ma.fields.Integer(allow_none=True)
    sent_at = UtcDateTime(required=True)


class ComplianceDigestListSchema(ma.Schema):
    """The digests sent to me, newest first."""

    items = ma.fields.List(ma.fields.Nested(ComplianceDigestSchema), required=True)
