"""The hook of "policies find people": whose facts changed in this transaction, re-matched after it.

A status change, a registration taking effect or ending, a key group certified or expired, a
household's zero-employment flag or membership: each calls `facts_changed` (or
`household_changed`) inside the transaction of the change. The ids are gathered on the session
and, once per transaction, just before it commits, one task `policies.rematch_people(ids)` is
written to the outbox (app/queues.py), so it runs after the commit and never for a rollback.
The people wing sits below policies and may not import it: the task is named, not called.
"""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db
from app.models import Resident
from app.queues import enqueue_after_commit

TASK = "policies.rematch_people"
# An outbox row's arguments are TEXT (64 KB on MariaDB): a bulk change (a household import)
# is split into rows of this many ids.
IDS_PER_TASK = 5000
_RESIDENTS = "facts_changed_residents"
_HOUSEHOLDS = "facts_changed_households"


def facts_changed(resident) -> None:
    """Note that a resident's facts changed (a Resident, or its id); re-matched after the commit."""
    if resident is None:
        return
    db.session().info.setdefault(_RESIDENTS, []).append(resident)


def household_changed(household_id: int | None) -> None:
    """Note that a household changed (its members, its zero-employment flag): each member is re-matched."""
    if household_id is not None:
        db.session().info.setdefault(_HOUSEHOLDS, set()).add(household_id)


def _ids(session: Session) -> list[int]:
    """Return the ids gathered in this transaction (new residents are flushed first to have one)."""
    noted = session.info.pop(_RESIDENTS, [])
    households = session.info.pop(_HOUSEHOLDS, set())
    if any(isinstance(item, Resident) and item.id is None for item in noted):
        session.flush()
    ids = {item.id if isinstance(item, Resident) else int(item) for item in noted}
    if households:
        ids.update(
            session.scalars(sa.select(Resident.id).where(Resident.household_id.in_(sorted(households))))
        )
    ids.discard(None)
    return sorted(ids)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Write the re-match of what changed, once, into the transaction about to commit."""
    if session.in_nested_transaction():
        return  # a savepoint: the outer commit writes it
    if not session.info.get(_RESIDENTS) and not session.info.get(_HOUSEHOLDS):
        return
    ids = _ids(session)
    for start in range(0, len(ids), IDS_PER_TASK):
        enqueue_after_commit(TASK, ids[start : start + IDS_PER_TASK])


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """Forget what a transaction noted when it ended without a commit (a commit took it before)."""
    if transaction.parent is None:
        session.info.pop(_RESIDENTS, None)
        session.info.pop(_HOUSEHOLDS, None)
