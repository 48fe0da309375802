"""Accounts (residents, employers, staff), their roles and scopes, and login tokens."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, utcnow


class Role(StrEnum):
    """What an account is allowed to do."""

    resident = "resident"  # 居民 / 求职者
    employer = "employer"  # 经营实体 / 用人单位
    grid_worker = "grid_worker"  # 网格员
    station_staff = "station_staff"  # 服务站工作人员
    operator = "operator"  # 运营机构
    township_admin = "township_admin"  # 街道/乡镇人社
    district_admin = "district_admin"  # 区县人社
    city_admin = "city_admin"  # 市人社局
    supervisor = "supervisor"  # 第三方监理


STAFF_ROLES = frozenset(Role) - {Role.resident, Role.employer}


class ScopeKind(StrEnum):
    """The level of the place a staff account is scoped to, smallest first."""

    community = "community"
    township = "township"
    circle = "circle"
    district = "district"
    city = "city"


class Account(TimestampMixin, Base):
    """Someone who can log in: with WeChat (residents, employers) or a password (staff)."""

    __tablename__ = "accounts"
    __table_args__ = (sa.Index("ix_accounts_scope", "scope_kind", "scope_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(32), index=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(64))
    username: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    openid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(sa.String(64))
    # WeChat's session_key, AES-GCM encrypted; it never leaves the server.
    session_key_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    scope_kind: Mapped[str | None] = mapped_column(sa.String(16))
    scope_id: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))

    tokens: Mapped[list["AuthToken"]] = relationship(back_populates="account")

    @property
    def is_staff(self) -> bool:
        """Tell whether this is a staff account (scoped, password login)."""
        return self.role in STAFF_ROLES


class AuthToken(Base):
    """An opaque bearer token; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime())

    account: Mapped[Account] = relationship(back_populates="tokens")
