"""A notice's way out: written by its author, submitted, published or returned by a reviewer, withdrawn.

draft → in_review → published → withdrawn, with in_review → returned → in_review when the reviewer
sends it back with a reason. Each step changes the row under a lock and is audited; publishing a
notice with `push` enqueues its push after the commit (services/notices/pushing.py).
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day, utc_start_of
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.models import Account, Notice, utcnow
from app.queues import enqueue_after_commit
from app.services.notices.reading import view
from app.services.notices.rules import (
    S,
    check_audience,
    check_links,
    get_managed,
    may_review,
    own_editable,
    require_author_role,
    resolve_place,
)
from app.services.people import audit

# The fields an author sets (place and audience are checked together with their values).
PLAIN_FIELDS = ("title", "body", "valid_from", "valid_until", "event_id", "policy_id", "push")


def _audit(action: str, actor: Account, notice: Notice, ip: str | None, **detail) -> None:
    """Record one step of a notice in the audit log (it commits with the change)."""
    audit.record(
        action,
        actor=actor,
        object_type="notice",
        object_id=notice.id,
        ip=ip,
        detail={"status": notice.status, **detail},
    )


def _check_validity(valid_from: date, valid_until: date, today: date) -> None:
    """Refuse a validity that ends before it starts or has already ended."""
    if valid_until < valid_from:
        raise ValidationFailed(
            "valid_until", "The notice must end on or after its first day.", code="period_reversed"
        )
    if valid_until < today:
        raise ValidationFailed(
            "valid_until", "The notice would already have ended.", code="notice_already_ended"
        )


def _apply(actor: Account, notice: Notice, values: dict) -> None:
    """Set the author's fields on a notice, checking place, audience, validity and links."""
    if "place_kind" in values or "place_code" in values:
        kind, code, columns = resolve_place(
            actor, values.get("place_kind", notice.place_kind), values.get("place_code", notice.place_code)
        )
        notice.place_kind, notice.place_code = kind, code
        for name, value in columns.items():
            setattr(notice, name, value)
    if "audience" in values or "audience_value" in values:
        audience = values.get("audience", notice.audience)
        # A new audience drops the old one's value unless a new value comes with it.
        value = values.get("audience_value") if "audience" in values else values["audience_value"]
        notice.audience_value = check_audience(audience, value)
        notice.audience = audience
    for name in PLAIN_FIELDS:
        if name in values:
            setattr(notice, name, values[name])
    if isinstance(notice.title, str):
        notice.title = notice.title.strip()
    _check_validity(notice.valid_from, notice.valid_until, local_day())
    check_links(notice.event_id, notice.policy_id)


def _by_client_id(actor: Account, client_id: str | None) -> Notice | None:
    """Return the author's notice written with this client id, if any."""
    if not client_id:
        return None
    return db.session.scalar(
        sa.select(Notice).where(Notice.author_id == actor.id, Notice.client_id == client_id)
    )


def create(actor: Account, values: dict, ip: str | None) -> tuple[dict, bool]:
    """Write a draft notice to a place in the author's place; return (it, created).

    A retry with the same `client_id` returns the first draft, as it is now, and writes nothing.
    """
    require_author_role(actor)
    client_id = values.pop("client_id", None)
    existing = _by_client_id(actor, client_id)
    if existing is not None:
        return view(existing, None, actor), False
    notice = Notice(author_id=actor.id, client_id=client_id, status=S.draft.value, push=False)
    _apply(actor, notice, values)
    db.session.add(notice)
    try:
        db.session.flush()
    except IntegrityError:  # the same retry racing its first try: the unique key kept one
        db.session.rollback()
        again = _by_client_id(actor, client_id)
        if again is None:
            raise
        return view(again, None, actor), False
    _audit("notice.create", actor, notice, ip)
    db.session.commit()
    return view(notice, None, actor), True


def edit(actor: Account, notice_id: int, values: dict, ip: str | None) -> dict:
    """Change a draft (or returned) notice: its author only."""
    notice = own_editable(actor, notice_id)
    _apply(actor, notice, values)
    _audit("notice.edit", actor, notice, ip, fields=sorted(values))
    db.session.commit()
    return view(notice, None, actor)


def submit(actor: Account, notice_id: int, ip: str | None) -> dict:
    """Send a draft (or returned) notice for review by a second person."""
    notice = own_editable(actor, notice_id)
    _check_validity(notice.valid_from, notice.valid_until, local_day())
    notice.status = S.in_review.value
    notice.submitted_at = utcnow()
    _audit("notice.submit", actor, notice, ip)
    db.session.commit()
    return view(notice, None, actor)


def _in_review(actor: Account, notice_id: int) -> Notice:
    """Return a notice waiting for the actor's review, locked; refuse its author and anyone out of place."""
    notice = get_managed(actor, notice_id, for_update=True)
    if not may_review(actor, notice):
        raise Forbidden("not_reviewer", "An admin over the notice's place, not its author, reviews it.")
    if notice.status != S.in_review:
        raise Conflict(
            "notice_status_conflict",
            f"Only a notice in review is published or returned; this is {notice.status}.",
        )
    notice.reviewer_id = actor.id
    notice.reviewed_at = utcnow()
    return notice


def publish(actor: Account, notice_id: int, note: str | None, ip: str | None) -> dict:
    """Publish a notice in review; with `push`, its push to the audience is enqueued after the commit."""
    notice = _in_review(actor, notice_id)
    if notice.valid_until < local_day():
        raise Conflict("notice_already_ended", "The notice's validity has ended; return it for new dates.")
    notice.status = S.published.value
    notice.review_note = (note or None) and note[:255]
    notice.published_at = utcnow()
    _audit("notice.publish", actor, notice, ip)
    if notice.push:
        # A notice shown from a later day is pushed that day (quiet hours then hold it to the morning).
        later = notice.valid_from > local_day()
        enqueue_after_commit(
            "notices.push_notice", notice.id, at=utc_start_of(notice.valid_from) if later else None
        )
    db.session.commit()
    return view(notice, None, actor)


def _reason(reason: str | None) -> str:
    """Return the reason given (2–200 characters), or refuse the step without one."""
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        raise ValidationFailed("reason", "Give the reason (2–200 characters).", code="reason_required")
    return reason


def return_notice(actor: Account, notice_id: int, reason: str, ip: str | None) -> dict:
    """Send a notice in review back to its author with the reason."""
    notice = _in_review(actor, notice_id)
    reason = _reason(reason)
    notice.status = S.returned.value
    notice.review_note = reason[:255]
    _audit("notice.return", actor, notice, ip, reason=reason[:255])
    db.session.commit()
    return view(notice, None, actor)


def withdraw(actor: Account, notice_id: int, reason: str, ip: str | None) -> dict:
    """Take a published notice back (its author or an admin over its place), with the reason."""
    notice = get_managed(actor, notice_id, for_update=True)
    if notice.author_id != actor.id and not may_review(actor, notice):
        raise Forbidden("not_reviewer", "The author or an admin over the notice's place withdraws it.")
    if notice.status != S.published:
        raise Conflict(
            "notice_status_conflict", f"Only a published notice is withdrawn; this is {notice.status}."
        )
    reason = _reason(reason)
    notice.status = S.withdrawn.value
    notice.withdrawn_at = utcnow()
    notice.withdraw_reason = reason[:255]
    _audit("notice.withdraw", actor, notice, ip, reason=reason[:255])
    db.session.commit()
    return view(notice, None, actor)
