"""Populations (常住人口): the figures the fees are computed from, each with its source and date.

Append-only: the city admin enters a figure for a place and the newest row is in force; the
older rows are its history. Without a row the seed's figure stands (City.population and
District.population from the 七普 places data; Community.population as imported), with the source
"种子数据". Only the city admin enters figures (the money is the city's); district admins read
their district's, supervisors their place's district or the city.
"""

from datetime import date

import sqlalchemy as sa

from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.models import Circle, City, Community, District, PlacePopulation, Role, ScopeKind, Township
from app.services.people import audit
from app.services.people.places import describe_place, find_place

KINDS = ("city", "district", "township", "community")
READ_ROLES = frozenset({Role.city_admin, Role.district_admin, Role.supervisor})
SEED_SOURCE = "种子数据"
HISTORY_MAX = 10


def _seed(kind: str, ids) -> dict[int, int | None]:
    """Return {id: the seed's population column} (townships have none)."""
    model = {"city": City, "district": District, "community": Community}.get(kind)
    if model is None or not ids:
        return {}
    return dict(
        db.session.execute(sa.select(model.id, model.population).where(model.id.in_(list(ids)))).all()
    )


def in_force(kind: str, ids) -> dict[int, dict]:
    """Return {id: {population, urban_population, source, as_of, entered}} of places with a figure."""
    ids = list(ids)
    if not ids:
        return {}
    newest = (
        sa.select(sa.func.max(PlacePopulation.id))
        .where(PlacePopulation.place_kind == kind, PlacePopulation.place_id.in_(ids))
        .group_by(PlacePopulation.place_id)
    )
    found = {
        row.place_id: {
            "population": row.population,
            "urban_population": row.urban_population,
            "source": row.source,
            "as_of": row.as_of,
            "entered": True,
        }
        for row in db.session.scalars(sa.select(PlacePopulation).where(PlacePopulation.id.in_(newest)))
    }
    for place_id, population in _seed(kind, [i for i in ids if i not in found]).items():
        if population is not None:
            found[place_id] = {
                "population": population,
                "urban_population": None,
                "source": SEED_SOURCE,
                "as_of": None,
                "entered": False,
            }
    return found


def _reader_places(actor) -> tuple[list[int], list[int]]:
    """Return the (city ids, district ids) the actor reads the populations of."""
    if actor.role not in READ_ROLES or actor.scope_kind is None or actor.scope_id is None:
        raise Forbidden("role_forbidden", "Your role may not read populations.")
    kind = ScopeKind(actor.scope_kind)
    if kind is ScopeKind.city:
        districts = db.session.scalars(sa.select(District.id).where(District.city_id == actor.scope_id)).all()
        return [actor.scope_id], list(districts)
    if kind is ScopeKind.district:
        return [], [actor.scope_id]
    if kind is ScopeKind.township:
        return [], [db.session.get(Township, actor.scope_id).district_id]
    if kind is ScopeKind.circle:
        return [], [db.session.get(Circle, actor.scope_id).district_id]
    community = db.session.get(Community, actor.scope_id)
    return [], [db.session.get(Township, community.township_id).district_id]


def list_populations(actor) -> list[dict]:
    """List the city's and districts' populations in force in my place, each with its history."""
    cities, districts = _reader_places(actor)
    rows = []
    for kind, ids in (("city", cities), ("district", districts)):
        figures = in_force(kind, ids)
        for place_id in ids:
            history = db.session.scalars(
                sa.select(PlacePopulation)
                .where(PlacePopulation.place_kind == kind, PlacePopulation.place_id == place_id)
                .order_by(PlacePopulation.id.desc())
                .limit(HISTORY_MAX)
            ).all()
            rows.append(
                {
                    "place": describe_place(kind, place_id),
                    **(
                        figures.get(place_id)
                        or {"population": None, "urban_population": None, "source": None}
                    ),
                    "history": [_row(each) for each in history],
                }
            )
    return rows


def _row(row: PlacePopulation) -> dict:
    return {
        "id": row.id,
        "population": row.population,
        "urban_population": row.urban_population,
        "source": row.source,
        "as_of": row.as_of,
        "created_at": row.created_at,
    }


def set_population(actor, values: dict, ip: str | None = None) -> tuple[dict, bool]:
    """Enter a place's population (city admin), audited; the same figure again is not written twice."""
    if actor.role != Role.city_admin:
        raise Forbidden("role_forbidden", "Only the city admin enters populations.")
    kind = values["place_kind"]
    place = find_place(kind, values["place_code"])
    if place is None:
        raise ValidationFailed("place_code", f"No {kind} {values['place_code']}.", code="unknown_place")
    city_id = place.id if kind == "city" else _city_of(kind, place)
    if city_id != actor.scope_id:
        raise ValidationFailed("place_code", "The place is not in your city.", code="scope_outside_yours")
    urban = values.get("urban_population")
    if urban is not None and urban > values["population"]:
        raise ValidationFailed(
            "urban_population", "The urban population is part of the population.", code="urban_above_total"
        )
    newest = db.session.scalar(
        sa.select(PlacePopulation)
        .where(PlacePopulation.place_kind == kind, PlacePopulation.place_id == place.id)
        .order_by(PlacePopulation.id.desc())
        .limit(1)
    )
    same = ("population", "urban_population", "source", "as_of")
    entered = {"population": values["population"], "urban_population": urban}
    entered.update(source=values["source"].strip(), as_of=values["as_of"])
    if newest is not None and all(getattr(newest, name) == entered[name] for name in same):
        return {"place": describe_place(kind, place.id), **_row(newest)}, False
    row = PlacePopulation(place_kind=kind, place_id=place.id, created_by_id=actor.id, **entered)
    db.session.add(row)
    db.session.flush()
    audit.record(
        "population.set",
        actor=actor,
        object_type="place_population",
        object_id=row.id,
        ip=ip,
        detail={
            "place": f"{kind}:{values['place_code']}",
            "population": row.population,
            "source": row.source,
        },
    )
    db.session.commit()
    return {"place": describe_place(kind, place.id), **_row(row)}, True


def _city_of(kind: str, place) -> int:
    """Return the city id of a district, township or community."""
    if kind == "district":
        return place.city_id
    if kind == "township":
        return place.district.city_id
    return place.township.district.city_id


def as_of_default() -> date:
    """Return the 七普's reference day (2020-11-01), the demo's and a form's default."""
    return date(2020, 11, 1)
