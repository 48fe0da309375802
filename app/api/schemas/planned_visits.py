"""Schemas of planned visits (预约走访): plan one, list mine, cancel."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import (
    AwareInputDateTime,
    ClientId,
    Id,
    PageArgsSchema,
    UtcDateTime,
    one_of,
    page_schema,
)
from app.models import PlannedVisitStatus


class PlannedVisitInputSchema(ma.Schema):
    """A visit to plan: the household, when, and a short note the members are sent."""

    client_id = ClientId(
        required=True, metadata={"description": "A client-made id: a retried plan is made once"}
    )
    household_id = Id(required=True)
    planned_at = AwareInputDateTime(
        required=True,
        metadata={
            "description": "When, with its offset: not past, at most PLANNED_VISIT_MAX_DAYS (60) ahead"
        },
    )
    note = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "What the visit is about; its first 20 characters go in the message"},
    )


class PlannedVisitUpdateSchema(ma.Schema):
    """A change to a planned visit: for now only cancelling it (a new time is a new plan)."""

    status = ma.fields.String(required=True, validate=validate.OneOf(["cancelled"]))


class PlannedVisitSchema(ma.Schema):
    """A planned visit."""

    id = ma.fields.Integer(required=True)
    household_id = ma.fields.Integer(required=True)
    planned_at = UtcDateTime(required=True)
    note = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, metadata={"description": "planned, done or cancelled"})
    visit_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The visit that did it, once done"}
    )
    created_at = UtcDateTime(required=True)


class PlannedVisitArgsSchema(PageArgsSchema):
    """?status=&page=&per_page= of my planned visits."""

    status = ma.fields.String(validate=one_of(PlannedVisitStatus))


PlannedVisitPageSchema = page_schema(PlannedVisitSchema, "PlannedVisitPageSchema")
