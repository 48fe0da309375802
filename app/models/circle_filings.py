"""Circle filings (报市局备案): a circle's definition filed by its district; memberships over time."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, TimestampMixin


class CircleStatus(StrEnum):
    """Whether a circle is in force (the scope of people-data uses only circles that are)."""

    draft = "draft"  # defined by its district, never yet in force
    active = "active"  # in force (the seeded pilot circles are, from the start)
    retired = "retired"  # 撤销: no community belongs to it any more; its past figures stay


class FilingStatus(StrEnum):
    """Where a filing is."""

    draft = "draft"  # the district is still writing it
    filed = "filed"  # 已报备: waiting for the city
    returned = "returned"  # 退回, with the city's reason; editable again
    accepted = "accepted"  # 已备案: takes effect on effective_from
    applied = "applied"  # in force: the communities and stations were moved
    withdrawn = "withdrawn"  # the district took it back before the city decided


class CircleFiling(TimestampMixin, Base):
    """One version of a circle's definition as its district files it with the city."""

    __tablename__ = "circle_filings"
    __table_args__ = (sa.Index("ix_circle_filings_status_effective_from", "status", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=FilingStatus.draft.value)
    name: Mapped[str] = mapped_column(sa.String(64))
    centre_lat: Mapped[float | None]
    centre_lng: Mapped[float | None]
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id"))
    # What it covers: whole townships, and single communities (of townships shared with another circle).
    township_ids: Mapped[list] = mapped_column(JSONText, default=list)
    community_ids: Mapped[list] = mapped_column(JSONText, default=list)
    station_ids: Mapped[list] = mapped_column(JSONText, default=list)
    effective_from: Mapped[date | None] = mapped_column(sa.Date())
    note: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    filed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    reason: Mapped[str | None] = mapped_column(sa.String(500))  # the city's reason for returning it
    applied_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    client_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)


class CircleMembership(Base):
    """A community's circle over a span of days: the history behind communities.circle_id."""

    __tablename__ = "circle_memberships"
    __table_args__ = (
        sa.Index("ix_circle_memberships_community_id_valid_from", "community_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id"), index=True)
    valid_from: Mapped[date] = mapped_column(sa.Date())
    valid_to: Mapped[date | None] = mapped_column(sa.Date())  # the last day; None while it holds
    filing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("circle_filings.id"))
