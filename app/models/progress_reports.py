"""Progress reports (工作进展月报): a district's monthly report to the city."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, TimestampMixin


class ReportStatus(StrEnum):
    """Where a month's report is."""

    draft = "draft"  # the district is writing it
    filed = "filed"  # 已报送
    returned = "returned"  # 退回, with the city's comments; filed again after changes
    accepted = "accepted"  # 已审阅


class ProgressReport(TimestampMixin, Base):
    """One district's report for one month: the platform's indicators, frozen when filed, and its text."""

    __tablename__ = "progress_reports"
    __table_args__ = (sa.UniqueConstraint("district_id", "month", name="uq_progress_reports_district_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    month: Mapped[date] = mapped_column(sa.Date())  # its first day
    status: Mapped[str] = mapped_column(sa.String(16), default=ReportStatus.draft.value)
    indicators: Mapped[dict] = mapped_column(JSONText, default=dict)
    problems: Mapped[str | None] = mapped_column(sa.Text())  # 存在问题
    good_practice: Mapped[str | None] = mapped_column(sa.Text())  # 典型经验
    next_steps: Mapped[str | None] = mapped_column(sa.Text())  # 下步打算
    comments: Mapped[str | None] = mapped_column(sa.Text())  # the city's, when it returns or accepts
    times_filed: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    filed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
