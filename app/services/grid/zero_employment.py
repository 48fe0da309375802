"""Zero-employment cases: the households staff help until a member has work again.

The rule that flags a household, and opens or clears its case, runs on every status change and
lives with the ledger core (services/people/status.py); here are the lists and the help given.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    AssistanceAction,
    Household,
    Job,
    Resident,
    Role,
    ZeroEmploymentCase,
    utcnow,
)
from app.services.people.places import community_by_code
from app.services.people.scoping import worked_on
from app.services.results import Page, RowWith, paginate


def list_cases(
    actor: Account, page: int, per_page: int, open_only: bool | None = True, community: str | None = None
) -> Page:
    """Return one page of cases in the actor's place, longest open first, and the total."""
    statement = worked_on(sa.select(ZeroEmploymentCase), ZeroEmploymentCase, actor)
    if open_only is not None:
        cleared = ZeroEmploymentCase.cleared_at
        statement = statement.where(cleared.is_(None) if open_only else cleared.is_not(None))
    if community:
        statement = statement.where(
            ZeroEmploymentCase.community_id == community_by_code(community, "community").id
        )
    found = paginate(
        statement,
        page,
        per_page,
        order_by=(ZeroEmploymentCase.opened_at, ZeroEmploymentCase.id),
        options=(
            selectinload(ZeroEmploymentCase.household)
            .selectinload(Household.members)
            .selectinload(Resident.key_group_rows),
            selectinload(ZeroEmploymentCase.actions),
        ),
    )
    found.items = [_shown(case) for case in found.items]
    return found


def get_case(actor: Account, case_id: int) -> RowWith:
    """Return one case in the actor's place with its days open, or 404."""
    case = db.session.scalar(
        worked_on(sa.select(ZeroEmploymentCase), ZeroEmploymentCase, actor).where(
            ZeroEmploymentCase.id == case_id
        )
    )
    if case is None:
        raise NotFound("case_not_found", f"No zero-employment case {case_id} in your area.")
    return _shown(case)


def days_open(case: ZeroEmploymentCase) -> int:
    """Return for how many days a case has been (or was) open."""
    return ((case.cleared_at or utcnow()) - case.opened_at).days


def _shown(case: ZeroEmploymentCase) -> RowWith:
    """Return a case as staff see it: with the days it has been open."""
    return RowWith(case, days_open=days_open(case))


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
