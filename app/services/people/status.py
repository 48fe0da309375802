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
    Account,
    Certification,
    EmploymentStatus,
    EndingReason,
    GridAssignment,
    Household,
    KeyGroup,
    Registration,
    RegistrationStatus,
    Resident,
    ResidentKeyGroup,
    StatusChange,
    StatusSource,
    ZeroEmploymentCase,
    utcnow,
)
from app.queues import enqueue_after_commit
from app.services.people.facts_changed import facts_changed, household_changed
from app.services.people.province_outbox import note_for_province

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
    note_for_province("person_status", "person", resident, change, "create")
    was_registered = resident.employment_status == EmploymentStatus.unemployed_registered
    resident.employment_status = status
    facts_changed(resident)  # policies re-match the person after the commit
    # The registered_unemployed key group follows the status (失业登记 ⇔ 登记失业人员).
    if status == EmploymentStatus.unemployed_registered:
        add_key_group(resident, KeyGroup.registered_unemployed, source, actor)
    elif was_registered:
        end_key_group(resident, KeyGroup.registered_unemployed)
    # An unemployment registration (失业登记) does not outlive the status it stands for.
    if status in WORKING or was_registered:
        end_unemployment_registration(resident, status, source, actor)
    if recompute_household and resident.household_id is not None:
        recompute(resident.household_id, source)
    return change


# Why an open unemployment registration ends when the ledger moves on, by the change's source.
REGISTRATION_ENDINGS = {
    StatusSource.hire: EndingReason.hired,
    StatusSource.registration: EndingReason.registered_employed,
}


def end_unemployment_registration(
    resident: Resident, status: str, source: str, actor: Account | None
) -> None:
    """End the open unemployment registration once the ledger stops saying registered unemployed.

    Started work (a hire through the platform, an employment registration, a report, a visit)
    ends it whatever its stage; any other move off `unemployed_registered` ends one in effect.
    Here, beside record_status, because the wings that hire (jobs) sit below registrations and
    cannot call it; the registrations wing (services/registrations) owns every other step.
    """
    if resident.id is None:
        return  # a resident made in this transaction (an import's new member) has no registration
    # Without flushing the change under way (a bulk import's); a registration the caller closed
    # in this transaction is the same object, seen closed below.
    with db.session.no_autoflush:
        registration = db.session.scalar(
            # The registrations wing's open key: "<resident id>:<kind>" while open.
            sa.select(Registration).where(Registration.open_key == f"{resident.id}:unemployment")
        )
    if registration is None or registration.open_key is None:
        return
    if status not in WORKING and registration.status != RegistrationStatus.accepted:
        return
    reason = REGISTRATION_ENDINGS.get(StatusSource(source), EndingReason.status_changed)
    registration.status, registration.open_key = RegistrationStatus.ended.value, None
    registration.ended_at, registration.ended_on = utcnow(), local_day()
    registration.ending_reason = reason.value
    registration.ending_note = f"{status} ({source})"
    registration.ended_by_id = actor.id if actor is not None else None
    note_for_province("unemployment_registration", "person", resident, registration, "close")
    note = "已就业" if status in WORKING else "就业状态已变更"
    key = f"unemployment_registration:{registration.id}:ended"
    page = "pages/registrations/index"  # the resident's registrations in the mini-program
    enqueue_after_commit("push.notify_record", resident.id, "失业登记", key, "已终止", note, page)


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
    certification: Certification | None = None,
) -> ResidentKeyGroup:
    """Start (or restart) a key-group period.

    Only a `certification` (a reviewer's decision on evidence) makes it certified: its reviewer
    is the verifier and its validity the period. Set by staff without one, the group counts but
    is not verified. A college graduate counts until GRADUATE_KEY_GROUP_YEARS after `since` (the
    graduation day when known, else today).
    """
    today = local_day()
    check_period(since, None, today)
    facts_changed(resident)
    row = _key_group_row(resident, group)
    if certification is not None:
        return _certify_row(resident, group, row, certification, today)
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
    # Set by hand (staff, the resident, a rule), a group rests on no evidence: not verified.
    row.verified_by_id = row.certification_id = row.registration_id = None
    return row


def _certify_row(
    resident: Resident,
    group: KeyGroup,
    row: ResidentKeyGroup | None,
    certification: Certification,
    today: date,
) -> ResidentKeyGroup:
    """Make the period the certification's: valid_from (or earlier, when current already) to valid_until."""
    if row is None:
        row = ResidentKeyGroup(key_group=group.value)
        resident.key_group_rows.append(row)
    start = certification.valid_from or today
    if not (row.is_current(today) and row.since is not None and row.since <= start):
        row.since = start
    row.until = certification.valid_until
    row.source = StatusSource.staff.value
    row.verified_by_id = certification.reviewer_id
    row.certification_id = certification.id
    row.registration_id = None
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
    facts_changed(resident)
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
    if KeyGroup.long_term_unemployed in wanted ^ current:
        message = "Long-term unemployment is worked out each day from the status history."
        raise ValidationFailed(field, message, code="key_group_computed")
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
    if zero != (household.zero_employment_since is not None):
        household_changed(household_id)  # every member's zero_employment_household fact moves
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
