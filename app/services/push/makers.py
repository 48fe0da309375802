"""Making pushes for residents of the ledger: one row per person and object, whatever the channel.

The way every wing above push (notices, placements, policies, registrations) and push's own
senders make their messages: `make_pushes(kind, object_type, items)` with one `PushItem` per
person. It keeps those who may receive the kind (a WeChat account with quota for it; otherwise,
where the template allows it, an SMS to the ledger's phone), writes the rows (unique per person,
kind and object: repeating adds nothing), commits and enqueues the sends.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from app.common.upsert import insert_ignoring_duplicates
from app.extensions import db
from app.models import PLACE_COLUMN_NAMES, Push, PushChannel, Resident
from app.services.push.fan_out import enqueue_sends, push_row
from app.services.push.subscriptions import receivers as receivers_of

# Push rows per multi-row INSERT (SQLite's bound-parameter limit).
INSERT_ROWS = 400


@dataclass(frozen=True)
class PushItem:
    """One message to make: for whom, about what (the object's id), its template data and page."""

    resident_id: int
    object_id: str
    data: dict
    page: str
    score: float | None = None


def _people(resident_ids: list[int]) -> dict[int, sa.Row]:
    """Load the account and place of each resident (no personal data)."""
    columns = [getattr(Resident, name) for name in PLACE_COLUMN_NAMES]
    rows = db.session.execute(
        sa.select(Resident.id, Resident.account_id, *columns).where(Resident.id.in_(resident_ids))
    ).all()
    return {row.id: row for row in rows}


def make_pushes(kind: str, object_type: str, items: list[PushItem], sms_first: bool = False) -> int:
    """Write the pushes of `items` that may go, commit, and enqueue their sends; return the rows written.

    WeChat when the person's account may receive the kind; the SMS channel otherwise (or first,
    with `sms_first`), where the template allows it. Safe to repeat: a row already made is kept.
    """
    if not items:
        return 0
    people = _people(sorted({item.resident_id for item in items}))
    accounts = sorted({p.account_id for p in people.values() if p.account_id is not None})
    wechat = receivers_of(accounts, kind) if accounts else {}
    rows = []
    for item in items:
        person = people.get(item.resident_id)
        if person is None or person.account_id not in wechat:
            continue
        row = push_row(
            person.account_id,
            kind,
            object_type,
            item.object_id,
            wechat[person.account_id],
            item.data,
            page=item.page,
            score=item.score,
            place=person,
        )
        rows.append({**row, "resident_id": person.id, "channel": PushChannel.wechat.value})
    for start in range(0, len(rows), INSERT_ROWS):
        insert_ignoring_duplicates(db.session, Push, rows[start : start + INSERT_ROWS])
    db.session.commit()
    if rows:
        enqueue_sends(
            sa.and_(
                Push.kind == kind,
                Push.object_type == object_type,
                Push.resident_id.in_(sorted({row["resident_id"] for row in rows})),
                Push.object_id.in_(sorted({row["object_id"] for row in rows})),
            )
        )
    return len(rows)
