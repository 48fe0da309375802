"""The relay: takes the province's records from the outbox in batches and delivers each once, in order.

A run claims due records with a conditional UPDATE (pending → sending, counting the try), builds
each from the database now (records.build), uploads the batch, and applies the province's answer
record by record: accepted or duplicate → sent; rejected → dead with its code; retry → pending
again after a backoff (EXCHANGE_RETRY_SECONDS, the last step repeating). The province being
unreachable puts the whole batch back the same way, and ends the run. A record failing
EXCHANGE_MAX_ATTEMPTS times is dead.

Order per subject (a person, a job, an employer): a record is taken only when every earlier
record of its subject is sent, so at most one record of a subject is on its way at a time, and
a dead record holds the later ones of its subject back until staff resend it (a later status
sent before an earlier one would leave the province with the wrong one). A record whose source
is gone for good (an erased person) is settled as sent without sending (sent_at stays empty,
last_code says why); one whose data must be fixed first (records.NotBuildable otherwise) is dead.
The sweep takes back a
batch left `sending` by a worker that died (EXCHANGE_CLAIM_SECONDS). Nothing here runs in a
request: changes only write their record (services/people/province_outbox.py).
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from app import province
from app.common.clock import local_day
from app.extensions import db
from app.models import utcnow
from app.models.exchange import ExchangeRecord, ExchangeStatus
from app.province import ProvinceUnavailable, RecordResult
from app.services.exchange import records

log = logging.getLogger(__name__)

S = ExchangeStatus
SENT_OUTCOMES = frozenset({RecordResult.ACCEPTED, RecordResult.DUPLICATE})
# last_code of a record the relay itself gave up on or put back (the province's own codes otherwise).
UNAVAILABLE = "unavailable"  # the province could not be reached: the whole batch waits
NOT_ANSWERED = "not_answered"  # the province's answer named every record but this one
TOO_MANY_ATTEMPTS = "too_many_attempts"
BUILD_FAILED = "build_failed"  # the record could not be built from the database (a bug, or bad data)
RECLAIMED = "reclaimed"  # its batch was left `sending` (a worker died) and the sweep took it back
# Sources gone for good (an erased person, a deleted row): nothing will ever be sent, and nothing
# later of the subject should wait for it. Settled as sent without a sent_at, the code kept.
NOTHING_TO_SEND = frozenset({records.SOURCE_GONE, records.PERSON_ERASED})


def _build(record: ExchangeRecord) -> dict:
    """Return the record as the province receives it: key, type, action, subject and the national data."""
    return {
        "key": record.idempotency_key,
        "type": record.record_type,
        "action": record.action,
        "subject": record.subject,
        # The city's day we created it: both sides count a day's records by it (reconcile.py).
        "created_on": local_day(record.created_at).strftime("%Y%m%d"),
        "data": records.build(record),
    }


def due_ids(now: datetime, limit: int) -> list[int]:
    """Return the ids of records due now whose subject has nothing earlier unsent, oldest first."""
    earlier = aliased(ExchangeRecord)
    blocked = (
        sa.select(earlier.id)
        .where(
            earlier.subject == ExchangeRecord.subject,
            earlier.id < ExchangeRecord.id,
            earlier.status != S.sent.value,
        )
        .exists()
    )
    return list(
        db.session.scalars(
            sa.select(ExchangeRecord.id)
            .where(
                ExchangeRecord.status == S.pending.value,
                ExchangeRecord.next_attempt_at <= now,
                ~blocked,
            )
            .order_by(ExchangeRecord.id)
            .limit(limit)
        )
    )


def claim(now: datetime, limit: int) -> list[ExchangeRecord]:
    """Take up to `limit` due records for a batch: each by a conditional UPDATE, so by one relay only."""
    ids = due_ids(now, limit)
    db.session.commit()
    taken = []
    for record_id in ids:
        result = db.session.execute(
            sa.update(ExchangeRecord)
            .where(ExchangeRecord.id == record_id, ExchangeRecord.status == S.pending.value)
            .values(status=S.sending.value, claimed_at=now, attempts=ExchangeRecord.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            taken.append(record_id)
    db.session.commit()
    if not taken:
        return []
    return list(
        db.session.scalars(
            sa.select(ExchangeRecord).where(ExchangeRecord.id.in_(taken)).order_by(ExchangeRecord.id)
        )
    )


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try of a record tried `attempts` times."""
    steps = current_app.config["EXCHANGE_RETRY_SECONDS"] or (60,)
    return timedelta(seconds=steps[min(max(attempts, 1), len(steps)) - 1])


def _finish(record: ExchangeRecord, **values) -> None:
    """Write a record's outcome, only if it is still this batch's (a sweep may have taken it back)."""
    db.session.execute(
        sa.update(ExchangeRecord)
        .where(ExchangeRecord.id == record.id, ExchangeRecord.status == S.sending.value)
        .values(claimed_at=None, **values)
        .execution_options(synchronize_session=False)
    )


def _again(record: ExchangeRecord, now: datetime, code: str, error: str | None) -> None:
    """Put a record back for a later try after a backoff, or dead once it has had its tries."""
    error = province.mask(error)[:255] if error else None
    if record.attempts >= current_app.config["EXCHANGE_MAX_ATTEMPTS"]:
        _finish(
            record,
            status=S.dead.value,
            last_code=TOO_MANY_ATTEMPTS,
            last_error=f"{code}: {error or ''}"[:255],
        )
        return
    _finish(
        record,
        status=S.pending.value,
        next_attempt_at=now + backoff(record.attempts),
        last_code=code,
        last_error=error,
    )


def _apply(record: ExchangeRecord, result: RecordResult | None, now: datetime) -> str:
    """Apply the province's answer for one record; return what became of it (sent, dead or pending)."""
    if result is None:
        _again(record, now, NOT_ANSWERED, "no result for this record in the province's answer")
        return S.pending.value
    if result.outcome in SENT_OUTCOMES:
        _finish(
            record,
            status=S.sent.value,
            sent_at=now,
            province_id=result.province_id,
            last_code=None if result.outcome == RecordResult.ACCEPTED else result.outcome,
            last_error=None,
        )
        return S.sent.value
    if result.outcome == RecordResult.REJECTED:
        message = province.mask(result.message or "")[:255]
        _finish(record, status=S.dead.value, last_code=(result.code or "rejected")[:32], last_error=message)
        return S.dead.value
    _again(record, now, (result.code or RecordResult.RETRY)[:32], result.message)
    return S.pending.value


def send_batch(batch: list[ExchangeRecord], now: datetime) -> dict:
    """Build, upload and settle one claimed batch; returns counts by outcome, `unavailable` if it failed."""
    counts = {"sent": 0, "dead": 0, "pending": 0, "unavailable": False}
    built, ready = [], []
    for record in batch:
        try:
            built.append(_build(record))
            ready.append(record)
        except records.NotBuildable as exc:
            if exc.code in NOTHING_TO_SEND:
                _finish(record, status=S.sent.value, last_code=exc.code, last_error=None)
                counts["sent"] += 1
            else:  # data to fix (a missing ID number, a bad credit code): staff resend after the fix
                _finish(
                    record,
                    status=S.dead.value,
                    last_code=exc.code[:32],
                    last_error=province.mask(str(exc))[:255],
                )
                counts["dead"] += 1
            # Settled now: a later record's failed build rolls back, and must not undo this.
            db.session.commit()
        except Exception as exc:  # one bad record must not hold the batch: it goes to the dead letters
            db.session.rollback()
            log.exception("exchange record %s could not be built", record.id)
            _finish(
                record, status=S.dead.value, last_code=BUILD_FAILED, last_error=province.mask(repr(exc))[:255]
            )
            counts["dead"] += 1
            db.session.commit()
    db.session.commit()  # the build's reads (and an audit of them) end here, before the upload
    if not ready:
        return counts
    try:
        results = province.upload(built)
    except ProvinceUnavailable as exc:
        log.warning("province unavailable, %s records wait: %s", len(ready), province.mask(str(exc)))
        for record in ready:
            _again(record, now, UNAVAILABLE, str(exc))
        db.session.commit()
        counts["pending"] += len(ready)
        counts["unavailable"] = True
        return counts
    by_key = {result.key: result for result in results}  # an answer naming a key twice: one outcome
    for record in ready:
        counts[_apply(record, by_key.get(record.idempotency_key), now)] += 1
    db.session.commit()
    return counts


def relay(now: datetime | None = None, max_batches: int | None = None) -> dict:
    """Send what is due, batch after batch, until nothing is due or the province is unreachable.

    Does nothing while PROVINCE_EXCHANGE is off (the records wait). Returns counts.
    """
    totals = {"batches": 0, "sent": 0, "dead": 0, "pending": 0, "unavailable": False}
    if not current_app.config["PROVINCE_EXCHANGE"]:
        return totals
    size = current_app.config["PROVINCE_BATCH"]
    while max_batches is None or totals["batches"] < max_batches:
        moment = now or utcnow()
        batch = claim(moment, size)
        if not batch:
            break
        counts = send_batch(batch, moment)
        totals["batches"] += 1
        for key in ("sent", "dead", "pending"):
            totals[key] += counts[key]
        if counts["unavailable"]:
            totals["unavailable"] = True
            break
    return totals


def reclaim(now: datetime | None = None) -> int:
    """Put back records left `sending` longer than EXCHANGE_CLAIM_SECONDS (their worker died); how many.

    They may have reached the province before the worker died: sent again, their key makes it
    harmless. Their try counts already.
    """
    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config["EXCHANGE_CLAIM_SECONDS"])
    result = db.session.execute(
        sa.update(ExchangeRecord)
        .where(ExchangeRecord.status == S.sending.value, ExchangeRecord.claimed_at <= cutoff)
        .values(status=S.pending.value, claimed_at=None, next_attempt_at=now, last_code=RECLAIMED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount:
        log.warning("took back %s exchange records left sending", result.rowcount)
    return result.rowcount


def sweep(now: datetime | None = None) -> dict:
    """The periodic run: take back stuck batches, then send what is due (records past their backoff)."""
    reclaimed = reclaim(now)
    return {"reclaimed": reclaimed, **relay(now)}
