"""A record's outcome pushed to its person: a registration accepted, a certification expiring.

The records wings (registrations, and later policies and notices) enqueue the task
`push.notify_record(resident_id, subject, object_key, result, note)` after the commit that decided
the outcome; this writes one `record_update` push (unique per person and `object_key`, so a
retried task or a repeated decision sends once) and enqueues its send.
"""

import sqlalchemy as sa

from app.common.upsert import insert_ignoring_duplicates
from app.extensions import db
from app.models import Push, Resident, utcnow
from app.services.push.fan_out import enqueue_sends, push_row
from app.services.push.subscriptions import receivers as receivers_of
from app.services.push.templates import template

KIND = "record_update"


def notify_record(
    resident_id: int, subject: str, object_key: str, result: str, note: str = "", page: str = ""
) -> int:
    """Push a record's outcome to the resident when they may receive it; return the sends enqueued.

    `subject` names the record (失业登记), `result` is the outcome in a few characters (已受理),
    `note` a short detail (the registration number, a reason), `object_key` identifies this
    outcome of this record ("unemployment_registration:12:accepted"), `page` the mini-program
    page to open (default: the template's).
    """
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.account_id is None:
        return 0
    receivers = receivers_of([resident.account_id], KIND)
    if resident.account_id not in receivers:
        return 0
    settings = template(KIND)
    row = push_row(
        resident.account_id,
        KIND,
        "record",
        object_key,
        receivers[resident.account_id],
        settings["builder"](subject, result, utcnow(), note),
        page=page or settings["page"],
        place=resident,
    )
    insert_ignoring_duplicates(db.session, Push, [row])
    db.session.commit()
    return enqueue_sends(
        sa.and_(Push.account_id == resident.account_id, Push.kind == KIND, Push.object_id == object_key)
    )
