"""Outbox: a task a change wants, written in the change's own transaction (app/queues.py).

Generic on purpose: any task declared with `@task` goes through it (a push's news today, the
provincial exchange's deliveries later), so nothing a committed change asked for is lost
because the queue's Redis was down at the moment of the commit.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONText, utcnow


class OutboxTask(Base):
    """One task to enqueue: by name, with its arguments; done once `enqueued_at` is set.

    `claimed_until` is a lease: whoever holds it (the committing process right after the
    commit, or the periodic flush after a conditional UPDATE) is the only one enqueueing it.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # The flush looks for what is not enqueued yet (oldest first); the purge for what was, long ago.
        sa.Index("ix_outbox_enqueued_at_created_at", "enqueued_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(sa.String(64))  # a declared task's name, "push.notify_application"
    args: Mapped[list] = mapped_column(JSONText())
    # Run it not before this moment (naive UTC); None: at once.
    not_before: Mapped[datetime | None] = mapped_column(sa.DateTime())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(sa.DateTime())
    enqueued_at: Mapped[datetime | None] = mapped_column(sa.DateTime())
    # The request (or job) that asked for it: its job carries the id even when the flush or the
    # rescue enqueues it later, so one grep of the id still finds the work it caused.
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Tries that could not reach the queue, and the last such error.
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(255))
