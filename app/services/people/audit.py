"""The audit log: write events in the caller's transaction, read them back for auditors.

Each event is placed when written, so a supervisor reads only their own place's events:
- about a resident or household: where that resident or household is (the place whose
  supervisor watches over its personal data), when the row is known;
- else where its actor is: a staff account's place (every level at and above its own, so a
  circle's operator gets circle, district and city and nothing below), a resident's or an
  employer's community; an event without an actor about a staff account (made on the command
  line) where that account is;
- else nowhere (an unknown username's failed login): only city-level readers see those.
"""

from datetime import UTC, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    STAFF_ROLES,
    Account,
    AuditEvent,
    Circle,
    Community,
    District,
    Employer,
    Household,
    Resident,
    Role,
    ScopeKind,
    Township,
)
from app.services.people.places import place_columns
from app.services.results import Page, paginate

# Who reads the log: the city administration, and the supervisor (within their own place).
READ_ROLES = frozenset({Role.city_admin, Role.supervisor})
NO_PLACE = dict.fromkeys(PLACE_COLUMN_NAMES)


def scope_places(kind: str | None, place_id: int | None) -> dict:
    """Return the place columns of a staff account's place: its level and those above, None below."""
    if kind is None or place_id is None:
        return dict(NO_PLACE)
    kind = ScopeKind(kind)
    if kind is ScopeKind.community:
        return place_columns(db.session.get(Community, place_id))
    found = dict(NO_PLACE)
    if kind is ScopeKind.city:
        found["city_id"] = place_id
        return found
    if kind is ScopeKind.township:
        township = db.session.get(Township, place_id)
        if township is None:
            return found
        found.update(township_id=township.id, circle_id=township.circle_id)
        district_id = township.district_id
    elif kind is ScopeKind.circle:
        circle = db.session.get(Circle, place_id)
        if circle is None:
            return found
        found["circle_id"] = circle.id
        district_id = circle.district_id
    else:
        district_id = place_id
    district = db.session.get(District, district_id)
    if district is not None:
        found.update(district_id=district.id, city_id=district.city_id)
    return found


def _row_places(row) -> dict | None:
    """Return the place columns of a placed row (None when it has no place)."""
    if row is None or row.city_id is None:
        return None
    return {name: getattr(row, name) for name in PLACE_COLUMN_NAMES}


def _actor_places(actor: Account) -> dict | None:
    """Return where an actor is: a staff account's place, a resident's or an employer's community."""
    if actor.role in STAFF_ROLES:
        return scope_places(actor.scope_kind, actor.scope_id) if actor.scope_kind else None
    model = {Role.resident: Resident, Role.employer: Employer}.get(actor.role)
    if model is None:
        return None
    return _row_places(db.session.scalar(sa.select(model).where(model.account_id == actor.id)))


def event_places(actor: Account | None, object_type: str | None, object_id: object) -> dict:
    """Return the place columns an event is written with (the rule in this module's docstring)."""
    # Looking places up must not flush the change being described: it commits with the event.
    with db.session.no_autoflush:
        about = {"resident": Resident, "household": Household}.get(object_type or "")
        if about is not None and str(object_id or "").isdigit():
            places = _row_places(db.session.get(about, int(object_id)))
            if places is not None:
                return places
        if actor is not None:
            return _actor_places(actor) or dict(NO_PLACE)
        if object_type == "account" and str(object_id or "").isdigit():
            account = db.session.get(Account, int(object_id))
            if account is not None and account.role in STAFF_ROLES:
                return scope_places(account.scope_kind, account.scope_id)
    return dict(NO_PLACE)


def scope_clause(reader: Account):
    """Return the WHERE clause of the events a reader may see: all at city level, else their place's."""
    if reader.role not in READ_ROLES or reader.scope_kind is None or reader.scope_id is None:
        return sa.false()
    kind = ScopeKind(reader.scope_kind)
    if kind is ScopeKind.city:
        # One city per deployment: its readers see every event, the unplaced ones included.
        return sa.true()
    return getattr(AuditEvent, f"{kind.value}_id") == reader.scope_id


def record(
    action: str,
    outcome: str = "success",
    actor: Account | None = None,
    object_type: str | None = None,
    object_id: object = None,
    ip: str | None = None,
    detail: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it commits with the change it describes."""
    if actor_label is None and actor is not None:
        actor_label = actor.username or f"account:{actor.id}"
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        outcome=outcome,
        ip=ip,
        detail=detail,
        **event_places(actor, object_type, object_id),
    )
    db.session.add(event)
    return event


def commit(action: str, outcome: str = "success", **fields) -> AuditEvent:
    """Record an audit event and commit it with the change it describes (one transaction)."""
    event = record(action, outcome, **fields)
    db.session.commit()
    return event


def _naive_utc(moment: datetime) -> datetime:
    """Convert a datetime to naive UTC, as stored; a naive one is taken to be UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def list_events(
    reader: Account,
    page: int,
    per_page: int,
    action: str | None = None,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """Return one page of the audit events the reader may see, newest first, and the total matching."""
    conditions = [scope_clause(reader)]
    if action:
        # "auth." matches every auth event; "auth.login" just that one.
        # autoescape: an '_' in the prefix is a letter, not LIKE's any-character.
        conditions.append(
            AuditEvent.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEvent.action == action
        )
    if actor_id is not None:
        conditions.append(AuditEvent.actor_id == actor_id)
    if object_type:
        conditions.append(AuditEvent.object_type == object_type)
    if object_id:
        conditions.append(AuditEvent.object_id == object_id)
    if since:
        conditions.append(AuditEvent.created_at >= _naive_utc(since))
    if until:
        conditions.append(AuditEvent.created_at < _naive_utc(until))
    return paginate(
        sa.select(AuditEvent).where(*conditions),
        page,
        per_page,
        order_by=(AuditEvent.id.desc(),),
        # A plain COUNT of the same conditions: the log is the largest table, so no derived table.
        count=sa.select(sa.func.count()).select_from(AuditEvent).where(*conditions),
    )
