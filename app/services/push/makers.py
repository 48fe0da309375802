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
from app.models import PLACE_COLUMN_NAMES, Push, PushChannel, PushPreference, Resident
from app.services.push import sms_send
from app.services.push.fan_out import enqueue_sends, push_row
from app.services.push.sms_opt_outs import opted_out
from app.services.push.subscriptions import receivers as receivers_of
from app.services.push.subscriptions import settings_of

# Push rows per multi-row INSERT (SQLite's bound-parameter limit).
INSERT_ROWS = 400


@dataclass(frozen=True)
class PushItem:
    """One message to make: for whom, about what (the object's id), its template data and page.

    `fallback` (a job, say) gives the row its place when the person has no community yet.
    """

    resident_id: int
    object_id: str
    data: dict
    page: str
    score: float | None = None
    fallback: object | None = None


def _people(resident_ids: list[int]) -> dict[int, sa.Row]:
    """Load the account, phone hash and place of each resident (nothing to decrypt)."""
    columns = [getattr(Resident, name) for name in PLACE_COLUMN_NAMES]
    rows = db.session.execute(
        sa.select(Resident.id, Resident.account_id, Resident.phone_hmac, *columns).where(
            Resident.id.in_(resident_ids)
        )
    ).all()
    return {row.id: row for row in rows}


def _settings(account_ids: list[int]) -> dict[int, dict]:
    """Return the push settings of these accounts (kinds off, quiet hours), defaults filled in."""
    rows = {
        row.account_id: row
        for row in db.session.scalars(
            sa.select(PushPreference).where(PushPreference.account_id.in_(account_ids))
        )
    }
    return {account_id: settings_of(rows.get(account_id)) for account_id in account_ids}


def _channels(kind: str, people: dict[int, sa.Row], sms_first: bool) -> dict[int, tuple[str, dict]]:
    """Choose, per resident, the channel to try first and the settings its row is made with.

    WeChat when the account may receive the kind; SMS when the template allows it, the person
    has a phone that did not opt out and did not switch the kind off; SMS first (when possible)
    for an SMS-first template or call. Those reachable neither way are left out.
    """
    accounts = sorted({p.account_id for p in people.values() if p.account_id is not None})
    wechat = receivers_of(accounts, kind) if accounts else {}
    settings = _settings(accounts) if accounts else {}
    sms_mode = sms_send.mode(kind)
    blocked = opted_out(sorted({p.phone_hmac for p in people.values() if p.phone_hmac}))
    first = sms_first or sms_mode == "first"
    chosen = {}
    for resident_id, person in people.items():
        prefs = settings.get(person.account_id) or settings_of(None)
        by_sms = (
            sms_mode != "off"
            and person.phone_hmac is not None
            and person.phone_hmac not in blocked
            and kind not in prefs["disabled_kinds"]
        )
        if by_sms and (first or person.account_id not in wechat):
            chosen[resident_id] = (PushChannel.sms.value, prefs)
        elif person.account_id in wechat:
            chosen[resident_id] = (PushChannel.wechat.value, wechat[person.account_id])
    return chosen


def make_pushes(kind: str, object_type: str, items: list[PushItem], sms_first: bool = False) -> int:
    """Write the pushes of `items` that may go, commit, and enqueue their sends; return the rows written.

    WeChat when the person's account may receive the kind; the SMS channel otherwise (or first,
    with `sms_first`), where the template allows it. Safe to repeat: a row already made is kept.
    The channel is chosen again at send time (send.py): quota may have run out meanwhile.
    """
    if not items:
        return 0
    people = _people(sorted({item.resident_id for item in items}))
    chosen = _channels(kind, people, sms_first)
    rows = []
    for item in items:
        if item.resident_id not in chosen:
            continue
        person = people[item.resident_id]
        channel, prefs = chosen[item.resident_id]
        row = push_row(
            person.account_id,
            kind,
            object_type,
            item.object_id,
            prefs,
            item.data,
            page=item.page,
            score=item.score,
            place=person,
            fallback=item.fallback,
        )
        rows.append({**row, "resident_id": person.id, "channel": channel})
    written = 0
    for start in range(0, len(rows), INSERT_ROWS):
        written += insert_ignoring_duplicates(db.session, Push, rows[start : start + INSERT_ROWS])
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
    return written
