"""Schemas of certified key groups (重点群体认定): applications, evidence files, review."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import ClientId, Id, PageArgsSchema, UtcDateTime, page_schema, place_field
from app.api.schemas.people import CertifierSchema
from app.models import CertificationStatus, KeyGroup
from app.services.registrations.certifications import CERTIFIABLE

CERTIFIABLE_NAMES = [group.value for group in CERTIFIABLE]


class EvidenceSchema(ma.Schema):
    """An evidence file (download it from its certification's evidence route)."""

    id = ma.fields.Integer(required=True)
    original_name = ma.fields.String(required=True, metadata={"description": "The name to download it as"})
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True, metadata={"description": "Bytes"})
    created_at = UtcDateTime(required=True)


class CertificationSchema(ma.Schema):
    """A key-group certification as its resident sees it."""

    id = ma.fields.Integer(required=True)
    key_group = ma.fields.String(required=True, validate=validate.OneOf([g.value for g in KeyGroup]))
    graduation_year = ma.fields.Integer(allow_none=True)
    note = ma.fields.String(allow_none=True)
    status = ma.fields.String(
        required=True,
        validate=validate.OneOf([s.value for s in CertificationStatus]),
        metadata={"description": "pending (待审核), certified (已认定), rejected (未通过), expired (已过期)"},
    )
    source = ma.fields.String(
        required=True, metadata={"description": "self: applied; staff: recorded at the counter"}
    )
    valid_from = ma.fields.Date(allow_none=True)
    valid_until = ma.fields.Date(allow_none=True, metadata={"description": "Null: no end date"})
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why it was rejected"})
    decided_at = UtcDateTime(allow_none=True)
    certified_by = ma.fields.Nested(CertifierSchema, attribute="reviewer", allow_none=True)
    evidence = ma.fields.List(ma.fields.Nested(EvidenceSchema), required=True)
    created_at = UtcDateTime(required=True)


class StaffCertificationSchema(CertificationSchema):
    """A certification as staff see it, with its resident (name; no ID number or phone) and place."""

    resident_id = ma.fields.Integer(required=True)
    resident_name = ma.fields.Function(
        lambda c: c.resident.name, allow_none=True, metadata={"type": "string"}
    )
    community = place_field("community", "community_id")
    reminded_at = UtcDateTime(allow_none=True)


class CertificationApplySchema(ma.Schema):
    """An application for a key group; evidence files follow, one upload each."""

    client_id = ClientId(
        required=True, metadata={"description": "Retrying with the same id returns the first"}
    )
    key_group = ma.fields.String(
        required=True,
        validate=validate.OneOf(CERTIFIABLE_NAMES),
        metadata={"description": "Registered and long-term unemployment are not applied for"},
    )
    graduation_year = ma.fields.Integer(
        validate=validate.Range(min=1950, max=2100), metadata={"description": "Required for college_graduate"}
    )
    note = ma.fields.String(validate=validate.Length(max=255))


class CertificationRecordSchema(CertificationApplySchema):
    """A key group staff record for a resident in their place (evidence follows)."""

    resident_id = Id(required=True)


class CertifySchema(ma.Schema):
    """A reviewer's certification: the validity of the certificate."""

    valid_from = ma.fields.Date(required=True, metadata={"description": "Today at the latest"})
    valid_until = ma.fields.Date(
        allow_none=True,
        metadata={
            "description": "Not before today (else 422 certificate_expired); null: no end date "
            "(a college graduate's defaults to GRADUATE_KEY_GROUP_YEARS after 1 July of the year)"
        },
    )


class RejectSchema(ma.Schema):
    """A reviewer's refusal, with the reason the resident sees."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=255))


class CertificationQuerySchema(PageArgsSchema):
    """Filters of the staff list."""

    key_group = ma.fields.String(validate=validate.OneOf([g.value for g in KeyGroup]))
    status = ma.fields.String(validate=validate.OneOf([s.value for s in CertificationStatus]))
    community = ma.fields.String(
        validate=validate.Regexp(r"^\d{12}$"), metadata={"description": "A community's 12-digit code"}
    )
    township = ma.fields.String(
        validate=validate.Regexp(r"^\d{12}$"), metadata={"description": "A township's 12-digit code"}
    )
    expiring_days = ma.fields.Integer(
        validate=validate.Range(min=0, max=366),
        metadata={"description": "Certified ones whose validity ends within this many days"},
    )


CertificationPageSchema = page_schema(StaffCertificationSchema, "CertificationPageSchema")
