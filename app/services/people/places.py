"""Places: the geography's lookups, what lies inside what (scope containment), and a point's place."""

import sqlalchemy as sa

from app.common.geo import bounding_box, distance_m
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Circle, City, Community, District, ScopeKind, Township


def list_circles(district_code: str | None = None) -> list[Circle]:
    """Return circles (default: every circle) with their townships and extra areas."""
    statement = sa.select(Circle).join(District).order_by(District.code, Circle.id)
    if district_code:
        statement = statement.where(
            sa.or_(District.code == district_code, District.short_code == district_code)
        )
    return list(db.session.scalars(statement))


def list_communities(township_code: str) -> list[Community]:
    """Return the communities of one township, by code."""
    township = db.session.scalar(sa.select(Township).where(Township.code == township_code))
    if township is None:
        raise NotFound("township_not_found", f"No township with code {township_code}.")
    return list(
        db.session.scalars(
            sa.select(Community).where(Community.township_id == township.id).order_by(Community.code)
        )
    )


def community_by_code(code: str, field_name: str = "community_code") -> Community:
    """Return the community with this code, or a 422 on `field_name`."""
    community = db.session.scalar(sa.select(Community).where(Community.code == code))
    if community is None:
        raise ValidationFailed(field_name, f"No community with code {code}.", code="unknown_community")
    return community


def place_columns(community: Community | None) -> dict:
    """Return the denormalised place ids (community … city) of a people-data row."""
    if community is None:
        return dict.fromkeys(("community_id", "township_id", "circle_id", "district_id", "city_id"))
    township = community.township
    return {
        "community_id": community.id,
        "township_id": township.id,
        "circle_id": community.circle_id,
        "district_id": township.district_id,
        "city_id": township.district.city_id,
    }


# How far from its recorded centre a point is still taken to lie in a community or township.
LOCATE_COMMUNITY_M, LOCATE_TOWNSHIP_M = 1500, 15000


def _nearest(model, lat: float, lng: float, within_m: float):
    """Return the row of `model` (with lat/lng) nearest to a point within `within_m`, or None."""
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, within_m)
    rows = db.session.scalars(
        sa.select(model).where(model.lat.between(min_lat, max_lat), model.lng.between(min_lng, max_lng))
    )
    best = min(((distance_m(lat, lng, r.lat, r.lng), r.id, r) for r in rows), default=None)
    return best[2] if best and best[0] <= within_m else None


def locate(lat: float | None, lng: float | None) -> dict:
    """Return the place columns of a point: its nearest community, else its nearest township.

    Communities and townships carry approximate centres only (no boundaries), so this is a
    nearest-centre guess; a caller that knows the community should pass it instead.
    """
    if lat is None or lng is None:
        return place_columns(None)
    community = _nearest(Community, lat, lng, LOCATE_COMMUNITY_M)
    if community is not None:
        return place_columns(community)
    township = _nearest(Township, lat, lng, LOCATE_TOWNSHIP_M)
    if township is None:
        return place_columns(None)
    return {
        "community_id": None,
        "township_id": township.id,
        "circle_id": township.circle_id,
        "district_id": township.district_id,
        "city_id": township.district.city_id,
    }


PLACE_MODELS = {
    ScopeKind.community: Community,
    ScopeKind.township: Township,
    ScopeKind.circle: Circle,
    ScopeKind.district: District,
    ScopeKind.city: City,
}


def find_place(kind: str, code: str):
    """Find a place by kind and code (a circle's code is `<district short code>-<key>`)."""
    kind = ScopeKind(kind)
    if kind is ScopeKind.circle:
        short_code, _, key = code.partition("-")
        return db.session.scalar(
            sa.select(Circle)
            .join(District)
            .where(sa.or_(District.short_code == short_code, District.code == short_code), Circle.key == key)
        )
    model = PLACE_MODELS[kind]
    return db.session.scalar(sa.select(model).where(model.code == code))


def place_code(kind: str, place) -> str:
    """Return the code by which a place is named in the API."""
    if ScopeKind(kind) is ScopeKind.circle:
        return f"{place.district.short_code}-{place.key}"
    return place.code


def place_ancestry(kind: str, place_id: int) -> set[tuple[str, int]]:
    """Return the place and every place that contains it, as (kind, id) pairs."""
    kind = ScopeKind(kind)
    place = db.session.get(PLACE_MODELS[kind], place_id)
    if place is None:
        return set()
    found = {(kind.value, place.id)}
    if kind is ScopeKind.community:
        if place.circle_id:
            found.add((ScopeKind.circle.value, place.circle_id))
        place, kind = place.township, ScopeKind.township
        found.add((kind.value, place.id))
    if kind is ScopeKind.township:
        if place.circle_id:
            found.add((ScopeKind.circle.value, place.circle_id))
        place, kind = place.district, ScopeKind.district
        found.add((kind.value, place.id))
    if kind is ScopeKind.circle:
        place, kind = place.district, ScopeKind.district
        found.add((kind.value, place.id))
    if kind is ScopeKind.district:
        found.add((ScopeKind.city.value, place.city_id))
    return found


def places_inside(kind: str, place_id: int) -> dict[ScopeKind, object]:
    """Return, per place level, the ids (a list or a subquery) of the places inside one place.

    The same containment as `place_within`, as SQL: a community lies in its own circle and
    in its township's, a township in its circle, and both in their district and city.
    """
    kind = ScopeKind(kind)
    inside: dict[ScopeKind, object] = {kind: [place_id]}
    if kind in (ScopeKind.city, ScopeKind.district):
        districts: object = [place_id]
        if kind is ScopeKind.city:
            districts = sa.select(District.id).where(District.city_id == place_id)
            inside[ScopeKind.district] = districts
        inside[ScopeKind.circle] = sa.select(Circle.id).where(Circle.district_id.in_(districts))
        townships = sa.select(Township.id).where(Township.district_id.in_(districts))
        inside[ScopeKind.township] = townships
        inside[ScopeKind.community] = sa.select(Community.id).where(Community.township_id.in_(townships))
    elif kind is ScopeKind.circle:
        townships = sa.select(Township.id).where(Township.circle_id == place_id)
        inside[ScopeKind.township] = townships
        inside[ScopeKind.community] = sa.select(Community.id).where(
            sa.or_(Community.circle_id == place_id, Community.township_id.in_(townships))
        )
    elif kind is ScopeKind.township:
        inside[ScopeKind.community] = sa.select(Community.id).where(Community.township_id == place_id)
    return inside


def place_within(outer_kind: str, outer_id: int, inner_kind: str, inner_id: int) -> bool:
    """Tell whether place (inner_kind, inner_id) lies inside (or is) (outer_kind, outer_id)."""
    return (ScopeKind(outer_kind).value, outer_id) in place_ancestry(inner_kind, inner_id)


def describe_place(kind: str | None, place_id: int | None) -> dict | None:
    """Return {kind, code, name} of a place, for API output."""
    if kind is None or place_id is None:
        return None
    place = db.session.get(PLACE_MODELS[ScopeKind(kind)], place_id)
    if place is None:
        return None
    # A list names the same few places on every row. The session's identity map holds rows
    # weakly, so without this reference it would forget the place and query it again per row.
    db.session.info.setdefault("described_places", set()).add(place)
    return {"kind": kind, "code": place_code(kind, place), "name": place.name}
