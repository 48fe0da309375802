"""Check-in (签到) at stations and events: code checks, idempotency, queue numbers.

A check-in is one transaction's steps in order (the code, the place, the geofence, the replay
and repeat rules under the account's lock, the number), read top to bottom; what the person
sees of it (the next steps, their own check-ins) is check_in_answers.py.

The database is the record: replay protection lives in tables and each queue number on its
check-in row, so a check-in works the same whether Redis answers or not (Redis only hands the
numbers out: queue_numbers.py). Outside a station's opening hours a check-in is recorded as an
out-of-hours visit, without a queue number (docs/STATIONS.md). The answer is built from the values
in hand: nothing is read back after the commit.

Long because a check-in's rules are one transaction read top to bottom, with the few statements
it runs built once beside them (the station it names is check_in_stations.py, its answer
check_in_answers.py, its queue number queue_numbers.py).
"""

from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from app.common.clock import local_day
from app.common.geo import check_point, distance_m
from app.errors import APIError, Conflict, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    CheckIn,
    CheckInVia,
    Circle,
    District,
    Event,
    EventSignup,
    EventStatus,
    QrTokenUse,
    QueueCounter,
    Resident,
    Role,
    Station,
    utcnow,
)
from app.services import statements
from app.services.people.consents import require_consent
from app.services.results import RowWith
from app.services.stations import check_in_stations, opening_hours, qr_codes, queue_numbers, training
from app.services.stations.check_in_answers import FACT_COLUMNS, shown
from app.services.stations.queue_numbers import station_queue_key

# The place columns a check-in copies from its station or event (counts per place: one equality).
PLACE_COLUMNS = check_in_stations.PLACE_COLUMNS
# How often a check-in whose queue number is on another row already (Redis behind the rows) takes another.
QUEUE_ATTEMPTS = 5

VIA_BY_KIND = {
    qr_codes.PRINTED: CheckInVia.printed,
    qr_codes.ROTATING: CheckInVia.rotating,
    qr_codes.EVENT: CheckInVia.event,
}


class _NumberTaken(Exception):
    """Raised when the queue number a check-in took is on another check-in already."""


def _revoked() -> APIError:
    return APIError(
        422,
        "token_revoked",
        "This printed code has been replaced; scan the station's current code.",
        field=qr_codes.FIELD,
    )


# Loaded with an event's station: what the check-in rules and the answer use of it (its circle's
# code and name), no more. PyMySQL parses a packet per column: 24 columns here instead of 41.
_ANSWERED = (
    defer(Station.qr_rotated_at),
    defer(Station.created_by_id),
    defer(Station.created_at),
    defer(Station.updated_at),
    joinedload(Station.circle)
    .load_only(Circle.key, Circle.name, Circle.district_id)
    .joinedload(Circle.district)
    .load_only(District.short_code),
)


def _resolve(token: qr_codes.Token) -> tuple[Station | None, Event | None]:
    """Return the station and event a genuine token names, or the reason it is refused."""
    if token.kind == qr_codes.EVENT:
        event = db.session.get(
            Event, token.object_id, options=(joinedload(Event.station).options(*_ANSWERED),)
        )
        if event is None or (
            token.station_code and token.station_code != f"{qr_codes.EVENT_CODE_PREFIX}{event.id}"
        ):
            raise ValidationFailed(qr_codes.FIELD, "This code names no event of ours.", code="token_invalid")
        qr_codes.check_window(token)
        if event.status == EventStatus.cancelled:
            raise ValidationFailed(qr_codes.FIELD, "This event was cancelled.", code="event_cancelled")
        if event.station is not None and not event.station.is_active:
            raise ValidationFailed(qr_codes.FIELD, "This station is closed.", code="station_inactive")
        now = utcnow()
        opens = event.starts_at - timedelta(minutes=current_app.config["EVENT_CHECK_IN_EARLY_MINUTES"])
        if not opens <= now <= event.ends_at:
            raise ValidationFailed(
                qr_codes.FIELD, "Check-in for this event is not open at this time.", code="event_not_open"
            )
        return event.station, event
    station = check_in_stations.station(token.object_id)
    if station is None or (token.station_code and token.station_code != station.code):
        raise ValidationFailed(qr_codes.FIELD, "This code names no station of ours.", code="token_invalid")
    if token.version > station.qr_version:
        raise ValidationFailed(qr_codes.FIELD, "This code names no station of ours.", code="token_invalid")
    if token.version < station.qr_version:
        raise _revoked()
    if token.kind == qr_codes.ROTATING:
        qr_codes.check_window(token)
    if not station.is_active:
        raise ValidationFailed(qr_codes.FIELD, "This station is closed.", code="station_inactive")
    return station, None


def _check_location(station: Station | None, event: Event | None, lat, lng) -> float | None:
    """Return the distance from the place (when a location was sent); enforce its geofence."""
    check_point(lat, lng)
    if event is not None and event.lat is not None:
        target, required, radius = (event.lat, event.lng), event.require_location, event.geofence_m
    elif event is not None:
        target = (station.lat, station.lng) if station is not None else (None, None)
        required = event.require_location or bool(station and station.require_location)
        radius = event.geofence_m
    else:
        target, required, radius = (station.lat, station.lng), station.require_location, station.geofence_m
    if lat is None:
        if required:
            raise ValidationFailed(
                "lat",
                "This place asks for your location: allow location access and scan again.",
                code="location_required",
            )
        return None
    if target[0] is None:
        return None
    metres = round(distance_m(lat, lng, target[0], target[1]), 1)
    if required and metres > radius:
        raise ValidationFailed(
            "lat", f"You are {metres:.0f} m away; check in within {radius} m of the place.", code="too_far"
        )
    return metres


def _by_client_id(account_id: int, client_id: str) -> CheckIn | None:
    return db.session.scalar(
        sa.select(CheckIn).where(CheckIn.account_id == account_id, CheckIn.client_id == client_id)
    )


# This person's check-in with this client id, or their latest at the same place within the
# repeat window (the same local day too at a station: a scan after midnight starts the new day's
# queue). Ids first, and the whole row only of the one returned: almost every check-in finds
# none, and a result's every column costs a packet to parse even when no row comes back.
_MINE = sa.select(CheckIn.id, CheckIn.client_id).order_by(CheckIn.id.desc())
_EARLIER_AT = {
    "station": _MINE.where(
        CheckIn.account_id == sa.bindparam("account_id"),
        sa.or_(
            CheckIn.client_id == sa.bindparam("client_id"),
            sa.and_(
                CheckIn.created_at >= sa.bindparam("since"),
                CheckIn.station_id == sa.bindparam("station_id"),
                CheckIn.event_id.is_(None),
                CheckIn.day == sa.bindparam("day"),
            ),
        ),
    ),
    "event": _MINE.where(
        CheckIn.account_id == sa.bindparam("account_id"),
        sa.or_(
            CheckIn.client_id == sa.bindparam("client_id"),
            sa.and_(
                CheckIn.created_at >= sa.bindparam("since"), CheckIn.event_id == sa.bindparam("event_id")
            ),
        ),
    ),
}
# The account's row lock that serialises one person's check-ins, and in the same statement the
# resident's next-step facts (a locking read: the latest committed). Their resident row is locked
# with the account's; the INSERT's foreign-key check locks it anyway (shared), so a check-in
# already waited for a transaction writing its resident (measured on MariaDB 10.11).
_LOCK = (
    sa.select(Account.id.label("account_id"), *FACT_COLUMNS)
    .select_from(Account)
    .outerjoin(Resident, Resident.account_id == Account.id)
    .where(Account.id == sa.bindparam("account_id"))
    .with_for_update()
)


def _earlier(
    account_id: int, client_id: str, fields: dict, now: datetime
) -> tuple[CheckIn | None, CheckIn | None]:
    """Return this person's check-in with this client id, and their latest here within the repeat window."""
    since = now - timedelta(minutes=current_app.config["CHECK_IN_REPEAT_MINUTES"])
    params = {"account_id": account_id, "client_id": client_id, "since": since}
    if fields["event_id"] is not None:
        statement = _EARLIER_AT["event"]
        params["event_id"] = fields["event_id"]
    else:
        statement = _EARLIER_AT["station"]
        params.update(station_id=fields["station_id"], day=fields["day"])
    rows = statements.run(statement, params).all()
    if not rows:
        return None, None
    found = next((row.id for row in rows if row.client_id == client_id), None)
    # Without the client id's row every row found is a recent one at this place.
    row = db.session.get(CheckIn, found or rows[0].id, populate_existing=True)
    return (row, None) if found is not None else (None, row)


@contextmanager
def _kept_loaded():
    """Keep the rows a check-in loaded loaded across its commits: its answer is built from them."""
    session = db.session()
    kept, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = kept


def check_in(account: Account, values: dict) -> tuple[RowWith, bool]:
    """Record a check-in from a scanned code; return it as shown (with next steps) and whether it is new.

    The same client_id returns the first result; the same person at the same place within
    CHECK_IN_REPEAT_MINUTES gets the existing check-in back; a rotating code is accepted
    once per person. A station closed by its opening hours records the visit without a
    queue number; scanning again once it opens (within the window) gives that visit its number.
    A resident needs the base consent (the visit and the phone's location are personal data).
    """
    require_consent(account)
    role = account.role
    with _kept_loaded():
        row, created, facts = _record(account, values)
        return shown(role, row, repeated=not created, facts=facts), created


def _record(account: Account, values: dict) -> tuple[CheckIn, bool, object]:
    """Record a check-in (see check_in); return the row, whether it is new, and the next-step facts read."""
    client_id = values["client_id"]
    # Plain values from here on: after the commit that starts the locked transaction, a row
    # expired by a rollback would reload with a plain SELECT before the lock, and on MariaDB
    # that SELECT would fix the read snapshot.
    account_id, role = account.id, account.role
    # One clock reading for the whole check-in: its local day, the opening hours, the repeat window.
    now = utcnow()
    day = local_day(now)
    try:
        token = qr_codes.parse(values["url_or_token"])
        station, event = _resolve(token)
        if event is not None:
            training.check_audience(role, event, field=qr_codes.FIELD)
        elif role not in (Role.resident, Role.employer):
            raise ValidationFailed(
                qr_codes.FIELD,
                "Staff check in to events only, with the event's code.",
                code="staff_event_only",
            )
        metres = _check_location(station, event, values.get("lat"), values.get("lng"))
    except APIError:
        # A retried check-in gets its first answer, even once its code has expired or been replaced.
        found = _by_client_id(account_id, client_id)
        if found is None:
            raise
        return found, False, False
    owner = event if event is not None else station
    fields = {
        "station_id": station.id if station is not None else None,
        "event_id": event.id if event is not None else None,
        # The row holds them for its answer: the session alone keeps no loaded row alive.
        "station": station,
        "event": event,
        "purpose": values["purpose"],
        "via": VIA_BY_KIND[token.kind].value,
        "day": day,
        "lat": values.get("lat"),
        "lng": values.get("lng"),
        "distance_m": metres,
        "signed_up": _signed_up(account_id, event.id) if event is not None else None,
        # An out-of-hours visit takes no number; the key stays (it names the station's day).
        "queue_key": f"e{event.id}" if event is not None else station_queue_key(station.id, day),
        **{column: getattr(owner, column) for column in PLACE_COLUMNS},
    }
    # Events follow their own times (checked above), not the station's hours.
    in_queue = event is not None or opening_hours.is_open(station.opening_hours, now)
    resync = False
    for _ in range(QUEUE_ATTEMPTS):
        try:
            return _record_locked(account_id, client_id, token, fields, in_queue, now, resync)
        except _NumberTaken:
            resync = True  # Redis was behind the rows (flushed, or numbers taken while it was down)
    raise Conflict("queue_busy", "Many people are checking in here at this moment: scan again.")


def _record_locked(
    account_id: int, client_id: str, token: qr_codes.Token, fields: dict, in_queue: bool, now, resync: bool
) -> tuple[CheckIn, bool, object]:
    """Check the repeat and replay rules and write the check-in, under the account's lock (see _record)."""
    # One person's check-ins go one at a time: the repeat and replay rules read, then write.
    # A fresh transaction whose first statement is the lock, so the reads after it see
    # everything committed before it (SQLite has no row locks: there the unique keys decide).
    db.session.commit()
    locked = statements.run(_LOCK, {"account_id": account_id}).one()
    found, recent = _earlier(account_id, client_id, fields, now)
    if found is not None:
        db.session.commit()  # nothing written; a commit, unlike a rollback, keeps the row loaded
        return found, False, False
    if token.kind != qr_codes.PRINTED:
        replayed = db.session.get(QrTokenUse, (account_id, token.use_key)) is not None
        if not replayed:
            db.session.add(QrTokenUse(account_id=account_id, token_key=token.use_key))
            try:
                db.session.flush()
            except IntegrityError:  # the same code, a moment ago, where nothing serialised us
                db.session.rollback()
                found = _by_client_id(account_id, client_id)
                if found is not None:
                    return found, False, False
                replayed = True
        if replayed:
            db.session.rollback()
            raise Conflict(
                "token_replayed",
                "You have already used this code: scan the code on the screen again.",
                field=qr_codes.FIELD,
            )
    if recent is not None and (recent.queue_number is not None or not in_queue):
        db.session.commit()
        return recent, False, False
    facts = locked if locked.id is not None else None
    # The number is taken last, just before the row is written (a number taken is a row), and
    # before the row joins the session: the fallback's statements would flush it unnumbered.
    queue_key = recent.queue_key if recent is not None else fields["queue_key"]
    number, from_redis = queue_numbers.take(queue_key, resync) if in_queue else (None, False)
    if recent is not None:
        row = recent  # came before opening and scans again now it is open: the same visit joins the queue
        row.queue_number = number
    else:
        # Stored to the second (MariaDB's DATETIME), so the answer shows what a later read shows.
        stamp = now.replace(microsecond=0)
        row = CheckIn(
            account_id=account_id,
            resident_id=facts.id if facts else None,
            client_id=client_id,
            queue_number=number,
            follow_up=False,
            created_at=stamp,
            updated_at=stamp,
            **fields,
        )
    try:
        if recent is None:
            row.id = _insert(row)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        found = _by_client_id(account_id, client_id)  # the same client id, where nothing serialised us
        if found is None and number is not None and queue_numbers.is_taken(queue_key, number):
            raise _NumberTaken() from None
        if from_redis:
            queue_numbers.give_back(queue_key, number)
        if found is None:
            raise
        return found, False, False
    except BaseException:
        if from_redis:
            queue_numbers.give_back(queue_key, number)
        raise
    return row, True, facts


def _insert(row: CheckIn) -> int:
    """Write a new check-in with one INSERT and return its id; the row itself stays out of the session.

    The answer is built from the row in hand, so the unit of work (a flush's bookkeeping, a fifth
    of a check-in's CPU once) has nothing to do: the values go straight to the table.
    """
    values = {column.key: getattr(row, column.key) for column in _INSERTED}
    return statements.run(_INSERT, values).inserted_primary_key[0]


# Every column of check_ins but the id the database gives.
_INSERTED = tuple(column for column in CheckIn.__table__.columns if not column.primary_key)
_INSERT = sa.insert(CheckIn.__table__)


def _signed_up(account_id: int, event_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(EventSignup.id).where(
                EventSignup.event_id == event_id,
                EventSignup.account_id == account_id,
                EventSignup.cancelled_at.is_(None),
            )
        )
        is not None
    )


def purge_token_uses(older_than_hours: int = 24) -> int:
    """Forget rotating-code uses older than any code can live, and past days' queue counters.

    Returns how many code uses went. A station's counter is needed only on its day (the
    numbers themselves stay on the check-ins); event counters stay while the event lives.
    """
    cutoff = utcnow() - timedelta(hours=older_than_hours)
    result = db.session.execute(sa.delete(QrTokenUse).where(QrTokenUse.used_at < cutoff))
    db.session.execute(
        sa.delete(QueueCounter).where(
            QueueCounter.key.like("s%"), QueueCounter.updated_at < utcnow() - timedelta(days=2)
        )
    )
    db.session.commit()
    return result.rowcount
