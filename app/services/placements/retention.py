"""Retention figures: of the placements followed up at 3 and 6 months, how many were still there.

Per stage (90, 180 days) and per group (employer, circle, job kind), over the follow-ups in the
caller's place whose placement began in the period asked. Known outcomes only: a
follow-up answered `still_employed` is retained; one answered `left`, or stopped because the person
had already left (an earlier stage's answer, or the employment registration ended), is not. The
rate is retained / (retained + left); follow-ups still waiting for an answer are counted apart
(`pending`); those not yet due, or never asked (`missed`), not at all.
"""

from datetime import date

import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Account, PlacementAnswer, PlacementFollowUp, PlacementFollowUpStatus
from app.services.people.places import describe_place
from app.services.people.scoping import worked_on

F = PlacementFollowUp
S = PlacementFollowUpStatus
GROUPS = ("employer", "circle", "job_kind")
# A placement without a job post (an employment registration) in the figures per job kind.
NO_JOB_KIND = "registration"
LEFT_STOPS = ("left_earlier", "registration_ended")


def _group_columns(by: str) -> tuple:
    """Return the columns a group is keyed by."""
    if by == "employer":
        return F.employer_id, F.employer_name
    if by == "circle":
        return (F.circle_id,)
    return (F.job_kind,)


def _group(by: str, row) -> dict:
    """Return {key, name} of one group's row."""
    if by == "employer":
        return {"key": str(row.employer_id or row.employer_name or ""), "name": row.employer_name or "-"}
    if by == "circle":
        place = describe_place("circle", row.circle_id)
        return {"key": place["code"] if place else "", "name": place["name"] if place else "-"}
    return {"key": row.job_kind or NO_JOB_KIND, "name": row.job_kind or NO_JOB_KIND}


def retention(actor: Account, by: str, started_from: date | None, started_to: date | None) -> dict:
    """Return 3- and 6-month retention per group for the caller's place, and the totals."""
    if by not in GROUPS:
        raise ValidationFailed("by", f"Group by one of {', '.join(GROUPS)}.", code="invalid_group")
    if started_from and started_to and started_from > started_to:
        raise ValidationFailed("started_from", "The period ends before it begins.", code="invalid_period")
    retained = sa.func.sum(sa.case((F.answer == PlacementAnswer.still_employed.value, 1), else_=0))
    left = sa.func.sum(
        sa.case(
            (F.answer == PlacementAnswer.left.value, 1),
            (sa.and_(F.status == S.stopped.value, F.stop_reason.in_(LEFT_STOPS)), 1),
            else_=0,
        )
    )
    pending = sa.func.sum(sa.case((F.status.in_((S.asked.value, S.task.value)), 1), else_=0))
    keys = _group_columns(by)
    statement = worked_on(
        sa.select(
            *keys, F.stage_days, retained.label("retained"), left.label("left"), pending.label("pending")
        ),
        F,
        actor,
    ).group_by(*keys, F.stage_days)
    if started_from:
        statement = statement.where(F.started_on >= started_from)
    if started_to:
        statement = statement.where(F.started_on <= started_to)
    groups: dict[str, dict] = {}
    totals: dict[int, dict] = {}
    for row in db.session.execute(statement):
        group = _group(by, row)
        entry = groups.setdefault(group["key"], {**group, "stages": {}})
        counts = entry["stages"].setdefault(row.stage_days, {"retained": 0, "left": 0, "pending": 0})
        total = totals.setdefault(row.stage_days, {"retained": 0, "left": 0, "pending": 0})
        for name in ("retained", "left", "pending"):
            counts[name] += int(getattr(row, name) or 0)
            total[name] += int(getattr(row, name) or 0)
    return {
        "by": by,
        "groups": [
            {"key": g["key"], "name": g["name"], "stages": _stages(g["stages"])}
            for g in sorted(groups.values(), key=lambda g: (g["name"], g["key"]))
        ],
        "totals": _stages(totals),
    }


def _stages(stages: dict[int, dict]) -> list[dict]:
    """Return the stages' counts with their rate (None without a known outcome), by stage."""
    out = []
    for days in sorted(stages):
        counts = stages[days]
        known = counts["retained"] + counts["left"]
        rate = round(counts["retained"] / known, 4) if known else None
        out.append({"stage_days": days, **counts, "rate": rate})
    return out
