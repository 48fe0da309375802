"""The provincial exchange: each change the province must see, as a record waiting to be delivered once."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class ExchangeRecordType(StrEnum):
    """What a record tells the province, after the national public-employment tables."""

    person_status = "person_status"  # 人员就业失业状态 (a ledger status change)
    employment_registration = "employment_registration"  # 就业登记
    unemployment_registration = "unemployment_registration"  # 失业登记
    key_group = "key_group"  # 援助对象 / 重点群体认定
    policy_enjoyment = "policy_enjoyment"  # 政策享受 (a claim paid)
    job = "job"  # 岗位 (用工信息)
    employer = "employer"  # 用人单位


class ExchangeStatus(StrEnum):
    """Where a record is on its way to the province."""

    pending = "pending"  # waiting (for its turn, or for its next try)
    sending = "sending"  # in a batch under way
    sent = "sent"  # the province acknowledged it (accepted, or already had it)
    dead = "dead"  # refused, or failing too long: staff see it and may resend it after a fix


class ExchangeRecord(Base):
    """One change for the province, written in the transaction of the change itself.

    It names the change (the source row), not its content: the relay builds the province's record
    from the database when it sends, so no personal data waits here. `subject` keeps the order:
    the records of one person (or job, or employer) go in id order, never overtaking each other.
    """

    __tablename__ = "exchange_records"
    __table_args__ = (
        sa.UniqueConstraint("idempotency_key", name="uq_exchange_records_idempotency_key"),
        # The relay takes what is due, oldest first; the order per subject reads its earlier records.
        sa.Index("ix_exchange_records_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_exchange_records_subject_id", "subject", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(sa.String(32))
    action: Mapped[str] = mapped_column(sa.String(8))  # create, update, close
    # person:<resident id>, job:<job id>, employer:<employer id>
    subject: Mapped[str] = mapped_column(sa.String(40))
    source_id: Mapped[int]  # the changed row: a status change, registration, key group, claim, job, employer
    # Sent with the record: the province applies a key once, however often it arrives.
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(12), default=ExchangeStatus.pending.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    last_code: Mapped[str | None] = mapped_column(sa.String(32))
    last_error: Mapped[str | None] = mapped_column(sa.String(255))
    province_id: Mapped[str | None] = mapped_column(sa.String(64))  # the province's own id of it
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
