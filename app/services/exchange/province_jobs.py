"""Jobs from the province (issue 21 item 3): read the job feed, keep those near Huangshan, publish them here.

A feed item (the adapter's shape, docs/EXCHANGE.md "Jobs from the province"): the province's `id`,
`status` (published | closed | expired), the job's fields in our vocabulary, `valid_until`, and its
`employer` ({credit_code, name, ...}). Each pull reads from the stored cursor (ExchangeCursor
"jobs"), applies the items and moves the cursor in one transaction, so a pull that fails half-way
reads the same items again (applying an item twice changes nothing).
"""

import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import province
from app.common.clock import zone
from app.common.credit_code import parse_credit_code
from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    Education,
    Employer,
    EmployerStatus,
    ExchangeCursor,
    Job,
    JobCategory,
    JobKind,
    JobStatus,
    WageUnit,
    utcnow,
)
from app.queues import enqueue_after_commit
from app.services.jobs.posts import monthly
from app.services.jobs.search import geo_index
from app.services.people.places import locate

log = logging.getLogger(__name__)

FEED = "jobs"
SOURCE = "province"
# Feed pages read in one pull at most (each page its own transaction); the next pull goes on.
MAX_PAGES = 20
LIVE, CLOSED = "published", ("closed", "expired")


def _cursor() -> ExchangeCursor:
    """Return the job feed's cursor row (made on the first pull)."""
    row = db.session.get(ExchangeCursor, FEED)
    if row is None:
        row = ExchangeCursor(feed=FEED, cursor=None, read_at=utcnow())
        db.session.add(row)
    return row


def _moment(value) -> datetime | None:
    """Read the feed's valid_until (a day, YYYYMMDD or ISO 8601) as naive UTC; a day ends at its end."""
    if not value:
        return None
    text = str(value)
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    moment = datetime.fromisoformat(text)
    if len(text) == 10:  # a day: the job runs through it (city time)
        moment = (moment + timedelta(days=1)).replace(tzinfo=zone())
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _choice(value, enum, default):
    """Return the value if it is one of ours, else the default (the province's codes may be wider)."""
    return value if value in {member.value for member in enum} else default


def _employer(data: dict, places: dict) -> Employer:
    """Find the employer by credit code, or make one from the province (verified: the province vouches)."""
    code = parse_credit_code(data.get("credit_code") or "", field="employer.credit_code")
    employer = db.session.scalar(sa.select(Employer).where(Employer.credit_code == code))
    if employer is None:
        employer = Employer(
            name=(data.get("name") or code)[:128],
            credit_code=code,
            source=SOURCE,
            status=EmployerStatus.verified.value,
            decided_at=utcnow(),
            decision_reason="Verified by the provincial platform",
            **places,  # where its first job is: staff in that place see it (and may issue a claim code)
        )
        db.session.add(employer)
    if employer.source == SOURCE and employer.account_id is None:  # ours, or claimed: kept as they are
        for name in ("name", "legal_representative", "address", "lat", "lng"):
            if data.get(name) is not None:
                setattr(employer, name, data[name])
        employer.industry = _choice(data.get("industry"), JobCategory, employer.industry)
    return employer


def _same_job(employer: Employer, title: str, places: dict) -> Job | None:
    """Return the job an item repeats: same employer, title and place (community, else township)."""
    if employer.id is None:
        return None
    place = (
        Job.community_id == places["community_id"]
        if places["community_id"]
        else sa.and_(Job.community_id.is_(None), Job.township_id == places["township_id"])
    )
    return db.session.scalar(
        sa.select(Job)
        .where(Job.employer_id == employer.id, Job.title == title, place)
        .order_by(Job.source.desc(), Job.id)  # a local job first: ours is the truth
        .limit(1)
    )


def _content(job: Job, item: dict, places: dict) -> None:
    """Write the item's content to the job."""
    job.title = item["title"][:64]
    job.description = item.get("description")
    job.category = _choice(item.get("category"), JobCategory, JobCategory.other.value)
    job.kind = _choice(item.get("kind"), JobKind, JobKind.regular.value)
    job.wage_min, job.wage_max = item.get("wage_min"), item.get("wage_max")
    job.wage_unit = _choice(item.get("wage_unit"), WageUnit, WageUnit.month.value)
    top = job.wage_max if job.wage_max is not None else job.wage_min
    job.monthly_wage_max = monthly(top, job.wage_unit)
    job.headcount = max(int(item.get("headcount") or 1), 1)
    job.education = _choice(item.get("education"), Education, None)
    job.skills = item.get("skills") or None
    job.address = item.get("address")
    job.lat, job.lng = float(item["lat"]), float(item["lng"])
    for name, value in places.items():
        setattr(job, name, value)


def _valid_until(item: dict, now: datetime) -> datetime:
    """Return the job's end: the feed's, capped at JOB_MAX_VALID_DAYS; JOB_VALID_DAYS when it gives none."""
    until = _moment(item.get("valid_until")) or now + timedelta(days=current_app.config["JOB_VALID_DAYS"])
    return min(until, now + timedelta(days=current_app.config["JOB_MAX_VALID_DAYS"]))


def apply_item(item: dict) -> tuple[str, Job | None]:
    """Apply one feed item; return its outcome (created, updated, closed, unchanged, skipped_…), the job."""
    province_id = str(item.get("id") or "").strip()
    status = item.get("status") or LIVE
    job = db.session.scalar(sa.select(Job).where(Job.province_id == province_id)) if province_id else None
    if job is not None and job.source != SOURCE:
        return "skipped_local", job  # our own job, linked earlier: the province only echoes it
    if status in CLOSED:
        if job is None or job.status in (JobStatus.closed, JobStatus.expired):
            return "unchanged", job
        job.status, job.closed_at = JobStatus.closed.value, utcnow()
        return "closed", job
    try:
        lat, lng = float(item["lat"]), float(item["lng"])
        title = (item.get("title") or "").strip()
    except (KeyError, TypeError, ValueError):
        return "skipped_invalid", job
    places = locate(lat, lng)
    if places["township_id"] is None:
        return "skipped_away", job  # not near Huangshan: no township of ours around it
    if not title:
        return "skipped_invalid", job
    try:
        employer = _employer(item.get("employer") or {}, places)
    except ValidationFailed:
        return "skipped_invalid", job
    if job is None:
        job = _same_job(employer, title, places)
        if job is not None and job.source != SOURCE:
            if province_id and job.province_id is None:
                job.province_id = province_id  # remember the link: later items skip at once
            return "skipped_local", job
    now = utcnow()
    created = job is None
    if created:
        job = Job(employer=employer, source=SOURCE, province_id=province_id or None, published_at=now)
        db.session.add(job)
    elif job.employer_id != employer.id:
        job.employer = employer
    _content(job, {**item, "title": title}, places)
    revived = job.status != JobStatus.published
    job.status = JobStatus.published.value
    job.valid_until = _valid_until(item, now)
    job.closed_at = None
    if created or revived:
        job.refreshed_at = now
    if created or revived:
        # Pushed to matching seekers like a local job published (nobody hears of a job twice).
        db.session.flush()
        enqueue_after_commit("push.match_and_push", job.id)
    return ("created" if created else "updated"), job


def pull_jobs() -> dict:
    """Read the province's job feed from the stored cursor and apply it; return counts by outcome."""
    counts: dict[str, int] = {}
    for _ in range(MAX_PAGES):
        cursor = _cursor()
        since = cursor.cursor
        try:
            items, following = province.fetch_jobs(since)
        except province.ProvinceUnavailable as error:
            db.session.rollback()
            log.warning("province job feed unavailable: %s", province.mask(str(error)))
            counts["unavailable"] = counts.get("unavailable", 0) + 1
            break
        touched: list[Job] = []
        for item in items:
            outcome, job = apply_item(item)
            counts[outcome] = counts.get(outcome, 0) + 1
            if job is not None and outcome in ("created", "updated", "closed"):
                touched.append(job)
        cursor = _cursor()
        cursor.cursor, cursor.read_at = following, utcnow()
        db.session.commit()
        for job in touched:
            geo_index.sync_job(job)
        if not items or following == since:
            break
    return counts
