"""The staff console's history on generated data: a year of snapshots and a month of work.

`python -m bench.generate_history --scale huangshan` adds, to what `bench.generate` loaded (it
runs this as its last step), what the console's dashboards read:

- ledger snapshots: the current month by the app's own `snapshots.snapshot()`, and the 11
  months before it for every community, drifting back from today's counts, frozen (written
  after their month ended), with the month's flows and the quarter's coverage when the table
  has those columns (past months drift; this month's are the app's own);
- this month's status changes (became unemployed, re-employed, registered unemployed) on
  residents whose status they explain;
- check-ins at every station over the last 30 days (to yesterday: today's queues stay the
  check-in scenario's), served or not, with a coded outcome when the table has one, follow-ups
  open and closed, and each station-day's queue counter;
- door-to-door visits since the quarter began (at least 30 days), per grid worker, except the
  dense community's worker, whose checklist the checklist scenario expects untouched;
- pushes of the last 30 days by template and status; job applications of the last 60 days by
  status; expired and closed jobs beside the published ones; open and cleared job reports;
  zero-employment cases cleared over the year.

Volumes per month at Huangshan (1.33 million residents), scaled by residents elsewhere; each
an assumption about a city of that size, stated in docs/PERFORMANCE.md:
check-ins 38 a station a weekday and 15 a Saturday (about 100,000 a month at 120 stations);
visits on 0.45–1.35 × the plan's 10 days a grid worker (some fall behind), 12 households a
day (about 65,000 a month); pushes 150,000; applications 30,000; 0.4 % of the employed
becoming unemployed, 10 % of the unemployed re-employed and 3 % registering; 5 % of the open
zero-employment cases cleared; 0.9 % of the published jobs reported (two thirds still open),
and 20 % more posts beside the published ones, expired or closed.

Deterministic per seed (random.Random per stage) apart from timestamps, which count back from
now. Rerunning it replaces its own rows: it records their id ranges in the scale's manifest.
"""

import argparse
import json
import random
import time
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from bench.common import RESULTS_DIR, bench_app
from bench.generate import SCALES, Loader
from bench.history_jobs import JobsHistory
from bench.history_work import MONTHS, WorkHistory, months_back, pick, poisson, utc

HUANGSHAN_RESIDENTS = 1_330_000
FLOW_RATES = {"became_unemployed": 0.004, "re_employed": 0.10, "registered_unemployed": 0.03}
# Counts drift back in time by these monthly rates (a slowly growing workforce, falling unemployment).
DRIFT = {"employed": -0.002, "flexible": -0.004, "unemployed": 0.006, "unemployed_registered": 0.004}


class History(WorkHistory, JobsHistory):
    """Adds the console's history to the current app's database, through one connection."""

    def __init__(self, scale_name: str, seed: int, connection, manifest: dict):
        """Prepare to add `scale_name`'s history with `seed`; `manifest` names the dense worker."""
        from app.common.clock import local_day
        from app.extensions import db

        self.scale = SCALES[scale_name]
        self.factor = self.scale.residents / HUANGSHAN_RESIDENTS
        self.seed = seed
        self.connection = connection
        self.loader = Loader(connection)
        self.tables = {table.name: table for table in db.metadata.sorted_tables}
        self.manifest = manifest
        self.now = datetime.utcnow().replace(microsecond=0)  # noqa: DTZ003  (naive UTC, as stored)
        self.today = local_day()
        self.first_id: dict[str, int] = {}
        self.next_ids: dict[str, int] = {}
        self.phases: dict[str, float] = {}

    def rng(self, stage: str) -> random.Random:
        """Return a generator of its own per stage."""
        return random.Random(f"{self.seed}:history:{stage}")

    def has(self, table: str, column: str) -> bool:
        """Tell whether the models (and so the migrations) give `table` the column."""
        return column in self.tables[table].c

    def next_id(self, table: str) -> int:
        """Hand out the next primary key of a table after the rows already there."""
        if table not in self.next_ids:
            last = self.connection.scalar(sa.select(sa.func.max(self.tables[table].c.id))) or 0
            self.next_ids[table] = self.first_id[table] = last + 1
        self.next_ids[table] += 1
        return self.next_ids[table] - 1

    def scaled(self, per_month_at_huangshan: float, months: float = 1) -> int:
        """Return a Huangshan volume scaled to this scale's residents."""
        return max(1, round(per_month_at_huangshan * self.factor * months))

    def run(self) -> dict:
        """Add every part of the history; return counts, seconds and the id ranges written."""
        self.load_places()
        for phase in (
            self.status_changes,
            self.check_ins,
            self.visits,
            self.jobs,
            self.applications,
            self.pushes,
            self.zero_employment,
            self.snapshots,  # last: this month's snapshot counts the flows and visits above
        ):
            started = time.perf_counter()
            phase()
            self.loader.flush()
            self.phases[phase.__name__] = round(time.perf_counter() - started, 2)
        return {
            "counts": dict(self.loader.counts),
            "phase_seconds": self.phases,
            "ids": {t: [self.first_id[t], self.next_ids[t] - 1] for t in self.first_id},
        }

    # ---- what the generated data holds ----------------------------------------------------

    def load_places(self) -> None:
        """Read communities with their place columns, and residents with an account per community."""
        communities, townships, districts = (
            self.tables[n] for n in ("communities", "townships", "districts")
        )
        c, t, d = communities.c, townships.c, districts.c
        self.places = {
            row.id: {
                "community_id": row.id,
                "township_id": row.township_id,
                "circle_id": row.circle_id,
                "district_id": row.district_id,
                "city_id": row.city_id,
            }
            for row in self.connection.execute(
                sa.select(c.id, c.township_id, c.circle_id, t.district_id, d.city_id)
                .join(townships, t.id == c.township_id)
                .join(districts, d.id == t.district_id)
                .order_by(c.id)
            )
        }
        r = self.tables["residents"].c
        self.with_account: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.account_place: dict[int, int] = {}
        for resident_id, account_id, community_id in self.connection.execute(
            sa.select(r.id, r.account_id, r.community_id)
            .where(r.account_id.is_not(None), r.community_id.is_not(None))
            .order_by(r.id)
        ):
            self.with_account[community_id].append((resident_id, account_id))
            self.account_place[account_id] = community_id

    # ---- the ledger -----------------------------------------------------------------------

    def status_changes(self) -> None:
        """This month's flows as status changes of residents whose status they lead to."""
        rng = self.rng("status_changes")
        r = self.tables["residents"].c
        by_status = defaultdict(list)
        for resident_id, status in self.connection.execute(
            sa.select(r.id, r.employment_status)
            .where(r.employment_status.in_(["employed", "flexible", "unemployed", "unemployed_registered"]))
            .order_by(r.id)
        ):
            by_status[status].append(resident_id)
        working = len(by_status["employed"]) + len(by_status["flexible"])
        looking = len(by_status["unemployed"]) + len(by_status["unemployed_registered"])
        first = self.today.replace(day=1)
        elapsed = (self.today - first).days + 1
        share = elapsed / 30  # flows so far this month
        plans = (
            ("became_unemployed", "employed", "unemployed", working),
            ("re_employed", "unemployed", "employed", looking),
            ("registered_unemployed", "unemployed", "unemployed_registered", looking),
        )
        self.live_flows = {}
        for flow, from_status, to_status, base in plans:
            count = min(len(by_status[to_status]), round(base * FLOW_RATES[flow] * share))
            self.live_flows[flow] = count
            for resident_id in rng.sample(by_status[to_status], count):
                at = utc(first + timedelta(days=rng.randrange(elapsed)), rng.uniform(8 * 60, 18 * 60))
                at = min(at, self.now - timedelta(minutes=1))
                self.loader.add(
                    "status_changes",
                    {
                        "id": self.next_id("status_changes"),
                        "resident_id": resident_id,
                        "from_status": from_status,
                        "to_status": to_status,
                        "source": pick(rng, {"staff": 50, "visit": 30, "province": 20}),
                        "actor_id": None,
                        "note": None,
                        "occurred_at": at,
                        "created_at": at,
                    },
                )

    def snapshots(self) -> None:
        """This month by the app's snapshot; the 11 before drift back from it, each frozen."""
        from app.extensions import db
        from app.services.grid import snapshots

        self.loader.flush()
        db.session.commit()
        snapshots.snapshot()  # the app's own, on its own session
        db.session.commit()
        rng = self.rng("snapshots")
        s = self.tables["ledger_snapshots"].c
        this_month = self.today.replace(day=1).strftime("%Y-%m")
        current = self.connection.execute(
            sa.select(self.tables["ledger_snapshots"]).where(s.month == this_month)
        )
        current = [dict(row._mapping) for row in current]
        first = self.today.replace(day=1)
        for back in range(1, MONTHS):
            month = months_back(first, back)
            written = utc(months_back(first, back - 1), 60)  # an hour into the next month: frozen
            for row in current:
                self.loader.add("ledger_snapshots", self._past(rng, row, month, back, written))

    def _past(self, rng, row: dict, month: date, back: int, written: datetime) -> dict:
        """Return one community's snapshot `back` months ago: today's counts drifted and jittered."""
        by_status = {
            status: max(0, round(n * (1 + DRIFT.get(status, 0.0) * back) * rng.uniform(0.985, 1.015)))
            for status, n in (row["by_status"] or {}).items()
        }
        residents = sum(by_status.values())
        ratio = residents / row["residents"] if row["residents"] else 1.0
        values = {
            "id": self.next_id("ledger_snapshots"),
            "month": month.strftime("%Y-%m"),
            "residents": residents,
            "households": round(row["households"] * min(1.0, ratio + 0.001 * back)),
            "zero_employment_households": max(
                0, round(row["zero_employment_households"] * (1 + 0.01 * back) * rng.uniform(0.95, 1.05))
            ),
            "by_status": by_status,
            "by_key_group": {
                group: max(0, round(n * rng.uniform(0.97, 1.03)))
                for group, n in (row["by_key_group"] or {}).items()
            },
            "created_at": written,
            **{
                name: row[name]
                for name in ("community_id", "township_id", "circle_id", "district_id", "city_id")
            },
        }
        if self.has("ledger_snapshots", "coverage"):
            values["coverage"] = self._coverage(rng, month, values["households"])
        if self.has("ledger_snapshots", "flows"):
            working = by_status.get("employed", 0) + by_status.get("flexible", 0)
            looking = by_status.get("unemployed", 0) + by_status.get("unemployed_registered", 0)
            values["flows"] = {
                "became_unemployed": poisson(rng, working * FLOW_RATES["became_unemployed"]),
                "re_employed": poisson(rng, looking * FLOW_RATES["re_employed"]),
                "registered_unemployed": poisson(rng, looking * FLOW_RATES["registered_unemployed"]),
            }
        return values

    def _coverage(self, rng, month: date, households: int) -> dict:
        """Return a past month's quarter coverage at its last day: about 30 % of homes met a month in."""
        from app.common.clock import month_end, quarter_start

        through = month_end(month)
        start = quarter_start(through)
        share = min(0.95, 0.3 * (month.month - start.month + 1) * rng.uniform(0.6, 1.3))
        met = round(households * share)
        return {
            "quarter_start": start.isoformat(),
            "through": through.isoformat(),
            "met": met,
            "moved": round(households * 0.002),
            "not_home": round(met * 0.27),
            "refused": round(met * 0.05),
        }


def remove(connection, ids: dict) -> None:
    """Delete the rows an earlier run wrote (by the id ranges it recorded), children first."""
    tables = {name: sa.table(name, sa.column("id")) for name in ids}
    if "job_reports" in ids:
        reports = sa.table("job_reports", sa.column("id"), sa.column("job_id"))
        jobs = sa.table("jobs", sa.column("id"), sa.column("open_reports"))
        connection.execute(
            sa.update(jobs)
            .where(
                jobs.c.id.in_(sa.select(reports.c.job_id).where(reports.c.id.between(*ids["job_reports"])))
            )
            .values(open_reports=0)
        )
    if "check_ins" in ids:
        check_ins = sa.table("check_ins", sa.column("id"), sa.column("queue_key"))
        counters = sa.table("queue_counters", sa.column("key"))
        connection.execute(
            sa.delete(counters).where(
                counters.c.key.in_(
                    sa.select(check_ins.c.queue_key).where(check_ins.c.id.between(*ids["check_ins"]))
                )
            )
        )
    for name in (
        "pushes",
        "applications",
        "job_reports",
        "jobs",
        "visits",
        "check_ins",
        "zero_employment_cases",
        "ledger_snapshots",
        "status_changes",
    ):
        if name in ids:
            connection.execute(sa.delete(tables[name]).where(tables[name].c.id.between(*ids[name])))
    connection.commit()


def build(scale_name: str, seed: int, manifest: dict) -> dict:
    """Add the history to the current app's database (replacing an earlier run's); return the report."""
    from app.extensions import db

    started = time.perf_counter()
    with db.engine.connect() as connection:
        if manifest.get("history", {}).get("ids"):
            remove(connection, manifest["history"]["ids"])
        history = History(scale_name, seed, connection, manifest)
        report = history.run()
    report["seconds"] = round(time.perf_counter() - started, 2)
    manifest["history"] = {"ids": report["ids"], "counts": report["counts"], "seconds": report["seconds"]}
    return report


def main(argv: list[str] | None = None) -> dict:
    """Add the history to the benchmark database's generated scale; update its manifest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="tunxi")
    parser.add_argument("--seed", type=int, default=None, help="default: the generated data's seed")
    args = parser.parse_args(argv)
    path = RESULTS_DIR / f"manifest-{args.scale}.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    app = bench_app()
    with app.app_context():
        report = build(args.scale, args.seed if args.seed is not None else manifest["seed"], manifest)
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return report


if __name__ == "__main__":
    main()
