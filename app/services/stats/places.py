"""The drill-down: city → district → circle → township (街道/乡镇) → community, within a caller's scope.

A district's children are its circles, then its townships outside every circle (listed under
"圈外街道/乡镇", `group` = "outside_circle"): a township in no circle hangs under its district, so
its breadcrumbs are city › district › township. A circle's children are its townships (and, where a
circle takes in part of a township of another, those communities themselves). A place outside the
caller's scope is a 404 like an unknown one: the drill-down never shows what lies beyond it.
"""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Account, Circle, City, Community, District, ScopeKind, Township
from app.services.people.places import PLACE_MODELS, find_place, place_code, place_within

# kind:code, e.g. district:341002000000, circle:341002-chengzhong, community:341002002001.
PATH = re.compile(r"^(city|district|circle|township|community):([0-9A-Za-z_-]{1,60})$")
OUTSIDE_CIRCLE = "outside_circle"


@dataclass(frozen=True)
class PlaceRef:
    """A place of the drill-down: its level, id, API code and name (group: how a parent lists it)."""

    kind: str
    id: int
    code: str
    name: str
    group: str | None = field(default=None, compare=False)

    @property
    def path(self) -> str:
        """Return the place as the API names it: `kind:code`."""
        return f"{self.kind}:{self.code}"

    def as_dict(self) -> dict:
        """Return the place for output: kind, code, name, path (and group when listed under one)."""
        found = {"kind": self.kind, "code": self.code, "name": self.name, "path": self.path}
        if self.group:
            found["group"] = self.group
        return found


def ref(kind: str, place, group: str | None = None) -> PlaceRef:
    """Return the PlaceRef of a place row."""
    return PlaceRef(ScopeKind(kind).value, place.id, place_code(kind, place), place.name, group)


def describe(kind: str, place_id: int) -> PlaceRef | None:
    """Return the PlaceRef of a place by kind and id (None when it does not exist)."""
    place = db.session.get(PLACE_MODELS[ScopeKind(kind)], place_id)
    return ref(kind, place) if place is not None else None


def parse_path(text: str, field_name: str = "place") -> tuple[str, str]:
    """Split `kind:code` into its kind and code, or 422 invalid_place."""
    match = PATH.match(text or "")
    if match is None:
        raise ValidationFailed(
            field_name, "Give a place as kind:code, e.g. district:341002000000.", "invalid_place"
        )
    return match[1], match[2]


def root(actor: Account) -> PlaceRef:
    """Return the actor's own place, the top of their drill-down (404 place_not_found without one)."""
    if actor.scope_kind is None or actor.scope_id is None:
        raise NotFound("place_not_found", "Your account has no place.")
    found = describe(actor.scope_kind, actor.scope_id)
    if found is None:
        raise NotFound("place_not_found", "Your account's place no longer exists.")
    return found


def resolve(actor: Account, kind: str, code: str) -> PlaceRef:
    """Return a place by kind and code when it lies within the actor's scope, else 404 place_not_found."""
    place = find_place(kind, code) if kind in set(ScopeKind) else None
    if (
        place is None
        or actor.scope_kind is None
        or actor.scope_id is None
        or not place_within(actor.scope_kind, actor.scope_id, kind, place.id)
    ):
        raise NotFound("place_not_found", f"No {kind} {code} in your area.")
    return ref(kind, place)


def children(place: PlaceRef) -> list[PlaceRef]:
    """Return the places one level down, in the drill-down's order (a community has none)."""
    kind = ScopeKind(place.kind)
    if kind is ScopeKind.city:
        districts = db.session.scalars(
            sa.select(District).where(District.city_id == place.id).order_by(District.code)
        )
        return [ref("district", d) for d in districts]
    if kind is ScopeKind.district:
        circles = db.session.scalars(
            sa.select(Circle).where(Circle.district_id == place.id).order_by(Circle.id)
        )
        outside = db.session.scalars(
            sa.select(Township)
            .where(Township.district_id == place.id, Township.circle_id.is_(None))
            .order_by(Township.code)
        )
        return [ref("circle", c) for c in circles] + [ref("township", t, OUTSIDE_CIRCLE) for t in outside]
    if kind is ScopeKind.circle:
        townships = list(
            db.session.scalars(
                sa.select(Township).where(Township.circle_id == place.id).order_by(Township.code)
            )
        )
        # Communities of the circle in a township of another circle (or none): drilled to directly.
        strays = db.session.scalars(
            sa.select(Community)
            .join(Township, Township.id == Community.township_id)
            .where(
                Community.circle_id == place.id,
                sa.or_(Township.circle_id.is_(None), Township.circle_id != place.id),
            )
            .order_by(Community.code)
        )
        return [ref("township", t) for t in townships] + [ref("community", c) for c in strays]
    if kind is ScopeKind.township:
        communities = db.session.scalars(
            sa.select(Community).where(Community.township_id == place.id).order_by(Community.code)
        )
        return [ref("community", c) for c in communities]
    return []


def lineage(place: PlaceRef) -> list[PlaceRef]:
    """Return the places from the city down to `place` (a township's circle when it has one)."""
    kind = ScopeKind(place.kind)
    if kind is ScopeKind.city:
        return [place]
    if kind is ScopeKind.district:
        district = db.session.get(District, place.id)
        return [ref("city", db.session.get(City, district.city_id)), place]
    if kind is ScopeKind.circle:
        circle = db.session.get(Circle, place.id)
        return [*lineage(ref("district", circle.district)), place]
    if kind is ScopeKind.township:
        township = db.session.get(Township, place.id)
        above = (
            ref("circle", township.circle)
            if township.circle is not None
            else ref("district", township.district)
        )
        return [*lineage(above), place]
    community = db.session.get(Community, place.id)
    return [*lineage(ref("township", community.township)), place]


def breadcrumbs(actor: Account, place: PlaceRef) -> list[PlaceRef]:
    """Return the places from the actor's own place down to `place` (both included)."""
    top = root(actor)
    path = lineage(place)
    if top in path:
        return path[path.index(top) :]
    # A community of the actor's circle inside another circle's township: no common line.
    return [top, place] if top != place else [top]
