"""Benefit claims (直补快办): the rules every step shares, who sees which claim, the queues, a claim's files.

A claim is made in claim_intake.py and moves through its stages in claim_review.py; both use the
shared rules here (the period and open key, stage deadlines, events, audit, the bank account).
"""

import re
import unicodedata
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.common import files
from app.common.clock import local_day
from app.common.crypto import encrypt
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    Claim,
    ClaimAttachment,
    ClaimEvent,
    ClaimPeriod,
    ClaimStatus,
    Employer,
    Role,
)
from app.services.people import audit
from app.services.people.consents import require_consent
from app.services.people.residents import resident_of
from app.services.people.scoping import scoped
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
