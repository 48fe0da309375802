"""Demonstration communities (示范社区评选): criteria with weights, a yearly ranking and its scores."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, TimestampMixin


class RankingStatus(StrEnum):
    """Where a ranking is."""

    computed = "computed"  # figures in, may be recomputed
    confirmed = "confirmed"  # the city admin fixed the list; no recompute
    published = "published"  # announced as a notice


class DemonstrationCriterion(TimestampMixin, Base):
    """One criterion of a year's selection and its weight (the city admin configures them)."""

    __tablename__ = "demonstration_criteria"
    __table_args__ = (sa.UniqueConstraint("year", "key", name="uq_demonstration_criteria_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    key: Mapped[str] = mapped_column(sa.String(32))  # visit_days, quarter_coverage, ...
    weight: Mapped[float] = mapped_column(default=0.0)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))


class DemonstrationRanking(TimestampMixin, Base):
    """A year's ranking of the communities of one district, or of the whole city."""

    __tablename__ = "demonstration_rankings"
    __table_args__ = (
        sa.UniqueConstraint("year", "place_kind", "place_id", name="uq_demonstration_rankings_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    place_kind: Mapped[str] = mapped_column(sa.String(16))  # district or city
    place_id: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default=RankingStatus.computed.value)
    weights: Mapped[dict] = mapped_column(JSONText, default=dict)  # the criteria as they were computed
    computed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    computed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    selected_count: Mapped[int] = mapped_column(default=0)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notices.id"))


class DemonstrationScore(Base):
    """One community's place in a ranking: its total and each criterion's score with its evidence."""

    __tablename__ = "demonstration_scores"
    __table_args__ = (
        sa.UniqueConstraint("ranking_id", "community_id", name="uq_demonstration_scores_ranking_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking_id: Mapped[int] = mapped_column(sa.ForeignKey("demonstration_rankings.id"))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    position: Mapped[int]
    total: Mapped[float] = mapped_column(default=0.0)
    # {criterion: {"value": ..., "score": 0..100, "weighted": ..., "evidence": "..."}}
    scores: Mapped[dict] = mapped_column(JSONText, default=dict)
    selected: Mapped[bool] = mapped_column(default=False)
