"""Accepted circle filings taking effect, and each community's circle over time.

Applying a filing on its day moves what it covers into its circle: communities (and their
circle_memberships: the open row closed the day before, a new one opened that day), townships and
stations; the circle takes the filing's name, centre and operator and becomes active; a circle
left with no community is retired. People's current rows (residents, households) follow their
community; event rows (visits, check-ins, snapshots, ...) keep the circle they were written with,
so past figures stay where they were. A filing accepted after its effective day takes effect on
the day it is accepted: history is never rewritten backwards.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.errors import NotFound
from app.extensions import db
from app.models import (
    Account,
    Circle,
    CircleFiling,
    CircleMembership,
    CircleStatus,
    Community,
    District,
    Employer,
    FilingStatus,
    Household,
    Job,
    PolicyMatch,
    Resident,
    Role,
    Station,
    Township,
    ZeroEmploymentCase,
    utcnow,
)
from app.services.people import audit
from app.services.people.places import find_place
from app.services.programme.circle_coverage import covered_communities
from app.services.programme.operators import require_role

READ_ROLES = frozenset({Role.city_admin, Role.district_admin, Role.supervisor, Role.operator})


# The rows that say where something is now (a person, a household, a business and its jobs, an
# open case, a policy match on a working list): they follow their community into its new circle,
# so staff of that circle find them. Rows that record something done (visits, check-ins, pushes,
# registrations, claims, snapshots, spot-checks...) keep the circle they were written with: the
# past figures stay where they were.
FOLLOWING_MODELS = (Resident, Household, Employer, Job, ZeroEmploymentCase, PolicyMatch)


def move_community(community: Community, circle_id: int | None, day: date, filing_id: int | None) -> None:
    """Put a community in a circle (or none) from `day`: close its open membership, open the next."""
    current = db.session.scalar(
        sa.select(CircleMembership)
        .where(CircleMembership.community_id == community.id, CircleMembership.valid_to.is_(None))
        .order_by(CircleMembership.valid_from.desc())
        .limit(1)
    )
    if current is not None and current.circle_id == circle_id:
        community.circle_id = circle_id
        return
    if current is not None:
        if current.valid_from >= day:
            # It began today: a second change the same day replaces it, leaving no empty span.
            db.session.delete(current)
        else:
            current.valid_to = day - timedelta(days=1)
    if circle_id is not None:
        db.session.add(
            CircleMembership(
                community_id=community.id, circle_id=circle_id, valid_from=day, filing_id=filing_id
            )
        )
    community.circle_id = circle_id


def apply_filing(filing: CircleFiling, day: date) -> dict:
    """Put an accepted filing in force from `day` (in the caller's transaction); return what moved."""
    circle = db.session.get(Circle, filing.circle_id)
    covered = covered_communities(filing)
    communities = db.session.scalars(
        sa.select(Community).where(sa.or_(Community.id.in_(covered), Community.circle_id == circle.id))
    ).all()
    moved, left_circles = [], set()
    for community in communities:
        target = circle.id if community.id in covered else None
        if community.circle_id != target:
            if community.circle_id is not None and community.circle_id != circle.id:
                left_circles.add(community.circle_id)
            moved.append(community.id)
        move_community(community, target, day, filing.id)
    for township in db.session.scalars(
        sa.select(Township).where(
            sa.or_(Township.id.in_(filing.township_ids or []), Township.circle_id == circle.id)
        )
    ):
        target = circle.id if township.id in (filing.township_ids or []) else None
        if township.circle_id not in (None, circle.id):
            left_circles.add(township.circle_id)
        township.circle_id = target
    if filing.station_ids:
        for station in db.session.scalars(sa.select(Station).where(Station.id.in_(filing.station_ids))):
            if station.circle_id != circle.id:
                left_circles.add(station.circle_id)
                station.circle_id = circle.id
    # Rows that describe the present follow their community; event rows keep theirs.
    if moved:
        for model in FOLLOWING_MODELS:
            db.session.execute(
                sa.update(model)
                .where(model.community_id.in_(moved))
                .values(
                    circle_id=sa.select(Community.circle_id)
                    .where(Community.id == model.community_id)
                    .scalar_subquery()
                )
                .execution_options(synchronize_session=False)
            )
    circle.name = filing.name
    circle.centre_lat, circle.centre_lng = filing.centre_lat, filing.centre_lng
    circle.operator_id = filing.operator_id
    circle.status = CircleStatus.active.value
    circle.effective_from = day
    circle.retired_on = None
    retired = _retire_empty(left_circles - {circle.id}, day)
    filing.status = FilingStatus.applied.value
    filing.applied_at = utcnow()
    db.session.flush()
    audit.record(
        "circle_filing.apply",
        actor_label="system",
        object_type="circle_filing",
        object_id=filing.id,
        detail={"circle_id": circle.id, "day": day.isoformat(), "moved": len(moved), "retired": retired},
    )
    return {"moved": len(moved), "retired": retired}


def _retire_empty(circle_ids: set[int], day: date) -> list[int]:
    """Retire the circles among `circle_ids` that no community belongs to any more."""
    db.session.flush()
    retired = []
    for circle in db.session.scalars(sa.select(Circle).where(Circle.id.in_(circle_ids)).order_by(Circle.id)):
        if circle.status != CircleStatus.active.value:
            continue
        if (
            db.session.scalar(sa.select(Community.id).where(Community.circle_id == circle.id).limit(1))
            is None
        ):
            circle.status = CircleStatus.retired.value
            circle.retired_on = day
            retired.append(circle.id)
    return retired


def apply_due(day: date | None = None) -> int:
    """Apply every accepted filing due on or before `day` (default today), oldest first, each committed."""
    day = day or local_day()
    ids = db.session.scalars(
        sa.select(CircleFiling.id)
        .where(CircleFiling.status == FilingStatus.accepted.value, CircleFiling.effective_from <= day)
        .order_by(CircleFiling.effective_from, CircleFiling.id)
    ).all()
    applied = 0
    for filing_id in ids:
        # Locked and checked again: a second worker (or a retried task) applies it once.
        filing = db.session.scalar(
            sa.select(CircleFiling).where(CircleFiling.id == filing_id).with_for_update()
        )
        if filing is None or filing.status != FilingStatus.accepted.value:
            db.session.rollback()
            continue
        # A late run still dates the change on its effective day (never before the acceptance).
        accepted_on = local_day(filing.decided_at) if filing.decided_at else day
        apply_filing(filing, max(filing.effective_from, accepted_on))
        db.session.commit()
        applied += 1
    return applied


def _membership_rows(statement) -> list[dict]:
    rows = db.session.execute(
        statement.join(Community, Community.id == CircleMembership.community_id)
        .join(Circle, Circle.id == CircleMembership.circle_id)
        .join(District, District.id == Circle.district_id)
        .add_columns(
            Community.code, Community.name, Circle.key, Circle.name.label("circle_name"), District.short_code
        )
        .order_by(CircleMembership.valid_from, CircleMembership.id)
    ).all()
    return [
        {
            "community": {"code": row.code, "name": row.name},
            "circle": {"code": f"{row.short_code}-{row.key}", "name": row.circle_name},
            "valid_from": row.CircleMembership.valid_from,
            "valid_to": row.CircleMembership.valid_to,
            "filing_id": row.CircleMembership.filing_id,
        }
        for row in rows
    ]


def _check_place(actor: Account, district_id: int, circle_ids: set[int]) -> bool:
    """Tell whether the actor's place holds the district (or, circle-scoped, one of the circles)."""
    if actor.scope_kind == "city":
        return True
    if actor.scope_kind == "district":
        return actor.scope_id == district_id
    if actor.scope_kind == "circle":
        return actor.scope_id in circle_ids
    return False


def circle_history(actor: Account, circle_id: int) -> dict:
    """Return a circle's communities over time and its filings, for those who read its district."""
    require_role(actor, READ_ROLES, "read circle history")
    circle = db.session.get(Circle, circle_id)
    if circle is None or not _check_place(actor, circle.district_id, {circle.id}):
        raise NotFound("circle_not_found", f"No circle {circle_id} in your area.")
    district = db.session.get(District, circle.district_id)
    filings = db.session.execute(
        sa.select(CircleFiling.id, CircleFiling.status, CircleFiling.effective_from, CircleFiling.applied_at)
        .where(CircleFiling.circle_id == circle.id)
        .order_by(CircleFiling.id)
    ).all()
    return {
        "circle": {
            "id": circle.id,
            "code": f"{district.short_code}-{circle.key}",
            "name": circle.name,
            "status": circle.status,
            "effective_from": circle.effective_from,
            "retired_on": circle.retired_on,
            "operator_id": circle.operator_id,
        },
        "memberships": _membership_rows(
            sa.select(CircleMembership).where(CircleMembership.circle_id == circle.id)
        ),
        "filings": [dict(row._mapping) for row in filings],
    }


def community_history(actor: Account, community_code: str) -> dict:
    """Return the circles a community belonged to over time (404 outside the actor's place)."""
    require_role(actor, READ_ROLES, "read circle history")
    community = find_place("community", community_code)
    if community is None:
        raise NotFound("community_not_found", f"No community {community_code} in your area.")
    circles = set(
        db.session.scalars(
            sa.select(CircleMembership.circle_id).where(CircleMembership.community_id == community.id)
        )
    )
    if not _check_place(actor, community.township.district_id, circles | {community.circle_id}):
        raise NotFound("community_not_found", f"No community {community_code} in your area.")
    return {
        "community": {"code": community.code, "name": community.name},
        "memberships": _membership_rows(
            sa.select(CircleMembership).where(CircleMembership.community_id == community.id)
        ),
    }
