"""Schemas of policy matches: the working list of who qualifies, and a resident's own policies."""

import marshmallow as ma

from app.api.schemas.common import Id, PageArgsSchema, UtcDateTime, page_schema, place_field

TRACE_DOC = {
    "description": "Each condition as evaluated: {condition, facts, held, text, missing}",
    "type": "array",
    "items": {"type": "object"},
}


class WorkingListQuerySchema(PageArgsSchema):
    """Filters of the working list."""

    policy_id = Id(metadata={"description": "Only this policy's matches"})


class WorkingListItemSchema(ma.Schema):
    """One person who qualifies and has not claimed: who, which policy, why, how much, by when."""

    id = ma.fields.Integer(required=True, metadata={"description": "The match"})
    resident_id = ma.fields.Integer(required=True)
    resident_name = ma.fields.String(allow_none=True)
    id_number_hint = ma.fields.String(allow_none=True, metadata={"description": "Masked ID number"})
    phone_hint = ma.fields.String(allow_none=True, metadata={"description": "Masked phone"})
    community = place_field("community", "community_id")
    policy_id = ma.fields.Integer(required=True)
    policy_code = ma.fields.String(required=True)
    policy_title = ma.fields.String(required=True)
    policy_version_id = ma.fields.Integer(required=True)
    version_number = ma.fields.Integer(required=True)
    document_number = ma.fields.String(allow_none=True, metadata={"description": "文号"})
    reasons = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "Why: the conditions that held"}
    )
    amount_fen = ma.fields.Integer(
        allow_none=True, metadata={"description": "Estimated benefit, in fen (分)"}
    )
    claim_deadline = ma.fields.Date(allow_none=True)
    matched_at = UtcDateTime(required=True)


WorkingListPageSchema = page_schema(WorkingListItemSchema, "WorkingListPageSchema")


class MyMatchSchema(ma.Schema):
    """A policy I qualify for (or claimed): why, how much, by when, and my claim's state."""

    id = ma.fields.Integer(required=True, metadata={"description": "The match (a claim is made from it)"})
    policy_id = ma.fields.Integer(required=True)
    policy_version_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    document_number = ma.fields.String(allow_none=True)
    issuer = ma.fields.String(allow_none=True)
    summary = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, metadata={"description": "qualified or claimed"})
    amount_fen = ma.fields.Integer(allow_none=True)
    benefit = ma.fields.String(required=True, metadata={"description": "The benefit in words"})
    claim_deadline = ma.fields.Date(allow_none=True)
    matched_at = UtcDateTime(required=True)
    trace = ma.fields.Raw(required=True, metadata=TRACE_DOC)
    claim_id = ma.fields.Integer(allow_none=True)
    claim_status = ma.fields.String(allow_none=True)


class NearMissSchema(ma.Schema):
    """A policy I miss by one condition, and what is missing (worked out now, nothing stored)."""

    policy_id = ma.fields.Integer(required=True)
    policy_version_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    document_number = ma.fields.String(allow_none=True)
    summary = ma.fields.String(allow_none=True)
    benefit = ma.fields.String(required=True)
    missing = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "In plain Chinese"})
    trace = ma.fields.Raw(required=True, metadata=TRACE_DOC)


class MyPoliciesSchema(ma.Schema):
    """My policies: what I qualify for, and what I nearly do."""

    matches = ma.fields.List(ma.fields.Nested(MyMatchSchema), required=True)
    near_misses = ma.fields.List(ma.fields.Nested(NearMissSchema), required=True)
