"""Fields, paging schemas and OpenAPI fragments shared by every wing's schemas."""

from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import validate

from app.common.files import FileType
from app.common.geo import CHINA_LAT, CHINA_LNG
from app.services.people.places import describe_place

# The largest row id: MariaDB's signed BIGINT (and SQLite's INTEGER). Larger ones are refused as
# input (an id route answers 404, an id field 422) before they reach a query and overflow it.
ID_MAX = 2**63 - 1


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


class Id(ma.fields.Integer):
    """An id given as input (a body or query field): 1 … 2^63−1, documented as int64."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=ID_MAX))
        kwargs["metadata"] = {"format": "int64", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)


class Latitude(ma.fields.Float):
    """A GCJ-02 latitude; the range documented is China's, as `common.geo.check_point` judges it.

    Only documented: the service checks the pair (422 `coordinates_out_of_range`, or
    `coordinates_swapped` naming a swapped pair, which a range check here would hide).
    """

    def __init__(self, **kwargs):
        kwargs["metadata"] = {
            "minimum": CHINA_LAT[0],
            "maximum": CHINA_LAT[1],
            "description": f"GCJ-02, inside China ({CHINA_LAT[0]}–{CHINA_LAT[1]}); with lng",
            **kwargs.get("metadata", {}),
        }
        super().__init__(**kwargs)


class Longitude(ma.fields.Float):
    """A GCJ-02 longitude; the range documented is China's (see Latitude)."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {
            "minimum": CHINA_LNG[0],
            "maximum": CHINA_LNG[1],
            "description": f"GCJ-02, inside China ({CHINA_LNG[0]}–{CHINA_LNG[1]}); with lat",
            **kwargs.get("metadata", {}),
        }
        super().__init__(**kwargs)


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


# OpenAPI of a multipart upload with one field `file`.
UPLOAD_DOC = _upload_doc()
# A résumé file: the mini-program's wx.uploadFile names the file after its temporary path, so
# the name the person sees in the chat comes as an optional field beside it.
NAMED_UPLOAD_DOC = _upload_doc(name="The name the person knows the file by (default: the filename)")


def file_doc(types: tuple[FileType, ...]) -> dict:
    """OpenAPI of a stored-file download: each type it can be (sent as the type the upload sniffed)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "responses": {
            "200": {
                "description": "The file, as an attachment, with the content type of what was stored",
                "content": {kind.content_type: binary for kind in types},
            }
        }
    }


def place_field(kind: str, column: str) -> ma.fields.Function:
    """Return a read-only field naming the place whose `kind` id is in `column` (code and name)."""
    return ma.fields.Function(
        lambda obj: describe_place(kind, getattr(obj, column)), allow_none=True, metadata={"type": "object"}
    )
