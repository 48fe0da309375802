"""Sending pushes in batches: one send job for about PUSH_SEND_BATCH pushes (docs/PERFORMANCE.md §3).

Long because every rule of send.py's single send is here again, taken for many pushes at once.

The rules are send.py's, taken for the batch at once: the pushes are claimed in one UPDATE that
gives each the batch's claim token; what the checks need (accounts, consents, preferences, the
jobs, quotas, the day's pushes for the daily cap) is read in grouped queries; the skips, the
quota taken and the `called_at` mark of every push going to WeChat are committed together before
any call; the send-rate slots are taken for the batch; WeChat is called concurrently over
kept-alive connections; the outcomes are written in a few grouped UPDATEs.

A push the batch does not send itself goes to the single send, one `push.send_push` job each
with its retry policy: one to try again (WeChat busy or rate limited, the network, an error
before the call: after send.RETRY_WAITS[0]), and one going by SMS (SMS first, or WeChat cannot
take it and the template allows SMS; few in a fan-out). Every write is conditional on the claim
token, so a batch that stalled past PUSH_STUCK_MINUTES and lost its pushes to the sweeper writes
nothing over their new attempt; a worker dying mid-batch leaves them to the sweeper, which
treats them as a single send's (retried unmarked, failed and never resent once marked).
"""

import logging
import uuid
from collections import Counter, defaultdict
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import (
    Account,
    ConsentAction,
    ConsentRecord,
    Job,
    Push,
    PushPreference,
    PushQuota,
    PushStatus,
    is_searchable,
    utcnow,
)
from app.queues import enqueue_after_commit
from app.services.people.consents import PERSONAL_DATA
from app.services.push import sms_send
from app.services.push.schedule import send_after
from app.services.push.send import CAPPED_KINDS, RETRY_WAITS, send_slots
from app.services.push.subscriptions import settings_of
from app.services.push.templates import template
from app.wechat import Delivery, wechat

log = logging.getLogger(__name__)

# What the batch reads of each push it claimed.
COLUMNS = (
    Push.id,
    Push.account_id,
    Push.resident_id,
    Push.channel,
    Push.kind,
    Push.object_type,
    Push.object_id,
    Push.score,
    Push.data,
    Push.page,
    Push.day,
    Push.attempts,
)


def send_batch(push_ids: list[int]) -> dict:
    """Send the pushes of `push_ids` still pending; return how many ended how (this batch's part)."""
    token = uuid.uuid4().hex
    pushes = _claim(push_ids, token)
    counts: Counter = Counter()
    if not pushes:
        return {"claimed": 0}
    try:
        going = _decide_and_mark(pushes, token, counts)
    except Exception as exc:  # a bug or an outage before any call: nothing was taken, retry them all
        db.session.rollback()
        log.exception("push batch of %s: failed before calling WeChat", len(pushes))
        _retry(pushes, token, f"error: {exc.__class__.__name__}"[:255], counts)
        db.session.commit()
        return {"claimed": len(pushes), **counts}
    deliveries = _call(going)
    try:
        _write_outcomes(going, deliveries, token, counts)
    except Exception:
        # The calls were made: write the outcomes again, else the sweeper fails them unresent.
        db.session.rollback()
        log.exception("push batch: writing the outcomes failed, trying once more")
        counts.clear()
        _write_outcomes(going, deliveries, token, counts)
    return {"claimed": len(pushes), **counts}


def _claim(push_ids: list[int], token: str) -> list:
    """Take the batch's pending (or due scheduled) pushes in one UPDATE; return the rows it got."""
    now = utcnow()
    due = sa.or_(
        Push.status == PushStatus.pending,
        sa.and_(Push.status == PushStatus.scheduled, Push.send_after <= now),
    )
    claimed = db.session.execute(
        sa.update(Push)
        .where(Push.id.in_(push_ids), due)
        .values(
            status=PushStatus.sending.value,
            attempts=Push.attempts + 1,
            claimed_at=now,
            called_at=None,
            claim_token=token,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return []
    rows = db.session.execute(
        sa.select(*COLUMNS).where(Push.id.in_(push_ids), Push.claim_token == token)
    ).all()
    # The best-scored first: pushes of one person due together compete for the daily cap.
    return sorted(rows, key=lambda push: (-(push.score or 0), push.id))


def _mine(token: str, ids):
    """Return the condition of this batch's pushes among `ids` still in its hands."""
    return sa.and_(Push.id.in_(ids), Push.claim_token == token, Push.status == PushStatus.sending)


def _decide_and_mark(pushes: list, token: str, counts: Counter) -> list:
    """Decide every push, write the skips, take the quota and mark those going to WeChat; commit.

    Returns (push, message) for each push whose WeChat call may now be made.
    """
    facts = _facts(pushes)
    finals: dict[tuple[str, str], list[int]] = defaultdict(list)
    later, single, going = [], [], []
    chosen: Counter = Counter()  # this batch's pushes on their way, per person, kind and day
    for push in pushes:
        outcome = _decide(push, facts, chosen)
        if outcome[0] == "wechat":
            going.append((push, outcome[1]))
        elif outcome[0] == "later":
            later.append((push, outcome[1]))
        elif outcome[0] == "single":
            single.append(push.id)
        else:
            finals[outcome].append(push.id)
    for (status, error), ids in finals.items():
        _set(token, ids, status=status, last_error=error)
        counts[status] += len(ids)
    for push, at in later:  # made before the quiet hours, reached only now: held for their end
        _set(token, [push.id], status=PushStatus.scheduled.value, send_after=at, attempts=Push.attempts - 1)
        enqueue_after_commit("push.send_push", push.id, at=at)
        counts[PushStatus.scheduled.value] += 1
    if single:  # given back untried to the single send (SMS): that attempt counts, not this one
        _set(token, single, status=PushStatus.pending.value, attempts=Push.attempts - 1, claim_token=None)
        for push_id in single:
            enqueue_after_commit("push.send_push", push_id)
        counts["handed_to_single_send"] += len(single)
    going = _mark_called(going, token)
    _take_quota([push for push, _ in going])
    db.session.commit()
    return going


def _facts(pushes: list) -> dict:
    """Read in grouped queries what deciding the batch's pushes needs."""
    account_ids = sorted({p.account_id for p in pushes if p.account_id})
    job_ids = sorted({int(p.object_id) for p in pushes if p.object_type == "job"})
    accounts = {
        row.id: row
        for row in db.session.execute(
            sa.select(Account.id, Account.openid, Account.is_active).where(Account.id.in_(account_ids))
        )
    }
    preferences = {
        row.account_id: row
        for row in db.session.scalars(
            sa.select(PushPreference).where(PushPreference.account_id.in_(account_ids))
        )
    }
    jobs = db.session.execute(sa.select(Job.id, Job.status, Job.valid_until).where(Job.id.in_(job_ids)))
    kinds = sorted({p.kind for p in pushes})
    # Locked: another batch or send taking the same person's quota meanwhile waits for this commit.
    quotas = {
        (row.account_id, row.template_key): row
        for row in db.session.execute(
            sa.select(PushQuota.account_id, PushQuota.template_key, PushQuota.status, PushQuota.remaining)
            .where(PushQuota.account_id.in_(account_ids), PushQuota.template_key.in_(kinds))
            .with_for_update()
        )
    }
    return {
        "accounts": accounts,
        "withdrawn": _withdrawn(account_ids),
        "preferences": preferences,
        "live": {row.id for row in jobs if is_searchable(row)},
        "quota_left": {key: row.remaining for key, row in quotas.items()},
        "quota_accepted": {key for key, row in quotas.items() if row.status == "accept"},
        "ahead": _ahead_of_batch(pushes),
    }


def _withdrawn(account_ids: list[int]) -> set[int]:
    """Return the accounts whose latest record of a base consent is a withdrawal (consents.may_process)."""
    latest = {}
    rows = db.session.execute(
        sa.select(ConsentRecord.account_id, ConsentRecord.purpose, ConsentRecord.action)
        .where(
            ConsentRecord.account_id.in_(account_ids),
            ConsentRecord.purpose.in_([purpose.value for purpose in PERSONAL_DATA]),
        )
        .order_by(ConsentRecord.id)
    )
    for row in rows:
        latest[(row.account_id, row.purpose)] = row.action
    return {account_id for (account_id, _), action in latest.items() if action == ConsentAction.withdrawn}


def _person(push) -> tuple[str, int]:
    return ("account", push.account_id) if push.account_id else ("resident", push.resident_id)


def _ahead_of_batch(pushes: list) -> dict[int, int]:
    """Count for each capped push the same person's pushes of its kind and day ahead of it, not in the batch.

    As send._over_cap: sent or on their way whatever their score, or due and better ranked.
    """
    capped = [p for p in pushes if p.kind in CAPPED_KINDS]
    if not capped:
        return {}
    now = utcnow()
    ours = {p.id for p in pushes}
    accounts = sorted({p.account_id for p in capped if p.account_id})
    residents = sorted({p.resident_id for p in capped if not p.account_id})
    people = []
    if accounts:
        people.append(Push.account_id.in_(accounts))
    if residents:
        people.append(sa.and_(Push.account_id.is_(None), Push.resident_id.in_(residents)))
    rivals = db.session.execute(
        sa.select(
            Push.id, Push.account_id, Push.resident_id, Push.kind, Push.day, Push.status, Push.score
        ).where(
            sa.or_(*people),
            Push.kind.in_(sorted({p.kind for p in capped})),
            Push.day.in_(sorted({p.day for p in capped})),
            sa.or_(
                Push.status.in_([PushStatus.sent, PushStatus.sending]),
                sa.and_(Push.status.in_([PushStatus.pending, PushStatus.scheduled]), Push.send_after <= now),
            ),
        )
    ).all()
    by_group = defaultdict(list)
    for rival in rivals:
        if rival.id not in ours:
            by_group[(_person(rival), rival.kind, rival.day)].append(rival)
    ahead = {}
    for push in capped:
        score = push.score or 0
        ahead[push.id] = sum(
            1
            for rival in by_group[(_person(push), push.kind, push.day)]
            if rival.status in (PushStatus.sent, PushStatus.sending)
            or rival.score is not None
            and (rival.score > score or rival.score == score and rival.id < push.id)
        )
    return ahead


def _decide(push, facts: dict, chosen: Counter) -> tuple:
    """Return what becomes of one push: (status, error), ("later", at), ("single",) or ("wechat", message).

    The order of send._send_claimed's checks, on the facts read for the batch.
    """
    account = facts["accounts"].get(push.account_id) if push.account_id else None
    if account is not None and account.id in facts["withdrawn"]:  # consent withdrawn (docs/PEOPLE.md)
        return (PushStatus.skipped.value, "consent_withdrawn")
    prefs = settings_of(facts["preferences"].get(account.id) if account is not None else None)
    if push.kind in prefs["disabled_kinds"]:
        return (PushStatus.skipped.value, "opted_out")
    if push.object_type == "job" and int(push.object_id) not in facts["live"]:
        return (PushStatus.skipped.value, "job_not_live")
    at, waits = send_after(prefs)
    if waits:
        return ("later", at)
    group = (_person(push), push.kind, push.day)
    if push.kind in CAPPED_KINDS and facts["ahead"][push.id] + chosen[group] >= prefs["daily_cap"]:
        return (PushStatus.skipped.value, "daily_cap")
    has_wechat = account is not None and account.is_active and bool(account.openid)
    if push.channel == "sms":  # SMS first: the single send tries SMS, then WeChat
        return ("single",)
    if not has_wechat:
        return _sms_or_skip(push, "no_wechat_account")
    key = (push.account_id, push.kind)
    if template(push.kind)["kind"] == "long_term":
        if key not in facts["quota_accepted"]:
            return _sms_or_skip(push, "no_quota")
    elif facts["quota_left"].get(key, 0) <= 0:
        return _sms_or_skip(push, "no_quota")
    else:
        facts["quota_left"][key] -= 1
    chosen[group] += 1
    return ("wechat", (account.openid, template(push.kind)["template_id"], push.data, push.page))


def _sms_or_skip(push, reason: str) -> tuple:
    """WeChat cannot take it: the single send tries SMS where the template allows, else it is skipped."""
    if sms_send.mode(push.kind) == "off":
        return (PushStatus.skipped.value, reason)
    return ("single",)


def _set(token: str, ids: list[int], **values) -> int:
    """Write `values` on those of `ids` this batch still holds; return how many."""
    return db.session.execute(
        sa.update(Push).where(_mine(token, ids)).values(**values).execution_options(synchronize_session=False)
    ).rowcount


def _mark_called(going: list, token: str) -> list:
    """Mark the pushes about to call WeChat (committed with their quota); drop any the sweeper took back."""
    if not going:
        return going
    ids = [push.id for push, _ in going]
    if _set(token, ids, called_at=utcnow()) == len(ids):
        return going
    # Stalled past PUSH_STUCK_MINUTES: the sweeper gave some of them to another attempt.
    still = set(db.session.scalars(sa.select(Push.id).where(_mine(token, ids), Push.called_at.is_not(None))))
    return [(push, message) for push, message in going if push.id in still]


def _by_person_and_kind(pushes: list) -> dict[tuple[str, int], list[int]]:
    """Group one-time-template pushes as (kind, how many of one person) -> accounts, for grouped writes."""
    per_account = Counter((p.kind, p.account_id) for p in pushes if template(p.kind)["kind"] == "one_time")
    groups = defaultdict(list)
    for (kind, account_id), count in per_account.items():
        groups[(kind, count)].append(account_id)
    return groups


def _take_quota(pushes: list) -> None:
    """Take one send of quota per push going to WeChat (one-time templates), in grouped UPDATEs."""
    for (kind, count), account_ids in _by_person_and_kind(pushes).items():
        db.session.execute(
            sa.update(PushQuota)
            .where(PushQuota.template_key == kind, PushQuota.account_id.in_(account_ids))
            .values(remaining=PushQuota.remaining - count)
        )


def _give_back_quota(pushes: list) -> None:
    """Give back what `_take_quota` took for pushes WeChat did not deliver."""
    for (kind, count), account_ids in _by_person_and_kind(pushes).items():
        db.session.execute(
            sa.update(PushQuota)
            .where(PushQuota.template_key == kind, PushQuota.account_id.in_(account_ids))
            .values(remaining=PushQuota.remaining + count)
        )


def _call(going: list) -> list[Delivery]:
    """Call WeChat for each push going, as the rate gives slots, several at once; return each Delivery.

    One person's messages go in order (best first, as they were decided), the people side by side.
    """
    if not going:
        return []
    people = defaultdict(list)  # openid -> indexes in `going`, best first
    for index, (_, message) in enumerate(going):
        people[message[0]].append(index)
    order = list(people.values())
    submitted, budget = [], 0  # (indexes, future) of each person sent to
    try:
        with wechat.sending() as submit:
            for granted in send_slots(len(going)):
                budget += granted
                while len(submitted) < len(order) and budget > 0:
                    indexes = order[len(submitted)]
                    submitted.append((indexes, submit([going[i][1] for i in indexes])))
                    budget -= len(indexes)
    except Exception as exc:  # before the rest of the calls were made (the rate's wait): retried
        log.exception("push batch: stopped before calling WeChat for %s people", len(order) - len(submitted))
        untried = Delivery(Delivery.RETRY, f"error: {exc.__class__.__name__}"[:255])
    else:
        untried = None
    deliveries = [untried] * len(going)
    for indexes, future in submitted:
        try:
            answers = future.result()
        except Exception as exc:  # a bug after a call may have delivered them: never resent
            log.exception("push batch: a WeChat call failed")
            answers = [Delivery(Delivery.UNKNOWN, f"outcome_unknown: {exc.__class__.__name__}"[:255])] * len(
                indexes
            )
        for index, delivery in zip(indexes, answers, strict=True):
            deliveries[index] = delivery
    return deliveries


def _write_outcomes(going: list, deliveries: list[Delivery], token: str, counts: Counter) -> None:
    """Write what WeChat answered for each push in grouped UPDATEs (quota back where nothing went); commit."""
    by_outcome = defaultdict(list)
    for (push, _), delivery in zip(going, deliveries, strict=True):
        by_outcome[delivery.outcome].append((push, delivery))
    sent = by_outcome.pop(Delivery.SENT, [])
    if sent:
        msgids = {push.id: delivery.msgid for push, delivery in sent}
        _set(
            token,
            list(msgids),
            status=PushStatus.sent.value,
            last_error=None,
            sent_at=utcnow(),
            msgid=sa.case(msgids, value=Push.id),
        )
        counts[PushStatus.sent.value] += len(sent)
    no_quota = by_outcome.pop(Delivery.NO_QUOTA, [])
    for kind in {push.kind for push, _ in no_quota}:  # final: WeChat says none is left; believe it
        db.session.execute(
            sa.update(PushQuota)
            .where(
                PushQuota.template_key == kind,
                PushQuota.account_id.in_([push.account_id for push, _ in no_quota if push.kind == kind]),
            )
            .values(remaining=0)
        )
    refused = by_outcome.pop(Delivery.REFUSED, [])
    _give_back_quota([push for push, _ in refused])  # a bad field, template or openid: nothing went
    retry = by_outcome.pop(Delivery.RETRY, [])
    _give_back_quota([push for push, _ in retry])
    _retry([push for push, _ in retry], token, None, counts, {push.id: d.error for push, d in retry})
    # Failed for good: refused, no quota, or perhaps delivered (unknown): never resent.
    failed = defaultdict(list)
    for push, delivery in no_quota + refused + [pair for pairs in by_outcome.values() for pair in pairs]:
        failed[delivery.error].append(push.id)
    for error, ids in failed.items():
        _set(token, ids, status=PushStatus.failed.value, last_error=error)
        counts[PushStatus.failed.value] += len(ids)
    db.session.commit()


def _retry(pushes: list, token: str, error: str | None, counts: Counter, errors: dict | None = None) -> None:
    """Give each push its own send job after the first retry wait, while attempts remain (only workers retry).

    Else it fails with its error. `errors` gives each push its own error, else `error` is every one's.
    """
    config = current_app.config
    at = utcnow() + timedelta(seconds=RETRY_WAITS[0])
    by_fate = defaultdict(list)
    for push in pushes:
        again = push.attempts < config["PUSH_MAX_ATTEMPTS"] and config["RQ_ASYNC"]
        by_fate[(again, errors[push.id] if errors else error)].append(push.id)
    for (again, message), ids in by_fate.items():
        status = PushStatus.pending if again else PushStatus.failed
        done = _set(token, ids, status=status.value, last_error=message)
        if again and done == len(ids):
            for push_id in ids:
                enqueue_after_commit("push.send_push", push_id, at=at)
        elif again:  # some were taken back meanwhile: only those still pending are this batch's to retry
            for push_id in db.session.scalars(
                sa.select(Push.id).where(
                    Push.id.in_(ids), Push.claim_token == token, Push.status == PushStatus.pending
                )
            ):
                enqueue_after_commit("push.send_push", push_id, at=at)
        counts["retried" if again else status.value] += done
