"""The daily run: schedule new placements, ask those due, and hand the unanswered to the grid worker.

Each step moves a follow-up by a conditional UPDATE (… WHERE status = the step's), so two runs at
once, or a run repeated after a crash, move each follow-up once: a person is asked once per stage.
A follow-up asked but with nothing sent (no WeChat quota, no SMS allowed) goes to the grid task at
once rather than waiting a week for an answer to a question never received.
A follow-up not asked at all when due: its employment registration has ended (离职 registered), or
its person was erased (no name, account or phone left): `stopped`.
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day, utc_start_of
from app.extensions import db
from app.models import (
    PlacementFollowUp,
    PlacementFollowUpStatus,
    PlacementSource,
    Push,
    Registration,
    RegistrationStatus,
    Resident,
    utcnow,
)
from app.services.placements.schedule import schedule
from app.services.push.makers import PushItem, make_pushes
from app.services.push.templates import template

KIND = "placement_followup"
OBJECT_TYPE = "placement_follow_up"
# Follow-ups asked per batch (one commit and one make_pushes call each).
BATCH = 500
S = PlacementFollowUpStatus


def move(follow_up_ids: list[int], from_status: S, to_status: S, **values) -> list[int]:
    """Move the follow-ups still in `from_status` to `to_status`; return the ids this call moved."""
    moved = []
    for follow_up_id in follow_up_ids:
        result = db.session.execute(
            sa.update(PlacementFollowUp)
            .where(PlacementFollowUp.id == follow_up_id, PlacementFollowUp.status == from_status.value)
            .values(status=to_status.value, updated_at=utcnow(), **values)
        )
        if result.rowcount == 1:
            moved.append(follow_up_id)
    return moved


def _ended_registrations(rows) -> set[int]:
    """Return the ids of follow-ups whose employment registration has ended (离职 registered)."""
    ids = [row.source_id for row in rows if row.source_type == PlacementSource.employment_registration]
    if not ids:
        return set()
    ended = set(
        db.session.scalars(
            sa.select(Registration.id).where(
                Registration.id.in_(ids), Registration.status == RegistrationStatus.ended.value
            )
        )
    )
    return {
        row.id
        for row in rows
        if row.source_type == PlacementSource.employment_registration and row.source_id in ended
    }


def _erased(rows) -> set[int]:
    """Return the ids of follow-ups whose person was erased: no name, no account, no phone left to ask."""
    ids = {row.resident_id for row in rows}
    erased = set(
        db.session.scalars(
            sa.select(Resident.id).where(
                Resident.id.in_(ids),
                Resident.name.is_(None),
                Resident.account_id.is_(None),
                Resident.phone_hmac.is_(None),
            )
        )
    )
    return {row.id for row in rows if row.resident_id in erased}


def _item(row, page: str) -> PushItem:
    """Return the push asking one follow-up's person whether they still work there."""
    data = template(KIND)["builder"](
        row.employer_name or "所在单位", row.stage_days, utc_start_of(row.started_on)
    )
    return PushItem(resident_id=row.resident_id, object_id=str(row.id), data=data, page=f"{page}?id={row.id}")


def ask_due(today: date, now: datetime) -> dict:
    """Ask every follow-up due by `today` once; those that could not be sent become grid tasks."""
    asked = stopped = to_grid = 0
    page = template(KIND)["page"]
    while True:
        rows = db.session.execute(
            sa.select(
                PlacementFollowUp.id,
                PlacementFollowUp.resident_id,
                PlacementFollowUp.source_type,
                PlacementFollowUp.source_id,
                PlacementFollowUp.employer_name,
                PlacementFollowUp.stage_days,
                PlacementFollowUp.started_on,
            )
            .where(PlacementFollowUp.status == S.scheduled.value, PlacementFollowUp.due_on <= today)
            .order_by(PlacementFollowUp.due_on, PlacementFollowUp.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        ended, erased = _ended_registrations(rows), _erased(rows)
        stopped += len(move(sorted(ended), S.scheduled, S.stopped, stop_reason="registration_ended"))
        stopped += len(move(sorted(erased - ended), S.scheduled, S.stopped, stop_reason="erased"))
        moved = set(
            move([row.id for row in rows if row.id not in ended | erased], S.scheduled, S.asked, asked_at=now)
        )
        db.session.commit()  # asked before anything is sent: a crash after this never asks twice
        asked += len(moved)
        make_pushes(KIND, OBJECT_TYPE, [_item(row, page) for row in rows if row.id in moved])
        sent = set(
            db.session.scalars(
                sa.select(Push.object_id).where(
                    Push.kind == KIND,
                    Push.object_type == OBJECT_TYPE,
                    Push.object_id.in_([str(i) for i in moved]),
                )
            )
        )
        unreachable = sorted(i for i in moved if str(i) not in sent)
        to_grid += len(move(unreachable, S.asked, S.task, task_at=now))
        db.session.commit()
    return {"asked": asked, "stopped": stopped, "to_grid": to_grid}


def unanswered_to_grid(today: date, now: datetime) -> int:
    """Make grid tasks of follow-ups asked PLACEMENT_ANSWER_DAYS days ago or more and still unanswered."""
    days = current_app.config["PLACEMENT_ANSWER_DAYS"]
    # Asked on day D: a task from D + days on, whatever the hour it was asked.
    cutoff = utc_start_of(today - timedelta(days=days - 1))
    ids = db.session.scalars(
        sa.select(PlacementFollowUp.id).where(
            PlacementFollowUp.status == S.asked.value, PlacementFollowUp.asked_at < cutoff
        )
    ).all()
    moved = move(list(ids), S.asked, S.task, task_at=now)
    db.session.commit()
    return len(moved)


def run(now: datetime | None = None) -> dict:
    """The daily run: schedule, ask the due, make tasks of the unanswered; count each."""
    now = now or utcnow()
    today = local_day(now)
    scheduled = schedule(today)
    counts = ask_due(today, now)
    return {"scheduled": scheduled, **counts, "to_grid": counts["to_grid"] + unanswered_to_grid(today, now)}
