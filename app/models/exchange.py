"""The provincial exchange: each change the province must see, as a record waiting to be delivered once."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, TimestampMixin, utcnow
from app.models.residents import PlaceColumns


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


class ListEntryStatus(StrEnum):
    """What became of one person on a key-group list the province sent."""

    matched = "matched"  # a resident of the ledger (by the ID number's HMAC): key group certified
    task = "task"  # not in the ledger: on the community's grid worker's checklist to visit
    unmatched = "unmatched"  # not in the ledger and no community of ours known: the reconcile report
    resolved = "resolved"  # the grid worker added the person (or found they are not here)


class ProvinceListEntry(PlaceColumns, TimestampMixin, Base):
    """One person on a key-group list from the province (returning graduates, migrant workers, veterans…).

    The ID number is kept as the ledger keeps it (AES-GCM, HMAC for the match, a masked hint) so a
    grid worker can add someone not yet in the ledger; the place columns are the community the
    list names, when it is one of ours.
    """

    __tablename__ = "province_list_entries"
    __table_args__ = (
        sa.UniqueConstraint("list_id", "entry_key", name="uq_province_list_entries_list_id_entry_key"),
        sa.Index("ix_province_list_entries_status_community_id", "status", "community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[str] = mapped_column(sa.String(64))  # the province's id of the list
    entry_key: Mapped[str] = mapped_column(sa.String(64))  # the province's id of the entry
    key_group: Mapped[str] = mapped_column(sa.String(32))  # our key-group code
    name: Mapped[str | None] = mapped_column(sa.String(64))
    id_number_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    id_number_hmac: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    id_number_hint: Mapped[str | None] = mapped_column(sa.String(24))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    community_code: Mapped[str | None] = mapped_column(sa.String(12))
    since: Mapped[date | None]
    until: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(16))
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    note: Mapped[str | None] = mapped_column(sa.String(255))


class ExchangeReconciliation(Base):
    """One day's count of one record type on both sides, and the keys one side lacks."""

    __tablename__ = "exchange_reconciliations"
    __table_args__ = (
        sa.UniqueConstraint("day", "record_type", name="uq_exchange_reconciliations_day_record_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    record_type: Mapped[str] = mapped_column(sa.String(32))
    ours: Mapped[int]  # records of the day we count as sent
    theirs: Mapped[int]  # records of the day the province says it holds
    # Idempotency keys sent but not held there, and held there but unknown here (capped lists).
    missing_there: Mapped[list] = mapped_column(JSONText(), default=list)
    unknown_here: Mapped[list] = mapped_column(JSONText(), default=list)
    checked_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class ExchangeCursor(Base):
    """Where the city last read a feed of the province (jobs, key-group lists): the next read's `since`."""

    __tablename__ = "exchange_cursors"

    feed: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(sa.String(128))
    read_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
