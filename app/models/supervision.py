"""Supervision (监理): monthly phone spot-checks of what operators did, and the findings they raise."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, utcnow
from app.models.residents import PlaceColumns


class SpotCheckKind(StrEnum):
    """What a sample is drawn from."""

    visit = "visit"  # households visited (上门走访)
    registration = "registration"  # registrations handled
    claim = "claim"  # claims handled


class FindingStatus(StrEnum):
    """A finding's life: raised, answered by the operator, closed by the supervisor (or reopened)."""

    open = "open"  # 待整改
    answered = "answered"  # 已反馈: the operator's answer waits for the supervisor
    closed = "closed"  # 已销号


class SpotCheckSample(Base):
    """One month's sample of one kind for one operator: the seed makes it reproducible."""

    __tablename__ = "spot_check_samples"
    __table_args__ = (
        sa.UniqueConstraint(
            "month", "operator_id", "kind", "district_id", name="uq_spot_check_samples_month"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date())  # its first day
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    seed: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]  # asked for
    population: Mapped[int] = mapped_column(default=0)  # what it was drawn from
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class SpotCheck(PlaceColumns, Base):
    """One call of a sample: the object checked, the person to ring, and what the call found."""

    __tablename__ = "spot_checks"
    __table_args__ = (sa.UniqueConstraint("sample_id", "object_id", name="uq_spot_checks_sample_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("spot_check_samples.id"))
    position: Mapped[int]  # order in the call list
    object_type: Mapped[str] = mapped_column(sa.String(16))  # visit, registration, claim
    object_id: Mapped[int]
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id"))
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id"), index=True)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))  # who did the work
    # The call: None until recorded.
    reached: Mapped[bool | None]
    visit_confirmed: Mapped[bool | None]
    data_correct: Mapped[bool | None]
    satisfaction: Mapped[int | None]  # 1..5
    note: Mapped[str | None] = mapped_column(sa.String(500))
    called_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    called_at: Mapped[datetime | None] = mapped_column(sa.DateTime())


class Finding(PlaceColumns, TimestampMixin, Base):
    """A discrepancy (问题) assigned to an operator with a deadline, answered and closed."""

    __tablename__ = "findings"
    __table_args__ = (sa.Index("ix_findings_operator_id_status", "operator_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spot_check_id: Mapped[int | None] = mapped_column(sa.ForeignKey("spot_checks.id"), unique=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=FindingStatus.open.value)
    title: Mapped[str] = mapped_column(sa.String(128))
    detail: Mapped[str | None] = mapped_column(sa.Text())
    due_on: Mapped[date] = mapped_column(sa.Date())
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    answer: Mapped[str | None] = mapped_column(sa.Text())
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    closing_note: Mapped[str | None] = mapped_column(sa.String(500))
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    client_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
