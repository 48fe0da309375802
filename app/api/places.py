"""Places: the employment circles and the communities residents choose from."""

from app.api.json_body import Blueprint
from app.api.schemas.people import CircleQuerySchema, CircleSchema, CommunityQuerySchema, CommunitySchema
from app.services.people import places

URL_PREFIX = "/places"
blp = Blueprint("places", __name__, description="Circles, townships and communities (public)")


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
