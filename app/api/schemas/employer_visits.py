"""Schemas of employers met in the field: visits, hiring needs, drafts, field registration, claims."""

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
    place_field,
)
from app.api.schemas.employers import EmployerInputSchema, EmployerSchema
from app.api.schemas.jobs import WAGE, JobSummarySchema
from app.common.clock import local_day
from app.models import (
    EmployerProblem,
    EmployerVisitChannel,
    HiringNeedState,
    JobCategory,
    JobKind,
    SubsidyKind,
    WageUnit,
)

PLACE = validate.Regexp(
    r"^(community|township|circle|district):[0-9A-Za-z-]{1,32}$",
    error="<level>:<code>, e.g. township:341002002000",
)
PLACE_DOC = {"description": "<level>:<code>, the level community, township, circle or district"}


class HiringNeedInputSchema(ma.Schema):
    """One position the employer wants filled."""

    title = ma.fields.String(required=True, validate=validate.Length(min=2, max=64))
    category = ma.fields.String(required=True, validate=one_of(JobCategory))
    kind = ma.fields.String(validate=one_of(JobKind), metadata={"description": "Default regular"})
    headcount = ma.fields.Integer(
        validate=validate.Range(min=1, max=10000), metadata={"description": "Default 1"}
    )
    wage_min = ma.fields.Integer(allow_none=True, validate=WAGE)
    wage_max = ma.fields.Integer(
        allow_none=True, validate=WAGE, metadata={"description": "Not below wage_min: 422 wage_range_invalid"}
    )
    wage_unit = ma.fields.String(
        validate=one_of(WageUnit), metadata={"description": "month (default), day, hour"}
    )
    skills = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=20)),
        allow_none=True,
        validate=validate.Length(max=20),
    )
    deadline = ma.fields.Date(
        allow_none=True,
        metadata={"description": "The day it must be filled by (not past: 422 deadline_passed)"},
    )


class EmployerVisitInputSchema(ma.Schema):
    """A visit or phone call to an employer, as staff record it."""

    client_id = ClientId(
        required=True, metadata={"description": "Client-made; a retry returns the first visit"}
    )
    employer_id = Id(required=True, metadata={"description": "An employer in your area (else 404)"})
    channel = ma.fields.String(required=True, validate=one_of(EmployerVisitChannel))
    visited_on = ma.fields.Date(required=True, metadata={"description": "The city's day; not in the future"})
    met_name = ma.fields.String(
        allow_none=True, validate=validate.Length(max=64), metadata={"description": "Who was met"}
    )
    met_title = ma.fields.String(
        allow_none=True, validate=validate.Length(max=64), metadata={"description": "Their role"}
    )
    needs = ma.fields.List(
        ma.fields.Nested(HiringNeedInputSchema),
        validate=validate.Length(max=20),
        metadata={"description": "The hiring needs: one item per position"},
    )
    problems = ma.fields.List(
        ma.fields.String(validate=one_of(EmployerProblem)), validate=validate.Length(max=10)
    )
    problem_notes = ma.fields.String(allow_none=True, validate=validate.Length(max=1000))
    subsidy_interest = ma.fields.List(
        ma.fields.String(validate=one_of(SubsidyKind)),
        validate=validate.Length(max=10),
        metadata={"description": "The subsidies the employer wants to hear about"},
    )
    follow_up = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "What staff will do next"},
    )
    follow_up_on = ma.fields.Date(allow_none=True, metadata={"description": "When (not before the visit)"})


class HiringNeedSchema(ma.Schema):
    """A hiring need as recorded, with its state and the draft job made of it."""

    id = ma.fields.Integer(required=True)
    visit_id = ma.fields.Integer(required=True)
    employer_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    headcount = ma.fields.Integer(required=True)
    wage_min = ma.fields.Integer(allow_none=True)
    wage_max = ma.fields.Integer(allow_none=True)
    wage_unit = ma.fields.String(required=True)
    skills = ma.fields.List(ma.fields.String(), allow_none=True)
    deadline = ma.fields.Date(allow_none=True)
    state = ma.fields.Function(
        lambda need: need.state(local_day()).value,
        metadata={
            "type": "string",
            "enum": [s.value for s in HiringNeedState],
            "description": "open, drafted, expired",
        },
    )
    job_id = ma.fields.Integer(allow_none=True, metadata={"description": "The draft job post made of it"})
    drafted_at = UtcDateTime(allow_none=True)


class VisitEmployerSchema(ma.Schema):
    """The employer of a visit."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    credit_code = ma.fields.String(required=True)
    claimed = ma.fields.Function(
        lambda e: e.account_id is not None,
        metadata={
            "type": "boolean",
            "description": "False while a staff-registered business has not claimed it",
        },
    )


class HiringNeedItemSchema(HiringNeedSchema):
    """A hiring need in the list, with its employer and the day it was recorded."""

    employer = ma.fields.Nested(VisitEmployerSchema)
    visited_on = ma.fields.Function(
        lambda need: need.visit.visited_on.isoformat(), metadata={"type": "string", "format": "date"}
    )
    community = place_field("community", "community_id")
    township = place_field("township", "township_id")


class EmployerVisitSchema(ma.Schema):
    """A recorded visit or call, with its hiring needs."""

    id = ma.fields.Integer(required=True)
    employer = ma.fields.Nested(VisitEmployerSchema)
    staff_id = ma.fields.Integer(required=True, metadata={"description": "Who recorded it"})
    channel = ma.fields.String(required=True, validate=one_of(EmployerVisitChannel))
    visited_on = ma.fields.Date(required=True)
    met_name = ma.fields.String(allow_none=True)
    met_title = ma.fields.String(allow_none=True)
    needs = ma.fields.List(ma.fields.Nested(HiringNeedSchema))
    problems = ma.fields.List(ma.fields.String(), allow_none=True)
    problem_notes = ma.fields.String(allow_none=True)
    subsidy_interest = ma.fields.List(ma.fields.String(), allow_none=True)
    follow_up = ma.fields.String(allow_none=True)
    follow_up_on = ma.fields.Date(allow_none=True)
    community = place_field("community", "community_id")
    township = place_field("township", "township_id")
    circle = place_field("circle", "circle_id")
    created_at = UtcDateTime()


class EmployerVisitQuerySchema(PageArgsSchema):
    """Filters of the visit list."""

    place = ma.fields.String(validate=PLACE, metadata=PLACE_DOC)
    since = ma.fields.Date(metadata={"description": "Visited on or after this day"})
    until = ma.fields.Date(metadata={"description": "Visited on or before this day"})
    channel = ma.fields.String(validate=one_of(EmployerVisitChannel))
    has_open_needs = ma.fields.Boolean(
        metadata={"description": "Visits with (true) or without (false) open needs"}
    )
    subsidy = ma.fields.String(
        validate=one_of(SubsidyKind), metadata={"description": "Interested in this subsidy"}
    )
    employer_id = Id()
    q = ma.fields.String(
        validate=validate.Length(min=1, max=50), metadata={"description": "Name or credit code"}
    )


class HiringNeedQuerySchema(PageArgsSchema):
    """Filters of the hiring-need list."""

    place = ma.fields.String(validate=PLACE, metadata=PLACE_DOC)
    state = ma.fields.String(validate=one_of(HiringNeedState))
    category = ma.fields.String(validate=one_of(JobCategory))
    since = ma.fields.Date(metadata={"description": "Recorded on a visit on or after this day"})
    until = ma.fields.Date(metadata={"description": "Recorded on a visit on or before this day"})
    employer_id = Id()


class DraftsSchema(ma.Schema):
    """The draft job posts of a visit's hiring needs."""

    visit_id = ma.fields.Integer(required=True)
    created = ma.fields.Integer(
        required=True, metadata={"description": "Drafts made now (0 when all existed)"}
    )
    jobs = ma.fields.List(ma.fields.Nested(JobSummarySchema), required=True)


class FieldEmployerInputSchema(EmployerInputSchema):
    """A business staff register in the field (it has no WeChat account yet)."""

    client_id = ClientId(
        required=True, metadata={"description": "Client-made; a retry returns the first employer"}
    )
    community_code = ma.fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{12}$"),
        metadata={"description": "The community the business is in (one you work on)"},
    )
    lat = Latitude(
        allow_none=True, metadata={"description": "Optional; its drafts stand at the community till set"}
    )
    lng = Longitude(allow_none=True)


class FieldEmployerSchema(EmployerSchema):
    """A staff-registered employer, with the one-time code to hand to the business."""

    claim_code = ma.fields.String(
        required=True,
        metadata={"description": "Shown this once: give it to the business to claim the record"},
    )
    claim_code_expires_at = UtcDateTime(required=True)


class ClaimCodeSchema(ma.Schema):
    """A new claim code (the previous one no longer works)."""

    employer_id = ma.fields.Integer(required=True)
    claim_code = ma.fields.String(required=True, metadata={"description": "Shown this once"})
    claim_code_expires_at = UtcDateTime(required=True)


class ClaimInputSchema(ma.Schema):
    """A business claiming the record staff registered: its credit code and the code staff gave."""

    credit_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    claim_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=20))


EmployerVisitPageSchema = page_schema(EmployerVisitSchema, "EmployerVisitPageSchema")
HiringNeedPageSchema = page_schema(HiringNeedItemSchema, "HiringNeedPageSchema")
