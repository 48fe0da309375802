"""History: the pushes staff can follow in their place, and counts per day, kind and status.

Operators and supervisors (contractors, who work with masked data only) follow how sending
goes, not who got what: their list shows no account id, and no object id except a job's (a
public posting). The roles that may reveal personal data see both (docs/PUSH.md).
"""

from datetime import date

import sqlalchemy as sa

from app.common import clock
from app.extensions import db
from app.models import Account, Push, Role
from app.services.people.personal_data import REVEAL_ROLES
from app.services.people.scoping import scoped
from app.services.results import Page, RowWith, paginate

# Objects that name no person: their ids stay visible to every staff role.
PUBLIC_OBJECT_TYPES = frozenset({"job"})


def _seen_by(actor: Account):
    """Return how the actor sees one push: whole, or without whom and what it was about."""
    if Role(actor.role) in REVEAL_ROLES:
        return lambda push: push

    def masked(push: Push) -> RowWith:
        """Hide the recipient, and the object unless it is public."""
        object_id = push.object_id if push.object_type in PUBLIC_OBJECT_TYPES else None
        return RowWith(push, account_id=None, object_id=object_id)

    return masked


def list_pushes(
    actor: Account, page: int, per_page: int, status=None, kind=None, day: date | None = None
) -> Page:
    """Return one page of pushes to people in the actor's place, newest first, masked for the role."""
    statement = scoped(sa.select(Push), Push, actor)
    if status:
        statement = statement.where(Push.status == status)
    if kind:
        statement = statement.where(Push.kind == kind)
    if day:
        statement = statement.where(Push.day == day)
    found = paginate(statement, page, per_page, order_by=(Push.id.desc(),))
    found.items = [_seen_by(actor)(push) for push in found.items]
    return found


def daily_counts(actor: Account, date_from: date | None = None, date_to: date | None = None) -> list[dict]:
    """Return pushes per local day, kind and status in the actor's place (default the last 7 days)."""
    date_from, date_to = clock.day_range(date_from, date_to)
    rows = db.session.execute(
        scoped(
            sa.select(Push.day, Push.kind, Push.status, sa.func.count())
            .where(Push.day.between(date_from, date_to))
            .group_by(Push.day, Push.kind, Push.status),
            Push,
            actor,
        ).order_by(Push.day, Push.kind, Push.status)
    ).all()
    return [{"date": day, "kind": kind, "status": status, "count": n} for day, kind, status, n in rows]
