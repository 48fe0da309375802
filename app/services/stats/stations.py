"""Stations (the station funnel): check-ins by purpose → served → coded outcome, time to serve, follow-ups.

Visits to stations (not event check-ins) of the month in the place, read through the
(city_id, day) and (circle_id, day) indexes in a few grouped queries: the funnel's counts per
station, purpose and outcome; served visits per whole minute waited (capped at WAIT_CAP_MINUTES),
from which the median and 90th percentile come; visits per weekday and local hour (when to staff
the counter); and the place's follow-ups still open, whenever opened (the follow_up index).
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.common.clock import zone
from app.extensions import db
from app.models import Account, CheckIn, Station
from app.services.stats import labels
from app.services.stats.base import chart, in_place, items, ratio, table, window
from app.services.stats.places import PlaceRef
from app.services.stats.sql import hour_of, minutes_between, weekday_of

WAIT_CAP_MINUTES = 240
# Bands of the time-to-serve chart: (name, up to this many minutes; None: no bound).
WAIT_BANDS = (
    ("5分钟内", 5),
    ("5–15分钟", 15),
    ("15–30分钟", 30),
    ("30–60分钟", 60),
    ("1–2小时", 120),
    ("2小时以上", None),
)
FIGURES = {
    "check_ins": "来访签到",
    "served": "已服务",
    "served_rate": "服务率",
    "with_outcome": "已记录结果",
    "helped": "有成效(推荐/登记/申领/培训)",
    "out_of_hours": "非开放时间来访",
    "median_wait_minutes": "等候时长中位数(分钟)",
    "p90_wait_minutes": "等候时长90分位(分钟)",
    "follow_ups": "本月需跟进",
    "follow_ups_closed": "本月已跟进办结",
    "follow_ups_open": "本月跟进未办结",
    "follow_ups_open_all": "全部未办结跟进",
}
OUTCOME_KEYS = [str(key) for key in labels.OUTCOMES]


def stations(actor: Account, place: PlaceRef, month: date) -> dict:
    """Return the station funnel of a place for a month: purposes, outcomes, waits, follow-ups."""
    span = window(month)
    base = (
        in_place(CheckIn, place),
        CheckIn.day.between(span.first, span.last),
        CheckIn.event_id.is_(None),
        CheckIn.station_id.is_not(None),
    )
    served = sa.case((CheckIn.served_at.is_not(None), 1), else_=0)
    closed = sa.case((CheckIn.follow_up_closed_at.is_not(None), 1), else_=0)
    unqueued = sa.case((CheckIn.queue_number.is_(None), 1), else_=0)
    keys = (CheckIn.station_id, CheckIn.purpose, CheckIn.outcome, served, CheckIn.follow_up, closed, unqueued)
    totals = dict.fromkeys(FIGURES, 0)
    purposes: dict[str, dict] = {}
    per_station: dict[int, dict] = {}
    for (
        station_id,
        purpose,
        outcome,
        was_served,
        follow_up,
        was_closed,
        out_of_hours,
        n,
    ) in db.session.execute(sa.select(*keys, sa.func.count()).where(*base).group_by(*keys)):
        outcome = outcome or "none"
        figures = {
            "check_ins": n,
            "served": n if was_served else 0,
            "with_outcome": n if outcome != "none" else 0,
            "helped": n if outcome in labels.HELPED else 0,
            "out_of_hours": n if out_of_hours else 0,
            "follow_ups": n if follow_up else 0,
            "follow_ups_closed": n if follow_up and was_closed else 0,
            "follow_ups_open": n if follow_up and not was_closed else 0,
        }
        for target in (totals, per_station.setdefault(station_id, _station_empty())):
            for name, value in figures.items():
                target[name] += value
        row = purposes.setdefault(purpose, {"check_ins": 0, "served": 0, **dict.fromkeys(OUTCOME_KEYS, 0)})
        row["check_ins"] += n
        row["served"] += figures["served"]
        if was_served or outcome != "none":
            row[outcome] = row.get(outcome, 0) + n
    waits = _waits(base)
    for station_id, minutes in waits.items():
        per_station.setdefault(station_id, _station_empty())["waits"] = minutes
    all_minutes = {}
    for minutes in waits.values():
        for minute, n in minutes.items():
            all_minutes[minute] = all_minutes.get(minute, 0) + n
    totals["median_wait_minutes"] = percentile(all_minutes, 0.5)
    totals["p90_wait_minutes"] = percentile(all_minutes, 0.9)
    totals["served_rate"] = ratio(totals["served"], totals["check_ins"])
    backlog = _open_follow_ups(place)
    totals["follow_ups_open_all"] = sum(backlog.values())
    purpose_rows = [
        {
            "key": key,
            "name": name,
            **purposes.get(key, {"check_ins": 0, "served": 0, **dict.fromkeys(OUTCOME_KEYS, 0)}),
        }
        for key, name in labels.PURPOSES.items()
    ]
    outcome_items = [
        (key, name, sum(row.get(key, 0) for row in purpose_rows)) for key, name in labels.OUTCOMES.items()
    ]
    station_rows = _station_rows(place, per_station, backlog)
    heat = _heat(base, span.first)
    band_counts = _wait_bands(all_minutes)
    return {
        "section": "stations",
        "place": place.as_dict(),
        "month": span.label,
        "live": span.current,
        "figures": totals,
        "labels": FIGURES,
        "funnel": items(
            [
                ("check_ins", FIGURES["check_ins"], totals["check_ins"]),
                ("served", FIGURES["served"], totals["served"]),
                ("with_outcome", FIGURES["with_outcome"], totals["with_outcome"]),
                ("helped", "有成效", totals["helped"]),
            ]
        ),
        "by_outcome": items(outcome_items),
        "heat": heat,
        "series": {
            "by_purpose": chart(
                [r["name"] for r in purpose_rows],
                [("not_served", "未服务", [r["check_ins"] - r["served"] for r in purpose_rows])]
                + [
                    (key, name, [r.get(key, 0) for r in purpose_rows])
                    for key, name in labels.OUTCOMES.items()
                ],
            ),
            "waits": chart([name for name, _ in WAIT_BANDS], [("served", "已服务人次", band_counts)]),
            "by_station": chart(
                [r["name"] for r in station_rows],
                [(name, FIGURES[name], [r[name] for r in station_rows]) for name in ("check_ins", "served")],
            ),
        },
        "tables": {
            "by_purpose": table(
                [("name", "来访事由"), ("check_ins", "签到"), ("served", "已服务")]
                + [(key, name) for key, name in labels.OUTCOMES.items()],
                purpose_rows,
            ),
            "by_outcome": table([("name", "服务结果"), ("value", "人次")], items(outcome_items)),
            "stations": table(
                [
                    ("code", "编号"),
                    ("name", "服务站"),
                    ("check_ins", "签到"),
                    ("served", "已服务"),
                    ("served_rate", "服务率"),
                    ("helped", "有成效"),
                    ("median_wait_minutes", "等候中位数(分钟)"),
                    ("p90_wait_minutes", "等候90分位(分钟)"),
                    ("follow_ups_open_all", "未办结跟进"),
                ],
                station_rows,
            ),
            "heat": table(
                [("weekday", "星期"), *[(f"h{hour}", f"{hour}时") for hour in range(24)]],
                [
                    {"weekday": day, **{f"h{hour}": heat["grid"][index][hour] for hour in range(24)}}
                    for index, day in enumerate(labels.WEEKDAYS)
                ],
            ),
            "waits": table(
                [("name", "等候时长"), ("value", "人次")],
                [{"name": name, "value": n} for (name, _), n in zip(WAIT_BANDS, band_counts, strict=True)],
            ),
        },
    }


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """Return the smallest whole minute by which `share` of the served had been served (None: none served)."""
    total = sum(histogram.values())
    if not total:
        return None
    needed, seen = share * total, 0
    for minute in sorted(histogram):
        seen += histogram[minute]
        if seen >= needed:
            return minute
    return max(histogram)


def _station_empty() -> dict:
    return {
        "check_ins": 0,
        "served": 0,
        "with_outcome": 0,
        "helped": 0,
        "out_of_hours": 0,
        "follow_ups": 0,
        "follow_ups_closed": 0,
        "follow_ups_open": 0,
        "waits": {},
    }


def _waits(base) -> dict[int, dict[int, int]]:
    """Return per station the served visits (with a queue number) per whole minute waited, capped."""
    minutes = minutes_between(CheckIn.created_at, CheckIn.served_at)
    capped = sa.case((minutes > WAIT_CAP_MINUTES, WAIT_CAP_MINUTES), (minutes < 0, 0), else_=minutes)
    found: dict[int, dict[int, int]] = {}
    for station_id, minute, n in db.session.execute(
        sa.select(CheckIn.station_id, capped, sa.func.count())
        .where(*base, CheckIn.served_at.is_not(None), CheckIn.queue_number.is_not(None))
        .group_by(CheckIn.station_id, capped)
    ):
        found.setdefault(station_id, {})[int(minute)] = n
    return found


def _wait_bands(histogram: dict[int, int]) -> list[int]:
    counts, lower = [], -1
    for _name, upper in WAIT_BANDS:
        counts.append(sum(n for m, n in histogram.items() if m > lower and (upper is None or m <= upper)))
        lower = upper if upper is not None else lower
    return counts


def _open_follow_ups(place: PlaceRef) -> dict[int, int]:
    """Return per station the follow-ups still open in the place, whenever the visit was."""
    return dict(
        db.session.execute(
            sa.select(CheckIn.station_id, sa.func.count())
            .where(
                CheckIn.follow_up == sa.true(),  # `IS TRUE` would not use the index
                CheckIn.follow_up_closed_at.is_(None),
                in_place(CheckIn, place),
                CheckIn.station_id.is_not(None),
            )
            .group_by(CheckIn.station_id)
        ).all()
    )


def _station_rows(place: PlaceRef, per_station: dict, backlog: dict) -> list[dict]:
    """Return a row per station of the place (active, or with visits or follow-ups), busiest first."""
    ids = set(per_station) | set(backlog)
    stations = db.session.scalars(
        sa.select(Station).where(
            in_place(Station, place), sa.or_(Station.is_active.is_(True), Station.id.in_(ids))
        )
    )
    rows = []
    for station in stations:
        figures = per_station.get(station.id, _station_empty())
        waits = figures.pop("waits")
        rows.append(
            {
                "station_id": station.id,
                "code": station.code,
                "name": station.name,
                **figures,
                "served_rate": ratio(figures["served"], figures["check_ins"]),
                "median_wait_minutes": percentile(waits, 0.5),
                "p90_wait_minutes": percentile(waits, 0.9),
                "follow_ups_open_all": backlog.get(station.id, 0),
            }
        )
    return sorted(rows, key=lambda r: (-r["check_ins"], r["code"]))


def _heat(base, first: date) -> dict:
    """Return visits per weekday (Monday first) and local hour: ECharts heatmap data and the grid."""
    # The city's offset from UTC in whole hours (Asia/Shanghai keeps +8 all year).
    offset = int(
        zone().utcoffset(datetime(first.year, first.month, first.day) + timedelta(days=14)).total_seconds()
        // 3600
    )
    grid = [[0] * 24 for _ in range(7)]
    weekday, hour = weekday_of(CheckIn.day), hour_of(CheckIn.created_at)
    for sunday_first, utc_hour, n in db.session.execute(
        sa.select(weekday, hour, sa.func.count()).where(*base).group_by(weekday, hour)
    ):
        grid[(int(sunday_first) + 6) % 7][(int(utc_hour) + offset) % 24] += n
    return {
        "x": [f"{h}时" for h in range(24)],
        "y": list(labels.WEEKDAYS),
        "data": [[h, d, grid[d][h]] for d in range(7) for h in range(24) if grid[d][h]],
        "max": max((max(row) for row in grid), default=0),
        "grid": grid,
    }
