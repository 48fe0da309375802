"""Reading notices: "for me" with read state and the unread count, one notice, the staff's list in place."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.errors import NotFound
from app.extensions import db
from app.models import STAFF_ROLES, Account, Notice, NoticeRead
from app.services.notices.rules import NOT_FOUND, audience_place, live, managed, may_review, place_of
from app.services.results import Page, paginate

PAGE = "pages/notices/index"
# What only staff working on a notice see.
STAFF_ONLY = ("author_id", "reviewer_id", "review_note", "submitted_at", "reviewed_at", "pushed_at")


def view(notice: Notice, read_at=None, actor: Account | None = None) -> dict:
    """Return a notice as the API shows it (with whether the actor may review it, for staff)."""
    shown = {column.key: getattr(notice, column.key) for column in Notice.__table__.columns}
    shown["place"] = place_of(notice)
    shown["read_at"] = read_at
    shown["attachment"] = (
        {"name": notice.attachment_name, "type": notice.attachment_type, "size": notice.attachment_size}
        if notice.attachment_path
        else None
    )
    shown["may_review"] = actor is not None and may_review(actor, notice)
    if actor is None:
        # A reader sees the notice, not its making: who wrote and reviewed it and what they said.
        shown.update(dict.fromkeys(STAFF_ONLY))
    return shown


def _mine(account: Account):
    """Return a SELECT of (notice, read_at) of the notices out today for this account."""
    return (
        sa.select(Notice, NoticeRead.read_at)
        .outerjoin(
            NoticeRead, sa.and_(NoticeRead.notice_id == Notice.id, NoticeRead.account_id == account.id)
        )
        .where(live(local_day()), audience_place(account, local_day()))
    )


def for_me(account: Account, filters: dict) -> dict:
    """Return a page of the notices for me (newest first) with read state, and how many are unread."""
    statement = _mine(account)
    if filters.get("unread"):
        statement = statement.where(NoticeRead.read_at.is_(None))
    page, per_page = filters.get("page", 1), filters.get("per_page", 20)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = db.session.execute(
        statement.order_by(Notice.published_at.desc(), Notice.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    unread = db.session.scalar(
        sa.select(sa.func.count()).select_from(_mine(account).where(NoticeRead.read_at.is_(None)).subquery())
    )
    return {
        "items": [view(notice, read_at) for notice, read_at in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "unread": unread,
    }


def _visible(account: Account, notice_id: int) -> Notice:
    """Return a notice the account may read: one for them out today, or (staff) one in place; else 404."""
    clause = sa.and_(live(local_day()), audience_place(account, local_day()))
    if account.role in STAFF_ROLES:
        clause = sa.or_(clause, managed(account))
    notice = db.session.scalar(sa.select(Notice).where(Notice.id == notice_id, clause))
    if notice is None:
        raise NotFound(NOT_FOUND, f"No notice {notice_id} for you.")
    return notice


def read(account: Account, notice_id: int) -> dict:
    """Open one notice: one for the reader is marked read (the first time); staff open those they manage."""
    notice = _visible(account, notice_id)
    read_at = None
    mine = db.session.scalar(
        sa.select(Notice.id).where(
            Notice.id == notice_id, live(local_day()), audience_place(account, local_day())
        )
    )
    if mine is not None:
        read_at = db.session.scalar(
            sa.select(NoticeRead.read_at).where(
                NoticeRead.notice_id == notice_id, NoticeRead.account_id == account.id
            )
        )
        if read_at is None:
            row = NoticeRead(notice_id=notice_id, account_id=account.id)
            db.session.add(row)
            try:
                db.session.commit()
            except IntegrityError:
                # Opened twice at once: the first read stands.
                db.session.rollback()
            read_at = db.session.scalar(
                sa.select(NoticeRead.read_at).where(
                    NoticeRead.notice_id == notice_id, NoticeRead.account_id == account.id
                )
            )
            notice = db.session.get(Notice, notice_id)
    return view(notice, read_at, account if account.role in STAFF_ROLES else None)


def visible_notice(account: Account, notice_id: int) -> Notice:
    """Return a notice the account may read (for its attachment), or 404."""
    return _visible(account, notice_id)


def managed_list(actor: Account, filters: dict) -> Page:
    """Return a page of the notices in the staff member's place (newest first), by status."""
    statement = sa.select(Notice).where(managed(actor))
    if filters.get("status"):
        statement = statement.where(Notice.status == filters["status"])
    if filters.get("mine"):
        statement = statement.where(Notice.author_id == actor.id)
    page = paginate(
        statement, filters.get("page", 1), filters.get("per_page", 20), order_by=(Notice.id.desc(),)
    )
    page.items = [view(notice, None, actor) for notice in page.items]
    return page


def in_place_view(actor: Account, notice: Notice) -> dict:
    """Return a notice a staff member works on, as shown."""
    return view(notice, None, actor)
