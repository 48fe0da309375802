"""Demo ledger snapshots: this month's by the real service, and six past months per demo community.

The past months are written as rows (the snapshot service counts the ledger as it stands, so
it cannot tell what last spring looked like): today's figures walked back with a believable
drift — a few of today's employed were still looking for work, someone had not registered
yet, a newcomer had not moved in — with the month's flows to match, the zero-employment
households open at each month's end from the cases' own dates, and the quarter's coverage
from the demo visits where they reach (before them, a plausible share of households met).
Each row is dated just after its month ended, as the snapshot that freezes a month is; a
month that has its row (say the real one, from an earlier start) keeps it.
"""

import csv
from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import month_end, quarter_start, utc_start_of
from app.extensions import db
from app.models import (
    Community,
    EmploymentStatus,
    KeyGroup,
    LedgerSnapshot,
    Visit,
    VisitOutcome,
    ZeroEmploymentCase,
)
from app.services.demo.dates import HISTORY_MONTHS, month_closed_at, months_back, rng, this_month
from app.services.demo.grid import DEMO_COMMUNITIES
from app.services.demo.visits import VISIT_MONTHS
from app.services.grid import snapshots
from app.services.people import places

E, U, R = (
    EmploymentStatus.employed.value,
    EmploymentStatus.unemployed.value,
    EmploymentStatus.unemployed_registered.value,
)


def demo_snapshots() -> int:
    """Write this month's snapshot if missing, then the demo communities' missing past months."""
    current = this_month()
    written = 0
    if not db.session.scalar(
        sa.select(LedgerSnapshot.id).where(LedgerSnapshot.month == f"{current:%Y-%m}").limit(1)
    ):
        written += snapshots.snapshot()  # commits
    codes = [row["code"] for row in csv.DictReader(DEMO_COMMUNITIES.read_text(encoding="utf-8").splitlines())]
    communities = list(
        db.session.scalars(sa.select(Community).where(Community.code.in_(codes)).order_by(Community.code))
    )
    ids = [community.id for community in communities]
    base = {
        row.community_id: row
        for row in db.session.scalars(
            sa.select(LedgerSnapshot).where(
                LedgerSnapshot.month == f"{current:%Y-%m}", LedgerSnapshot.community_id.in_(ids)
            )
        )
    }
    months = [months_back(current, back) for back in range(1, HISTORY_MONTHS + 1)]
    have = set(
        db.session.execute(
            sa.select(LedgerSnapshot.month, LedgerSnapshot.community_id).where(
                LedgerSnapshot.month.in_([f"{m:%Y-%m}" for m in months]), LedgerSnapshot.community_id.in_(ids)
            )
        ).all()
    )
    cases = db.session.execute(
        sa.select(
            ZeroEmploymentCase.community_id,
            ZeroEmploymentCase.household_id,
            ZeroEmploymentCase.opened_at,
            ZeroEmploymentCase.cleared_at,
        ).where(ZeroEmploymentCase.community_id.in_(ids))
    ).all()
    visits = db.session.execute(
        sa.select(Visit.community_id, Visit.household_id, Visit.visit_day, Visit.outcome).where(
            Visit.community_id.in_(ids),
            Visit.channel == "door",  # calls are no door-to-door visits: not in the coverage
            Visit.visit_day >= quarter_start(months_back(current, VISIT_MONTHS)),
            Visit.visit_day < current,
        )
    ).all()
    rows = []
    for community in communities:
        now = base.get(community.id)
        if now is None:
            continue
        steps = _steps(community.code, now.by_status, current)
        for back, first in enumerate(months, start=1):
            if (f"{first:%Y-%m}", community.id) in have:
                continue
            row = _month(now, steps, back, first)
            row["zero_employment_households"] = _zero_at(cases, community.id, first)
            if back <= VISIT_MONTHS:
                row["coverage"] = _coverage(visits, community.id, first)
            else:
                row["coverage"] = _plausible_coverage(
                    now.households, first, rng("coverage", community.code, first)
                )
            rows.append({**row, **places.place_columns(community), "created_at": month_closed_at(first)})
    if rows:
        db.session.execute(sa.insert(LedgerSnapshot), rows)
    return written + len(rows)


def _steps(code: str, by_status: dict, current: date) -> list[dict]:
    """Return, for 0 … HISTORY_MONTHS + 1 months back, how far the ledger then was from today's.

    Each is cumulative (the further back, the more differs), so consecutive months give the
    movements of the month between them: back_to_work people re-employed since, registered
    people who registered since, newcomers who moved in since.
    """
    draw = rng("snapshot-steps", code)
    registered_since = 3 + draw.randint(0, 3)
    moved_in_since = 4 + draw.randint(0, 3)
    steps = []
    for back in range(HISTORY_MONTHS + 2):
        month = rng("snapshot", code, months_back(current, back))
        steps.append(
            {
                # At most a third of today's employed, one more every three months or so.
                "back_to_work": min((by_status.get(E, 0) + 1) // 3, (back + month.randint(0, 1)) // 3),
                "registered": min(by_status.get(R, 0), int(back >= registered_since)),
                "moved_in": min(by_status.get("student", 0), int(back >= moved_in_since)),
                "churn": month.randint(0, 1) if back else 0,
            }
        )
    return steps


def _month(now: LedgerSnapshot, steps: list[dict], back: int, first: date) -> dict:
    """Return one past month's counts and flows from today's and the steps."""
    step, before = steps[back], steps[back + 1]
    by_status = dict(now.by_status)
    by_key_group = dict(now.by_key_group)

    def move(source: str, target: str | None, n: int) -> None:
        by_status[source] = by_status.get(source, 0) - n
        if target:
            by_status[target] = by_status.get(target, 0) + n

    move(E, U, step["back_to_work"])
    move(R, U, step["registered"])
    move("student", None, step["moved_in"])
    group = KeyGroup.registered_unemployed.value
    if by_key_group.get(group):
        by_key_group[group] = max(0, by_key_group[group] - step["registered"])
    by_status = {status: n for status, n in by_status.items() if n > 0}
    churn = step["churn"]
    return {
        "month": f"{first:%Y-%m}",
        "residents": sum(by_status.values()),
        "households": now.households,
        "by_status": by_status,
        "by_key_group": {g: n for g, n in by_key_group.items() if n > 0},
        "flows": {
            "became_unemployed": churn,
            "re_employed": max(0, before["back_to_work"] - step["back_to_work"]) + churn,
            "registered_unemployed": max(0, before["registered"] - step["registered"]),
        },
    }


def _zero_at(cases, community_id: int, first: date) -> int:
    """Count the community's households whose case was open when the month ended (the service's rule)."""
    end = utc_start_of(month_end(first) + timedelta(days=1))
    return len(
        {
            household_id
            for community, household_id, opened, cleared in cases
            if community == community_id and opened < end and (cleared is None or cleared >= end)
        }
    )


def _coverage(visits, community_id: int, first: date) -> dict:
    """Return the quarter's coverage through the month's last day from the demo visits."""
    start, through = quarter_start(first), month_end(first)
    seen = [v for v in visits if v.community_id == community_id and start <= v.visit_day <= through]
    return {
        "quarter_start": start.isoformat(),
        "through": through.isoformat(),
        "met": len({v.household_id for v in seen if v.outcome == VisitOutcome.met}),
        "moved": 0,
        "not_home": sum(v.outcome == VisitOutcome.not_home for v in seen),
        "refused": sum(v.outcome == VisitOutcome.refused for v in seen),
    }


def _plausible_coverage(households: int, first: date, draw) -> dict:
    """Return a quarter's coverage before the demo visits: a share of households growing through it."""
    share = ((first.month - 1) % 3 + 1) / 3
    return {
        "quarter_start": quarter_start(first).isoformat(),
        "through": month_end(first).isoformat(),
        "met": max(0, min(households, round(households * share) + draw.choice((-1, 0, 0)))),
        "moved": 0,
        "not_home": draw.randint(0, 2),
        "refused": int(draw.random() < 0.2),
    }
