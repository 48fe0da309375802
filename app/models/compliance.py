"""Compliance (达标): the plan's standing rules checked continuously, each gap kept with since-when."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, utcnow


class ComplianceRule(StrEnum):
    """The rules of the plan a place can fall short of."""

    circle_station = "circle_station"  # 每个就业圈至少一个服务站
    circle_full_time_staff = "circle_full_time_staff"  # 至少一名专职工作人员
    community_officer = "community_officer"  # 每个社区至少一名就业专员（网格员）
    circle_visit_days = "circle_visit_days"  # 每月上门走访不少于10天
    quarter_coverage = "quarter_coverage"  # 每季度全覆盖走访


class ComplianceGap(Base):
    """One place falling short of one rule (for one month or quarter where the rule has a period)."""

    __tablename__ = "compliance_gaps"
    __table_args__ = (sa.Index("ix_compliance_gaps_district_id_closed_at", "district_id", "closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(32))
    place_kind: Mapped[str] = mapped_column(sa.String(16))  # circle or community
    place_id: Mapped[int]
    # The place's parents, so a district or city admin reads their gaps with one equality.
    circle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("circles.id"), index=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id"), index=True)
    period: Mapped[str | None] = mapped_column(sa.String(8))  # "2026-11", "2026Q4"; None for standing rules
    detail: Mapped[dict] = mapped_column(JSONText, default=dict)  # the figures behind it (9 of 10 days)
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)  # since when
    checked_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # "rule:kind:id:period" while open, None once closed: one open gap per place and rule.
    open_key: Mapped[str | None] = mapped_column(sa.String(96), unique=True)


class ComplianceDigest(Base):
    """A weekly digest of gaps sent to one responsible admin (once per week and admin)."""

    __tablename__ = "compliance_digests"
    __table_args__ = (sa.UniqueConstraint("week", "account_id", name="uq_compliance_digests_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[date] = mapped_column(sa.Date())  # the Monday
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    gaps: Mapped[int] = mapped_column(default=0)
    summary: Mapped[dict] = mapped_column(JSONText, default=dict)
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notices.id"))
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
