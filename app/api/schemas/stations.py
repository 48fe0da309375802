"""Schemas of stations: the station, its opening hours, nearest stations, QR codes and page links."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import (
    Id,
    Latitude,
    Longitude,
    PageArgsSchema,
    UtcDateTime,
    page_schema,
)
from app.services.people.places import place_code
from app.services.results import RowWith
from app.services.stations import opening_hours


def _circle(station) -> dict | None:
    if station is None:
        return None
    return {"code": place_code("circle", station.circle), "name": station.circle.name}


class CircleRefSchema(ma.Schema):
    """A circle named by its code."""

    code = ma.fields.String(required=True, metadata={"example": "341002-chengzhong"})
    name = ma.fields.String(required=True)


# ---- stations -------------------------------------------------------------------------------

HHMM = validate.Regexp(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", error="A time is HH:MM (00:00-24:00).")


class HoursIntervalSchema(ma.Schema):
    """One open interval of a local day, [opens, closes); "24:00" closes at midnight."""

    opens = ma.fields.String(required=True, validate=HHMM, metadata={"example": "08:30"})
    closes = ma.fields.String(required=True, validate=HHMM, metadata={"example": "17:30"})


def _day_field() -> ma.fields.List:
    """Return the field of one weekday's intervals."""
    return ma.fields.List(
        ma.fields.Nested(HoursIntervalSchema),
        load_default=list,
        validate=validate.Length(max=6),
        metadata={"description": "Open intervals, not overlapping; empty or missing: closed"},
    )


class WeeklyHoursSchema(ma.Schema):
    """The usual week, in the city's local time (Asia/Shanghai)."""

    mon = _day_field()
    tue = _day_field()
    wed = _day_field()
    thu = _day_field()
    fri = _day_field()
    sat = _day_field()
    sun = _day_field()


class StoredDate(ma.fields.Date):
    """A date loaded as a date, dumped from a date or from the ISO text a JSON column holds."""

    def _serialize(self, value, attr, obj, **kwargs):
        """Pass stored ISO text through; format a date."""
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class HoursExceptionSchema(ma.Schema):
    """A dated exception to the week: a holiday (closed), or a day with its own hours (调休 working day)."""

    date = StoredDate(required=True, metadata={"description": "Local day, YYYY-MM-DD"})
    closed = ma.fields.Boolean(load_default=False)
    hours = ma.fields.List(
        ma.fields.Nested(HoursIntervalSchema),
        load_default=list,
        validate=validate.Length(max=6),
        metadata={"description": "The day's hours (when not closed); they replace the weekday's"},
    )
    note = ma.fields.String(
        allow_none=True, validate=validate.Length(max=64), metadata={"example": "元旦 / 调休上班"}
    )


class OpeningHoursSchema(ma.Schema):
    """A station's structured opening hours: check-in gives queue numbers only inside them."""

    weekly = ma.fields.Nested(WeeklyHoursSchema, required=True)
    exceptions = ma.fields.List(
        ma.fields.Nested(HoursExceptionSchema), load_default=list, validate=validate.Length(max=200)
    )


class StationInputSchema(ma.Schema):
    """A station to create (city/district admins and operators, in their place)."""

    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=128))
    circle = ma.fields.String(
        required=True, metadata={"description": "The circle's code, `<district short code>-<key>`"}
    )
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=255))
    lat = Latitude(required=True)
    lng = Longitude(required=True)
    hours = ma.fields.String(
        allow_none=True, validate=validate.Length(max=128), metadata={"example": "周一至周五 8:30-17:30"}
    )
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=32))
    opening_hours = ma.fields.Nested(
        OpeningHoursSchema,
        allow_none=True,
        metadata={"description": "Structured hours (replaced whole); without `hours`, the text follows them"},
    )
    require_location = ma.fields.Boolean(
        load_default=False, metadata={"description": "Check-in must send a location inside the geofence"}
    )
    geofence_m = ma.fields.Integer(load_default=500, validate=validate.Range(min=50, max=5000))
    staff_ids = ma.fields.List(
        Id(),
        validate=validate.Length(max=50),
        metadata={"description": "Station staff or operator accounts whose place holds the station"},
    )


class StationUpdateSchema(ma.Schema):
    """Changes to a station (all optional; the circle and code never change)."""

    name = ma.fields.String(validate=validate.Length(min=2, max=128))
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=255))
    lat = Latitude()
    lng = Longitude()
    hours = ma.fields.String(allow_none=True, validate=validate.Length(max=128))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=32))
    opening_hours = ma.fields.Nested(
        OpeningHoursSchema,
        allow_none=True,
        metadata={"description": "Replaced whole; null: no structured hours"},
    )
    require_location = ma.fields.Boolean()
    geofence_m = ma.fields.Integer(validate=validate.Range(min=50, max=5000))
    is_active = ma.fields.Boolean()
    staff_ids = ma.fields.List(Id(), validate=validate.Length(max=50))


class StationPublicSchema(ma.Schema):
    """What anyone may know of a station."""

    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    circle = ma.fields.Function(_circle, metadata={"type": "object"})
    address = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    hours = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    opening_hours = ma.fields.Nested(OpeningHoursSchema, allow_none=True)
    open_now = ma.fields.Boolean(
        allow_none=True, metadata={"description": "Open at this moment; null: no structured hours"}
    )
    today_hours = ma.fields.List(
        ma.fields.Nested(HoursIntervalSchema),
        allow_none=True,
        metadata={"description": "Today's local hours (a holiday or 调休 day counted); empty: closed today"},
    )
    today_note = ma.fields.String(allow_none=True, metadata={"description": "Today's exception, e.g. 元旦"})
    next_opening = UtcDateTime(
        allow_none=True, metadata={"description": "When it next opens (after the current interval if open)"}
    )

    @ma.pre_dump
    def _with_status(self, station, **kwargs):
        """Compute open_now, today's hours and the next opening once, at the city's current time."""
        return RowWith(station, **opening_hours.status(station.opening_hours))


class StationSchema(StationPublicSchema):
    """A station as staff manage it."""

    require_location = ma.fields.Boolean(required=True)
    geofence_m = ma.fields.Integer(required=True)
    qr_version = ma.fields.Integer(required=True)
    qr_rotated_at = UtcDateTime(allow_none=True)
    is_active = ma.fields.Boolean(required=True)
    staff_ids = ma.fields.List(ma.fields.Integer(), required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class StationQuerySchema(PageArgsSchema):
    """Filters of the station list."""

    circle = ma.fields.String(metadata={"description": "A circle's code"})
    active = ma.fields.Boolean()
    mine = ma.fields.Boolean(load_default=False, metadata={"description": "Only stations I am assigned to"})


class NearestArgsSchema(ma.Schema):
    """?lat=&lng=&limit= of the nearest-stations lookup."""

    lat = Latitude(required=True)
    lng = Longitude(required=True)
    limit = ma.fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))


class NearbyStationSchema(ma.Schema):
    """A station with its distance from the asked point."""

    station = ma.fields.Nested(StationPublicSchema, required=True)
    distance_m = ma.fields.Float(required=True)


class PointCircleSchema(ma.Schema):
    """The circle a point falls in: that of the nearest station within 3 km."""

    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    station_id = ma.fields.Integer(required=True)
    distance_m = ma.fields.Float(required=True)


class NearestSchema(ma.Schema):
    """Stations by distance, and the point's circle (null when no station is within 3 km)."""

    circle = ma.fields.Nested(PointCircleSchema, allow_none=True)
    items = ma.fields.List(ma.fields.Nested(NearbyStationSchema), required=True)


class QrImageArgsSchema(ma.Schema):
    """Which code an image shows."""

    kind = ma.fields.String(
        load_default="printed",
        validate=validate.OneOf(["printed", "rotating"]),
        metadata={"description": "printed: the poster's code; rotating: the current 30-second code"},
    )
    size = ma.fields.Integer(
        load_default=10,
        validate=validate.Range(min=2, max=40),
        metadata={"description": "PNG pixels per module"},
    )


class PageLinksSchema(ma.Schema):
    """Signed links to a station's (or event's) pages, to open in a browser."""

    live_url = ma.fields.String(required=True, metadata={"description": "Full-screen rotating code"})
    poster_url = ma.fields.String(allow_none=True, metadata={"description": "Printable A4 poster (stations)"})
    qr_url = ma.fields.String(
        allow_none=True, metadata={"description": "What the printed code encodes (stations)"}
    )
    expires_at = UtcDateTime(required=True)


StationPageSchema = page_schema(StationSchema, "StationPageSchema")
