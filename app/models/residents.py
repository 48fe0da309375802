"""Residents, households, key groups and the append-only employment-status history."""

from datetime import date, datetime
from enum import StrEnum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.clock import local_day
from app.models.base import Base, JSONText, TimestampMixin, utcnow


class EmploymentStatus(StrEnum):
    """A resident's employment status in the ledger (就业状态)."""

    employed = "employed"  # 就业
    flexible = "flexible"  # 灵活就业
    unemployed_registered = "unemployed_registered"  # 登记失业
    unemployed = "unemployed"  # 未就业 (未登记)
    student = "student"  # 在校学生
    retired = "retired"  # 退休
    not_in_labour_force = "not_in_labour_force"  # 非劳动力


class KeyGroup(StrEnum):
    """Key groups (重点群体) that get targeted help."""

    hard_to_employ = "hard_to_employ"  # 就业困难人员
    registered_unemployed = "registered_unemployed"  # 登记失业人员
    college_graduate = "college_graduate"  # 高校毕业生
    migrant_worker = "migrant_worker"  # 农民工
    veteran = "veteran"  # 退役军人
    retired_fisher = "retired_fisher"  # 长江禁捕退捕渔民
    flexible_worker = "flexible_worker"  # 灵活就业人员
    disabled = "disabled"  # 残疾人
    poverty_alleviated = "poverty_alleviated"  # 脱贫劳动力
    poverty_monitoring = "poverty_monitoring"  # 防止返贫监测对象
    subsistence_allowance = "subsistence_allowance"  # 低保家庭成员
    returning_migrant = "returning_migrant"  # 返乡入乡农民工
    # Worked out each day from the status history, never applied for (services/registrations/long_term.py).
    long_term_unemployed = "long_term_unemployed"  # 长期失业人员

    @property
    def label(self) -> str:
        """Return the group's Chinese name (lists, statistics, pushes, the ledger file all show this)."""
        return KEY_GROUP_LABELS[self]


KEY_GROUP_LABELS = {
    KeyGroup.hard_to_employ: "就业困难人员",
    KeyGroup.registered_unemployed: "登记失业人员",
    KeyGroup.college_graduate: "高校毕业生",
    KeyGroup.migrant_worker: "农民工",
    KeyGroup.veteran: "退役军人",
    KeyGroup.retired_fisher: "退捕渔民",
    KeyGroup.flexible_worker: "灵活就业人员",
    KeyGroup.disabled: "残疾人",
    KeyGroup.poverty_alleviated: "脱贫劳动力",
    KeyGroup.poverty_monitoring: "防止返贫监测对象",
    KeyGroup.subsistence_allowance: "低保家庭成员",
    KeyGroup.returning_migrant: "返乡入乡农民工",
    KeyGroup.long_term_unemployed: "长期失业人员",
}


class StatusSource(StrEnum):
    """Where a status change came from."""

    self = "self"  # the resident, in the mini-program
    visit = "visit"  # a grid worker's visit
    hire = "hire"  # an application marked hired
    staff = "staff"  # station or government staff
    province = "province"  # the provincial platform
    registration = "registration"  # a registration (失业登记 / 就业登记) taking effect or ending
    rule = "rule"  # worked out by a daily rule (long-term unemployment)


# The place columns, smallest place first (see PlaceColumns).
PLACE_COLUMN_NAMES = ("community_id", "township_id", "circle_id", "district_id", "city_id")


class PlaceColumns:
    """Denormalised place ids, so scoping is one indexed equality at province scale.

    Set together from the community by `services.people.places.place_columns()`; never by hand.
    """

    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(sa.ForeignKey("townships.id"), index=True)
    circle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("circles.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    city_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cities.id"), index=True)


class Household(PlaceColumns, TimestampMixin, Base):
    """A household (户): residents living at one address, one of them its head."""

    __tablename__ = "households"
    __table_args__ = (
        # The key the community's own ledger uses (户编号); an import matches households by it.
        sa.UniqueConstraint("community_id", "key", name="uq_households_community_id_key"),
        sa.Index("ix_households_zero_employment_since", "zero_employment_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(sa.String(64))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    # Set while the household is a zero-employment household (零就业家庭), to the day it became one.
    zero_employment_since: Mapped[date | None]

    members: Mapped[list["Resident"]] = relationship(back_populates="household")


class Resident(PlaceColumns, TimestampMixin, Base):
    """A resident (居民) in the employment ledger, with or without a WeChat account."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(64))
    # ID-card number and phone: AES-GCM ciphertext plus an HMAC for exact lookup.
    id_number_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    id_number_hmac: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    id_number_hint: Mapped[str | None] = mapped_column(sa.String(18))
    phone_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    phone_hmac: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    phone_hint: Mapped[str | None] = mapped_column(sa.String(16))
    gender: Mapped[str | None] = mapped_column(sa.String(8))
    # Indexed: the daily re-evaluation finds who crossed a working-age limit by a date range.
    birth_date: Mapped[date | None] = mapped_column(index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("households.id"), index=True)
    is_household_head: Mapped[bool] = mapped_column(default=False)
    home_address: Mapped[str | None] = mapped_column(sa.String(255))
    home_lat: Mapped[float | None]
    home_lng: Mapped[float | None]
    employment_status: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    # Seeker preferences (求职意向): wanted job kinds and categories, lowest wage, radius.
    seek_kinds: Mapped[list | None] = mapped_column(JSONText())
    seek_categories: Mapped[list | None] = mapped_column(JSONText())
    seek_wage_min: Mapped[int | None]
    seek_radius_m: Mapped[int | None]

    account: Mapped[Optional["Account"]] = relationship()  # noqa: F821
    household: Mapped[Household | None] = relationship(back_populates="members")
    key_group_rows: Mapped[list["ResidentKeyGroup"]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="ResidentKeyGroup.key_group"
    )
    status_changes: Mapped[list["StatusChange"]] = relationship(
        back_populates="resident", order_by="StatusChange.id"
    )

    @property
    def key_groups(self) -> list[str]:
        """Return the resident's current key groups, sorted."""
        return sorted(row.key_group for row in self.key_group_rows if row.is_current())

    def age(self, today: date | None = None) -> int | None:
        """Return the age in whole years on `today` (default the city's today), from the birth date."""
        if self.birth_date is None:
            return None
        today = today or local_day()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# A key-group period ends on or after its first day (built as an expression: `until` gets quoted).
PERIOD_IN_ORDER = sa.or_(
    sa.column("until").is_(None), sa.column("since").is_(None), sa.column("until") >= sa.column("since")
)


class ResidentKeyGroup(Base):
    """One key group of one resident (a row each, so staff can filter by group).

    The row holds the latest period: `since`, and `until` once it ended or when it ends by
    rule (a college graduate is one until two years after graduating). Adding the group again
    starts a new period in the same row.
    """

    __tablename__ = "resident_key_groups"
    __table_args__ = (
        sa.Index("ix_resident_key_groups_key_group", "key_group", "resident_id"),
        # A period never ends before it starts (one ended the day it began is deleted instead).
        sa.CheckConstraint(PERIOD_IN_ORDER, name="period"),
    )

    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), primary_key=True)
    key_group: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    since: Mapped[date | None]
    until: Mapped[date | None]
    source: Mapped[str | None] = mapped_column(sa.String(16))
    # The reviewer who certified it (认定), with the certification (evidence, validity) it rests on;
    # both None when it was declared, set by staff without evidence, or worked out by a rule.
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    certification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certifications.id"))
    # 登记失业人员 rests on an accepted unemployment registration instead (its reviewer certified it).
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id"))

    resident: Mapped[Resident] = relationship(back_populates="key_group_rows")
    verified_by: Mapped[Optional["Account"]] = relationship()  # noqa: F821
    certification: Mapped[Optional["Certification"]] = relationship()  # noqa: F821

    @property
    def certified(self) -> bool:
        """Tell whether a reviewer certified the group on evidence (a certification or a registration)."""
        evidence = self.certification_id is not None or self.registration_id is not None
        return evidence and self.verified_by_id is not None

    def is_current(self, today: date | None = None) -> bool:
        """Tell whether the group applies on `today` (default: the city's today)."""
        if today is None:
            today = local_day()
        return self.until is None or self.until >= today


class StatusChange(Base):
    """One change of a resident's employment status (状态变更); append-only."""

    __tablename__ = "status_changes"
    __table_args__ = (
        sa.Index("ix_status_changes_resident_id_id", "resident_id", "id"),
        # A month's changes, for the ledger snapshot's flows (services/grid/snapshots.py).
        sa.Index("ix_status_changes_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"))
    from_status: Mapped[str | None] = mapped_column(sa.String(32))
    to_status: Mapped[str] = mapped_column(sa.String(32))
    source: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    note: Mapped[str | None] = mapped_column(sa.String(255))
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="status_changes")
