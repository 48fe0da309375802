"""People: residents by employment status and key group, the month's movements, a 12-month trend.

Everything comes from the ledger snapshots (one row per community per month, written every 15
minutes for the current month): the current month's row is today's figures as of its
`created_at`. At city scale this reads 12 × ~1,000 small rows, never the residents.
"""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, EmploymentStatus, LedgerSnapshot
from app.services.stats import labels
from app.services.stats.base import (
    Grouping,
    chart,
    in_place,
    iso,
    items,
    label,
    months_back,
    ratio,
    table,
    window,
)
from app.services.stats.places import PlaceRef
from app.services.stats.sql import json_sum

STATUS_ORDER = [*labels.STATUSES]
# The month's flows as figures (the snapshot's registered_unemployed flow is not the status count).
FLOW_FIGURES = {
    "became_unemployed": "became_unemployed",
    "re_employed": "re_employed",
    "registered_unemployed": "newly_registered_unemployed",
}
EMPLOYED = (EmploymentStatus.employed, EmploymentStatus.flexible)
UNEMPLOYED = (EmploymentStatus.unemployed, EmploymentStatus.unemployed_registered)
FIGURES = {
    "residents": "居民",
    "households": "户数",
    "communities": "社区/村",
    "employed": "就业(含灵活就业)",
    "unemployed": "未就业(含登记失业)",
    "registered_unemployed": "登记失业",
    "labour_force": "劳动力",
    "unemployment_rate": "未就业率",
    "key_group_members": "重点群体人次",
    "zero_employment_households": "零就业家庭",
    **{FLOW_FIGURES[key]: name for key, name in labels.FLOWS.items()},
}
CHILD_COLUMNS = [
    ("place", "地点"),
    ("residents", "居民"),
    ("employed", "就业"),
    ("unemployed", "未就业"),
    ("registered_unemployed", "登记失业"),
    ("key_group_members", "重点群体人次"),
    ("zero_employment_households", "零就业家庭"),
    ("became_unemployed", "新增失业"),
    ("re_employed", "失业再就业"),
]


# The numbers inside the snapshots' JSON that the section sums (by the database, per month or child).
MEASURES = (
    *(("by_status", str(key)) for key in labels.STATUSES),
    *(("by_key_group", str(key)) for key in labels.KEY_GROUPS),
    *(("flows", key) for key in labels.FLOWS),
)


def _empty() -> dict:
    return {
        "communities": 0,
        "residents": 0,
        "households": 0,
        "zero_employment_households": 0,
        "by_status": {},
        "by_key_group": {},
        "flows": dict.fromkeys(labels.FLOWS, 0),
    }


def _sums(place: PlaceRef, *keys):
    """SELECT the snapshots' counts in a place summed by `keys`: communities, columns, JSON numbers, time."""
    return sa.select(
        *keys,
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(LedgerSnapshot.residents), 0),
        sa.func.coalesce(sa.func.sum(LedgerSnapshot.households), 0),
        sa.func.coalesce(sa.func.sum(LedgerSnapshot.zero_employment_households), 0),
        sa.func.max(LedgerSnapshot.created_at),
        *(json_sum(getattr(LedgerSnapshot, column), key) for column, key in MEASURES),
    ).where(in_place(LedgerSnapshot, place))


def _totals(values) -> dict:
    """Turn one row of _sums (after its keys) into the totals of a month or child."""
    communities, residents, households, zero, _written, *numbers = values
    total = {
        "communities": communities,
        "residents": int(residents),
        "households": int(households),
        "zero_employment_households": int(zero),
        "by_status": {},
        "by_key_group": {},
        "flows": {},
    }
    for (column, key), n in zip(MEASURES, numbers, strict=True):
        total[column][key] = int(n or 0)
    return total


def _merge(total: dict, more: dict) -> None:
    """Add one group's totals into a child's (a circle gathers the groups of its townships)."""
    for name in ("communities", "residents", "households", "zero_employment_households"):
        total[name] += more[name]
    for name in ("by_status", "by_key_group", "flows"):
        for key, n in more[name].items():
            total[name][key] = total[name].get(key, 0) + n


def _figures(total: dict) -> dict:
    """Return the headline figures of a month's totals."""
    status = total["by_status"]
    employed = sum(status.get(s, 0) for s in EMPLOYED)
    unemployed = sum(status.get(s, 0) for s in UNEMPLOYED)
    return {
        "residents": total["residents"],
        "households": total["households"],
        "communities": total["communities"],
        "employed": employed,
        "unemployed": unemployed,
        "registered_unemployed": status.get(EmploymentStatus.unemployed_registered, 0),
        "labour_force": employed + unemployed,
        "unemployment_rate": ratio(unemployed, employed + unemployed),
        "key_group_members": sum(total["by_key_group"].values()),
        "zero_employment_households": total["zero_employment_households"],
        **{FLOW_FIGURES[name]: total["flows"].get(name, 0) for name in labels.FLOWS},
    }


def people(actor: Account, place: PlaceRef, month: date) -> dict:
    """Return the people figures of a place for a month, its 12-month trend and a row per child place."""
    months = [label(m) for m in months_back(month)]
    chosen = label(month)
    grouping = Grouping(place)
    per_month, as_of = {}, None
    for row in db.session.execute(
        _sums(place, LedgerSnapshot.month)
        .where(LedgerSnapshot.month.in_(months))
        .group_by(LedgerSnapshot.month)
    ):
        per_month[row[0]] = _totals(row[1:])
        if row[0] == chosen:
            as_of = row[5]
    per_child: dict[tuple, dict] = {}
    if grouping.names:
        keys = grouping.columns(LedgerSnapshot)
        statement = _sums(place, *keys).where(LedgerSnapshot.month == chosen).group_by(*keys)
        for row in db.session.execute(statement):
            _merge(per_child.setdefault(grouping.key(row), _empty()), _totals(row[len(keys) :]))
    total = per_month.get(chosen, _empty())
    figures = _figures(total)
    trend = {m: _figures(per_month[m]) if m in per_month else None for m in months}

    def line(name: str) -> list:
        return [trend[m][name] if trend[m] else None for m in months]

    def status_line(status: str) -> list:
        return [per_month[m]["by_status"].get(status, 0) if m in per_month else None for m in months]

    statuses = [
        s for s in STATUS_ORDER if s != "unknown" or any(t["by_status"].get(s) for t in per_month.values())
    ]
    key_groups = [(str(g), labels.KEY_GROUPS[g], total["by_key_group"].get(g, 0)) for g in labels.KEY_GROUPS]
    child_rows = grouping.rows({key: _figures(t) for key, t in per_child.items()}, _figures(_empty()))
    trend_rows = [{"month": m, **(trend[m] or dict.fromkeys(FIGURES))} for m in months]
    return {
        "section": "people",
        "place": place.as_dict(),
        "month": chosen,
        "live": window(month).current,
        "as_of": iso(as_of),
        "missing_months": [m for m in months if m not in per_month],
        "figures": figures,
        "labels": FIGURES,
        "by_status": items([(s, labels.STATUSES[s], total["by_status"].get(s, 0)) for s in statuses]),
        "by_key_group": items(key_groups),
        "series": {
            "status_trend": chart(months, [(s, labels.STATUSES[s], status_line(s)) for s in statuses]),
            "flows_trend": chart(months, [(f, labels.FLOWS[f], line(FLOW_FIGURES[f])) for f in labels.FLOWS]),
            "residents_trend": chart(
                months,
                [(name, FIGURES[name], line(name)) for name in ("residents", "employed", "unemployed")],
            ),
            "key_groups": chart(
                [name for _, name, _ in key_groups], [("members", "人次", [n for *_, n in key_groups])]
            ),
        },
        "tables": {
            "children": table(CHILD_COLUMNS, child_rows),
            "by_status": table(
                [("name", "就业状态"), ("value", "人数")],
                [
                    {"key": s, "name": labels.STATUSES[s], "value": total["by_status"].get(s, 0)}
                    for s in statuses
                ],
            ),
            "by_key_group": table(
                [("name", "重点群体"), ("value", "人次")],
                [{"key": key, "name": name, "value": n} for key, name, n in key_groups],
            ),
            "trend": table([("month", "月份"), *FIGURES.items()], trend_rows),
        },
    }
