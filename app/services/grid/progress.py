"""Progress: a grid worker's visit days this month against the target, and this quarter's coverage."""

from datetime import date

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day, month_end, month_start, quarter_start
from app.extensions import db
from app.models import Account, Community, Household, Role, Visit, VisitOutcome
from app.services.grid.assignment import communities_of
from app.services.grid.checklist import moved_away
from app.services.people.scoping import worked_on


def progress(actor: Account, as_of: date | None = None) -> dict:
    """Return this month's visit days against the target (pro-rated) and this quarter's coverage."""
    today = as_of or local_day()
    first, last = month_start(today), month_end(today)
    visit_days = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Visit.visit_day))).where(
            Visit.worker_id == actor.id, Visit.visit_day.between(first, today)
        )
    )
    target = current_app.config["VISIT_DAYS_TARGET"]
    # Pro-rated: by day d of an n-day month, floor(target · d / n) visit days are due.
    expected = target * today.day // last.day
    quarter = quarter_start(today)
    return {
        "as_of": today,
        "month": {
            "visit_days": visit_days,
            "target": target,
            "expected_by_now": expected,
            "on_track": visit_days >= expected,
        },
        "quarter": {"start": quarter, "communities": _coverage(actor, quarter, today)},
    }


def _coverage(actor: Account, start: date, end: date) -> list[dict]:
    """Per community the worker works on: households, those met this quarter, and attempts.

    Households that moved away (checklist.moved_away) are counted apart, in neither the
    households nor the met: the quarter's target is every household that lives there.
    """
    moved_ids = moved_away(actor, end)
    by_community = worked_on(sa.select(Household.community_id, sa.func.count()), Household, actor).group_by(
        Household.community_id
    )
    totals = dict(db.session.execute(by_community.where(Household.id.not_in(moved_ids))).all())
    moved = dict(db.session.execute(by_community.where(Household.id.in_(moved_ids))).all())
    for community_id in moved:
        totals.setdefault(community_id, 0)
    if actor.role == Role.grid_worker:  # an assigned community without households shows as 0 of 0
        for community in communities_of(actor.id):
            totals.setdefault(community.id, 0)
    in_window = sa.and_(Visit.visit_day.between(start, end), Visit.community_id.in_(list(totals)))
    met = dict(
        db.session.execute(
            sa.select(Visit.community_id, sa.func.count(sa.distinct(Visit.household_id)))
            .where(in_window, Visit.outcome == VisitOutcome.met, Visit.household_id.not_in(moved_ids))
            .group_by(Visit.community_id)
        ).all()
    )
    attempts = {}
    for community_id, outcome, count in db.session.execute(
        sa.select(Visit.community_id, Visit.outcome, sa.func.count())
        .where(in_window, Visit.outcome.in_([VisitOutcome.not_home, VisitOutcome.refused]))
        .group_by(Visit.community_id, Visit.outcome)
    ):
        attempts.setdefault(community_id, {})[outcome] = count
    names = {c.id: c for c in db.session.scalars(sa.select(Community).where(Community.id.in_(list(totals))))}
    rows = []
    for community_id in sorted(totals, key=lambda i: names[i].code if i in names else ""):
        total, done = totals[community_id], met.get(community_id, 0)
        rows.append(
            {
                "community": {"code": names[community_id].code, "name": names[community_id].name}
                if community_id in names
                else None,
                "households": total,
                "met": done,
                "coverage": round(done / total, 4) if total else 0.0,
                "target": 1.0,
                "not_home": attempts.get(community_id, {}).get(VisitOutcome.not_home, 0),
                "refused": attempts.get(community_id, {}).get(VisitOutcome.refused, 0),
                "moved": moved.get(community_id, 0),
            }
        )
    return rows
