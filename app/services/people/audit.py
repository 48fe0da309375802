"""The audit log: write events in the caller's transaction, read them back for auditors."""

from datetime import UTC, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, AuditEvent
from app.services.results import Page, paginate


def record(
    action: str,
    outcome: str = "success",
    actor: Account | None = None,
    object_type: str | None = None,
    object_id: object = None,
    ip: str | None = None,
    detail: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it commits with the change it describes."""
    if actor_label is None and actor is not None:
        actor_label = actor.username or f"account:{actor.id}"
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        outcome=outcome,
        ip=ip,
        detail=detail,
    )
    db.session.add(event)
    return event


def commit(action: str, outcome: str = "success", **fields) -> AuditEvent:
    """Record an audit event and commit it with the change it describes (one transaction)."""
    event = record(action, outcome, **fields)
    db.session.commit()
    return event


def _naive_utc(moment: datetime) -> datetime:
    """Convert a datetime to naive UTC, as stored; a naive one is taken to be UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def list_events(
    page: int,
    per_page: int,
    action: str | None = None,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """Return one page of audit events, newest first, and the total matching."""
    conditions = []
    if action:
        # "auth." matches every auth event; "auth.login" just that one.
        # autoescape: an '_' in the prefix is a letter, not LIKE's any-character.
        conditions.append(
            AuditEvent.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEvent.action == action
        )
    if actor_id is not None:
        conditions.append(AuditEvent.actor_id == actor_id)
    if object_type:
        conditions.append(AuditEvent.object_type == object_type)
    if object_id:
        conditions.append(AuditEvent.object_id == object_id)
    if since:
        conditions.append(AuditEvent.created_at >= _naive_utc(since))
    if until:
        conditions.append(AuditEvent.created_at < _naive_utc(until))
    return paginate(
        sa.select(AuditEvent).where(*conditions),
        page,
        per_page,
        order_by=(AuditEvent.id.desc(),),
        # A plain COUNT of the same conditions: the log is the largest table, so no derived table.
        count=sa.select(sa.func.count()).select_from(AuditEvent).where(*conditions),
    )
