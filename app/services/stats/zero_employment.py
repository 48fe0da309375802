"""Zero-employment households: cases open at the month's end, opened and cleared in it, days open.

From zero_employment_cases (a few per thousand households: small), read once per request with
the month's bounds, and the ledger snapshots for the 12-month trend. Days open count to now in
the current month, to the month's end for a past one. No names or ID numbers: a case is its
community, its opening day and its age.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Account, AssistanceAction, Community, LedgerSnapshot, ZeroEmploymentCase
from app.services.stats.base import (
    Grouping,
    chart,
    in_place,
    items,
    label,
    months_back,
    table,
    window,
)
from app.services.stats.places import PlaceRef

OLDEST_LIMIT = 20
# Days-open bands: (key, name, up to this many days; None: no bound).
BANDS = (
    ("d30", "30天内", 30),
    ("d90", "31–90天", 90),
    ("d180", "91–180天", 180),
    ("d365", "181–365天", 365),
    ("over365", "一年以上", None),
)
FIGURES = {
    "open": "未清零户数",
    "opened": "本月新增",
    "cleared": "本月清零",
    "oldest_days": "最长未清零天数",
}
CHILD_COLUMNS = [("place", "地点"), *FIGURES.items()]
Case = ZeroEmploymentCase


def zero_employment(actor: Account, place: PlaceRef, month: date) -> dict:
    """Return the zero-employment cases of a place for a month: counts, days open, oldest, trend, children."""
    span = window(month)
    grouping = Grouping(place)
    is_open = sa.and_(
        Case.opened_at < span.end_utc, sa.or_(Case.cleared_at.is_(None), Case.cleared_at >= span.end_utc)
    )

    def count(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    bands, lower = [], None
    for _key, _name, days in BANDS:
        newest = span.now - timedelta(days=days) if days is not None else None
        condition = [is_open]
        if lower is not None:
            condition.append(Case.opened_at < lower)  # older than the band before
        if newest is not None:
            condition.append(Case.opened_at >= newest)
        bands.append(count(sa.and_(*condition)))
        lower = newest
    statement = (
        sa.select(
            *grouping.columns(Case),
            count(is_open),
            count(Case.opened_at >= span.start_utc),
            count(sa.and_(Case.cleared_at >= span.start_utc, Case.cleared_at < span.end_utc)),
            sa.func.min(sa.case((is_open, Case.opened_at), else_=None)),
            *bands,
        )
        .where(
            in_place(Case, place),
            Case.opened_at < span.end_utc,
            sa.or_(Case.cleared_at.is_(None), Case.cleared_at >= span.start_utc),
        )
        .group_by(*grouping.columns(Case))
    )
    totals = {"open": 0, "opened": 0, "cleared": 0, "oldest_days": 0}
    band_totals = [0] * len(BANDS)
    per_child: dict[tuple, dict] = {}
    width = len(grouping.names)
    for row in db.session.execute(statement):
        opened, new, cleared, oldest, *band_counts = row[width:]
        figures = {
            "open": int(opened or 0),
            "opened": int(new or 0),
            "cleared": int(cleared or 0),
            "oldest_days": (span.now - oldest).days if oldest is not None else 0,
        }
        for name in ("open", "opened", "cleared"):
            totals[name] += figures[name]
        totals["oldest_days"] = max(totals["oldest_days"], figures["oldest_days"])
        band_totals = [a + int(b or 0) for a, b in zip(band_totals, band_counts, strict=True)]
        key = grouping.key(row)
        if key is not None:
            child = per_child.setdefault(key, {"open": 0, "opened": 0, "cleared": 0, "oldest_days": 0})
            for name in ("open", "opened", "cleared"):
                child[name] += figures[name]
            child["oldest_days"] = max(child["oldest_days"], figures["oldest_days"])
    oldest = _oldest(place, is_open, span)
    trend_rows = _trend(place, month)
    band_items = [(key, name, n) for (key, name, _), n in zip(BANDS, band_totals, strict=True)]
    return {
        "section": "zero_employment",
        "place": place.as_dict(),
        "month": span.label,
        "live": span.current,
        "figures": totals,
        "labels": FIGURES,
        "days_open": items(band_items),
        "series": {
            "trend": chart(
                [r["month"] for r in trend_rows],
                [
                    ("households", "月末零就业家庭", [r["households"] for r in trend_rows]),
                    ("opened", "新增", [r["opened"] for r in trend_rows]),
                    ("cleared", "清零", [r["cleared"] for r in trend_rows]),
                ],
            ),
            "days_open": chart([name for _, name, _ in band_items], [("open", "未清零户数", band_totals)]),
        },
        "tables": {
            "children": table(CHILD_COLUMNS, grouping.rows(per_child, dict.fromkeys(FIGURES, 0))),
            "oldest": table(
                [
                    ("case_id", "编号"),
                    ("community", "社区/村"),
                    ("opened_on", "认定日期"),
                    ("days_open", "未清零天数"),
                    ("actions", "帮扶次数"),
                ],
                oldest,
            ),
            "days_open": table([("name", "未清零时长"), ("value", "户数")], items(band_items)),
            "trend": table(
                [
                    ("month", "月份"),
                    ("households", "月末零就业家庭"),
                    ("opened", "新增"),
                    ("cleared", "清零"),
                ],
                trend_rows,
            ),
        },
    }


def _oldest(place: PlaceRef, is_open, span) -> list[dict]:
    """Return the OLDEST_LIMIT cases open longest at the window's end: where, since when, help given."""
    rows = db.session.execute(
        sa.select(Case.id, Case.opened_at, Community.code, Community.name)
        .outerjoin(Community, Community.id == Case.community_id)
        .where(in_place(Case, place), is_open)
        .order_by(Case.opened_at, Case.id)
        .limit(OLDEST_LIMIT)
    ).all()
    actions = dict(
        db.session.execute(
            sa.select(AssistanceAction.case_id, sa.func.count())
            .where(AssistanceAction.case_id.in_([r.id for r in rows]))
            .group_by(AssistanceAction.case_id)
        ).all()
    )
    return [
        {
            "case_id": r.id,
            "community": r.name,
            "community_code": r.code,
            "opened_on": local_day(r.opened_at).isoformat(),
            "days_open": (span.now - r.opened_at).days,
            "actions": actions.get(r.id, 0),
        }
        for r in rows
    ]


def _trend(place: PlaceRef, month: date) -> list[dict]:
    """Return 12 months of zero-employment households at each month's end (snapshots), opened and cleared."""
    months = months_back(month)
    spans = [window(m) for m in months]
    households = dict(
        db.session.execute(
            sa.select(LedgerSnapshot.month, sa.func.sum(LedgerSnapshot.zero_employment_households))
            .where(in_place(LedgerSnapshot, place), LedgerSnapshot.month.in_([label(m) for m in months]))
            .group_by(LedgerSnapshot.month)
        ).all()
    )
    start, end = spans[0].start_utc, spans[-1].end_utc

    def within(column, span):
        return sa.func.sum(sa.case((sa.and_(column >= span.start_utc, column < span.end_utc), 1), else_=0))

    counts = db.session.execute(
        sa.select(
            *[within(Case.opened_at, span) for span in spans],
            *[within(Case.cleared_at, span) for span in spans],
        ).where(
            in_place(Case, place),
            sa.or_(
                sa.and_(Case.opened_at >= start, Case.opened_at < end),
                sa.and_(Case.cleared_at >= start, Case.cleared_at < end),
            ),
        )
    ).one()
    return [
        {
            "month": span.label,
            "households": int(households[span.label]) if span.label in households else None,
            "opened": int(counts[i] or 0),
            "cleared": int(counts[len(spans) + i] or 0),
        }
        for i, span in enumerate(spans)
    ]
