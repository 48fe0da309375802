"""The audit log (审计日志) for its readers: the city's, or a supervisor's own place's events."""

import json

import sqlalchemy as sa

from app.models import AuditEvent
from app.services.lists.base import Column, Filter, Listing, local_time, since_clause
from app.services.lists.labels import choices, label
from app.services.people import audit


class AuditEvents(Listing):
    """Audit events newest first, scoped by the place each was written with (people/audit.py)."""

    name = "audit_events"
    title = "审计日志"
    roles = audit.READ_ROLES
    model = AuditEvent
    columns = (
        Column("id", "编号"),
        Column("created_at", "时间"),
        Column("actor", "操作人"),
        Column("action", "操作"),
        Column("object", "对象"),
        Column("outcome", "结果"),
        Column("ip", "IP地址"),
        Column("detail", "详情"),
    )
    filters = (
        # "auth." matches every auth event; "auth.login" that one (as the API's filter).
        Filter("action", "操作", "text"),
        Filter("outcome", "结果", "choice", choices("audit_outcome")),
        Filter("since", "日期起", "date"),
        Filter("until", "日期止", "date"),
        Filter("q", "操作人", "text"),
    )
    # The log is the largest table: only its id orders it (an indexed equality + id DESC).
    sorts = {"id": AuditEvent.id}
    default_sort = "-id"
    newest_first = True

    def select(self, actor, filters: dict):
        """Return the events the reader may see, filtered."""
        statement = sa.select(AuditEvent).where(audit.scope_clause(actor))
        if "action" in filters:
            action = filters["action"]
            statement = statement.where(
                AuditEvent.action.startswith(action, autoescape=True)
                if action.endswith(".")
                else AuditEvent.action == action
            )
        if "outcome" in filters:
            statement = statement.where(AuditEvent.outcome == filters["outcome"])
        if "q" in filters:
            statement = statement.where(AuditEvent.actor_label == filters["q"])
        return statement.where(*since_clause(AuditEvent.created_at, filters))

    def row(self, obj: AuditEvent, reveal) -> dict:
        """Return one event as shown."""
        about = f"{obj.object_type}:{obj.object_id}" if obj.object_type else None
        return {
            "id": obj.id,
            "created_at": local_time(obj.created_at),
            "actor": obj.actor_label,
            "actor_id": obj.actor_id,
            "action": obj.action,
            "object": about,
            "outcome": label("audit_outcome", obj.outcome),
            "outcome_code": obj.outcome,
            "ip": obj.ip,
            "detail": json.dumps(obj.detail, ensure_ascii=False) if obj.detail else None,
        }


LISTING = AuditEvents()
