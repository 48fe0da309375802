"""Placement follow-ups (稳岗回访): 3 and 6 months after a hire or an employment registration, still there?"""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin
from app.models.residents import PlaceColumns


class PlacementSource(StrEnum):
    """What started the placement being followed up."""

    hire = "hire"  # an application through the platform marked hired (source_id: the application)
    employment_registration = "employment_registration"  # 就业登记 accepted (source_id: the registration)


class PlacementFollowUpStatus(StrEnum):
    """Where one follow-up is."""

    scheduled = "scheduled"  # waiting for its day
    asked = "asked"  # the person was sent the question; waiting up to PLACEMENT_ANSWER_DAYS
    task = "task"  # no answer in time: on the grid worker's checklist (phone or door)
    answered = "answered"  # by the person, or by staff after a call or a visit
    stopped = "stopped"  # not needed any more: the person reported leaving earlier, or was erased


class PlacementAnswer(StrEnum):
    """The answer: still working there, or not."""

    still_employed = "still_employed"  # 仍在岗
    left = "left"  # 已离职


class LeftReason(StrEnum):
    """Why the person left (asked when the answer is `left`)."""

    contract_ended = "contract_ended"  # 合同到期
    dismissed = "dismissed"  # 被辞退
    wages = "wages"  # 薪酬不满意
    conditions = "conditions"  # 工作条件/环境
    distance = "distance"  # 通勤距离
    family = "family"  # 家庭原因
    health = "health"  # 健康原因
    better_job = "better_job"  # 另有更好工作
    other = "other"


class PlacementFollowUp(PlaceColumns, TimestampMixin, Base):
    """One follow-up (at day 90 or 180) of one placement of one resident.

    The place columns are the resident's when the placement began, so retention per circle stays
    where the placement was made; employer, job and job kind are copied for the per-employer and
    per-kind figures.
    """

    __tablename__ = "placement_follow_ups"
    __table_args__ = (
        sa.UniqueConstraint("source_type", "source_id", "stage_days", name="uq_placement_follow_ups_source"),
        # The periodic run finds what is due (scheduled by due_on; asked by asked_at).
        sa.Index("ix_placement_follow_ups_status_due_on", "status", "due_on"),
        sa.Index("ix_placement_follow_ups_resident_id", "resident_id"),
        sa.Index("ix_placement_follow_ups_employer_id", "employer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"))
    source_type: Mapped[str] = mapped_column(sa.String(24))
    source_id: Mapped[int]
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"))
    employer_name: Mapped[str | None] = mapped_column(sa.String(128))
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    job_kind: Mapped[str | None] = mapped_column(sa.String(16))
    started_on: Mapped[date]
    stage_days: Mapped[int]  # 90 or 180 (PLACEMENT_FOLLOW_UP_DAYS)
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(16), default=PlacementFollowUpStatus.scheduled.value)
    asked_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    task_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    answer: Mapped[str | None] = mapped_column(sa.String(16))
    left_reason: Mapped[str | None] = mapped_column(sa.String(16))
    left_on: Mapped[date | None]
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    # self (the one-tap answer), phone or door (a grid worker's follow-up), station.
    answer_channel: Mapped[str | None] = mapped_column(sa.String(8))
    stop_reason: Mapped[str | None] = mapped_column(sa.String(32))
