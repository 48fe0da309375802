"""An operator's work in a month: the circles it answered for, day by day, and what was done there.

Which operator answers for a circle on a day is programme/responsibility.py's rule, taken as it
stands: the work of an operator in a month is what happened in a circle on a day the operator
answered for that circle (a contract changing mid-month splits the month between operators).
Counted: door visits (上门走访, the plan's visit days and coverage), registrations decided
(accepted or rejected: reviewed_at) and claims decided (approved or rejected: decided_at) of
residents, each placed where the resident lives. Spot-check samples and KPIs both read this.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.common.clock import local_day, month_end, utc_start_of
from app.extensions import db
from app.models import (
    Circle,
    CircleStatus,
    Claim,
    ClaimStatus,
    Registration,
    RegistrationStatus,
    Visit,
    VisitChannel,
)
from app.services.programme.responsibility import operators_of_circles

# A registration or claim counts as handled once decided either way.
DECIDED_REGISTRATIONS = (
    RegistrationStatus.accepted.value,
    RegistrationStatus.rejected.value,
    RegistrationStatus.ended.value,
)
DECIDED_CLAIMS = (ClaimStatus.approved.value, ClaimStatus.paid.value, ClaimStatus.rejected.value)

# {operator id: {circle id: the days of the month it answered for the circle}}
Answered = dict[int, dict[int, set[date]]]


def days_of(month: date) -> list[date]:
    """Return the month's days, up to today for the month in progress."""
    last = min(month_end(month), local_day())
    return [month + timedelta(days=n) for n in range((last - month).days + 1)]


def answered(month: date, district_ids=None) -> Answered:
    """Return which circles each operator answered for on which days of the month (its districts only)."""
    statement = sa.select(Circle.id).where(Circle.status != CircleStatus.draft.value)
    if district_ids is not None:
        statement = statement.where(Circle.district_id.in_(list(district_ids)))
    circles = db.session.scalars(statement.order_by(Circle.id)).all()
    found: Answered = defaultdict(lambda: defaultdict(set))
    if not circles:
        return {}
    # Two queries a day: a month is at most 62 small queries, whatever the number of operators.
    for day in days_of(month):
        for circle_id, operator_id in operators_of_circles(circles, day).items():
            if operator_id is not None:
                found[operator_id][circle_id].add(day)
    return {operator: dict(days) for operator, days in found.items()}


def window(month: date) -> tuple[datetime, datetime]:
    """Return the naive-UTC moments the month begins and ends (the next month's start)."""
    return utc_start_of(month), utc_start_of(month_end(month) + timedelta(days=1))


def door_visits(circle_days: dict[int, set[date]], month: date) -> list:
    """Return the month's door visits in the circles on their days: id, household, circle, day, worker."""
    if not circle_days:
        return []
    rows = db.session.execute(
        sa.select(Visit.id, Visit.household_id, Visit.circle_id, Visit.visit_day, Visit.worker_id)
        .where(
            Visit.channel == VisitChannel.door.value,
            Visit.visit_day >= month,
            Visit.visit_day <= month_end(month),
            Visit.circle_id.in_(list(circle_days)),
        )
        .order_by(Visit.id)
    ).all()
    return [row for row in rows if row.visit_day in circle_days[row.circle_id]]


def registrations_decided(circle_days: dict[int, set[date]], month: date) -> list:
    """Return the month's registrations decided in the circles on their days: id, resident, circle, by."""
    if not circle_days:
        return []
    start, end = window(month)
    rows = db.session.execute(
        sa.select(
            Registration.id,
            Registration.resident_id,
            Registration.circle_id,
            Registration.reviewed_at,
            Registration.reviewed_by_id.label("handled_by_id"),
        )
        .where(
            Registration.status.in_(DECIDED_REGISTRATIONS),
            Registration.reviewed_at >= start,
            Registration.reviewed_at < end,
            Registration.circle_id.in_(list(circle_days)),
        )
        .order_by(Registration.id)
    ).all()
    return [row for row in rows if local_day(row.reviewed_at) in circle_days[row.circle_id]]


def claims_decided(circle_days: dict[int, set[date]], month: date) -> list:
    """Return the month's residents' claims decided in the circles on their days: id, resident, circle."""
    if not circle_days:
        return []
    start, end = window(month)
    rows = db.session.execute(
        sa.select(Claim.id, Claim.resident_id, Claim.circle_id, Claim.decided_at)
        .where(
            Claim.status.in_(DECIDED_CLAIMS),
            Claim.resident_id.is_not(None),
            Claim.decided_at >= start,
            Claim.decided_at < end,
            Claim.circle_id.in_(list(circle_days)),
        )
        .order_by(Claim.id)
    ).all()
    return [row for row in rows if local_day(row.decided_at) in circle_days[row.circle_id]]
