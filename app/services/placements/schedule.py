"""Scheduling follow-ups: every hire and every accepted employment registration gets one per stage.

Found by the daily run (not by a hook in the jobs or registrations wing), so nothing is lost when
a process dies between a hire and its follow-ups: the run looks for placements begun within the
last stages' reach that have no follow-up rows yet and writes them, unique per source and stage
(a second run, or two at once, adds nothing). An employment registration entered from a hired
application is the same placement as the hire: only the hire is followed up.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day, utc_start_of
from app.common.upsert import insert_ignoring_duplicates
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Application,
    ApplicationStatus,
    Employer,
    Job,
    PlacementFollowUp,
    PlacementFollowUpStatus,
    PlacementSource,
    Registration,
    RegistrationKind,
    Resident,
    utcnow,
)

# Follow-up rows per multi-row INSERT (SQLite's bound-parameter limit).
INSERT_ROWS = 200


def stages() -> tuple[int, ...]:
    """Return the days after the start each follow-up is due (PLACEMENT_FOLLOW_UP_DAYS)."""
    return tuple(sorted(current_app.config["PLACEMENT_FOLLOW_UP_DAYS"]))


def _unscheduled(source_type: PlacementSource, source_id):
    """The condition: no follow-up row exists yet for this source."""
    return ~sa.exists().where(
        PlacementFollowUp.source_type == source_type.value, PlacementFollowUp.source_id == source_id
    )


def _hires(since: date) -> list[dict]:
    """Return the hires through the platform since `since` that have no follow-ups yet."""
    places = [getattr(Resident, name) for name in PLACE_COLUMN_NAMES]
    rows = db.session.execute(
        sa.select(
            Application.id,
            Application.resident_id,
            Application.employer_id,
            Application.job_id,
            Application.status_changed_at,
            Job.kind,
            Employer.name,
            *places,
        )
        .join(Job, Job.id == Application.job_id)
        .join(Employer, Employer.id == Application.employer_id)
        .join(Resident, Resident.id == Application.resident_id)
        .where(
            Application.status == ApplicationStatus.hired.value,
            Application.status_changed_at >= utc_start_of(since),
            _unscheduled(PlacementSource.hire, Application.id),
        )
    ).all()
    return [
        {
            "resident_id": row.resident_id,
            "source_type": PlacementSource.hire.value,
            "source_id": row.id,
            "employer_id": row.employer_id,
            "employer_name": row.name,
            "job_id": row.job_id,
            "job_kind": row.kind,
            "started_on": local_day(row.status_changed_at),
            **{name: getattr(row, name) for name in PLACE_COLUMN_NAMES},
        }
        for row in rows
    ]


def _registrations(since: date) -> list[dict]:
    """Return the accepted employment registrations begun since `since` without follow-ups (not hires)."""
    places = [getattr(Registration, name) for name in PLACE_COLUMN_NAMES]
    rows = db.session.execute(
        sa.select(
            Registration.id,
            Registration.resident_id,
            Registration.employer_id,
            Registration.employer_name,
            Registration.started_on,
            *places,
        ).where(
            Registration.kind == RegistrationKind.employment.value,
            Registration.accepted_on.is_not(None),  # accepted (and perhaps ended since: stopped when due)
            Registration.application_id.is_(None),  # entered from a hire: the hire is followed up
            Registration.started_on >= since,
            _unscheduled(PlacementSource.employment_registration, Registration.id),
        )
    ).all()
    return [
        {
            "resident_id": row.resident_id,
            "source_type": PlacementSource.employment_registration.value,
            "source_id": row.id,
            "employer_id": row.employer_id,
            "employer_name": row.employer_name,
            "job_id": None,
            "job_kind": None,  # no job post: counted apart in the figures per job kind
            "started_on": row.started_on,
            **{name: getattr(row, name) for name in PLACE_COLUMN_NAMES},
        }
        for row in rows
    ]


def schedule(today: date | None = None) -> int:
    """Write the follow-ups of placements that have none yet; return how many rows were written.

    A stage already more than PLACEMENT_LATE_DAYS past its day when found (a placement entered
    late, or the feature switched on over old hires) is written stopped (`missed`): nobody is
    asked about a start half a year ago out of the blue, and the run does not find it again.
    """
    today = today or local_day()
    late = current_app.config["PLACEMENT_LATE_DAYS"]
    since = today - timedelta(days=max(stages()) + late)
    now, rows = utcnow(), []
    for placement in _hires(since) + _registrations(since):
        for days in stages():
            due = placement["started_on"] + timedelta(days=days)
            missed = due < today - timedelta(days=late)
            rows.append(
                {
                    **placement,
                    "stage_days": days,
                    "due_on": due,
                    "status": (
                        PlacementFollowUpStatus.stopped if missed else PlacementFollowUpStatus.scheduled
                    ).value,
                    "stop_reason": "missed" if missed else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    written = 0
    for start in range(0, len(rows), INSERT_ROWS):
        written += insert_ignoring_duplicates(
            db.session, PlacementFollowUp, rows[start : start + INSERT_ROWS]
        )
    db.session.commit()
    return written
