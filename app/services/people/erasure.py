"""Deletion requests (PIPL art. 47): erase or anonymise a person's data, keep the ledger as law requires.

A request is one per account (a retry returns it); the task `people.erase_person` carries it out
at once, and the daily `people.sweep_deletions` retries a failed one and, once a kept ledger
record's retention period (LEDGER_RETENTION_YEARS) has run out, anonymises that too. What is kept
and what goes is in docs/PEOPLE.md ("Consent and the person's data").
"""

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common import files
from app.common.clock import local_day
from app.common.crypto import lookup_hash
from app.errors import APIError
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    Certification,
    CertificationEvidence,
    CertificationStatus,
    CheckIn,
    Claim,
    DeletionRequest,
    DeletionStatus,
    PolicyMatch,
    Push,
    PushPreference,
    PushQuota,
    PushStatus,
    Registration,
    RegistrationStatus,
    Resident,
    ResidentKeyGroup,
    Resume,
    ResumeFile,
    Role,
    StatusChange,
    StatusSource,
    SubscriptionReport,
    utcnow,
)
from app.queues import enqueue_after_commit
from app.services.people import audit, seekers, tokens

log = logging.getLogger(__name__)

# Applications still open when their applicant leaves: withdrawn, so no employer reads them again.
OPEN_APPLICATIONS = (ApplicationStatus.submitted, ApplicationStatus.viewed, ApplicationStatus.interview)
UNSENT = (PushStatus.pending.value, PushStatus.scheduled.value)
# A failed or stuck request is tried again by the sweep after this long.
RETRY_AFTER = timedelta(minutes=10)
PAID = ("approved", "paid")  # claims (直补快办) that are payment records


def years_after(day: date, years: int) -> date:
    """Return the same day `years` later (28 February for a 29th in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def openid_hash(openid: str | None) -> str | None:
    """Return the keyed hash a request keeps of the WeChat openid it erases."""
    return lookup_hash(openid, "openid") if openid else None


def request_deletion(account: Account, ip: str | None) -> tuple[DeletionRequest, bool]:
    """Record a resident's deletion request and enqueue its erasure; a repeat returns the first (False)."""
    if account.role != Role.resident:
        raise APIError(403, "not_a_resident", "Only resident accounts ask for deletion here.")
    found = db.session.scalar(sa.select(DeletionRequest).where(DeletionRequest.account_id == account.id))
    if found is not None:
        return found, False
    resident_id = db.session.scalar(sa.select(Resident.id).where(Resident.account_id == account.id))
    request = DeletionRequest(
        account_id=account.id,
        resident_id=resident_id,
        status=DeletionStatus.pending.value,
        openid_hmac=openid_hash(account.openid),
        ip=ip,
    )
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError:  # the same request a moment ago (a double tap)
        db.session.rollback()
        return db.session.scalar(
            sa.select(DeletionRequest).where(DeletionRequest.account_id == account.id)
        ), False
    audit.record(
        "deletion.request",
        actor=account,
        object_type="resident" if resident_id else "account",
        object_id=resident_id or account.id,
        ip=ip,
        detail={"request_id": request.id},
    )
    enqueue_after_commit("people.erase_person", request.id)
    db.session.commit()
    return request, True


def status_of(account: Account) -> DeletionRequest | None:
    """Return the account's deletion request, or one from the same WeChat user's erased account."""
    found = db.session.scalar(sa.select(DeletionRequest).where(DeletionRequest.account_id == account.id))
    if found is None and account.openid:
        found = db.session.scalar(
            sa.select(DeletionRequest)
            .where(DeletionRequest.openid_hmac == openid_hash(account.openid))
            .order_by(DeletionRequest.id.desc())
            .limit(1)
        )
    return found


def is_ledger_record(resident: Resident) -> bool:
    """Tell whether a resident is in the employment ledger (kept), not only a mini-program user.

    In the ledger: a member of a household on the community's ledger, someone whose status or
    key group staff, a visit, a hire or the province recorded, or who has a registration (失业 /
    就业登记) that took effect or a key group certified (current or expired).
    """
    if resident.household_id is not None:
        return True
    by_others = sa.select(StatusChange.id).where(
        StatusChange.resident_id == resident.id, StatusChange.source != StatusSource.self.value
    )
    verified = sa.select(ResidentKeyGroup.resident_id).where(
        ResidentKeyGroup.resident_id == resident.id, ResidentKeyGroup.verified_by_id.is_not(None)
    )
    registered = sa.select(Registration.id).where(
        Registration.resident_id == resident.id,
        Registration.status.in_([RegistrationStatus.accepted.value, RegistrationStatus.ended.value]),
    )
    certified = sa.select(Certification.id).where(
        Certification.resident_id == resident.id,
        Certification.status.in_([CertificationStatus.certified.value, CertificationStatus.expired.value]),
    )
    # A benefit approved or paid (直补快办) is a payment record: kept like the registrations.
    paid = sa.select(Claim.id).where(Claim.resident_id == resident.id, Claim.status.in_(PAID))
    kept = (by_others, verified, registered, certified, paid)
    return bool(db.session.scalar(sa.select(sa.or_(*(sa.exists(query) for query in kept)))))


def anonymise_ledger(resident: Resident, keep_place: bool = True) -> None:
    """Clear who a resident is from their ledger row (name, ID number, birth, gender); counts stay."""
    resident.name = None
    resident.id_number_enc = resident.id_number_hmac = resident.id_number_hint = None
    resident.birth_date = resident.gender = None
    # The registrations kept with it keep their numbers and dates, not the 就业创业证 number.
    db.session.execute(
        sa.update(Registration)
        .where(Registration.resident_id == resident.id)
        .values(card_number_enc=None, card_number_hmac=None, card_number_hint=None)
        .execution_options(synchronize_session=False)
    )
    if not keep_place:
        for name in ("community_id", "township_id", "circle_id", "district_id", "city_id"):
            setattr(resident, name, None)
        resident.key_group_rows.clear()


def erase(request_id: int) -> DeletionRequest | None:
    """Carry out a deletion request (safe to repeat: a done request is left as it is)."""
    request = db.session.get(DeletionRequest, request_id)
    if request is None or request.status == DeletionStatus.done:
        return request
    try:
        removed = _erase(request)
    except Exception as exc:
        db.session.rollback()
        log.exception("deletion request %s failed", request_id)
        request = db.session.get(DeletionRequest, request_id)
        request.status = DeletionStatus.failed.value
        request.last_error = f"{exc.__class__.__name__}: {exc}"[:255]
        db.session.commit()
        return request
    for storage_name in removed:  # the rows are gone: now the bytes
        files.remove(storage_name)
    return request


def _erase(request: DeletionRequest) -> list[str]:
    """Erase in one transaction; return the storage names of the files to delete after it."""
    account = db.session.get(Account, request.account_id)
    # The resident row, also when it was made after the request (a GET /me before the task ran).
    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account.id))
    if resident is None and request.resident_id:
        resident = db.session.get(Resident, request.resident_id)  # unlinked by an earlier run
    request.resident_id = resident.id if resident is not None else None
    ledger = resident is not None and is_ledger_record(resident)
    # Written first: the event is placed where the resident lives, before the place may go.
    audit.record(
        "deletion.done",
        object_type="resident" if resident else "account",
        object_id=resident.id if resident else account.id,
        detail={"request_id": request.id, "ledger_kept": ledger},
        actor_label="system",
    )
    detail: dict = {}
    storage_names: list[str] = []
    if resident is not None:
        storage_names, detail = _erase_resident(resident, ledger)
    detail.update(_erase_account(account))
    request.status = DeletionStatus.done.value
    request.processed_at = utcnow()
    request.ledger_kept = ledger
    request.retain_until = (
        years_after(local_day(), current_app.config["LEDGER_RETENTION_YEARS"]) if ledger else None
    )
    if not ledger:
        request.ledger_erased_at = request.processed_at
    request.detail = detail
    request.last_error = None
    db.session.commit()
    if resident is not None:
        seekers.sync_seeker(resident, None)  # off the seekers' map
    return storage_names


def _erase_resident(resident: Resident, ledger: bool) -> tuple[list[str], dict]:
    """Erase a resident's own data; anonymise the ledger part too unless it is a ledger record."""
    file_rows = list(db.session.scalars(sa.select(ResumeFile).where(ResumeFile.resident_id == resident.id)))
    storage_names = [row.storage_name for row in file_rows]
    for row in file_rows:
        db.session.delete(row)
    resume = db.session.get(Resume, resident.id)
    if resume is not None:
        db.session.delete(resume)
    now = utcnow()
    withdrawn = db.session.execute(
        sa.update(Application)
        .where(
            Application.resident_id == resident.id,
            Application.status.in_([s.value for s in OPEN_APPLICATIONS]),
        )
        .values(status=ApplicationStatus.withdrawn.value, status_changed_at=now, message=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        sa.update(Application)
        .where(Application.resident_id == resident.id)
        .values(message=None)
        .execution_options(synchronize_session=False)
    )
    check_ins = db.session.execute(
        sa.update(CheckIn)
        .where(CheckIn.resident_id == resident.id)
        .values(resident_id=None, lat=None, lng=None, distance_m=None, outcome_note=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    resident.phone_enc = resident.phone_hmac = resident.phone_hint = None
    resident.home_address = resident.home_lat = resident.home_lng = None
    resident.seek_kinds = resident.seek_categories = resident.seek_wage_min = resident.seek_radius_m = None
    # The link to the login goes: what stays is a ledger row like one staff entered.
    resident.account_id = None
    records, record_files = _erase_unsettled_records(resident)
    # Policy matches not claimed (a claim keeps its own): nobody is offered a benefit any more.
    records["policy_matches_deleted"] = db.session.execute(
        sa.delete(PolicyMatch).where(PolicyMatch.resident_id == resident.id, PolicyMatch.status != "claimed")
    ).rowcount
    if not ledger:
        anonymise_ledger(resident, keep_place=False)
    return storage_names + record_files, {
        "resume_files": len(storage_names),
        **records,
        "resume": resume is not None,
        "applications_withdrawn": withdrawn,
        "check_ins_anonymised": check_ins,
    }


def _erase_unsettled_records(resident: Resident) -> tuple[dict, list[str]]:
    """Delete the registrations that never took effect and the certifications never certified.

    They are applications, not ledger records: with their evidence (a disability certificate, a
    signed form) they go. Registrations that took effect and certified groups stay with the ledger.
    """
    registrations = list(
        db.session.scalars(
            sa.select(Registration).where(
                Registration.resident_id == resident.id,
                Registration.status.not_in(
                    [RegistrationStatus.accepted.value, RegistrationStatus.ended.value]
                ),
            )
        )
    )
    certifications = list(
        db.session.scalars(
            sa.select(Certification).where(
                Certification.resident_id == resident.id,
                Certification.status.not_in(
                    [CertificationStatus.certified.value, CertificationStatus.expired.value]
                ),
            )
        )
    )
    evidence = list(
        db.session.scalars(
            sa.select(CertificationEvidence).where(
                CertificationEvidence.certification_id.in_([row.id for row in certifications])
            )
        )
    )
    storage_names = [row.storage_name for row in evidence]
    storage_names += [row.form_storage_name for row in registrations if row.form_storage_name]
    storage_names += _close_unsettled_claims(resident)
    for row in evidence:
        db.session.delete(row)
    db.session.flush()  # the evidence before its certification (a foreign key)
    for row in (*certifications, *registrations):
        db.session.delete(row)
    return {"registrations_deleted": len(registrations), "certifications_deleted": len(certifications)}, (
        storage_names
    )


def _close_unsettled_claims(resident: Resident) -> list[str]:
    """Withdraw the claims not approved (approved: a payment record, kept); drop bank details and files."""
    claims = db.session.scalars(
        sa.select(Claim).where(Claim.resident_id == resident.id, Claim.status.not_in(PAID))
    )
    names = []
    for claim in claims:
        claim.status = claim.status if claim.status == "rejected" else "withdrawn"
        claim.open_key = claim.bank_account_enc = claim.bank_account_hint = claim.account_holder = None
        for file in claim.attachments:
            names.append(file.storage_name)
            db.session.delete(file)
    return names


def _erase_account(account: Account) -> dict:
    """Undo the WeChat binding, end every login, forget push subscriptions and settings."""
    account.openid = account.unionid = account.session_key_enc = None
    account.display_name = None
    account.is_active = False
    revoked = tokens.revoke_tokens(account.id)
    for model in (PushQuota, PushPreference, SubscriptionReport):
        db.session.execute(sa.delete(model).where(model.account_id == account.id))
    skipped = db.session.execute(
        sa.update(Push)
        .where(Push.account_id == account.id, Push.status.in_(UNSENT))
        .values(status=PushStatus.skipped.value, last_error="account_deleted")
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"tokens_revoked": revoked, "pushes_skipped": skipped}


def sweep() -> dict:
    """Retry failed or stuck requests; anonymise kept ledger records whose retention has run out."""
    stuck = list(
        db.session.scalars(
            sa.select(DeletionRequest.id).where(
                DeletionRequest.status.in_([DeletionStatus.pending.value, DeletionStatus.failed.value]),
                DeletionRequest.created_at < utcnow() - RETRY_AFTER,
            )
        )
    )
    for request_id in stuck:
        erase(request_id)
    expired = list(
        db.session.scalars(
            sa.select(DeletionRequest).where(
                DeletionRequest.status == DeletionStatus.done.value,
                DeletionRequest.ledger_kept.is_(True),
                DeletionRequest.ledger_erased_at.is_(None),
                DeletionRequest.retain_until < local_day(),
            )
        )
    )
    for request in expired:
        resident = db.session.get(Resident, request.resident_id) if request.resident_id else None
        if resident is not None:
            audit.record(
                "deletion.ledger_erased",
                object_type="resident",
                object_id=resident.id,
                detail={"request_id": request.id, "retain_until": request.retain_until.isoformat()},
                actor_label="system",
            )
            anonymise_ledger(resident)
        request.ledger_erased_at = utcnow()
        db.session.commit()
    return {"retried": len(stuck), "ledger_erased": len(expired)}
