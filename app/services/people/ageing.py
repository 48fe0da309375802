"""What changes in the ledger with time alone: the daily re-evaluation of ages and graduates.

A status change recomputes its household at once (status.py); an age does not change through
any request. Each day `reevaluate()` finds the households with a member who crossed a
working-age limit since the last run by a birth-date range (indexed), checks them against the
one rule (`status.is_zero_employment`) in batches, and recomputes only those whose flag is
wrong; it ends the periods of college graduates past GRADUATE_KEY_GROUP_YEARS that are still
open. Other key groups need nothing: every reader compares `until` with today.
"""

import logging
from datetime import date, timedelta

import redis
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import load_only

from app.common.clock import local_day
from app.extensions import db, get_redis
from app.models import Household, KeyGroup, Resident, ResidentKeyGroup
from app.services.people.status import graduate_until, is_zero_employment, recompute, years_from

log = logging.getLogger(__name__)

# Households checked per transaction, and graduates' periods ended per transaction.
REEVALUATE_BATCH = 500
# Without a record of the last run (the first one, or Redis emptied), look back this many days.
REEVALUATE_DAYS = 7
REEVALUATED_KEY = "ledger:reevaluated_through"
# The cleared_source of a case closed because its last able member left working age.
AGE_SOURCE = "age"


def reevaluate(today: date | None = None, since: date | None = None) -> dict:
    """Re-evaluate zero-employment flags as ages move, and graduates' periods; commits per batch.

    Looks at members who turned WORKING_AGE_MIN or WORKING_AGE_MAX + 1 from `since` (default:
    the day the last run went through, else REEVALUATE_DAYS ago) to `today`. Safe to repeat.
    """
    today = today or local_day()
    since = min(since or _last_run(today), today)
    config = current_app.config
    crossed = [
        Resident.birth_date.between(years_from(since, -years), years_from(today, -years))
        for years in (config["WORKING_AGE_MIN"], config["WORKING_AGE_MAX"] + 1)
    ]
    household_ids = sorted(
        db.session.scalars(
            sa.select(Resident.household_id)
            .where(Resident.household_id.is_not(None), sa.or_(*crossed))
            .distinct()
        )
    )
    flagged = cleared = 0
    for start in range(0, len(household_ids), REEVALUATE_BATCH):
        chunk = household_ids[start : start + REEVALUATE_BATCH]
        members: dict[int, list[Resident]] = {household_id: [] for household_id in chunk}
        # Only what the rule reads: whole rows (ciphertexts, hints) would cost most of the time.
        for member in db.session.scalars(
            sa.select(Resident)
            .options(load_only(Resident.household_id, Resident.employment_status, Resident.birth_date))
            .where(Resident.household_id.in_(chunk))
        ):
            members[member.household_id].append(member)
        flags = dict(
            db.session.execute(
                sa.select(Household.id, Household.zero_employment_since).where(Household.id.in_(chunk))
            ).all()
        )
        for household_id in chunk:
            # Only a wrong flag costs a locked recompute (which checks again under the lock).
            if is_zero_employment(members[household_id], today) != (flags.get(household_id) is not None):
                if recompute(household_id, AGE_SOURCE, today):
                    flagged += 1
                else:
                    cleared += 1
        db.session.commit()
    ended = _end_graduates(today)
    try:
        get_redis().set(REEVALUATED_KEY, today.isoformat())
    except redis.RedisError:
        log.warning("Ledger re-evaluation: could not record the day run", exc_info=True)
    return {
        "since": since.isoformat(),
        "through": today.isoformat(),
        "households_checked": len(household_ids),
        "flagged": flagged,
        "cleared": cleared,
        "graduates_ended": ended,
    }


def _last_run(today: date) -> date:
    """Return the day the re-evaluation last ran through, else REEVALUATE_DAYS ago."""
    try:
        raw = get_redis().get(REEVALUATED_KEY)
        return date.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw)
    except (redis.RedisError, TypeError, ValueError):
        return today - timedelta(days=REEVALUATE_DAYS)


def _end_graduates(today: date) -> int:
    """End the periods of college graduates past GRADUATE_KEY_GROUP_YEARS that are still open."""
    latest_since = years_from(today, -current_app.config["GRADUATE_KEY_GROUP_YEARS"])
    ended, after = 0, 0
    while True:
        rows = list(
            db.session.scalars(
                sa.select(ResidentKeyGroup)
                .where(
                    ResidentKeyGroup.key_group == KeyGroup.college_graduate.value,
                    ResidentKeyGroup.resident_id > after,
                    ResidentKeyGroup.since <= latest_since + timedelta(days=1),  # 29 February: checked below
                    sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= today),
                )
                .order_by(ResidentKeyGroup.resident_id)
                .limit(REEVALUATE_BATCH)
            )
        )
        if not rows:
            return ended
        for row in rows:
            until = graduate_until(row.since)
            if until < today:
                row.until = until
                ended += 1
        db.session.commit()
        after = rows[-1].resident_id
