"""Demo job market activity: jobs in every state, an employer to verify, applications, reports.

Written as rows (the services would date everything now, and an application only moves on at
its employer's hand); a hire goes to the ledger through `record_status`, as the real one does
(demo/ledger.py). Reports go through the real service.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day, utc_start_of
from app.common.crypto import encrypt, lookup_hash
from app.common.identity import mask_phone
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    Employer,
    EmployerStatus,
    EmploymentStatus,
    Job,
    JobReport,
    JobStatus,
    Resident,
    Role,
    utcnow,
    visible_clause,
)
from app.services.demo.dates import at_local, rng, this_month
from app.services.demo.employers import DEMO_EMPLOYERS, demo_credit_code
from app.services.jobs import reports
from app.services.jobs.posts import monthly
from app.services.people import places

# Jobs beside the published ones, so every state shows: (employer number, title, category,
# kind, wage min, wage max, unit, headcount, status, days since published or submitted; the
# expired one ran out yesterday, or at this month's start).
DEMO_OTHER_JOBS = (
    (3, "夏季临时分拣员", "logistics_delivery", "gig", 160, 200, "day", 8, JobStatus.expired, 31),
    (2, "早班面点师", "catering", "regular", 4200, 5000, "month", 1, JobStatus.closed, 35),
    (6, "UI设计师", "it", "regular", 6000, 9000, "month", 1, JobStatus.pending_review, 1),
    (8, "夜班前台(兼职)", "tourism_hotel", "part_time", 22, 26, "hour", 2, JobStatus.pending_review, 2),
)
# An employer waiting to be verified (主体核验): the console's work queue.
DEMO_PENDING_EMPLOYER = ("demo-employer-9", "黄山演示徽州民宿", "tourism_hotel", 29.7105, 118.3035, "micro")
# Open fake-job reports (举报): (job title, reason), each by another demo app user.
DEMO_REPORTS = (("周末传菜员", "要求先交200元押金才能上岗"), ("社区配送员", "电话打不通，疑似虚假招聘"))
# Days of applications before today.
APPLICATION_DAYS = 42
# The README walk-through applies to job 1 (the first demo job) and reads its first application.
WALKTHROUGH_JOB_TITLE = DEMO_EMPLOYERS[0][6][0][0]


def demo_employer(number: int) -> Employer | None:
    """Return demo employer `number` (demo-employer-<number>), or None."""
    return db.session.scalar(
        sa.select(Employer)
        .join(Account, Account.id == Employer.account_id)
        .where(Account.openid == f"demo-employer-{number}")
    )


def demo_other_jobs() -> int:
    """Add the expired, closed and in-review demo jobs that are missing; return how many were added."""
    now, added = utcnow(), 0
    for number, title, category, kind, low, high, unit, headcount, status, days in DEMO_OTHER_JOBS:
        employer = demo_employer(number)
        if employer is None or db.session.scalar(
            sa.select(Job.id).where(Job.employer_id == employer.id, Job.title == title)
        ):
            continue
        since = now - timedelta(days=days)
        if status == JobStatus.expired:  # its 30 days ran out yesterday (this month): 本月到期
            since = max(utc_start_of(this_month()), now - timedelta(days=1)) - timedelta(days=30)
        job = Job(
            employer=employer,
            title=title,
            description=f"{employer.name}招聘{title}。(演示数据)",
            category=category,
            kind=kind,
            wage_min=low,
            wage_max=high,
            wage_unit=unit,
            monthly_wage_max=monthly(high, unit),
            headcount=headcount,
            address=employer.address,
            lat=employer.lat + 0.0008,
            lng=employer.lng + 0.0008,
            status=status.value,
            submitted_at=since,
            valid_until=since + timedelta(days=30),
            **places.locate(employer.lat, employer.lng),
        )
        if status in (JobStatus.expired, JobStatus.closed):
            job.published_at = job.refreshed_at = since
        if status == JobStatus.closed:
            job.closed_at = now - timedelta(days=5)  # filled: 已招满
        db.session.add(job)
        added += 1
    db.session.flush()
    return added


def demo_pending_employer() -> int:
    """Add the employer waiting for verification if missing; return 1 when added."""
    openid, name, industry, lat, lng, size = DEMO_PENDING_EMPLOYER
    if db.session.scalar(sa.select(Account.id).where(Account.openid == openid)):
        return 0
    account = Account(role=Role.employer.value, openid=openid, display_name=name)
    db.session.add(account)
    db.session.flush()
    phone = "13900019999"
    db.session.add(
        Employer(
            account_id=account.id,
            name=name,
            credit_code=demo_credit_code(9),
            contact_name="演示联系人",
            contact_phone_enc=encrypt(phone, "phone"),
            contact_phone_hmac=lookup_hash(phone, "phone"),
            contact_phone_hint=mask_phone(phone),
            industry=industry,
            size=size,
            address="屯溪区老街演示巷5号",
            lat=lat,
            lng=lng,
            status=EmployerStatus.pending.value,
            **places.locate(lat, lng),
        )
    )
    db.session.flush()
    return 1


def applicable_jobs() -> list[Job]:
    """Return the demo's published jobs people apply to (not the walk-through's job 1), by id."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(Job.status == JobStatus.published, Job.title != WALKTHROUGH_JOB_TITLE)
            .order_by(Job.id)
        )
    )


def application(job: Job, resident: Resident) -> Application:
    """Return the resident's application to the job, made (submitted) if missing."""
    found = db.session.scalar(
        sa.select(Application).where(Application.job_id == job.id, Application.resident_id == resident.id)
    )
    if found is None:
        found = Application(job_id=job.id, resident_id=resident.id, employer_id=job.employer_id)
        found.message = "我住附近，随时可以面试。"
        db.session.add(found)
    return found


def _status_by_age(age: int, resident: Resident, draw) -> str:
    """Return how far an application of `age` days has come (hired only for people in work now)."""
    s = ApplicationStatus
    if age <= 2:
        return s.submitted
    if age <= 6:
        return draw.choice([s.submitted, s.viewed, s.viewed])
    if age <= 20:
        return draw.choice([s.viewed, s.interview, s.interview, s.rejected])
    working = resident.employment_status == EmploymentStatus.employed
    return draw.choice([s.interview, s.rejected, s.withdrawn, s.hired if working else s.rejected])


def demo_applications(users: list[tuple[Account, Resident]]) -> int:
    """Add the demo app users' applications of the last weeks that are missing; return how many.

    A day's applications are drawn from the day alone, so a later run adds the days since.
    """
    jobs, today, added = applicable_jobs(), local_day(), 0
    if not jobs or not users:
        return 0
    for age in range(APPLICATION_DAYS, 0, -1):
        day: date = today - timedelta(days=age)
        draw = rng("applications", day)
        for _ in range(draw.choice([0, 1, 1, 2])):
            _, resident = draw.choice(users)
            near = [job for job in jobs if job.circle_id == resident.circle_id]
            job = draw.choice(near if near and draw.random() < 0.7 else jobs)
            status = _status_by_age(age, resident, draw)
            created = at_local(day, draw.randint(8 * 60, 21 * 60))
            # Drawn before the skip below: a day's applications are the same whichever run adds them.
            moved = 0 if status == ApplicationStatus.submitted else min(age - 1, draw.randint(1, 5))
            row = application(job, resident)
            if row.id is not None:
                continue
            row.created_at, row.status = created, status
            row.status_changed_at = created + timedelta(days=moved, hours=2)
            db.session.flush()
            added += 1
    return added


def demo_reports(users: list[tuple[Account, Resident]]) -> int:
    """File the open fake-job reports through the real service, once; return how many were filed."""
    filed = 0
    for index, (title, reason) in enumerate(DEMO_REPORTS):
        job = db.session.scalar(sa.select(Job).where(Job.title == title, visible_clause()).limit(1))
        if job is None or index >= len(users):
            continue
        account = users[-1 - index][0]
        if db.session.scalar(sa.select(JobReport.id).where(JobReport.job_id == job.id)):
            continue  # reported before (and maybe reviewed since): not again
        reports.report(account, job.id, reason, ip=None)
        filed += 1
    return filed
