"""Lists: every list and work queue of the staff console, defined once for its pages and exports.

base (Column, Filter, Listing: the checks of filters, sorts and paging, masking, display helpers),
labels (Chinese labels of codes), and one module per listing: residents, households,
zero_employment_cases, employers (to verify), jobs (to review), job_reports, stations,
station_staff, grid_workers, staff_accounts, audit_events, check_ins, certifications,
employer_visits (two: the visits, and their hiring needs), registrations. Here: the registry
and what pages and exports call (get, names, page, count, stream, may_reveal, describe_filters).

A listing's rows are plain dicts of display values, keyed by its columns' keys, plus "id" and,
where a page acts on a code, "<key>_code". Personal data is masked in every row unless shown:
a page shows names (as the API does) and never full ID numbers, phones or addresses; a stream
shows everything only when asked to and allowed (may_reveal), and the exporter audits that.
A role a listing is not for gets 403 role_forbidden (the API's answer to a role); rows outside
the actor's place are simply not there.

May import: the wings below it (registrations, push, jobs, stations, grid, people), results, models,
app.common, app.extensions, app.errors. Not stats (a sibling) or exports (above it).
"""

from collections.abc import Iterator, Mapping

import sqlalchemy as sa

from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Account
from app.services.lists import (
    audit_events,
    certifications,
    check_ins,
    employer_visits,
    employers,
    grid_workers,
    households,
    job_reports,
    jobs,
    registrations,
    residents,
    staff_accounts,
    station_staff,
    stations,
    zero_employment_cases,
)
from app.services.lists.base import MAX_PAGE, MAX_PER_PAGE, PAGE_SHOWS, Listing, PlaceFilter
from app.services.lists.labels import label
from app.services.people.personal_data import REVEAL_ROLES
from app.services.results import Page

# Rows a stream loads per query: a 100,000-row export never holds more than this many at once.
BATCH_SIZE = 1000

REGISTRY: dict[str, Listing] = {
    listing.name: listing
    for listing in (
        residents.LISTING,
        households.LISTING,
        zero_employment_cases.LISTING,
        employers.LISTING,
        jobs.LISTING,
        job_reports.LISTING,
        stations.LISTING,
        station_staff.LISTING,
        grid_workers.LISTING,
        staff_accounts.LISTING,
        audit_events.LISTING,
        check_ins.LISTING,
        certifications.LISTING,
        employer_visits.VISITS,
        employer_visits.NEEDS,
        registrations.LISTING,
    )
}


def get(name: str) -> Listing:
    """Return the listing of this name, or 404."""
    listing = REGISTRY.get(name)
    if listing is None:
        raise NotFound("list_not_found", f"No list called {name}.")
    return listing


def names(actor: Account) -> list[str]:
    """Return the names of the listings the actor's role may open, in the console's order."""
    return [name for name, listing in REGISTRY.items() if actor.role in listing.roles]


def may_reveal(actor: Account) -> bool:
    """Tell whether the actor may ask for full personal data (each such read is audited by the caller)."""
    return actor.role in REVEAL_ROLES


def _open(name: str, actor: Account) -> Listing:
    """Return a listing the actor's role may open: 404 if there is none, 403 if not theirs."""
    listing = get(name)
    if actor.role not in listing.roles:
        raise Forbidden("role_forbidden", "Your role may not open this list.")
    return listing


def _load(statement) -> list:
    """Run a listing's SELECT: its objects, or its rows when it selects several entities."""
    result = db.session.execute(statement)
    if len(statement.column_descriptions) == 1:
        return list(result.scalars())
    return list(result)


def _count_statement(listing: Listing, statement):
    """Return the COUNT of a listing's SELECT: a plain one over one table, else over a subquery."""
    if statement.get_final_froms() == [listing.model.__table__]:
        # The big tables (residents, the audit log) count without a derived table.
        where = () if statement.whereclause is None else (statement.whereclause,)
        return sa.select(sa.func.count()).select_from(listing.model).where(*where)
    return sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())


def page(
    name: str,
    actor: Account,
    filters: Mapping | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    """Return one page of a listing as the actor sees it: row dicts (masked), page, per_page, total."""
    listing = _open(name, actor)
    if not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise ValidationFailed("page", f"The page number runs from 1 to {MAX_PAGE}.", code="invalid_page")
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed("per_page", f"Between 1 and {MAX_PER_PAGE} rows a page.")
    order = listing.order_by(sort)
    statement = listing.select(actor, listing.clean(filters))
    total = db.session.scalar(_count_statement(listing, statement))
    objs = _load(
        statement.options(*listing.options).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    )
    return Page(listing.rows(objs, PAGE_SHOWS), page, per_page, total)


def count(name: str, actor: Account, filters: Mapping | None = None) -> int:
    """Return how many rows of a listing the actor sees with these filters."""
    listing = _open(name, actor)
    return db.session.scalar(_count_statement(listing, listing.select(actor, listing.clean(filters))))


def stream(name: str, actor: Account, filters: Mapping | None = None, reveal: bool = False) -> Iterator[dict]:
    """Yield every row of a listing the actor sees, BATCH_SIZE rows per query, in keyset order.

    Checks (role, filters, reveal) run now, before the first row; rows come from keyset pages
    (WHERE key > last ORDER BY key LIMIT BATCH_SIZE), so memory stays bounded at any size and
    no cursor is held between batches. `reveal` shows full personal data: only for roles that
    may_reveal (else 403 reveal_forbidden); the caller audits the read.
    """
    listing = _open(name, actor)
    if reveal and not may_reveal(actor):
        raise Forbidden("reveal_forbidden", "Your role works with masked personal data only.")
    statement = listing.select(actor, listing.clean(filters)).options(*listing.options)
    return _batches(listing, statement, bool(reveal))


def _after(listing: Listing, last: tuple):
    """Return the WHERE clause of the rows after `last` in the listing's stream order."""
    keys = listing.keyset
    if len(keys) == 1:
        return keys[0] < last[0] if listing.newest_first else keys[0] > last[0]
    row, bound = sa.tuple_(*keys), sa.tuple_(*last)
    return row < bound if listing.newest_first else row > bound


def _batches(listing: Listing, statement, reveal: bool) -> Iterator[dict]:
    """Yield the rows of `statement` batch by batch (keyset paging)."""
    order = [key.desc() if listing.newest_first else key.asc() for key in listing.keyset]
    last = None
    while True:
        batch = statement if last is None else statement.where(_after(listing, last))
        objs = _load(batch.order_by(*order).limit(BATCH_SIZE))
        if not objs:
            return
        yield from listing.rows(objs, reveal)
        if len(objs) < BATCH_SIZE:
            return
        last = listing.key_of(objs[-1])


def describe_filters(name: str, filters: Mapping | None = None) -> list[tuple[str, str]]:
    """Return (中文 label, shown value) of each filter in force, for an export's title row."""
    listing = get(name)
    described = []
    for key, value in listing.clean(filters).items():
        spec = listing.filter(key)
        if isinstance(value, PlaceFilter):
            shown = f"{label('scope_kind', value.kind)} {value.name}"
        elif spec.kind == "choice":
            shown = dict(spec.choices).get(value, value)
        else:
            shown = str(value)
        described.append((spec.label, shown))
    return described
