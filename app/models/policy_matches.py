"""Policy matches (政策找人): a person or employer who qualifies for a policy version, and why."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, TimestampMixin
from app.models.residents import PlaceColumns


class MatchStatus(StrEnum):
    """Where a match stands."""

    qualified = "qualified"  # 符合条件, not claimed
    claimed = "claimed"  # a claim was made from it
    lapsed = "lapsed"  # 不再符合 (facts changed, the version was superseded or withdrawn)


class PolicyMatch(PlaceColumns, TimestampMixin, Base):
    """One subject (a resident or an employer) × one policy version it qualifies for.

    Placed where the subject is, so the working list is one indexed equality per place. The
    trace (each condition, the fact's value, whether it held) is kept as evaluated, so a
    reviewer sees exactly why the claim was offered.
    """

    __tablename__ = "policy_matches"
    __table_args__ = (
        # "r<resident_id>" or "e<employer_id>": one match per subject and version.
        sa.UniqueConstraint("subject_key", "policy_version_id", name="uq_policy_matches_subject_key_version"),
        sa.Index("ix_policy_matches_policy_id_status", "policy_id", "status"),
        sa.Index("ix_policy_matches_resident_id_status", "resident_id", "status"),
        sa.Index("ix_policy_matches_employer_id_status", "employer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_key: Mapped[str] = mapped_column(sa.String(24))
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("residents.id"))
    employer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("employers.id"))
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("policies.id"))
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("policy_versions.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=MatchStatus.qualified.value)
    # The estimated benefit in fen (分), from the version's benefit rule over the facts.
    amount_fen: Mapped[int | None] = mapped_column(sa.BigInteger())
    trace: Mapped[list] = mapped_column(JSONText(), default=list)
    facts: Mapped[dict] = mapped_column(JSONText(), default=dict)  # the facts the rule read
    matched_at: Mapped[datetime] = mapped_column(sa.DateTime())
    claim_deadline: Mapped[date | None]
    lapsed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # When the policy_notice push was queued (once per subject and version).
    notified_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
