"""Service stations: management in scope, staff assignment, nearest stations, QR code rotation."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.common.geo import bounding_box, check_point, distance_m, planar_sq_distance
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.models import Account, Circle, Role, ScopeKind, Station, StationStaff, utcnow
from app.services.people import audit
from app.services.people.places import find_place, locate, place_code
from app.services.people.scoping import get_in_scope, in_scope, scoped
from app.services.results import Page, paginate
from app.services.stations import opening_hours, qr_codes

# Who may create and edit stations (the issue: city/district admins and operators).
MANAGE_ROLES = frozenset({Role.city_admin, Role.district_admin, Role.operator})
# Who may also replace a station's printed code (a photographed code being misused).
ROTATE_ROLES = MANAGE_ROLES | {Role.station_staff}
# Roles that can be assigned to work at a station.
ASSIGNABLE_ROLES = frozenset({Role.station_staff, Role.operator})
# A point lies in the circle of the nearest station within this distance (the plan's 3 km).
CIRCLE_RADIUS_M = 3000
# How far `nearest` looks for stations.
NEAREST_SEARCH_M = 50_000


def circle_by_code(code: str, field: str = "circle") -> Circle:
    """Return the circle named `<district short code>-<key>`, or 422 on `field`."""
    circle = find_place(ScopeKind.circle, code) if code else None
    if circle is None:
        raise ValidationFailed(field, f"No circle with code {code}.", code="unknown_circle")
    return circle


def station_places(circle: Circle, lat: float, lng: float) -> dict:
    """Place a station: its circle's district and city, and the township/community it stands in.

    The township and community come from the location, and are kept only when they belong
    to the station's circle (we hold centres, not boundaries: a guess across the circle's
    edge would hand the station to the wrong township's staff).
    """
    located = locate(lat, lng)
    if located["district_id"] != circle.district_id:
        # A typo in the coordinates would otherwise tell residents far away they are in this circle.
        raise ValidationFailed(
            "lat",
            f"This location is not in {circle.district.name}, the circle's district.",
            code="outside_circle",
        )
    in_circle = located["circle_id"] == circle.id
    return {
        "community_id": located["community_id"] if in_circle else None,
        "township_id": located["township_id"] if in_circle else None,
        "circle_id": circle.id,
        "district_id": circle.district_id,
        "city_id": circle.district.city_id,
    }


def _require(actor: Account, roles: frozenset, what: str) -> None:
    if actor.role not in roles:
        raise Forbidden("role_forbidden", f"Your role may not {what}.")


def _next_code(circle: Circle) -> str:
    """Return the next free readable code in a circle: 341002-chengzhong-01, -02, …"""
    prefix = f"{circle.district.short_code}-{circle.key}-"
    codes = db.session.scalars(
        sa.select(Station.code).where(Station.code.startswith(prefix, autoescape=True))
    )
    numbers = [int(code[len(prefix) :]) for code in codes if code[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


def _set_staff(station: Station, staff_ids: list[int]) -> None:
    """Assign staff accounts to a station: active station staff or operators whose place holds it."""
    wanted = list(dict.fromkeys(staff_ids))
    accounts = {
        account.id: account
        for account in db.session.scalars(sa.select(Account).where(Account.id.in_(wanted)))
    }
    for account_id in wanted:
        account = accounts.get(account_id)
        if account is None or account.role not in ASSIGNABLE_ROLES or not account.is_active:
            raise ValidationFailed(
                "staff_ids",
                f"Account {account_id} is not an active station staff or operator account.",
                code="not_station_staff",
            )
        if not in_scope(station, account):
            raise ValidationFailed(
                "staff_ids",
                f"Account {account_id} works outside this station's place.",
                code="staff_out_of_scope",
            )
    # Keep the rows that stay (a new row with the same key would clash with the old one).
    kept = [row for row in station.staff_rows if row.account_id in wanted]
    have = {row.account_id for row in kept}
    station.staff_rows = kept + [StationStaff(account_id=i) for i in wanted if i not in have]


def _apply(station: Station, values: dict) -> None:
    for name in ("name", "address", "hours", "phone", "require_location", "geofence_m", "is_active"):
        if name in values:
            setattr(station, name, values[name])
    if "opening_hours" in values:
        before = station.opening_hours
        # The text follows the structure, so the poster and the landing page show the hours
        # check-in follows; a text staff wrote beside a structure (not its rendering) is theirs.
        written = before is not None and station.hours not in (None, opening_hours.describe(before))
        station.opening_hours = opening_hours.normalise(values["opening_hours"])
        if station.opening_hours is not None and "hours" not in values and not written:
            station.hours = opening_hours.describe(station.opening_hours)


def create(actor: Account, values: dict, ip: str | None) -> Station:
    """Create a station in a circle inside the actor's place, with a fresh readable code."""
    _require(actor, MANAGE_ROLES, "create stations")
    circle = circle_by_code(values["circle"])
    check_point(values["lat"], values["lng"])
    station = Station(code=_next_code(circle), lat=values["lat"], lng=values["lng"], created_by_id=actor.id)
    for name, value in station_places(circle, values["lat"], values["lng"]).items():
        setattr(station, name, value)
    if not in_scope(station, actor):
        raise Forbidden("out_of_scope", "This circle is outside your area.")
    _apply(station, values)
    _set_staff(station, values.get("staff_ids") or [])
    db.session.add(station)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "station_code_taken", "Another station was just created in this circle; try again."
        ) from None
    audit.commit(
        "station.create",
        actor=actor,
        object_type="station",
        object_id=station.id,
        ip=ip,
        detail={"code": station.code, "name": station.name},
    )
    return station


def get_station(actor: Account, station_id: int) -> Station:
    """Return one station in the actor's place, or 404."""
    return get_in_scope(Station, station_id, actor, "station_not_found")


def update(actor: Account, station_id: int, values: dict, ip: str | None) -> Station:
    """Edit a station in the actor's place; a new location re-places it (the circle stays)."""
    _require(actor, MANAGE_ROLES, "edit stations")
    station = get_station(actor, station_id)
    if "lat" in values or "lng" in values:
        lat, lng = values.get("lat", station.lat), values.get("lng", station.lng)
        if lat is None or lng is None:
            raise ValidationFailed("lat", "A station needs both lat and lng.")
        check_point(lat, lng)
        station.lat, station.lng = lat, lng
        for name, value in station_places(station.circle, lat, lng).items():
            setattr(station, name, value)
    _apply(station, values)
    if "staff_ids" in values:
        _set_staff(station, values["staff_ids"] or [])
    elif "lat" in values or "lng" in values:
        _set_staff(station, station.staff_ids)  # the assigned staff must still cover the new place
    audit.commit(
        "station.update",
        actor=actor,
        object_type="station",
        object_id=station.id,
        ip=ip,
        detail={"fields": sorted(values)},
    )
    return station


def list_stations(
    actor: Account,
    page: int,
    per_page: int,
    circle: str | None = None,
    active: bool | None = None,
    mine: bool = False,
) -> Page:
    """Return one page of the stations in the actor's place, and the total."""
    statement = scoped(sa.select(Station), Station, actor)
    if circle:
        statement = statement.where(Station.circle_id == circle_by_code(circle).id)
    if active is not None:
        statement = statement.where(Station.is_active.is_(active))
    if mine:
        statement = statement.where(
            sa.exists().where(StationStaff.station_id == Station.id, StationStaff.account_id == actor.id)
        )
    return paginate(
        statement,
        page,
        per_page,
        order_by=(Station.code,),
        options=(
            selectinload(Station.staff_rows),
            selectinload(Station.circle).selectinload(Circle.district),
        ),
    )


def nearest(lat: float, lng: float, limit: int) -> dict:
    """Return the active stations nearest a point with their distance, and the point's circle.

    The point's circle is that of the nearest station within 3 km (a circle is the 3 km
    around its stations), or None.
    """
    check_point(lat, lng)
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, NEAREST_SEARCH_M)
    stations = list(
        db.session.scalars(
            sa.select(Station)
            .options(selectinload(Station.circle).selectinload(Circle.district))
            .where(
                Station.is_active.is_(True),
                Station.lat.between(min_lat, max_lat),
                Station.lng.between(min_lng, max_lng),
            )
            .order_by(planar_sq_distance(Station.lat, Station.lng, lat, lng), Station.id)
            .limit(limit)
        )
    )
    items = [(station, round(distance_m(lat, lng, station.lat, station.lng), 1)) for station in stations]
    items.sort(key=lambda item: (item[1], item[0].id))
    circle = None
    if items and items[0][1] <= CIRCLE_RADIUS_M:
        station, metres = items[0]
        circle = {
            "code": place_code("circle", station.circle),
            "name": station.circle.name,
            "station_id": station.id,
            "distance_m": metres,
        }
    return {
        "circle": circle,
        "items": [{"station": station, "distance_m": metres} for station, metres in items],
    }


def rotate(actor: Account, station_id: int, ip: str | None) -> Station:
    """Replace a station's printed code: bump its version, so every older printed code stops working."""
    _require(actor, ROTATE_ROLES, "replace QR codes")
    station = get_station(actor, station_id)
    # One UPDATE, so two staff rotating at once both count and neither is lost.
    db.session.execute(
        sa.update(Station)
        .where(Station.id == station.id)
        .values(qr_version=Station.qr_version + 1, qr_rotated_at=utcnow())
    )
    audit.commit("station.qr_rotate", actor=actor, object_type="station", object_id=station.id, ip=ip)
    db.session.refresh(station)
    return station


def page_links(actor: Account, station_id: int, ip: str | None) -> dict:
    """Mint signed links to a station's live screen and poster (audited: they can check people in)."""
    station = get_station(actor, station_id)
    audit.commit("station.page_links", actor=actor, object_type="station", object_id=station.id, ip=ip)
    live_url, expires = qr_codes.page_link(f"/stations/{station.id}/live", station.qr_version)
    poster_url, _ = qr_codes.page_link(f"/stations/{station.id}/poster", station.qr_version)
    return {
        "live_url": live_url,
        "poster_url": poster_url,
        "qr_url": qr_codes.station_url(station, qr_codes.printed_token(station)),
        "expires_at": expires,
    }


def code_url(actor: Account, station_id: int, kind: str) -> str:
    """Return the URL a station's code carries: its printed code, or the live screen's current one."""
    station = get_station(actor, station_id)
    token = qr_codes.rotating_token(station) if kind == "rotating" else qr_codes.printed_token(station)
    return qr_codes.station_url(station, token)
