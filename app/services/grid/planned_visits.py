"""Planned visits (预约走访): a grid worker tells a household beforehand when they will come.

Planning one enqueues, after its commit, a visit_notice to each member of the household
("push.notify_planned_visit"; once per person and planned visit). Recording any visit to the
household afterwards marks its planned visits done (visits.py); the worker may cancel one
still planned. A repeated plan (the same client_id) returns the first.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Household,
    PlannedVisit,
    PlannedVisitStatus,
    Role,
    Visit,
    utcnow,
)
from app.queues import enqueue_after_commit
from app.services.people.scoping import worked_on
from app.services.results import Page, paginate

# Who plans visits: whoever records them (visits.VISIT_ROLES).
PLAN_ROLES = frozenset({Role.grid_worker, Role.operator})


def _check_role(actor: Account) -> None:
    if actor.role not in PLAN_ROLES:
        raise Forbidden("role_forbidden", "Your role may not plan visits.")


def _by_client_id(actor_id: int, client_id: str) -> PlannedVisit | None:
    return db.session.scalar(
        sa.select(PlannedVisit).where(PlannedVisit.worker_id == actor_id, PlannedVisit.client_id == client_id)
    )


def plan(actor: Account, values: dict) -> tuple[PlannedVisit, bool]:
    """Plan a visit to a household the actor works on; return it and whether it is new."""
    _check_role(actor)
    actor_id = actor.id
    found = _by_client_id(actor_id, values["client_id"])
    if found is not None:
        return found, False
    now = utcnow()
    planned_at = values["planned_at"]
    if planned_at < now - timedelta(minutes=5):
        raise ValidationFailed("planned_at", "A visit is planned for a time to come.", code="planned_at_past")
    ahead = current_app.config["PLANNED_VISIT_MAX_DAYS"]
    if planned_at > now + timedelta(days=ahead):
        raise ValidationFailed(
            "planned_at", f"Plan a visit at most {ahead} days ahead.", code="planned_at_too_far"
        )
    household = db.session.scalar(
        worked_on(sa.select(Household), Household, actor).where(Household.id == values["household_id"])
    )
    if household is None:
        raise ValidationFailed(
            "household_id", f"No household {values['household_id']} in your area.", code="household_not_found"
        )
    row = PlannedVisit(
        household_id=household.id,
        worker_id=actor_id,
        client_id=values["client_id"],
        planned_at=planned_at,
        note=values.get("note"),
        status=PlannedVisitStatus.planned.value,
        **{name: getattr(household, name) for name in PLACE_COLUMN_NAMES},
    )
    db.session.add(row)
    try:
        db.session.flush()
        enqueue_after_commit("push.notify_planned_visit", row.id)
        db.session.commit()
    except IntegrityError:  # the same plan sent twice at once: the first one stands
        db.session.rollback()
        found = _by_client_id(actor_id, values["client_id"])
        if found is None:
            raise
        return found, False
    return row, True


def list_mine(actor: Account, status: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Return one page of the actor's planned visits, soonest first."""
    _check_role(actor)
    statement = sa.select(PlannedVisit).where(PlannedVisit.worker_id == actor.id)
    if status is not None:
        statement = statement.where(PlannedVisit.status == status)
    return paginate(statement, page, per_page, order_by=(PlannedVisit.planned_at, PlannedVisit.id))


def cancel(actor: Account, planned_visit_id: int) -> PlannedVisit:
    """Cancel one of the actor's planned visits (again: the same answer; done: 409 planned_visit_done)."""
    _check_role(actor)
    row = db.session.scalar(
        sa.select(PlannedVisit).where(PlannedVisit.id == planned_visit_id, PlannedVisit.worker_id == actor.id)
    )
    if row is None:
        raise NotFound("planned_visit_not_found", f"No planned visit {planned_visit_id} of yours.")
    if row.status == PlannedVisitStatus.done:
        raise Conflict("planned_visit_done", "This visit took place; it cannot be cancelled.")
    row.status = PlannedVisitStatus.cancelled.value
    db.session.commit()
    return row


def mark_done(visit: Visit) -> int:
    """Mark the household's planned visits done by a visit just recorded (in the caller's transaction).

    Any channel and outcome counts: the worker came (or called) as announced.
    """
    result = db.session.execute(
        sa.update(PlannedVisit)
        .where(
            PlannedVisit.household_id == visit.household_id,
            PlannedVisit.status == PlannedVisitStatus.planned.value,
            # An offline visit from before the plan, sent only now, is not the visit planned.
            PlannedVisit.created_at <= visit.visited_at,
        )
        .values(status=PlannedVisitStatus.done.value, visit_id=visit.id, updated_at=utcnow())
    )
    return result.rowcount
