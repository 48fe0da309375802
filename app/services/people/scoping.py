"""Place scoping of people-data: the one place that decides what a staff member may see.

Every staff account is placed at one level (community ⊂ township ⊂ circle ⊂ district ⊂ city),
and every people-data row carries the ids of all five levels, so "in my place" is one indexed
equality. A grid worker sees people (residents, households, visits, cases, pushes) only in the
communities assigned to them, not across their whole place: the minimum they need. An object
outside the caller's place is a 404, never a 403: nothing leaks about what exists.
"""

import sqlalchemy as sa

from app.errors import NotFound
from app.extensions import db
from app.models import (
    STAFF_ROLES,
    Account,
    GridAssignment,
    Household,
    LedgerSnapshot,
    Push,
    Resident,
    Role,
    ScopeKind,
    Visit,
    ZeroEmploymentCase,
)

# The column on a people-data model that holds the place id of each scope level.
SCOPE_COLUMNS = {
    ScopeKind.community: "community_id",
    ScopeKind.township: "township_id",
    ScopeKind.circle: "circle_id",
    ScopeKind.district: "district_id",
    ScopeKind.city: "city_id",
}

# Rows whose place is where a person lives: a grid worker reads these only in the communities
# assigned to them. Stations, events, check-ins (placed at the station), jobs and employers stay
# visible across the worker's whole place.
PEOPLE_MODELS = frozenset({Resident, Household, Visit, ZeroEmploymentCase, LedgerSnapshot, Push})


def _placed(account: Account) -> bool:
    """Tell whether the account is staff with a place (anyone else sees no people-data)."""
    return account.role in STAFF_ROLES and account.scope_kind is not None and account.scope_id is not None


def scope_clause(model, account: Account):
    """Return the WHERE clause that limits `model` rows to the account's place.

    For a grid worker and rows about people, also to the communities assigned to them.
    """
    if not _placed(account):
        # Anyone without a place sees no people-data; false() keeps it a valid query.
        return sa.false()
    clause = getattr(model, SCOPE_COLUMNS[ScopeKind(account.scope_kind)]) == account.scope_id
    if account.role == Role.grid_worker and model in PEOPLE_MODELS:
        clause = sa.and_(clause, model.community_id.in_(assigned_communities(account)))
    return clause


def in_scope(place_ids, account: Account) -> bool:
    """Tell whether a row (or a dict of place columns) lies in a staff account's place.

    The place rule of scope_clause, in Python, for a row already loaded or about to be written;
    a grid worker's assigned communities are the caller's to check (an assignment is checked
    against the place, not against itself).
    """
    if not _placed(account):
        return False
    column = SCOPE_COLUMNS[ScopeKind(account.scope_kind)]
    value = place_ids[column] if isinstance(place_ids, dict) else getattr(place_ids, column)
    return value == account.scope_id


def scoped(statement, model, account: Account):
    """Limit a SELECT of people-data to the account's place."""
    return statement.where(scope_clause(model, account))


def get_in_scope(model, object_id: int, account: Account, code: str, message: str | None = None):
    """Load one people-data row in the account's place, or 404 (never 403: no leak)."""
    found = db.session.scalar(scoped(sa.select(model).where(model.id == object_id), model, account))
    if found is None:
        raise NotFound(code, message or f"No {model.__name__.lower()} {object_id} in your area.")
    return found


def assigned_communities(account: Account):
    """Return a SELECT of the ids of the communities assigned to a grid worker."""
    return sa.select(GridAssignment.community_id).where(GridAssignment.account_id == account.id)


def worked_on(statement, model, account: Account):
    """Limit rows with place columns to what a staff member works on.

    Everyone sees their place; a grid worker, within it, only the communities assigned to them
    (for PEOPLE_MODELS scoped() already says so; this covers any other model with place columns).
    """
    statement = scoped(statement, model, account)
    if account.role == Role.grid_worker:
        statement = statement.where(model.community_id.in_(assigned_communities(account)))
    return statement
