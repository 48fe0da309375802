"""Stations: management in scope, nearest stations, QR code images, rotation and page links."""

from flask import Response
from flask_smorest import Blueprint

from app.api.common import page_schema
from app.api.station_schemas import (
    CheckInListArgsSchema,
    CheckInListSchema,
    NearestArgsSchema,
    NearestSchema,
    PageLinksSchema,
    QrImageArgsSchema,
    StationInputSchema,
    StationQuerySchema,
    StationSchema,
    StationUpdateSchema,
)
from app.auth import auth_required, client_ip, current_account, staff_required
from app.services import check_ins, qr_codes, stations
from app.services.stations import MANAGE_ROLES

URL_PREFIX = "/stations"
blp = Blueprint("stations", __name__, description="Service stations and their QR codes")

StationPageSchema = page_schema(StationSchema, "StationPageSchema")
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
    items, total = stations.list_stations(current_account(), **args)
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


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


def _code_data(station_id: int, kind: str) -> str:
    station = stations.get_station(current_account(), station_id)
    token = qr_codes.rotating_token(station) if kind == "rotating" else qr_codes.printed_token(station)
    return qr_codes.station_url(station, token)


@blp.get("/<int:station_id>/qr.png")
@staff_required
@blp.arguments(QrImageArgsSchema, location="query")
@blp.doc(**IMAGE_DOC)
def qr_png(args, station_id):
    """Return the station's QR code as PNG (printed code by default)."""
    image = qr_codes.png(_code_data(station_id, args["kind"]), box_size=args["size"])
    return Response(image, mimetype="image/png", headers={"Cache-Control": "no-store"})


@blp.get("/<int:station_id>/qr.svg")
@staff_required
@blp.arguments(QrImageArgsSchema, location="query")
@blp.doc(**IMAGE_DOC)
def qr_svg(args, station_id):
    """Return the station's QR code as SVG, for printing at any size."""
    image = qr_codes.svg(_code_data(station_id, args["kind"]))
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
    items, total = check_ins.list_for_station(
        current_account(), station_id, args.get("date"), args.get("served"), args["page"], args["per_page"]
    )
    people = check_ins.people(items)
    for row in items:
        row.person = people.get(row.resident_id)
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}
