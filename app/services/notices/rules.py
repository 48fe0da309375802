"""The rules every notice step shares: who writes and reviews, the place and audience, who sees which.

A notice goes to one place (a community up to the city) and one audience. Its place columns hold
the place's ids down to its own level (a township notice: township, circle, district, city), so
staff find the notices in their place with the one scope equality (`scoping.scope_clause`), and a
person finds those for them with one equality per level (`placed_for`).
"""

from datetime import date

import sqlalchemy as sa

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    STAFF_ROLES,
    Account,
    Employer,
    EmploymentStatus,
    Event,
    KeyGroup,
    Notice,
    NoticeAudience,
    NoticeStatus,
    Policy,
    PolicyVersion,
    PolicyVersionStatus,
    Resident,
    ResidentKeyGroup,
    Resume,
    Role,
    ScopeKind,
)
from app.services.people.places import PLACE_MODELS, describe_place, find_place, place_columns, place_within
from app.services.people.scoping import SCOPE_COLUMNS, scope_clause

S = NoticeStatus
A = NoticeAudience
NOT_FOUND = "notice_not_found"
# Who writes notices: the stations' staff, the operators and the admins (not grid workers, who
# visit households, nor the supervisor, who only looks on).
AUTHOR_ROLES = frozenset(
    {Role.station_staff, Role.operator, Role.township_admin, Role.district_admin, Role.city_admin}
)
# Who reviews (publishes or returns) one: an admin whose place holds the notice's, never its author.
REVIEW_ROLES = frozenset({Role.township_admin, Role.district_admin, Role.city_admin})
# Statuses in which the author may still change a notice.
EDITABLE = (S.draft, S.returned)
# Ledger statuses that make a resident a job seeker even without an open résumé.
SEEKING_STATUSES = (EmploymentStatus.unemployed.value, EmploymentStatus.unemployed_registered.value)


# ---- place -------------------------------------------------------------------------------------


def columns_of(kind: str, place) -> dict:
    """Return the place columns of a place of any level: its own id and those of the places above it."""
    kind = ScopeKind(kind)
    if kind is ScopeKind.community:
        return place_columns(place)
    columns = dict.fromkeys(PLACE_COLUMN_NAMES)
    if kind is ScopeKind.township:
        columns.update(township_id=place.id, circle_id=place.circle_id, district_id=place.district_id)
        columns["city_id"] = place.district.city_id
    elif kind is ScopeKind.circle:
        columns.update(circle_id=place.id, district_id=place.district_id, city_id=place.district.city_id)
    elif kind is ScopeKind.district:
        columns.update(district_id=place.id, city_id=place.city_id)
    else:
        columns["city_id"] = place.id
    return columns


def resolve_place(author: Account, kind: str, code: str) -> tuple[str, str, dict]:
    """Check a notice's place (it exists and lies in the author's place); return kind, code, columns."""
    place = find_place(kind, code)
    if place is None:
        raise ValidationFailed("place_code", f"No {kind} {code}.", code="place_not_found")
    if not place_within(author.scope_kind, author.scope_id, kind, place.id):
        raise ValidationFailed(
            "place_code", "The notice's place must lie in your place.", code="place_out_of_scope"
        )
    return kind, code, columns_of(kind, place)


def place_id(notice: Notice) -> int:
    """Return the id of the notice's place at its own level."""
    return getattr(notice, SCOPE_COLUMNS[ScopeKind(notice.place_kind)])


def place_of(notice: Notice) -> dict | None:
    """Return {kind, code, name} of the notice's place."""
    return describe_place(notice.place_kind, place_id(notice))


def issuer(notice: Notice) -> str:
    """Return who the notice comes from, as its push names it: its place."""
    place = db.session.get(PLACE_MODELS[ScopeKind(notice.place_kind)], place_id(notice))
    return place.name if place is not None else "人社部门"


# ---- audience and links ------------------------------------------------------------------------


def check_audience(audience: str, value: str | None) -> str | None:
    """Check the audience's value (a key-group code, a staff role or none); return it cleaned."""
    value = (value or "").strip() or None
    if audience == A.key_group:
        if value not in {group.value for group in KeyGroup}:
            raise ValidationFailed(
                "audience_value", "Name one key group by its code.", code="audience_key_group_invalid"
            )
        return value
    if audience == A.staff:
        if value is not None and value not in {role.value for role in STAFF_ROLES}:
            raise ValidationFailed(
                "audience_value", "Name one staff role, or none for all.", code="audience_role_invalid"
            )
        return value
    if value is not None:
        raise ValidationFailed(
            "audience_value", f"The audience {audience} takes no value.", code="audience_takes_no_value"
        )
    return None


def check_links(event_id: int | None, policy_id: int | None) -> None:
    """Check the linked event and policy exist and are visible (an event not cancelled, a policy in force)."""
    if event_id is not None:
        event = db.session.get(Event, event_id)
        if event is None or event.status == "cancelled":
            raise ValidationFailed("event_id", f"No open event {event_id}.", code="event_not_found")
    if policy_id is not None:
        published = db.session.scalar(
            sa.select(PolicyVersion.id)
            .join(Policy, Policy.id == PolicyVersion.policy_id)
            .where(Policy.id == policy_id, PolicyVersion.status == PolicyVersionStatus.published.value)
        )
        if published is None:
            raise ValidationFailed("policy_id", f"No published policy {policy_id}.", code="policy_not_found")


# ---- who sees which ----------------------------------------------------------------------------


def placed_for(columns: dict):
    """Return the clause: a notice whose place contains the place given by these place columns."""
    levels = [
        sa.and_(Notice.place_kind == kind.value, getattr(Notice, column) == columns[column])
        for kind, column in SCOPE_COLUMNS.items()
        if columns.get(column) is not None
    ]
    return sa.or_(*levels) if levels else sa.false()


def _resident_audience(resident: Resident, today: date):
    """Return the clause of the audiences a resident belongs to."""
    groups = db.session.scalars(
        sa.select(ResidentKeyGroup.key_group).where(
            ResidentKeyGroup.resident_id == resident.id,
            sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= today),
        )
    ).all()
    open_resume = db.session.scalar(
        sa.select(Resume.open_to_work).where(Resume.resident_id == resident.id, Resume.open_to_work.is_(True))
    )
    audiences = [Notice.audience == A.residents.value]
    if open_resume or resident.employment_status in SEEKING_STATUSES:
        audiences.append(Notice.audience == A.seekers.value)
    if groups:
        audiences.append(sa.and_(Notice.audience == A.key_group.value, Notice.audience_value.in_(groups)))
    return sa.or_(*audiences)


def audience_place(account: Account, today: date):
    """Return the clause of the notices addressed to this account: its place and its audience."""
    if account.role == Role.resident:
        resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account.id))
        if resident is None:
            return sa.false()
        columns = {name: getattr(resident, name) for name in PLACE_COLUMN_NAMES}
        return sa.and_(placed_for(columns), _resident_audience(resident, today))
    if account.role == Role.employer:
        employer = db.session.scalar(sa.select(Employer).where(Employer.account_id == account.id))
        if employer is None:
            return sa.false()
        columns = {name: getattr(employer, name) for name in PLACE_COLUMN_NAMES}
        return sa.and_(placed_for(columns), Notice.audience == A.employers.value)
    if account.role in STAFF_ROLES and account.scope_kind and account.scope_id:
        place = db.session.get(PLACE_MODELS[ScopeKind(account.scope_kind)], account.scope_id)
        if place is None:
            return sa.false()
        return sa.and_(
            placed_for(columns_of(account.scope_kind, place)),
            Notice.audience == A.staff.value,
            sa.or_(Notice.audience_value.is_(None), Notice.audience_value == account.role),
        )
    return sa.false()


def live(today: date):
    """Return the clause of the notices out today: published and within their validity."""
    return sa.and_(
        Notice.status == S.published.value, Notice.valid_from <= today, Notice.valid_until >= today
    )


def managed(actor: Account):
    """Return the clause of the notices a staff member works on: in their place, others' drafts left out."""
    if actor.role not in STAFF_ROLES:
        return sa.false()
    return sa.and_(
        scope_clause(Notice, actor), sa.or_(Notice.status != S.draft.value, Notice.author_id == actor.id)
    )


def get_managed(actor: Account, notice_id: int, for_update: bool = False) -> Notice:
    """Return a notice the staff member works on, or 404 (never 403: nothing leaks)."""
    statement = sa.select(Notice).where(Notice.id == notice_id, managed(actor))
    if for_update:
        # Two reviewers at once (or the author editing while one reviews): the second waits here.
        statement = statement.with_for_update()
    notice = db.session.scalar(statement)
    if notice is None:
        raise NotFound(NOT_FOUND, f"No notice {notice_id} in your place.")
    return notice


def may_review(actor: Account, notice: Notice) -> bool:
    """Tell whether the actor may publish or return the notice: an admin over its place, not its author."""
    return (
        actor.role in REVIEW_ROLES
        and actor.id != notice.author_id
        and actor.scope_id is not None
        and place_within(actor.scope_kind, actor.scope_id, notice.place_kind, place_id(notice))
    )


def require_author_role(actor: Account) -> None:
    """Refuse a role that does not write notices."""
    if actor.role not in AUTHOR_ROLES:
        raise Forbidden("role_forbidden", "Your role does not write notices.")


def own_editable(actor: Account, notice_id: int) -> Notice:
    """Return the actor's own notice while it may still change (a draft, or returned), locked."""
    notice = get_managed(actor, notice_id, for_update=True)
    if notice.author_id != actor.id:
        raise Forbidden("not_author", "Only the notice's author changes it.")
    if notice.status not in EDITABLE:
        raise Conflict(
            "notice_status_conflict", f"A notice is changed as a draft or returned; this is {notice.status}."
        )
    return notice
