"""The platform-filled indicators of a district's month (月报指标), frozen into its progress report.

Counted straight from the ledger and the wings' tables for one district: stocks (residents,
seekers, zero-employment households, open findings and compliance gaps) as they stand when
counted, flows (door visits, visit days, placements, registrations, claims, check-ins, jobs) over
the month's local days; coverage over the month's quarter up to the month's end. A report filed
freezes what this returned then: later corrections to the data do not move a filed report.
"""

from datetime import date

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day, month_end, quarter_start
from app.extensions import db
from app.models import (
    CheckIn,
    Circle,
    CircleStatus,
    Claim,
    ComplianceGap,
    Finding,
    FindingStatus,
    Household,
    Job,
    PlacementFollowUp,
    Registration,
    Resident,
    Visit,
    VisitChannel,
)
from app.services.programme.operator_work import DECIDED_CLAIMS, DECIDED_REGISTRATIONS, window

# The indicators, in the order a report shows them: (key, Chinese label).
INDICATORS = (
    ("residents", "台账居民数"),
    ("seekers", "未就业人数"),
    ("zero_employment_households", "零就业家庭户数"),
    ("door_visits", "本月上门走访次数"),
    ("circles", "就业圈数"),
    ("circles_on_visit_target", "走访天数达标的就业圈"),
    ("quarter_coverage_percent", "本季度走访覆盖率(%)"),
    ("placements", "本月实现就业人数"),
    ("registrations_decided", "本月办结登记"),
    ("claims_decided", "本月办结待遇申领"),
    ("check_ins", "本月服务站签到人次"),
    ("jobs_published", "本月发布岗位"),
    ("findings_open", "监理问题待整改"),
    ("compliance_gaps_open", "未达标事项"),
)
SEEKING = ("unemployed", "unemployed_registered")


def _count(model, *conditions) -> int:
    """Count rows of a model matching the conditions."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions)) or 0


def _visit_figures(district_id: int, month: date) -> dict:
    """Return the month's door visits, circles on the visit-day target, and the quarter's coverage."""
    door = (Visit.channel == VisitChannel.door.value, Visit.district_id == district_id)
    last = min(month_end(month), local_day())
    in_month = (Visit.visit_day >= month, Visit.visit_day <= month_end(month))
    circles = db.session.scalars(
        sa.select(Circle.id).where(
            Circle.district_id == district_id, Circle.status == CircleStatus.active.value
        )
    ).all()
    per_circle = dict(
        db.session.execute(
            sa.select(Visit.circle_id, sa.func.count(sa.distinct(Visit.visit_day)))
            .where(*door, *in_month)
            .group_by(Visit.circle_id)
        ).all()
    )
    target = current_app.config["VISIT_DAYS_TARGET"]
    households = _count(Household, Household.district_id == district_id)
    visited = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Visit.household_id))).where(
            *door, Visit.visit_day >= quarter_start(month), Visit.visit_day <= last
        )
    )
    return {
        "door_visits": _count(Visit, *door, *in_month),
        "circles": len(circles),
        "circles_on_visit_target": sum(1 for cid in circles if per_circle.get(cid, 0) >= target),
        "quarter_coverage_percent": round(100 * visited / households, 1) if households else None,
    }


def indicators(district_id: int, month: date) -> dict:
    """Return the indicators of a district's month, keyed as INDICATORS."""
    start, end = window(month)
    return {
        "residents": _count(Resident, Resident.district_id == district_id),
        "seekers": _count(
            Resident, Resident.district_id == district_id, Resident.employment_status.in_(SEEKING)
        ),
        "zero_employment_households": _count(
            Household, Household.district_id == district_id, Household.zero_employment_since.is_not(None)
        ),
        **_visit_figures(district_id, month),
        "placements": _count(
            PlacementFollowUp,
            PlacementFollowUp.district_id == district_id,
            # Each placement has one follow-up per stage: its first stage counts it once.
            PlacementFollowUp.stage_days == min(current_app.config["PLACEMENT_FOLLOW_UP_DAYS"], default=90),
            PlacementFollowUp.started_on >= month,
            PlacementFollowUp.started_on <= month_end(month),
        ),
        "registrations_decided": _count(
            Registration,
            Registration.district_id == district_id,
            Registration.status.in_(DECIDED_REGISTRATIONS),
            Registration.reviewed_at >= start,
            Registration.reviewed_at < end,
        ),
        "claims_decided": _count(
            Claim,
            Claim.district_id == district_id,
            Claim.status.in_(DECIDED_CLAIMS),
            Claim.decided_at >= start,
            Claim.decided_at < end,
        ),
        "check_ins": _count(
            CheckIn, CheckIn.district_id == district_id, CheckIn.day >= month, CheckIn.day <= month_end(month)
        ),
        "jobs_published": _count(
            Job, Job.district_id == district_id, Job.published_at >= start, Job.published_at < end
        ),
        "findings_open": _count(
            Finding,
            Finding.district_id == district_id,
            Finding.status.in_((FindingStatus.open.value, FindingStatus.answered.value)),
        ),
        "compliance_gaps_open": _count(
            ComplianceGap, ComplianceGap.district_id == district_id, ComplianceGap.closed_at.is_(None)
        ),
    }
