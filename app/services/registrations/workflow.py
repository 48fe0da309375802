"""A registration's steps, both kinds alike: confirm, signed form, accept, reject, withdraw, end.

pending_confirmation → submitted (the person confirms, or staff attach the signed form) →
accepted (a reviewer in place; the kind's effect: numbers, ledger) or rejected (with a reason);
the person (or whoever entered it) may withdraw before it takes effect. Each outcome is pushed
to the person and audited; a repeated step answers the state it reached (idempotent).
"""

from flask import current_app

from app.common import files
from app.common.clock import local_day
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    EndingReason,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Role,
    utcnow,
)
from app.services.people import audit
from app.services.people.consents import require_consent
from app.services.people.province_outbox import note_for_province
from app.services.registrations import employment, unemployment
from app.services.registrations.records import (
    READ_ROLES,
    close,
    get_registration,
    push_outcome,
    require_reviewer,
)

S = RegistrationStatus
# A signed form is a scan or a photo of the paper the person signed at the counter.
FORM_TYPES = (files.PDF, files.JPEG, files.PNG)
EFFECTS = {RegistrationKind.unemployment: unemployment, RegistrationKind.employment: employment}


def _audit(action: str, actor: Account, registration: Registration, ip: str | None, **detail) -> None:
    """Record a step about the registration's person and commit it with the change."""
    audit.commit(
        action,
        actor=actor,
        object_type="resident",
        object_id=registration.resident_id,
        ip=ip,
        detail={"registration_id": registration.id, "kind": registration.kind, **detail},
    )


def read(actor: Account, registration_id: int, ip: str | None) -> Registration:
    """Return one registration; a staff member's read of the person's record is audited."""
    registration = get_registration(actor, registration_id)
    if actor.role in READ_ROLES:
        _audit("registration.read", actor, registration, ip)
    return registration


def confirm(actor: Account, registration_id: int, ip: str | None) -> Registration:
    """The person confirms what staff or the employer entered: it goes to review."""
    if actor.role != Role.resident:
        raise Forbidden("role_forbidden", "Only the person registered confirms.")
    require_consent(actor)  # confirming lets us process what others entered about them
    registration = get_registration(actor, registration_id, for_update=True)
    if registration.confirmed_at is not None and registration.status != S.pending_confirmation:
        return registration  # confirmed before (a retry)
    if registration.status != S.pending_confirmation:
        raise Conflict("not_awaiting_confirmation", f"This registration is {registration.status}.")
    _submit(registration, "resident")
    _audit("registration.confirm", actor, registration, ip)
    return registration


def _submit(registration: Registration, by: str) -> None:
    """Move a confirmed registration on to review."""
    now = utcnow()
    registration.status = S.submitted.value
    registration.confirmed_at = registration.submitted_at = now
    registration.confirmed_by = by


def attach_form(actor: Account, registration_id: int, upload, ip: str | None) -> Registration:
    """Staff attach the form the person signed at the counter (PDF, JPG, PNG): it goes to review."""
    require_reviewer(actor)
    registration = get_registration(actor, registration_id, for_update=True)
    if registration.status != S.pending_confirmation:
        raise Conflict("not_awaiting_confirmation", f"This registration is {registration.status}.")
    data, kind = files.read_upload(upload, "file", FORM_TYPES, current_app.config["UPLOAD_MAX_BYTES"])
    storage_name = files.store("registrations", data, kind)
    registration.form_storage_name = storage_name
    registration.form_content_type = kind.content_type
    registration.form_name = files.safe_download_name(upload.filename, kind.ext)
    _submit(registration, "signed_form")
    audit.record(
        "registration.signed_form",
        actor=actor,
        object_type="resident",
        object_id=registration.resident_id,
        ip=ip,
        detail={"registration_id": registration.id, "size": len(data)},
    )
    files.commit_or_remove(db.session, storage_name)
    return registration


def signed_form(actor: Account, registration_id: int) -> files.StoredFile:
    """Return a registration's signed form to whoever may see the registration (404 without one)."""
    registration = get_registration(actor, registration_id)
    if not registration.form_storage_name:
        raise Conflict("no_signed_form", "No signed form is attached to this registration.")
    return files.stored_file(
        registration.form_storage_name, registration.form_content_type, registration.form_name
    )


def accept(actor: Account, registration_id: int, note: str | None, ip: str | None) -> Registration:
    """Accept a submitted registration: it takes effect (number, ledger), and the person is told."""
    require_reviewer(actor)
    registration = get_registration(actor, registration_id, for_update=True)
    if registration.status == S.accepted:
        return registration
    if registration.status != S.submitted:
        raise Conflict(
            "not_submitted", f"Only a submitted registration can be accepted; this is {registration.status}."
        )
    today = local_day()
    EFFECTS[RegistrationKind(registration.kind)].take_effect(registration, actor, today)
    note_for_province(
        f"{registration.kind}_registration", "person", registration.resident, registration, "create"
    )
    registration.status = S.accepted.value
    registration.reviewed_at, registration.reviewed_by_id = utcnow(), actor.id
    registration.review_note = note
    push_outcome(registration, "accepted", "已受理", registration.number)
    _audit("registration.accept", actor, registration, ip, number=registration.number)
    return registration


def reject(actor: Account, registration_id: int, reason: str, ip: str | None) -> Registration:
    """Reject a registration not yet in effect, with the reason the person reads."""
    require_reviewer(actor)
    registration = get_registration(actor, registration_id, for_update=True)
    if registration.status == S.rejected:
        return registration
    if registration.status not in (S.submitted, S.pending_confirmation):
        raise Conflict(
            "not_submitted",
            f"Only a registration under review can be rejected; this is {registration.status}.",
        )
    close(registration, S.rejected)
    registration.reviewed_at, registration.reviewed_by_id = utcnow(), actor.id
    registration.review_note = reason
    push_outcome(registration, "rejected", "未通过", reason)
    _audit("registration.reject", actor, registration, ip, reason=reason)
    return registration


def withdraw(actor: Account, registration_id: int, note: str | None, ip: str | None) -> Registration:
    """Withdraw (the person, or whoever entered it): before review it is withdrawn, after it ends.

    An accepted unemployment registration ends (`withdrawn`) and the ledger goes back to
    `unemployed`; an employment in effect ends by registering its end (离职) instead.
    """
    registration = get_registration(actor, registration_id, for_update=True)
    if actor.role != Role.resident and registration.author_id != actor.id:
        raise Forbidden("not_yours", "Only the person, or whoever entered it, withdraws a registration.")
    if registration.status in (S.withdrawn, S.ended, S.rejected):
        return registration
    if registration.status == S.accepted:
        if registration.kind == RegistrationKind.employment:
            raise Conflict("registration_in_effect", "Register the end of employment (离职) instead.")
        unemployment.end(registration, EndingReason.withdrawn, actor, note)
    else:
        close(registration, S.withdrawn)
        registration.ended_at, registration.ending_note = utcnow(), note
        registration.ended_by_id = actor.id
    _audit("registration.withdraw", actor, registration, ip)
    return registration


def end(actor: Account, registration_id: int, values: dict, ip: str | None) -> Registration:
    """End a registration in effect: an employment's end (离职), or staff ending an unemployment one."""
    registration = get_registration(actor, registration_id)
    if registration.kind == RegistrationKind.employment:
        return employment.end_employment(actor, registration_id, values, ip)
    if actor.role == Role.resident:
        raise Conflict("withdraw_instead", "End your unemployment registration by withdrawing it.")
    require_reviewer(actor)
    registration = get_registration(actor, registration_id, for_update=True)
    if registration.status == S.ended:
        return registration
    if registration.status != S.accepted:
        raise Conflict("registration_not_in_effect", "Only an accepted registration can be ended.")
    if not values.get("reason"):
        raise ValidationFailed("reason", "Say why it ends.", code="reason_required")
    unemployment.end(registration, EndingReason.staff_ended, actor, values["reason"])
    _audit("registration.end", actor, registration, ip, reason=values["reason"])
    return registration
