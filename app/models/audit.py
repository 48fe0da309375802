"""The append-only audit log."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.models.base import Base, JSONText, utcnow


class AuditEvent(Base):
    """Who did what to which object, when, from where, and how it ended."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_object", "object_type", "object_id"),
        sa.Index("ix_audit_events_actor_id_id", "actor_id", "id"),
        sa.Index("ix_audit_events_action_id", "action", "id"),
        # A supervisor's log: one equality on their place's level, newest first (docs/LISTS.md).
        sa.Index("ix_audit_events_circle_id_id", "circle_id", "id"),
        sa.Index("ix_audit_events_district_id_id", "district_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    # Kept as written at the time, so the log reads the same after renames.
    actor_label: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str | None] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    detail: Mapped[dict | None] = mapped_column(JSONText())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow, index=True)
    # The place the event belongs to, set when it is written (services/people/audit.py): every
    # level at and above it, None below. No foreign keys: the log outlives any change to places,
    # and each would cost the largest table another index.
    community_id: Mapped[int | None]
    township_id: Mapped[int | None]
    circle_id: Mapped[int | None]
    district_id: Mapped[int | None]
    city_id: Mapped[int | None]


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target):
    """Keep the audit log append-only at the ORM level."""
    raise RuntimeError("audit events are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state):
    """Refuse bulk UPDATE/DELETE statements on the audit log too (they skip the hooks above)."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise RuntimeError("audit events are append-only")
