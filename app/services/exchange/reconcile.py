"""Reconciliation with the province: a day's records counted on both sides, the differences named, resends.

The day of a record is the city's day we created it (`created_on`, sent with every record by the
relay); the province answers per record type how many of that day it holds and their keys
(province.fetch_counts). Ours: the day's records sent to it (status sent with a sent_at; one
settled without sending, an erased person's, is not counted). One ExchangeReconciliation row per
day and type (a run again replaces it): both counts, the keys sent but not held there
(`missing_there`) and the keys held there that we do not count as sent that day (`unknown_here`:
sent by something else, or taken there before a timeout and not yet settled here). A resend
(`flask exchange-resend`) puts a day's or a person's sent records back with their same keys: the
province applies each key once, so only what it lost is applied again.
"""

import logging
from datetime import date, timedelta

import sqlalchemy as sa

from app import province
from app.common.clock import local_day, utc_start_of
from app.errors import Forbidden
from app.extensions import db
from app.models import Account, Role, utcnow
from app.models.exchange import ExchangeReconciliation, ExchangeRecord, ExchangeRecordType, ExchangeStatus
from app.province import ProvinceUnavailable
from app.queues import enqueue_after_commit
from app.services.exchange.monitor import READ_ROLES
from app.services.people import audit

log = logging.getLogger(__name__)

KEYS_KEPT = 500  # keys listed per side and row: a day with more differences needs a resend anyway
S = ExchangeStatus


def _of_day(day: date):
    """Return the WHERE clause of the records created on the city's day."""
    return sa.and_(
        ExchangeRecord.created_at >= utc_start_of(day),
        ExchangeRecord.created_at < utc_start_of(day + timedelta(days=1)),
    )


def sent_keys(day: date) -> dict[str, list[str]]:
    """Return the keys of the day's records sent to the province, per record type, in id order."""
    keys: dict[str, list[str]] = {}
    rows = db.session.execute(
        sa.select(ExchangeRecord.record_type, ExchangeRecord.idempotency_key)
        .where(_of_day(day), ExchangeRecord.status == S.sent.value, ExchangeRecord.sent_at.is_not(None))
        .order_by(ExchangeRecord.id)
    )
    for record_type, key in rows:
        keys.setdefault(record_type, []).append(key)
    return keys


def reconcile(day: date | None = None) -> dict:
    """Count a day's records on both sides (default yesterday) and store a row per type; return the counts.

    The province unreachable: nothing is stored, `unavailable` is true (the next run tries again).
    """
    day = day or local_day() - timedelta(days=1)
    try:
        theirs = province.fetch_counts(day)
    except ProvinceUnavailable as exc:
        log.warning("reconciliation of %s: province unavailable: %s", day, province.mask(str(exc)))
        return {"day": day.isoformat(), "unavailable": True, "types": {}}
    ours = sent_keys(day)
    now = utcnow()
    existing = {
        row.record_type: row
        for row in db.session.scalars(
            sa.select(ExchangeReconciliation).where(ExchangeReconciliation.day == day).with_for_update()
        )
    }
    result = {}
    for record_type in sorted({t.value for t in ExchangeRecordType} | set(theirs) | set(ours)):
        mine = ours.get(record_type, [])
        held = theirs.get(record_type, {"count": 0, "keys": []})
        held_keys = set(held["keys"])
        mine_set = set(mine)
        missing = [key for key in mine if key not in held_keys]
        unknown = [key for key in held["keys"] if key not in mine_set]
        row = existing.get(record_type) or ExchangeReconciliation(day=day, record_type=record_type[:32])
        row.ours, row.theirs = len(mine), held["count"]
        row.missing_there, row.unknown_here = missing[:KEYS_KEPT], unknown[:KEYS_KEPT]
        row.checked_at = now
        db.session.add(row)
        result[record_type] = {
            "ours": row.ours,
            "theirs": row.theirs,
            "missing_there": len(missing),
            "unknown_here": len(unknown),
        }
    db.session.commit()
    return {"day": day.isoformat(), "unavailable": False, "types": result}


def reconciliations(actor: Account, day: date | None = None) -> dict:
    """Return a day's stored rows (default yesterday), one per record type, with whether both sides agree."""
    if Role(actor.role) not in READ_ROLES:
        raise Forbidden("role_forbidden", "Only the city administration and the supervisor read this.")
    day = day or local_day() - timedelta(days=1)
    rows = list(
        db.session.scalars(
            sa.select(ExchangeReconciliation)
            .where(ExchangeReconciliation.day == day)
            .order_by(ExchangeReconciliation.record_type)
        )
    )
    return {
        "day": day,
        "checked_at": max((row.checked_at for row in rows), default=None),
        "agree": all(agrees(row) for row in rows) if rows else None,
        "types": rows,
    }


def agrees(row: ExchangeReconciliation) -> bool:
    """Say whether both sides hold the same records of the day and type."""
    return row.ours == row.theirs and not row.missing_there and not row.unknown_here


def resend(day: date | None = None, person: int | None = None) -> int:
    """Put the sent records of a day, or of a person, back to be sent with their same keys; how many.

    The province applies a key once: what it holds answers "duplicate", what it lost is applied.
    Each goes after the earlier unsent records of its subject (the relay's order), built from the
    database as it is now.
    """
    if (day is None) == (person is None):
        raise ValueError("give a day or a person")
    where = [ExchangeRecord.status == S.sent.value, ExchangeRecord.sent_at.is_not(None)]
    where.append(_of_day(day) if day is not None else ExchangeRecord.subject == f"person:{person}")
    records = list(db.session.scalars(sa.select(ExchangeRecord).where(*where).with_for_update()))
    now = utcnow()
    for record in records:
        record.status, record.attempts = S.pending.value, 0
        record.next_attempt_at, record.claimed_at = now, None
        record.last_code = "resent"
    if records:
        enqueue_after_commit("exchange.relay")
    audit.commit(
        "exchange.resend_sent",
        actor_label="flask exchange-resend",
        detail={"day": day.isoformat() if day else None, "person": person, "count": len(records)},
    )
    return len(records)
