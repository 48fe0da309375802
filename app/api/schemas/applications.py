"""Schemas of applications: applying, the lists of both sides, moving the status."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import (
    Id,
    PageArgsSchema,
    UtcDateTime,
    one_of,
    page_schema,
)
from app.api.schemas.jobs import JobSummarySchema
from app.models import (
    ApplicationStatus,
)


class ApplicationInputSchema(ma.Schema):
    """An optional note to the employer."""

    message = ma.fields.String(allow_none=True, validate=validate.Length(max=500))


class ApplicantSchema(ma.Schema):
    """Who applied (contact comes with the résumé, at interview)."""

    resident_id = ma.fields.Integer(attribute="id")
    name = ma.fields.String(allow_none=True)
    gender = ma.fields.String(allow_none=True)
    age = ma.fields.Function(lambda r: r.age(), allow_none=True, metadata={"type": "integer"})


class ApplicationSchema(ma.Schema):
    """An application."""

    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=one_of(ApplicationStatus))
    message = ma.fields.String(allow_none=True)
    job = ma.fields.Nested(JobSummarySchema)
    applicant = ma.fields.Nested(ApplicantSchema, attribute="resident")
    created_at = UtcDateTime()
    status_changed_at = UtcDateTime()


class ApplicationQuerySchema(PageArgsSchema):
    """Filters of an application list."""

    job_id = Id()
    status = ma.fields.String(validate=one_of(ApplicationStatus))


class ApplicationStatusSchema(ma.Schema):
    """The new status (the employer moves it on; the applicant may withdraw)."""

    status = ma.fields.String(required=True, validate=one_of(ApplicationStatus))


ApplicationPageSchema = page_schema(ApplicationSchema, "ApplicationPageSchema")
