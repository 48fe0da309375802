"""Long-term unemployment (长期失业人员), worked out each day from the status history.

Someone is long-term unemployed once they have been unemployed (registered or not) without a
break for LONG_TERM_UNEMPLOYED_MONTHS: the spell starts at their last change into unemployment
from anything else (the history is append-only, so the latest such change starts the current
spell). Their key-group period starts the day the spell reached that length; it ends (yesterday)
when the status leaves unemployment. Nobody applies for it and staff cannot set it by hand
(`people.status.set_key_groups` refuses); it is never "certified": a rule is no evidence.
"""

import calendar
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.common.clock import local_day
from app.extensions import db
from app.models import EmploymentStatus, KeyGroup, Resident, ResidentKeyGroup, StatusChange, StatusSource
from app.services.people.status import add_key_group, end_key_group

UNEMPLOYED = (EmploymentStatus.unemployed.value, EmploymentStatus.unemployed_registered.value)
BATCH = 500


def months_after(day: date, months: int) -> date:
    """Return the same day `months` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def spell_starts() -> dict[int, date]:
    """Return, for everyone unemployed now, the day their current spell of unemployment began."""
    entered = (
        sa.select(StatusChange.resident_id, sa.func.max(StatusChange.occurred_at).label("since"))
        .where(
            StatusChange.to_status.in_(UNEMPLOYED),
            sa.or_(StatusChange.from_status.is_(None), StatusChange.from_status.not_in(UNEMPLOYED)),
        )
        .group_by(StatusChange.resident_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Resident.id, entered.c.since)
        .join(entered, entered.c.resident_id == Resident.id)
        .where(Resident.employment_status.in_(UNEMPLOYED))
    )
    return {resident_id: local_day(since) for resident_id, since in rows}


def compute(today: date | None = None) -> dict:
    """Add the group to those whose spell reached the length, end it for those no longer unemployed."""
    today = today or local_day()
    months = current_app.config["LONG_TERM_UNEMPLOYED_MONTHS"]
    reached = {
        resident_id: months_after(start, months)
        for resident_id, start in spell_starts().items()
        if months_after(start, months) <= today
    }
    current = set(
        db.session.scalars(
            sa.select(ResidentKeyGroup.resident_id).where(
                ResidentKeyGroup.key_group == KeyGroup.long_term_unemployed,
                sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= today),
            )
        )
    )
    to_add, to_end = sorted(set(reached) - current), sorted(current - set(reached))
    for ids, change in ((to_add, "add"), (to_end, "end")):
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            residents = db.session.scalars(
                sa.select(Resident)
                .where(Resident.id.in_(chunk))
                .options(selectinload(Resident.key_group_rows))
            )
            for resident in residents:
                if change == "add":
                    add_key_group(
                        resident, KeyGroup.long_term_unemployed, StatusSource.rule, since=reached[resident.id]
                    )
                else:
                    end_key_group(resident, KeyGroup.long_term_unemployed)
            db.session.commit()
    return {"added": len(to_add), "ended": len(to_end)}
