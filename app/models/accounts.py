"""Accounts (residents, employers, staff), their roles and scopes, login tokens and console sessions."""

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

    @property
    def label(self) -> str:
        """Return the role's name as the console shows it."""
        return ROLE_LABELS[self]


STAFF_ROLES = frozenset(Role) - {Role.resident, Role.employer}
ROLE_LABELS = {
    Role.resident: "居民",
    Role.employer: "用人单位",
    Role.grid_worker: "网格员",
    Role.station_staff: "服务站工作人员",
    Role.operator: "运营机构",
    Role.township_admin: "街道/乡镇人社",
    Role.district_admin: "区县人社",
    Role.city_admin: "市人社局",
    Role.supervisor: "第三方监理",
}


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
    # The console's second factor (services/people/second_factor.py): the TOTP secret, AES-GCM
    # encrypted; enabled once a first code confirmed it (a secret without it: enrolment begun).
    totp_secret_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    totp_enabled_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # The 30-second time step of the last code accepted: a code is good once (no replay).
    totp_last_step: Mapped[int | None]
    # The operator organisation (运营机构) a staff account works for; None for government staff.
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id"), index=True)
    # full_time / part_time (operators.EmploymentType): the plan counts full-time station staff.
    employment_type: Mapped[str | None] = mapped_column(sa.String(16))

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


class RecoveryCode(Base):
    """A one-time code that stands in for the TOTP code; only its keyed hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime())


class ConsoleSession(Base):
    """A signed-in browser of the staff console; the cookie holds its random id, only the SHA-256 is here.

    The row is the truth: idle and absolute timeouts, sign-out and sign-out-everywhere all act on it.
    """

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    sid_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # When every factor the account needs was passed; None while its second factor (or the
    # enrolment of one) is still due: such a session opens only the second-factor pages.
    verified_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))

    account: Mapped[Account] = relationship()
