"""Job posts: the life cycle draft → pending_review → published → closed | expired (reports: reports.py)."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.common.geo import check_point
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    STAFF_ROLES,
    Account,
    Employer,
    EmployerStatus,
    Job,
    JobReport,
    JobStatus,
    Role,
    WageUnit,
    is_searchable,
    utcnow,
    visible_clause,
)
from app.queues import enqueue_after_commit
from app.services.jobs import credibility
from app.services.jobs.employers import contact_phone, employer_of
from app.services.jobs.search import geo_index
from app.services.people import audit
from app.services.people.places import locate
from app.services.people.province_outbox import note_for_province
from app.services.people.scoping import get_in_scope, in_scope, scoped
from app.services.results import Page, paginate

# Staff who review job posts in their place.
REVIEW_ROLES = frozenset({Role.station_staff, Role.operator})
# Monthly equivalents: 21.75 paid days a month (国家规定月计薪天数), 8 hours a day.
DAYS_PER_MONTH, HOURS_PER_DAY = 21.75, 8
EDITABLE_STATUSES = frozenset({JobStatus.draft, JobStatus.pending_review, JobStatus.published})
CONTENT_FIELDS = (
    "title",
    "description",
    "category",
    "kind",
    "wage_min",
    "wage_max",
    "wage_unit",
    "headcount",
    "address",
    "lat",
    "lng",
    "education",
    "skills",
    "valid_until",
)


def monthly(amount: int | None, unit: str) -> int | None:
    """Convert a wage per month, day or hour to yuan per month."""
    if amount is None:
        return None
    factor = {WageUnit.month: 1, WageUnit.day: DAYS_PER_MONTH, WageUnit.hour: DAYS_PER_MONTH * HOURS_PER_DAY}
    return round(amount * factor[WageUnit(unit)])


def _naive(moment: datetime) -> datetime:
    """Convert to naive UTC as stored; a time without an offset is taken as UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def _apply(job: Job, employer: Employer, values: dict) -> None:
    """Validate the merged fields and write them to `job` (rules first, then changes)."""
    merged = {name: values.get(name, getattr(job, name, None)) for name in CONTENT_FIELDS}
    merged["wage_unit"] = merged["wage_unit"] or WageUnit.month.value
    if merged["lat"] is None and merged["lng"] is None:
        merged["lat"], merged["lng"] = employer.lat, employer.lng
    if merged["lat"] is None or merged["lng"] is None:
        raise ValidationFailed(
            "lat", "Give the job's location (or set your business location first).", code="location_required"
        )
    check_point(merged["lat"], merged["lng"])
    low, high = merged["wage_min"], merged["wage_max"]
    if low is not None and high is not None and low > high:
        raise ValidationFailed("wage_max", "wage_max is below wage_min.", code="wage_range_invalid")
    now = utcnow()
    if values.get("valid_until") is not None:
        until = _naive(values["valid_until"])
        if until <= now:
            raise ValidationFailed("valid_until", "valid_until must be in the future.")
        if until > now + timedelta(days=current_app.config["JOB_MAX_VALID_DAYS"]):
            raise ValidationFailed(
                "valid_until", f"A job runs at most {current_app.config['JOB_MAX_VALID_DAYS']} days."
            )
        merged["valid_until"] = until
    elif merged["valid_until"] is None:
        merged["valid_until"] = now + timedelta(days=current_app.config["JOB_VALID_DAYS"])
    if merged["skills"] is not None:
        merged["skills"] = list(dict.fromkeys(s.strip() for s in merged["skills"] if s.strip()))
    for name, value in merged.items():
        setattr(job, name, value)
    job.monthly_wage_max = monthly(high if high is not None else low, merged["wage_unit"])
    places = locate(job.lat, job.lng)
    if places["township_id"] is None:
        # Outside every known township: the job belongs where its employer does.
        places = {name: getattr(employer, name) for name in places}
    for name, value in places.items():
        setattr(job, name, value)


def create(account: Account, values: dict, ip: str | None) -> tuple[Job, bool]:
    """Create a draft job for the account's employer (verification is needed to publish, not to draft).

    With a `client_id`, a retried create returns the first job (created False).
    """
    employer = employer_of(account)
    client_id = values.get("client_id")
    if client_id:
        existing = db.session.scalar(
            sa.select(Job).where(Job.employer_id == employer.id, Job.client_id == client_id)
        )
        if existing is not None:
            return existing, False
    job = Job(employer=employer, status=JobStatus.draft.value, headcount=1, client_id=client_id)
    _apply(job, employer, values)
    db.session.add(job)
    try:
        db.session.flush()
    except IntegrityError:
        # The same create arriving twice at once: the unique key keeps the first.
        db.session.rollback()
        return db.session.scalar(
            sa.select(Job).where(Job.employer_id == employer.id, Job.client_id == client_id)
        ), False
    audit.commit("job.create", actor=account, object_type="job", object_id=job.id, ip=ip)
    return job, True


def _own_job(account: Account, job_id: int) -> Job:
    employer = employer_of(account)
    job = db.session.scalar(sa.select(Job).where(Job.id == job_id, Job.employer_id == employer.id))
    if job is None:
        raise NotFound("job_not_found", f"No job {job_id} of yours.")
    return job


def _conflict(job: Job, action: str) -> Conflict:
    return Conflict("job_status_conflict", f"A {job.status} job cannot be {action}.")


def update(account: Account, job_id: int, values: dict, ip: str | None) -> Job:
    """Edit a job; editing a published job sends it back to review (and out of search)."""
    job = _own_job(account, job_id)
    if JobStatus(job.status) not in EDITABLE_STATUSES:
        raise _conflict(job, "edited")
    _apply(job, job.employer, values)
    was_published = job.status == JobStatus.published
    if was_published:
        job.status = JobStatus.pending_review.value
        job.submitted_at = utcnow()
    audit.commit(
        "job.update",
        actor=account,
        object_type="job",
        object_id=job.id,
        ip=ip,
        detail={"fields": sorted(values), "back_to_review": was_published},
    )
    geo_index.sync_job(job)
    return job


def _require_verified(employer: Employer) -> None:
    if employer.status != EmployerStatus.verified:
        raise Conflict(
            "employer_not_verified",
            "Only verified employers can publish jobs; your business is "
            f"{employer.status} (ask your service station).",
        )


def submit(account: Account, job_id: int, ip: str | None) -> Job:
    """Send a draft for review; only a verified employer may."""
    job = _own_job(account, job_id)
    if job.status == JobStatus.pending_review:
        return job
    if job.status != JobStatus.draft:
        raise _conflict(job, "submitted")
    _require_verified(job.employer)
    job.status = JobStatus.pending_review.value
    job.submitted_at = utcnow()
    audit.commit("job.submit", actor=account, object_type="job", object_id=job.id, ip=ip)
    return job


def _already_decided(job: Job, decision: str, reason: str | None) -> bool:
    """Tell whether this exact review decision was the last one made on the job."""
    if job.reviewed_at is None:
        return False
    if decision == "approved":
        return job.status == JobStatus.published and job.reviewed_at >= (job.refreshed_at or job.reviewed_at)
    return job.status == JobStatus.draft and job.review_reason == reason


def review(actor: Account, job_id: int, decision: str, reason: str | None, ip: str | None) -> Job:
    """Approve (publish) or reject (back to draft, with the reason) a job pending review."""
    if Role(actor.role) not in REVIEW_ROLES:
        raise Forbidden("role_forbidden", "Only operators and station staff review jobs.")
    job = get_in_scope(Job, job_id, actor, "job_not_found")
    if _already_decided(job, decision, reason):
        return job  # a retried review: the first one stands
    if job.status != JobStatus.pending_review:
        raise _conflict(job, "reviewed")
    now = utcnow()
    if decision == "approved":
        _require_verified(job.employer)
        # The province hears of it when it is published: new, or changed since (an edit's review).
        note_for_province("job", "job", job, job, "create" if job.published_at is None else "update")
        job.status = JobStatus.published.value
        job.published_at = job.published_at or now
        job.refreshed_at = now
        if job.valid_until <= now:
            job.valid_until = now + timedelta(days=current_app.config["JOB_VALID_DAYS"])
        job.review_reason = reason
    else:
        if not (reason or "").strip():
            raise ValidationFailed("reason", "Say what the employer must fix.", code="reason_required")
        job.status = JobStatus.draft.value
        job.review_reason = reason
    # Staff have now looked at it: earlier reports are dealt with either way. A rejection with
    # reports open upholds them (the audit detail keeps their count: a credibility input).
    reports = job.open_reports
    db.session.execute(
        sa.update(JobReport)
        .where(JobReport.job_id == job.id, JobReport.cleared_at.is_(None))
        .values(cleared_at=now)
    )
    job.open_reports, job.hidden_by_reports = 0, False
    job.reviewed_by_id, job.reviewed_at = actor.id, now
    if decision == "approved":
        enqueue_after_commit("push.match_and_push", job.id)
    elif reports:
        credibility.mark_stale(job.employer_id)
    audit.commit(
        "job.review",
        actor=actor,
        object_type="job",
        object_id=job.id,
        ip=ip,
        detail={"decision": decision, "reason": reason, **({"reports": reports} if reports else {})},
    )
    geo_index.sync_job(job)
    return job


def close(account: Account, job_id: int, ip: str | None) -> Job:
    """Close a job (filled or withdrawn); closing a closed job changes nothing."""
    job = _own_job(account, job_id)
    if job.status == JobStatus.closed:
        return job
    # The province has it once published, unless its expiry closed it there already.
    told = job.published_at is not None and job.status != JobStatus.expired
    job.status = JobStatus.closed.value
    job.closed_at = utcnow()
    if told:
        note_for_province("job", "job", job, job, "close")
    audit.commit("job.close", actor=account, object_type="job", object_id=job.id, ip=ip)
    geo_index.sync_job(job)
    return job


def refresh(account: Account, job_id: int, ip: str | None) -> Job:
    """Bring a published job to the top of "newest" and run it another term; revive an expired one."""
    job = _own_job(account, job_id)
    if job.status not in (JobStatus.published, JobStatus.expired):
        raise _conflict(job, "refreshed")
    revived = job.status == JobStatus.expired
    if revived:
        # Unchanged content that passed review once goes back up without a new review.
        _require_verified(job.employer)
    now = utcnow()
    job.status = JobStatus.published.value
    job.refreshed_at = now
    job.valid_until = max(job.valid_until, now + timedelta(days=current_app.config["JOB_VALID_DAYS"]))
    if revived:  # published again: seekers who came since hear of it (nobody hears twice)
        enqueue_after_commit("push.match_and_push", job.id)
        note_for_province("job", "job", job, job, "update")
    audit.commit("job.refresh", actor=account, object_type="job", object_id=job.id, ip=ip)
    geo_index.sync_job(job)
    return job


def expire_jobs(batch: int = 1000) -> int:
    """Mark published jobs past valid_until as expired and take them out of search; return how many."""
    total = 0
    while True:
        now = utcnow()
        ids = list(
            db.session.scalars(
                sa.select(Job.id)
                .where(Job.status == JobStatus.published, Job.valid_until <= now)
                .order_by(Job.id)
                .limit(batch)
            )
        )
        if not ids:
            return total
        db.session.execute(
            sa.update(Job)
            .where(Job.id.in_(ids), Job.status == JobStatus.published, Job.valid_until <= now)
            .values(status=JobStatus.expired.value)
        )
        # The province's own jobs lapse there too: never echoed back (docs/EXCHANGE.md).
        for job_id in db.session.scalars(sa.select(Job.id).where(Job.id.in_(ids), Job.source != "province")):
            note_for_province("job", "job", job_id, job_id, "close")
        db.session.commit()
        geo_index.unindex_jobs(ids)
        total += len(ids)


def get_job(actor: Account | None, job_id: int) -> Job:
    """Return a job: a live one to anyone; any other to its employer or staff in scope."""
    job = db.session.scalar(sa.select(Job).options(joinedload(Job.employer)).where(Job.id == job_id))
    if job is not None and not is_searchable(job):
        if actor is None:
            job = None
        elif actor.role in STAFF_ROLES:
            job = job if in_scope(job, actor) else None
        elif actor.role != Role.employer or job.employer.account_id != actor.id:
            job = None
    if job is None:
        raise NotFound("job_not_found", f"No job {job_id}.")
    return job


def list_managed(actor: Account, page: int, per_page: int, status: str | None = None) -> Page:
    """Return an employer's own jobs, or the jobs in a staff member's place; newest first."""
    if actor.role in STAFF_ROLES:
        statement = scoped(sa.select(Job), Job, actor)
    else:
        statement = sa.select(Job).where(Job.employer_id == employer_of(actor).id)
    if status:
        statement = statement.where(Job.status == status)
    return paginate(statement, page, per_page, order_by=(Job.id.desc(),), options=(joinedload(Job.employer),))


def reveal_contact(account: Account, job_id: int, ip: str | None) -> dict:
    """Give a logged-in resident the employer's contact for a live job; audited like any full phone."""
    job = db.session.scalar(sa.select(Job).where(Job.id == job_id, visible_clause()))
    if job is None:
        raise NotFound("job_not_found", f"No published job {job_id}.")
    employer = job.employer
    audit.commit(
        "employer.contact_read",
        actor=account,
        object_type="employer",
        object_id=employer.id,
        ip=ip,
        detail={"job_id": job.id},
    )
    return {"job_id": job.id, "contact_name": employer.contact_name, "contact_phone": contact_phone(employer)}
