"""Changes the province must see, noted in the transaction of the change (the exchange's outbox).

`note_for_province` is called where a change happens (a status change, a registration, a key
group, a claim paid, a job, an employer). It writes nothing but an ExchangeRecord naming the
change, and once per transaction an `exchange.relay` task after the commit: a rollback leaves
neither, and the request never waits for the province (the task is not even enqueued while
PROVINCE_EXCHANGE is off: the sweep sends what waited once it is on). The ids of a row made in the same
transaction are known only once it is flushed, so the record is added by the flush that gives
them (the commit flushes again until the session is clean).
"""

import uuid

from flask import current_app
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.base import utcnow
from app.models.exchange import ExchangeRecord, ExchangeRecordType
from app.queues import enqueue_after_commit

# Where a session keeps the notes waiting for their rows' ids, and the transaction that has its relay.
_WAITING = "province_notes"
_RELAYED = "province_relay_transaction"
ACTIONS = frozenset({"create", "update", "close"})


def idempotency_key() -> str:
    """Return a new record's key: made once, kept in its row, sent with every try of it."""
    return f"hs-{uuid.uuid4().hex}"


def note_for_province(record_type: str, subject_kind: str, subject, source, action: str) -> None:
    """Note a change for the province: `subject` (a resident, job or employer) and `source`, rows or ids.

    subject_kind is "person", "job" or "employer". Does not commit: the caller's transaction does.
    """
    record_type = ExchangeRecordType(record_type).value
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    session = db.session()
    session.info.setdefault(_WAITING, []).append((record_type, subject_kind, subject, source, action))
    _add_ready(session)
    if not current_app.config["PROVINCE_EXCHANGE"]:
        return  # the records wait: once it is on, the periodic sweep sends them
    transaction = session.get_transaction()
    if session.info.get(_RELAYED) is not transaction or transaction is None:
        session.info[_RELAYED] = transaction
        # Embedded (no worker), a task runs where it is enqueued: after this request's commit, so
        # the request would wait for the province. Held for the scheduler thread instead.
        at = None if current_app.config["RQ_ASYNC"] else utcnow()
        enqueue_after_commit("exchange.relay", at=at)


def _id(row) -> int | None:
    """Return a row's primary key if it has one yet (without flushing); an id is its own."""
    if isinstance(row, int):
        return row
    identity = inspect(row).identity
    return identity[0] if identity else None


def _add_ready(session: Session) -> None:
    """Add the record of every waiting note whose rows have their ids; keep the others waiting."""
    waiting = session.info.get(_WAITING)
    if not waiting:
        return
    for done, (record_type, subject_kind, subject, source, action) in enumerate(waiting):
        subject_id, source_id = _id(subject), _id(source)
        if subject_id is None or source_id is None:
            # The rest wait too: records take ids in the order of their changes.
            session.info[_WAITING] = waiting[done:]
            return
        session.add(
            ExchangeRecord(
                record_type=record_type,
                action=action,
                subject=f"{subject_kind}:{subject_id}",
                source_id=source_id,
                idempotency_key=idempotency_key(),
            )
        )
    session.info[_WAITING] = []


@event.listens_for(Session, "after_flush_postexec")
def _after_flush(session: Session, flush_context) -> None:
    """Add the records whose rows this flush gave ids to (the commit's next flush writes them)."""
    _add_ready(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    """Forget the notes of a transaction that ended (committed ones were written by its flushes)."""
    if transaction.parent is None:
        session.info.pop(_WAITING, None)
        session.info.pop(_RELAYED, None)
