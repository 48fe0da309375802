"""Schemas of consent: the documents, a resident's answers, their data copy, deletion requests."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import UtcDateTime, one_of
from app.errors import ErrorSchema
from app.models import ConsentAction, ConsentPurpose, DeletionStatus

# The answer of a resident's save before the current documents are accepted (the gate,
# services/people/consents.py): `@blp.alt_response(403, **CONSENT_REQUIRED)` on each gated route.
CONSENT_REQUIRED = {
    "schema": ErrorSchema,
    "description": "`consent_required`: accept the current documents first (POST /me/consents); "
    "`fields` names each missing purpose. Nothing was saved",
}
PURPOSES = one_of(ConsentPurpose)
VERSION = validate.Regexp(
    r"^[0-9A-Za-z][0-9A-Za-z._-]{0,15}$", error="1-16 letters, digits, '.', '_' or '-'."
)
CLIENT_VERSION = ma.fields.String(
    validate=validate.Length(max=32),
    load_default=None,
    metadata={"description": "The mini-program's version (recorded with the answer)"},
)


class ConsentDocumentSchema(ma.Schema):
    """One published version of a document, with its text (Markdown, Chinese)."""

    purpose = ma.fields.String(required=True, validate=PURPOSES)
    version = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    summary = ma.fields.String(
        allow_none=True, metadata={"description": "What changed since the last version"}
    )
    body = ma.fields.String(required=True, metadata={"description": "The text, Markdown"})
    sha256 = ma.fields.String(required=True, metadata={"description": "SHA-256 of the body"})
    published_at = UtcDateTime(required=True)


class ConsentDocumentListSchema(ma.Schema):
    """The current version of every document."""

    items = ma.fields.List(ma.fields.Nested(ConsentDocumentSchema), required=True)


class ConsentDocumentQuerySchema(ma.Schema):
    """Which documents: the current three, one purpose's, or one published version of it."""

    purpose = ma.fields.String(validate=PURPOSES, metadata={"description": "Only this purpose's"})
    version = ma.fields.String(
        validate=VERSION,
        metadata={"description": "With `purpose`: that published version (e.g. the one accepted back then)"},
    )

    @ma.validates_schema
    def version_needs_purpose(self, data, **kwargs):
        """A version names a version of one purpose."""
        if "version" in data and "purpose" not in data:
            raise ma.ValidationError("Give the purpose of this version.", "purpose")


class ConsentPublishSchema(ma.Schema):
    """A new version of a document; everyone is asked to accept it again."""

    purpose = ma.fields.String(required=True, validate=PURPOSES)
    version = ma.fields.String(required=True, validate=VERSION, metadata={"description": "e.g. 2027-01-01"})
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    body = ma.fields.String(required=True, validate=validate.Length(min=1, max=100_000))
    summary = ma.fields.String(load_default=None, validate=validate.Length(max=255))


class ConsentChoiceSchema(ma.Schema):
    """A document by purpose and the version the person read."""

    purpose = ma.fields.String(required=True, validate=PURPOSES)
    version = ma.fields.String(required=True, validate=VERSION)


class ConsentAcceptSchema(ma.Schema):
    """The documents a resident accepts (each in the version shown to them)."""

    documents = ma.fields.List(
        ma.fields.Nested(ConsentChoiceSchema), required=True, validate=validate.Length(min=1, max=10)
    )
    client_version = CLIENT_VERSION


class ConsentWithdrawSchema(ma.Schema):
    """The purposes a resident withdraws consent to (a base document takes sensitive_data with it)."""

    purposes = ma.fields.List(
        ma.fields.String(validate=PURPOSES), required=True, validate=validate.Length(min=1, max=10)
    )
    client_version = CLIENT_VERSION


class ConsentStateSchema(ma.Schema):
    """Where a person stands with one document."""

    purpose = ma.fields.String(required=True, validate=PURPOSES)
    required = ma.fields.Boolean(
        required=True, metadata={"description": "Needed before any personal data is saved"}
    )
    current_version = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    summary = ma.fields.String(allow_none=True)
    published_at = UtcDateTime(required=True)
    state = ma.fields.String(
        required=True,
        validate=validate.OneOf(["pending", "accepted", "outdated", "withdrawn"]),
        metadata={"description": "outdated: an earlier version was accepted; the current one is asked"},
    )
    accepted_version = ma.fields.String(allow_none=True)
    answered_at = UtcDateTime(allow_none=True)


class ConsentRecordSchema(ma.Schema):
    """One acceptance or withdrawal, with the client it came from."""

    id = ma.fields.Integer(required=True)
    purpose = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    action = ma.fields.String(required=True, validate=one_of(ConsentAction))
    ip = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)
    client_version = ma.fields.String(allow_none=True)
    created_at = UtcDateTime(required=True)


class ConsentOverviewSchema(ma.Schema):
    """What is current, what the person accepted, what is pending, and their history (newest first)."""

    documents = ma.fields.List(ma.fields.Nested(ConsentStateSchema), required=True)
    pending = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Required purposes not accepted in their current version"},
    )
    may_process = ma.fields.Boolean(
        required=True, metadata={"description": "False after a withdrawal: no matching, no pushes"}
    )
    history = ma.fields.List(ma.fields.Nested(ConsentRecordSchema), required=True)


class MyDataSchema(ma.Schema):
    """A copy of the person's data, section by section (docs/PEOPLE.md)."""

    generated_at = ma.fields.String(required=True)
    sections = ma.fields.Dict(
        keys=ma.fields.String(),
        required=True,
        metadata={
            "description": "account, profile (ID number and phone in full), key_groups, status_history, "
            "resume, applications, registrations, certifications, check_ins, event_signups, pushes, "
            "household_visits, needs, consents, deletion_request, audit_events"
        },
    )


class DeletionRequestSchema(ma.Schema):
    """A deletion request and where it is."""

    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=one_of(DeletionStatus))
    created_at = UtcDateTime(required=True)
    processed_at = UtcDateTime(allow_none=True)
    ledger_kept = ma.fields.Boolean(
        required=True, metadata={"description": "The ledger record is kept by law until retain_until"}
    )
    retain_until = ma.fields.Date(allow_none=True)
    detail = ma.fields.Dict(allow_none=True, metadata={"description": "What was erased, counted"})
