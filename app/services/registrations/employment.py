"""Employment registration (就业登记) and its end (离职).

Entered by the employer for someone it hired through the platform (from the hired application;
the person confirms), by the resident for self-employment or flexible work (reviewed), or by
staff at the counter (the person confirms, or staff attach the signed form). Accepted, it ends
an open unemployment registration (`registered_employed`) and the ledger says employed or
flexible (source `registration`). Its end is recorded on it by either party or staff, and takes
the ledger back to `unemployed` at once.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.common.credit_code import parse_credit_code
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    ContractType,
    Employer,
    EmploymentKind,
    EmploymentStatus,
    EndingReason,
    EnteredVia,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Role,
    StatusSource,
    utcnow,
)
from app.services.jobs.employers import employer_of
from app.services.people import audit
from app.services.people.consents import require_consent
from app.services.people.facts_changed import facts_changed
from app.services.people.province_outbox import note_for_province
from app.services.people.residents import resident_of
from app.services.people.status import WORKING, record_status
from app.services.registrations import numbers, unemployment
from app.services.registrations.records import (
    by_client_id,
    close,
    get_registration,
    open_key,
    open_registration,
    place_of,
    push_outcome,
    refuse_second_open,
    require_reviewer,
    staff_resident,
)

KIND = RegistrationKind.employment
# The ledger status each kind of work means (个体经营 is employment; 灵活就业 its own status).
LEDGER_STATUS = {
    EmploymentKind.employed: EmploymentStatus.employed,
    EmploymentKind.self_employed: EmploymentStatus.employed,
    EmploymentKind.flexible: EmploymentStatus.flexible,
}
# What a resident registers for themselves: work without an employer to register it.
SELF_KINDS = frozenset({EmploymentKind.self_employed, EmploymentKind.flexible})


def _hired_application(actor: Account, application_id: int | None) -> Application:
    """Return the employer's hired application a registration is entered from, or refuse."""
    if application_id is None:
        raise ValidationFailed(
            "application_id", "Name the hired application you register.", code="application_required"
        )
    application = db.session.scalar(
        sa.select(Application).where(
            Application.id == application_id, Application.employer_id == employer_of(actor).id
        )
    )
    if application is None:
        raise NotFound("application_not_found", f"No application {application_id} to your jobs.")
    if application.status != ApplicationStatus.hired:
        raise Conflict(
            "application_not_hired", "Mark the application hired before registering the employment."
        )
    return application


def _who(actor: Account, values: dict):
    """Return (resident, entered via, employer or None, application or None) of a new registration."""
    if actor.role == Role.resident:
        if EmploymentKind(values["employment_kind"]) not in SELF_KINDS:
            raise ValidationFailed(
                "employment_kind",
                "Your employer registers employment with it; register self-employment or flexible work.",
                code="employment_kind_not_self",
            )
        require_consent(actor)
        return resident_of(actor), EnteredVia.resident, None, None
    if actor.role == Role.employer:
        application = _hired_application(actor, values.get("application_id"))
        return application.resident, EnteredVia.employer, employer_of(actor), application
    if values.get("resident_id") is None:
        raise ValidationFailed("resident_id", "Name the resident you register.", code="resident_required")
    resident = staff_resident(actor, values["resident_id"])
    employer = None
    if values.get("employer_id") is not None:
        employer = db.session.get(Employer, values["employer_id"])
        if employer is None:
            raise ValidationFailed("employer_id", "No such employer.", code="employer_not_found")
    return resident, EnteredVia.staff, employer, None


def _fill(registration: Registration, values: dict, employer, today: date) -> None:
    """Copy the form's fields, the employer's name and code taking precedence over typed ones."""
    if values["started_on"] > today:
        raise ValidationFailed(
            "started_on", "The first day cannot be after today.", code="started_on_in_future"
        )
    kind = EmploymentKind(values.get("employment_kind") or EmploymentKind.employed)
    registration.employment_kind = kind.value
    registration.started_on = values["started_on"]
    registration.work_description = values.get("work_description")
    default_contract = ContractType.none if kind in SELF_KINDS else ContractType.fixed_term
    registration.contract_type = values.get("contract_type") or default_contract.value
    if employer is not None:
        registration.employer_id = employer.id
        registration.employer_name, registration.employer_uscc = employer.name, employer.credit_code
        return
    registration.employer_name = values.get("employer_name")
    if values.get("employer_uscc"):
        registration.employer_uscc = parse_credit_code(values["employer_uscc"], "employer_uscc")
    if kind == EmploymentKind.employed and not registration.employer_name:
        raise ValidationFailed("employer_name", "Name the employer.", code="employer_required")


def create(actor: Account, values: dict, ip: str | None) -> tuple[Registration, bool]:
    """Enter an employment registration; a retried client_id returns the first (created False)."""
    existing = by_client_id(actor, values["client_id"])
    if existing is not None:
        return existing, False
    if actor.role not in (Role.resident, Role.employer):
        require_reviewer(actor)
    resident, via, employer, application = _who(actor, values)
    today = local_day()
    place = place_of(resident)
    found = open_registration(resident.id, KIND)
    if found is not None:
        raise refuse_second_open(found)
    now, by_self = utcnow(), via == EnteredVia.resident
    registration = Registration(
        kind=KIND.value,
        resident_id=resident.id,
        open_key=open_key(resident.id, KIND),
        author_id=actor.id,
        client_id=values["client_id"],
        entered_via=via.value,
        application_id=application.id if application is not None else None,
        status=(RegistrationStatus.submitted if by_self else RegistrationStatus.pending_confirmation).value,
        submitted_at=now if by_self else None,
        confirmed_at=now if by_self else None,
        confirmed_by="resident" if by_self else None,
        **place,
    )
    _fill(registration, values, employer, today)
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        again = by_client_id(actor, values["client_id"])
        if again is not None:
            return again, False
        raise refuse_second_open(open_registration(resident.id, KIND) or registration) from None
    if not by_self:
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


def take_effect(registration: Registration, actor: Account, today: date) -> None:
    """Accept: a number; an open unemployment registration ends; the ledger says at work. No commit."""
    registration.number = numbers.next_number(KIND, registration.district_id, today)
    registration.accepted_on = today
    resident = registration.resident
    facts_changed(resident)  # policies re-match the person after the commit
    open_unemployment = open_registration(resident.id, RegistrationKind.unemployment)
    if open_unemployment is not None:
        unemployment.end(open_unemployment, EndingReason.registered_employed, actor, move_ledger=False)
    record_status(
        resident,
        LEDGER_STATUS[EmploymentKind(registration.employment_kind)],
        StatusSource.registration,
        actor=actor,
        note=f"就业登记 {registration.number}",
    )


def end_employment(actor: Account, registration_id: int, values: dict, ip: str | None) -> Registration:
    """Register the end of an employment in effect (离职): by the person, its employer, or staff."""
    registration = get_registration(actor, registration_id, for_update=True)
    if registration.kind != KIND:
        raise Conflict("not_employment", "Only an employment registration has an end of employment.")
    if actor.role not in (Role.resident, Role.employer):
        require_reviewer(actor)
    if registration.status == RegistrationStatus.ended:
        return registration  # a retried end: recorded once
    if registration.status != RegistrationStatus.accepted:
        raise Conflict("registration_not_in_effect", "Only an accepted employment registration can end.")
    ended_on = values.get("ended_on")
    if ended_on is None:
        raise ValidationFailed("ended_on", "Give the last day of work (离职日期).", code="ended_on_required")
    if ended_on > local_day():
        raise ValidationFailed("ended_on", "The last day cannot be after today.", code="ended_on_in_future")
    if registration.started_on and ended_on < registration.started_on:
        raise ValidationFailed("ended_on", "The last day is before the first day.", code="ended_before_start")
    close(registration, RegistrationStatus.ended)
    registration.ended_at, registration.ended_on = utcnow(), ended_on
    registration.ending_reason = EndingReason.left_job.value
    registration.ending_note = values.get("reason")
    registration.ended_by_id = actor.id
    resident = registration.resident
    facts_changed(resident)
    note_for_province("employment_registration", "person", resident, registration, "close")
    if resident.employment_status in WORKING:
        record_status(
            resident,
            EmploymentStatus.unemployed,
            StatusSource.registration,
            actor=actor,
            note=f"离职 {registration.number}",
        )
    push_outcome(registration, "ended", "已登记离职", values.get("reason") or "")
    audit.commit(
        "registration.end",
        actor=actor,
        object_type="resident",
        object_id=resident.id,
        ip=ip,
        detail={"registration_id": registration.id, "kind": KIND.value, "ended_on": ended_on.isoformat()},
    )
    return registration
