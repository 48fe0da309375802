"""Employer credibility (信用): a score per employer from what the platform saw it do, with its inputs."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText


class EmployerCredibility(Base):
    """An employer's score, level and plain reasons, and the inputs they were computed from.

    Marked stale (stale_since) by the events that change an input; a task recomputes the stale
    rows, so no request ever scans an employer's history. employers.credibility_score copies the
    score for ranking and the review queue's order.
    """

    __tablename__ = "employer_credibility"

    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employers.id"), primary_key=True)
    score: Mapped[int] = mapped_column(default=0)  # 0..100
    level: Mapped[str] = mapped_column(sa.String(16), default="unrated")
    reasons: Mapped[list] = mapped_column(JSONText, default=list)  # plain Chinese, for residents
    inputs: Mapped[dict] = mapped_column(JSONText, default=dict)  # the figures, for staff
    computed_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    stale_since: Mapped[datetime | None] = mapped_column(sa.DateTime(), index=True)
