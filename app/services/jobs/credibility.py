"""Employer credibility (信用): a score 0..100 and a level from what the platform saw the employer do.

Points (100 in all): verified 30; licence valid 10 (营业期限 not passed, or none entered: 长期);
answering applications of the last 90 days 30 (the share answered x 24, plus 6 for a median first
answer within 3 days, 3 within 7); hires in the last year 15 (1-2: 8, 3 or more: 15); 3/6-month
retention of its placements 15 (the share still employed x 15). An input with too little to judge
(fewer than CREDIBILITY_MIN_APPLICATIONS applications, no retention answer yet) earns half its
points: a new employer is neither rewarded nor punished. Each upheld fake-job report of the last
year (a job rejected at review while residents' reports were open) takes CREDIBILITY_REPORT_PENALTY
off. The events that change an input mark the row stale in their own transaction (mark_stale); the
task recomputes stale rows in bounded batches, and a first read computes a row never computed.
"""

import statistics
from datetime import date, datetime, timedelta

import redis
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.extensions import db, get_redis
from app.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Employer,
    EmployerCredibility,
    EmployerStatus,
    Job,
    PlacementAnswer,
    PlacementFollowUp,
    PlacementFollowUpStatus,
    utcnow,
    visible_clause,
)
from app.services.jobs.search import board

# An employer answers an application by a decision the applicant hears of ("viewed" is not one).
ANSWERS = frozenset(
    {ApplicationStatus.interview.value, ApplicationStatus.hired.value, ApplicationStatus.rejected.value}
)
LEVELS = (("good", 80), ("fair", 60), ("low", 0))  # 信用良好, 信用一般, 信用较低
LEVEL_NAMES = {"good": "信用良好", "fair": "信用一般", "low": "信用较低", "unrated": "暂无评价"}
ANSWER_DAYS, YEAR_DAYS = 90, 365


def mark_stale(employer_id: int | None) -> None:
    """Mark the employer's credibility for recomputing (in the caller's transaction, which commits)."""
    if employer_id is None:
        return
    now = utcnow()
    moved = db.session.execute(
        sa.update(EmployerCredibility)
        .where(EmployerCredibility.employer_id == employer_id, EmployerCredibility.stale_since.is_(None))
        .values(stale_since=now)
    )
    if moved.rowcount:
        return
    if db.session.get(EmployerCredibility, employer_id) is not None:
        return  # stale already: the oldest mark keeps its place in the task's queue
    try:
        with db.session.begin_nested():
            db.session.add(EmployerCredibility(employer_id=employer_id, stale_since=now))
    except IntegrityError:
        pass  # marked a moment ago by another transaction: stale either way


def _answers(employer_id: int, since: datetime) -> tuple[int, int, float | None]:
    """Return (applications, answered, median days to the first answer) of the applications since."""
    rows = db.session.execute(
        sa.select(Application.id, Application.status, Application.created_at).where(
            Application.employer_id == employer_id, Application.created_at >= since
        )
    ).all()
    if not rows:
        return 0, 0, None
    created = {row.id: row.created_at for row in rows}
    # The audit log holds each move with its time: the first move to an answer is the first answer.
    first: dict[int, datetime] = {}
    ids = [str(row.id) for row in rows]
    for start in range(0, len(ids), 500):
        events = db.session.execute(
            sa.select(AuditEvent.object_id, AuditEvent.created_at, AuditEvent.detail)
            .where(
                AuditEvent.action == "application.status",
                AuditEvent.object_type == "application",
                AuditEvent.object_id.in_(ids[start : start + 500]),
            )
            .order_by(AuditEvent.created_at, AuditEvent.id)
        ).all()
        for event in events:
            if (event.detail or {}).get("to") in ANSWERS:
                first.setdefault(int(event.object_id), event.created_at)
    # Withdrawn before any answer: the employer had nothing left to answer.
    counted = [
        row for row in rows if not (row.status == ApplicationStatus.withdrawn.value and row.id not in first)
    ]
    answered = [row.id for row in counted if row.id in first or row.status in ANSWERS]
    waits = [(first[i] - created[i]).total_seconds() / 86400 for i in answered if i in first]
    return len(counted), len(answered), statistics.median(waits) if waits else None


def _upheld_reports(employer_id: int, since: datetime) -> int:
    """Return how many of its jobs were rejected at review while residents' reports were open."""
    job_ids = [str(i) for i in db.session.scalars(sa.select(Job.id).where(Job.employer_id == employer_id))]
    upheld = 0
    for start in range(0, len(job_ids), 500):
        for detail in db.session.scalars(
            sa.select(AuditEvent.detail).where(
                AuditEvent.action == "job.review",
                AuditEvent.object_type == "job",
                AuditEvent.object_id.in_(job_ids[start : start + 500]),
                AuditEvent.created_at >= since,
            )
        ):
            detail = detail or {}
            upheld += detail.get("decision") == "rejected" and (detail.get("reports") or 0) > 0
    return upheld


def _retention(employer_id: int) -> tuple[int, int]:
    """Return (answered follow-ups, still employed) of the employer's placements."""
    rows = db.session.execute(
        sa.select(PlacementFollowUp.answer, sa.func.count())
        .where(
            PlacementFollowUp.employer_id == employer_id,
            PlacementFollowUp.status == PlacementFollowUpStatus.answered.value,
        )
        .group_by(PlacementFollowUp.answer)
    ).all()
    counts = {answer: count for answer, count in rows}
    return sum(counts.values()), counts.get(PlacementAnswer.still_employed.value, 0)


def inputs_of(employer: Employer, now: datetime, today: date) -> dict:
    """Return the figures the score is computed from."""
    applications, answered, median_days = _answers(employer.id, now - timedelta(days=ANSWER_DAYS))
    hires = db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.employer_id == employer.id,
            Application.status == ApplicationStatus.hired.value,
            Application.status_changed_at >= now - timedelta(days=YEAR_DAYS),
        )
    )
    follow_ups, still_employed = _retention(employer.id)
    until = employer.licence_valid_until
    return {
        "verified": employer.status == EmployerStatus.verified,
        "licence_valid_until": until.isoformat() if until else None,
        "licence_valid": until is None or until >= today,
        "applications_90d": applications,
        "answered_90d": answered,
        "median_answer_days": round(median_days, 1) if median_days is not None else None,
        "hires_365d": int(hires or 0),
        "follow_ups_answered": follow_ups,
        "still_employed": still_employed,
        "upheld_reports_365d": _upheld_reports(employer.id, now - timedelta(days=YEAR_DAYS)),
    }


def score_of(inputs: dict) -> tuple[int, str, list[str]]:
    """Return (score 0..100, level, reasons in plain Chinese) for the inputs."""
    config = current_app.config
    points, reasons = 0.0, []
    if inputs["verified"]:
        points += 30
        reasons.append("营业执照已核验")
    else:
        reasons.append("营业执照未核验")
    if inputs["verified"] and inputs["licence_valid"]:
        points += 10
    elif inputs["licence_valid_until"] and not inputs["licence_valid"]:
        reasons.append("营业执照已过期")
    applications = inputs["applications_90d"]
    if applications >= config["CREDIBILITY_MIN_APPLICATIONS"]:
        rate = inputs["answered_90d"] / applications
        points += 24 * rate
        reasons.append(f"近90天回复率 {round(rate * 100)}%")
        days = inputs["median_answer_days"]
        if days is not None and days <= 3:
            points += 6
            reasons.append("通常3天内回复")
        elif days is not None and days <= 7:
            points += 3
    else:
        points += 15  # too few applications to judge: half the points
    hires = inputs["hires_365d"]
    points += 15 if hires >= 3 else 8 if hires >= 1 else 0
    if hires:
        reasons.append(f"近一年录用 {hires} 人")
    if inputs["follow_ups_answered"]:
        share = inputs["still_employed"] / inputs["follow_ups_answered"]
        points += 15 * share
        reasons.append(f"回访在岗率 {round(share * 100)}%")
    else:
        points += 7.5
    upheld = inputs["upheld_reports_365d"]
    if upheld:
        points -= upheld * config["CREDIBILITY_REPORT_PENALTY"]
        reasons.append(f"近一年被举报查实 {upheld} 次")
    score = max(0, min(100, int(points + 0.5)))  # half up: 62.5 is 63, as people round
    level = next(name for name, floor in LEVELS if score >= floor)
    return score, level, reasons


def recompute(employer_id: int) -> EmployerCredibility | None:
    """Compute one employer's credibility now and store it (the caller commits)."""
    employer = db.session.get(Employer, employer_id)
    if employer is None:
        return None
    row = db.session.get(EmployerCredibility, employer_id)
    if row is None:
        row = EmployerCredibility(employer_id=employer_id)
        db.session.add(row)
    marked = row.stale_since
    now = utcnow()
    row.inputs = inputs_of(employer, now, local_day())
    row.score, row.level, row.reasons = score_of(row.inputs)
    row.computed_at = now
    employer.credibility_score = row.score
    db.session.flush()
    # A mark made while this ran (another transaction's event) keeps the row stale.
    db.session.execute(
        sa.update(EmployerCredibility)
        .where(EmployerCredibility.employer_id == employer_id, EmployerCredibility.stale_since == marked)
        .values(stale_since=None)
    )
    db.session.refresh(row)
    return row


def _note_live_jobs(employer_ids: list[int]) -> None:
    """Tell the job boards the employers' live jobs changed (their tie-breaker did); after commit."""
    job_ids = db.session.scalars(
        sa.select(Job.id).where(Job.employer_id.in_(employer_ids), visible_clause())
    ).all()
    if not job_ids:
        return
    try:
        board.note_changes(get_redis(), list(job_ids))
    except redis.RedisError:  # the boards' periodic recheck (updated_at) does not see this: log it
        current_app.logger.warning("credibility: could not note %d jobs to the job boards", len(job_ids))


def recompute_stale(batch: int | None = None) -> int:
    """Recompute the stalest rows (at most `batch`), oldest mark first; return how many."""
    batch = batch or current_app.config["CREDIBILITY_BATCH"]
    ids = list(
        db.session.scalars(
            sa.select(EmployerCredibility.employer_id)
            .where(EmployerCredibility.stale_since.is_not(None))
            .order_by(EmployerCredibility.stale_since, EmployerCredibility.employer_id)
            .limit(batch)
        )
    )
    for employer_id in ids:
        recompute(employer_id)
    db.session.commit()
    if ids:
        _note_live_jobs(ids)
    return len(ids)


def current(employer_id: int) -> EmployerCredibility | None:
    """Return the employer's credibility, computing (and committing) it on a first read."""
    row = db.session.get(EmployerCredibility, employer_id)
    if row is None or row.computed_at is None:
        row = recompute(employer_id)
        db.session.commit()
    return row


def public_view(employer_id: int) -> dict:
    """Return what residents see: the level, its name and the plain reasons."""
    row = current(employer_id)
    if row is None:
        return {"level": "unrated", "level_name": LEVEL_NAMES["unrated"], "reasons": []}
    return {"level": row.level, "level_name": LEVEL_NAMES.get(row.level, row.level), "reasons": row.reasons}


def staff_view(employer_id: int) -> dict:
    """Return what staff and the employer itself see: the score, level, reasons and the inputs."""
    row = current(employer_id)
    shown = public_view(employer_id)
    if row is not None:
        shown.update(
            score=row.score, inputs=row.inputs, computed_at=row.computed_at, stale=row.stale_since is not None
        )
    return shown
