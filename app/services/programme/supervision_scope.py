"""Who reads and works the supervision (监理) records, and where.

Samples are drawn per district, so their call lists belong to readers placed over a whole
district: the supervisor draws and rings, the district and city admins read. A reader placed
below a district (a circle's supervisor) works from findings, which are placed where they arose
and scoped like people-data. An operator's accounts read the findings and KPIs of their own
operator (accounts.operator_id), wherever its circles are.
"""

import sqlalchemy as sa

from app.errors import Forbidden
from app.models import Account, Role, ScopeKind

SAMPLE_READERS = frozenset({Role.supervisor, Role.district_admin, Role.city_admin})
FINDING_READERS = frozenset({Role.supervisor, Role.district_admin, Role.city_admin, Role.operator})


def require_role(actor: Account, roles) -> None:
    """Refuse a role outside `roles` (403 role_forbidden)."""
    if actor.role not in roles:
        raise Forbidden("role_forbidden", "Your role may not use this.")


def district_reader(actor: Account, roles=SAMPLE_READERS) -> None:
    """Refuse anyone but the roles given placed over a whole district or the city."""
    require_role(actor, roles)
    if actor.scope_kind not in (ScopeKind.district.value, ScopeKind.city.value) or actor.scope_id is None:
        raise Forbidden(
            "district_scope_required", "Spot-check samples are read by staff over a whole district."
        )


def district_clause(model, actor: Account):
    """Return the WHERE clause of rows (with district_id and city_id) of the reader's district or city."""
    if actor.scope_kind == ScopeKind.city.value:
        return model.city_id == actor.scope_id
    if actor.scope_kind == ScopeKind.district.value:
        return model.district_id == actor.scope_id
    return sa.false()


def reads_district(actor: Account, district_id: int, city_id: int) -> bool:
    """Tell whether a district-or-city reader's place holds the district."""
    if actor.scope_kind == ScopeKind.city.value:
        return actor.scope_id == city_id
    return actor.scope_kind == ScopeKind.district.value and actor.scope_id == district_id
