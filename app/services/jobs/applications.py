"""Applications: a resident applies once per job; the employer moves it on; hired goes to the ledger.

A hire also pauses the resident's seeking (services/jobs/resumes.py `pause_seeking`).
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    EmploymentStatus,
    Job,
    Role,
    StatusSource,
    utcnow,
    visible_clause,
)
from app.models.jobs import SeekingPause
from app.queues import enqueue_after_commit
from app.services.jobs import credibility
from app.services.jobs.employers import employer_of
from app.services.jobs.resumes import pause_seeking
from app.services.people import audit, seekers
from app.services.people.consents import require_consent
from app.services.people.residents import resident_of
from app.services.people.status import record_status
from app.services.results import Page, paginate
from app.services.transactions import retry_on_deadlock

S = ApplicationStatus
# Where the employer may move an application from each status.
EMPLOYER_MOVES = {
    S.submitted: {S.viewed, S.interview, S.rejected},
    S.viewed: {S.interview, S.hired, S.rejected},
    S.interview: {S.hired, S.rejected},
}
# The applicant may withdraw until a decision is made.
WITHDRAWABLE = frozenset({S.submitted, S.viewed, S.interview})
# Statuses worth a message to the applicant: each one-time send is precious to the person.
NOTIFIED_STATUSES = frozenset({S.interview.value, S.hired.value, S.rejected.value})


def _existing(job_id: int, resident_id: int) -> Application | None:
    return db.session.scalar(
        sa.select(Application).where(Application.job_id == job_id, Application.resident_id == resident_id)
    )


@retry_on_deadlock
def apply(account: Account, job_id: int, message: str | None, ip: str | None) -> tuple[Application, bool]:
    """Apply to a live job; applying again returns the first application (created False)."""
    require_consent(account)  # the résumé goes to the employer
    resident = resident_of(account)
    existing = _existing(job_id, resident.id)
    if existing is not None:
        return existing, False
    job = db.session.scalar(sa.select(Job).where(Job.id == job_id, visible_clause()))
    if job is None:
        raise NotFound("job_not_found", f"No published job {job_id}.")
    application = Application(
        job_id=job.id,
        resident_id=resident.id,
        employer_id=job.employer_id,
        message=message,
        status=S.submitted.value,
    )
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError:
        # Two taps at once: the unique key keeps one, and both callers get it.
        db.session.rollback()
        return _existing(job_id, resident.id), False
    audit.commit(
        "application.create",
        actor=account,
        object_type="application",
        object_id=application.id,
        ip=ip,
        detail={"job_id": job.id},
    )
    return application, True


def list_applications(
    actor: Account, page: int, per_page: int, job_id: int | None = None, status: str | None = None
) -> Page:
    """Return a resident's own applications, or an employer's (for one job or all)."""
    statement = sa.select(Application).options(
        joinedload(Application.job).joinedload(Job.employer), joinedload(Application.resident)
    )
    if actor.role == Role.resident:
        statement = statement.where(Application.resident_id == resident_of(actor).id)
    else:
        employer = employer_of(actor)
        statement = statement.where(Application.employer_id == employer.id)
    if job_id is not None:
        statement = statement.where(Application.job_id == job_id)
    if status:
        statement = statement.where(Application.status == status)
    return paginate(statement, page, per_page, order_by=(Application.id.desc(),))


def _mine(actor: Account, application_id: int, for_update: bool = False) -> Application:
    """Return an application of the actor (as applicant or as employer), or 404."""
    statement = sa.select(Application).where(Application.id == application_id)
    if for_update:
        # Two taps on "hired" at once must not record the hire twice: the second waits here.
        statement = statement.with_for_update()
    if actor.role == Role.resident:
        statement = statement.where(Application.resident_id == resident_of(actor).id)
    else:
        statement = statement.where(Application.employer_id == employer_of(actor).id)
    application = db.session.scalar(statement)
    if application is None:
        raise NotFound("application_not_found", f"No application {application_id} of yours.")
    return application


def get_application(actor: Account, application_id: int) -> Application:
    """Return one application to its applicant or its employer."""
    return _mine(actor, application_id)


def change_status(actor: Account, application_id: int, status: str, ip: str | None) -> Application:
    """Move an application on (employer) or withdraw it (applicant); anything else is 409."""
    application = _mine(actor, application_id, for_update=True)
    current, wanted = S(application.status), S(status)
    if current == wanted:
        return application
    if actor.role == Role.resident:
        allowed = {S.withdrawn} if current in WITHDRAWABLE else set()
    else:
        allowed = EMPLOYER_MOVES.get(current, set())
    if wanted not in allowed:
        raise Conflict(
            "illegal_transition",
            f"An application that is {current.value} cannot become {wanted.value}.",
            field="status",
        )
    application.status = wanted.value
    application.status_changed_at = utcnow()
    resume = None
    if wanted is S.hired:
        record_status(
            application.resident,
            EmploymentStatus.employed,
            StatusSource.hire,
            actor=actor,
            note=f"hired through application {application.id} (job {application.job_id})",
        )
        # Hired, the resident stops seeking in the same commit: the employer's next post must
        # neither list nor push them. They look again with one tap (POST /me/resume/seeking).
        resume = pause_seeking(application.resident, SeekingPause.hired)
    if wanted.value in NOTIFIED_STATUSES:
        enqueue_after_commit("push.notify_application", application.id, wanted.value)
    # Answer rate, time to answer and hires are credibility inputs.
    credibility.mark_stale(application.employer_id)
    audit.commit(
        "application.status",
        actor=actor,
        object_type="application",
        object_id=application.id,
        ip=ip,
        detail={"from": current.value, "to": wanted.value},
    )
    if resume is not None:
        seekers.sync_seeker(application.resident, resume)
    return application
