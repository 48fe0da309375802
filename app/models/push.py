"""Push: what people agreed to receive (subscribe-message quotas), preferences, each push, SMS opt-outs."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, TimestampMixin, utcnow
from app.models.residents import PlaceColumns


class PushStatus(StrEnum):
    """Where a push is."""

    pending = "pending"  # enqueued, to be sent now
    scheduled = "scheduled"  # held for the end of the quiet hours
    sending = "sending"  # claimed by a worker, the WeChat call under way
    sent = "sent"
    skipped = "skipped"  # not sent by rule: no quota, opted out, daily cap
    failed = "failed"  # WeChat refused it, or retries ran out


class PushChannel(StrEnum):
    """How a push reaches its person."""

    wechat = "wechat"  # a subscribe message in WeChat
    sms = "sms"  # a text message through the configured SMS provider


class SmsReceipt(StrEnum):
    """What the provider's delivery receipt said of an SMS."""

    delivered = "delivered"
    undelivered = "undelivered"


class PushQuota(Base):
    """One person's subscription to one template: a one-time count, or a long-term yes/no."""

    __tablename__ = "push_quotas"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    template_key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    # What wx.requestSubscribeMessage last answered: accept, reject or ban.
    status: Mapped[str] = mapped_column(sa.String(16))
    # One-time templates: sends left (each "accept" adds one). Long-term: unused.
    remaining: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow, onupdate=utcnow)


class SubscriptionReport(Base):
    """A report of wx.requestSubscribeMessage's answer, by its client id: a retried report counts once."""

    __tablename__ = "subscription_reports"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow, index=True)


class PushPreference(TimestampMixin, Base):
    """A person's push settings: kinds switched off, a daily cap on job pushes, quiet hours."""

    __tablename__ = "push_preferences"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    disabled_kinds: Mapped[list] = mapped_column(JSONText(), default=list)
    daily_cap: Mapped[int | None]
    quiet_start: Mapped[str | None] = mapped_column(sa.String(5))  # HH:MM, city time
    quiet_end: Mapped[str | None] = mapped_column(sa.String(5))


class SmsOptOut(Base):
    """A phone that asked for no more SMS: by the resident's own setting, an unsubscribe reply, or staff.

    Keyed by the phone's HMAC, not the person: a reply comes from a phone, and people entered by
    staff (no account, no preferences) can opt out too.
    """

    __tablename__ = "sms_opt_outs"

    phone_hmac: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))  # resident, reply, staff
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class Push(PlaceColumns, Base):
    """One message to one person about one thing; the unique keys make a fan-out safe to repeat.

    The person is an account (WeChat) or a ledger resident (who may have no account: SMS only);
    `channel` is the way it is to go when made (SMS-first messages say sms) and the way it went
    once sent (a WeChat push without quota falls back to SMS where its template allows).
    """

    __tablename__ = "pushes"
    __table_args__ = (
        sa.UniqueConstraint(
            "account_id", "kind", "object_type", "object_id", name="uq_pushes_account_id_kind_object"
        ),
        # The same for a resident without an account (NULL account ids never collide).
        sa.UniqueConstraint(
            "resident_id", "kind", "object_type", "object_id", name="uq_pushes_resident_id_kind_object"
        ),
        # A delivery receipt finds its SMS by the provider's message id.
        sa.Index("ix_pushes_msgid", "msgid"),
        sa.Index("ix_pushes_day_status", "day", "status"),
        sa.Index("ix_pushes_account_id_day", "account_id", "day"),
        # The fan-out finds one job's unsent pushes by it.
        sa.Index("ix_pushes_object", "object_type", "object_id", "kind", "status"),
        # The statistics read a month of a district's pushes (a circle's: its own index; at city level
        # a (city_id, day) index measured slower than reading the table, the city being all of it).
        sa.Index("ix_pushes_district_id_day", "district_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id"))
    channel: Mapped[str] = mapped_column(sa.String(8), default=PushChannel.wechat.value)
    kind: Mapped[str] = mapped_column(sa.String(32))  # a template key: job_match, application_update …
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default=PushStatus.pending.value)
    score: Mapped[float | None]
    data: Mapped[dict] = mapped_column(JSONText())  # the template's data fields, within WeChat's limits
    page: Mapped[str | None] = mapped_column(sa.String(255))
    # The city's day the push counts against (the daily cap), and when it may go.
    day: Mapped[date]
    send_after: Mapped[datetime] = mapped_column(sa.DateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    # When the current attempt claimed it (`sending`), and when that attempt may have called
    # WeChat: the sweeper of stuck sends retries one never called, and never resends one called.
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    called_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # Which batch claimed it: a batch claims its pushes in one UPDATE, then reads back the rows
    # carrying its token (the ones another batch or send got first do not).
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    last_error: Mapped[str | None] = mapped_column(sa.String(255))
    # WeChat's msgid, or the SMS provider's message id (Alibaba BizId, Tencent SerialNo).
    msgid: Mapped[str | None] = mapped_column(sa.String(64))
    # The SMS delivery receipt: delivered or not, the provider's code, when; and its cost.
    receipt: Mapped[str | None] = mapped_column(sa.String(16))
    receipt_error: Mapped[str | None] = mapped_column(sa.String(64))
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    cost_fen: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
