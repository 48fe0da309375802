"""Operators (运营机构): the third-party organisations that run circles, and their contracts."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin


class OperatorStatus(StrEnum):
    """Whether an operator may still hold contracts and staff."""

    active = "active"
    suspended = "suspended"  # 暂停: kept for its history, no new contracts or staff


class ContractStatus(StrEnum):
    """Where a contract is."""

    active = "active"  # within its period (or before it starts)
    ended = "ended"  # 终止 early, with a reason; the period's end needs no status change


class EmploymentType(StrEnum):
    """How a staff member is employed (the plan counts full-time station staff, any employment officer)."""

    full_time = "full_time"  # 专职
    part_time = "part_time"  # 兼职


class Operator(TimestampMixin, Base):
    """A third-party organisation contracted to run circles; its staff accounts carry its id."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    # 统一社会信用代码 (GB 32100 checked on entry); unique so an organisation is entered once.
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(sa.String(64))
    # The contact person's phone is personal data: encrypted, masked when shown.
    contact_phone_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    contact_phone_hint: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default=OperatorStatus.active.value)
    # No foreign key: accounts.operator_id points here, and a cycle would leave no order to create
    # or drop the two tables in (the audit log names who created it, too).
    created_by_id: Mapped[int | None]

    contracts: Mapped[list["OperatorContract"]] = relationship(
        back_populates="operator", order_by="OperatorContract.starts_on"
    )


class OperatorContract(TimestampMixin, Base):
    """A contract (服务合同) of an operator for a district, or one circle of it, over a period."""

    __tablename__ = "operator_contracts"
    __table_args__ = (sa.Index("ix_operator_contracts_district_id_starts_on", "district_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id"), index=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"))
    # None: the whole district; else the one circle it covers.
    circle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("circles.id"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date())
    ends_on: Mapped[date] = mapped_column(sa.Date())
    population_served: Mapped[int | None]
    # The contract's fee for its whole period, in fen (分): money is never a float.
    fee_fen: Mapped[int | None] = mapped_column(sa.BigInteger())
    reference: Mapped[str | None] = mapped_column(sa.String(64))  # 合同编号
    status: Mapped[str] = mapped_column(sa.String(16), default=ContractStatus.active.value)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(255))
    # A retried create carries the same client id and is applied once.
    client_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime())

    operator: Mapped[Operator] = relationship(back_populates="contracts")
