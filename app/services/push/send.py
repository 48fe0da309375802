"""Sending one push: claim it, check it may still go, choose WeChat or SMS, keep to the rate, send.

The channel is chosen here, at send time: WeChat while the person's account has quota for the
kind; else an SMS where the template allows it (sms_send.py); an SMS-first push tries SMS first.

Whatever goes wrong after the claim, a push never stays `sending`, and nobody is messaged twice:
WeChat's answers are mapped to outcomes in one place (`app.wechat`, `Delivery`). Should the
worker itself die mid-send, the sweeper (sweeper.py) finds the push `sending` and, by the mark
this module commits before calling WeChat (`called_at`), retries it or fails it.
"""

import logging
import time as clock_time
from collections.abc import Iterator
from datetime import datetime

import redis
import sqlalchemy as sa
from flask import current_app

from app.extensions import db, get_redis
from app.models import Account, Job, Push, PushChannel, PushQuota, PushStatus, is_searchable, utcnow
from app.queues import enqueue
from app.services.people.consents import may_process
from app.services.push import sms_send
from app.services.push.schedule import send_after
from app.services.push.subscriptions import preferences, settings_of
from app.services.push.templates import template
from app.sms import SmsResult
from app.wechat import Delivery, wechat

log = logging.getLogger(__name__)


class PushRetry(Exception):
    """Raised by a send that should be tried again later (the send_push task's retry policy)."""


# Seconds before each retry of a send (backoff): the send_push task's policy, and the wait
# before the first retry of a push a batch could not send (batch_send.py).
RETRY_WAITS = (10, 30, 90, 270)


def _claim(push_id: int) -> bool:
    """Take a push for sending; False when another worker has it or it is done."""
    result = db.session.execute(
        sa.update(Push)
        .where(Push.id == push_id, Push.status.in_([PushStatus.pending, PushStatus.scheduled]))
        .values(
            status=PushStatus.sending.value,
            attempts=Push.attempts + 1,
            claimed_at=utcnow(),
            called_at=None,
            claim_token=None,  # this attempt is no batch's: a batch that stalled finds it gone
        )
    )
    db.session.commit()
    return result.rowcount == 1


def _still_mine(push: Push) -> bool:
    """Mark the push as about to call WeChat, if this attempt still holds it (else the sweeper took it).

    Committed with the quota taken: a push `sending` without the mark never reached WeChat, so
    the sweeper may send it again; one with the mark may have been delivered, so it never does.
    """
    result = db.session.execute(
        sa.update(Push)
        .where(Push.id == push.id, Push.status == PushStatus.sending, Push.attempts == push.attempts)
        .values(called_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _finish(push: Push, status: PushStatus, error: str | None = None, **values) -> str:
    """Write a push's outcome with one UPDATE and commit.

    An UPDATE, not attributes set on the row: a commit before the WeChat call expired it, and
    flushing an expired row would first load it again (one more query per send).
    """
    db.session.execute(
        sa.update(Push)
        .where(Push.id == sa.inspect(push).identity[0])
        .values(status=status.value, last_error=error, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return status.value


def _job_live(job_id: int) -> bool:
    job = db.session.get(Job, job_id)
    return job is not None and is_searchable(job)


# The kinds the person's daily cap counts, each kind on its own (a policy notice takes no job push's place).
CAPPED_KINDS = ("job_match", "policy_notice", "notice")


def _over_cap(push: Push, cap: int) -> bool:
    """Tell whether the daily cap leaves no room for this push (of a capped kind), best-scored first.

    Pushes due at the same time (the morning after the quiet hours) compete: this one goes
    only when fewer than `cap` pushes were sent today or rank above it (one count: the two
    kinds of push exclude each other).
    """
    # The person: their account, or (SMS to someone without one) their ledger row.
    person = Push.account_id == push.account_id if push.account_id else Push.resident_id == push.resident_id
    same_day = sa.and_(person, Push.kind == push.kind, Push.day == push.day)
    ahead = db.session.scalar(
        sa.select(sa.func.count()).where(
            same_day,
            Push.id != push.id,
            sa.or_(
                Push.status == PushStatus.sent,
                # One already on its way counts whatever its score: it may be delivered.
                Push.status == PushStatus.sending,
                sa.and_(
                    Push.status.in_([PushStatus.pending, PushStatus.scheduled]),
                    Push.send_after <= utcnow(),
                    sa.or_(
                        Push.score > (push.score or 0),
                        sa.and_(Push.score == (push.score or 0), Push.id < push.id),
                    ),
                ),
            ),
        )
    )
    return ahead >= cap


def _take_quota(push: Push) -> bool:
    """Take one send from the person's quota for this template, atomically."""
    kind = template(push.kind)["kind"]
    where = sa.and_(PushQuota.account_id == push.account_id, PushQuota.template_key == push.kind)
    if kind == "long_term":
        return db.session.scalar(sa.select(PushQuota.status).where(where)) == "accept"
    result = db.session.execute(
        sa.update(PushQuota).where(where, PushQuota.remaining > 0).values(remaining=PushQuota.remaining - 1)
    )
    return result.rowcount == 1


def _give_back_quota(push: Push) -> None:
    if template(push.kind)["kind"] == "one_time":
        db.session.execute(
            sa.update(PushQuota)
            .where(PushQuota.account_id == push.account_id, PushQuota.template_key == push.kind)
            .values(remaining=PushQuota.remaining + 1)
        )


def take_send_slot(wait_seconds: float = 5.0) -> None:
    """Wait for a slot under the global send rate (PUSH_QPS per second, whatever the workers)."""
    for _ in send_slots(1, wait_seconds):
        pass


def send_slots(count: int, wait_seconds: float = 5.0) -> Iterator[int]:
    """Yield how many of `count` sends may go, as slots under the global rate come free.

    A bucket of PUSH_QPS tokens refilled every second: one counter per second in Redis, taken
    for all the sends still waiting in one INCRBY (what the second cannot give waits for the
    next). Past `wait_seconds` more than the rate itself needs, or should Redis fail, the rest
    go ahead (WeChat's own limit answers 45009, which is retried).
    """
    limit = current_app.config["PUSH_QPS"]
    deadline = clock_time.monotonic() + wait_seconds + count / max(limit, 1)
    left = count
    while left:
        second = int(clock_time.time())
        key = f"push:rate:{second}"
        try:
            pipe = get_redis().pipeline()
            pipe.incrby(key, left)
            pipe.expire(key, 5)
            taken = pipe.execute()[0]
        except redis.RedisError:
            yield left
            return
        granted = left if clock_time.monotonic() > deadline else min(left, max(0, limit - (taken - left)))
        if granted:
            yield granted
            left -= granted
        if left:
            clock_time.sleep(max(0.0, second + 1 - clock_time.time()) + 0.001)


def send(push_id: int) -> str:
    """Send one push; return its final or current status. Raises PushRetry to be tried again.

    Whatever goes wrong after the claim, the push never stays `sending`: before WeChat was
    called the quota goes back and the push is retried; after a call whose outcome is unknown
    (a read timeout, an unusable answer) it is failed, never resent, so nobody gets it twice.
    """
    if not _claim(push_id):
        return "not_pending"
    push = db.session.get(Push, push_id)
    progress = {"quota_taken": False}
    try:
        return _send_claimed(push, progress)
    except PushRetry:
        raise
    except Exception as exc:  # a bug or an outage: never leave it `sending`
        db.session.rollback()
        push = db.session.get(Push, push_id)
        if progress.get("called"):  # WeChat may have delivered it: never resend
            log.exception("push %s: failed after WeChat was called", push_id)
            return _finish(push, PushStatus.failed, f"outcome_unknown: {exc.__class__.__name__}"[:255])
        log.exception("push %s: send failed before WeChat answered", push_id)
        return _retry_or_fail(
            push, f"error: {exc.__class__.__name__}"[:255], give_back=progress["quota_taken"]
        )


def _send_claimed(push: Push, progress: dict) -> str:
    account = db.session.get(Account, push.account_id) if push.account_id else None
    if account is not None and not may_process(account.id):  # consent withdrawn (docs/PEOPLE.md)
        return _finish(push, PushStatus.skipped, "consent_withdrawn")
    prefs = preferences(account.id) if account is not None else settings_of(None)
    if push.kind in prefs["disabled_kinds"]:
        return _finish(push, PushStatus.skipped, "opted_out")
    if push.object_type == "job" and not _job_live(int(push.object_id)):
        # Closed, expired or back in review since the push was made (say overnight).
        return _finish(push, PushStatus.skipped, "job_not_live")
    at, waits = send_after(prefs)
    if waits:  # made before the quiet hours, but reached only now (a backlog, a retry)
        return _reschedule(push, at)
    if push.kind in CAPPED_KINDS and _over_cap(push, prefs["daily_cap"]):
        return _finish(push, PushStatus.skipped, "daily_cap")
    has_wechat = account is not None and account.is_active and bool(account.openid)
    if push.channel == PushChannel.sms:  # SMS first (or no account): WeChat only when SMS cannot
        blocked, resident = sms_send.blocker(push)
        if blocked is None:
            return _send_sms(push, resident, progress)
        if not has_wechat:
            return _finish(push, PushStatus.skipped, blocked)
    if not has_wechat:
        return _sms_or_skip(push, progress, "no_wechat_account")
    if not _take_quota(push):
        return _sms_or_skip(push, progress, "no_quota")
    # Read before the commit, which expires them: reading after it would load both rows again.
    message = (account.openid, template(push.kind)["template_id"], push.data, push.page)
    if not _still_mine(push):  # stalled past PUSH_STUCK_MINUTES: the sweeper gave it to another try
        db.session.rollback()
        return "not_pending"
    db.session.commit()
    progress["quota_taken"] = True
    take_send_slot()
    progress["called"] = True
    delivery = wechat.send_subscribe_message(*message)
    if delivery.outcome == Delivery.SENT:
        return _finish(push, PushStatus.sent, None, msgid=delivery.msgid, sent_at=utcnow())
    if delivery.outcome == Delivery.NO_QUOTA:
        # Final: WeChat says the person has no quota left (or refused); believe it.
        db.session.execute(
            sa.update(PushQuota)
            .where(PushQuota.account_id == push.account_id, PushQuota.template_key == push.kind)
            .values(remaining=0)
        )
        return _finish(push, PushStatus.failed, delivery.error)
    if delivery.outcome == Delivery.RETRY:
        return _retry_or_fail(push, delivery.error)
    if delivery.outcome == Delivery.REFUSED:
        _give_back_quota(push)  # a bad field, template or openid: nothing was delivered
        return _finish(push, PushStatus.failed, delivery.error)
    # Delivered or not, nobody knows: resending could message the person twice.
    return _finish(push, PushStatus.failed, delivery.error)


def _sms_or_skip(push: Push, progress: dict, reason: str) -> str:
    """WeChat cannot take it: send it by SMS where allowed, else skip it for WeChat's reason."""
    if sms_send.mode(push.kind) == "off" or push.channel == PushChannel.sms:  # SMS was tried first
        return _finish(push, PushStatus.skipped, reason)
    blocked, resident = sms_send.blocker(push)
    if blocked is not None:
        return _finish(push, PushStatus.skipped, reason)
    return _send_sms(push, resident, progress)


def _send_sms(push: Push, resident, progress: dict) -> str:
    """Send a push by SMS: the per-phone limit, the mark before the call, the rate, the provider's answer."""
    if sms_send.over_phone_limit(push, resident):
        return _finish(push, PushStatus.skipped, "sms_daily_limit")
    prepared = sms_send.message(push, resident)
    if not _still_mine(push):
        db.session.rollback()
        return "not_pending"
    db.session.execute(
        sa.update(Push)
        .where(Push.id == push.id)
        .values(channel=PushChannel.sms.value)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    take_send_slot()
    progress["called"] = True
    result = sms_send.deliver(prepared)
    if result.outcome == SmsResult.SENT:
        values = {"msgid": result.msgid, "sent_at": utcnow(), "cost_fen": sms_send.cost_fen(result)}
        return _finish(push, PushStatus.sent, None, **values)
    if result.outcome == SmsResult.RETRY:  # throttled, busy, unreachable: nothing was sent
        return _retry_or_fail(push, result.error, give_back=False)
    # Refused (a bad number or template), or perhaps sent (a timeout): never resent.
    return _finish(push, PushStatus.failed, result.error)


def _reschedule(push: Push, at: datetime) -> str:
    """Hold a push for the end of the person's quiet hours."""
    push.status, push.send_after, push.attempts = PushStatus.scheduled.value, at, push.attempts - 1
    db.session.commit()
    enqueue("push.send_push", push.id, at=at)
    return PushStatus.scheduled.value


def _retry_or_fail(push: Push, error: str, give_back: bool = True) -> str:
    """Give the quota back; ask RQ to retry while attempts remain (only workers retry)."""
    if give_back:
        _give_back_quota(push)
    retries_left = push.attempts < current_app.config["PUSH_MAX_ATTEMPTS"]
    if retries_left and current_app.config["RQ_ASYNC"]:
        _finish(push, PushStatus.pending, error)
        raise PushRetry(error)
    return _finish(push, PushStatus.failed, error)
