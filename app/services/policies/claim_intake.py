"""Making a claim (申领): by a resident from their match, by an employer with its hires, or at the counter.

A resident claims from their qualified match: the facts come from the match, and when every
fact the rule read is verified in the ledger the person only confirms (免申即享). An employer
claims an employer policy with the hires it rests on; staff at the counter claim for a resident
in their place (代办). One live claim per subject, policy and period (`open_key`, unique: a
second is 409 claim_exists, also when two requests race); a retried client_id returns the first
claim. Who sees a claim and its files: claims.py; the stages: claim_review.py.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Claim,
    ClaimChannel,
    ClaimHire,
    Employer,
    Policy,
    PolicyMatch,
    PolicySubject,
    PolicyVersion,
    PolicyVersionStatus,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Resident,
    ResidentKeyGroup,
    Role,
    utcnow,
)
from app.services.jobs.employers import employer_of
from app.services.people.consents import require_consent
from app.services.people.residents import resident_of
from app.services.people.scoping import get_in_scope
from app.services.policies import benefits, catalogue, facts, ledger_facts, matching
from app.services.policies.claims import (
    COUNTER_ROLES,
    S,
    add_event,
    audit_step,
    open_key_of,
    period_of,
    set_bank_account,
    stage_due,
)


def by_client_id(author: Account, client_id: str) -> Claim | None:
    """Return the claim this author already made with this client id."""
    return db.session.scalar(
        sa.select(Claim).where(Claim.author_id == author.id, Claim.client_id == client_id)
    )


def live_claim(key: str) -> Claim | None:
    """Return the live claim holding an open key, if any."""
    return db.session.scalar(sa.select(Claim).where(Claim.open_key == key))


def refuse_second(existing: Claim | None) -> Conflict:
    """Return the 409 of a second live claim of one subject, policy and period."""
    which = f" (claim {existing.id}, {existing.status})" if existing is not None else ""
    return Conflict("claim_exists", f"A claim of this policy for this period is under way already{which}.")


def _qualified_match(match: PolicyMatch | None) -> PolicyMatch:
    """Refuse (409 not_qualified) a missing or lapsed match.

    A match claimed before still counts: its claim may have been rejected or withdrawn, or the
    period moved on (the open key decides whether a claim is live).
    """
    if match is None or match.status not in ("qualified", "claimed"):
        raise Conflict(
            "not_qualified", "You do not (or no longer) qualify for this policy; see why in the trace."
        )
    return match


def match_of(subject_key: str, policy_id: int) -> PolicyMatch | None:
    """Return the subject's match of the policy's version in force (qualified, or claimed before)."""
    found = matching.current_match(subject_key, policy_id)
    if found is not None:
        return found
    found = db.session.scalar(
        sa.select(PolicyMatch)
        .join(PolicyVersion, PolicyVersion.id == PolicyMatch.policy_version_id)
        .where(
            PolicyMatch.subject_key == subject_key,
            PolicyMatch.policy_id == policy_id,
            PolicyMatch.status == "claimed",
            PolicyVersion.status == PolicyVersionStatus.published.value,
        )
        .order_by(PolicyMatch.id.desc())
        .limit(1)
    )
    if found is None or not catalogue.in_force(
        db.session.get(PolicyVersion, found.policy_version_id), local_day()
    ):
        return None
    return found


def _resident_match(actor: Account, values: dict) -> tuple[PolicyMatch, Resident]:
    """Return a resident's own qualified match (match_id) and the resident."""
    resident = resident_of(actor)
    if values.get("match_id") is None:
        raise ValidationFailed(
            "match_id", "Claim from one of your matches (match_id).", code="match_required"
        )
    match = db.session.get(PolicyMatch, values["match_id"])
    if match is None or match.resident_id != resident.id:
        raise NotFound("match_not_found", f"No match {values['match_id']} of yours.")
    return _qualified_match(match), resident


def _counter_match(actor: Account, values: dict) -> tuple[PolicyMatch, Resident]:
    """Return the qualified match of a resident in the counter staff's place, for a policy."""
    if actor.role not in COUNTER_ROLES:
        raise Forbidden("role_forbidden", "Station staff and township admins enter claims at the counter.")
    if values.get("resident_id") is None:
        raise ValidationFailed("resident_id", "Name the resident you claim for.", code="resident_required")
    resident = get_in_scope(Resident, values["resident_id"], actor, "resident_not_found")
    if values.get("match_id") is not None:
        match = db.session.get(PolicyMatch, values["match_id"])
        if match is None or match.resident_id != resident.id:
            raise NotFound("match_not_found", f"No match {values['match_id']} of this resident.")
        return _qualified_match(match), resident
    if values.get("policy_id") is None:
        raise ValidationFailed("policy_id", "Name the policy (or the match) claimed.", code="policy_required")
    return _qualified_match(match_of(f"r{resident.id}", values["policy_id"])), resident


def _employer_match(actor: Account, values: dict) -> tuple[PolicyMatch, Employer]:
    """Return the employer's qualified match of an employer policy (policy_id or match_id)."""
    employer = employer_of(actor)
    match = None
    if values.get("match_id") is not None:
        match = db.session.get(PolicyMatch, values["match_id"])
        if match is None or match.employer_id != employer.id:
            raise NotFound("match_not_found", f"No match {values['match_id']} of your business.")
    elif values.get("policy_id") is not None:
        policy = db.session.get(Policy, values["policy_id"])
        if policy is None or policy.subject != PolicySubject.employer:
            raise NotFound("policy_not_found", f"No employer policy {values['policy_id']}.")
        match = match_of(f"e{employer.id}", policy.id)
    else:
        raise ValidationFailed("policy_id", "Name the policy claimed.", code="policy_required")
    return _qualified_match(match), employer


def _hires(employer: Employer, resident_ids: list[int]) -> list[ClaimHire]:
    """Return the hires an employer's claim rests on, each with its employment registration.

    A hire is a person with an accepted (or since ended) employment registration at this
    employer; their certified key groups in force are recorded as they stand today.
    """
    if not resident_ids:
        raise ValidationFailed("hires", "Name the people hired this claim rests on.", code="hires_required")
    ids = list(dict.fromkeys(resident_ids))
    registrations = {
        row.resident_id: row
        for row in db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.resident_id.in_(ids),
                Registration.employer_id == employer.id,
                Registration.kind == RegistrationKind.employment.value,
                Registration.status.in_([RegistrationStatus.accepted.value, RegistrationStatus.ended.value]),
            )
            .order_by(Registration.id)
        )
    }
    unknown = [rid for rid in ids if rid not in registrations]
    if unknown:
        raise ValidationFailed(
            "hires",
            f"No accepted employment registration at your business for: {', '.join(map(str, unknown))}.",
            code="hire_not_found",
        )
    today = local_day()
    groups: dict[int, list[str]] = {}
    for row in db.session.scalars(
        sa.select(ResidentKeyGroup).where(
            ResidentKeyGroup.resident_id.in_(ids),
            ResidentKeyGroup.verified_by_id.is_not(None),
            sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= today),
        )
    ):
        groups.setdefault(row.resident_id, []).append(row.key_group)
    return [
        ClaimHire(
            resident_id=rid, registration_id=registrations[rid].id, key_groups=sorted(groups.get(rid, []))
        )
        for rid in ids
    ]


def declared_facts(claim: Claim) -> list[str]:
    """Return the facts the rule read that are the person's declaration, not verified in the ledger."""
    return [name for name in claim.facts if name not in facts.FACTS or not facts.FACTS[name].verified]


def make_claim(actor: Account, values: dict, ip: str | None) -> tuple[Claim, bool]:
    """Make a claim (resident from a match, employer, or staff at the counter); return (claim, created)."""
    existing = by_client_id(actor, values["client_id"])
    if existing is not None:
        return existing, False
    today = local_day()
    employer = resident = None
    if actor.role == Role.resident:
        require_consent(actor)  # bank details are the person's data
        match, resident = _resident_match(actor, values)
        channel = ClaimChannel.resident
    elif actor.role == Role.employer:
        match, employer = _employer_match(actor, values)
        channel = ClaimChannel.employer
    else:
        match, resident = _counter_match(actor, values)
        channel = ClaimChannel.counter
    version = catalogue.get_version(match.policy_version_id)
    if not catalogue.in_force(version, today):
        raise Conflict("not_qualified", "This version of the policy is no longer in force.")
    deadline = match.claim_deadline or catalogue.claim_deadline(version, local_day(match.matched_at))
    if deadline is not None and today > deadline:
        raise Conflict("claim_deadline_passed", f"Claims of this policy closed on {deadline.isoformat()}.")
    if not values.get("confirmed"):
        raise ValidationFailed(
            "confirmed", "Confirm the facts shown are true (confirmed: true).", code="confirmation_required"
        )
    subject = resident or employer
    if subject.community_id is None:
        raise ValidationFailed(
            "community_code",
            "Choose your community first: claims are reviewed there.",
            code="community_required",
        )
    period = period_of(version.claim_period, today)
    key = open_key_of(match.subject_key, match.policy_id, period)
    found = live_claim(key)
    if found is not None:
        raise refuse_second(found)
    now = utcnow()
    if resident is not None:
        subject_facts = ledger_facts.person_facts([resident.id], today).get(resident.id, {})
    else:
        subject_facts = ledger_facts.employer_facts([employer.id], today).get(employer.id, {})
    claim = Claim(
        subject_key=match.subject_key,
        resident_id=resident.id if resident else None,
        employer_id=employer.id if employer else None,
        policy_id=match.policy_id,
        policy_version_id=version.id,
        match_id=match.id,
        period=period,
        open_key=key,
        status=S.submitted.value,
        channel=channel.value,
        author_id=actor.id,
        client_id=values["client_id"],
        facts=dict(match.facts or {}),
        trace=list(match.trace or []),
        estimated_fen=benefits.amount_fen(version.benefit, {**subject_facts, **(match.facts or {})}),
        stage_due_on=stage_due(S.submitted, today),
        submitted_at=now,
        **{name: getattr(subject, name) for name in PLACE_COLUMN_NAMES},
    )
    claim.all_verified = not declared_facts(claim)
    set_bank_account(claim, values)
    if employer is not None:
        claim.hires = _hires(employer, values.get("hires") or [])
    add_event(claim, actor, None, values.get("note"))
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError:
        # A retry racing its first try, or a second claim racing the first: the unique keys keep
        # one; the same client id gets that one, anyone else the 409.
        db.session.rollback()
        again = by_client_id(actor, values["client_id"])
        if again is not None:
            return again, False
        raise refuse_second(live_claim(key)) from None
    if match.status == "qualified":
        matching.mark_claimed(match)
    audit_step("claim.create", actor, claim, ip, channel=channel.value, all_verified=claim.all_verified)
    return claim, True
