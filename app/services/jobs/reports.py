"""Reports (举报): a resident reports a live job; enough distinct reports hide it until staff review it."""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.errors import NotFound
from app.extensions import db
from app.models import Account, Job, JobReport, JobStatus, utcnow, visible_clause
from app.services.jobs.search import geo_index
from app.services.people import audit


def report(account: Account, job_id: int, reason: str, ip: str | None) -> tuple[JobReport, bool]:
    """Record a resident's report; enough distinct ones hide the job until staff review it.

    One open report per resident per job: reporting again returns it (created False). After
    staff have reviewed the job, the same resident may report it again and is counted anew.
    """
    job = db.session.scalar(sa.select(Job).where(Job.id == job_id, visible_clause()))
    existing = db.session.scalar(
        sa.select(JobReport).where(JobReport.job_id == job_id, JobReport.account_id == account.id)
    )
    if existing is not None and (existing.cleared_at is None or job is None):
        return existing, False
    if job is None:
        raise NotFound("job_not_found", f"No published job {job_id}.")
    if existing is not None:
        # Reopen the row: the unique key keeps one report per resident per job.
        row = existing
        row.reason, row.created_at, row.cleared_at = reason.strip(), utcnow(), None
    else:
        row = JobReport(job_id=job.id, account_id=account.id, reason=reason.strip())
        db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        # The same resident reporting twice at once: the first one counts.
        db.session.rollback()
        return db.session.scalar(
            sa.select(JobReport).where(JobReport.job_id == job_id, JobReport.account_id == account.id)
        ), False
    # One UPDATE, so simultaneous reports are all counted.
    db.session.execute(sa.update(Job).where(Job.id == job.id).values(open_reports=Job.open_reports + 1))
    db.session.refresh(job)
    hidden = (
        job.open_reports >= current_app.config["JOB_REPORTS_TO_HIDE"] and job.status == JobStatus.published
    )
    if hidden:
        job.status = JobStatus.pending_review.value
        job.hidden_by_reports = True
    audit.commit(
        "job.report",
        actor=account,
        object_type="job",
        object_id=job.id,
        ip=ip,
        detail={"reason": row.reason, "hidden": hidden},
    )
    if hidden:
        geo_index.sync_job(job)
    return row, True
