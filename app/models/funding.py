"""Funding (购买服务费用): the resident population each place's fee is computed from, with its source."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class PlacePopulation(Base):
    """One figure of a place's resident population (七普 or later), as the city admin entered it.

    Append-only: the newest row per place is the one in force; the older ones are its history.
    """

    __tablename__ = "place_populations"
    __table_args__ = (sa.Index("ix_place_populations_place", "place_kind", "place_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_kind: Mapped[str] = mapped_column(sa.String(16))  # city, district, township, community
    place_id: Mapped[int]
    population: Mapped[int]
    # The urban part (城镇常住人口), which caps the total fee; None: the whole population counts.
    urban_population: Mapped[int | None]
    source: Mapped[str] = mapped_column(sa.String(128))  # "第七次全国人口普查", a yearbook, ...
    as_of: Mapped[date] = mapped_column(sa.Date())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
