"""What every section shares: a month's window, place filters, rows grouped by child place, tables, charts.

Sections return JSON-ready values only (numbers, strings, lists, dicts; days as YYYY-MM-DD,
moments as UTC ISO-8601 with Z), so a cached answer reads back exactly as it was computed.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.common.clock import local_day, month_end, utc_start_of
from app.extensions import db
from app.models import ScopeKind, Township, utcnow
from app.services.people.scoping import SCOPE_COLUMNS
from app.services.stats.places import PlaceRef, children, describe

UNPLACED = "未落到下级地点"


@dataclass(frozen=True)
class Window:
    """A month as the sections read it: its local days, its UTC bounds, and how far it has run."""

    first: date
    last: date
    start_utc: datetime
    end_utc: datetime
    # The month's last day, or today while it runs; `now` caps ages (days open, …) at its end.
    through: date
    now: datetime
    current: bool

    @property
    def label(self) -> str:
        """Return the month as YYYY-MM."""
        return self.first.strftime("%Y-%m")


def window(month: date) -> Window:
    """Return the window of the month that `month` falls in."""
    first, today = month.replace(day=1), local_day()
    last = month_end(first)
    end_utc = utc_start_of(last + timedelta(days=1))
    return Window(
        first=first,
        last=last,
        start_utc=utc_start_of(first),
        end_utc=end_utc,
        through=min(last, today),
        now=min(utcnow(), end_utc),
        current=first <= today <= last,
    )


def months_back(month: date, count: int = 12) -> list[date]:
    """Return the first days of `count` months ending with `month`'s, oldest first."""
    first = month.replace(day=1)
    months = []
    for back in range(count - 1, -1, -1):
        index = first.year * 12 + first.month - 1 - back
        months.append(date(index // 12, index % 12 + 1, 1))
    return months


def label(month: date) -> str:
    """Return a month as YYYY-MM."""
    return month.strftime("%Y-%m")


def iso(moment: datetime | None) -> str | None:
    """Return a naive-UTC moment as ISO-8601 with Z (None stays None)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC, microsecond=0).isoformat().replace("+00:00", "Z")


def in_place(model, place: PlaceRef):
    """Return the WHERE clause of `model` rows (with place columns) inside `place`: one indexed equality."""
    return getattr(model, SCOPE_COLUMNS[ScopeKind(place.kind)]) == place.id


def ratio(part: int | float, whole: int | float) -> float:
    """Return part ÷ whole to 4 places (0.0 when whole is 0)."""
    return round(part / whole, 4) if whole else 0.0


def table(columns: list[tuple[str, str]], rows: list[dict]) -> dict:
    """Return a table: columns as [key, 中文表头] pairs, rows as dicts (with more keys, e.g. path)."""
    return {"columns": [[key, header] for key, header in columns], "rows": rows}


def chart(x: list, series: list[tuple[str, str, list]]) -> dict:
    """Return an x-axis chart: categories and one {key, name, data} per series (null: no data)."""
    return {
        "x": list(x),
        "series": [{"key": key, "name": name, "data": list(data)} for key, name, data in series],
    }


def items(pairs: list[tuple[str, str, int | float]]) -> list[dict]:
    """Return {key, name, value} items (a pie, a funnel, a bar of categories)."""
    return [{"key": key, "name": name, "value": value} for key, name, value in pairs]


class Grouping:
    """How a place's rows fall to its children: the place columns to read, and the child of each row.

    city → district_id; district → circle_id, or township_id for rows outside every circle;
    circle → township_id (a community of the circle in another circle's township: community_id);
    township → community_id. A row whose child column is empty falls to (kind, None): shown
    as "未落到下级地点" (e.g. a station placed in its circle only).
    """

    NEEDS = {
        ScopeKind.city: ("district_id",),
        ScopeKind.district: ("circle_id", "township_id"),
        ScopeKind.circle: ("township_id", "community_id"),
        ScopeKind.township: ("community_id",),
        ScopeKind.community: (),
    }

    def __init__(self, place: PlaceRef):
        """Prepare the grouping of `place`'s rows (a circle reads its townships once)."""
        self.place = place
        self.kind = ScopeKind(place.kind)
        self.names = self.NEEDS[self.kind]
        self.circle_townships: frozenset[int] = frozenset()
        if self.kind is ScopeKind.circle:
            self.circle_townships = frozenset(
                db.session.scalars(sa.select(Township.id).where(Township.circle_id == place.id))
            )

    def columns(self, model) -> list:
        """Return `model`'s place columns the grouping reads, labelled by name."""
        return [getattr(model, name).label(name) for name in self.names]

    def key(self, row) -> tuple[str, int | None] | None:
        """Return the child (kind, id) a row (a mapping or a row with the columns) falls to."""
        get = row.get if isinstance(row, dict) else row._mapping.get
        if self.kind is ScopeKind.city:
            return ("district", get("district_id"))
        if self.kind is ScopeKind.district:
            circle_id = get("circle_id")
            return ("circle", circle_id) if circle_id is not None else ("township", get("township_id"))
        if self.kind is ScopeKind.circle:
            township_id = get("township_id")
            if township_id is None or township_id in self.circle_townships:
                return ("township", township_id)
            return ("community", get("community_id"))
        if self.kind is ScopeKind.township:
            return ("community", get("community_id"))
        return None

    def rows(self, totals: dict, empty: dict) -> list[dict]:
        """Return one row per child (children first, in order; then any other child the rows named).

        Each row is {"place": name, "path", "kind", "group", **figures}; `totals` maps child
        keys to figures, `empty` gives the figures of a child without rows.
        """
        remaining = dict(totals)
        rows = []
        for child in children(self.place):
            figures = remaining.pop((child.kind, child.id), None) or dict(empty)
            rows.append(
                {"place": child.name, "path": child.path, "kind": child.kind, "group": child.group, **figures}
            )
        for (kind, place_id), figures in sorted(
            remaining.items(), key=lambda item: (item[0][1] is None, item[0])
        ):
            found = describe(kind, place_id) if place_id is not None else None
            rows.append(
                {
                    "place": found.name if found else UNPLACED,
                    "path": found.path if found else None,
                    "kind": kind,
                    "group": None,
                    **figures,
                }
            )
        return rows


def add_into(total: dict, figures: dict) -> None:
    """Add numeric figures into a running total (keys missing from it start at 0)."""
    for name, value in figures.items():
        total[name] = total.get(name, 0) + value
