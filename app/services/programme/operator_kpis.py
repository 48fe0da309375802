"""Per-operator figures of a month (运营机构考核指标): what the supervisor and the admins compare.

Over the circles in the reader's place (a city or district admin or supervisor: all of theirs; a
circle's supervisor: that circle), for each operator that answered for any of them that month
(programme/operator_work.py): the circles, door-visit days per circle (the lowest, and how many
circles reached VISIT_DAYS_TARGET), the quarter's door-visit coverage of the circles' households
up to the month's end, the month's spot-check calls (made, reached, confirmed, correct, mean
satisfaction), findings (raised that month; open, overdue, answered, closed now) and the
registrations and claims it decided. An operator's accounts read their own operator's row only.
"""

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day, month_end, month_start, quarter_start
from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    Circle,
    Community,
    District,
    Finding,
    FindingStatus,
    Household,
    Operator,
    Role,
    ScopeKind,
    SpotCheck,
    SpotCheckSample,
    Township,
    Visit,
    VisitChannel,
)
from app.services.programme import operator_work
from app.services.programme.supervision_scope import FINDING_READERS, require_role


def _view(actor: Account) -> tuple[list[int], set[int] | None]:
    """Return the districts and (None: all of theirs) circles the reader's figures cover."""
    kind, place_id = actor.scope_kind, actor.scope_id
    if actor.role == Role.operator:
        # An operator's own figures, wherever its circles are.
        districts = db.session.scalars(
            sa.select(District.id).where(District.city_id == _city_of(actor))
        ).all()
        return list(districts), None
    if kind == ScopeKind.city.value:
        return list(db.session.scalars(sa.select(District.id).where(District.city_id == place_id))), None
    if kind == ScopeKind.district.value:
        return [place_id], None
    circle_id = place_id if kind == ScopeKind.circle.value else None
    if kind == ScopeKind.township.value:
        circle_id = db.session.scalar(sa.select(Township.circle_id).where(Township.id == place_id))
    elif kind == ScopeKind.community.value:
        circle_id = db.session.scalar(sa.select(Community.circle_id).where(Community.id == place_id))
    circle = db.session.get(Circle, circle_id) if circle_id else None
    return ([circle.district_id], {circle.id}) if circle else ([], set())


def _city_of(actor: Account) -> int | None:
    """Return the city of an operator account's operator."""
    operator = db.session.get(Operator, actor.operator_id) if actor.operator_id else None
    return operator.city_id if operator else None


def _visit_days(circle_days: dict[int, set[date]], month: date) -> dict[int, int]:
    """Return {circle id: door-visit days of the month on days the operator answered for it}."""
    days: dict[int, set[date]] = defaultdict(set)
    if circle_days:
        rows = db.session.execute(
            sa.select(Visit.circle_id, Visit.visit_day)
            .where(
                Visit.channel == VisitChannel.door.value,
                Visit.visit_day >= month,
                Visit.visit_day <= month_end(month),
                Visit.circle_id.in_(list(circle_days)),
            )
            .distinct()
        ).all()
        for row in rows:
            if row.visit_day in circle_days[row.circle_id]:
                days[row.circle_id].add(row.visit_day)
    return {circle_id: len(days[circle_id]) for circle_id in circle_days}


def _coverage(circle_ids: list[int], month: date) -> dict:
    """Return the quarter's door-visit coverage of the circles' households, up to the month's end."""
    if not circle_ids:
        return {"households": 0, "visited": 0, "percent": None}
    end = min(month_end(month), local_day())
    households = db.session.scalar(
        sa.select(sa.func.count()).select_from(Household).where(Household.circle_id.in_(circle_ids))
    )
    visited = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Visit.household_id))).where(
            Visit.channel == VisitChannel.door.value,
            Visit.visit_day >= quarter_start(month),
            Visit.visit_day <= end,
            Visit.circle_id.in_(circle_ids),
        )
    )
    return {
        "households": households,
        "visited": visited,
        "percent": round(100 * visited / households, 1) if households else None,
    }


def _calls(operator_id: int, month: date, districts: list[int], circles: set[int] | None) -> dict:
    """Return the operator's calls of the month: made, reached, confirmed, correct, satisfaction."""
    statement = (
        sa.select(SpotCheck)
        .join(SpotCheckSample, SpotCheckSample.id == SpotCheck.sample_id)
        .where(
            SpotCheckSample.month == month,
            SpotCheckSample.operator_id == operator_id,
            SpotCheckSample.district_id.in_(districts),
        )
    )
    if circles is not None:
        statement = statement.where(SpotCheck.circle_id.in_(circles))
    calls = db.session.scalars(statement).all()
    reached = [call for call in calls if call.reached]
    scores = [call.satisfaction for call in reached if call.satisfaction is not None]
    return {
        "calls_drawn": len(calls),
        "calls_made": sum(1 for call in calls if call.called_at is not None),
        "calls_reached": len(reached),
        "calls_confirmed": sum(1 for call in reached if call.visit_confirmed),
        "calls_correct": sum(1 for call in reached if call.data_correct),
        "satisfaction_mean": round(sum(scores) / len(scores), 2) if scores else None,
    }


def _findings(operator_id: int, month: date, districts: list[int], circles: set[int] | None) -> dict:
    """Return the operator's findings: raised in the month, and open, overdue, answered, closed now."""
    statement = sa.select(Finding.status, Finding.due_on, Finding.created_at).where(
        Finding.operator_id == operator_id, Finding.district_id.in_(districts)
    )
    if circles is not None:
        statement = statement.where(Finding.circle_id.in_(circles))
    start, end = operator_work.window(month)
    today = local_day()
    rows = db.session.execute(statement).all()
    return {
        "findings_raised": sum(1 for row in rows if start <= row.created_at < end),
        "findings_open": sum(1 for row in rows if row.status == FindingStatus.open.value),
        "findings_overdue": sum(
            1 for row in rows if row.status == FindingStatus.open.value and row.due_on < today
        ),
        "findings_answered": sum(1 for row in rows if row.status == FindingStatus.answered.value),
        "findings_closed": sum(1 for row in rows if row.status == FindingStatus.closed.value),
    }


def kpis(actor: Account, month: date) -> dict:
    """Return the month's figures per operator over the reader's place (an operator: its own)."""
    require_role(actor, FINDING_READERS)
    month = month_start(month)
    if month > local_day():
        raise ValidationFailed("month", "That month has not begun.", code="month_in_future")
    districts, circles = _view(actor)
    answered = operator_work.answered(month, districts) if districts else {}
    if actor.role == Role.operator:
        answered = {actor.operator_id: answered.get(actor.operator_id, {})} if actor.operator_id else {}
    target = current_app.config["VISIT_DAYS_TARGET"]
    rows = []
    for operator_id, circle_days in sorted(answered.items()):
        if circles is not None:
            circle_days = {cid: days for cid, days in circle_days.items() if cid in circles}
        if not circle_days and actor.role != Role.operator:
            continue
        operator = db.session.get(Operator, operator_id)
        days = _visit_days(circle_days, month)
        rows.append(
            {
                "operator_id": operator_id,
                "operator_name": operator.name if operator else "",
                "circles": len(circle_days),
                "visit_days_min": min(days.values()) if days else None,
                "circles_on_visit_target": sum(1 for count in days.values() if count >= target),
                "coverage": _coverage(sorted(circle_days), month),
                **_calls(operator_id, month, districts, circles),
                **_findings(operator_id, month, districts, circles),
                "registrations_handled": len(operator_work.registrations_decided(circle_days, month)),
                "claims_handled": len(operator_work.claims_decided(circle_days, month)),
            }
        )
    return {"month": f"{month:%Y-%m}", "visit_days_target": target, "items": rows}
