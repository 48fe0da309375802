"""Employers: registered by a WeChat user (or by staff in the field, then claimed), licence, verification."""

from flask import request

from app.api.downloads import send_stored
from app.api.json_body import Blueprint
from app.api.schemas.common import UPLOAD_DOC, file_doc
from app.api.schemas.employer_visits import (
    ClaimCodeSchema,
    ClaimInputSchema,
    FieldEmployerInputSchema,
    FieldEmployerSchema,
)
from app.api.schemas.employers import (
    EmployerDetailSchema,
    EmployerInputSchema,
    EmployerPageSchema,
    EmployerQuerySchema,
    EmployerSchema,
    EmployerUpdateSchema,
    VerifySchema,
)
from app.auth import auth_required, client_ip, current_account, staff_required
from app.common.files import LICENCE_TYPES
from app.models import STAFF_ROLES, Role
from app.services.jobs import employer_claims, employers
from app.services.results import RowWith

URL_PREFIX = "/employers"
blp = Blueprint("employers", __name__, description="Employers and their verification")


@blp.post("")
@auth_required(Role.resident, Role.employer)
@blp.arguments(EmployerInputSchema)
@blp.response(201, EmployerSchema)
def register(values):
    """Register my business (my account becomes an employer account; status pending)."""
    return employers.register(current_account(), values, client_ip())


@blp.post("/field-registrations")
@staff_required
@blp.arguments(FieldEmployerInputSchema)
@blp.response(201, FieldEmployerSchema)
@blp.alt_response(
    200, schema=FieldEmployerSchema, description="Sent before with this client_id: that employer, a new code"
)
def register_in_field(values):
    """Register a business met in the field with no WeChat account yet; answers its one-time claim code."""
    employer, code, expires_at, created = employer_claims.register_in_field(
        current_account(), values, client_ip()
    )
    body = RowWith(employer, claim_code=code, claim_code_expires_at=expires_at)
    return body, 201 if created else 200


@blp.post("/<int:employer_id>/claim-code")
@staff_required
@blp.response(200, ClaimCodeSchema)
def issue_claim_code(employer_id):
    """Issue a new claim code for a staff-registered business in my area (the old code stops working)."""
    employer, code, expires_at = employer_claims.issue_claim_code(current_account(), employer_id, client_ip())
    return {"employer_id": employer.id, "claim_code": code, "claim_code_expires_at": expires_at}


@blp.post("/claim")
@auth_required(Role.resident, Role.employer)
@blp.arguments(ClaimInputSchema)
@blp.response(200, EmployerSchema)
def claim(values):
    """Claim the business staff registered, by its credit code and the code they gave (I become its owner)."""
    return employer_claims.claim(current_account(), values, client_ip())


@blp.get("/me")
@auth_required(Role.employer)
@blp.response(200, EmployerDetailSchema)
def get_mine():
    """Return my business, with its verification status."""
    return employers.employer_of(current_account())


@blp.get("")
@staff_required
@blp.arguments(EmployerQuerySchema, location="query")
@blp.response(200, EmployerPageSchema)
def list_employers(args):
    """List employers in my place (e.g. ?status=pending to verify)."""
    return employers.list_employers(current_account(), **args)


@blp.get("/<int:employer_id>")
@auth_required(Role.employer, *STAFF_ROLES)
@blp.response(200, EmployerDetailSchema)
def get_employer(employer_id):
    """Return one employer to its owner or to staff in its place."""
    return employers.get_employer(current_account(), employer_id)


@blp.patch("/<int:employer_id>")
@auth_required(Role.employer)
@blp.arguments(EmployerUpdateSchema)
@blp.response(200, EmployerSchema)
def update_employer(values, employer_id):
    """Edit my business (a verified one keeps its name, code and licence)."""
    return employers.update(current_account(), employer_id, values, client_ip())


@blp.post("/<int:employer_id>/licence")
@auth_required(Role.employer)
@blp.doc(**UPLOAD_DOC)
@blp.response(200, EmployerSchema)
def upload_licence(employer_id):
    """Upload the business licence (JPG, PNG or PDF, ≤ 10 MB; type checked by content)."""
    return employers.upload_licence(current_account(), employer_id, request.files.get("file"), client_ip())


@blp.get("/<int:employer_id>/licence")
@auth_required(Role.employer, *STAFF_ROLES)
@blp.doc(**file_doc(LICENCE_TYPES))
def download_licence(employer_id):
    """Download the business licence (owner, or staff in the employer's place)."""
    return send_stored(employers.licence_file(current_account(), employer_id))


@blp.post("/<int:employer_id>/verify")
@staff_required
@blp.arguments(VerifySchema)
@blp.response(200, EmployerSchema)
def verify(args, employer_id):
    """Verify or reject an employer in my place (station staff, operators, admins); audited."""
    return employers.verify(
        current_account(),
        employer_id,
        args["decision"],
        args.get("reason"),
        client_ip(),
        **({"licence_valid_until": args["licence_valid_until"]} if "licence_valid_until" in args else {}),
    )
