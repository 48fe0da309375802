"""Certified key groups (重点群体认定): an application with evidence files, a review, a validity."""

from datetime import date, datetime
from enum import StrEnum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, utcnow
from app.models.residents import PlaceColumns


class CertificationStatus(StrEnum):
    """Where a certification stands."""

    pending = "pending"  # 待审核: applied for (or recorded by staff), evidence being gathered
    certified = "certified"  # 已认定: a reviewer certified it, valid from/until
    rejected = "rejected"  # 未通过: refused with a reason
    expired = "expired"  # 已过期: past its valid_until (the daily task)


class Certification(PlaceColumns, TimestampMixin, Base):
    """One application for (or staff record of) a key group of a resident, and its review.

    Placed where the resident lived when it was made, so scoping is the people-data rule.
    """

    __tablename__ = "certifications"
    __table_args__ = (
        # A retried create returns the first row (client_id unique with its author).
        sa.UniqueConstraint("author_id", "client_id", name="uq_certifications_author_id_client_id"),
        sa.Index("ix_certifications_resident_id_key_group", "resident_id", "key_group"),
        # The review queue and the daily expiry both read by status, then validity.
        sa.Index("ix_certifications_status_valid_until", "status", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"))
    key_group: Mapped[str] = mapped_column(sa.String(32))
    # A college graduate's year of graduation (高校毕业生: the period follows from it).
    graduation_year: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(16), default=CertificationStatus.pending.value)
    # self: the resident applied; staff: recorded at the counter on their behalf.
    source: Mapped[str] = mapped_column(sa.String(16))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    reason: Mapped[str | None] = mapped_column(sa.String(255))
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    # When the renewal reminder was pushed (once per certification), and when it expired.
    reminded_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    expired_at: Mapped[datetime | None] = mapped_column(sa.DateTime())

    resident: Mapped["Resident"] = relationship()  # noqa: F821
    author: Mapped["Account"] = relationship(foreign_keys=[author_id])  # noqa: F821
    reviewer: Mapped[Optional["Account"]] = relationship(foreign_keys=[reviewer_id])  # noqa: F821
    evidence: Mapped[list["CertificationEvidence"]] = relationship(
        back_populates="certification", order_by="CertificationEvidence.id", cascade="all, delete-orphan"
    )


class CertificationEvidence(Base):
    """One evidence file of a certification (a certificate's scan, a card's photo); type by content."""

    __tablename__ = "certification_evidence"
    __table_args__ = (
        # The same bytes twice (a retried upload) are one file.
        sa.UniqueConstraint("certification_id", "sha256", name="uq_certification_evidence_certification_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(sa.ForeignKey("certifications.id"), index=True)
    storage_name: Mapped[str] = mapped_column(sa.String(64))
    original_name: Mapped[str] = mapped_column(sa.String(128))
    content_type: Mapped[str] = mapped_column(sa.String(128))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)

    certification: Mapped[Certification] = relationship(back_populates="evidence")
