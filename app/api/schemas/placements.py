"""Schemas of placement follow-ups (稳岗回访): a follow-up, an answer, the staff list, retention."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import Id, PageArgsSchema, UtcDateTime, one_of, page_schema, place_field
from app.models import LeftReason, PlacementAnswer, PlacementFollowUpStatus, PlacementSource


class PlacementFollowUpSchema(ma.Schema):
    """One follow-up: which placement, which stage, where it is, and its answer."""

    id = ma.fields.Integer(required=True)
    source_type = ma.fields.String(required=True, validate=one_of(PlacementSource))
    source_id = ma.fields.Integer(required=True)
    employer_id = ma.fields.Integer(allow_none=True)
    employer_name = ma.fields.String(allow_none=True)
    job_id = ma.fields.Integer(allow_none=True)
    job_kind = ma.fields.String(allow_none=True)
    started_on = ma.fields.Date(required=True)
    stage_days = ma.fields.Integer(required=True, metadata={"description": "90 or 180 days after the start"})
    due_on = ma.fields.Date(required=True)
    status = ma.fields.String(required=True, validate=one_of(PlacementFollowUpStatus))
    asked_at = UtcDateTime(allow_none=True)
    task_at = UtcDateTime(allow_none=True, metadata={"description": "When it went to the grid worker"})
    answer = ma.fields.String(allow_none=True, validate=one_of(PlacementAnswer))
    left_reason = ma.fields.String(allow_none=True, validate=one_of(LeftReason))
    left_on = ma.fields.Date(allow_none=True)
    answered_at = UtcDateTime(allow_none=True)
    answer_channel = ma.fields.String(
        allow_none=True, metadata={"description": "self, phone, door or station"}
    )
    stop_reason = ma.fields.String(
        allow_none=True, metadata={"description": "left_earlier, registration_ended or missed"}
    )


class StaffPlacementFollowUpSchema(PlacementFollowUpSchema):
    """A follow-up as staff see it: with the person (masked phone) and the community."""

    resident = ma.fields.Function(
        lambda row: (
            None
            if row.resident is None
            else {"id": row.resident.id, "name": row.resident.name, "phone_hint": row.resident.phone_hint}
        ),
        allow_none=True,
        metadata={"type": "object"},
    )
    community = place_field("community", "community_id")


class PlacementFollowUpListSchema(ma.Schema):
    """My follow-ups, newest first."""

    items = ma.fields.List(ma.fields.Nested(PlacementFollowUpSchema), required=True)


StaffPlacementPageSchema = page_schema(StaffPlacementFollowUpSchema, "StaffPlacementPage")


class PlacementAnswerInputSchema(ma.Schema):
    """Still working there, or left (then why and the last day)."""

    answer = ma.fields.String(required=True, validate=one_of(PlacementAnswer))
    left_reason = ma.fields.String(
        allow_none=True, validate=one_of(LeftReason), metadata={"description": "Required when `left`"}
    )
    left_on = ma.fields.Date(allow_none=True, metadata={"description": "The last day; required when `left`"})
    channel = ma.fields.String(
        validate=validate.OneOf(["phone", "door", "station"]),
        metadata={"description": "Staff only: how the person was reached (default phone)"},
    )


class PlacementQuerySchema(PageArgsSchema):
    """?status=&stage_days=&employer_id= of the staff list."""

    status = ma.fields.String(validate=one_of(PlacementFollowUpStatus))
    stage_days = ma.fields.Integer(validate=validate.Range(min=1, max=3650))
    employer_id = Id()


class RetentionQuerySchema(ma.Schema):
    """?by=employer|circle|job_kind&started_from=&started_to= (the placements' first days)."""

    by = ma.fields.String(
        load_default="employer", validate=validate.OneOf(["employer", "circle", "job_kind"])
    )
    started_from = ma.fields.Date()
    started_to = ma.fields.Date()


class RetentionStageSchema(ma.Schema):
    """One stage's counts: retained, left, still waiting for an answer, and the rate."""

    stage_days = ma.fields.Integer(required=True)
    retained = ma.fields.Integer(required=True)
    left = ma.fields.Integer(required=True)
    pending = ma.fields.Integer(required=True)
    rate = ma.fields.Float(
        allow_none=True, metadata={"description": "retained / (retained + left); null: none known"}
    )


class RetentionGroupSchema(ma.Schema):
    """One employer, circle or job kind."""

    key = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    stages = ma.fields.List(ma.fields.Nested(RetentionStageSchema), required=True)


class RetentionSchema(ma.Schema):
    """3- and 6-month retention per group, and over all groups."""

    by = ma.fields.String(required=True)
    groups = ma.fields.List(ma.fields.Nested(RetentionGroupSchema), required=True)
    totals = ma.fields.List(ma.fields.Nested(RetentionStageSchema), required=True)
