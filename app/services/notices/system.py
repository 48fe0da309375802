"""System notices: what the platform itself announces (a digest, a published list), out without a review.

A notice written by a person goes through a second reviewer (workflow.py). A system notice is the
record of a decision already taken by an accountable admin (the city admin confirming the
demonstration list) or a figure the platform computed (a compliance digest), so a second review
would add nothing: it is written straight as published, audited, in the caller's transaction.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Account, Notice, NoticeAudience, NoticeStatus, utcnow
from app.queues import enqueue_after_commit
from app.services.notices.rules import check_audience, columns_of
from app.services.people import audit
from app.services.people.places import find_place

# How long a system notice shows when the caller names no end.
DEFAULT_DAYS = 30


def publish_system_notice(
    author: Account,
    *,
    place_kind: str,
    place_code: str,
    title: str,
    body: str,
    audience: str = NoticeAudience.staff.value,
    audience_value: str | None = None,
    valid_until: date | None = None,
    push: bool = False,
    client_id: str | None = None,
    ip: str | None = None,
) -> Notice:
    """Write a notice as published (no second review), audited; the caller commits.

    `author` is the account the notice is made in the name of (the admin who decided, or the
    admin a digest goes to). A `client_id` makes it idempotent: the author's notice already
    written with it is returned and nothing is written again.
    """
    if client_id:
        existing = db.session.scalar(
            sa.select(Notice).where(Notice.author_id == author.id, Notice.client_id == client_id)
        )
        if existing is not None:
            return existing
    place = find_place(place_kind, place_code)
    if place is None:
        raise ValidationFailed("place_code", f"No {place_kind} {place_code}.", code="place_not_found")
    today = local_day()
    if valid_until is not None and valid_until < today:
        raise ValidationFailed(
            "valid_until", "The notice would already have ended.", code="notice_already_ended"
        )
    now = utcnow()
    notice = Notice(
        title=title.strip()[:80],
        body=body,
        place_kind=place_kind,
        place_code=place_code,
        audience=audience,
        audience_value=check_audience(audience, audience_value),
        valid_from=today,
        valid_until=valid_until or today + timedelta(days=DEFAULT_DAYS),
        push=push,
        status=NoticeStatus.published.value,
        author_id=author.id,
        client_id=client_id,
        submitted_at=now,
        reviewed_at=now,
        review_note="系统发布",
        published_at=now,
    )
    for name, value in columns_of(place_kind, place).items():
        setattr(notice, name, value)
    db.session.add(notice)
    db.session.flush()
    audit.record(
        "notice.publish_system",
        actor=author,
        object_type="notice",
        object_id=notice.id,
        ip=ip,
        detail={"status": notice.status, "audience": audience},
    )
    if push:
        enqueue_after_commit("notices.push_notice", notice.id)
    return notice
