"""Schemas of jobs: posting, search, review, reports, contact, and a job's candidates."""

import marshmallow as ma
from flask import g
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
from app.models import (
    Education,
    EmployerStatus,
    JobCategory,
    JobKind,
    JobStatus,
    Role,
    WageUnit,
)
from app.services.jobs import credibility
from app.services.jobs.search.nearby import DEFAULT_RADIUS_M, MAX_RADIUS_M

# Coordinates are judged by common.geo.check_point (inside China, and naming a swapped
# pair), not by a range here: a range check would answer a swapped pair with a vaguer error.
WAGE = validate.Range(min=0, max=1_000_000)


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
    source = ma.fields.String(
        metadata={"description": "local: posted here; province: from the provincial platform's feed"}
    )


class CredibilityPublicSchema(ma.Schema):
    """An employer's credibility as residents see it: a level and plain reasons."""

    level = ma.fields.String(metadata={"description": "good, fair, low, or unrated"})
    level_name = ma.fields.String(metadata={"description": "信用良好 / 信用一般 / 信用较低 / 暂无评价"})
    reasons = ma.fields.List(
        ma.fields.String(), metadata={"description": "e.g. 营业执照已核验, 近90天回复率 92%"}
    )


class CredibilityStaffSchema(CredibilityPublicSchema):
    """An employer's credibility as staff (and the employer itself) see it: with the score and inputs."""

    score = ma.fields.Integer(metadata={"description": "0..100"})
    inputs = ma.fields.Dict(metadata={"description": "The figures the score was computed from"})
    computed_at = UtcDateTime(allow_none=True)
    stale = ma.fields.Boolean(metadata={"description": "An event since: recomputed within minutes"})


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
    community = place_field("community", "community_id")
    circle = place_field("circle", "circle_id")
    created_at = UtcDateTime()
    credibility = ma.fields.Method(
        "get_credibility",
        metadata={
            "description": "The employer's credibility: level and plain reasons (信用)",
            "type": "object",
        },
    )

    def get_credibility(self, job):
        """Show the employer's credibility level and reasons (computed on a first read)."""
        return CredibilityPublicSchema().dump(credibility.public_view(job.employer_id))

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


# ---- candidates -----------------------------------------------------------------------------


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


class JobUpdateSchema(JobInputSchema):
    """Any subset of a job's fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class ManagedJobSchema(JobSummarySchema):
    """A job in its employer's or staff's list: with why review sent it back (a draft)."""

    review_reason = ma.fields.String(allow_none=True, metadata={"description": "Why review sent it back"})


ManagedJobPageSchema = page_schema(ManagedJobSchema, "ManagedJobPageSchema")
