"""Schemas of résumés and their files, and of a resident's recommended jobs."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import (
    Latitude,
    Longitude,
    UtcDateTime,
    one_of,
)
from app.api.schemas.jobs import WAGE
from app.models import (
    Availability,
    Education,
    JobCategory,
    JobKind,
)
from app.models.jobs import SeekingPause
from app.services.jobs.search.nearby import MAX_RADIUS_M


class ExperienceSchema(ma.Schema):
    """One past job on a résumé."""

    employer = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))
    title = ma.fields.String(allow_none=True, validate=validate.Length(max=64))
    start = ma.fields.String(
        allow_none=True, validate=validate.Regexp(r"^\d{4}(-\d{2})?$"), metadata={"example": "2019-03"}
    )
    end = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^\d{4}(-\d{2})?$"))
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=500))


class ResumeInputSchema(ma.Schema):
    """The résumé's fields; wanted kinds, categories, wage and radius are the seeker preferences."""

    education = ma.fields.String(allow_none=True, validate=one_of(Education))
    experience = ma.fields.List(
        ma.fields.Nested(ExperienceSchema), allow_none=True, validate=validate.Length(max=30)
    )
    skills = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=20)),
        allow_none=True,
        validate=validate.Length(max=30),
    )
    availability = ma.fields.String(allow_none=True, validate=one_of(Availability))
    intro = ma.fields.String(allow_none=True, validate=validate.Length(max=1000))
    open_to_work = ma.fields.Boolean(metadata={"description": "Looking for work: matched and pushed"})
    wanted_kinds = ma.fields.List(ma.fields.String(validate=one_of(JobKind)), allow_none=True)
    wanted_categories = ma.fields.List(ma.fields.String(validate=one_of(JobCategory)), allow_none=True)
    expected_monthly_wage = ma.fields.Integer(allow_none=True, validate=WAGE)
    radius_m = ma.fields.Integer(allow_none=True, validate=validate.Range(min=100, max=MAX_RADIUS_M))


class ResumeFileSchema(ma.Schema):
    """A file attached to a résumé."""

    id = ma.fields.Integer(required=True)
    original_name = ma.fields.String(required=True, data_key="name")
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    created_at = UtcDateTime()


class ResumeSchema(ResumeInputSchema):
    """A résumé as its readers see it (phone masked unless the employer may call)."""

    resident_id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)
    gender = ma.fields.String(allow_none=True)
    age = ma.fields.Integer(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    updated_at = UtcDateTime(allow_none=True)
    files = ma.fields.List(ma.fields.Nested(ResumeFileSchema))
    seeking_paused_at = UtcDateTime(
        allow_none=True, metadata={"description": "When open_to_work last went false; null while seeking"}
    )
    seeking_paused_reason = ma.fields.String(
        allow_none=True,
        validate=one_of(SeekingPause),
        metadata={
            "description": "hired: a hire paused it (POST /me/resume/seeking looks again); "
            "self: the resident closed it"
        },
    )


class RecommendArgsSchema(ma.Schema):
    """Optional point (default: home) and paging."""

    lat = Latitude(metadata={"description": "GCJ-02, inside China; default: your home"})
    lng = Longitude()
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=25))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
