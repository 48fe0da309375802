"""Schemas of zero-employment households' assistance cases (grid wing)."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import Id, PageArgsSchema, UtcDateTime, one_of, page_schema
from app.api.schemas.grid import HouseholdSchema
from app.models import AssistanceKind


class CaseQuerySchema(PageArgsSchema):
    """Filters of the zero-employment list."""

    open = ma.fields.Boolean(load_default=True, metadata={"description": "true: open cases; false: cleared"})
    community = ma.fields.String(validate=validate.Regexp(r"^\d{12}$"))


class ActionInputSchema(ma.Schema):
    """Help given to a zero-employment household."""

    kind = ma.fields.String(required=True, validate=one_of(AssistanceKind))
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    job_id = Id(allow_none=True)
    resident_id = Id(allow_none=True)


class ActionSchema(ma.Schema):
    """Help given."""

    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    note = ma.fields.String(allow_none=True)
    job_id = ma.fields.Integer(allow_none=True)
    resident_id = ma.fields.Integer(allow_none=True)
    actor_id = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)


class CaseSchema(ma.Schema):
    """A zero-employment household's assistance case."""

    id = ma.fields.Integer(required=True)
    household = ma.fields.Nested(HouseholdSchema, required=True)
    opened_at = UtcDateTime(required=True)
    days_open = ma.fields.Integer(required=True)
    cleared_at = UtcDateTime(allow_none=True)
    cleared_source = ma.fields.String(allow_none=True)
    assigned_to_id = ma.fields.Integer(allow_none=True)
    actions = ma.fields.List(ma.fields.Nested(ActionSchema), required=True)


CasePageSchema = page_schema(CaseSchema, "CasePageSchema")
