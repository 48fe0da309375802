"""Assignment: which communities a grid worker works on (and so whose households they see)."""

import sqlalchemy as sa

from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.models import Account, Community, GridAssignment, Role, ZeroEmploymentCase
from app.services.people import audit
from app.services.people.places import community_by_code, place_columns
from app.services.people.scoping import in_scope
from app.services.people.staff import get_staff
from app.services.people.status import grid_worker_of

# Who assigns grid workers: operators and the admins above them (the plan: the operator runs the circle).
ASSIGN_ROLES = frozenset({Role.operator, Role.township_admin, Role.district_admin, Role.city_admin})


def _grid_worker(actor: Account, account_id: int) -> Account:
    """Return a grid worker the actor manages (see staff.get_staff), or 404."""
    worker = get_staff(actor, account_id)
    if worker.role != Role.grid_worker:
        raise ValidationFailed("account_id", "This account is not a grid worker.", code="not_a_grid_worker")
    return worker


def communities_of(account_id: int) -> list[Community]:
    """Return the communities assigned to a grid worker, by code."""
    return list(
        db.session.scalars(
            sa.select(Community)
            .join(GridAssignment, GridAssignment.community_id == Community.id)
            .where(GridAssignment.account_id == account_id)
            .order_by(Community.code)
        )
    )


def set_communities(actor: Account, account_id: int, codes: list[str], ip: str | None = None) -> dict:
    """Make a grid worker's communities exactly `codes`, each inside the actor's and the worker's place."""
    if actor.role not in ASSIGN_ROLES:
        raise Forbidden("role_forbidden", "Your role may not assign grid workers.")
    worker = _grid_worker(actor, account_id)
    wanted = []
    for code in dict.fromkeys(codes):
        community = community_by_code(code, "community_codes")
        columns = place_columns(community)
        for who, label in ((actor, "your area"), (worker, "the grid worker's area")):
            if not in_scope(columns, who):
                raise ValidationFailed(
                    "community_codes", f"Community {code} is outside {label}.", code="community_out_of_scope"
                )
        wanted.append(community)
    db.session.execute(sa.delete(GridAssignment).where(GridAssignment.account_id == worker.id))
    for community in wanted:
        db.session.add(
            GridAssignment(account_id=worker.id, community_id=community.id, assigned_by_id=actor.id)
        )
    db.session.flush()
    # Open cases follow the assignment: those of communities the worker left go to whoever
    # works there now, and those nobody (working there) had go to this worker.
    for case in db.session.scalars(
        sa.select(ZeroEmploymentCase).where(
            ZeroEmploymentCase.cleared_at.is_(None),
            sa.or_(
                ZeroEmploymentCase.assigned_to_id == worker.id,
                ZeroEmploymentCase.community_id.in_([community.id for community in wanted]),
            ),
        )
    ):
        holders = set(
            db.session.scalars(
                sa.select(GridAssignment.account_id).where(GridAssignment.community_id == case.community_id)
            )
        )
        if case.assigned_to_id not in holders:
            case.assigned_to_id = grid_worker_of(case.community_id)
    # Assignments decide who sees residents' data: audited like staff changes.
    audit.commit(
        "grid.assign",
        actor=actor,
        object_type="account",
        object_id=worker.id,
        ip=ip,
        detail={"communities": [community.code for community in wanted]},
    )
    return {"account_id": worker.id, "communities": communities_of(worker.id)}


def get_communities(actor: Account, account_id: int) -> dict:
    """Return a grid worker's communities (to the worker, and to staff who manage them)."""
    if account_id == actor.id and actor.role == Role.grid_worker:
        return {"account_id": account_id, "communities": communities_of(actor.id)}
    return {"account_id": account_id, "communities": communities_of(_grid_worker(actor, account_id).id)}
