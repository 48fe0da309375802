"""Employers, job posts, reports, résumés and applications, with their vocabularies."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONText, TimestampMixin, utcnow
from app.models.residents import PlaceColumns


class JobKind(StrEnum):
    """How a job is held."""

    regular = "regular"  # 全职
    part_time = "part_time"  # 兼职
    gig = "gig"  # 零工
    public_welfare = "public_welfare"  # 公益性岗位
    internship = "internship"  # 就业见习


class JobCategory(StrEnum):
    """What a job is, in a short list that fits Huangshan's economy."""

    tourism_hotel = "tourism_hotel"  # 旅游酒店
    catering = "catering"  # 餐饮
    retail = "retail"  # 零售
    tea_processing = "tea_processing"  # 茶叶加工
    manufacturing = "manufacturing"  # 制造
    logistics_delivery = "logistics_delivery"  # 物流配送
    construction = "construction"  # 建筑
    housekeeping = "housekeeping"  # 家政
    security_cleaning = "security_cleaning"  # 保安保洁
    care = "care"  # 护理照护
    education = "education"  # 教育
    office = "office"  # 文员行政
    it = "it"  # 信息技术
    other = "other"  # 其他


class WageUnit(StrEnum):
    """What a wage figure is paid per."""

    month = "month"
    day = "day"
    hour = "hour"


class Education(StrEnum):
    """Education levels, lowest first (a job's requirement, a résumé's highest level)."""

    none = "none"  # 不限
    primary = "primary"  # 小学
    junior_high = "junior_high"  # 初中
    senior_high = "senior_high"  # 高中 / 中专 / 技校
    associate = "associate"  # 大专
    bachelor = "bachelor"  # 本科
    postgraduate = "postgraduate"  # 研究生


EDUCATION_ORDER = {level: rank for rank, level in enumerate(Education)}


class JobStatus(StrEnum):
    """Where a job post is in its life cycle."""

    draft = "draft"
    pending_review = "pending_review"
    published = "published"
    closed = "closed"
    expired = "expired"


class EmployerStatus(StrEnum):
    """Where an employer is in verification (主体核验)."""

    pending = "pending"
    verified = "verified"
    rejected = "rejected"


class EmployerSize(StrEnum):
    """Headcount bands (small firms are most of Huangshan's employers)."""

    micro = "micro"  # < 10
    small = "small"  # 10–99
    medium = "medium"  # 100–299
    large = "large"  # ≥ 300


class ApplicationStatus(StrEnum):
    """Where a job application is."""

    submitted = "submitted"
    viewed = "viewed"
    interview = "interview"
    hired = "hired"
    rejected = "rejected"
    withdrawn = "withdrawn"


class SeekingPause(StrEnum):
    """Why a résumé stopped looking for work (it stays closed until the resident opens it again)."""

    hired = "hired"  # hired through an application: 已入职
    self = "self"  # the resident closed it
    consent = "consent"  # the resident withdrew consent (services/people/consents.py)


class Availability(StrEnum):
    """When a seeker can start."""

    immediately = "immediately"
    within_week = "within_week"
    within_month = "within_month"
    later = "later"


class Employer(PlaceColumns, TimestampMixin, Base):
    """An employer (用人单位 / 经营实体), owned by one WeChat account (none yet when staff registered it)."""

    __tablename__ = "employers"
    __table_args__ = (
        # A staff registration retried with the same client_id finds the first employer.
        sa.UniqueConstraint(
            "registered_by_id",
            "registered_client_id",
            name="uq_employers_registered_by_id_registered_client_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None while a business staff registered in the field has not claimed its record yet.
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    # local: registered here; province: made for a job from the provincial platform's feed.
    source: Mapped[str] = mapped_column(sa.String(16), default="local", server_default="local")
    legal_representative: Mapped[str | None] = mapped_column(sa.String(64))
    contact_name: Mapped[str | None] = mapped_column(sa.String(64))
    # The contact phone, like residents' phones: AES-GCM ciphertext, HMAC, masked hint.
    contact_phone_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    contact_phone_hmac: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    contact_phone_hint: Mapped[str | None] = mapped_column(sa.String(16))
    industry: Mapped[str | None] = mapped_column(sa.String(32))
    size: Mapped[str | None] = mapped_column(sa.String(16))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    licence_file: Mapped[str | None] = mapped_column(sa.String(64))
    licence_content_type: Mapped[str | None] = mapped_column(sa.String(64))
    licence_uploaded_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # The licence's 营业期限 as the verifier read it; None: unlimited (长期) or not entered.
    licence_valid_until: Mapped[date | None] = mapped_column(sa.Date())
    status: Mapped[str] = mapped_column(sa.String(16), default=EmployerStatus.pending.value, index=True)
    # A copy of employer_credibility.score (0..100; None before a first computation), for ordering.
    credibility_score: Mapped[int | None] = mapped_column(sa.SmallInteger())
    decision_reason: Mapped[str | None] = mapped_column(sa.String(255))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # Registered by staff in the field (services/jobs/employer_claims.py), and its one-time claim
    # code: a keyed hash, when it expires, wrong tries so far; cleared once the business claims it.
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    registered_client_id: Mapped[str | None] = mapped_column(sa.String(64))
    claim_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    claim_code_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    claim_attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())

    account: Mapped["Account | None"] = relationship(foreign_keys=[account_id])  # noqa: F821


def visible_clause(now: datetime | None = None):
    """The SQL condition of a live job, one anyone may find: published and not past its end."""
    return sa.and_(Job.status == JobStatus.published, Job.valid_until > (now or utcnow()))


def is_searchable(job, now: datetime | None = None) -> bool:
    """Tell whether a job is live (the same rule as `visible_clause`, for a row in hand)."""
    return job.status == JobStatus.published and job.valid_until > (now or utcnow())


class Job(PlaceColumns, TimestampMixin, Base):
    """A job post (岗位) of a verified employer."""

    __tablename__ = "jobs"
    __table_args__ = (
        # Newest-first search and the SQL fallback both start from published jobs in a box.
        sa.Index("ix_jobs_status_refreshed_at", "status", "refreshed_at"),
        sa.Index("ix_jobs_status_lat_lng", "status", "lat", "lng"),
        sa.Index("ix_jobs_status_valid_until", "status", "valid_until"),
        # What changed lately: the job board's recheck and the GEO rebuild's catch-up.
        sa.Index("ix_jobs_updated_at", "updated_at"),
        # The statistics' jobs published in a month.
        sa.Index("ix_jobs_published_at", "published_at"),
        # A create retried with the same client_id finds the first job instead of a second.
        sa.UniqueConstraint("employer_id", "client_id", name="uq_jobs_employer_id_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employers.id"), index=True)
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str | None] = mapped_column(sa.Text())
    category: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(16))
    wage_min: Mapped[int | None]
    wage_max: Mapped[int | None]
    wage_unit: Mapped[str] = mapped_column(sa.String(8), default=WageUnit.month.value)
    # The top of the range as yuan per month, so one wage filter compares every unit.
    monthly_wage_max: Mapped[int | None]
    headcount: Mapped[int] = mapped_column(default=1)
    address: Mapped[str | None] = mapped_column(sa.String(255))
    lat: Mapped[float]
    lng: Mapped[float]
    education: Mapped[str | None] = mapped_column(sa.String(16))
    skills: Mapped[list | None] = mapped_column(JSONText())
    status: Mapped[str] = mapped_column(sa.String(16), default=JobStatus.draft.value)
    valid_until: Mapped[datetime] = mapped_column(sa.DateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    refreshed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    review_reason: Mapped[str | None] = mapped_column(sa.String(255))
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # Distinct open reports; at REPORTS_TO_HIDE the job goes back to review (hidden).
    open_reports: Mapped[int] = mapped_column(default=0)
    hidden_by_reports: Mapped[bool] = mapped_column(default=False)

    # local: posted here; province: from the provincial platform's job feed (never sent back to it).
    source: Mapped[str] = mapped_column(sa.String(16), default="local", server_default="local")
    # The province's id of a job from its feed (de-duplication, closing when the province closes it).
    province_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    employer: Mapped[Employer] = relationship()


class JobReport(Base):
    """A resident's report of a job (举报); one per resident per job."""

    __tablename__ = "job_reports"
    __table_args__ = (sa.UniqueConstraint("job_id", "account_id", name="uq_job_reports_job_id_account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    # Set when staff review the job again: the report has been dealt with.
    cleared_at: Mapped[datetime | None] = mapped_column(sa.DateTime())


class Resume(TimestampMixin, Base):
    """A resident's résumé (简历); wanted kinds, categories and wage live on the resident."""

    __tablename__ = "resumes"

    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), primary_key=True)
    education: Mapped[str | None] = mapped_column(sa.String(16))
    experience: Mapped[list | None] = mapped_column(JSONText())
    skills: Mapped[list | None] = mapped_column(JSONText())
    availability: Mapped[str | None] = mapped_column(sa.String(16))
    intro: Mapped[str | None] = mapped_column(sa.Text())
    # Looking for work: only then is the resident in the seekers' GEO set and a candidate.
    open_to_work: Mapped[bool] = mapped_column(default=True)
    # When and why open_to_work last went false (a SeekingPause); cleared when it opens again.
    seeking_paused_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    seeking_paused_reason: Mapped[str | None] = mapped_column(sa.String(16))


class ResumeFile(Base):
    """A file attached to a résumé, stored on disk under a server-generated name."""

    __tablename__ = "resume_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    storage_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class Application(TimestampMixin, Base):
    """A resident's application (投递) to a job; one per resident per job."""

    __tablename__ = "applications"
    __table_args__ = (
        sa.UniqueConstraint("job_id", "resident_id", name="uq_applications_job_id_resident_id"),
        sa.Index("ix_applications_resident_id_id", "resident_id", "id"),
        sa.Index("ix_applications_employer_id_job_id", "employer_id", "job_id"),
        # The statistics' applications of a month, and interviews and hires reached in it.
        sa.Index("ix_applications_created_at", "created_at"),
        sa.Index("ix_applications_status_status_changed_at", "status", "status_changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"))
    # Copied from the job, so "who applied to me" is one indexed lookup.
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employers.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=ApplicationStatus.submitted.value)
    message: Mapped[str | None] = mapped_column(sa.String(500))
    status_changed_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)

    job: Mapped[Job] = relationship()
    resident: Mapped["Resident"] = relationship()  # noqa: F821
