"""The sweeper: pushes a dead worker left `sending`, and pushes whose queued send was lost.

`send()` never leaves a push `sending` when something fails, but a worker killed mid-send (a
job timeout, an out-of-memory kill, a host lost) does. Every minute (`push.sweep_sends`) the
pushes `sending` for more than PUSH_STUCK_MINUTES are looked at:
- no mark of a WeChat call (`called_at`, committed together with the quota taken before the
  call): WeChat never saw it and no quota was taken, so it goes back to `pending` and its send
  is enqueued again (through the outbox), or it fails `worker_lost` once PUSH_MAX_ATTEMPTS are used;
- the mark: the worker died during the call (or in the few seconds of waiting for the rate
  before it), so WeChat may have delivered it. It fails `outcome_unknown` and is never resent,
  as a read timeout is: nobody gets a push twice, at the price of losing the rare one whose
  worker died in that window. So is a push claimed before the mark existed (no `claimed_at`).
Each change is a conditional UPDATE on the attempt it saw, and the worker marks the call only
while its attempt still holds the push: a worker that was merely stalled past the limit finds
the push taken back and sends nothing.

A pending or scheduled push more than PUSH_LOST_MINUTES past due lost its queued job (a Redis
emptied, the embedded mode restarted): its send is enqueued again, its `send_after` moved to
now so the next sweep leaves it alone. An extra send of a push whose job was merely slow in a
backlog does nothing: the send claims the push first.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.common import clock
from app.extensions import db
from app.models import Push, PushStatus, utcnow
from app.queues import enqueue_after_commit

# Pushes one sweep handles of each kind; the next sweep, a minute later, takes the rest.
SWEEP_LIMIT = 1000


def sweep() -> dict:
    """Retry or fail the pushes stuck in `sending`, and enqueue again the sends that were lost."""
    config = current_app.config
    now = utcnow()
    # The (day, status) index finds them; a push counts against the city's day it goes out.
    recent = Push.day >= clock.local_day() - timedelta(days=config["PUSH_SWEEP_DAYS"])
    counts = _sweep_sending(recent, now - timedelta(minutes=config["PUSH_STUCK_MINUTES"]))
    counts["lost"] = _requeue_lost(recent, now - timedelta(minutes=config["PUSH_LOST_MINUTES"]), now)
    db.session.commit()  # the sends enqueued through the outbox go once this commits
    return counts


def _sweep_sending(recent, claimed_before) -> dict:
    """Retry the stuck sends that never called WeChat; fail those that may have."""
    rows = db.session.execute(
        sa.select(Push.id, Push.attempts, Push.claimed_at, Push.called_at)
        .where(
            recent,
            Push.status == PushStatus.sending,
            sa.or_(Push.claimed_at.is_(None), Push.claimed_at < claimed_before),
        )
        .order_by(Push.id)
        .limit(SWEEP_LIMIT)
    ).all()
    max_attempts = current_app.config["PUSH_MAX_ATTEMPTS"]
    counts = {"retried": 0, "failed": 0}
    for row in rows:
        # The attempt seen: nothing changes if it moved on meanwhile (a stalled worker woke up).
        same = sa.and_(Push.id == row.id, Push.status == PushStatus.sending, Push.attempts == row.attempts)
        # No claim time: claimed before the upgrade that added the mark, so it may have been called.
        if row.called_at is not None or row.claimed_at is None:
            status, error = PushStatus.failed, "outcome_unknown: the worker was lost during the WeChat call"
        elif row.attempts >= max_attempts:
            status, error = PushStatus.failed, "worker_lost: attempts used up"
        else:
            status, error = PushStatus.pending, "worker_lost"
        result = db.session.execute(
            sa.update(Push)
            .where(same, Push.called_at.is_(None) if row.called_at is None else sa.true())
            .values(status=status.value, last_error=error)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        if status == PushStatus.pending:
            enqueue_after_commit("push.send_push", row.id)
            counts["retried"] += 1
        else:
            counts["failed"] += 1
    return counts


def _requeue_lost(recent, due_before, now) -> int:
    """Enqueue again the sends of pending or scheduled pushes long past due."""
    ids = db.session.scalars(
        sa.select(Push.id)
        .where(
            recent,
            Push.status.in_([PushStatus.pending, PushStatus.scheduled]),
            Push.send_after < due_before,
        )
        .order_by(Push.id)
        .limit(SWEEP_LIMIT)
    ).all()
    if not ids:
        return 0
    db.session.execute(
        sa.update(Push)
        .where(Push.id.in_(ids), Push.status.in_([PushStatus.pending, PushStatus.scheduled]))
        .values(send_after=now)
        .execution_options(synchronize_session=False)
    )
    for push_id in ids:
        enqueue_after_commit("push.send_push", push_id)
    return len(ids)
