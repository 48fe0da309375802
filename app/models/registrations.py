"""Registrations (失业登记 / 就业登记): one reviewed record per kind, its follow-ups and numbers."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, utcnow
from app.models.residents import PlaceColumns, Resident


class RegistrationKind(StrEnum):
    """What a registration records."""

    unemployment = "unemployment"  # 失业登记
    employment = "employment"  # 就业登记


class RegistrationStatus(StrEnum):
    """Where a registration stands in its workflow."""

    pending_confirmation = "pending_confirmation"  # 待本人确认 (entered by staff or an employer)
    submitted = "submitted"  # 待审核
    accepted = "accepted"  # 已受理, in effect
    rejected = "rejected"  # 未通过
    withdrawn = "withdrawn"  # 已撤回 (before it took effect)
    ended = "ended"  # 已终止 / 已离职


# A registration still being worked on or in effect: one per person and kind.
OPEN_STATUSES = frozenset(
    {RegistrationStatus.pending_confirmation, RegistrationStatus.submitted, RegistrationStatus.accepted}
)


class EnteredVia(StrEnum):
    """Who entered a registration."""

    resident = "resident"  # the person, in the mini-program
    staff = "staff"  # station staff at the counter (代办)
    employer = "employer"  # the employer that hired the person


class EmploymentKind(StrEnum):
    """The kind of work an employment registration records."""

    employed = "employed"  # 单位就业
    self_employed = "self_employed"  # 个体经营 / 自主创业
    flexible = "flexible"  # 灵活就业


class ContractType(StrEnum):
    """The labour contract of an employment registration."""

    fixed_term = "fixed_term"  # 固定期限劳动合同
    open_ended = "open_ended"  # 无固定期限劳动合同
    task_based = "task_based"  # 以完成一定工作任务为期限
    part_time = "part_time"  # 非全日制用工
    labour_service = "labour_service"  # 劳务协议
    none = "none"  # 无合同 (个体经营、灵活就业)


class EndingReason(StrEnum):
    """Why a registration that was open ended."""

    hired = "hired"  # hired through the platform (an application marked hired)
    registered_employed = "registered_employed"  # an employment registration took effect
    status_changed = "status_changed"  # the ledger status moved on (reported, visit, staff, province)
    no_follow_up = "no_follow_up"  # no follow-up within the period (连续未联系)
    withdrawn = "withdrawn"  # the person asked to end it
    staff_ended = "staff_ended"  # ended by staff, with a note
    left_job = "left_job"  # 离职: an employment registration's end


class Registration(PlaceColumns, TimestampMixin, Base):
    """A registration (登记) of one kind for one resident; placed where the resident lives."""

    __tablename__ = "registrations"
    __table_args__ = (
        sa.UniqueConstraint("author_id", "client_id", name="uq_registrations_author_id_client_id"),
        sa.Index("ix_registrations_resident_id_id", "resident_id", "id"),
        # The review queue and the lists: a status, oldest first.
        sa.Index("ix_registrations_status_kind", "status", "kind"),
        # The daily follow-up task: accepted unemployment registrations by the day they lapse.
        sa.Index("ix_registrations_kind_valid_until", "kind", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(24))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"))
    # "<resident_id>:<kind>" while open, NULL once closed: the unique index keeps one open
    # registration per person and kind even when two requests race (NULLs never clash).
    open_key: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    # The account that entered it, and its idempotency key (unique together).
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    entered_via: Mapped[str] = mapped_column(sa.String(16))
    number: Mapped[str | None] = mapped_column(sa.String(32), unique=True)

    # Unemployment (失业登记).
    reason_for_leaving: Mapped[str | None] = mapped_column(sa.String(200))
    last_employer_name: Mapped[str | None] = mapped_column(sa.String(128))
    last_employer_uscc: Mapped[str | None] = mapped_column(sa.String(18))
    left_on: Mapped[date | None]
    wanted_work: Mapped[str | None] = mapped_column(sa.String(200))
    wants_training: Mapped[bool | None]
    # The 就业创业证 number: AES-GCM ciphertext, HMAC for exact lookup, masked hint.
    card_number_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    card_number_hmac: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    card_number_hint: Mapped[str | None] = mapped_column(sa.String(32))
    # In effect until this day (inclusive); each follow-up moves it on by the follow-up period.
    valid_until: Mapped[date | None]
    # The valid_until a reminder was pushed for (one reminder per period).
    reminded_for: Mapped[date | None]

    # Employment (就业登记).
    employment_kind: Mapped[str | None] = mapped_column(sa.String(16))
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"), index=True)
    employer_name: Mapped[str | None] = mapped_column(sa.String(128))
    employer_uscc: Mapped[str | None] = mapped_column(sa.String(18))
    contract_type: Mapped[str | None] = mapped_column(sa.String(16))
    started_on: Mapped[date | None]
    work_description: Mapped[str | None] = mapped_column(sa.String(200))
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applications.id"))

    # The signed form (签字登记表) staff attach for a counter entry.
    form_storage_name: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    form_content_type: Mapped[str | None] = mapped_column(sa.String(100))
    form_name: Mapped[str | None] = mapped_column(sa.String(255))

    # The workflow.
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    confirmed_by: Mapped[str | None] = mapped_column(sa.String(16))  # resident | signed_form
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    review_note: Mapped[str | None] = mapped_column(sa.String(200))
    accepted_on: Mapped[date | None]
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    ended_on: Mapped[date | None]
    ending_reason: Mapped[str | None] = mapped_column(sa.String(24))
    ending_note: Mapped[str | None] = mapped_column(sa.String(200))
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))

    resident: Mapped[Resident] = relationship()
    follow_ups: Mapped[list["RegistrationFollowUp"]] = relationship(
        back_populates="registration", order_by="RegistrationFollowUp.id"
    )


class FollowUpChannel(StrEnum):
    """How a follow-up (定期联系) was made."""

    self = "self"  # the person confirmed in the mini-program
    phone = "phone"  # 电话
    station = "station"  # 到站
    visit = "visit"  # 上门
    online = "online"  # 线上 (a grid worker's online contact)


class RegistrationFollowUp(Base):
    """One follow-up of an accepted unemployment registration: still looking for work."""

    __tablename__ = "registration_follow_ups"
    __table_args__ = (
        sa.UniqueConstraint("author_id", "client_id", name="uq_registration_follow_ups_author_id_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    valid_until: Mapped[date]  # the registration's new last day
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="follow_ups")


class RegistrationSequence(Base):
    """The last registration number given per kind, district and year (a locked counter)."""

    __tablename__ = "registration_sequences"

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    district_code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)
