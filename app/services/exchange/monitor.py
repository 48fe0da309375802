"""What staff see of the provincial exchange, and what they may do: counts, dead letters, resending.

The city administration and the supervisor read (records carry no place: the exchange is the
city's); only the city administration resends, once the cause is fixed (a bad code set entry,
a person's data, the province's own fault). A resend puts a dead record back as new: its key
is the same, so a province that did apply it answers "duplicate". Records behind a dead one of
the same subject wait for it (services/exchange/relay.py), so a resend lets them go too.
"""

from datetime import datetime

import sqlalchemy as sa

from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import Account, Role, utcnow
from app.models.exchange import ExchangeRecord, ExchangeStatus
from app.queues import enqueue_after_commit
from app.services.people import audit
from app.services.results import Page, paginate

READ_ROLES = frozenset({Role.city_admin, Role.supervisor})
RESEND_ROLES = frozenset({Role.city_admin})
S = ExchangeStatus


def _require(actor: Account, roles: frozenset) -> None:
    """Refuse a role that may not do this."""
    if Role(actor.role) not in roles:
        raise Forbidden("role_forbidden", "Only the city administration manages the provincial exchange.")


def summary(actor: Account, now: datetime | None = None) -> dict:
    """Return counts by status, by type and status, dead letters by code, and the oldest pending's age."""
    _require(actor, READ_ROLES)
    now = now or utcnow()
    by_status = dict.fromkeys((status.value for status in S), 0)
    by_type: dict[str, dict[str, int]] = {}
    rows = db.session.execute(
        sa.select(ExchangeRecord.record_type, ExchangeRecord.status, sa.func.count()).group_by(
            ExchangeRecord.record_type, ExchangeRecord.status
        )
    )
    for record_type, status, count in rows:
        by_status[status] = by_status.get(status, 0) + count
        by_type.setdefault(record_type, dict.fromkeys((s.value for s in S), 0))[status] = count
    dead_by_code = {
        code or "": count
        for code, count in db.session.execute(
            sa.select(ExchangeRecord.last_code, sa.func.count())
            .where(ExchangeRecord.status == S.dead.value)
            .group_by(ExchangeRecord.last_code)
        )
    }
    oldest = db.session.scalar(
        sa.select(sa.func.min(ExchangeRecord.created_at)).where(
            ExchangeRecord.status.in_([S.pending.value, S.sending.value])
        )
    )
    return {
        "by_status": by_status,
        "by_type": by_type,
        "dead_by_code": dead_by_code,
        "oldest_unsent_seconds": int((now - oldest).total_seconds()) if oldest is not None else None,
    }


def dead_letters(
    actor: Account, page: int, per_page: int, code: str | None = None, record_type: str | None = None
) -> Page:
    """List the dead records, oldest first, with the province's (or the relay's) code and reason."""
    _require(actor, READ_ROLES)
    statement = sa.select(ExchangeRecord).where(ExchangeRecord.status == S.dead.value)
    if code is not None:
        statement = statement.where(ExchangeRecord.last_code == code)
    if record_type is not None:
        statement = statement.where(ExchangeRecord.record_type == record_type)
    return paginate(statement, page, per_page, order_by=(ExchangeRecord.id,))


def _revive(record: ExchangeRecord, now: datetime) -> None:
    """Put a dead record back as new: due now, its tries counted afresh, its last reason kept until sent."""
    record.status, record.attempts = S.pending.value, 0
    record.next_attempt_at, record.claimed_at = now, None


def resend(actor: Account, record_id: int, note: str | None, ip: str | None) -> ExchangeRecord:
    """Send a dead record again (after a fix); one not dead is returned as it is (a retried resend)."""
    _require(actor, RESEND_ROLES)
    record = db.session.get(ExchangeRecord, record_id, with_for_update=True)
    if record is None:
        raise NotFound("exchange_record_not_found", "No such exchange record.")
    if record.status != S.dead:
        db.session.rollback()
        return record
    detail = {
        "record_type": record.record_type,
        "code": record.last_code,
        "key": record.idempotency_key,
        "note": note,
    }
    _revive(record, utcnow())
    enqueue_after_commit("exchange.relay")
    audit.commit(
        "exchange.resend",
        actor=actor,
        object_type="exchange_record",
        object_id=record.id,
        ip=ip,
        detail=detail,
    )
    return record


def resend_code(actor: Account, code: str, note: str | None, ip: str | None) -> int:
    """Send again every dead record of one code (the cause fixed for them all); return how many."""
    _require(actor, RESEND_ROLES)
    records = list(
        db.session.scalars(
            sa.select(ExchangeRecord)
            .where(ExchangeRecord.status == S.dead.value, ExchangeRecord.last_code == code)
            .with_for_update()
        )
    )
    now = utcnow()
    for record in records:
        _revive(record, now)
    if records:
        enqueue_after_commit("exchange.relay")
    audit.commit(
        "exchange.resend_code", actor=actor, ip=ip, detail={"code": code, "count": len(records), "note": note}
    )
    return len(records)
