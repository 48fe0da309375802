"""Progress: visit days against the plan's target this month, and this quarter's coverage.

Both count door visits only (上门走访: the plan's 10 days a month of door-to-door visits and its
quarterly 全覆盖走访); households reached only by phone, at the station or online are shown apart
(`contacted`). A grid worker sees their own: visit days and, per community they work on, the
quarter's coverage counted live. Officials, operators and supervisors see their place: a row per grid
worker (visit days against the target, pro-rated, behind plan flagged), and coverage per
community and per circle from the ledger snapshot of the month (services/grid/snapshots.py,
refreshed every 15 minutes), which a city's hundreds of thousands of visits a quarter need.
"""

from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day, month_end, month_start, quarter_start
from app.errors import Forbidden
from app.extensions import db
from app.models import (
    Account,
    Circle,
    Community,
    District,
    GridAssignment,
    Household,
    LedgerSnapshot,
    Role,
    ScopeKind,
    Visit,
    VisitChannel,
    VisitOutcome,
)
from app.services.grid.assignment import communities_of
from app.services.grid.checklist import moved_away, reached
from app.services.people.places import describe_place, places_inside
from app.services.people.scoping import SCOPE_COLUMNS, worked_on

# Who sees a place's progress (grid workers see their own; station staff none).
OFFICIAL_ROLES = frozenset(
    {Role.operator, Role.township_admin, Role.district_admin, Role.city_admin, Role.supervisor}
)


def progress(actor: Account, as_of: date | None = None) -> dict:
    """Return visit days against the target (pro-rated) and the quarter's coverage.

    A grid worker: their own, live. Anyone of OFFICIAL_ROLES: their own visit days too
    (operators visit), and their place's workers and coverage (place_progress).
    """
    today = as_of or local_day()
    answer = {"as_of": today, "month": _month(visit_days_of(actor.id, today), today)}
    quarter = quarter_start(today)
    if actor.role == Role.grid_worker:
        answer["quarter"] = {"start": quarter, "communities": _coverage(actor, quarter, today)}
        return answer
    if actor.role not in OFFICIAL_ROLES or actor.scope_kind is None or actor.scope_id is None:
        raise Forbidden("role_forbidden", "Your role may not see grid progress.")
    place = place_progress(actor.scope_kind, actor.scope_id, today)
    answer["quarter"] = {"start": quarter, "communities": place["communities"]}
    answer.update(
        place=describe_place(actor.scope_kind, actor.scope_id),
        coverage_as_of=place["coverage_as_of"],
        workers=place["workers"],
        circles=place["circles"],
    )
    return answer


def place_progress(kind: str, place_id: int, as_of: date) -> dict:
    """Return a place's grid workers and coverage rows as of a day (the month's figures up to it).

    {"workers": worker_rows, "communities": coverage rows, "circles": their circle rollup,
    "coverage_as_of": when the month's snapshot was written (None: no snapshot yet)}.
    """
    communities, written = coverage_rows(kind, place_id, month_start(as_of))
    return {
        "workers": worker_rows(kind, place_id, as_of),
        "communities": communities,
        "circles": circle_rows(communities),
        "coverage_as_of": written,
    }


def visit_days_of(worker_id: int, as_of: date) -> int:
    """Count the distinct local days with a door visit by one worker, from the month's start to `as_of`."""
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Visit.visit_day))).where(
            Visit.worker_id == worker_id,
            Visit.channel == VisitChannel.door,
            Visit.visit_day.between(month_start(as_of), as_of),
        )
    )


def expected_by(as_of: date) -> int:
    """Return the visit days due by `as_of`: floor(target · day of month ÷ days in the month)."""
    return current_app.config["VISIT_DAYS_TARGET"] * as_of.day // month_end(as_of).day


def _month(visit_days: int, as_of: date) -> dict:
    expected = expected_by(as_of)
    return {
        "visit_days": visit_days,
        "target": current_app.config["VISIT_DAYS_TARGET"],
        "expected_by_now": expected,
        "on_track": visit_days >= expected,
    }


def worker_rows(kind: str, place_id: int, as_of: date) -> list[dict]:
    """Return a row per active grid worker assigned in a place: visit days this month up to `as_of`.

    A worker's visit days count all their door visits, any outcome (the plan's target is the
    worker's), and `behind` flags one below the pro-rated target; the rows come behind-plan
    first, fewest visit days first. One index-only range per worker on visits (worker_id,
    channel, visit_day).
    """
    communities = places_inside(kind, place_id)[ScopeKind.community]
    assigned = (
        sa.select(GridAssignment.account_id, Community.code, Community.name)
        .join(Community, Community.id == GridAssignment.community_id)
        .join(Account, Account.id == GridAssignment.account_id)
        .where(
            GridAssignment.community_id.in_(communities),
            Account.role == Role.grid_worker,
            Account.is_active.is_(True),
        )
        .order_by(Community.code)
    )
    communities_by_worker: dict[int, list[dict]] = {}
    for account_id, code, name in db.session.execute(assigned):
        communities_by_worker.setdefault(account_id, []).append({"code": code, "name": name})
    if not communities_by_worker:
        return []
    ids = list(communities_by_worker)
    days = dict(
        db.session.execute(
            sa.select(Visit.worker_id, sa.func.count(sa.distinct(Visit.visit_day)))
            .where(
                Visit.worker_id.in_(ids),
                Visit.channel == VisitChannel.door,
                Visit.visit_day.between(month_start(as_of), as_of),
            )
            .group_by(Visit.worker_id)
        ).all()
    )
    names = dict(
        db.session.execute(
            sa.select(Account.id, sa.func.coalesce(Account.display_name, Account.username)).where(
                Account.id.in_(ids)
            )
        ).all()
    )
    rows = []
    for account_id in ids:
        row = _month(days.get(account_id, 0), as_of)
        rows.append(
            {
                "account_id": account_id,
                "name": names.get(account_id),
                "communities": communities_by_worker[account_id],
                "visit_days": row["visit_days"],
                "target": row["target"],
                "expected_by_now": row["expected_by_now"],
                "behind": not row["on_track"],
            }
        )
    return sorted(rows, key=lambda r: (not r["behind"], r["visit_days"], r["name"] or "", r["account_id"]))


def coverage_rows(kind: str, place_id: int, month: date) -> tuple[list[dict], datetime | None]:
    """Return per community of a place the quarter's coverage from the month's ledger snapshot, and its time.

    The same figures as a grid worker's live rows: households (those moved away left out),
    met, coverage, target, not_home, refused, moved and contacted; each row also carries its
    place ids.
    """
    column = getattr(LedgerSnapshot, SCOPE_COLUMNS[ScopeKind(kind)])
    statement = (
        sa.select(
            LedgerSnapshot.community_id,
            LedgerSnapshot.township_id,
            LedgerSnapshot.circle_id,
            LedgerSnapshot.district_id,
            LedgerSnapshot.households,
            LedgerSnapshot.coverage,
            LedgerSnapshot.created_at,
            Community.code,
            Community.name,
        )
        .join(Community, Community.id == LedgerSnapshot.community_id)
        .where(LedgerSnapshot.month == month.strftime("%Y-%m"), column == place_id)
        .order_by(Community.code)
    )
    rows, written = [], None
    for snap in db.session.execute(statement):
        written = max(written, snap.created_at) if written else snap.created_at
        rows.append({**coverage_figures(snap.households, snap.coverage), **_ids(snap)})
        rows[-1]["community"] = {"code": snap.code, "name": snap.name}
    return rows, written


def coverage_figures(households: int, coverage: dict | None) -> dict:
    """Turn a snapshot's households and coverage into the figures of a coverage row."""
    coverage = coverage or {}
    moved = coverage.get("moved", 0)
    due, met = max(households - moved, 0), coverage.get("met", 0)
    return {
        "households": due,
        "met": met,
        "coverage": round(met / due, 4) if due else 0.0,
        "target": 1.0,
        "not_home": coverage.get(VisitOutcome.not_home.value, 0),
        "refused": coverage.get(VisitOutcome.refused.value, 0),
        "moved": moved,
        # Absent from snapshots written before visits had channels: none then.
        "contacted": coverage.get("contacted", 0),
    }


def _ids(snap) -> dict:
    return {name: getattr(snap, name) for name in ("community_id", "township_id", "circle_id", "district_id")}


def circle_rows(communities: list[dict]) -> list[dict]:
    """Roll coverage rows up per circle (communities outside every circle in one row, circle None)."""
    totals: dict[int | None, dict] = {}
    for row in communities:
        total = totals.setdefault(
            row["circle_id"],
            {
                "communities": 0,
                "households": 0,
                "met": 0,
                "not_home": 0,
                "refused": 0,
                "moved": 0,
                "contacted": 0,
            },
        )
        total["communities"] += 1
        for name in ("households", "met", "not_home", "refused", "moved", "contacted"):
            total[name] += row[name]
    circles = {
        circle.id: circle
        for circle in db.session.scalars(
            sa.select(Circle).join(District).where(Circle.id.in_([i for i in totals if i is not None]))
        )
    }
    rows = []
    for circle_id, total in totals.items():
        circle = circles.get(circle_id)
        ref = {"code": f"{circle.district.short_code}-{circle.key}", "name": circle.name} if circle else None
        rows.append(
            {
                "circle": ref,
                **total,
                "coverage": round(total["met"] / total["households"], 4) if total["households"] else 0.0,
            }
        )
    return sorted(rows, key=lambda r: (r["circle"] is None, r["circle"]["code"] if r["circle"] else ""))


def _coverage(actor: Account, start: date, end: date) -> list[dict]:
    """Per community the worker works on: households, those met at the door this quarter, and attempts.

    Households that moved away (checklist.moved_away) are counted apart, in neither the
    households nor the met: the quarter's target is every household that lives there. Door
    attempts (not_home, refused) are door visits; `contacted` counts the households met only
    by phone, at the station or online (checklist.reached).
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
    mine = Visit.community_id.in_(list(totals))
    met, contacted = {}, {}
    for community_id, door, other in db.session.execute(
        reached(start, end, mine, Visit.household_id.not_in(moved_ids))
    ):
        met[community_id], contacted[community_id] = int(door), int(other)
    attempts = {}
    for community_id, outcome, count in db.session.execute(
        sa.select(Visit.community_id, Visit.outcome, sa.func.count())
        .where(
            mine,
            Visit.visit_day.between(start, end),
            Visit.channel == VisitChannel.door,
            Visit.outcome.in_([VisitOutcome.not_home, VisitOutcome.refused]),
        )
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
                "contacted": contacted.get(community_id, 0),
            }
        )
    return rows
