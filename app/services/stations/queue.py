"""The queue at the counter: a station's or event's check-ins for staff, serving a visitor, daily counts."""

from datetime import date

import sqlalchemy as sa

from app.common import clock
from app.common.clock import local_day
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Account, CheckIn, Resident, Role, ServeOutcome, Station, StationStaff, utcnow
from app.queues import enqueue_after_commit
from app.services.people.scoping import get_in_scope, scoped
from app.services.results import Page, RowWith, paginate
from app.services.stations.events import get_event
from app.services.stations.queue_numbers import station_queue_key
from app.services.stations.stations import get_station

# The unique index of (queue_key, queue_number): a queue in number order.
QUEUE_INDEX = "uq_check_ins_queue_key_queue_number"
# How often a clerk whose visitor another counter took at the same moment tries the next one.
CALL_ATTEMPTS = 5
# Who may mark check-ins served (supervisors watch, grid workers visit homes).
SERVE_ROLES = frozenset(
    {Role.station_staff, Role.operator, Role.township_admin, Role.district_admin, Role.city_admin}
)


def _listing(statement, served: bool | None, page: int, per_page: int, called: bool | None = None) -> Page:
    """Return one page of check-ins in queue order, each with the person behind it."""
    if served is not None:
        statement = statement.where(CheckIn.served_at.is_not(None) if served else CheckIn.served_at.is_(None))
    if called is not None:
        statement = statement.where(CheckIn.called_at.is_not(None) if called else CheckIn.called_at.is_(None))
    # Queue order, then the out-of-hours visits (no number) by time: NULLs sort first otherwise.
    order = (CheckIn.queue_number.is_(None), CheckIn.queue_number, CheckIn.id)
    found = paginate(statement, page, per_page, order_by=order)
    people = _people(found.items)
    found.items = [RowWith(row, person=people.get(row.resident_id)) for row in found.items]
    return found


def list_for_station(
    actor: Account,
    station_id: int,
    day: date | None,
    served: bool | None,
    page: int = 1,
    per_page: int = 200,
    called: bool | None = None,
) -> Page:
    """Return one page of a station's check-ins of one local day (default today), in queue order."""
    station = get_station(actor, station_id)
    statement = sa.select(CheckIn).where(
        CheckIn.station_id == station.id, CheckIn.event_id.is_(None), CheckIn.day == (day or local_day())
    )
    return _listing(statement, served, page, per_page, called)


def call_next(actor: Account, station_id: int) -> RowWith:
    """Call today's next waiting visitor at a station to this clerk's counter (叫号).

    The first check-in in queue order with a number, not served and not called, is locked and
    marked called in one transaction; a second clerk calling at the same moment skips the locked
    row (SKIP LOCKED) and gets the one after, so two clerks never call the same visitor. A clerk
    serves the visitor they called before calling another (409 serve_current_first).
    """
    if actor.role not in SERVE_ROLES:
        raise Forbidden("role_forbidden", "Your role may not call visitors.")
    station = get_station(actor, station_id)
    if actor.role == Role.station_staff and not db.session.scalar(
        sa.select(StationStaff.station_id).where(
            StationStaff.station_id == station.id, StationStaff.account_id == actor.id
        )
    ):
        raise Forbidden("role_forbidden", "Only the staff of this station call its visitors.")
    actor_id, today = actor.id, local_day()
    todays = (CheckIn.station_id == station.id, CheckIn.event_id.is_(None), CheckIn.day == today)
    current = db.session.scalar(
        sa.select(CheckIn)
        .where(*todays, CheckIn.called_by_id == actor_id, CheckIn.served_at.is_(None))
        .order_by(CheckIn.called_at.desc(), CheckIn.id.desc())
        .limit(1)
    )
    if current is not None:
        raise Conflict(
            "serve_current_first",
            f"Serve number {current.queue_number} (check-in {current.id}), called to you, "
            "before calling the next.",
            field="check_in_id",
        )
    # Walked in number order along the queue's own unique index, so the lock takes the rows up
    # to the first one waiting, not the whole day (a sort would lock every row it read first).
    statement = sa.select(CheckIn).where(
        CheckIn.queue_key == station_queue_key(station.id, today),
        CheckIn.queue_number.is_not(None),
        CheckIn.served_at.is_(None),
        CheckIn.called_at.is_(None),
    )
    for dialect in ("mysql", "mariadb"):
        statement = statement.with_hint(CheckIn, f"FORCE INDEX ({QUEUE_INDEX})", dialect)
    statement = statement.order_by(CheckIn.queue_number).limit(1).with_for_update(skip_locked=True)
    for _ in range(CALL_ATTEMPTS):
        row = db.session.scalar(statement)
        if row is None:
            db.session.rollback()
            raise NotFound("queue_empty", "Nobody is waiting at this station.")
        # Marked only if still nobody's: SQLite has no row locks, so another clerk may have read the
        # same row; its write waits for ours and then finds the row taken (and we try the next one).
        claimed = db.session.execute(
            sa.update(CheckIn)
            .where(CheckIn.id == row.id, CheckIn.called_at.is_(None), CheckIn.served_at.is_(None))
            .values(called_at=utcnow(), called_by_id=actor_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed:
            db.session.refresh(row)
            return RowWith(row, person=_people([row]).get(row.resident_id))
    raise Conflict("queue_busy", "Other counters are calling at the same moment; call again.")


def list_for_event(
    actor: Account, event_id: int, served: bool | None, page: int = 1, per_page: int = 200
) -> Page:
    """Return one page of the check-ins of an event in the actor's place, in queue order."""
    event = get_event(actor, event_id)
    return _listing(sa.select(CheckIn).where(CheckIn.event_id == event.id), served, page, per_page)


def _people(check_ins: list[CheckIn]) -> dict[int, Resident]:
    """Return the resident records behind check-ins, by id, in one query."""
    ids = {row.resident_id for row in check_ins if row.resident_id is not None}
    if not ids:
        return {}
    return {
        resident.id: resident
        for resident in db.session.scalars(sa.select(Resident).where(Resident.id.in_(ids)))
    }


def serve(actor: Account, check_in_id: int, values: dict) -> RowWith:
    """Mark a check-in served (or not), with a coded outcome, a note, and a follow-up opened or closed.

    Every key is optional (older clients send only served, outcome_note, follow_up). A coded
    `outcome` (ServeOutcome) marks the visitor served too; `follow_up_needed` opens a
    follow-up. `follow_up_closed: true` closes the open follow-up (409 no_follow_up when there
    is none), false opens it again. Taking `served` back clears the outcome; dropping the
    follow-up clears its closing.
    """
    if actor.role not in SERVE_ROLES:
        raise Forbidden("role_forbidden", "Your role may not serve visitors.")
    outcome = values.get("outcome")
    if outcome is not None and outcome not in set(ServeOutcome):
        raise ValidationFailed("outcome", f"Unknown outcome '{outcome}'.", code="invalid_outcome")
    row = get_in_scope(CheckIn, check_in_id, actor, "check_in_not_found")
    was_open = row.follow_up and row.follow_up_closed_at is None
    served = values.get("served", True if outcome is not None else None)
    if served and row.served_at is None:
        row.served_at, row.served_by_id = utcnow(), actor.id
    elif served is False:
        row.served_at = row.served_by_id = row.outcome = None
    if "outcome" in values:
        row.outcome = outcome
    if "outcome_note" in values:
        row.outcome_note = values["outcome_note"]
    if "follow_up" in values:
        row.follow_up = values["follow_up"]
    if outcome == ServeOutcome.follow_up_needed:
        row.follow_up = True
    if not row.follow_up:
        row.follow_up_closed_at = None
    if "follow_up_closed" in values:
        _close_follow_up(row, values["follow_up_closed"])
    if row.follow_up and row.follow_up_closed_at is None and not was_open and row.resident_id is not None:
        # The person hears of it (checkin_followup); the push's unique key sends it once per check-in.
        enqueue_after_commit("push.notify_check_in_follow_up", row.id)
    db.session.commit()
    return RowWith(row, person=_people([row]).get(row.resident_id))


def open_follow_ups(actor: Account, station_id: int | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Return one page of the open follow-ups of check-ins in the actor's place, oldest first.

    Station staff see those of the stations they work at (events held there included); the
    others, their whole place.
    """
    if actor.role not in SERVE_ROLES:
        raise Forbidden("role_forbidden", "Your role may not follow up visitors.")
    statement = scoped(
        sa.select(CheckIn).where(CheckIn.follow_up.is_(True), CheckIn.follow_up_closed_at.is_(None)),
        CheckIn,
        actor,
    )
    if actor.role == Role.station_staff:
        statement = statement.where(
            CheckIn.station_id.in_(
                sa.select(StationStaff.station_id).where(StationStaff.account_id == actor.id)
            )
        )
    if station_id is not None:
        statement = statement.where(CheckIn.station_id == get_station(actor, station_id).id)
    found = paginate(statement, page, per_page, order_by=(CheckIn.created_at, CheckIn.id))
    people = _people(found.items)
    found.items = [RowWith(row, person=people.get(row.resident_id)) for row in found.items]
    return found


def _close_follow_up(row: CheckIn, closed: bool) -> None:
    """Close the check-in's follow-up (keeping the first closing time), or open it again."""
    if not closed:
        row.follow_up_closed_at = None
        return
    if not row.follow_up:
        raise Conflict("no_follow_up", "This visit has no follow-up to close.", field="follow_up_closed")
    if row.follow_up_closed_at is None:
        row.follow_up_closed_at = utcnow()


def daily_counts(
    actor: Account, date_from: date | None = None, date_to: date | None = None, station_id: int | None = None
) -> list[dict]:
    """Return check-ins and served counts per station (or event) per local day, in the actor's place."""
    date_from, date_to = clock.day_range(date_from, date_to)
    served = sa.func.sum(sa.case((CheckIn.served_at.is_not(None), 1), else_=0))
    out_of_hours = sa.func.sum(sa.case((CheckIn.queue_number.is_(None), 1), else_=0))
    statement = scoped(
        sa.select(
            CheckIn.day,
            CheckIn.station_id,
            CheckIn.event_id,
            sa.func.count().label("n"),
            served.label("s"),
            out_of_hours.label("o"),
        )
        .where(CheckIn.day.between(date_from, date_to))
        .group_by(CheckIn.day, CheckIn.station_id, CheckIn.event_id),
        CheckIn,
        actor,
    )
    if station_id is not None:
        statement = statement.where(CheckIn.station_id == station_id)
    rows = db.session.execute(statement.order_by(CheckIn.day, CheckIn.station_id, CheckIn.event_id)).all()
    names = {
        station.id: station
        for station in db.session.scalars(
            sa.select(Station).where(Station.id.in_({row.station_id for row in rows if row.station_id}))
        )
    }
    return [
        {
            "date": row.day,
            "station_id": row.station_id,
            "station_code": names[row.station_id].code if row.station_id else None,
            "station_name": names[row.station_id].name if row.station_id else None,
            "event_id": row.event_id,
            "check_ins": row.n,
            "served": int(row.s or 0),
            "out_of_hours": int(row.o or 0),
        }
        for row in rows
    ]
