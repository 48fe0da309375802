"""Service stations, their staff, events, check-ins and the counters behind queue numbers."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONText, TimestampMixin, utcnow
from app.models.places import Circle
from app.models.residents import PlaceColumns


class Purpose(StrEnum):
    """Why someone came to a station (来访事由)."""

    consult = "consult"  # 咨询
    job_seeking = "job_seeking"  # 求职
    registration = "registration"  # 就业/失业登记
    policy = "policy"  # 政策咨询
    claim = "claim"  # 补贴申领
    training = "training"  # 培训
    event = "event"  # 活动 (招聘会等)
    other = "other"  # 其他


class ServeOutcome(StrEnum):
    """What came of serving a visitor at the counter (服务结果), coded for the station funnel."""

    recommended_jobs = "recommended_jobs"  # 推荐岗位
    registered = "registered"  # 业务登记
    claim_started = "claim_started"  # 政策申领
    referred_to_training = "referred_to_training"  # 转介培训
    follow_up_needed = "follow_up_needed"  # 需跟进
    nothing = "nothing"  # 无


class EventKind(StrEnum):
    """What sort of event an event is."""

    job_fair = "job_fair"  # 招聘会
    training = "training"  # 培训
    policy_talk = "policy_talk"  # 政策宣讲
    other = "other"


class EventStatus(StrEnum):
    """Whether an event still takes place."""

    scheduled = "scheduled"
    cancelled = "cancelled"


class CheckInVia(StrEnum):
    """Which kind of code a check-in was made with."""

    printed = "printed"  # the station's printed poster
    rotating = "rotating"  # the station's live screen
    event = "event"  # an event's live screen


class Station(PlaceColumns, TimestampMixin, Base):
    """A circle's service station (服务站), with its QR code settings.

    The place columns come from the circle and from the station's location, so staff
    scoping is the same one equality as for people-data.
    """

    __tablename__ = "stations"
    __table_args__ = (sa.Index("ix_stations_lat_lng", "lat", "lng"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Printed on the QR code's URL, so it never changes: `<district short code>-<circle key>-NN`.
    code: Mapped[str] = mapped_column(sa.String(48), unique=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(255))
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    # The hours as people read them (开放时间); rendered from `opening_hours` unless staff write it.
    hours: Mapped[str | None] = mapped_column(sa.String(128))
    # The structured hours check-in follows, in local time: {"weekly": {"mon": [{"opens": "08:30",
    # "closes": "12:00"}, …], …}, "exceptions": [{"date", "closed", "hours", "note"}, …]} (节假日,
    # 调休). None: not given yet, and check-in gives a queue number at any hour (as before).
    opening_hours: Mapped[dict | None] = mapped_column(JSONText())
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    require_location: Mapped[bool] = mapped_column(default=False)
    geofence_m: Mapped[int] = mapped_column(default=500)
    # Bumped by a rotation: printed codes of an older version stop working.
    qr_version: Mapped[int] = mapped_column(default=1)
    qr_rotated_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))

    circle: Mapped[Circle] = relationship()
    staff_rows: Mapped[list["StationStaff"]] = relationship(
        cascade="all, delete-orphan", order_by="StationStaff.account_id"
    )

    @property
    def staff_ids(self) -> list[int]:
        """Return the ids of the staff accounts assigned to the station."""
        return [row.account_id for row in self.staff_rows]


class StationStaff(Base):
    """A staff account assigned to work at a station."""

    __tablename__ = "station_staff"

    station_id: Mapped[int] = mapped_column(sa.ForeignKey("stations.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class Event(PlaceColumns, TimestampMixin, Base):
    """A job fair, training session or talk: at a station or at a place of its own."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(128))
    kind: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str | None] = mapped_column(sa.Text())
    station_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stations.id"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(255))
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(sa.DateTime())
    capacity: Mapped[int | None]
    require_location: Mapped[bool] = mapped_column(default=False)
    geofence_m: Mapped[int] = mapped_column(default=500)
    status: Mapped[str] = mapped_column(sa.String(16), default=EventStatus.scheduled.value)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    # Who may sign up: everyone, residents only, or staff only (a training in platform use).
    audience: Mapped[str] = mapped_column(sa.String(16), default="everyone")
    # Hours credited to each attendee of a training (None: the event's length).
    credit_hours: Mapped[float | None]
    # What a training teaches (platform_use, data_analysis, promotion, …): the hours report groups by it.
    topic: Mapped[str | None] = mapped_column(sa.String(32))
    # A live job fair (直播带岗) on WeChat Channels (视频号): the channel's id ("sph…") opens its
    # live stream; with a feed id and nonce id it opens that video instead (the replay).
    channels_finder_id: Mapped[str | None] = mapped_column(sa.String(64))
    channels_feed_id: Mapped[str | None] = mapped_column(sa.String(255))
    channels_nonce_id: Mapped[str | None] = mapped_column(sa.String(64))

    station: Mapped[Station | None] = relationship()
    circle: Mapped[Circle | None] = relationship()


class EventJob(Base):
    """A job presented at an event (a live job fair's jobs, in the order they are shown)."""

    __tablename__ = "event_jobs"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"), primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class EventSignup(Base):
    """One person's sign-up (报名) for an event; cancelling keeps the row."""

    __tablename__ = "event_signups"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "account_id", name="uq_event_signups_event_id_account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(sa.DateTime())


class CheckIn(PlaceColumns, TimestampMixin, Base):
    """One visit (签到) to a station or an event, with its queue number and how it was served.

    The place columns are the station's (or the event's), so counts per place are one
    indexed equality.
    """

    __tablename__ = "check_ins"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "client_id", name="uq_check_ins_account_id_client_id"),
        # The database itself guarantees that no two check-ins share a queue number.
        sa.UniqueConstraint("queue_key", "queue_number", name="uq_check_ins_queue_key_queue_number"),
        sa.Index("ix_check_ins_station_id_day", "station_id", "day"),
        sa.Index("ix_check_ins_account_id_created_at", "account_id", "created_at"),
        # The statistics read a month of a place's check-ins (city and circle: the views most asked
        # for; a district or township narrows the city's month) and the open follow-ups.
        sa.Index("ix_check_ins_city_id_day", "city_id", "day"),
        sa.Index("ix_check_ins_circle_id_day", "circle_id", "day"),
        sa.Index("ix_check_ins_follow_up_open", "follow_up", "follow_up_closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    station_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stations.id"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    via: Mapped[str] = mapped_column(sa.String(16))
    # The station's local (Asia/Shanghai) day, the day the queue number belongs to.
    day: Mapped[date]
    queue_key: Mapped[str] = mapped_column(sa.String(48))
    # None: an out-of-hours visit (the station was closed), recorded without a place in the queue.
    queue_number: Mapped[int | None]
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    distance_m: Mapped[float | None]
    signed_up: Mapped[bool | None]
    # Called to the counter (叫号): the queue's next visitor, given to one clerk at a time.
    called_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    called_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    served_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    served_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    outcome_note: Mapped[str | None] = mapped_column(sa.String(500))
    # A ServeOutcome; None: served before outcomes were coded, or not said.
    outcome: Mapped[str | None] = mapped_column(sa.String(24))
    follow_up: Mapped[bool] = mapped_column(default=False)
    # When staff closed the follow-up (None while it is open, or when there is none).
    follow_up_closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())

    station: Mapped[Station | None] = relationship()
    event: Mapped[Event | None] = relationship()

    @property
    def out_of_hours(self) -> bool:
        """Whether this visit came while the station was closed (so it has no queue number)."""
        return self.queue_number is None


class QueueCounter(Base):
    """The last queue number handed out for one queue (a station's day, or an event)."""

    __tablename__ = "queue_counters"

    key: Mapped[str] = mapped_column(sa.String(48), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class QrTokenUse(Base):
    """A rotating code one account has used: each is accepted once per person."""

    __tablename__ = "qr_token_uses"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    token_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow, index=True)
