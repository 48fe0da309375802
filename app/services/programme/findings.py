"""Findings (问题): what supervision found wrong, assigned to an operator with a deadline.

open → answered (the operator's answer: its own accounts only) → closed (销号, the supervisor),
and the supervisor may reopen an answered or closed finding with a reason (a new deadline of
FINDING_DUE_DAYS). A finding is raised from a spot-check call's discrepancy (once per call: the
unique spot_check_id) or by hand by a supervisor, about a circle in their place. Overdue: still
open (unanswered) after its due day. Placed where it arose (the call's resident, or the circle),
it is read in place like people-data; an operator reads its own findings wherever they are.
Raising one tells the operator staff of its circle with a staff notice (notices/system.py).
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    AuditEvent,
    Circle,
    Finding,
    FindingStatus,
    Operator,
    Role,
    ScopeKind,
    SpotCheck,
    SpotCheckSample,
    utcnow,
)
from app.services.notices.system import publish_system_notice
from app.services.people import audit
from app.services.people.places import describe_place, find_place, place_code, place_within
from app.services.people.scoping import scope_clause
from app.services.programme.responsibility import operator_of_circle
from app.services.programme.supervision_scope import FINDING_READERS, require_role
from app.services.results import Page, paginate

S = FindingStatus
STATUS_TEXT = {S.open.value: "待整改", S.answered.value: "已反馈", S.closed.value: "已销号"}
# The satisfaction (1..5) at or below which a reached resident's answer is a discrepancy.
DISSATISFIED = 2


def discrepancies(call: SpotCheck) -> list[str]:
    """Return what a recorded call found wrong (nothing when it reached no one)."""
    if not call.reached:
        return []
    found = []
    if call.visit_confirmed is False:
        found.append("居民未确认该项服务" if call.object_type != "visit" else "居民未确认上门走访")
    if call.data_correct is False:
        found.append("台账信息与居民所述不符")
    if call.satisfaction is not None and call.satisfaction <= DISSATISFIED:
        found.append(f"居民满意度低（{call.satisfaction}分）")
    return found


def _due_on():
    """Return the deadline of a finding raised or reopened today."""
    return local_day() + timedelta(days=current_app.config["FINDING_DUE_DAYS"])


def _audit(action: str, actor: Account, finding: Finding, ip: str | None, **detail) -> None:
    """Record one step of a finding (it commits with the change)."""
    audit.record(
        action,
        actor=actor,
        object_type="finding",
        object_id=finding.id,
        ip=ip,
        detail={"status": finding.status, **detail},
    )


def _tell_operator(actor: Account, finding: Finding, ip: str | None) -> None:
    """Notify the operator staff of the finding's circle (a staff notice in the console), once."""
    circle = db.session.get(Circle, finding.circle_id) if finding.circle_id else None
    if circle is None:
        return
    publish_system_notice(
        actor,
        place_kind=ScopeKind.circle.value,
        place_code=place_code(ScopeKind.circle, circle),
        title=f"监理整改通知：{finding.title}",
        body=f"{finding.detail or finding.title}\n整改期限：{finding.due_on:%Y-%m-%d}。",
        audience_value=Role.operator.value,
        valid_until=finding.due_on,
        client_id=f"finding-{finding.id}",
        ip=ip,
    )


def raise_from_call(actor: Account, call: SpotCheck, ip: str | None) -> Finding | None:
    """Raise the finding of a call's discrepancy, once per call (the caller commits)."""
    reasons = discrepancies(call)
    if not reasons:
        return None
    if db.session.scalar(sa.select(Finding.id).where(Finding.spot_check_id == call.id)) is not None:
        return None
    sample = db.session.get(SpotCheckSample, call.sample_id)
    finding = Finding(
        spot_check_id=call.id,
        operator_id=call.operator_id,
        status=S.open.value,
        title=f"电话抽查发现问题（{sample.month:%Y年%m月}第{call.position}号）"[:128],
        detail="；".join(reasons) + (f"。监理备注：{call.note}" if call.note else ""),
        due_on=_due_on(),
        raised_by_id=actor.id,
        community_id=call.community_id,
        township_id=call.township_id,
        circle_id=call.circle_id,
        district_id=call.district_id,
        city_id=call.city_id,
    )
    db.session.add(finding)
    db.session.flush()
    _audit("finding.raise", actor, finding, ip, spot_check_id=call.id)
    _tell_operator(actor, finding, ip)
    return finding


def _by_client_id(client_id: str | None) -> Finding | None:
    """Return the finding written with this client id, if any."""
    if not client_id:
        return None
    return db.session.scalar(sa.select(Finding).where(Finding.client_id == client_id))


def create(actor: Account, values: dict, ip: str | None) -> tuple[dict, bool]:
    """Raise a finding by hand about a circle in the supervisor's place; return (it, created).

    The operator is the one answering for the circle today unless named; a retry with the same
    client_id returns the first finding.
    """
    require_role(actor, {Role.supervisor})
    existing = _by_client_id(values.get("client_id"))
    if existing is not None:
        if existing.raised_by_id != actor.id:
            raise Conflict("client_id_in_use", "This client_id was used by someone else.", field="client_id")
        return view(existing), False
    circle = find_place(ScopeKind.circle, values["circle_code"])
    if circle is None or not place_within(actor.scope_kind, actor.scope_id, ScopeKind.circle, circle.id):
        raise NotFound("circle_not_found", "No such circle in your area.")
    operator_id = values.get("operator_id") or operator_of_circle(circle.id, local_day())
    operator = db.session.get(Operator, operator_id) if operator_id else None
    if operator is None or operator.city_id != circle.district.city_id:
        raise ValidationFailed(
            "operator_id", "Name the operator the finding is for.", code="operator_required"
        )
    due_on = values.get("due_on") or _due_on()
    if due_on < local_day():
        raise ValidationFailed("due_on", "The deadline cannot be in the past.", code="due_in_past")
    finding = Finding(
        operator_id=operator.id,
        status=S.open.value,
        title=_text(values["title"], "title", high=128),
        detail=(values.get("detail") or "").strip() or None,
        due_on=due_on,
        raised_by_id=actor.id,
        client_id=values.get("client_id"),
        circle_id=circle.id,
        district_id=circle.district_id,
        city_id=circle.district.city_id,
    )
    db.session.add(finding)
    try:
        db.session.flush()
    except IntegrityError:  # the same retry racing its first try
        db.session.rollback()
        again = _by_client_id(values.get("client_id"))
        if again is None:
            raise
        return view(again), False
    _audit("finding.raise", actor, finding, ip)
    _tell_operator(actor, finding, ip)
    db.session.commit()
    return view(finding), True


def _clause(actor: Account):
    """Return the WHERE clause of the findings a reader sees: an operator its own, others their place's."""
    if actor.role == Role.operator:
        return Finding.operator_id == actor.operator_id if actor.operator_id else sa.false()
    return scope_clause(Finding, actor)


def _finding(actor: Account, finding_id: int, for_update: bool = False) -> Finding:
    """Load a finding the reader sees, or 404."""
    require_role(actor, FINDING_READERS)
    statement = sa.select(Finding).where(Finding.id == finding_id, _clause(actor))
    finding = db.session.scalar(statement.with_for_update() if for_update else statement)
    if finding is None:
        raise NotFound("finding_not_found", f"No finding {finding_id} in your area.")
    return finding


def get(actor: Account, finding_id: int) -> dict:
    """Return a finding the reader sees, with its steps."""
    return view(_finding(actor, finding_id))


def is_overdue(finding: Finding, today=None) -> bool:
    """Tell whether a finding is still unanswered after its due day."""
    return finding.status == S.open.value and finding.due_on < (today or local_day())


def _history(finding: Finding) -> list[dict]:
    """Return the finding's steps from the audit log, oldest first."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == "finding", AuditEvent.object_id == str(finding.id))
        .order_by(AuditEvent.id)
    )
    return [
        {
            "action": event.action.removeprefix("finding."),
            "at": event.created_at,
            "by": event.actor_label,
            "text": (event.detail or {}).get("text"),
        }
        for event in events
    ]


def view(finding: Finding, history: bool = True) -> dict:
    """Return a finding as shown: its fields, operator, place, whether overdue, and its steps."""
    shown = {column.key: getattr(finding, column.key) for column in Finding.__table__.columns}
    operator = db.session.get(Operator, finding.operator_id)
    return {
        **shown,
        "status_text": STATUS_TEXT[finding.status],
        "operator_name": operator.name if operator else None,
        "circle": describe_place("circle", finding.circle_id),
        "community": describe_place("community", finding.community_id),
        "overdue": is_overdue(finding),
        "history": _history(finding) if history else [],
    }


def list_findings(actor: Account, args: dict) -> Page:
    """Return one page of the findings the reader sees, by ?status=, ?operator_id=, ?overdue=; due first."""
    require_role(actor, FINDING_READERS)
    statement = sa.select(Finding).where(_clause(actor))
    if args.get("status"):
        statement = statement.where(Finding.status == args["status"])
    if args.get("operator_id"):
        statement = statement.where(Finding.operator_id == args["operator_id"])
    if args.get("overdue"):
        statement = statement.where(Finding.status == S.open.value, Finding.due_on < local_day())
    page = paginate(statement, args["page"], args["per_page"], order_by=(Finding.due_on, Finding.id))
    page.items = [view(finding, history=False) for finding in page.items]
    return page


def _text(value: str | None, field: str, low: int = 2, high: int = 2000) -> str:
    """Return a required text of low..high characters, or 422 on the field."""
    value = (value or "").strip()
    if not low <= len(value) <= high:
        raise ValidationFailed(field, f"Write {low}–{high} characters.", code=f"{field}_required")
    return value


def _status(finding: Finding, *allowed: S) -> None:
    """Refuse a step from a status it does not start from (409 finding_status_conflict)."""
    if finding.status not in {status.value for status in allowed}:
        raise Conflict(
            "finding_status_conflict",
            f"This step does not apply to a finding that is {finding.status}.",
            field="status",
        )


def answer(actor: Account, finding_id: int, text: str, ip: str | None) -> dict:
    """Answer an open finding of my operator (整改反馈): what was done about it."""
    require_role(actor, {Role.operator})
    finding = _finding(actor, finding_id, for_update=True)
    _status(finding, S.open)
    finding.answer = _text(text, "answer")
    finding.status = S.answered.value
    finding.answered_by_id, finding.answered_at = actor.id, utcnow()
    _audit("finding.answer", actor, finding, ip, text=finding.answer[:500])
    db.session.commit()
    return view(finding)


def _supervising(actor: Account, finding_id: int) -> Finding:
    """Load a finding for the supervisor's decision, locked (only a supervisor over its place)."""
    if actor.role != Role.supervisor:
        raise Forbidden("role_forbidden", "The supervisor closes and reopens findings.")
    return _finding(actor, finding_id, for_update=True)


def close(actor: Account, finding_id: int, note: str | None, ip: str | None) -> dict:
    """Close (销号) an answered finding, with an optional note."""
    finding = _supervising(actor, finding_id)
    _status(finding, S.answered)
    finding.status = S.closed.value
    finding.closing_note = (note or "").strip()[:500] or None
    finding.closed_by_id, finding.closed_at = actor.id, utcnow()
    _audit("finding.close", actor, finding, ip, text=finding.closing_note)
    db.session.commit()
    return view(finding)


def reopen(actor: Account, finding_id: int, reason: str, ip: str | None) -> dict:
    """Reopen an answered or closed finding with the reason; the operator has a new deadline."""
    finding = _supervising(actor, finding_id)
    _status(finding, S.answered, S.closed)
    reason = _text(reason, "reason", high=500)
    finding.status = S.open.value
    finding.due_on = _due_on()
    finding.closed_by_id = finding.closed_at = finding.closing_note = None
    _audit("finding.reopen", actor, finding, ip, text=reason)
    db.session.commit()
    return view(finding)
