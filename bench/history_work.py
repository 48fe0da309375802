"""The month of work behind the console's history: check-ins, visits, zero-employment cases.

A part of bench.generate_history's History (its volumes and assumptions are described there):
these methods use the History's connection, loader, places and id counters. Also the helpers
every part uses (pick, months_back, utc, poisson).
"""

import math
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa

MONTHS = 12
DAYS = 30  # the month of check-ins and pushes, to yesterday
UTC_OFFSET = timedelta(hours=8)  # the city's clock (Asia/Shanghai, no summer time)
CHECK_INS_A_DAY = {0: 38, 1: 38, 2: 38, 3: 38, 4: 38, 5: 15}  # Monday … Saturday; closed Sunday
VISIT_DAYS_A_MONTH, HOUSEHOLDS_A_VISIT_DAY = 10, 12
CLEARED_A_MONTH = 0.05
PURPOSES = {"job_seeking": 45, "consult": 20, "registration": 10, "policy": 10, "claim": 8, "training": 7}
# What a served visit ended with, per purpose (ServeOutcome's values).
OUTCOMES = {
    "job_seeking": {"recommended_jobs": 55, "registered": 8, "follow_up_needed": 12, "nothing": 25},
    "registration": {"registered": 80, "follow_up_needed": 10, "nothing": 10},
    "claim": {"claim_started": 70, "follow_up_needed": 15, "nothing": 15},
    "training": {"referred_to_training": 70, "follow_up_needed": 10, "nothing": 20},
}
OTHER_OUTCOMES = {"recommended_jobs": 10, "claim_started": 10, "follow_up_needed": 10, "nothing": 70}
SERVED_SHARE = 0.88
VISIT_OUTCOMES = {"met": 75, "not_home": 20, "refused": 4, "moved": 1}


def pick(rng: random.Random, weights: dict) -> str:
    """Return one key of `weights`, drawn by its weight."""
    return rng.choices(list(weights), list(weights.values()))[0]


def months_back(first: date, n: int) -> date:
    """Return the first day of the month n months before `first`."""
    index = first.year * 12 + first.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def utc(day: date, minutes: float) -> datetime:
    """Return the naive UTC moment of `minutes` after local midnight of `day`."""
    return datetime(day.year, day.month, day.day) + timedelta(minutes=minutes) - UTC_OFFSET


def _visit_minutes(rng: random.Random) -> float:
    """When someone comes to a station, in minutes after midnight: mornings busiest, a lunch dip."""
    if rng.random() < 0.6:
        return rng.uniform(8.5 * 60, 11.5 * 60)
    return rng.uniform(13.5 * 60, 17.25 * 60)


def poisson(rng: random.Random, mean: float) -> int:
    """Return a count around `mean` (normal approximation, never below 0)."""
    return max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0


class WorkHistory:
    """Check-ins, visits and zero-employment cases (a part of History)."""

    # ---- stations -------------------------------------------------------------------------

    def check_ins(self) -> None:
        """Check-ins at every active station over the last DAYS days, each station-day a queue."""
        rng = self.rng("check_ins")
        st, staff = self.tables["stations"].c, self.tables["station_staff"].c
        served_by = dict(
            self.connection.execute(
                sa.select(staff.station_id, sa.func.min(staff.account_id)).group_by(staff.station_id)
            ).all()
        )
        stations = self.connection.execute(
            sa.select(st.id, st.lat, st.lng, st.community_id).where(st.is_active).order_by(st.id)
        ).all()
        visitors = defaultdict(list)  # circle id -> residents with an account living in it
        for community_id, people in self.with_account.items():
            visitors[self.places[community_id]["circle_id"]].extend(people)
        everyone = [person for people in self.with_account.values() for person in people]
        with_outcome = self.has("check_ins", "outcome")
        with_closing = self.has("check_ins", "follow_up_closed_at")
        for back in range(DAYS, 0, -1):
            day = self.today - timedelta(days=back)
            mean = CHECK_INS_A_DAY.get(day.weekday())
            if mean is None:
                continue
            for station in stations:
                place = self.places[station.community_id]
                pool = visitors.get(place["circle_id"]) or everyone
                times = sorted(_visit_minutes(rng) for _ in range(poisson(rng, mean)))
                for number, minutes in enumerate(times, start=1):
                    row = self._check_in(rng, station, place, day, number, minutes, rng.choice(pool))
                    row["served_by_id"] = served_by.get(station.id) if row["served_at"] else None
                    outcome = row.pop("outcome")
                    if with_outcome:
                        row["outcome"] = outcome
                    closed = row.pop("follow_up_closed_at")
                    if with_closing:
                        row["follow_up_closed_at"] = closed
                    self.loader.add("check_ins", row)
                if times:
                    self.loader.add(
                        "queue_counters",
                        {
                            "key": f"s{station.id}:{day.isoformat()}",
                            "last": len(times),
                            "updated_at": self.now,
                        },
                    )

    def _check_in(self, rng, station, place: dict, day: date, number: int, minutes: float, who) -> dict:
        """Return one check-in: who, why, when served (or not) and how it ended."""
        check_in_id = self.next_id("check_ins")
        purpose = pick(rng, PURPOSES)
        arrived = utc(day, minutes)
        served_at = outcome = closed = None
        if rng.random() < SERVED_SHARE:
            # Waits: median 10 minutes, p90 about 35 (lognormal).
            served_at = arrived + timedelta(minutes=min(240, rng.lognormvariate(math.log(10), 0.98)))
            outcome = pick(rng, OUTCOMES.get(purpose, OTHER_OUTCOMES))
            if outcome == "follow_up_needed" and rng.random() < 0.6:
                closed = served_at + timedelta(days=rng.uniform(0.5, 10))
                closed = closed if closed < self.now else None
        lat = station.lat + rng.gauss(0, 15) / 111_320
        lng = station.lng + rng.gauss(0, 15) / 96_700
        return {
            "id": check_in_id,
            "account_id": who[1],
            "resident_id": who[0],
            "client_id": f"bench-history-{check_in_id}",
            "station_id": station.id,
            "event_id": None,
            "purpose": purpose,
            "via": "printed" if rng.random() < 0.7 else "rotating",
            "day": day,
            "queue_key": f"s{station.id}:{day.isoformat()}",
            "queue_number": number,
            "lat": round(lat, 6),
            "lng": round(lng, 6),
            "distance_m": round(abs(rng.gauss(0, 20)), 1),
            "signed_up": None,
            "served_at": served_at,
            "served_by_id": None,
            "outcome_note": None,
            "follow_up": outcome == "follow_up_needed",
            "outcome": outcome,
            "follow_up_closed_at": closed,
            "created_at": arrived,
            "updated_at": served_at or arrived,
            **place,
        }

    # ---- grid work ------------------------------------------------------------------------

    def visits(self) -> None:
        """Visits since the quarter began (at least 30 days) by every grid worker but the dense one's."""
        from app.common.clock import quarter_start

        rng = self.rng("visits")
        g, h = self.tables["grid_assignments"].c, self.tables["households"].c
        dense = self.manifest.get("grid_worker", {}).get("account_id")
        start = min(quarter_start(self.today), self.today - timedelta(days=DAYS))
        days = [start + timedelta(days=n) for n in range((self.today - start).days)]
        assignments = self.connection.execute(
            sa.select(g.account_id, g.community_id).order_by(g.community_id, g.account_id)
        ).all()
        for worker_id, community_id in assignments:
            if worker_id == dense:
                continue
            homes = self.connection.execute(
                sa.select(h.id, h.lat, h.lng).where(h.community_id == community_id).order_by(h.id)
            ).all()
            if not homes:
                continue
            rng.shuffle(homes)
            diligence = rng.uniform(0.45, 1.35)  # some workers fall behind the plan's 10 days
            chance = min(1.0, VISIT_DAYS_A_MONTH / 22 * diligence)
            position = 0
            for day in days:
                if rng.random() >= (chance if day.weekday() < 5 else 0.03):
                    continue
                minutes = rng.uniform(8.5 * 60, 10 * 60)
                for _ in range(max(1, round(rng.gauss(HOUSEHOLDS_A_VISIT_DAY, 4)))):
                    home = homes[position % len(homes)]
                    position += 1
                    minutes += rng.uniform(8, 30)
                    self.loader.add("visits", self._visit(rng, worker_id, community_id, home, day, minutes))

    def _visit(self, rng, worker_id: int, community_id: int, home, day: date, minutes: float) -> dict:
        """Return one door-to-door visit of a household."""
        visit_id = self.next_id("visits")
        at = utc(day, min(minutes, 19 * 60))
        return {
            "id": visit_id,
            "worker_id": worker_id,
            "client_id": f"bench-history-{visit_id}",
            "household_id": home.id,
            "visited_at": at,
            "visit_day": day,
            "lat": home.lat,
            "lng": home.lng,
            "outcome": pick(rng, VISIT_OUTCOMES),
            "notes": None,
            "member_updates": None,
            "created_at": at,
            **self.places[community_id],
        }

    def zero_employment(self) -> None:
        """Zero-employment cases cleared in each of the last 12 months (households working again)."""
        rng = self.rng("zero_employment")
        h, z, g = (self.tables[n].c for n in ("households", "zero_employment_cases", "grid_assignments"))
        still_open = self.connection.scalar(sa.select(sa.func.count()).where(z.cleared_at.is_(None)))
        working = self.connection.execute(
            sa.select(h.id, h.community_id).where(h.zero_employment_since.is_(None)).order_by(h.id)
        ).all()
        worker_of = dict(
            self.connection.execute(
                sa.select(g.community_id, sa.func.min(g.account_id)).group_by(g.community_id)
            ).all()
        )
        per_month = max(1, round(still_open * CLEARED_A_MONTH))
        chosen = rng.sample(working, min(len(working), per_month * MONTHS))
        first = self.today.replace(day=1)
        for n, home in enumerate(chosen):
            month = months_back(first, n // per_month)
            span = ((self.today - month).days + 1) if month == first else 28
            cleared = min(
                utc(month + timedelta(days=rng.randrange(span)), rng.uniform(540, 1020)),
                self.now - timedelta(minutes=5),
            )
            opened = cleared - timedelta(days=rng.uniform(20, 400))
            self.loader.add(
                "zero_employment_cases",
                {
                    "id": self.next_id("zero_employment_cases"),
                    "household_id": home.id,
                    "opened_at": opened,
                    "cleared_at": cleared,
                    "cleared_source": pick(rng, {"hire": 40, "visit": 30, "staff": 20, "province": 10}),
                    "assigned_to_id": worker_of.get(home.community_id),
                    "created_at": opened,
                    "updated_at": cleared,
                    **self.places[home.community_id],
                },
            )
