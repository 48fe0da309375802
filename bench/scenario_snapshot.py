"""Scenario 5: the monthly ledger snapshot (grid/snapshots.snapshot, what `flask snapshot-ledger` runs).

Runs in-process, as the RQ worker runs the job: one month's counts per community over every
resident, household, key group and zero-employment case of the generated scale. The first run
writes the month's rows; the next ones replace them, as the hourly cron does.
"""

import time

import sqlalchemy as sa

from bench.common import bench_app, scenario_main, summary_row, write_result

TARGET_SECONDS = 60


def run(scale: str = "tunxi", quick: bool = False) -> dict:
    """Time the current month's snapshot twice (writing, then replacing); check totals; write the result."""
    app = bench_app()  # first: the app's config reads the benchmark's environment on import
    from app.common.clock import local_day
    from app.extensions import db
    from app.models import Household, LedgerSnapshot, Resident
    from app.services.grid import snapshots

    runs = []
    with app.app_context():
        for _ in range(2):
            db.session.remove()  # a fresh connection and snapshot, as each cron job has
            started = time.perf_counter()
            written = snapshots.snapshot()
            runs.append({"seconds": round(time.perf_counter() - started, 2), "rows_written": written})
        # This month's rows only: the generated history holds earlier months' snapshots too.
        month = local_day().strftime("%Y-%m")
        totals = db.session.execute(
            sa.select(sa.func.sum(LedgerSnapshot.residents), sa.func.sum(LedgerSnapshot.households)).where(
                LedgerSnapshot.month == month
            )
        ).one()
        residents = db.session.scalar(sa.select(sa.func.count()).select_from(Resident))
        households = db.session.scalar(sa.select(sa.func.count()).select_from(Household))
    if (totals[0], totals[1]) != (residents, households):
        raise RuntimeError(
            f"snapshot totals {tuple(totals)} differ from the ledger's {residents}, {households}"
        )
    slowest = max(run["seconds"] for run in runs)
    return write_result(
        "snapshot",
        {
            "scale": scale,
            "via": "in-process (services.grid.snapshots.snapshot, as the RQ task runs it)",
            "residents": residents,
            "households": households,
            "seconds": runs[0]["seconds"],
            "rows_written": runs[0]["rows_written"],
            "runs": runs,
            "target_seconds": TARGET_SECONDS,
            "meets_target": slowest <= TARGET_SECONDS,
        },
    )


def summary(result: dict) -> list[dict]:
    """Return this scenario's rows for make bench's table: figure, value, unit, target, met."""
    # Figures named alike at every scale, so anhui-slice's table can say how each grew.
    runs = result.get("runs") or [{"seconds": result["seconds"]}]
    target = f"<= {result.get('target_seconds', TARGET_SECONDS)}"
    rows = [
        summary_row("residents in the ledger", result["residents"]),
        summary_row("ledger snapshot", result["seconds"], "s", target, result["seconds"] <= TARGET_SECONDS),
    ]
    if len(runs) > 1:
        again = runs[1]["seconds"]
        rows.append(
            summary_row("snapshot again (replacing the month)", again, "s", target, again <= TARGET_SECONDS)
        )
    return rows


if __name__ == "__main__":
    scenario_main(run, __doc__)
