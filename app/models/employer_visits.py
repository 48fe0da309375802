"""Employers met in the field (走访经营实体): visits and phone calls, and the hiring needs on them."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONText, utcnow
from app.models.jobs import Employer
from app.models.residents import PlaceColumns


class EmployerVisitChannel(StrEnum):
    """How staff met an employer."""

    visit = "visit"  # 上门走访
    phone = "phone"  # 电话访谈


class EmployerProblem(StrEnum):
    """What an employer says holds it back."""

    recruitment = "recruitment"  # 招工难
    skills = "skills"  # 技能不匹配
    turnover = "turnover"  # 员工流失
    funding = "funding"  # 资金困难
    policy = "policy"  # 政策不了解
    training = "training"  # 培训需求
    other = "other"  # 其他


class SubsidyKind(StrEnum):
    """The employment subsidies an employer may be interested in."""

    social_insurance = "social_insurance"  # 社会保险补贴
    job_subsidy = "job_subsidy"  # 吸纳就业补贴 / 岗位补贴
    training = "training"  # 职业培训补贴
    internship = "internship"  # 就业见习补贴
    startup_loan = "startup_loan"  # 创业担保贷款
    job_stabilisation = "job_stabilisation"  # 稳岗返还


class HiringNeedState(StrEnum):
    """Where a hiring need is (derived: drafted once a job post is made of it; expired past its deadline)."""

    open = "open"  # 待处理
    drafted = "drafted"  # 已生成岗位草稿
    expired = "expired"  # 已过截止日期


class EmployerVisit(PlaceColumns, Base):
    """One visit or phone call (走访 / 电话访谈) staff made to an employer; placed where the employer is."""

    __tablename__ = "employer_visits"
    __table_args__ = (
        # A create retried with the same client_id finds the first visit instead of a second.
        sa.UniqueConstraint("staff_id", "client_id", name="uq_employer_visits_staff_id_client_id"),
        sa.Index("ix_employer_visits_employer_id_visited_on", "employer_id", "visited_on"),
        sa.Index("ix_employer_visits_visited_on", "visited_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employers.id"))
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(16))
    visited_on: Mapped[date]
    # Who staff spoke with at the business (a name and a job title, no phone: the employer's own is kept).
    met_name: Mapped[str | None] = mapped_column(sa.String(64))
    met_title: Mapped[str | None] = mapped_column(sa.String(64))
    problems: Mapped[list | None] = mapped_column(JSONText())  # EmployerProblem codes
    problem_notes: Mapped[str | None] = mapped_column(sa.String(1000))
    subsidy_interest: Mapped[list | None] = mapped_column(JSONText())  # SubsidyKind codes
    follow_up: Mapped[str | None] = mapped_column(sa.String(500))
    follow_up_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)

    employer: Mapped[Employer] = relationship()
    needs: Mapped[list["HiringNeed"]] = relationship(back_populates="visit", order_by="HiringNeed.id")


class HiringNeed(PlaceColumns, Base):
    """One position an employer wants filled (用工需求), recorded on a visit; drafted: one job post."""

    __tablename__ = "hiring_needs"
    __table_args__ = (sa.Index("ix_hiring_needs_employer_id_deadline", "employer_id", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("employer_visits.id"), index=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employers.id"))
    title: Mapped[str] = mapped_column(sa.String(64))
    category: Mapped[str] = mapped_column(sa.String(32))  # JobCategory
    kind: Mapped[str] = mapped_column(sa.String(16))  # JobKind
    headcount: Mapped[int]
    wage_min: Mapped[int | None]
    wage_max: Mapped[int | None]
    wage_unit: Mapped[str] = mapped_column(sa.String(8))  # WageUnit
    skills: Mapped[list | None] = mapped_column(JSONText())
    deadline: Mapped[date | None]
    # The draft job post made of it (at most one: making drafts twice reuses it).
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"), unique=True)
    drafted_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    drafted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)

    visit: Mapped[EmployerVisit] = relationship(back_populates="needs")
    employer: Mapped[Employer] = relationship()

    def state(self, today: date) -> HiringNeedState:
        """Return the need's state on `today` (a city day)."""
        if self.job_id is not None:
            return HiringNeedState.drafted
        if self.deadline is not None and self.deadline < today:
            return HiringNeedState.expired
        return HiringNeedState.open
