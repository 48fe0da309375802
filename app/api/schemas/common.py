"""Fields, paging schemas and OpenAPI fragments shared by every wing's schemas."""

from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import validate


class UtcDateTime(ma.fields.DateTime):
    """A datetime stored naive in UTC, written out with its +00:00 offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class AwareInputDateTime(ma.fields.AwareDateTime):
    """An input datetime that must carry its offset (e.g. +08:00); loaded as naive UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(UTC).replace(tzinfo=None)


class ClientId(ma.fields.String):
    """A client-made id for an idempotent write (8–64 of A-Z a-z 0-9 _ . : -), compared case-blind.

    MariaDB compares text without case, SQLite with it: lower-casing makes both agree.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "validate", validate.Regexp(r"^[A-Za-z0-9_.:-]{8,64}$", error="8–64 letters, digits, or _ . : -")
        )
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).lower()


def one_of(enum) -> validate.OneOf:
    """Validate a value against a StrEnum's values."""
    return validate.OneOf([item.value for item in enum])


class PageArgsSchema(ma.Schema):
    """?page=&per_page= (per_page at most 100)."""

    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageSchema(ma.Schema):
    """Paging fields of a list response."""

    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """Build a `{items: [...], page, per_page, total}` schema for `item_schema`."""
    return type(name, (PageSchema,), {"items": ma.fields.List(ma.fields.Nested(item_schema), required=True)})


def _upload_doc(**fields) -> dict:
    """OpenAPI of a multipart upload: the field `file`, and any other (string) fields named."""
    properties = {"file": {"type": "string", "format": "binary"}}
    properties.update({name: {"type": "string", "description": text} for name, text in fields.items()})
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "properties": properties}}},
        }
    }


# OpenAPI of a multipart upload with one field `file`, and of a file download.
UPLOAD_DOC = _upload_doc()
# A résumé file: the mini-program's wx.uploadFile names the file after its temporary path, so
# the name the person sees in the chat comes as an optional field beside it.
NAMED_UPLOAD_DOC = _upload_doc(name="The name the person knows the file by (default: the filename)")
FILE_DOC = {
    "responses": {
        "200": {
            "description": "The file, as an attachment",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}
