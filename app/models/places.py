"""Places: city ⊃ district ⊃ circle ⊃ township ⊃ community."""

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin


class TownshipKind(StrEnum):
    """What sort of township-level unit a township is."""

    subdistrict = "subdistrict"  # 街道
    town = "town"  # 镇
    township = "township"  # 乡
    park = "park"  # 园区
    other = "other"  # 开发区, 风景区, 直辖村级区划


class CommunityKind(StrEnum):
    """Urban community or rural village."""

    community = "community"  # 社区
    village = "village"  # 村


class City(Base):
    """A prefecture-level city (市)."""

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    population: Mapped[int | None]

    districts: Mapped[list["District"]] = relationship(back_populates="city")


class District(Base):
    """A county-level unit (区 / 县)."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    short_code: Mapped[str] = mapped_column(sa.String(6), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    population: Mapped[int | None]

    city: Mapped[City] = relationship(back_populates="districts")
    townships: Mapped[list["Township"]] = relationship(back_populates="district")
    circles: Mapped[list["Circle"]] = relationship(back_populates="district")


class Circle(Base):
    """An employment circle (就业圈): townships (or parts) served by one or more stations."""

    __tablename__ = "circles"
    __table_args__ = (sa.UniqueConstraint("district_id", "key", name="uq_circles_district_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(64))
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    note: Mapped[str | None] = mapped_column(sa.String(255))
    # draft / active / retired (circle_filings.CircleStatus); the seeded pilot circles are active.
    status: Mapped[str] = mapped_column(sa.String(16), default="active", server_default="active")
    centre_lat: Mapped[float | None]
    centre_lng: Mapped[float | None]
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id"), index=True)
    effective_from: Mapped[date | None] = mapped_column(sa.Date())
    retired_on: Mapped[date | None] = mapped_column(sa.Date())

    district: Mapped[District] = relationship(back_populates="circles")
    townships: Mapped[list["Township"]] = relationship(back_populates="circle", order_by="Township.code")
    extra_areas: Mapped[list["CircleArea"]] = relationship(
        back_populates="circle", order_by="CircleArea.id", cascade="all, delete-orphan"
    )


class CircleArea(Base):
    """A named area inside a circle without a statistical code of its own (e.g. 九龙园区)."""

    __tablename__ = "circle_areas"
    __table_args__ = (sa.UniqueConstraint("circle_id", "name", name="uq_circle_areas_circle_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("circles.id"))
    name: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str | None] = mapped_column(sa.String(255))
    lat: Mapped[float | None]
    lng: Mapped[float | None]

    circle: Mapped[Circle] = relationship(back_populates="extra_areas")


class Township(Base):
    """A township-level unit (街道 / 镇 / 乡 / 园区)."""

    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    circle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("circles.id"), index=True)
    lat: Mapped[float | None]
    lng: Mapped[float | None]

    district: Mapped[District] = relationship(back_populates="townships")
    circle: Mapped[Circle | None] = relationship(back_populates="townships")
    communities: Mapped[list["Community"]] = relationship(back_populates="township")


class Community(TimestampMixin, Base):
    """A community or village (社区 / 村), the smallest place people-data is scoped to."""

    __tablename__ = "communities"
    __table_args__ = (sa.Index("ix_communities_lat_lng", "lat", "lng"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("townships.id"), index=True)
    # Copied from the township when imported; may differ where a circle takes part of one.
    circle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("circles.id"), index=True)
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    population: Mapped[int | None]
    households: Mapped[int | None]

    township: Mapped[Township] = relationship(back_populates="communities")
    circle: Mapped[Circle | None] = relationship()
