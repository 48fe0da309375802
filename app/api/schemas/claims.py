"""Schemas of benefit claims (直补快办): making one, the steps, the queue, the view."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import ClientId, Id, PageArgsSchema, UtcDateTime, one_of, page_schema, place_field
from app.common.clock import local_day
from app.models import ClaimChannel, ClaimStatus
from app.services.policies import claim_intake

NOTE = validate.Length(max=200)
REASON = validate.Length(min=2, max=200)


class BenefitClaimInputSchema(ma.Schema):
    """A claim: a resident's from a match; an employer's with its hires; staff's for a resident."""

    client_id = ClientId(
        required=True, metadata={"description": "Idempotency key: a retry returns the first"}
    )
    match_id = Id(metadata={"description": "The match claimed from (a resident: required)"})
    policy_id = Id(
        metadata={"description": "Employer or counter staff: the policy claimed (its match is found)"}
    )
    resident_id = Id(metadata={"description": "Counter staff only: the resident claimed for (in your place)"})
    hires = ma.fields.List(
        Id(),
        validate=validate.Length(max=500),
        metadata={
            "description": "Employer: resident ids of the hires (accepted employment registrations here)"
        },
    )
    confirmed = ma.fields.Boolean(
        required=True,
        metadata={"description": "The claimant confirms the facts shown (免申即享: only this) are true"},
    )
    bank_name = ma.fields.String(required=True, validate=validate.Length(min=2, max=64))
    account_holder = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    bank_account = ma.fields.String(
        required=True,
        validate=validate.Length(min=12, max=40),
        metadata={"description": "12–30 digits; stored encrypted, shown masked"},
    )
    note = ma.fields.String(allow_none=True, validate=NOTE)


class ClaimNoteSchema(ma.Schema):
    """An optional note with a step (the reviewer's remark)."""

    note = ma.fields.String(allow_none=True, validate=NOTE)


class ClaimReasonSchema(ma.Schema):
    """Why a claim is returned or rejected (the person reads it)."""

    reason = ma.fields.String(required=True, validate=REASON)


class ClaimPaySchema(ma.Schema):
    """The payment's reference in the finance system."""

    payment_reference = ma.fields.String(required=True, validate=validate.Length(min=2, max=64))
    note = ma.fields.String(allow_none=True, validate=NOTE)


class ObjectionInputSchema(ma.Schema):
    """An objection heard during the public notice."""

    text = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))
    raised_by = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "Who objected, as they gave it"},
    )


class ObjectionResolveSchema(ma.Schema):
    """How an objection is decided: upheld (the claim is rejected) or dismissed (the notice goes on)."""

    decision = ma.fields.String(required=True, validate=validate.OneOf(["upheld", "dismissed"]))
    resolution = ma.fields.String(required=True, validate=REASON)


class ClaimQuerySchema(PageArgsSchema):
    """Filters of a claim list."""

    status = ma.fields.String(validate=one_of(ClaimStatus))
    policy_id = Id()
    resident_id = Id(metadata={"description": "Staff: one resident's claims"})
    overdue = ma.fields.Boolean(metadata={"description": "true: past the stage's deadline; false: not"})


class RosterQuerySchema(ma.Schema):
    """Which approved claims the roster lists."""

    policy_id = Id(metadata={"description": "One policy's claims (default: every policy)"})


class ClaimEventSchema(ma.Schema):
    """One step of a claim."""

    id = ma.fields.Integer(required=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(required=True)
    role = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()


class ClaimAttachmentSchema(ma.Schema):
    """A file of a claim (download: GET …/attachments/{id})."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    material = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()


class ObjectionSchema(ma.Schema):
    """An objection and how it was decided."""

    id = ma.fields.Integer(required=True)
    text = ma.fields.String()
    raised_by = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "open, upheld or dismissed"})
    resolution = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    resolved_at = UtcDateTime(allow_none=True)


class ClaimHireSchema(ma.Schema):
    """A hire an employer's claim rests on."""

    resident_id = ma.fields.Integer()
    registration_id = ma.fields.Integer(allow_none=True)
    key_groups = ma.fields.List(ma.fields.String())


class ClaimantSchema(ma.Schema):
    """Who claims (a name only)."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)


def _overdue(claim) -> bool:
    """Tell whether the claim's stage is past its deadline today."""
    return claim.stage_due_on is not None and claim.stage_due_on < local_day()


class ClaimSummarySchema(ma.Schema):
    """A claim in a list (a queue row)."""

    id = ma.fields.Integer(required=True)
    status = ma.fields.String(
        required=True,
        validate=one_of(ClaimStatus),
        metadata={
            "description": "submitted → accepted → first_reviewed → second_reviewed → in_notice → approved → "
            "paid; returned (resubmit), rejected, withdrawn"
        },
    )
    channel = ma.fields.String(validate=one_of(ClaimChannel))
    resident = ma.fields.Nested(ClaimantSchema, allow_none=True)
    employer = ma.fields.Nested(ClaimantSchema, allow_none=True)
    policy_id = ma.fields.Integer()
    policy_version_id = ma.fields.Integer()
    policy_title = ma.fields.Function(lambda c: c.version.title, metadata={"type": "string"})
    document_number = ma.fields.Function(lambda c: c.version.document_number, metadata={"type": "string"})
    match_id = ma.fields.Integer(allow_none=True)
    period = ma.fields.String(metadata={"description": '"once", a year or a month'})
    all_verified = ma.fields.Boolean(
        metadata={"description": "免申即享: every fact was verified in the ledger"}
    )
    estimated_fen = ma.fields.Integer(allow_none=True, metadata={"description": "Estimated amount (分)"})
    approved_fen = ma.fields.Integer(allow_none=True, metadata={"description": "Frozen at approval (分)"})
    stage_due_on = ma.fields.Date(allow_none=True, metadata={"description": "The current stage's deadline"})
    overdue = ma.fields.Function(_overdue, metadata={"type": "boolean"})
    notice_from = ma.fields.Date(allow_none=True)
    notice_until = ma.fields.Date(allow_none=True, metadata={"description": "公示 ends (last day)"})
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why it was returned or rejected"})
    community = place_field("community", "community_id")
    submitted_at = UtcDateTime(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class ClaimSchema(ClaimSummarySchema):
    """A claim with why it was offered (facts, trace), its steps, files and objections."""

    facts = ma.fields.Dict(metadata={"description": "The facts the rule read, as claimed"})
    declared_facts = ma.fields.Function(
        lambda c: claim_intake.declared_facts(c),
        metadata={"type": "array", "items": {"type": "string"}, "description": "Facts the person declared"},
    )
    trace = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Each condition, its facts, whether it held"}
    )
    bank_name = ma.fields.String(allow_none=True)
    account_holder = ma.fields.String(allow_none=True)
    bank_account = ma.fields.String(
        attribute="bank_account_hint", allow_none=True, metadata={"description": "Masked (never in full)"}
    )
    paid_at = UtcDateTime(allow_none=True)
    payment_reference = ma.fields.String(allow_none=True)
    events = ma.fields.List(ma.fields.Nested(ClaimEventSchema))
    attachments = ma.fields.List(ma.fields.Nested(ClaimAttachmentSchema))
    objections = ma.fields.List(ma.fields.Nested(ObjectionSchema))
    hires = ma.fields.List(ma.fields.Nested(ClaimHireSchema))


ClaimPageSchema = page_schema(ClaimSummarySchema, "ClaimPageSchema")
