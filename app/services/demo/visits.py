"""Demo door-to-door visits: each demo grid worker's visit days this month and the two before.

Inserted as rows: the visit service refuses visits older than VISIT_MAX_AGE_DAYS (a phone's
queue is not months old), and these are history. Most workers keep the plan's 10 visit days a
month; every fourth is behind. Coverage differs too: in some communities a household or two
is never met this quarter (nobody home, or a refusal), so the checklist is never empty.
Every third worker also phoned a household (电话访谈) last month and this month: a call that
counts for the ledger but not toward coverage or visit days (docs/GRID.md, channels).
"""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day, month_end, utc_start_of
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    GridAssignment,
    Household,
    Visit,
    VisitChannel,
    VisitOutcome,
    utcnow,
)
from app.services.demo.dates import at_local, months_back, rng, this_month, weekdays

# Months of visits before the current one: the quarter's coverage needs at most two.
VISIT_MONTHS = 2
# Visit days a month of a worker on plan (10 is the plan) and of one behind it.
ON_PLAN_DAYS, BEHIND_DAYS = (11, 13), (3, 5)
NOTES = {
    VisitOutcome.met: ("了解就业意向", "宣传就业政策", "登记培训需求", "回访求职进展"),
    VisitOutcome.not_home: ("家中无人，留联系卡",),
    VisitOutcome.refused: ("住户不愿接受走访",),
}


def demo_visits() -> int:
    """Add the demo grid workers' missing visits up to today; return how many were added.

    A worker's visit days of a month are drawn from the worker and the month alone, one visit
    (client id demo-<day>) a day, so a later run the same month adds only the days since.
    """
    today, now = local_day(), utcnow()
    workers = db.session.execute(
        sa.select(Account, GridAssignment.community_id)
        .join(GridAssignment, GridAssignment.account_id == Account.id)
        .where(Account.username.like("demo-grid-%"), Account.role == "grid_worker")
        .order_by(Account.username)
    ).all()
    households: dict[int, list[Household]] = {}
    for household in db.session.scalars(
        sa.select(Household).where(Household.key.like("DEMO-%")).order_by(Household.key)
    ):
        households.setdefault(household.community_id, []).append(household)
    done = set(
        db.session.execute(
            sa.select(Visit.worker_id, Visit.client_id).where(Visit.client_id.like("demo-%"))
        ).all()
    )
    rows = []
    for number, (worker, community_id) in enumerate(workers):
        homes = households.get(community_id, [])
        if not homes:
            continue
        behind = number % 4 == 1
        # This many of the households are met in a quarter (the others: nobody home, a refusal).
        reachable = len(homes) - number % len(homes)
        for back in range(VISIT_MONTHS, -1, -1):
            first = months_back(this_month(), back)
            draw = rng("visits", worker.username, first)
            days = weekdays(first, month_end(first))
            low, high = BEHIND_DAYS if behind else ON_PLAN_DAYS
            count = min(len(days), draw.randint(low, high))
            # A worker on plan starts on the month's first weekday: from then on this month has visits.
            chosen = draw.sample(days, count) if behind else [days[0], *draw.sample(days[1:], count - 1)]
            for n, day in enumerate(sorted(chosen)):
                # Every draw made before any skip: a day's visit is the same whichever run adds it.
                minutes, roll, pick, delay = (
                    draw.randint(9 * 60, 990),
                    draw.random(),
                    draw.random(),
                    draw.randint(1, 90),
                )
                client_id = f"demo-{day.isoformat()}"
                if day > today or (worker.id, client_id) in done:
                    continue
                home = homes[n % len(homes)]
                if n % len(homes) < reachable:
                    outcome = VisitOutcome.met if roll < 0.85 else VisitOutcome.not_home
                else:
                    outcome = VisitOutcome.not_home if roll < 0.75 else VisitOutcome.refused
                notes = NOTES[outcome]
                # Today's visit, if due later today, was made a minute ago instead.
                visited_at = min(at_local(day, minutes), max(utc_start_of(day), now - timedelta(minutes=1)))
                rows.append(
                    {
                        "worker_id": worker.id,
                        "client_id": client_id,
                        "household_id": home.id,
                        "visited_at": visited_at,
                        "visit_day": day,
                        "lat": home.lat,
                        "lng": home.lng,
                        "outcome": outcome.value,
                        "channel": VisitChannel.door.value,
                        "notes": notes[int(pick * len(notes))],
                        "created_at": min(visited_at + timedelta(minutes=delay), now),
                        **{name: getattr(home, name) for name in PLACE_COLUMN_NAMES},
                    }
                )
        if number % 3 == 2:
            rows += _calls(worker, homes[-1], done, today, now)
    if rows:
        db.session.execute(sa.insert(Visit), rows)
    return len(rows)


def _calls(worker: Account, home: Household, done: set, today, now) -> list[dict]:
    """Return a worker's phone calls to one household: last month's last weekday and this month's first.

    Met on the phone, with no position (a call's is not kept); client id demo-call-<day>.
    """
    rows = []
    for back in (1, 0):
        first = months_back(this_month(), back)
        days = weekdays(first, min(month_end(first), today))
        if not days:
            continue
        day = days[-1] if back else days[0]
        client_id = f"demo-call-{day.isoformat()}"
        if (worker.id, client_id) in done:
            continue
        visited_at = min(at_local(day, 17 * 60 + 30), max(utc_start_of(day), now - timedelta(minutes=1)))
        rows.append(
            {
                "worker_id": worker.id,
                "client_id": client_id,
                "household_id": home.id,
                "visited_at": visited_at,
                "visit_day": day,
                "lat": None,
                "lng": None,
                "outcome": VisitOutcome.met.value,
                "channel": VisitChannel.phone.value,
                "notes": "电话回访：了解求职进展",
                "created_at": min(visited_at + timedelta(minutes=5), now),
                **{name: getattr(home, name) for name in PLACE_COLUMN_NAMES},
            }
        )
    return rows
