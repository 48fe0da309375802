"""Schemas of the provincial exchange as staff see it: counts, dead letters, resending."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import PageArgsSchema, UtcDateTime, one_of, page_schema
from app.models.exchange import ExchangeRecordType, ExchangeStatus

_COUNTS = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class ExchangeSummarySchema(ma.Schema):
    """How the exchange stands: records by status, by type and status, dead ones by code."""

    by_status = _COUNTS
    by_type = ma.fields.Dict(keys=ma.fields.String(), values=_COUNTS)
    dead_by_code = _COUNTS
    oldest_unsent_seconds = ma.fields.Integer(
        allow_none=True, metadata={"description": "Age of the oldest record not yet sent (null: none)"}
    )


class DeadLetterQuerySchema(PageArgsSchema):
    """Filters of the dead letters."""

    code = ma.fields.String(validate=validate.Length(min=1, max=32))
    record_type = ma.fields.String(validate=one_of(ExchangeRecordType))


class ExchangeRecordSchema(ma.Schema):
    """One record for the province: what it names, where it is, and why it stopped if it did."""

    id = ma.fields.Integer()
    record_type = ma.fields.String()
    action = ma.fields.String()
    subject = ma.fields.String(metadata={"description": "person:<id>, job:<id> or employer:<id>"})
    source_id = ma.fields.Integer()
    idempotency_key = ma.fields.String()
    status = ma.fields.String(validate=one_of(ExchangeStatus))
    attempts = ma.fields.Integer()
    last_code = ma.fields.String(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    next_attempt_at = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True)


DeadLetterPageSchema = page_schema(ExchangeRecordSchema, "DeadLetterPageSchema")


class ResendSchema(ma.Schema):
    """Resend a dead record; the note (what was fixed) goes to the audit log."""

    note = ma.fields.String(load_default=None, validate=validate.Length(max=200))


class ResendCodeSchema(ResendSchema):
    """Resend every dead record of one code."""

    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))


class ResendCountSchema(ma.Schema):
    """How many dead records went back to be sent."""

    resent = ma.fields.Integer()


class ReconciliationQuerySchema(ma.Schema):
    """The day to show (default yesterday, on the city's clock)."""

    day = ma.fields.Date(load_default=None)


class ReconciliationRowSchema(ma.Schema):
    """One record type of the day: our count (sent), the province's, and the keys one side lacks."""

    record_type = ma.fields.String()
    ours = ma.fields.Integer()
    theirs = ma.fields.Integer()
    missing_there = ma.fields.List(
        ma.fields.String(), metadata={"description": "Keys we sent that the province does not hold"}
    )
    unknown_here = ma.fields.List(
        ma.fields.String(), metadata={"description": "Keys the province holds that we do not count as sent"}
    )
    agree = ma.fields.Method("_agree")
    checked_at = UtcDateTime()

    def _agree(self, row) -> bool:
        """Say whether both sides hold the same records of the day and type."""
        return row.ours == row.theirs and not row.missing_there and not row.unknown_here


class ReconciliationSchema(ma.Schema):
    """A day's reconciliation: a row per record type (none: not reconciled yet)."""

    day = ma.fields.Date()
    checked_at = UtcDateTime(allow_none=True)
    agree = ma.fields.Boolean(allow_none=True, metadata={"description": "null: the day was not reconciled"})
    types = ma.fields.List(ma.fields.Nested(ReconciliationRowSchema))
