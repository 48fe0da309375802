"""Places: the employment circles and the communities residents choose from."""

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.schemas import CODE_12
from app.services import places

URL_PREFIX = "/places"
blp = Blueprint("places", __name__, description="Circles, townships and communities (public)")


class TownshipSchema(ma.Schema):
    """A township in a circle."""

    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)


class AreaSchema(ma.Schema):
    """A named area of a circle without a statistical code (e.g. 九龙园区)."""

    name = ma.fields.String(required=True)
    note = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)


class CircleSchema(ma.Schema):
    """An employment circle with its townships."""

    code = ma.fields.Function(lambda c: f"{c.district.short_code}-{c.key}", required=True)
    key = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    district = ma.fields.Function(
        lambda c: {"code": c.district.code, "name": c.district.name}, metadata={"type": "object"}
    )
    note = ma.fields.String(allow_none=True)
    townships = ma.fields.List(ma.fields.Nested(TownshipSchema))
    extra_areas = ma.fields.List(ma.fields.Nested(AreaSchema))


class CircleQuerySchema(ma.Schema):
    """Which district's circles (default: every circle)."""

    district = ma.fields.String(validate=validate.Regexp(r"^\d{6}(\d{6})?$"))


class CommunityQuerySchema(ma.Schema):
    """Which township's communities."""

    township = ma.fields.String(required=True, validate=CODE_12)


class CommunitySchema(ma.Schema):
    """A community or village."""

    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)


@blp.get("/circles")
@blp.arguments(CircleQuerySchema, location="query")
@blp.response(200, CircleSchema(many=True))
def list_circles(args):
    """List the employment circles with their townships."""
    return places.list_circles(args.get("district"))


@blp.get("/communities")
@blp.arguments(CommunityQuerySchema, location="query")
@blp.response(200, CommunitySchema(many=True))
def list_communities(args):
    """List the communities of a township."""
    return places.list_communities(args["township"])
