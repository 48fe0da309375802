"""Declarative base, naming convention and column types shared by every model."""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

# Stable constraint names, so Alembic can find and alter constraints on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    # Coordinates need double precision: MySQL's FLOAT is 32-bit (about a metre of error).
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={float: sa.Double()},
    )


def utcnow() -> datetime:
    """Return the current UTC time, naive (every DATETIME column holds UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


class JSONText(sa.types.TypeDecorator):
    """A JSON value stored as TEXT, so it reads the same on SQLite, MariaDB, MySQL and TiDB."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Serialise to compact JSON (Chinese kept readable)."""
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value, dialect):
        """Parse the stored JSON."""
        return None if value is None else json.loads(value)


class TimestampMixin:
    """created_at / updated_at columns in UTC."""

    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow, onupdate=utcnow)
