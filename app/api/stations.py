"""Stations: management in scope, nearest stations, QR code images, rotation and page links."""

from flask import Response

from app.api.json_body import Blueprint
from app.api.schemas.check_ins import (
    CheckInListArgsSchema,
    CheckInListSchema,
    CheckInStaffSchema,
)
from app.api.schemas.stations import (
    NearestArgsSchema,
    NearestSchema,
    PageLinksSchema,
    QrImageArgsSchema,
    StationInputSchema,
    StationPageSchema,
    StationQuerySchema,
    StationSchema,
    StationUpdateSchema,
)
from app.auth import auth_required, client_ip, current_account, staff_required
from app.services.stations import qr_codes, queue, stations
from app.services.stations.stations import MANAGE_ROLES

URL_PREFIX = "/stations"
blp = Blueprint("stations", __name__, description="Service stations and their QR codes")

IMAGE_DOC = {
    "responses": {
        "200": {
            "description": "The QR code image",
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string"}},
            },
        }
    }
}


@blp.get("")
@staff_required
@blp.arguments(StationQuerySchema, location="query")
@blp.response(200, StationPageSchema)
def list_stations(args):
    """List the stations in my place (?mine=true: those I am assigned to)."""
    return stations.list_stations(current_account(), **args)


@blp.post("")
@auth_required(*MANAGE_ROLES)
@blp.arguments(StationInputSchema)
@blp.response(201, StationSchema)
def create(values):
    """Create a station in a circle of my place; it gets a readable code for its QR URL."""
    return stations.create(current_account(), values, client_ip())


@blp.get("/nearest")
@blp.arguments(NearestArgsSchema, location="query")
@blp.response(200, NearestSchema)
def nearest(args):
    """Find the open stations nearest a point, and the circle the point falls in (public)."""
    return stations.nearest(args["lat"], args["lng"], args["limit"])


@blp.get("/<int:station_id>")
@staff_required
@blp.response(200, StationSchema)
def get_station(station_id):
    """Return one station in my place."""
    return stations.get_station(current_account(), station_id)


@blp.patch("/<int:station_id>")
@auth_required(*MANAGE_ROLES)
@blp.arguments(StationUpdateSchema)
@blp.response(200, StationSchema)
def update(values, station_id):
    """Edit a station in my place (assign staff, move it, close it with is_active=false)."""
    return stations.update(current_account(), station_id, values, client_ip())


@blp.post("/<int:station_id>/qr/rotate")
@staff_required
@blp.response(200, StationSchema)
def rotate(station_id):
    """Replace the printed code: older printed codes stop working at once (audited)."""
    return stations.rotate(current_account(), station_id, client_ip())


@blp.get("/<int:station_id>/qr.png")
@staff_required
@blp.arguments(QrImageArgsSchema, location="query")
@blp.doc(**IMAGE_DOC)
def qr_png(args, station_id):
    """Return the station's QR code as PNG (printed code by default)."""
    image = qr_codes.png(
        stations.code_url(current_account(), station_id, args["kind"]), box_size=args["size"]
    )
    return Response(image, mimetype="image/png", headers={"Cache-Control": "no-store"})


@blp.get("/<int:station_id>/qr.svg")
@staff_required
@blp.arguments(QrImageArgsSchema, location="query")
@blp.doc(**IMAGE_DOC)
def qr_svg(args, station_id):
    """Return the station's QR code as SVG, for printing at any size."""
    image = qr_codes.svg(stations.code_url(current_account(), station_id, args["kind"]))
    return Response(image, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@blp.post("/<int:station_id>/page-links")
@staff_required
@blp.response(200, PageLinksSchema)
def page_links(station_id):
    """Mint signed links to the station's live screen and poster, to open in a browser."""
    return stations.page_links(current_account(), station_id, client_ip())


@blp.get("/<int:station_id>/check-ins")
@staff_required
@blp.arguments(CheckInListArgsSchema, location="query")
@blp.response(200, CheckInListSchema)
def list_check_ins(args, station_id):
    """List one day's check-ins at a station in my place, in queue order (default today)."""
    return queue.list_for_station(
        current_account(),
        station_id,
        args.get("date"),
        args.get("served"),
        args["page"],
        args["per_page"],
        args.get("called"),
    )


@blp.post("/<int:station_id>/queue/call-next")
@staff_required
@blp.response(200, CheckInStaffSchema)
def call_next(station_id):
    """Call today's next waiting visitor to my counter (叫号): one visitor to one clerk.

    404 queue_empty when nobody waits; 409 serve_current_first while the visitor I called is
    not served yet (PATCH /check-ins/{id}). Station staff call at their own stations; the other
    serving roles anywhere in their place.
    """
    return queue.call_next(current_account(), station_id)
