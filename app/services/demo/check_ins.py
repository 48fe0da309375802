"""Demo check-ins: the last four weeks at every demo station, served with coded outcomes.

Inserted as rows: the check-in service takes a scan now, with a code, and gives today's queue
number; these are past days (never today: its queue numbers are the walk-through's, from 1).
Each was served a few minutes after it came (a few walked away), with an outcome that fits
its purpose; older follow-ups were closed, about half of those of the last week still open.
Now and then someone came while the station was closed: recorded without a queue number.
"""

import math
from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    CheckIn,
    CheckInVia,
    Purpose,
    Resident,
    ServeOutcome,
    Station,
)
from app.services.demo.dates import at_local, rng, weekdays
from app.services.demo.stations import DEMO_STATIONS
from app.services.stations import opening_hours

CHECK_IN_DAYS = 28
# Visitors a weekday: the 城中 station, in the old town and staffed, is the busiest.
PER_DAY = {"chengzhong": (2, 5)}
PER_DAY_OTHERS = (0, 3)
# Follow-ups older than this many days were all closed (younger ones: about half).
FOLLOW_UP_OPEN_DAYS = 7
# The share of station days with a visitor out of hours, and when they came (minutes of the day).
OUT_OF_HOURS_SHARE = 0.15
OUT_OF_HOURS_MINUTES = [*range(12 * 60 + 5, 13 * 60 + 50), *range(17 * 60 + 35, 19 * 60 + 30)]
Out = ServeOutcome
PURPOSES = (
    (Purpose.job_seeking, 35),
    (Purpose.consult, 15),
    (Purpose.registration, 12),
    (Purpose.policy, 10),
    (Purpose.claim, 10),
    (Purpose.training, 10),
    (Purpose.other, 8),
)
# What came of each purpose, with weights.
OUTCOMES = {
    Purpose.job_seeking: (
        (Out.recommended_jobs, 70),
        (Out.follow_up_needed, 15),
        (Out.referred_to_training, 10),
        (Out.nothing, 5),
    ),
    Purpose.consult: ((Out.nothing, 50), (Out.recommended_jobs, 25), (Out.follow_up_needed, 25)),
    Purpose.registration: ((Out.registered, 85), (Out.follow_up_needed, 15)),
    Purpose.policy: ((Out.claim_started, 30), (Out.nothing, 40), (Out.follow_up_needed, 30)),
    Purpose.claim: ((Out.claim_started, 80), (Out.follow_up_needed, 20)),
    Purpose.training: ((Out.referred_to_training, 80), (Out.nothing, 20)),
    Purpose.other: ((Out.nothing, 70), (Out.follow_up_needed, 30)),
}
NOTES = {
    Out.recommended_jobs: "推荐岗位3个，已加微信群",
    Out.registered: "已办理就业失业登记",
    Out.claim_started: "已受理补贴申领材料",
    Out.referred_to_training: "转介电商直播培训班",
    Out.follow_up_needed: "材料不全，约定下周回访",
    Out.nothing: "咨询已解答",
}
# Opening minutes of the day (08:30–12:00, 14:00–17:30), in which visitors arrive.
OPEN_MINUTES = [m for m in range(8 * 60 + 30, 17 * 60 + 30) if not 12 * 60 <= m < 14 * 60]


def _weighted(draw, pairs):
    """Draw one value of (value, weight) pairs."""
    return draw.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def demo_check_ins(users: list[tuple[Account, Resident]]) -> int:
    """Add the demo stations' missing days of check-ins (before today); return how many were added."""
    today = local_day()
    stations = list(
        db.session.scalars(
            sa.select(Station).where(Station.code.in_([f"341002-{s[0]}-01" for s in DEMO_STATIONS]))
        )
    )
    if not stations or not users:
        return 0
    days = weekdays(today - timedelta(days=CHECK_IN_DAYS), today - timedelta(days=1))
    keys = [f"s{station.id}:{day.isoformat()}" for station in stations for day in days]
    numbered = dict(
        db.session.execute(
            sa.select(CheckIn.queue_key, sa.func.max(CheckIn.queue_number))
            .where(CheckIn.queue_key.in_(keys))
            .group_by(CheckIn.queue_key)
        ).all()
    )
    done = set(
        db.session.scalars(
            sa.select(CheckIn.queue_key).where(CheckIn.queue_key.in_(keys), CheckIn.client_id.like("demo-%"))
        )
    )
    rows = []
    for station in stations:
        key = station.code.split("-")[1]
        local = [(a, r) for a, r in users if r.circle_id == station.circle_id] or users
        staff = station.staff_ids[0] if station.staff_ids else None
        for day in days:
            queue_key = f"s{station.id}:{day.isoformat()}"
            draw = rng("check-ins", station.code, day)
            count = draw.randint(*PER_DAY.get(key, PER_DAY_OTHERS))
            minutes = sorted(draw.sample(OPEN_MINUTES, count))
            closed_minute = draw.choice(OUT_OF_HOURS_MINUTES) if draw.random() < OUT_OF_HOURS_SHARE else None
            if queue_key in done:
                continue
            if (
                station.opening_hours is not None
                and not opening_hours.day_hours(station.opening_hours, day)[0]
            ):
                minutes = []  # closed all day (a holiday): nobody in the queue
            # After any real visitors of that day (someone tried the demo then): numbers are unique.
            first_number = (numbered.get(queue_key) or 0) + 1
            for n, minute in enumerate(minutes):
                rows.append(
                    _row(station, day, queue_key, first_number + n, minute, draw, local, staff, today)
                )
            # Someone who came while it was closed (not when it is open at all hours).
            if closed_minute is not None and not opening_hours.is_open(
                station.opening_hours, at_local(day, closed_minute)
            ):
                rows.append(_row(station, day, queue_key, None, closed_minute, draw, local, staff, today))
    if rows:
        db.session.execute(sa.insert(CheckIn), rows)
    return len(rows)


def _row(station, day, queue_key, number, minute, draw, local, staff, today) -> dict:
    """Build one demo check-in: who came, why, and how and when they were served.

    `number` None: a visit out of hours, recorded without a place in the queue and not served.
    """
    account, resident = draw.choice(local)
    purpose = _weighted(draw, PURPOSES)
    came = at_local(day, minute)
    # Waits have a long tail: half are served within 10 minutes, a few wait most of an hour.
    wait = min(75.0, max(1.0, math.exp(draw.gauss(math.log(10), 0.7))))
    walked_away = number is None or draw.random() < 0.05
    outcome = None if walked_away else _weighted(draw, OUTCOMES[purpose])
    served = None if walked_away else came + timedelta(minutes=wait)
    follow_up = outcome == Out.follow_up_needed
    age, close_roll, close_share = (today - day).days, draw.random(), draw.random()
    closed = None
    if follow_up and (age > FOLLOW_UP_OPEN_DAYS or (age > 3 and close_roll < 0.5)):
        closed = served + timedelta(days=1 + int(close_share * min(6, age - 1)))  # by yesterday
    offset = draw.uniform(-0.0006, 0.0006)
    return {
        "account_id": account.id,
        "resident_id": resident.id,
        "client_id": f"demo-{queue_key}-{number or 'closed'}",
        "station_id": station.id,
        "purpose": purpose.value,
        "via": (CheckInVia.printed if draw.random() < 0.6 else CheckInVia.rotating).value,
        "day": day,
        "queue_key": queue_key,
        "queue_number": number,
        "lat": station.lat + offset,
        "lng": station.lng - offset,
        "distance_m": round(abs(offset) * 111_000 * 1.3, 1),
        "served_at": served,
        "served_by_id": staff if served else None,
        "outcome": outcome.value if outcome else None,
        "outcome_note": NOTES[outcome] if outcome else None,
        "follow_up": follow_up,
        "follow_up_closed_at": closed,
        "created_at": came,
        "updated_at": closed or served or came,
        **{name: getattr(station, name) for name in PLACE_COLUMN_NAMES},
    }
