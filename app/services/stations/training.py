"""Training for staff: who may attend which event, and the hours each person earned in a year.

An event's `audience` says who may sign up and check in: everyone, residents only (staff
refused), or staff only (residents and employers refused). Attendance is the event check-in;
each training attended (an event of kind training with a check-in by the person) credits its
`credit_hours`, or its length when none is set. The year is the city's calendar year of the
event's start. The report groups staff by role, by place and by operator (运营机构: the
account's operator_id; staff of no operator are grouped as such).
"""

from datetime import UTC, datetime

import sqlalchemy as sa

from app.common import clock
from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.models import Account, CheckIn, Event, EventKind, Operator, Role
from app.services.people.places import describe_place, places_inside

# Staff who take trainings: the front line. District and city admins and supervisors organise
# and watch; they neither sign up nor count in the report.
TRAINEE_ROLES = frozenset({Role.grid_worker, Role.station_staff, Role.operator, Role.township_admin})
# Who reads the staff hours of their place.
REPORT_ROLES = frozenset({Role.township_admin, Role.district_admin, Role.city_admin, Role.supervisor})
AUDIENCES = ("everyone", "residents", "staff")


def check_audience(role: str, event: Event, field: str = "event_id") -> None:
    """Refuse a person the event's audience leaves out (422 event_audience)."""
    if role in TRAINEE_ROLES:
        if event.audience == "residents":
            raise ValidationFailed(field, "This event is for residents only.", code="event_audience")
        return
    if role not in (Role.resident, Role.employer):
        raise Forbidden("role_forbidden", "Your role may not attend events.")
    if event.audience == "staff":
        raise ValidationFailed(field, "This training is for staff only.", code="event_audience")


def event_hours(event: Event) -> float:
    """Return the hours an event credits each attendee: its credit_hours, else its length."""
    if event.credit_hours is not None:
        return float(event.credit_hours)
    return round((event.ends_at - event.starts_at).total_seconds() / 3600, 2)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """Return the naive UTC moments the city's calendar year starts and ends."""
    zone = clock.zone()
    return tuple(
        datetime(y, 1, 1, tzinfo=zone).astimezone(UTC).replace(tzinfo=None) for y in (year, year + 1)
    )


def _attended(year: int, account_ids=None) -> list[sa.Row]:
    """Return (account_id, event) of each training attended in the year (one row per person and event)."""
    start, end = _year_bounds(year)
    statement = (
        sa.select(CheckIn.account_id, CheckIn.event_id)
        .join(Event, Event.id == CheckIn.event_id)
        .where(Event.kind == EventKind.training, Event.starts_at >= start, Event.starts_at < end)
        .distinct()
    )
    if account_ids is not None:
        statement = statement.where(CheckIn.account_id.in_(account_ids))
    rows = db.session.execute(statement).all()
    events = {
        e.id: e
        for e in db.session.scalars(sa.select(Event).where(Event.id.in_({row.event_id for row in rows})))
    }
    return [(row.account_id, events[row.event_id]) for row in rows]


def _training(event: Event) -> dict:
    return {
        "event_id": event.id,
        "title": event.title,
        "topic": event.topic,
        "starts_at": event.starts_at,
        "hours": event_hours(event),
    }


def my_hours(account: Account, year: int | None = None) -> dict:
    """Return the caller's trainings attended in a year (default this one) and their hours."""
    year = year or clock.local_day().year
    attended = sorted((event for _, event in _attended(year, [account.id])), key=lambda e: e.starts_at)
    trainings = [_training(event) for event in attended]
    return {"year": year, "hours": round(sum(t["hours"] for t in trainings), 2), "trainings": trainings}


def staff_hours(actor: Account, year: int | None = None) -> dict:
    """Return the training hours of the staff placed in the actor's place: per person, role and place.

    Every trainee-role account in the place is listed, with 0 hours when it attended nothing
    (who still needs training is the point of the report).
    """
    if actor.role not in REPORT_ROLES:
        raise Forbidden("role_forbidden", "Your role may not read the staff training report.")
    year = year or clock.local_day().year
    inside = places_inside(actor.scope_kind, actor.scope_id)
    in_area = [sa.and_(Account.scope_kind == k.value, Account.scope_id.in_(ids)) for k, ids in inside.items()]
    staff = db.session.scalars(
        sa.select(Account)
        .where(
            Account.role.in_([r.value for r in TRAINEE_ROLES]), Account.is_active.is_(True), sa.or_(*in_area)
        )
        .order_by(Account.id)
    ).all()
    attended: dict[int, list[Event]] = {}
    for account_id, event in _attended(year, [a.id for a in staff]) if staff else []:
        attended.setdefault(account_id, []).append(event)
    places: dict[tuple, dict] = {}
    people = []
    for account in staff:
        events = sorted(attended.get(account.id, []), key=lambda e: e.starts_at)
        hours = round(sum(event_hours(e) for e in events), 2)
        key = (account.scope_kind, account.scope_id)
        if key not in places:
            places[key] = describe_place(*key) or {"kind": account.scope_kind, "code": None, "name": None}
        people.append(
            {
                "account_id": account.id,
                "username": account.username,
                "display_name": account.display_name,
                "role": account.role,
                "place": places[key],
                "hours": hours,
                "trainings": len(events),
                "operator_id": account.operator_id,
            }
        )
    return {
        "year": year,
        "people": people,
        "by_role": _rolled_up(people, lambda p: (p["role"],), ("role",)),
        "by_place": _rolled_up(people, lambda p: (p["place"]["kind"], p["place"]["code"]), ("kind", "code")),
        "by_operator": _by_operator(people),
    }


def _by_operator(people: list[dict]) -> list[dict]:
    """Sum hours per operator (named), staff of no operator last under operator_id None."""
    rows = _rolled_up(people, lambda p: (p["operator_id"] or 0,), ("operator_id",))
    ids = [row["operator_id"] for row in rows if row["operator_id"]]
    names = dict(db.session.execute(sa.select(Operator.id, Operator.name).where(Operator.id.in_(ids))).all())
    for row in rows:
        row["operator_id"] = row["operator_id"] or None
        row["operator_name"] = names.get(row["operator_id"])
    # Numbers sort as text in _rolled_up; the unattached group goes last whatever the ids.
    return sorted(rows, key=lambda row: (row["operator_id"] is None, row["operator_id"] or 0))


def _rolled_up(people: list[dict], key, names: tuple[str, ...]) -> list[dict]:
    """Sum people's hours per key: staff counted, those trained, hours in all."""
    groups: dict[tuple, dict] = {}
    for person in people:
        group = groups.setdefault(key(person), {"staff": 0, "trained": 0, "hours": 0.0})
        group["staff"] += 1
        group["trained"] += person["trainings"] > 0
        group["hours"] = round(group["hours"] + person["hours"], 2)
    return [
        {**dict(zip(names, k, strict=True)), **v}
        for k, v in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0]))
    ]
