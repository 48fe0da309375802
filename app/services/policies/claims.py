"""Benefit claims (直补快办): making one, who sees which, the queues, one claim's files.

A claim is made three ways: by a resident from their qualified match (the facts come from the
match; when every fact the rule read is verified in the ledger the person only confirms:
免申即享), by an employer account for an employer policy with the hires it rests on, or by
staff at the counter for a resident in their place (代办). One live claim per subject, policy and
period (`open_key`, unique: a second is 409 claim_exists, also when two requests race); a
retried client_id returns the first claim. The stages are in claim_review.py.

Long because the three ways of making a claim share every check but the first (whose match,
which subject), and a claim's files belong with who may see the claim.
"""

import re
import unicodedata
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.common import files
from app.common.clock import local_day
from app.common.crypto import encrypt
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Claim,
    ClaimAttachment,
    ClaimChannel,
    ClaimEvent,
    ClaimHire,
    ClaimPeriod,
    ClaimStatus,
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
from app.services.people import audit
from app.services.people.consents import require_consent
from app.services.people.residents import resident_of
from app.services.people.scoping import get_in_scope, scoped
from app.services.policies import benefits, catalogue, facts, matching
from app.services.results import Page, paginate

S = ClaimStatus
# Who enters a claim at the counter for a resident (代办).
COUNTER_ROLES = frozenset({Role.station_staff, Role.township_admin})
# Who reads claims in their place: the reviewers, the city, and the supervisor looking on.
READ_ROLES = frozenset(
    {
        Role.station_staff,
        Role.operator,
        Role.township_admin,
        Role.district_admin,
        Role.city_admin,
        Role.supervisor,
    }
)
# Stages a claim may still change in (files added, returned, rejected, withdrawn).
OPEN_STAGES = (S.submitted, S.accepted, S.first_reviewed, S.second_reviewed, S.in_notice, S.returned)
NOT_FOUND = "claim_not_found"
BANK_ACCOUNT = re.compile(r"^[0-9]{12,30}$")
FOLDER = "claims"


# ---- small shared rules ------------------------------------------------------------------------


def stage_due(status: str, today: date, notice_until: date | None = None) -> date | None:
    """Return the day a stage is due (config CLAIM_STAGE_DAYS); a notice is due days after it ends."""
    days = current_app.config["CLAIM_STAGE_DAYS"].get(status)
    if days is None:
        return None
    start = notice_until if status == S.in_notice and notice_until is not None else today
    return start + timedelta(days=days)


def is_overdue(claim: Claim, today: date | None = None) -> bool:
    """Tell whether the claim's current stage is past its deadline."""
    return claim.stage_due_on is not None and claim.stage_due_on < (today or local_day())


def period_of(claim_period: str, today: date) -> str:
    """Return the period a claim made today falls in: "once", the year, or the month."""
    if claim_period == ClaimPeriod.yearly:
        return str(today.year)
    if claim_period == ClaimPeriod.monthly:
        return today.strftime("%Y-%m")
    return "once"


def open_key_of(subject_key: str, policy_id: int, period: str) -> str:
    """Return the value of `open_key` while a claim of this subject, policy and period is live."""
    return f"{subject_key}:{policy_id}:{period}"


def add_event(claim: Claim, actor: Account, from_status: str | None, note: str | None = None) -> None:
    """Record one step of a claim (who, from which status to its current one, the note)."""
    claim.events.append(
        ClaimEvent(
            from_status=from_status,
            to_status=claim.status,
            actor_id=actor.id,
            role=actor.role,
            note=(note or None) and note[:255],
        )
    )


def audit_step(action: str, actor: Account, claim: Claim, ip: str | None, commit: bool = True, **detail):
    """Audit a step about the claim's person (or employer); commit it with the change by default."""
    subject = ("resident", claim.resident_id) if claim.resident_id else ("employer", claim.employer_id)
    write = audit.commit if commit else audit.record
    write(
        action,
        actor=actor,
        object_type=subject[0],
        object_id=subject[1],
        ip=ip,
        detail={"claim_id": claim.id, "status": claim.status, **detail},
    )


def mask_account(value: str) -> str:
    """Return a bank account number with all but its first 4 and last 4 digits hidden."""
    return f"{value[:4]} **** **** {value[-4:]}"


def set_bank_account(claim: Claim, values: dict) -> None:
    """Store where the money goes: bank, holder, and the account number encrypted and masked."""
    for field, code in (("bank_name", "bank_required"), ("account_holder", "holder_required")):
        if not (values.get(field) or "").strip():
            raise ValidationFailed(field, "Say where the money goes.", code=code)
    raw = re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", values.get("bank_account") or ""))
    if not BANK_ACCOUNT.fullmatch(raw):
        raise ValidationFailed(
            "bank_account", "A bank account number is 12–30 digits.", code="invalid_bank_account"
        )
    claim.bank_name = values["bank_name"].strip()
    claim.account_holder = values["account_holder"].strip()
    claim.bank_account_enc = encrypt(raw, "bank_account")
    claim.bank_account_hint = mask_account(raw)


# ---- who sees which ----------------------------------------------------------------------------


def reachable(actor: Account):
    """Return a SELECT of the claims the actor may see: their own, or those in their place."""
    statement = sa.select(Claim)
    if actor.role == Role.resident:
        return statement.where(Claim.resident_id == resident_of(actor).id)
    if actor.role == Role.employer:
        employer = db.session.scalar(sa.select(Employer.id).where(Employer.account_id == actor.id))
        # No business registered yet: no claims (never `employer_id IS NULL`, every resident's).
        return statement.where(Claim.employer_id == employer if employer is not None else sa.false())
    if actor.role in READ_ROLES:
        return scoped(statement, Claim, actor)
    return statement.where(sa.false())


def get_claim(actor: Account, claim_id: int, for_update: bool = False) -> Claim:
    """Return one claim the actor may see, or 404 (never 403: nothing leaks)."""
    statement = reachable(actor).where(Claim.id == claim_id)
    if for_update:
        # Two reviewers (or a reviewer and the daily run) at once: the second waits here.
        statement = statement.with_for_update()
    found = db.session.scalar(statement)
    if found is None:
        raise NotFound(NOT_FOUND, f"No claim {claim_id} that you may see.")
    return found


def is_claimant(actor: Account) -> bool:
    """Tell whether the actor is the claim's person or employer (not staff)."""
    return actor.role in (Role.resident, Role.employer)


def read(actor: Account, claim_id: int, ip: str | None) -> Claim:
    """Return one claim with its trace, steps, files and objections; a staff read is audited."""
    claim = get_claim(actor, claim_id)
    if not is_claimant(actor):
        audit_step("claim.read", actor, claim, ip)
    return claim


def queue(actor: Account, filters: dict) -> Page:
    """Return a page of claims: a resident's or employer's own, staff the queue in their place.

    Filters: status, policy_id, overdue (true: past the stage's deadline; false: not), resident_id.
    Staff see the oldest deadline first; a claimant, their newest claim first.
    """
    statement = reachable(actor)
    today = local_day()
    if filters.get("status"):
        statement = statement.where(Claim.status == filters["status"])
    if filters.get("policy_id") is not None:
        statement = statement.where(Claim.policy_id == filters["policy_id"])
    if filters.get("resident_id") is not None:
        statement = statement.where(Claim.resident_id == filters["resident_id"])
    if filters.get("overdue") is True:
        statement = statement.where(
            Claim.stage_due_on < today, Claim.status.not_in([S.paid, S.rejected, S.withdrawn])
        )
    elif filters.get("overdue") is False:
        statement = statement.where(sa.or_(Claim.stage_due_on.is_(None), Claim.stage_due_on >= today))
    order = (
        (Claim.id.desc(),)
        if is_claimant(actor)
        else (Claim.stage_due_on.is_(None), Claim.stage_due_on, Claim.id)
    )
    return paginate(
        statement,
        filters.get("page", 1),
        filters.get("per_page", 20),
        order_by=order,
        options=(selectinload(Claim.version), selectinload(Claim.resident), selectinload(Claim.employer)),
    )


# ---- making a claim ----------------------------------------------------------------------------


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
        subject_facts = facts.person_facts([resident.id], today).get(resident.id, {})
    else:
        subject_facts = facts.employer_facts([employer.id], today).get(employer.id, {})
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


# ---- files (申领材料) ---------------------------------------------------------------------------


def add_attachment(
    actor: Account, claim_id: int, upload, material: str | None, ip: str | None
) -> tuple[ClaimAttachment, bool]:
    """Attach a file to an open claim (the claimant or a reviewer in place), under the résumé file rules."""
    if actor.role == Role.resident:
        require_consent(actor)
    elif actor.role not in (Role.employer, *READ_ROLES) or actor.role == Role.supervisor:
        raise Forbidden("role_forbidden", "Your role does not add claim files.")
    claim = get_claim(actor, claim_id, for_update=True)
    if claim.status not in OPEN_STAGES:
        raise Conflict(
            "claim_decided", f"Files are added while a claim is under review; this is {claim.status}."
        )
    data, kind = files.read_upload(upload, "file", files.RESUME_TYPES, current_app.config["UPLOAD_MAX_BYTES"])
    limit = current_app.config["CLAIM_FILES_MAX"]
    if len(claim.attachments) >= limit:
        raise Conflict("too_many_files", f"A claim holds at most {limit} files.")
    storage_name = files.store(FOLDER, data, kind)
    attachment = ClaimAttachment(
        storage_name=storage_name,
        content_type=kind.content_type,
        name=files.safe_download_name(upload.filename, kind.ext),
        size=len(data),
        material=(material or None) and material[:64],
        uploaded_by_id=actor.id,
    )
    claim.attachments.append(attachment)
    audit_step("claim.attachment", actor, claim, ip, commit=False, size=len(data))
    files.commit_or_remove(db.session, storage_name)
    return attachment, True


def attachment_file(actor: Account, claim_id: int, attachment_id: int, ip: str | None) -> files.StoredFile:
    """Return a claim's file to the claimant or a reviewer in place; another person's file read is audited."""
    claim = get_claim(actor, claim_id)
    found = next((a for a in claim.attachments if a.id == attachment_id), None)
    if found is None:
        raise NotFound("file_not_found", f"No file {attachment_id} on this claim.")
    if not is_claimant(actor):
        audit_step("claim.attachment_read", actor, claim, ip, attachment_id=found.id)
    return files.stored_file(found.storage_name, found.content_type, found.name)
