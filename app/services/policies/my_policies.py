"""My policies (GET /me/policies): what I qualify for, with why and my claim, and what I nearly do."""

from datetime import date

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Resident
from app.models.claims import Claim
from app.models.policies import PolicyVersion
from app.models.policy_matches import MatchStatus, PolicyMatch
from app.services.policies import benefits, catalogue, ledger_facts, rules
from app.services.policies.matching import place_codes


def mine(account, today: date | None = None) -> dict:
    """Return my matches (qualified or claimed, with why, amount, deadline, claim state) and my near misses.

    Near misses are worked out now, over my facts today: every person policy in force that I
    miss by exactly one condition, with what is missing in plain Chinese. Nothing is stored.
    """
    today = today or local_day()
    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account.id))
    if resident is None:
        return {"matches": [], "near_misses": []}
    in_force = {v.id: v for v in catalogue.published_versions("person", today)}
    matches = list(
        db.session.scalars(
            sa.select(PolicyMatch)
            .where(
                PolicyMatch.resident_id == resident.id,
                PolicyMatch.status.in_([MatchStatus.qualified.value, MatchStatus.claimed.value]),
            )
            .order_by(PolicyMatch.claim_deadline.is_(None), PolicyMatch.claim_deadline, PolicyMatch.id)
        )
    )
    # A qualified match of a version no longer in force is waiting for its lapse: not offered.
    matches = [m for m in matches if m.status == MatchStatus.claimed or m.policy_version_id in in_force]
    claims = {
        claim.match_id: claim
        for claim in db.session.scalars(
            sa.select(Claim).where(Claim.match_id.in_([m.id for m in matches] or [0]))
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
    shown = []
    for match in matches:
        version = versions[match.policy_version_id]
        claim = claims.get(match.id)
        shown.append(
            {
                "id": match.id,
                "policy_id": match.policy_id,
                "policy_version_id": match.policy_version_id,
                "title": version.title,
                "document_number": version.document_number,
                "issuer": version.issuer,
                "summary": version.summary,
                "status": match.status,
                "amount_fen": match.amount_fen,
                "benefit": benefits.describe(version.benefit),
                "claim_deadline": match.claim_deadline,
                "matched_at": match.matched_at,
                "trace": match.trace,
                "claim_id": claim.id if claim else None,
                "claim_status": claim.status if claim else None,
            }
        )
    matched = {m.policy_id for m in matches}
    my_facts = ledger_facts.person_facts([resident.id], today).get(resident.id, {})
    near = []
    for version in in_force.values():
        if version.policy_id in matched or not catalogue.applies_to(version, list(place_codes(my_facts))):
            continue
        evaluation = rules.evaluate(version.rule, my_facts, version.hints or None)
        if evaluation.near_miss:
            near.append(
                {
                    "policy_id": version.policy_id,
                    "policy_version_id": version.id,
                    "title": version.title,
                    "document_number": version.document_number,
                    "summary": version.summary,
                    "benefit": benefits.describe(version.benefit),
                    "missing": evaluation.missing,
                    "trace": evaluation.trace,
                }
            )
    return {"matches": shown, "near_misses": near}
