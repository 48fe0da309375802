"""Compliance (达标): the plan's rules checked over the city, each shortfall kept as a gap with since-when.

A run evaluates every rule (compliance_rules.py) and reconciles the open gaps with what it
found, in one transaction: a new shortfall opens a gap (opened_at: since when), one still short
has its figures and checked_at refreshed, and a gap no longer found is closed (closed_at; the row
stays as history). open_key makes "one open gap per place, rule and period" a unique index, so
two runs racing cannot open the same gap twice. A period's gap (last month's visit days, last
quarter's coverage) closes when the next period closes: the plan asks about the latest one.
"""

from datetime import date

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Account, ComplianceGap, utcnow
from app.services.people import audit
from app.services.programme.compliance_rules import district_city, evaluate
from app.services.programme.responsibility import operators_of_circles


def check_compliance(today: date | None = None, actor: Account | None = None) -> dict:
    """Evaluate every rule as of `today` and open, refresh or close gaps; return the counts."""
    today = today or local_day()
    shortfalls = {each.open_key: each for each in evaluate(today)}
    now = utcnow()
    operators = operators_of_circles({s.circle_id for s in shortfalls.values() if s.circle_id}, today)
    cities = district_city({s.district_id for s in shortfalls.values()})
    open_gaps = {
        gap.open_key: gap
        for gap in db.session.scalars(sa.select(ComplianceGap).where(ComplianceGap.closed_at.is_(None)))
    }
    counts = {"opened": 0, "refreshed": 0, "closed": 0}
    for key, gap in open_gaps.items():
        if key not in shortfalls:
            gap.closed_at, gap.open_key, gap.checked_at = now, None, now
            counts["closed"] += 1
    for key, found in shortfalls.items():
        gap = open_gaps.get(key)
        operator_id = operators.get(found.circle_id) if found.circle_id else None
        if gap is None:
            db.session.add(
                ComplianceGap(
                    rule=found.rule,
                    place_kind=found.place_kind,
                    place_id=found.place_id,
                    circle_id=found.circle_id,
                    district_id=found.district_id,
                    city_id=cities[found.district_id],
                    operator_id=operator_id,
                    period=found.period,
                    detail=found.detail,
                    opened_at=now,
                    checked_at=now,
                    open_key=key,
                )
            )
            counts["opened"] += 1
        else:
            gap.detail, gap.checked_at, gap.operator_id = found.detail, now, operator_id
            counts["refreshed"] += 1
    counts["open"] = len(shortfalls)
    if actor is not None:  # a run asked for by hand; the hourly task's runs are in the task log
        audit.record("compliance.check", actor=actor, detail={**counts, "as_of": today.isoformat()})
    db.session.commit()
    return {"as_of": today, **counts}
