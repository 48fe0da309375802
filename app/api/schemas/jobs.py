"""Schemas of the jobs wing: employers, jobs, search, reports, résumés, applications, matching."""

import marshmallow as ma
from flask import g
from marshmallow import validate

from app.api.schemas.common import (
    Id,
    Latitude,
    Longitude,
    PageArgsSchema,
    UtcDateTime,
    one_of,
    page_schema,
)
from app.models import (
    ApplicationStatus,
    Availability,
    Education,
    EmployerSize,
    EmployerStatus,
    JobCategory,
    JobKind,
    JobStatus,
    Role,
    WageUnit,
)
from app.models.jobs import SeekingPause
from app.services.jobs.search.nearby import DEFAULT_RADIUS_M, MAX_RADIUS_M
from app.services.people.places import describe_place

# Coordinates are judged by common.geo.check_point (inside China, and naming a swapped
# pair), not by a range here: a range check would answer a swapped pair with a vaguer error.
WAGE = validate.Range(min=0, max=1_000_000)


def _place(kind: str, column: str):
    return ma.fields.Function(
        lambda obj: describe_place(kind, getattr(obj, column)), allow_none=True, metadata={"type": "object"}
    )


# ---- employers ------------------------------------------------------------------------------


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
    community = _place("community", "community_id")
    township = _place("township", "township_id")
    circle = _place("circle", "circle_id")
    status = ma.fields.String(required=True, validate=one_of(EmployerStatus))
    decision_reason = ma.fields.String(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    has_licence = ma.fields.Function(lambda e: e.licence_file is not None, metadata={"type": "boolean"})
    created_at = UtcDateTime()


class EmployerQuerySchema(PageArgsSchema):
    """Filters of the staff's employer list."""

    status = ma.fields.String(validate=one_of(EmployerStatus))
    q = ma.fields.String(validate=validate.Length(min=1, max=50))


class VerifySchema(ma.Schema):
    """A verification decision; a rejection needs a reason the employer will read."""

    decision = ma.fields.String(required=True, validate=validate.OneOf(["verified", "rejected"]))
    reason = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=255),
        metadata={"description": "Required (not blank) when `decision` is rejected: 422 `reason_required`"},
    )


# ---- jobs -----------------------------------------------------------------------------------


class EmployerRefSchema(ma.Schema):
    """The employer of a job, as job seekers see it."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    verified = ma.fields.Function(lambda e: e.status == EmployerStatus.verified, metadata={"type": "boolean"})


class JobInputSchema(ma.Schema):
    """A job's fields (required on create; any subset on PATCH)."""

    title = ma.fields.String(required=True, validate=validate.Length(min=2, max=64))
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
    category = ma.fields.String(required=True, validate=one_of(JobCategory))
    kind = ma.fields.String(required=True, validate=one_of(JobKind))
    wage_min = ma.fields.Integer(allow_none=True, validate=WAGE)
    wage_max = ma.fields.Integer(allow_none=True, validate=WAGE)
    wage_unit = ma.fields.String(
        validate=one_of(WageUnit), metadata={"description": "month (default), day, hour"}
    )
    headcount = ma.fields.Integer(validate=validate.Range(min=1, max=10000))
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=255))
    lat = Latitude(metadata={"description": "GCJ-02, inside China; default: the employer's"})
    lng = Longitude()
    education = ma.fields.String(allow_none=True, validate=one_of(Education))
    skills = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=20)),
        allow_none=True,
        validate=validate.Length(max=20),
    )
    valid_until = ma.fields.DateTime(
        metadata={"description": "ISO 8601; without an offset it is UTC. Default: 30 days on; at most 180"}
    )
    client_id = ma.fields.String(
        validate=validate.Length(min=8, max=64),
        load_only=True,
        metadata={
            "description": "Create only: a client-made id (e.g. a UUID) so a retried create is applied once"
        },
    )


class JobSummarySchema(ma.Schema):
    """A job in a list."""

    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    wage_min = ma.fields.Integer(allow_none=True)
    wage_max = ma.fields.Integer(allow_none=True)
    wage_unit = ma.fields.String()
    headcount = ma.fields.Integer()
    address = ma.fields.String(allow_none=True)
    lat = ma.fields.Float()
    lng = ma.fields.Float()
    employer = ma.fields.Nested(EmployerRefSchema)
    status = ma.fields.String(validate=one_of(JobStatus))
    refreshed_at = UtcDateTime(allow_none=True)
    valid_until = UtcDateTime()


class JobContactSchema(ma.Schema):
    """Who to call about a job: the name, and the phone masked (GET /jobs/{id}/contact gives it)."""

    name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True, metadata={"description": "Masked: 139****0000"})


class JobSchema(JobSummarySchema):
    """One job in full; the employer's contact only for a logged-in resident."""

    contact = ma.fields.Method(
        "get_contact",
        allow_none=True,
        metadata={
            "description": "Logged-in residents only (else null); the full phone is GET /jobs/{id}/contact",
            "type": "object",
        },
    )

    description = ma.fields.String(allow_none=True)
    education = ma.fields.String(allow_none=True)
    skills = ma.fields.List(ma.fields.String(), allow_none=True)
    published_at = UtcDateTime(allow_none=True)
    review_reason = ma.fields.String(allow_none=True, metadata={"description": "Why review sent it back"})
    hidden_by_reports = ma.fields.Boolean()
    community = _place("community", "community_id")
    circle = _place("circle", "circle_id")
    created_at = UtcDateTime()

    def get_contact(self, job):
        """Show the contact to the logged-in resident of this request only."""
        account = g.get("account")
        if account is None or account.role != Role.resident:
            return None
        return JobContactSchema().dump(
            {"name": job.employer.contact_name, "phone": job.employer.contact_phone_hint}
        )


class JobHitSchema(ma.Schema):
    """A search result: the job and how far it is."""

    job = ma.fields.Nested(JobSummarySchema, required=True)
    distance_m = ma.fields.Integer(required=True)


class RecommendedSchema(JobHitSchema):
    """A recommended job, with its match score."""

    score = ma.fields.Float(required=True)


class SearchArgsSchema(ma.Schema):
    """Nearby search: a point (default: your home), radius and filters."""

    lat = Latitude(metadata={"description": "GCJ-02, inside China; default: your home"})
    lng = Longitude()
    radius_m = ma.fields.Integer(
        load_default=DEFAULT_RADIUS_M, validate=validate.Range(min=100, max=MAX_RADIUS_M)
    )
    kind = ma.fields.String(validate=one_of(JobKind))
    category = ma.fields.String(validate=one_of(JobCategory))
    wage_min = ma.fields.Integer(
        validate=WAGE, metadata={"description": "Yuan per month (daily/hourly converted)"}
    )
    q = ma.fields.String(validate=validate.Length(min=1, max=50))
    sort = ma.fields.String(load_default="distance", validate=validate.OneOf(["distance", "newest"]))
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class SearchPageSchema(ma.Schema):
    """One page of nearby jobs; has_more instead of a total (a total would scan the whole circle)."""

    items = ma.fields.List(ma.fields.Nested(JobHitSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    has_more = ma.fields.Boolean(required=True)
    center = ma.fields.Dict(metadata={"description": "The point searched from: {lat, lng}"})
    radius_m = ma.fields.Integer()


class ManagedQuerySchema(PageArgsSchema):
    """Filters of the employer's or staff's job list."""

    status = ma.fields.String(validate=one_of(JobStatus))


class ReviewSchema(ma.Schema):
    """A review decision; a rejection needs a reason."""

    decision = ma.fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=255),
        metadata={"description": "Required (not blank) when `decision` is rejected: 422 `reason_required`"},
    )


class ReportSchema(ma.Schema):
    """Why a resident reports a job."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=255))


class ReportOutSchema(ma.Schema):
    """A recorded report."""

    id = ma.fields.Integer(required=True)
    job_id = ma.fields.Integer(required=True)
    reason = ma.fields.String(required=True)
    created_at = UtcDateTime()


class ContactSchema(ma.Schema):
    """The employer's contact for a job (full phone; the read is audited)."""

    job_id = ma.fields.Integer(required=True)
    contact_name = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True)


# ---- résumés --------------------------------------------------------------------------------


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


# ---- applications ---------------------------------------------------------------------------


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


# ---- matching -------------------------------------------------------------------------------


class RecommendArgsSchema(ma.Schema):
    """Optional point (default: home) and paging."""

    lat = Latitude(metadata={"description": "GCJ-02, inside China; default: your home"})
    lng = Longitude()
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=25))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class CandidateArgsSchema(ma.Schema):
    """How far around the job to look, and paging."""

    radius_m = ma.fields.Integer(
        load_default=DEFAULT_RADIUS_M, validate=validate.Range(min=100, max=MAX_RADIUS_M)
    )
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=25))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class CandidateSchema(ma.Schema):
    """A seeker near a job, personal data masked."""

    resident_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "Staff only; null for employers"}
    )
    name = ma.fields.String(allow_none=True, metadata={"description": "Family name only: 张**"})
    gender = ma.fields.String(allow_none=True)
    age = ma.fields.Integer(allow_none=True)
    education = ma.fields.String(allow_none=True)
    skills = ma.fields.List(ma.fields.String(), allow_none=True)
    availability = ma.fields.String(allow_none=True)
    distance_m = ma.fields.Integer(required=True)
    score = ma.fields.Float(required=True)
    priority = ma.fields.Boolean(
        allow_none=True,
        metadata={"description": "Key group on a public-welfare job (staff only; null for employers)"},
    )


class CandidatePageSchema(ma.Schema):
    """One page of candidates."""

    items = ma.fields.List(ma.fields.Nested(CandidateSchema), required=True)
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)


class EmployerUpdateSchema(EmployerInputSchema):
    """Any subset of an employer's fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class JobUpdateSchema(JobInputSchema):
    """Any subset of a job's fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


EmployerPageSchema = page_schema(EmployerSchema, "EmployerPageSchema")
JobPageSchema = page_schema(JobSummarySchema, "JobPageSchema")
ApplicationPageSchema = page_schema(ApplicationSchema, "ApplicationPageSchema")
