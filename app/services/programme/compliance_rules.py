"""The plan's standing rules, evaluated over the city on a day: what falls short, with its figures.

Each rule returns Shortfall rows (nothing is written here: compliance.py turns them into gaps).
A circle is judged while it is active (draft and retired circles answer for nothing). The two
rules with a period judge the period that has closed (last month's visit days, last quarter's
coverage): the period in progress is shown as progress (circle_progress), never a gap, since
a month is not short on its 3rd day.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from app.common.clock import month_end, month_start, quarter_start, utc_start_of
from app.extensions import db
from app.models import (
    Account,
    Circle,
    Community,
    District,
    EmploymentType,
    GridAssignment,
    Household,
    Role,
    ScopeKind,
    Station,
    Township,
    Visit,
    VisitChannel,
)
from app.models import ComplianceRule as R
from app.services.grid.checklist import met_at_door, moved_away_anywhere

# Who counts as a circle's full-time staff member: station staff and the operator's managers.
FULL_TIME_ROLES = (Role.station_staff.value, Role.operator.value)


@dataclass
class Shortfall:
    """One place short of one rule (for one period), with the figures behind it."""

    rule: str
    place_kind: str
    place_id: int
    circle_id: int | None
    district_id: int
    period: str | None = None
    detail: dict = field(default_factory=dict)

    @property
    def open_key(self) -> str:
        """Return the key one open gap of this place, rule and period is kept under."""
        return f"{self.rule}:{self.place_kind}:{self.place_id}:{self.period or '-'}"


def active_circles() -> list[Circle]:
    """Return the active circles of the city, in id order."""
    return list(db.session.scalars(sa.select(Circle).where(Circle.status == "active").order_by(Circle.id)))


def last_closed_month(today: date) -> date:
    """Return the first day of the month before `today`'s."""
    return month_start(month_start(today) - timedelta(days=1))


def last_closed_quarter(today: date) -> date:
    """Return the first day of the quarter before `today`'s."""
    return quarter_start(quarter_start(today) - timedelta(days=1))


def quarter_end(start: date) -> date:
    """Return the last day of the quarter starting on `start`."""
    return month_end(date(start.year, start.month + 2, 1))


def quarter_label(start: date) -> str:
    """Return a quarter's period label, "2026Q3"."""
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


def station_counts(circle_ids) -> dict[int, int]:
    """Return {circle id: active stations}."""
    return dict(
        db.session.execute(
            sa.select(Station.circle_id, sa.func.count())
            .where(Station.circle_id.in_(list(circle_ids)), Station.is_active.is_(True))
            .group_by(Station.circle_id)
        ).all()
    )


def full_time_staff(circle_ids) -> dict[int, list[int]]:
    """Return {circle id: ids of the full-time staff placed in it (the circle, or a township of it)}."""
    found: dict[int, list[int]] = {}
    base = sa.select(Account.id).where(
        Account.is_active.is_(True),
        Account.role.in_(FULL_TIME_ROLES),
        Account.employment_type == EmploymentType.full_time.value,
    )
    for account_id, circle_id in db.session.execute(
        base.add_columns(Account.scope_id).where(
            Account.scope_kind == ScopeKind.circle.value, Account.scope_id.in_(list(circle_ids))
        )
    ):
        found.setdefault(circle_id, []).append(account_id)
    for account_id, circle_id in db.session.execute(
        base.add_columns(Township.circle_id)
        .join(Township, Township.id == Account.scope_id)
        .where(Account.scope_kind == ScopeKind.township.value, Township.circle_id.in_(list(circle_ids)))
    ):
        found.setdefault(circle_id, []).append(account_id)
    return found


def visit_days(circle_ids, start: date, end: date) -> dict[int, int]:
    """Return {circle id: distinct local days from `start` to `end` with at least one door visit in it}."""
    return dict(
        db.session.execute(
            sa.select(Visit.circle_id, sa.func.count(sa.distinct(Visit.visit_day)))
            .where(
                Visit.circle_id.in_(list(circle_ids)),
                Visit.channel == VisitChannel.door,
                Visit.visit_day.between(start, end),
            )
            .group_by(Visit.circle_id)
        ).all()
    )


def coverage(circle_ids, start: date, end: date) -> dict[int, dict]:
    """Return {circle id: {"households", "met"}}: households living there by `end`, those met at the door.

    Households that moved away (their latest visit by `end` says so) are left out, as on the
    grid's progress page; so are those entered after the period.
    """
    moved = moved_away_anywhere(end)
    living = sa.and_(
        Household.circle_id.in_(list(circle_ids)),
        Household.id.not_in(moved),
        Household.created_at < utc_start_of(end + timedelta(days=1)),
    )
    totals = dict(
        db.session.execute(
            sa.select(Household.circle_id, sa.func.count()).where(living).group_by(Household.circle_id)
        ).all()
    )
    met_ids = sa.select(Visit.household_id).where(met_at_door(start, end))
    met = dict(
        db.session.execute(
            sa.select(Household.circle_id, sa.func.count())
            .where(living, Household.id.in_(met_ids))
            .group_by(Household.circle_id)
        ).all()
    )
    return {cid: {"households": totals.get(cid, 0), "met": met.get(cid, 0)} for cid in circle_ids}


def officers(community_ids=None) -> dict[int, dict]:
    """Return {community id: {"full_time", "part_time", "unknown"}} of the active grid workers assigned."""
    statement = (
        sa.select(GridAssignment.community_id, Account.employment_type, sa.func.count())
        .join(Account, Account.id == GridAssignment.account_id)
        .where(Account.role == Role.grid_worker.value, Account.is_active.is_(True))
        .group_by(GridAssignment.community_id, Account.employment_type)
    )
    if community_ids is not None:
        statement = statement.where(GridAssignment.community_id.in_(list(community_ids)))
    found: dict[int, dict] = {}
    for community_id, kind, number in db.session.execute(statement):
        counts = found.setdefault(community_id, {"full_time": 0, "part_time": 0, "unknown": 0})
        counts[kind if kind in counts else "unknown"] += number
    return found


def evaluate(today: date) -> list[Shortfall]:
    """Return every shortfall of the city's places as of `today`."""
    circles = active_circles()
    ids = [c.id for c in circles]
    found: list[Shortfall] = []
    stations, staff = station_counts(ids), full_time_staff(ids)
    month = last_closed_month(today)
    days = visit_days(ids, month, month_end(month))
    quarter = last_closed_quarter(today)
    covered = coverage(ids, quarter, quarter_end(quarter))
    target = current_app.config["VISIT_DAYS_TARGET"]
    for circle in circles:
        where = {"place_kind": "circle", "place_id": circle.id, "circle_id": circle.id}
        where["district_id"] = circle.district_id
        if not stations.get(circle.id):
            found.append(Shortfall(R.circle_station.value, **where, detail={"stations": 0}))
        if not staff.get(circle.id):
            found.append(Shortfall(R.circle_full_time_staff.value, **where, detail={"full_time_staff": 0}))
        if days.get(circle.id, 0) < target:
            detail = {"visit_days": days.get(circle.id, 0), "target": target}
            found.append(
                Shortfall(R.circle_visit_days.value, **where, period=f"{month:%Y-%m}", detail=detail)
            )
        figures = covered[circle.id]
        if figures["met"] < figures["households"]:
            detail = {**figures, "unvisited": figures["households"] - figures["met"]}
            period = quarter_label(quarter)
            found.append(Shortfall(R.quarter_coverage.value, **where, period=period, detail=detail))
    staffed = officers()
    communities = db.session.execute(
        sa.select(Community.id, Community.circle_id, Township.district_id)
        .join(Township, Township.id == Community.township_id)
        .order_by(Community.id)
    ).all()
    for community_id, circle_id, district_id in communities:
        if community_id not in staffed:
            found.append(
                Shortfall(
                    R.community_officer.value,
                    "community",
                    community_id,
                    circle_id,
                    district_id,
                    detail={"full_time": 0, "part_time": 0, "unknown": 0},
                )
            )
    return found


def district_city(district_ids) -> dict[int, int]:
    """Return {district id: city id}."""
    return dict(
        db.session.execute(
            sa.select(District.id, District.city_id).where(District.id.in_(district_ids))
        ).all()
    )
