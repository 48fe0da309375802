"""The working list (待申领名单): people in my place who qualify for a policy and have not claimed it.

Grid workers see the communities assigned to them, station staff and township, district and
city admins their place (services/people/scoping.py). Each row: the person (name, masked ID
number and phone: nobody's full data is read here, so nothing is audited), the policy, why they
qualify (the trace's texts as matched), the estimated amount and the claim deadline, soonest
deadline first; a match past its deadline is no longer on it.
"""

import sqlalchemy as sa

from app.common.clock import local_day
from app.errors import Forbidden
from app.extensions import db
from app.models import Account, Resident, Role
from app.models.policies import Policy, PolicyVersion, PolicyVersionStatus
from app.models.policy_matches import MatchStatus, PolicyMatch
from app.services.people.scoping import worked_on
from app.services.results import Page, RowWith, paginate

ROLES = frozenset(
    {Role.grid_worker, Role.station_staff, Role.township_admin, Role.district_admin, Role.city_admin}
)


def reasons(trace: list) -> list[str]:
    """Return the trace's texts of the conditions that held: why the person qualifies."""
    return [item.get("text") for item in trace or [] if item.get("held") and item.get("text")]


def rows(actor: Account, page: int = 1, per_page: int = 20, policy_id: int | None = None) -> Page:
    """Return a page of the qualified, unclaimed person matches in my place, soonest deadline first."""
    if actor.role not in ROLES:
        raise Forbidden(
            "role_not_allowed", "Grid workers, station staff and administrators use the working list."
        )
    statement = (
        sa.select(PolicyMatch)
        .join(PolicyVersion, PolicyVersion.id == PolicyMatch.policy_version_id)
        .where(
            PolicyMatch.status == MatchStatus.qualified.value,
            PolicyMatch.resident_id.is_not(None),
            PolicyVersion.status == PolicyVersionStatus.published.value,
            # Past its deadline nobody can claim it any more: not work to do.
            sa.or_(PolicyMatch.claim_deadline.is_(None), PolicyMatch.claim_deadline >= local_day()),
        )
    )
    if policy_id is not None:
        statement = statement.where(PolicyMatch.policy_id == policy_id)
    statement = worked_on(statement, PolicyMatch, actor)
    found = paginate(
        statement,
        page,
        per_page,
        # Soonest deadline first; a policy without a deadline after every dated one.
        order_by=(
            sa.case((PolicyMatch.claim_deadline.is_(None), 1), else_=0),
            PolicyMatch.claim_deadline,
            PolicyMatch.id,
        ),
    )
    matches = found.items
    residents = {
        r.id: r
        for r in db.session.scalars(
            sa.select(Resident).where(Resident.id.in_([m.resident_id for m in matches] or [0]))
        )
    }
    versions = {
        v.id: v
        for v in db.session.scalars(
            sa.select(PolicyVersion).where(
                PolicyVersion.id.in_([m.policy_version_id for m in matches] or [0])
            )
        )
    }
    policies = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Policy).where(Policy.id.in_([m.policy_id for m in matches] or [0]))
        )
    }
    items = []
    for match in matches:
        resident, version = residents.get(match.resident_id), versions[match.policy_version_id]
        items.append(
            RowWith(
                match,
                resident_name=resident.name if resident else None,
                id_number_hint=resident.id_number_hint if resident else None,
                phone_hint=resident.phone_hint if resident else None,
                policy_code=policies[match.policy_id].code,
                policy_title=version.title,
                version_number=version.number,
                document_number=version.document_number,
                reasons=reasons(match.trace),
            )
        )
    return Page(items, found.page, found.per_page, found.total)
