"""Zero-employment households (零就业家庭): found after every status change, helped, cleared.

A household is a zero-employment household when at least one member of working age is able
to work (in the labour force: employed, flexible, or unemployed, registered or not) and no
member is employed or in flexible employment. Students, the retired and those outside the
labour force are not able to work in this sense; a member without a known age is not counted.
"""

from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.auth import scope_clause
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    AssistanceAction,
    EmploymentStatus,
    GridAssignment,
    Household,
    Job,
    Resident,
    Role,
    ZeroEmploymentCase,
    utcnow,
)
from app.services.clock import local_day
from app.services.residents import age_of

WORKING = frozenset({EmploymentStatus.employed, EmploymentStatus.flexible})
LABOUR_FORCE = WORKING | {EmploymentStatus.unemployed, EmploymentStatus.unemployed_registered}


def is_zero_employment(members: list[Resident], today: date) -> bool:
    """Apply the rule to a household's members."""
    low, high = current_app.config["WORKING_AGE_MIN"], current_app.config["WORKING_AGE_MAX"]
    if any(member.employment_status in WORKING for member in members):
        return False
    return any(
        member.employment_status in LABOUR_FORCE
        and (age := age_of(member, today)) is not None
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


def recompute(household_id: int, source: str) -> bool:
    """Flag or clear a household after a change; open or close its assistance case. Returns the flag.

    Does not commit: it runs inside the transaction of the change that caused it.
    """
    # Locked, and the case read with a locking read: two changes at once in one household must
    # not open two cases (on MariaDB a plain read would see an older snapshot).
    household = db.session.get(Household, household_id, with_for_update=True)
    if household is None:
        return False
    members = list(db.session.scalars(sa.select(Resident).where(Resident.household_id == household_id)))
    today = local_day()
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


def _visible(statement, actor: Account):
    """Limit cases to the actor's place; a grid worker sees only assigned communities' cases."""
    statement = statement.where(scope_clause(ZeroEmploymentCase, actor))
    if actor.role == Role.grid_worker:
        statement = statement.where(
            ZeroEmploymentCase.community_id.in_(
                sa.select(GridAssignment.community_id).where(GridAssignment.account_id == actor.id)
            )
        )
    return statement


def list_cases(
    actor: Account, page: int, per_page: int, open_only: bool | None = True, community_id: int | None = None
) -> tuple[list[ZeroEmploymentCase], int]:
    """Return one page of cases in the actor's place, longest open first, and the total."""
    statement = _visible(sa.select(ZeroEmploymentCase), actor)
    if open_only is not None:
        cleared = ZeroEmploymentCase.cleared_at
        statement = statement.where(cleared.is_(None) if open_only else cleared.is_not(None))
    if community_id is not None:
        statement = statement.where(ZeroEmploymentCase.community_id == community_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    cases = db.session.scalars(
        statement.options(
            selectinload(ZeroEmploymentCase.household)
            .selectinload(Household.members)
            .selectinload(Resident.key_group_rows),
            selectinload(ZeroEmploymentCase.actions),
        )
        .order_by(ZeroEmploymentCase.opened_at, ZeroEmploymentCase.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(cases), total


def get_case(actor: Account, case_id: int) -> ZeroEmploymentCase:
    """Return one case in the actor's place, or 404."""
    case = db.session.scalar(
        _visible(sa.select(ZeroEmploymentCase), actor).where(ZeroEmploymentCase.id == case_id)
    )
    if case is None:
        raise NotFound("case_not_found", f"No zero-employment case {case_id} in your area.")
    return case


def days_open(case: ZeroEmploymentCase) -> int:
    """Return for how many days a case has been (or was) open."""
    return ((case.cleared_at or utcnow()) - case.opened_at).days


def add_action(actor: Account, case_id: int, values: dict) -> AssistanceAction:
    """Record help given to a household (a job recommended, training, a public-welfare post)."""
    if actor.role == Role.supervisor:
        raise Forbidden("role_forbidden", "Supervisors watch; they do not record help.")
    case = get_case(actor, case_id)
    if case.cleared_at is not None:
        raise Conflict("case_cleared", "This household has work again; its case is closed.")
    if values.get("job_id") is not None and db.session.get(Job, values["job_id"]) is None:
        raise ValidationFailed("job_id", f"No job {values['job_id']}.", code="job_not_found")
    if values.get("resident_id") is not None:
        member = db.session.get(Resident, values["resident_id"])
        if member is None or member.household_id != case.household_id:
            raise ValidationFailed(
                "resident_id", "This person is not a member of the household.", code="not_a_member"
            )
    action = AssistanceAction(
        case_id=case.id,
        kind=values["kind"],
        note=values.get("note"),
        job_id=values.get("job_id"),
        resident_id=values.get("resident_id"),
        actor_id=actor.id,
    )
    db.session.add(action)
    db.session.commit()
    return action
