"""The entry point of the API and the console: who sees which section; a section of a place and month.

Grid workers see no statistics (their own progress is /grid/progress); station staff see the
stations and jobs sections; operators, township, district and city admins and supervisors see
every section; each in their own place and below it (drill-down beyond it is a 404).
"""

from datetime import date

from app.common.clock import local_day
from app.errors import Forbidden, ValidationFailed
from app.models import Account, Role
from app.services.grid.snapshots import parse_month
from app.services.stats import cache, labels
from app.services.stats.grid import grid
from app.services.stats.jobs import jobs
from app.services.stats.people import people
from app.services.stats.places import PlaceRef, breadcrumbs, children, parse_path, resolve, root
from app.services.stats.push import push
from app.services.stats.stations import stations
from app.services.stats.zero_employment import zero_employment

SECTIONS = {
    "people": people,
    "zero_employment": zero_employment,
    "grid": grid,
    "jobs": jobs,
    "stations": stations,
    "push": push,
}
OFFICIALS = frozenset(
    {Role.operator, Role.township_admin, Role.district_admin, Role.city_admin, Role.supervisor}
)
SECTION_ROLES = {
    "people": OFFICIALS,
    "zero_employment": OFFICIALS,
    "grid": OFFICIALS,
    "jobs": OFFICIALS | {Role.station_staff},
    "stations": OFFICIALS | {Role.station_staff},
    "push": OFFICIALS,
}


def sections_for(actor: Account) -> list[str]:
    """Return the sections the actor may see, in the dashboard's order."""
    return [name for name, roles in SECTION_ROLES.items() if actor.role in roles]


def month_of(text: str | None) -> date:
    """Return the first day of a YYYY-MM month (default this month); 422 invalid_month, future_month."""
    this_month = local_day().replace(day=1)
    if text is None:
        return this_month
    month = parse_month(text)
    if month > this_month:
        raise ValidationFailed("month", f"{text} has not begun.", code="future_month")
    return month


def place_of(actor: Account, path: str | None) -> PlaceRef:
    """Return the place a `kind:code` names within the actor's scope (default: the actor's own place)."""
    if path is None:
        return root(actor)
    return resolve(actor, *parse_path(path))


def section(actor: Account, name: str, place: str | None = None, month: str | None = None) -> dict:
    """Return one section of a place (`kind:code`, default the actor's) and month (YYYY-MM, default this one).

    403 role_forbidden when the actor's role may not see it, 404 place_not_found beyond their
    scope, 422 invalid_place / invalid_month / future_month. Answers come through the cache.
    """
    if actor.role not in SECTION_ROLES.get(name, ()):
        raise Forbidden("role_forbidden", "Your role may not see these statistics.")
    where, when = place_of(actor, place), month_of(month)
    return cache.cached(name, where, when, lambda: SECTIONS[name](actor, where, when))


def places(actor: Account, place: str | None = None) -> dict:
    """Return the drill-down at a place (default the actor's): breadcrumbs, children, sections."""
    names = sections_for(actor)
    if not names:
        raise Forbidden("role_forbidden", "Your role may not see these statistics.")
    top, where = root(actor), place_of(actor, place)
    return {
        "place": where.as_dict(),
        "kind_name": labels.PLACE_KINDS[where.kind],
        "root": top.as_dict(),
        "breadcrumbs": [p.as_dict() for p in breadcrumbs(actor, where)],
        "children": [p.as_dict() for p in children(where)],
        "sections": [{"name": n, "title": labels.SECTIONS[n]} for n in names],
    }
