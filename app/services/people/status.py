"""The ledger core: employment status changes, key groups, and the zero-employment flag they decide.

`record_status` is the only way a resident's employment status changes; each change is appended
to the history with its source. Key groups are periods. A household is a zero-employment
household (零就业家庭) when at least one member of working age is able to work (in the labour
force: employed, flexible, or unemployed, registered or not) and no member is employed or in
flexible employment; students, the retired and those outside the labour force are not able to
work in this sense, and a member without a known age is not counted. The flag and its assistance
case follow every change here, in the same transaction; the case work itself (lists, help given)
is the grid wing's (services/grid/zero_employment.py).
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day
from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    STAFF_ROLES,
    Account,
    EmploymentStatus,
    GridAssignment,
    Household,
    KeyGroup,
    Resident,
    ResidentKeyGroup,
    StatusChange,
    StatusSource,
    ZeroEmploymentCase,
    utcnow,
)

WORKING = frozenset({EmploymentStatus.employed, EmploymentStatus.flexible})
LABOUR_FORCE = WORKING | {EmploymentStatus.unemployed, EmploymentStatus.unemployed_registered}


def record_status(
    resident: Resident,
    status: str,
    source: str,
    actor: Account | None = None,
    note: str | None = None,
    occurred_at: datetime | None = None,
    recompute_household: bool = True,
) -> StatusChange | None:
    """Change a resident's employment status and append it to the history.

    The only way a status changes. Returns None (and writes nothing) when the status is
    already `status`. Registered unemployment brings the `registered_unemployed` key group
    with it, and the household's zero-employment flag is recomputed. Does not commit: the
    caller's transaction holds the change. A caller changing several members at once passes
    recompute_household=False and recomputes once at the end.
    """
    status = EmploymentStatus(status).value
    source = StatusSource(source).value
    if resident.employment_status == status:
        return None
    change = StatusChange(
        resident=resident,
        from_status=resident.employment_status,
        to_status=status,
        source=source,
        actor_id=actor.id if actor is not None else None,
        note=note,
        occurred_at=occurred_at or utcnow(),
    )
    db.session.add(change)
    was_registered = resident.employment_status == EmploymentStatus.unemployed_registered
    resident.employment_status = status
    # The registered_unemployed key group follows the status (失业登记 ⇔ 登记失业人员).
    if status == EmploymentStatus.unemployed_registered:
        add_key_group(resident, KeyGroup.registered_unemployed, source, actor)
    elif was_registered:
        end_key_group(resident, KeyGroup.registered_unemployed)
    if recompute_household and resident.household_id is not None:
        recompute(resident.household_id, source)
    return change


# ---- key groups -----------------------------------------------------------------------------


def _key_group_row(resident: Resident, group: KeyGroup) -> ResidentKeyGroup | None:
    return next((row for row in resident.key_group_rows if row.key_group == group.value), None)


def years_from(day: date, years: int) -> date:
    """Return the same day `years` later (earlier when negative); 29 February falls on the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def check_period(since: date | None, until: date | None, today: date, field: str = "until") -> None:
    """Refuse (422) a key-group period that starts in the future or ends before it starts."""
    if since is not None and since > today:
        raise ValidationFailed("since", "A key-group period cannot start after today.", "since_in_future")
    if since is not None and until is not None and until < since:
        message = f"A key-group period cannot end ({until}) before it starts ({since})."
        raise ValidationFailed(field, message, "period_reversed")


def add_key_group(
    resident: Resident,
    group: KeyGroup,
    source: str,
    actor: Account | None = None,
    since: date | None = None,
) -> ResidentKeyGroup:
    """Start (or restart) a key-group period; staff who set it are its verifier.

    A college graduate counts until GRADUATE_KEY_GROUP_YEARS after `since` (the graduation
    day when known, else today).
    """
    today = local_day()
    check_period(since, None, today)
    row = _key_group_row(resident, group)
    if row is not None and row.is_current(today) and row.since is not None:
        return row
    if group == KeyGroup.college_graduate and row is not None and row.since is not None:
        # Graduating happens once: listing the group again must not restart its two years.
        return row
    if row is None:
        row = ResidentKeyGroup(key_group=group.value)
        resident.key_group_rows.append(row)
    row.since = since or today
    row.until = None
    if group == KeyGroup.college_graduate:
        row.until = graduate_until(row.since)
    row.source = StatusSource(source).value
    row.verified_by_id = actor.id if actor is not None and actor.role in STAFF_ROLES else None
    return row


def graduate_until(since: date) -> date:
    """Return a college graduate's last day in the group: GRADUATE_KEY_GROUP_YEARS after `since`, less one."""
    return years_from(since, current_app.config["GRADUATE_KEY_GROUP_YEARS"]) - timedelta(days=1)


def end_key_group(resident: Resident, group: KeyGroup) -> None:
    """End a current key-group period: it applied until yesterday (the row keeps the period).

    A period that began today never applied: its row is removed rather than made to end
    before it starts (the history of statuses keeps what happened).
    """
    today = local_day()
    row = _key_group_row(resident, group)
    if row is None or not row.is_current(today):
        return
    if row.since is not None and row.since >= today:
        resident.key_group_rows.remove(row)  # delete-orphan: the row goes with the flush
        return
    row.until = today - timedelta(days=1)


def set_key_groups(
    resident: Resident,
    groups: list[str],
    allowed: frozenset | None = None,
    field: str = "key_groups",
    source: str = StatusSource.staff,
    actor: Account | None = None,
) -> None:
    """Make the resident's current key groups exactly `groups` (only `allowed` may change when given)."""
    wanted = set()
    for group in groups:
        try:
            wanted.add(KeyGroup(group))
        except ValueError:
            raise ValidationFailed(field, f"Unknown key group '{group}'.") from None
    today = local_day()
    current = {KeyGroup(row.key_group) for row in resident.key_group_rows if row.is_current(today)}
    if allowed is not None and (wanted ^ current) - allowed:
        names = ", ".join(sorted(g.value for g in (wanted ^ current) - allowed))
        raise ValidationFailed(
            field, f"Only staff can set or clear: {names}.", code="key_group_not_self_declarable"
        )
    for group in sorted(current - wanted):
        end_key_group(resident, group)
    for group in sorted(wanted - current):
        add_key_group(resident, group, source, actor)


# ---- the zero-employment flag ---------------------------------------------------------------


def is_zero_employment(members: list[Resident], today: date) -> bool:
    """Apply the rule to a household's members."""
    low, high = current_app.config["WORKING_AGE_MIN"], current_app.config["WORKING_AGE_MAX"]
    if any(member.employment_status in WORKING for member in members):
        return False
    return any(
        member.employment_status in LABOUR_FORCE
        and (age := member.age(today)) is not None
        and low <= age <= high
        for member in members
    )


def grid_worker_of(community_id: int | None) -> int | None:
    """Return the grid worker a community's cases go to (the first assigned, by account id)."""
    if community_id is None:
        return None
    return db.session.scalar(
        sa.select(GridAssignment.account_id)
        .join(Account, Account.id == GridAssignment.account_id)
        .where(GridAssignment.community_id == community_id, Account.is_active.is_(True))
        .order_by(GridAssignment.account_id)
        .limit(1)
    )


def open_case(household_id: int) -> ZeroEmploymentCase | None:
    """Return the household's open case, if any (a locking read: see recompute)."""
    return db.session.scalar(
        sa.select(ZeroEmploymentCase)
        .where(ZeroEmploymentCase.household_id == household_id, ZeroEmploymentCase.cleared_at.is_(None))
        .order_by(ZeroEmploymentCase.id)
        .limit(1)
        .with_for_update()
    )


def recompute(household_id: int, source: str, today: date | None = None) -> bool:
    """Flag or clear a household after a change; open or close its assistance case. Returns the flag.

    Does not commit: it runs inside the transaction of the change that caused it.
    """
    # Locked, and the case read with a locking read: two changes at once in one household must
    # not open two cases (on MariaDB a plain read would see an older snapshot).
    household = db.session.get(Household, household_id, with_for_update=True)
    if household is None:
        return False
    members = list(db.session.scalars(sa.select(Resident).where(Resident.household_id == household_id)))
    today = today or local_day()
    zero = is_zero_employment(members, today)
    case = open_case(household_id)
    if zero:
        if household.zero_employment_since is None:
            household.zero_employment_since = today
        if case is None:
            db.session.add(
                ZeroEmploymentCase(
                    household_id=household_id,
                    opened_at=utcnow(),
                    assigned_to_id=grid_worker_of(household.community_id),
                    **{name: getattr(household, name) for name in PLACE_COLUMN_NAMES},
                )
            )
    else:
        household.zero_employment_since = None
        if case is not None:
            case.cleared_at, case.cleared_source = utcnow(), source
    return zero


def in_zero_employment_household(resident_ids: list[int]) -> set[int]:
    """Return which of these residents live in a household flagged zero-employment (by the rule above)."""
    return set(
        db.session.scalars(
            sa.select(Resident.id)
            .join(Household, Household.id == Resident.household_id)
            .where(Resident.id.in_(resident_ids), Household.zero_employment_since.is_not(None))
        )
    )


def in_key_group(resident_ids: list[int], group: KeyGroup, today: date | None = None) -> set[int]:
    """Return which of these residents are in a key group on `today` (default the city's today)."""
    today = today or local_day()
    return set(
        db.session.scalars(
            sa.select(ResidentKeyGroup.resident_id).where(
                ResidentKeyGroup.resident_id.in_(resident_ids),
                ResidentKeyGroup.key_group == group.value,
                sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= today),
            )
        )
    )
