"""History: the pushes staff can follow in their place, and counts per day, kind and status."""

from datetime import date

import sqlalchemy as sa

from app.common import clock
from app.extensions import db
from app.models import Account, Push
from app.services.people.scoping import scoped
from app.services.results import Page, paginate


def list_pushes(
    actor: Account, page: int, per_page: int, status=None, kind=None, day: date | None = None
) -> Page:
    """Return one page of pushes to people in the actor's place, newest first."""
    statement = scoped(sa.select(Push), Push, actor)
    if status:
        statement = statement.where(Push.status == status)
    if kind:
        statement = statement.where(Push.kind == kind)
    if day:
        statement = statement.where(Push.day == day)
    return paginate(statement, page, per_page, order_by=(Push.id.desc(),))


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
