"""Benefit claims (待遇申领, 直补快办): a claim of a policy, reviewed in stages, then paid."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONText, TimestampMixin, utcnow
from app.models.residents import PlaceColumns


class ClaimStatus(StrEnum):
    """Where a claim stands: the stages in order, then the ends."""

    submitted = "submitted"  # 已提交, waiting to be accepted
    accepted = "accepted"  # 已受理, waiting for the first review
    first_reviewed = "first_reviewed"  # 初审通过 (township or station), waiting for the second
    second_reviewed = "second_reviewed"  # 复核通过 (district), waiting for the public notice
    in_notice = "in_notice"  # 公示中 (N days; objections recorded)
    approved = "approved"  # 已核准: the amount is frozen
    paid = "paid"  # 已发放
    returned = "returned"  # 退回补充材料: back with the claimant, who resubmits
    rejected = "rejected"  # 未通过, with a reason
    withdrawn = "withdrawn"  # 已撤回 by the claimant


class ClaimChannel(StrEnum):
    """How a claim was made."""

    resident = "resident"  # the person, from a match in the mini-program
    employer = "employer"  # an employer account
    counter = "counter"  # staff at the counter (代办)


class Claim(PlaceColumns, TimestampMixin, Base):
    """One claim of one policy for one period by a resident or an employer."""

    __tablename__ = "claims"
    __table_args__ = (
        sa.UniqueConstraint("author_id", "client_id", name="uq_claims_author_id_client_id"),
        # The queues: a status, oldest due first.
        sa.Index("ix_claims_status_stage_due_on", "status", "stage_due_on"),
        sa.Index("ix_claims_resident_id", "resident_id"),
        sa.Index("ix_claims_employer_id", "employer_id"),
        sa.Index("ix_claims_policy_id_status", "policy_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_key: Mapped[str] = mapped_column(sa.String(24))  # "r<id>" or "e<id>", as on matches
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id"))
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"))
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("policies.id"))
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("policy_versions.id"))
    match_id: Mapped[int | None] = mapped_column(sa.ForeignKey("policy_matches.id"))
    # "once", "2026" or "2026-12" by the version's claim period.
    period: Mapped[str] = mapped_column(sa.String(8))
    # "<subject_key>:<policy_id>:<period>" unless rejected or withdrawn (then NULL): the unique
    # index keeps one live claim per subject, policy and period even when two requests race.
    open_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=ClaimStatus.submitted.value)
    channel: Mapped[str] = mapped_column(sa.String(16))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    client_id: Mapped[str] = mapped_column(sa.String(64))

    # The facts as evaluated and confirmed, the trace, and whether every fact the rule read
    # was already verified in the ledger (免申即享: the person only confirmed).
    facts: Mapped[dict] = mapped_column(JSONText(), default=dict)
    trace: Mapped[list] = mapped_column(JSONText(), default=list)
    all_verified: Mapped[bool] = mapped_column(default=False)
    # Amounts in fen (分): estimated when made, frozen at approval.
    estimated_fen: Mapped[int | None] = mapped_column(sa.BigInteger())
    approved_fen: Mapped[int | None] = mapped_column(sa.BigInteger())

    # Where the money goes: the account number encrypted (AES-GCM) and a masked hint.
    bank_name: Mapped[str | None] = mapped_column(sa.String(64))
    bank_account_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    bank_account_hint: Mapped[str | None] = mapped_column(sa.String(32))
    account_holder: Mapped[str | None] = mapped_column(sa.String(64))

    # The current stage's deadline (overdue when passed) and the public notice period.
    stage_due_on: Mapped[date | None]
    notice_from: Mapped[date | None]
    notice_until: Mapped[date | None]
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime())  # approved or rejected
    reason: Mapped[str | None] = mapped_column(sa.String(255))  # of a rejection or return
    paid_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    payment_reference: Mapped[str | None] = mapped_column(sa.String(64))

    resident: Mapped["Resident | None"] = relationship()  # noqa: F821  (by name: no import cycle)
    employer: Mapped["Employer | None"] = relationship()  # noqa: F821
    version: Mapped["PolicyVersion"] = relationship()  # noqa: F821
    events: Mapped[list["ClaimEvent"]] = relationship(order_by="ClaimEvent.id")
    attachments: Mapped[list["ClaimAttachment"]] = relationship(order_by="ClaimAttachment.id")
    hires: Mapped[list["ClaimHire"]] = relationship(order_by="ClaimHire.id")
    objections: Mapped[list["ClaimObjection"]] = relationship(order_by="ClaimObjection.id")


class ClaimEvent(Base):
    """One step of a claim: who moved it from which status to which, with their note."""

    __tablename__ = "claim_events"
    __table_args__ = (sa.Index("ix_claim_events_claim_id", "claim_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id"))
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    role: Mapped[str] = mapped_column(sa.String(24))
    note: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class ClaimAttachment(Base):
    """A material (申领材料) uploaded for a claim, stored under the résumé file rules."""

    __tablename__ = "claim_attachments"
    __table_args__ = (sa.Index("ix_claim_attachments_claim_id", "claim_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id"))
    storage_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int]
    material: Mapped[str | None] = mapped_column(sa.String(64))  # which required material it is
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)


class ClaimObjection(Base):
    """An objection (异议) raised during a claim's public notice, and how it was resolved."""

    __tablename__ = "claim_objections"
    __table_args__ = (sa.Index("ix_claim_objections_claim_id", "claim_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id"))
    text: Mapped[str] = mapped_column(sa.String(500))
    raised_by: Mapped[str | None] = mapped_column(sa.String(64))  # as the objector gave it
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    # open, upheld (the claim is rejected) or dismissed (the notice goes on).
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    resolution: Mapped[str | None] = mapped_column(sa.String(255))
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime())


class ClaimHire(Base):
    """A hire an employer's claim rests on: the person and the employment registration."""

    __tablename__ = "claim_hires"
    __table_args__ = (
        sa.UniqueConstraint("claim_id", "resident_id", name="uq_claim_hires_claim_id_resident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id"))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"))
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id"))
    key_groups: Mapped[list] = mapped_column(JSONText(), default=list)  # certified at the claim
