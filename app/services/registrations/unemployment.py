"""Unemployment registration (失业登记): apply or enter at the counter, take effect, end.

A resident applies in the mini-program (submitted for review at once); station staff enter one
at the counter on the person's behalf (pending until the person confirms, or staff attach the
signed form). Accepted, the ledger says `unemployed_registered` (source `registration`), the
registration gets its number and is valid for UNEMPLOYMENT_FOLLOW_UP_MONTHS; each follow-up
moves that on (follow_ups.py). It ends when the person starts work (the ledger's hook in
people/status.py, or an employment registration), stops keeping in touch, withdraws, or staff
end it; each end says why.
"""

import calendar
import re
import unicodedata
from datetime import date, timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.common.credit_code import parse_credit_code
from app.common.crypto import decrypt, encrypt, lookup_hash
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    EmploymentStatus,
    EndingReason,
    EnteredVia,
    KeyGroup,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Resident,
    Role,
    StatusSource,
    utcnow,
)
from app.services.people import audit
from app.services.people.consents import PERSONAL_DATA, SENSITIVE_DATA, require_consent
from app.services.people.facts_changed import facts_changed
from app.services.people.personal_data import REVEAL_ROLES
from app.services.people.province_outbox import note_for_province
from app.services.people.residents import resident_of
from app.services.people.status import WORKING, add_key_group, record_status
from app.services.registrations import numbers
from app.services.registrations.records import (
    by_client_id,
    close,
    get_registration,
    open_key,
    open_registration,
    place_of,
    push_outcome,
    refuse_second_open,
    staff_resident,
)

KIND = RegistrationKind.unemployment
FIELDS = ("reason_for_leaving", "last_employer_name", "left_on", "wanted_work", "wants_training")
CARD_NUMBER = re.compile(r"^[0-9A-Z]{6,32}$")


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later; a day the month lacks falls on its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_months() -> int:
    """Return the follow-up period in months (config UNEMPLOYMENT_FOLLOW_UP_MONTHS)."""
    return current_app.config["UNEMPLOYMENT_FOLLOW_UP_MONTHS"]


# ---- the 就业创业证 number -----------------------------------------------------------------------


def parse_card_number(raw: str, field: str = "employment_card_number") -> str:
    """Normalise (full-width, spaces, case) and check a 就业创业证 number: 6–32 letters and digits."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "")).upper()
    if not CARD_NUMBER.fullmatch(value):
        raise ValidationFailed(
            field, "An employment card number is 6–32 letters and digits.", code="invalid_card_number"
        )
    return value


def mask_card_number(value: str) -> str:
    """Return a card number with its middle hidden: first 4 and last 4 shown."""
    return (
        value[:4] + "*" * (len(value) - 8) + value[-4:]
        if len(value) > 8
        else value[:2] + "*" * (len(value) - 2)
    )


def set_card_number(registration: Registration, raw: str) -> None:
    """Store a 就业创业证 number encrypted, with its lookup hash and masked hint."""
    value = parse_card_number(raw)
    registration.card_number_enc = encrypt(value, "card_number")
    registration.card_number_hmac = lookup_hash(value, "card_number")
    registration.card_number_hint = mask_card_number(value)


def reveal_card_number(actor: Account, registration_id: int, reason: str, ip: str | None) -> dict:
    """Return a registration's full 就业创业证 number to a role that may see it; audit it either way."""
    registration = get_registration(actor, registration_id)
    if actor.role == Role.resident:
        raise Forbidden("reveal_forbidden", "Staff reveal card numbers; yours is on your card.")
    fields = {"object_type": "resident", "object_id": registration.resident_id, "ip": ip}
    detail = {"registration_id": registration.id, "fields": ["employment_card_number"], "reason": reason}
    if actor.role not in REVEAL_ROLES:
        audit.commit("registration.reveal", "denied", actor=actor, detail=detail, **fields)
        raise Forbidden("reveal_forbidden", "Your role works with masked personal data only.")
    number = decrypt(registration.card_number_enc, "card_number") if registration.card_number_enc else None
    audit.commit("registration.reveal", actor=actor, detail=detail, **fields)
    return {"id": registration.id, "employment_card_number": number}


# ---- applying ---------------------------------------------------------------------------------


def check_can_register(resident: Resident, today: date) -> None:
    """Refuse a person outside working age (422) or at work (409) an unemployment registration."""
    age = resident.age(today)
    if age is None:
        raise ValidationFailed(
            "resident",
            "Add your ID-card number first: registration needs your age.",
            code="birth_date_unknown",
        )
    low, high = current_app.config["WORKING_AGE_MIN"], current_app.config["WORKING_AGE_MAX"]
    if not low <= age <= high:
        raise ValidationFailed(
            "resident", f"Unemployment registration is for ages {low}–{high}.", code="not_working_age"
        )
    working = open_registration(resident.id, RegistrationKind.employment)
    if resident.employment_status in WORKING or (
        working is not None and working.status == RegistrationStatus.accepted
    ):
        raise Conflict(
            "currently_employed",
            "The ledger shows this person at work; register the end of employment (离职) first.",
        )


def _fill(registration: Registration, values: dict, today: date) -> None:
    """Copy the form's fields onto a new registration, checking the dates and codes."""
    if values["left_on"] > today:
        raise ValidationFailed(
            "left_on", "The day of leaving cannot be after today.", code="left_on_in_future"
        )
    for name in FIELDS:
        setattr(registration, name, values.get(name))
    if values.get("last_employer_uscc"):
        registration.last_employer_uscc = parse_credit_code(
            values["last_employer_uscc"], "last_employer_uscc"
        )
    if values.get("employment_card_number"):
        set_card_number(registration, values["employment_card_number"])


def create(actor: Account, values: dict, ip: str | None) -> tuple[Registration, bool]:
    """Apply (a resident) or enter at the counter (staff); a retried client_id returns the first."""
    existing = by_client_id(actor, values["client_id"])
    if existing is not None:
        return existing, False
    if actor.role == Role.resident:
        # The 就业创业证 number is an identity number: it needs the separate sensitive-data consent.
        require_consent(actor, *(SENSITIVE_DATA if values.get("employment_card_number") else PERSONAL_DATA))
        resident, via = resident_of(actor), EnteredVia.resident
    else:
        if values.get("resident_id") is None:
            raise ValidationFailed("resident_id", "Name the resident you register.", code="resident_required")
        resident, via = staff_resident(actor, values["resident_id"]), EnteredVia.staff
    today = local_day()
    place = place_of(resident)
    check_can_register(resident, today)
    found = open_registration(resident.id, KIND)
    if found is not None:
        raise refuse_second_open(found)
    now = utcnow()
    registration = Registration(
        kind=KIND.value,
        resident_id=resident.id,
        open_key=open_key(resident.id, KIND),
        author_id=actor.id,
        client_id=values["client_id"],
        entered_via=via.value,
        # The person applying confirms by applying; a counter entry waits for them.
        status=(
            RegistrationStatus.submitted
            if via == EnteredVia.resident
            else RegistrationStatus.pending_confirmation
        ).value,
        submitted_at=now if via == EnteredVia.resident else None,
        confirmed_at=now if via == EnteredVia.resident else None,
        confirmed_by="resident" if via == EnteredVia.resident else None,
        **place,
    )
    _fill(registration, values, today)
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:
        # A retry racing its first try, or a second registration racing the first: the unique
        # keys keep one; the same client id gets that one, anyone else the 409.
        db.session.rollback()
        again = by_client_id(actor, values["client_id"])
        if again is not None:
            return again, False
        raise refuse_second_open(open_registration(resident.id, KIND) or registration) from None
    if via == EnteredVia.staff:
        push_outcome(registration, "entered", "待确认", "请在小程序中确认")
    audit.commit(
        "registration.create",
        actor=actor,
        object_type="resident",
        object_id=resident.id,
        ip=ip,
        detail={"registration_id": registration.id, "kind": KIND.value, "entered_via": via.value},
    )
    return registration, True


# ---- taking effect and ending ------------------------------------------------------------------


def take_effect(registration: Registration, actor: Account, today: date) -> None:
    """Accept: a number, a validity, the ledger's `unemployed_registered`. Does not commit."""
    resident = registration.resident
    if resident.employment_status in WORKING:
        raise Conflict("currently_employed", "The ledger shows this person at work since applying.")
    registration.number = numbers.next_number(KIND, registration.district_id, today)
    registration.accepted_on = today
    registration.valid_until = add_months(today, follow_up_months()) - timedelta(days=1)
    facts_changed(resident)  # policies re-match the person after the commit
    record_status(
        resident,
        EmploymentStatus.unemployed_registered,
        StatusSource.registration,
        actor=actor,
        note=f"失业登记 {registration.number}",
    )
    # The key group it brings (登记失业人员) rests on this registration, its reviewer the certifier.
    # (add_key_group finds the row record_status started, or starts it for a ledger that already
    # said registered unemployed, from an import, with no registration behind it.)
    row = add_key_group(resident, KeyGroup.registered_unemployed, StatusSource.registration, actor)
    row.verified_by_id, row.registration_id = actor.id, registration.id


def end(
    registration: Registration,
    reason: EndingReason,
    actor: Account | None,
    note: str | None = None,
    move_ledger: bool = True,
) -> None:
    """End an open unemployment registration; an accepted one takes the ledger back to `unemployed`.

    Does not commit. A registration that never took effect ends too (it can no longer be
    accepted), without touching the ledger. `move_ledger=False` leaves the ledger to the caller
    (an employment taking effect moves it straight to employed).
    """
    was_accepted = registration.status == RegistrationStatus.accepted
    close(registration, RegistrationStatus.ended)
    registration.ended_at = utcnow()
    registration.ended_on = local_day()
    registration.ending_reason = reason.value
    registration.ending_note = note
    registration.ended_by_id = actor.id if actor is not None else None
    resident = registration.resident
    facts_changed(resident)
    if was_accepted:  # the province heard of it when it took effect, never of one that did not
        note_for_province("unemployment_registration", "person", resident, registration, "close")
    if move_ledger and was_accepted and resident.employment_status == EmploymentStatus.unemployed_registered:
        record_status(
            resident,
            EmploymentStatus.unemployed,
            StatusSource.registration,
            actor=actor,
            note=f"失业登记 {registration.number} 终止: {reason.value}",
        )
    push_outcome(registration, "ended", "已终止", note or ENDING_NOTES.get(reason, ""))


# What the person reads about why it ended (≤ 20 characters).
ENDING_NOTES = {
    EndingReason.registered_employed: "已办理就业登记",
    EndingReason.no_follow_up: "逾期未联系求职情况",
    EndingReason.withdrawn: "本人申请注销",
    EndingReason.staff_ended: "工作人员办理注销",
}
