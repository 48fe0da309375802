"""Schemas of the province's key-group lists: the report per list, a task's resolution."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import UtcDateTime
from app.services.exchange.key_group_lists import OUTCOMES


class ListCountsSchema(ma.Schema):
    """One list of the province: its entries by what became of them."""

    list_id = ma.fields.String(required=True)
    key_group = ma.fields.String(required=True)
    matched = ma.fields.Integer(required=True, metadata={"description": "Residents given the group"})
    task = ma.fields.Integer(required=True, metadata={"description": "On a grid worker's checklist"})
    unmatched = ma.fields.Integer(required=True, metadata={"description": "No community of ours"})
    resolved = ma.fields.Integer(required=True, metadata={"description": "Tasks a worker closed"})


class UnmatchedEntrySchema(ma.Schema):
    """An entry no community of ours holds (masked)."""

    id = ma.fields.Integer(required=True)
    list_id = ma.fields.String(required=True)
    entry_key = ma.fields.String(required=True)
    key_group = ma.fields.String(required=True)
    name = ma.fields.String(allow_none=True, metadata={"description": "Masked: the family name"})
    id_number_hint = ma.fields.String(allow_none=True, metadata={"description": "Masked"})
    address = ma.fields.String(allow_none=True, metadata={"description": "Masked"})
    community_code = ma.fields.String(allow_none=True)


class KeyGroupListReportSchema(ma.Schema):
    """The key-group lists in the viewer's place, and what could not be matched."""

    lists = ma.fields.List(ma.fields.Nested(ListCountsSchema), required=True)
    unmatched = ma.fields.List(ma.fields.Nested(UnmatchedEntrySchema), required=True)


class ResolveListEntrySchema(ma.Schema):
    """How a visit ended: the person added to the ledger (their record), or not here (why)."""

    outcome = ma.fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    resident_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The ledger record added (outcome added)"}
    )
    note = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=255),
        metadata={"description": "Required when not here"},
    )


class ListEntrySchema(ma.Schema):
    """A list entry after resolving (masked)."""

    id = ma.fields.Integer(required=True)
    list_id = ma.fields.String(required=True)
    key_group = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    resident_id = ma.fields.Integer(allow_none=True)
    id_number_hint = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)
    resolved_at = UtcDateTime(allow_none=True)
    resolved_by_id = ma.fields.Integer(allow_none=True)
