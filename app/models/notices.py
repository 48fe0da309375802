"""Notices (信息发布): what staff publish to a place and an audience, reviewed by a second person; reads."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, utcnow
from app.models.residents import PlaceColumns


class NoticeStatus(StrEnum):
    """Where a notice is: written, waiting for its review, out, or taken back."""

    draft = "draft"  # 草稿: its author may still edit it
    in_review = "in_review"  # 待审核: a second person in scope publishes or returns it
    returned = "returned"  # 退回修改, with the reviewer's reason; editable again
    published = "published"  # 已发布: shown to its audience within its validity
    withdrawn = "withdrawn"  # 已撤回, with a reason


class NoticeAudience(StrEnum):
    """Who a notice is for, within its place."""

    residents = "residents"  # every resident
    seekers = "seekers"  # job seekers (an open résumé, or unemployed in the ledger)
    key_group = "key_group"  # one key group (audience_value: its code)
    employers = "employers"
    staff = "staff"  # staff of one role (audience_value: the role), or every staff role when empty


class Notice(PlaceColumns, TimestampMixin, Base):
    """One notice: its text, place (the place columns down to its level), audience, validity and links.

    The place columns hold the place the notice is published to (a community sets all five, a
    district only district_id and city_id), so "notices for me" is an equality per level.
    """

    __tablename__ = "notices"
    __table_args__ = (
        sa.Index("ix_notices_status_valid_until", "status", "valid_until"),
        # A retried create (same author, same client id) returns the first draft.
        sa.UniqueConstraint("author_id", "client_id", name="uq_notices_author_id_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(80))
    body: Mapped[str] = mapped_column(sa.Text())
    # The level of the place it goes to (community, township, circle, district, city) and its code.
    place_kind: Mapped[str] = mapped_column(sa.String(16))
    place_code: Mapped[str] = mapped_column(sa.String(32))
    audience: Mapped[str] = mapped_column(sa.String(16))
    audience_value: Mapped[str | None] = mapped_column(sa.String(32))
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id"))
    policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("policies.id"))
    # One optional attachment, a real file under STORAGE_DIR (its name as uploaded, type, size, digest).
    attachment_path: Mapped[str | None] = mapped_column(sa.String(255))
    attachment_name: Mapped[str | None] = mapped_column(sa.String(128))
    attachment_type: Mapped[str | None] = mapped_column(sa.String(64))
    attachment_size: Mapped[int | None]
    attachment_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    # Push it too (to residents of the audience who may receive it) once published.
    push: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(16), default=NoticeStatus.draft.value)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    review_note: Mapped[str | None] = mapped_column(sa.String(255))
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(), index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    withdraw_reason: Mapped[str | None] = mapped_column(sa.String(255))
    pushed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())


class NoticeRead(Base):
    """One account having opened one notice (the first time)."""

    __tablename__ = "notice_reads"

    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
