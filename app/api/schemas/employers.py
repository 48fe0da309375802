"""Schemas of employers: registering, the record, the verification queue."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import (
    Latitude,
    Longitude,
    PageArgsSchema,
    UtcDateTime,
    one_of,
    page_schema,
    place_field,
)
from app.api.schemas.jobs import CredibilityStaffSchema
from app.models import (
    EmployerSize,
    EmployerStatus,
    JobCategory,
)
from app.services.jobs import credibility


class EmployerInputSchema(ma.Schema):
    """An employer's registration (name and credit code required) or edit (all optional)."""

    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=128))
    credit_code = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "统一社会信用代码: 18 characters with a GB 32100-2015 check character"},
    )
    legal_representative = ma.fields.String(allow_none=True, validate=validate.Length(max=64))
    contact_name = ma.fields.String(allow_none=True, validate=validate.Length(max=64))
    contact_phone = ma.fields.String(allow_none=True, validate=validate.Length(max=32))
    industry = ma.fields.String(allow_none=True, validate=one_of(JobCategory))
    size = ma.fields.String(allow_none=True, validate=one_of(EmployerSize))
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=255))
    lat = Latitude(allow_none=True)
    lng = Longitude(allow_none=True)
    community_code = ma.fields.String(
        validate=validate.Regexp(r"^\d{12}$"),
        metadata={"description": "The community the business is in; else placed by its location"},
    )


class EmployerSchema(ma.Schema):
    """An employer as its owner and staff see it (contact phone masked)."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    credit_code = ma.fields.String(required=True)
    legal_representative = ma.fields.String(allow_none=True)
    contact_name = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(attribute="contact_phone_hint", allow_none=True)
    industry = ma.fields.String(allow_none=True)
    size = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    community = place_field("community", "community_id")
    township = place_field("township", "township_id")
    circle = place_field("circle", "circle_id")
    status = ma.fields.String(required=True, validate=one_of(EmployerStatus))
    decision_reason = ma.fields.String(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    has_licence = ma.fields.Function(lambda e: e.licence_file is not None, metadata={"type": "boolean"})
    claimed = ma.fields.Function(
        lambda e: e.account_id is not None,
        metadata={"type": "boolean", "description": "False until a staff-registered business claims it"},
    )
    created_at = UtcDateTime()


class EmployerDetailSchema(EmployerSchema):
    """One employer with its credibility: the score, level, reasons and the inputs."""

    licence_valid_until = ma.fields.Date(
        allow_none=True, metadata={"description": "营业期限; null: 长期 or not entered"}
    )
    credibility = ma.fields.Method(
        "get_credibility",
        metadata={"description": "信用: score 0..100, level, reasons, inputs", "type": "object"},
    )

    def get_credibility(self, employer):
        """Show the credibility with its inputs (computed on a first read)."""
        return CredibilityStaffSchema().dump(credibility.staff_view(employer.id))


class EmployerQuerySchema(PageArgsSchema):
    """Filters of the staff's employer list."""

    status = ma.fields.String(validate=one_of(EmployerStatus))
    q = ma.fields.String(validate=validate.Length(min=1, max=50))
    claimed = ma.fields.Boolean(
        metadata={"description": "false: businesses staff registered that have not claimed their record"}
    )


class VerifySchema(ma.Schema):
    """A verification decision; a rejection needs a reason the employer will read."""

    decision = ma.fields.String(required=True, validate=validate.OneOf(["verified", "rejected"]))
    reason = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=255),
        metadata={"description": "Required (not blank) when `decision` is rejected: 422 `reason_required`"},
    )
    licence_valid_until = ma.fields.Date(
        allow_none=True,
        metadata={
            "description": "The licence's 营业期限 as read (null: 长期); left out, the recorded one stays. "
            "A credibility input"
        },
    )


class EmployerUpdateSchema(EmployerInputSchema):
    """Any subset of an employer's fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


EmployerPageSchema = page_schema(EmployerSchema, "EmployerPageSchema")
