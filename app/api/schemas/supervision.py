"""Schemas of supervision (监理): spot-check samples and calls, findings, operator KPIs."""

import re
from datetime import date

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import ClientId, Id, PageArgsSchema, UtcDateTime, one_of, page_schema
from app.models import FindingStatus, SpotCheckKind

MONTH_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


class Month(ma.fields.String):
    """A month as YYYY-MM (a string in the document), loaded as its first day."""

    default_error_messages = {"invalid": "A month is YYYY-MM."}

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": MONTH_PATTERN, "example": "2026-11", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value if isinstance(value, str) or value is None else f"{value:%Y-%m}"

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(MONTH_PATTERN, text):
            raise self.make_error("invalid")
        return date(int(text[:4]), int(text[5:7]), 1)


class SupervisionPlaceSchema(ma.Schema):
    """A place as the API names it."""

    kind = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()


class SampleDrawSchema(ma.Schema):
    """What to sample: a month that is over, an operator, a kind, and the district (city supervisors)."""

    month = Month(required=True, metadata={"description": "YYYY-MM: a month that is over"})
    operator_id = Id(required=True)
    kind = ma.fields.String(
        required=True,
        validate=one_of(SpotCheckKind),
        metadata={"description": "visit, registration or claim"},
    )
    district_code = ma.fields.String(
        validate=validate.Length(min=6, max=12),
        metadata={
            "description": "The district (required of a city-wide supervisor; a district's own by default)"
        },
    )
    size = ma.fields.Integer(
        validate=validate.Range(min=1, max=100),
        metadata={"description": "How many calls (default SPOT_CHECK_SAMPLE_SIZE)"},
    )


class SampleQuerySchema(PageArgsSchema):
    """?month=&operator_id=&kind= of the samples list."""

    month = Month()
    operator_id = Id()
    kind = ma.fields.String(validate=one_of(SpotCheckKind))


class CallSchema(ma.Schema):
    """One call of a sample: whom to ring (masked), what it checks, who did the work, the outcome."""

    id = ma.fields.Integer(required=True)
    sample_id = ma.fields.Integer()
    position = ma.fields.Integer()
    object_type = ma.fields.String()
    object_id = ma.fields.Integer()
    subject = ma.fields.String(metadata={"description": "What the call asks about"})
    resident_id = ma.fields.Integer(allow_none=True)
    household_id = ma.fields.Integer(allow_none=True)
    circle_id = ma.fields.Integer(allow_none=True)
    resident_name = ma.fields.String(allow_none=True, metadata={"description": "Masked"})
    phone_hint = ma.fields.String(allow_none=True, metadata={"description": "Masked; reveal it to ring"})
    address = ma.fields.String(allow_none=True, metadata={"description": "Masked"})
    community = ma.fields.Nested(SupervisionPlaceSchema, allow_none=True)
    operator_id = ma.fields.Integer()
    handled_by = ma.fields.String(allow_none=True, metadata={"description": "Who did the work checked"})
    reached = ma.fields.Boolean(allow_none=True)
    visit_confirmed = ma.fields.Boolean(allow_none=True)
    data_correct = ma.fields.Boolean(allow_none=True)
    satisfaction = ma.fields.Integer(allow_none=True)
    note = ma.fields.String(allow_none=True)
    called_by_id = ma.fields.Integer(allow_none=True)
    called_at = UtcDateTime(allow_none=True)
    finding_id = ma.fields.Integer(allow_none=True)
    finding_status = ma.fields.String(allow_none=True)


class SampleSchema(ma.Schema):
    """A sample: its key, seed, how many it was drawn from, how far the calls got."""

    id = ma.fields.Integer(required=True)
    month = ma.fields.String(metadata={"description": "YYYY-MM"})
    operator_id = ma.fields.Integer()
    operator_name = ma.fields.String(allow_none=True)
    kind = ma.fields.String()
    kind_text = ma.fields.String()
    district = ma.fields.Nested(SupervisionPlaceSchema, allow_none=True)
    seed = ma.fields.String(
        metadata={"description": "HMAC-SHA-256 (with the data key) of month:operator:kind:district"}
    )
    size = ma.fields.Integer()
    population = ma.fields.Integer(metadata={"description": "How many it was drawn from"})
    calls_total = ma.fields.Integer()
    called = ma.fields.Integer()
    reached = ma.fields.Integer()
    created_by_id = ma.fields.Integer(allow_none=True)
    created_at = UtcDateTime()


class SampleWithCallsSchema(SampleSchema):
    """A sample with its call list, in order."""

    calls = ma.fields.List(ma.fields.Nested(CallSchema))


SamplePageSchema = page_schema(SampleSchema, "SpotCheckSamplePageSchema")


class CallInputSchema(ma.Schema):
    """A call's outcome: reached, and if so every answer (satisfaction 1–5)."""

    reached = ma.fields.Boolean(required=True)
    visit_confirmed = ma.fields.Boolean(
        allow_none=True, metadata={"description": "The resident confirms the visit or service took place"}
    )
    data_correct = ma.fields.Boolean(
        allow_none=True, metadata={"description": "What the ledger holds is right"}
    )
    satisfaction = ma.fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=5), metadata={"description": "1 (worst) … 5"}
    )
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=500))


class RevealInputSchema(ma.Schema):
    """Why the phone is revealed (kept in the audit log; default: the spot-check call)."""

    reason = ma.fields.String(allow_none=True, validate=validate.Length(max=200))


class RevealedPhoneSchema(ma.Schema):
    """A call's full phone (the reveal is audited)."""

    id = ma.fields.Integer(required=True)
    resident_id = ma.fields.Integer()
    phone = ma.fields.String()


class FindingCreateSchema(ma.Schema):
    """A finding raised by hand about a circle."""

    circle_code = ma.fields.String(
        required=True,
        validate=validate.Length(min=3, max=48),
        metadata={"description": "e.g. 341002-chengzhong"},
    )
    title = ma.fields.String(required=True, validate=validate.Length(min=2, max=128))
    detail = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))
    operator_id = Id(allow_none=True, metadata={"description": "Default: the circle's operator today"})
    due_on = ma.fields.Date(allow_none=True, metadata={"description": "Default: FINDING_DUE_DAYS from today"})
    client_id = ClientId(load_default=None, metadata={"description": "Idempotency key"})


class FindingQuerySchema(PageArgsSchema):
    """?status=&operator_id=&overdue=true of the findings list."""

    status = ma.fields.String(validate=one_of(FindingStatus))
    operator_id = Id()
    overdue = ma.fields.Boolean(load_default=False)


class FindingAnswerSchema(ma.Schema):
    """The operator's answer (整改情况)."""

    answer = ma.fields.String(required=True, validate=validate.Length(min=2, max=2000))


class FindingCloseSchema(ma.Schema):
    """An optional note on closing."""

    note = ma.fields.String(allow_none=True, validate=validate.Length(max=500))


class FindingReopenSchema(ma.Schema):
    """Why a finding is reopened."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))


class FindingStepSchema(ma.Schema):
    """One step of a finding's life (from the audit log)."""

    action = ma.fields.String()
    at = UtcDateTime()
    by = ma.fields.String(allow_none=True)
    text = ma.fields.String(allow_none=True)


class FindingSchema(ma.Schema):
    """A finding: what, for which operator, where, by when, and its answer and closing."""

    id = ma.fields.Integer(required=True)
    spot_check_id = ma.fields.Integer(allow_none=True)
    operator_id = ma.fields.Integer()
    operator_name = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    status_text = ma.fields.String()
    title = ma.fields.String()
    detail = ma.fields.String(allow_none=True)
    circle = ma.fields.Nested(SupervisionPlaceSchema, allow_none=True)
    community = ma.fields.Nested(SupervisionPlaceSchema, allow_none=True)
    due_on = ma.fields.Date()
    overdue = ma.fields.Boolean(metadata={"description": "Still unanswered after its due day"})
    raised_by_id = ma.fields.Integer(allow_none=True)
    answer = ma.fields.String(allow_none=True)
    answered_by_id = ma.fields.Integer(allow_none=True)
    answered_at = UtcDateTime(allow_none=True)
    closing_note = ma.fields.String(allow_none=True)
    closed_by_id = ma.fields.Integer(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    history = ma.fields.List(ma.fields.Nested(FindingStepSchema))


FindingPageSchema = page_schema(FindingSchema, "FindingPageSchema")


class MonthQuerySchema(ma.Schema):
    """?month=YYYY-MM."""

    month = Month(required=True)


class OperatorCoverageSchema(ma.Schema):
    """The quarter's door-visit coverage of the circles' households."""

    households = ma.fields.Integer()
    visited = ma.fields.Integer()
    percent = ma.fields.Float(allow_none=True)


class OperatorKpiSchema(ma.Schema):
    """One operator's figures of the month."""

    operator_id = ma.fields.Integer(required=True)
    operator_name = ma.fields.String()
    circles = ma.fields.Integer()
    visit_days_min = ma.fields.Integer(allow_none=True)
    circles_on_visit_target = ma.fields.Integer()
    coverage = ma.fields.Nested(OperatorCoverageSchema)
    calls_drawn = ma.fields.Integer()
    calls_made = ma.fields.Integer()
    calls_reached = ma.fields.Integer()
    calls_confirmed = ma.fields.Integer()
    calls_correct = ma.fields.Integer()
    satisfaction_mean = ma.fields.Float(allow_none=True)
    findings_raised = ma.fields.Integer()
    findings_open = ma.fields.Integer()
    findings_overdue = ma.fields.Integer()
    findings_answered = ma.fields.Integer()
    findings_closed = ma.fields.Integer()
    registrations_handled = ma.fields.Integer()
    claims_handled = ma.fields.Integer()


class OperatorKpisSchema(ma.Schema):
    """The month's figures per operator over my place."""

    month = ma.fields.String()
    visit_days_target = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(OperatorKpiSchema))
