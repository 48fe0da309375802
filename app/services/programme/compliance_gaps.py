"""Reading compliance: gaps per place with since-when, and each circle's progress in the period in progress.

Scoped like everyone: a city or district admin reads their place's gaps; a township admin the
gaps of its communities and of the circle its township lies in; a circle- or community-placed
reader (a supervisor) their place's; an operator's account the circles its operator answers for
today (programme/responsibility.py), wherever they are. Out of scope is a 404.
"""

from datetime import date

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day, month_start, quarter_start
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import Circle, Community, ComplianceGap, District, Operator, Role, ScopeKind, Township, utcnow
from app.services.grid.progress import expected_by
from app.services.people.places import describe_place
from app.services.programme import compliance_rules as rules
from app.services.programme.responsibility import circles_of_operator, operators_of_circles
from app.services.results import Page, paginate

READ_ROLES = frozenset(
    {Role.city_admin, Role.district_admin, Role.township_admin, Role.supervisor, Role.operator}
)
# Who may ask for a check now (it reads the whole city; it writes nothing but gaps).
RUN_ROLES = frozenset({Role.city_admin, Role.district_admin})


def require(actor, roles=READ_ROLES) -> None:
    """Refuse a role outside `roles`, or an account without a place (403 role_forbidden)."""
    if actor.role not in roles or actor.scope_kind is None or actor.scope_id is None:
        raise Forbidden("role_forbidden", "Your role may not read compliance.")


def _operator_circles(actor) -> list[int] | None:
    """Return the circles an operator's account answers for today (None: not an operator's account)."""
    if actor.role == Role.operator and actor.operator_id is not None:
        return circles_of_operator(actor.operator_id, local_day())
    return None


def gap_clause(actor):
    """Return the WHERE clause of the gaps the actor may read."""
    mine = _operator_circles(actor)
    if mine is not None:
        return ComplianceGap.circle_id.in_(mine)
    kind, place_id = ScopeKind(actor.scope_kind), actor.scope_id
    if kind is ScopeKind.township:
        circle_id = db.session.scalar(sa.select(Township.circle_id).where(Township.id == place_id))
        communities = sa.select(Community.id).where(Community.township_id == place_id)
        return sa.or_(
            sa.and_(ComplianceGap.place_kind == "community", ComplianceGap.place_id.in_(communities)),
            sa.and_(ComplianceGap.place_kind == "circle", ComplianceGap.place_id == circle_id),
        )
    if kind is ScopeKind.community:
        return sa.and_(ComplianceGap.place_kind == "community", ComplianceGap.place_id == place_id)
    column = {ScopeKind.city: "city_id", ScopeKind.district: "district_id", ScopeKind.circle: "circle_id"}
    return getattr(ComplianceGap, column[kind]) == place_id


def visible_circles(actor) -> list[Circle]:
    """Return the active circles the actor reads the progress of, in id order."""
    mine = _operator_circles(actor)
    statement = sa.select(Circle).where(Circle.status == "active").order_by(Circle.id)
    if mine is not None:
        return list(db.session.scalars(statement.where(Circle.id.in_(mine))))
    kind, place_id = ScopeKind(actor.scope_kind), actor.scope_id
    if kind is ScopeKind.city:
        statement = statement.join(District).where(District.city_id == place_id)
    elif kind is ScopeKind.district:
        statement = statement.where(Circle.district_id == place_id)
    elif kind is ScopeKind.circle:
        statement = statement.where(Circle.id == place_id)
    elif kind is ScopeKind.township:
        statement = statement.where(
            Circle.id == sa.select(Township.circle_id).where(Township.id == place_id).scalar_subquery()
        )
    else:
        statement = statement.where(
            Circle.id == sa.select(Community.circle_id).where(Community.id == place_id).scalar_subquery()
        )
    return list(db.session.scalars(statement))


def list_gaps(actor, args: dict) -> Page:
    """List the gaps in my place (open by default), oldest first: the longest-standing on top."""
    require(actor)
    statement = sa.select(ComplianceGap).where(gap_clause(actor))
    status = args.get("status") or "open"
    if status == "open":
        statement = statement.where(ComplianceGap.closed_at.is_(None))
    elif status == "closed":
        statement = statement.where(ComplianceGap.closed_at.is_not(None))
    if args.get("rule"):
        statement = statement.where(ComplianceGap.rule == args["rule"])
    if args.get("place_kind"):
        statement = statement.where(ComplianceGap.place_kind == args["place_kind"])
    page = paginate(
        statement,
        args.get("page", 1),
        args.get("per_page", 20),
        order_by=(ComplianceGap.opened_at, ComplianceGap.id),
    )
    page.items = describe(page.items)
    return page


def get_gap(actor, gap_id: int) -> dict:
    """Return one gap in my place (404 compliance_gap_not_found outside it)."""
    require(actor)
    gap = db.session.scalar(sa.select(ComplianceGap).where(ComplianceGap.id == gap_id, gap_clause(actor)))
    if gap is None:
        raise NotFound("compliance_gap_not_found", f"No compliance gap {gap_id} in your area.")
    return describe([gap])[0]


def describe(gaps: list[ComplianceGap]) -> list[dict]:
    """Return gaps as the API shows them: places named, since-when and days open."""
    operators = {
        row.id: row.name
        for row in db.session.execute(
            sa.select(Operator.id, Operator.name).where(
                Operator.id.in_({g.operator_id for g in gaps if g.operator_id})
            )
        )
    }
    now = utcnow()
    rows = []
    for gap in gaps:
        end = gap.closed_at or now
        rows.append(
            {
                "id": gap.id,
                "rule": gap.rule,
                "place": describe_place(gap.place_kind, gap.place_id),
                "circle": describe_place("circle", gap.circle_id),
                "district": describe_place("district", gap.district_id),
                "operator": {"id": gap.operator_id, "name": operators.get(gap.operator_id)}
                if gap.operator_id
                else None,
                "period": gap.period,
                "detail": gap.detail or {},
                "opened_at": gap.opened_at,
                "checked_at": gap.checked_at,
                "closed_at": gap.closed_at,
                "open": gap.closed_at is None,
                "days_open": max((end - gap.opened_at).days, 0),
            }
        )
    return rows


def circle_progress(actor, as_of: date | None = None) -> dict:
    """Return per circle in my place this month's visit days (pro-rated) and this quarter's coverage."""
    require(actor)
    today = as_of or local_day()
    circles = visible_circles(actor)
    ids = [c.id for c in circles]
    stations, staff = rules.station_counts(ids), rules.full_time_staff(ids)
    days = rules.visit_days(ids, month_start(today), today)
    covered = rules.coverage(ids, quarter_start(today), today)
    open_gaps = dict(
        db.session.execute(
            sa.select(ComplianceGap.circle_id, sa.func.count())
            .where(ComplianceGap.circle_id.in_(ids), ComplianceGap.closed_at.is_(None), gap_clause(actor))
            .group_by(ComplianceGap.circle_id)
        ).all()
    )
    operators = operators_of_circles(ids, today) if ids else {}
    names = {
        row.id: row.name
        for row in db.session.execute(
            sa.select(Operator.id, Operator.name).where(Operator.id.in_(set(operators.values()) - {None}))
        )
    }
    target, expected = current_app.config["VISIT_DAYS_TARGET"], expected_by(today)
    rows = []
    for circle in circles:
        figures = covered[circle.id]
        rows.append(
            {
                "circle": describe_place("circle", circle.id),
                "operator": {"id": operators[circle.id], "name": names.get(operators[circle.id])}
                if operators.get(circle.id)
                else None,
                "stations": stations.get(circle.id, 0),
                "full_time_staff": len(staff.get(circle.id, [])),
                "visit_days": days.get(circle.id, 0),
                "visit_days_target": target,
                "expected_by_now": expected,
                "behind": days.get(circle.id, 0) < expected,
                "households": figures["households"],
                "met": figures["met"],
                "coverage": round(figures["met"] / figures["households"], 4)
                if figures["households"]
                else 0.0,
                "open_gaps": open_gaps.get(circle.id, 0),
            }
        )
    return {
        "as_of": today,
        "month": f"{today:%Y-%m}",
        "quarter": rules.quarter_label(quarter_start(today)),
        "circles": rows,
    }
