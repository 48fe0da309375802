"""Grid work: who works which community, visits, follow-up needs, zero-employment cases, ledger snapshots."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONText, TimestampMixin, utcnow
from app.models.residents import Household, PlaceColumns


class VisitOutcome(StrEnum):
    """How a door-to-door visit went."""

    met = "met"  # 已见面
    not_home = "not_home"  # 不在家
    refused = "refused"  # 拒访
    moved = "moved"  # 已搬离


class VisitChannel(StrEnum):
    """How a visit reached the household: only `door` counts toward door-to-door coverage."""

    door = "door"  # 上门走访
    phone = "phone"  # 电话访谈
    station = "station"  # 到站（服务站见面）
    online = "online"  # 线上（微信等）


class NeedKind(StrEnum):
    """What a resident needs, recorded on a visit (a follow-up until closed)."""

    job = "job"  # 求职
    training = "training"  # 培训
    policy = "policy"  # 政策咨询
    claim = "claim"  # 补贴申领
    assistance = "assistance"  # 就业援助


class AssistanceKind(StrEnum):
    """What staff did for a zero-employment household."""

    job_recommended = "job_recommended"  # 推荐岗位
    training = "training"  # 培训
    public_welfare_placement = "public_welfare_placement"  # 公益性岗位安置
    policy = "policy"  # 政策落实
    other = "other"


class GridAssignment(Base):
    """A grid worker assigned to a community: they see and visit its households."""

    __tablename__ = "grid_assignments"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), primary_key=True, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class Visit(PlaceColumns, Base):
    """One visit to a household (入户走访, or a call, at the station, online), as the phone recorded it."""

    __tablename__ = "visits"
    __table_args__ = (
        sa.UniqueConstraint("worker_id", "client_id", name="uq_visits_worker_id_client_id"),
        sa.Index("ix_visits_worker_id_visited_at", "worker_id", "visited_at"),
        # Door-visit days per worker in a month (progress, statistics): an index-only range per
        # worker and channel (only door visits are visit days).
        sa.Index("ix_visits_worker_id_channel_visit_day", "worker_id", "channel", "visit_day"),
        sa.Index("ix_visits_household_id_visited_at", "household_id", "visited_at"),
        # Households that moved away are few: found through their `moved` visits alone.
        sa.Index("ix_visits_outcome_household_id", "outcome", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"))
    # The phone's clock (UTC), and the city's day of it: visit days are counted in local days.
    visited_at: Mapped[datetime] = mapped_column(sa.DateTime())
    visit_day: Mapped[date]
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    outcome: Mapped[str] = mapped_column(sa.String(16))
    # How it reached the household (VisitChannel); rows from before channels were door visits.
    channel: Mapped[str] = mapped_column(sa.String(16), default=VisitChannel.door, server_default="door")
    notes: Mapped[str | None] = mapped_column(sa.String(1000))
    member_updates: Mapped[list | None] = mapped_column(JSONText())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)

    household: Mapped[Household] = relationship()


class Need(Base):
    """A need recorded on a visit (job, training, …): an open follow-up until someone closes it."""

    __tablename__ = "needs"
    __table_args__ = (sa.Index("ix_needs_household_id_closed_at", "household_id", "closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"))
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visits.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))


class PlannedVisitStatus(StrEnum):
    """Where a planned visit is."""

    planned = "planned"
    done = "done"  # a visit to the household was recorded after it was planned
    cancelled = "cancelled"


class PlannedVisit(PlaceColumns, TimestampMixin, Base):
    """A visit a grid worker plans to a household (预约走访): its members are told beforehand."""

    __tablename__ = "planned_visits"
    __table_args__ = (
        sa.UniqueConstraint("worker_id", "client_id", name="uq_planned_visits_worker_id_client_id"),
        sa.Index("ix_planned_visits_household_id_status", "household_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    planned_at: Mapped[datetime] = mapped_column(sa.DateTime())
    note: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16), default=PlannedVisitStatus.planned.value)
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visits.id"))


class ZeroEmploymentCase(PlaceColumns, TimestampMixin, Base):
    """An assistance case for a zero-employment household, open until a member gets work."""

    __tablename__ = "zero_employment_cases"
    __table_args__ = (
        sa.Index("ix_zero_employment_cases_household_id_cleared_at", "household_id", "cleared_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"))
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(sa.DateTime(), index=True)
    # Where the work that cleared it came from: hire, visit, staff, self, province.
    cleared_source: Mapped[str | None] = mapped_column(sa.String(16))
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)

    household: Mapped[Household] = relationship()
    actions: Mapped[list["AssistanceAction"]] = relationship(order_by="AssistanceAction.id")


class AssistanceAction(Base):
    """Something staff did to help a zero-employment household."""

    __tablename__ = "assistance_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("zero_employment_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id"))
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class LedgerSnapshot(PlaceColumns, Base):
    """One community's ledger (台账) counts for one month, for trends."""

    __tablename__ = "ledger_snapshots"
    __table_args__ = (
        sa.UniqueConstraint("month", "community_id", name="uq_ledger_snapshots_month_community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM
    residents: Mapped[int] = mapped_column(default=0)
    households: Mapped[int] = mapped_column(default=0)
    zero_employment_households: Mapped[int] = mapped_column(default=0)
    by_status: Mapped[dict] = mapped_column(JSONText())
    by_key_group: Mapped[dict] = mapped_column(JSONText())
    # The month's movements, from the status changes in it: {"became_unemployed": n,
    # "re_employed": n, "registered_unemployed": n} (residents, by where they live now).
    flows: Mapped[dict | None] = mapped_column(JSONText())
    # The quarter's door-to-door coverage up to the snapshot (the month's last day once frozen):
    # {"quarter_start", "through", "met", "moved", "not_home", "refused", "contacted"}; households
    # met at the door and moved away, door visits that found no one or were refused, and households
    # reached only by phone, at the station or online (see services/grid/progress.py).
    coverage: Mapped[dict | None] = mapped_column(JSONText())
    # When the row was written: for the current month, the "as of" of its live figures.
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
