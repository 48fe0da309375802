"""Schemas of exports: asking for one, its status and link, the download's token."""

import marshmallow as ma
from flask import url_for
from marshmallow import validate

from app.api.schemas.common import UtcDateTime, one_of
from app.models import ExportFormat, ExportStatus

# A list's filters as its page's query string has them: a few names, each with a short text value.
MAX_FILTERS = 20


class ExportRequestSchema(ma.Schema):
    """Export a list, with the filters its page applies."""

    source = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=48),
        metadata={"description": "The list's name: residents, households, zero_employment_cases, …"},
    )
    filters = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(min=1, max=32)),
        values=ma.fields.String(validate=validate.Length(max=200), allow_none=True),
        load_default=dict,
        validate=validate.Length(max=MAX_FILTERS),
        metadata={"description": 'The list page\'s filters by name (e.g. {"status": "unemployed"})'},
    )
    format = ma.fields.String(load_default=ExportFormat.xlsx.value, validate=one_of(ExportFormat))
    reveal = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "Full ID numbers, phones, names and addresses (roles that may reveal; audited)"
        },
    )


class ExportSchema(ma.Schema):
    """An export as its owner sees it: progress while written, then a link until it expires."""

    id = ma.fields.Integer(required=True, attribute="job.id")
    source = ma.fields.String(required=True, attribute="job.source")
    title = ma.fields.String(required=True, attribute="job.title")
    format = ma.fields.String(required=True, attribute="job.format")
    reveal = ma.fields.Boolean(required=True, attribute="job.reveal")
    status = ma.fields.String(required=True, validate=one_of(ExportStatus))
    total = ma.fields.Integer(required=True, attribute="job.total")
    rows_written = ma.fields.Integer(required=True, attribute="job.rows_written")
    progress = ma.fields.Float(required=True, metadata={"description": "Share of rows written, 0 … 1"})
    filename = ma.fields.String(required=True)
    download_url = ma.fields.Method(
        "get_download_url",
        allow_none=True,
        metadata={"type": "string", "description": "While the file can be downloaded (its owner only)"},
    )
    error = ma.fields.String(allow_none=True, attribute="job.error")
    created_at = UtcDateTime(required=True, attribute="job.created_at")
    finished_at = UtcDateTime(allow_none=True, attribute="job.finished_at")
    expires_at = UtcDateTime(allow_none=True, attribute="job.expires_at")

    def get_download_url(self, result):
        """Return the signed download link of a ready export, else None."""
        if result.token is None:
            return None
        return url_for("exports.download", export_id=result.job.id, token=result.token)


class DownloadArgsSchema(ma.Schema):
    """?token= from the export's download_url."""

    token = ma.fields.String(load_default=None, validate=validate.Length(max=512))
