"""A console dashboard page in one call: the drill-down at a place, one section, and the place's map.

The console's dashboard shows the same figures as the JSON API (report.section), beside the
drill-down (report.places: breadcrumbs, children, the sections the viewer may open) and, on the
stations section, a map of the place's stations and communities from our own coordinates (no
online tiles): points on plain longitude/latitude axes, cached like a section.
"""

import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Account, Community, Station
from app.services.people.places import places_inside
from app.services.stats import cache, labels, report
from app.services.stats.base import in_place
from app.services.stats.places import PlaceRef

# The sections whose page shows the map.
MAP_SECTIONS = frozenset({"stations"})


def dashboard(actor: Account, section: str | None, place: str | None, month: str | None) -> dict:
    """Return a dashboard page: the drill-down at `place` (kind:code), the chosen section, the map.

    `section` defaults to the first the actor may see; 422 invalid_section for a name that is no
    section, 403 role_forbidden for one the role may not see, 404 place_not_found beyond scope,
    422 invalid_month / future_month (see report.section).
    """
    drill = report.places(actor, place)
    chosen = section or drill["sections"][0]["name"]
    if chosen not in report.SECTIONS:
        raise ValidationFailed("section", f"No section {chosen}.", code="invalid_section")
    data = report.section(actor, chosen, place, month)
    where = report.place_of(actor, place)
    found = {**drill, "section": data, "title": labels.SECTIONS[chosen], "map": None}
    if chosen in MAP_SECTIONS:
        found["map"] = cache.cached("map", where, report.month_of(month), lambda: points(where))
    return found


def points(place: PlaceRef) -> dict:
    """Return the place's located communities and stations as map points: {name, code, lng, lat}."""
    community_ids = places_inside(place.kind, place.id)["community"]
    communities = db.session.execute(
        sa.select(Community.code, Community.name, Community.lng, Community.lat)
        .where(Community.id.in_(community_ids), Community.lat.is_not(None), Community.lng.is_not(None))
        .order_by(Community.code)
    ).all()
    stations = db.session.execute(
        sa.select(Station.code, Station.name, Station.lng, Station.lat)
        .where(
            in_place(Station, place),
            Station.is_active.is_(True),
            Station.lat.is_not(None),
            Station.lng.is_not(None),
        )
        .order_by(Station.code)
    ).all()

    def point(row) -> dict:
        return {"code": row.code, "name": row.name, "lng": row.lng, "lat": row.lat}

    return {
        "communities": [point(row) for row in communities],
        "stations": [point(row) for row in stations],
    }
