"""Registrations (失业登记 / 就业登记): a resident's under /me; staff and employers under /registrations."""

from flask import request

from app.api.downloads import send_stored
from app.api.json_body import Blueprint
from app.api.schemas.common import UPLOAD_DOC, file_doc
from app.api.schemas.consents import CONSENT_REQUIRED
from app.api.schemas.registrations import (
    CardRevealSchema,
    EmploymentInputSchema,
    RegistrationEndSchema,
    RegistrationFollowUpInputSchema,
    RegistrationNoteSchema,
    RegistrationPageSchema,
    RegistrationQuerySchema,
    RegistrationRejectSchema,
    RegistrationSchema,
    RevealedCardSchema,
    UnemploymentInputSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.models import STAFF_ROLES, Role
from app.services.registrations import employment, follow_ups, records, unemployment, workflow

URL_PREFIX = ""
blp = Blueprint("registrations", __name__, description="Unemployment and employment registrations")
STAFF_OR_EMPLOYER = (*STAFF_ROLES, Role.employer)
RETRY = "Sent before with this client_id: the first registration"


# ---- the resident's own ---------------------------------------------------------------------------


@blp.post("/me/registrations/unemployment")
@auth_required(Role.resident)
@blp.arguments(UnemploymentInputSchema)
@blp.response(201, RegistrationSchema)
@blp.alt_response(200, schema=RegistrationSchema, description=RETRY)
@blp.alt_response(403, **CONSENT_REQUIRED)
def apply_unemployment(values):
    """Apply for unemployment registration (失业登记): submitted for review at once.

    422 not_working_age / birth_date_unknown / community_required / left_on_in_future /
    invalid_credit_code / invalid_card_number; 409 currently_employed (the ledger or an employment
    registration says I work) or registration_open (one open per person).
    """
    registration, created = unemployment.create(current_account(), values, client_ip())
    return registration, 201 if created else 200


@blp.post("/me/registrations/employment")
@auth_required(Role.resident)
@blp.arguments(EmploymentInputSchema)
@blp.response(201, RegistrationSchema)
@blp.alt_response(200, schema=RegistrationSchema, description=RETRY)
@blp.alt_response(403, **CONSENT_REQUIRED)
def register_own_employment(values):
    """Register my self-employment or flexible work (就业登记), for review (422 employment_kind_not_self)."""
    registration, created = employment.create(current_account(), values, client_ip())
    return registration, 201 if created else 200


@blp.get("/me/registrations")
@auth_required(Role.resident)
@blp.arguments(RegistrationQuerySchema, location="query")
@blp.response(200, RegistrationPageSchema)
def list_own(args):
    """List my registrations, newest first (?kind=&status=)."""
    return records.list_registrations(current_account(), **args)


@blp.get("/me/registrations/<int:registration_id>")
@auth_required(Role.resident)
@blp.response(200, RegistrationSchema)
def get_own(registration_id):
    """Return one of my registrations."""
    return records.get_registration(current_account(), registration_id)


@blp.post("/me/registrations/<int:registration_id>/confirm")
@auth_required(Role.resident)
@blp.arguments(RegistrationNoteSchema)
@blp.response(200, RegistrationSchema)
@blp.alt_response(403, **CONSENT_REQUIRED)
def confirm(values, registration_id):
    """Confirm what staff or my employer entered for me: it goes to review (409 not_awaiting_confirmation)."""
    return workflow.confirm(current_account(), registration_id, client_ip())


@blp.post("/me/registrations/<int:registration_id>/withdraw")
@auth_required(Role.resident)
@blp.arguments(RegistrationNoteSchema)
@blp.response(200, RegistrationSchema)
def withdraw_own(values, registration_id):
    """Withdraw my registration (an accepted unemployment one ends: the ledger says unemployed)."""
    return workflow.withdraw(current_account(), registration_id, values.get("note"), client_ip())


@blp.post("/me/registrations/<int:registration_id>/follow-up")
@auth_required(Role.resident)
@blp.arguments(RegistrationFollowUpInputSchema)
@blp.response(200, RegistrationSchema)
@blp.alt_response(403, **CONSENT_REQUIRED)
def follow_up_own(values, registration_id):
    """Confirm I still look for work: my unemployment registration stays valid another period."""
    return follow_ups.follow_up(current_account(), registration_id, values, client_ip())


@blp.post("/me/registrations/<int:registration_id>/end")
@auth_required(Role.resident)
@blp.arguments(RegistrationEndSchema)
@blp.response(200, RegistrationSchema)
def end_own(values, registration_id):
    """Register the end of my employment (离职: ended_on, reason): the ledger says unemployed."""
    return workflow.end(current_account(), registration_id, values, client_ip())


# ---- staff and employers ------------------------------------------------------------------------


@blp.get("/registrations")
@auth_required(*STAFF_OR_EMPLOYER)
@blp.arguments(RegistrationQuerySchema, location="query")
@blp.response(200, RegistrationPageSchema)
def list_registrations(args):
    """List registrations: staff those in their place, an employer those it entered (newest first)."""
    return records.list_registrations(current_account(), **args)


@blp.post("/registrations/unemployment")
@auth_required(*STAFF_ROLES)
@blp.arguments(UnemploymentInputSchema)
@blp.response(201, RegistrationSchema)
@blp.alt_response(200, schema=RegistrationSchema, description=RETRY)
def enter_unemployment(values):
    """Enter an unemployment registration at the counter for a resident in my place (resident_id).

    It waits for the person's confirmation (in the mini-program) or the signed form.
    """
    registration, created = unemployment.create(current_account(), values, client_ip())
    return registration, 201 if created else 200


@blp.post("/registrations/employment")
@auth_required(*STAFF_OR_EMPLOYER)
@blp.arguments(EmploymentInputSchema)
@blp.response(201, RegistrationSchema)
@blp.alt_response(200, schema=RegistrationSchema, description=RETRY)
def enter_employment(values):
    """Enter an employment registration: an employer for a hired application, staff for a resident.

    It waits for the person's confirmation (or staff attach the signed form). 409
    application_not_hired; 409 registration_open.
    """
    registration, created = employment.create(current_account(), values, client_ip())
    return registration, 201 if created else 200


@blp.get("/registrations/<int:registration_id>")
@auth_required(*STAFF_OR_EMPLOYER)
@blp.response(200, RegistrationSchema)
def get_registration(registration_id):
    """Return one registration (staff in place: audited; an employer: one it entered)."""
    return workflow.read(current_account(), registration_id, client_ip())


@blp.post("/registrations/<int:registration_id>/signed-form")
@auth_required(*STAFF_ROLES)
@blp.doc(**UPLOAD_DOC)
@blp.response(200, RegistrationSchema)
def attach_form(registration_id):
    """Attach the form the person signed at the counter (PDF, JPG or PNG, ≤ 10 MB): it goes to review."""
    return workflow.attach_form(current_account(), registration_id, request.files.get("file"), client_ip())


@blp.get("/registrations/<int:registration_id>/signed-form")
@auth_required(*STAFF_OR_EMPLOYER)
@blp.doc(**file_doc(workflow.FORM_TYPES))
def download_form(registration_id):
    """Download a registration's signed form (409 no_signed_form when none is attached)."""
    return send_stored(workflow.signed_form(current_account(), registration_id))


@blp.post("/registrations/<int:registration_id>/accept")
@auth_required(*STAFF_ROLES)
@blp.arguments(RegistrationNoteSchema)
@blp.response(200, RegistrationSchema)
def accept(values, registration_id):
    """Accept a submitted registration: its number, the ledger change, a push (409 not_submitted)."""
    return workflow.accept(current_account(), registration_id, values.get("note"), client_ip())


@blp.post("/registrations/<int:registration_id>/reject")
@auth_required(*STAFF_ROLES)
@blp.arguments(RegistrationRejectSchema)
@blp.response(200, RegistrationSchema)
def reject(values, registration_id):
    """Reject a registration under review with the reason the person reads."""
    return workflow.reject(current_account(), registration_id, values["reason"], client_ip())


@blp.post("/registrations/<int:registration_id>/withdraw")
@auth_required(*STAFF_OR_EMPLOYER)
@blp.arguments(RegistrationNoteSchema)
@blp.response(200, RegistrationSchema)
def withdraw(values, registration_id):
    """Withdraw a registration I entered, before it takes effect."""
    return workflow.withdraw(current_account(), registration_id, values.get("note"), client_ip())


@blp.post("/registrations/<int:registration_id>/follow-up")
@auth_required(*STAFF_ROLES)
@blp.arguments(RegistrationFollowUpInputSchema)
@blp.response(200, RegistrationSchema)
def follow_up(values, registration_id):
    """Record a follow-up (phone, station, visit): the registration stays valid another period."""
    return follow_ups.follow_up(current_account(), registration_id, values, client_ip())


@blp.post("/registrations/<int:registration_id>/end")
@auth_required(*STAFF_OR_EMPLOYER)
@blp.arguments(RegistrationEndSchema)
@blp.response(200, RegistrationSchema)
def end(values, registration_id):
    """End a registration in effect: an employment's end (离职), or staff ending an unemployment one."""
    return workflow.end(current_account(), registration_id, values, client_ip())


@blp.post("/registrations/<int:registration_id>/reveal")
@auth_required(*STAFF_ROLES)
@blp.arguments(CardRevealSchema)
@blp.response(200, RevealedCardSchema)
def reveal(values, registration_id):
    """Reveal the full 就业创业证 number (allowed roles only; audited)."""
    revealed = unemployment.reveal_card_number(
        current_account(), registration_id, values["reason"], client_ip()
    )
    return revealed, {"Cache-Control": "no-store"}
