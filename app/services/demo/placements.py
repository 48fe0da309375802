"""Demo placement follow-ups (稳岗回访): three hires months ago, asked, answered, left, on the grid.

The hires are applications marked hired months ago at the first two demo employers; the real
scheduling (services/placements/schedule.py) writes their follow-ups and those of the demo's
accepted employment registration; then each demo follow-up is put where the story says (asked,
answered, stopped, a grid task) once: only rows still `scheduled` or `missed` are touched, so a
second run changes nothing. 王芳 uses the mini-program as openid demo-placement-1 and has a
3-month question waiting for her one-tap answer.
"""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    Employer,
    Job,
    PlacementFollowUp,
    PlacementFollowUpStatus,
    PlacementSource,
    Resident,
    Role,
    utcnow,
)
from app.services.demo.employers import DEMO_EMPLOYERS
from app.services.placements.schedule import schedule

# The mini-program user who has a follow-up to answer.
DEMO_PLACEMENT_OPENID = "demo-placement-1"
S = PlacementFollowUpStatus
# (resident, demo employer number, hired days ago, {stage: what happened})
DEMO_PLACEMENTS = (
    ("王芳", 1, 100, {90: "asked"}),
    ("李强", 1, 200, {90: ("left", "wages", "self"), 180: "left_earlier"}),
    ("刘洋", 2, 200, {90: ("still_employed", None, "phone"), 180: "task"}),
)


def _hire(resident: Resident, employer_number: int, days_ago: int) -> Application | None:
    """Return the demo hire of `resident` at a demo employer's first job (made if missing)."""
    employer = db.session.scalar(
        sa.select(Employer)
        .join(Account, Account.id == Employer.account_id)
        .where(Account.openid == DEMO_EMPLOYERS[employer_number - 1][0])
    )
    if employer is None:
        return None
    job = db.session.scalar(sa.select(Job).where(Job.employer_id == employer.id).order_by(Job.id))
    if job is None:
        return None
    found = db.session.scalar(
        sa.select(Application).where(Application.job_id == job.id, Application.resident_id == resident.id)
    )
    if found is not None:
        return found
    hired_at = utcnow() - timedelta(days=days_ago)
    application = Application(
        job_id=job.id,
        resident_id=resident.id,
        employer_id=employer.id,
        status=ApplicationStatus.hired.value,
        status_changed_at=hired_at,
        created_at=hired_at - timedelta(days=10),
    )
    db.session.add(application)
    db.session.flush()
    return application


def _account(resident: Resident) -> None:
    """Give the resident the demo mini-program account (openid demo-placement-1) if they have none."""
    if resident.account_id is not None:
        return
    account = db.session.scalar(sa.select(Account).where(Account.openid == DEMO_PLACEMENT_OPENID))
    if account is None:
        account = Account(role=Role.resident.value, openid=DEMO_PLACEMENT_OPENID, display_name=resident.name)
        db.session.add(account)
        db.session.flush()
    resident.account_id = account.id


def _play(follow_up: PlacementFollowUp, what, now) -> None:
    """Put one follow-up where the demo story has it."""
    asked_at = utcnow() - timedelta(days=max(0, (local_day() - follow_up.due_on).days))
    follow_up.stop_reason = None
    if what == "asked":
        follow_up.status, follow_up.asked_at = S.asked.value, now - timedelta(days=2)
    elif what == "task":
        follow_up.status, follow_up.asked_at = S.task.value, asked_at
        follow_up.task_at = asked_at + timedelta(days=7)
    elif what == "left_earlier":
        follow_up.status, follow_up.stop_reason = S.stopped.value, "left_earlier"
    else:
        answer, reason, channel = what
        follow_up.status, follow_up.asked_at = S.answered.value, asked_at
        follow_up.answer, follow_up.left_reason, follow_up.answer_channel = answer, reason, channel
        follow_up.answered_at = asked_at + timedelta(days=1)
        if answer == "left":
            follow_up.left_on = follow_up.started_on + timedelta(days=60)


def demo_placements() -> int:
    """Add the demo hires and follow-ups that are missing; return how many follow-ups were set (commits)."""
    hires = []
    for name, employer_number, days_ago, story in DEMO_PLACEMENTS:
        resident = db.session.scalar(sa.select(Resident).where(Resident.name == name).order_by(Resident.id))
        if resident is None or resident.community_id is None:
            continue
        application = _hire(resident, employer_number, days_ago)
        if application is not None:
            hires.append((application, story))
        if name == DEMO_PLACEMENTS[0][0]:
            _account(resident)
    schedule()  # the real scheduling: these hires and the accepted employment registration (commits)
    now, played = utcnow(), 0
    for application, story in hires:
        for follow_up in db.session.scalars(
            sa.select(PlacementFollowUp).where(
                PlacementFollowUp.source_type == PlacementSource.hire.value,
                PlacementFollowUp.source_id == application.id,
                sa.or_(
                    PlacementFollowUp.status == S.scheduled.value, PlacementFollowUp.stop_reason == "missed"
                ),
            )
        ):
            if follow_up.stage_days in story:
                _play(follow_up, story[follow_up.stage_days], now)
                played += 1
    db.session.commit()
    return played
