"""Benefit claims (直补快办): make one, the queues, the review steps, files, objections, the roster."""

from flask import request

from app.api.downloads import send_stored
from app.api.json_body import Blueprint
from app.api.schemas.claims import (
    BenefitClaimInputSchema,
    ClaimAttachmentSchema,
    ClaimNoteSchema,
    ClaimPageSchema,
    ClaimPaySchema,
    ClaimQuerySchema,
    ClaimReasonSchema,
    ClaimSchema,
    ObjectionInputSchema,
    ObjectionResolveSchema,
    ObjectionSchema,
    RosterQuerySchema,
)
from app.api.schemas.common import file_doc
from app.api.schemas.consents import CONSENT_REQUIRED
from app.auth import auth_required, client_ip, current_account
from app.common import files
from app.common.clock import local_now
from app.common.files import attachment
from app.errors import ErrorSchema
from app.models import STAFF_ROLES, Role
from app.services.exports.writers import XLSX, xlsx_sheet
from app.services.policies import claim_intake, claim_review, claims, roster

URL_PREFIX = "/claims"
blp = Blueprint("claims", __name__, description="Benefit claims (直补快办) and their staged review")
EVERYONE = (Role.resident, Role.employer, *STAFF_ROLES)
RETRY = "Sent before with this client_id: the first claim"
WRONG_STAGE = {"schema": ErrorSchema, "description": "`wrong_stage` (fields.status: the current status)"}
# A claim's file: the field `file`, and which required material it is (optional).
UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "material": {"type": "string", "description": "Which required material it is"},
                    },
                }
            }
        },
    }
}


@blp.post("")
@auth_required(Role.resident, Role.employer, Role.station_staff, Role.township_admin)
@blp.arguments(BenefitClaimInputSchema)
@blp.response(201, ClaimSchema)
@blp.alt_response(200, schema=ClaimSchema, description=RETRY)
@blp.alt_response(403, **CONSENT_REQUIRED)
@blp.alt_response(
    409,
    schema=ErrorSchema,
    description="`not_qualified`, `claim_exists` (one per subject, policy, period), `claim_deadline_passed`",
)
def make(values):
    """Make a claim: a resident from a match (match_id), an employer (policy_id, hires), staff at the counter.

    The facts come from the match; where every one is verified in the ledger the claimant only
    confirms (免申即享). 422 confirmation_required / invalid_bank_account / hire_not_found.
    """
    claim, created = claim_intake.make_claim(current_account(), values, client_ip())
    return claim, 201 if created else 200


@blp.get("")
@auth_required(*EVERYONE)
@blp.arguments(ClaimQuerySchema, location="query")
@blp.response(200, ClaimPageSchema)
def list_claims(args):
    """List claims: a claimant's own (newest first); staff the queue in their place (due first)."""
    return claims.queue(current_account(), args)


@blp.get("/roster")
@auth_required(Role.district_admin)
@blp.arguments(RosterQuerySchema, location="query")
@blp.doc(**file_doc((XLSX,)))
def export_roster(args):
    """Download the payment roster (Excel) of the district's approved claims; audited with the count.

    Masked ID numbers and bank accounts only: the full account never leaves the server.
    """
    account = current_account()
    rows = roster.rows(account, args, client_ip())
    data = xlsx_sheet(
        title="补贴发放花名册",
        place=roster.place_name(account),
        filters=f"政策 {args['policy_id']}" if args.get("policy_id") else "全部政策",
        exported_by=account.username or str(account.id),
        headers=[title for _, title in roster.COLUMNS],
        rows=([row[key] for key, _ in roster.COLUMNS] for row in rows),
    )
    return attachment(data, XLSX, f"roster-{local_now():%Y%m%d}.xlsx")


@blp.get("/<int:claim_id>")
@auth_required(*EVERYONE)
@blp.response(200, ClaimSchema)
def get_claim(claim_id):
    """Return one claim with its trace, steps, files and objections (a staff read is audited)."""
    return claims.read(current_account(), claim_id, client_ip())


@blp.post("/<int:claim_id>/attachments")
@auth_required(*EVERYONE)
@blp.doc(**UPLOAD_DOC)
@blp.response(201, ClaimAttachmentSchema)
@blp.alt_response(413, schema=ErrorSchema, description="`file_too_large`: over UPLOAD_MAX_BYTES")
@blp.alt_response(415, schema=ErrorSchema, description="`file_type_not_allowed`, `file_has_macros`")
@blp.alt_response(409, schema=ErrorSchema, description="`claim_decided`, `too_many_files`")
@blp.alt_response(403, **CONSENT_REQUIRED)
def add_attachment(claim_id):
    """Attach a PDF, DOC/DOCX, JPG or PNG (≤ 10 MB, type checked by content) to a claim under review."""
    attachment, _ = claims.add_attachment(
        current_account(), claim_id, request.files.get("file"), request.form.get("material"), client_ip()
    )
    return attachment


@blp.get("/<int:claim_id>/attachments/<int:attachment_id>")
@auth_required(*EVERYONE)
@blp.doc(**file_doc(files.RESUME_TYPES))
def download_attachment(claim_id, attachment_id):
    """Download a claim's file (the claimant, or a reviewer in place: audited)."""
    return send_stored(claims.attachment_file(current_account(), claim_id, attachment_id, client_ip()))


def _step(name: str, function, schema, roles, summary: str):
    """Declare the route of one review step: POST /claims/{id}/{name}."""

    def view(values, claim_id):
        return function(current_account(), claim_id, values, client_ip())

    view.__name__ = name.replace("-", "_")
    view.__doc__ = summary
    view = blp.alt_response(409, **WRONG_STAGE)(view)
    view = blp.response(200, ClaimSchema)(view)
    view = blp.arguments(schema)(view)
    view = auth_required(*roles)(view)
    return blp.post(f"/<int:claim_id>/{name}")(view)


REVIEWERS = (Role.station_staff, Role.township_admin, Role.district_admin)
CLAIMANTS = (Role.resident, Role.employer, Role.station_staff, Role.township_admin)
_step(
    "accept",
    claim_review.accept,
    ClaimNoteSchema,
    REVIEWERS,
    "Accept (受理) a submitted claim: station or township.",
)
_step(
    "first-review",
    claim_review.first_review,
    ClaimNoteSchema,
    REVIEWERS,
    "Pass the first review (初审): township or station, not whoever accepted it (403 same_reviewer).",
)
_step(
    "second-review",
    claim_review.second_review,
    ClaimNoteSchema,
    REVIEWERS,
    "Pass the second review (复核): the district admin.",
)
_step(
    "publicise",
    claim_review.publicise,
    ClaimNoteSchema,
    REVIEWERS,
    "Start the public notice (公示) for the policy's notice days: the district admin.",
)
_step(
    "approve",
    claim_review.approve,
    ClaimNoteSchema,
    REVIEWERS,
    "Approve after the notice ended, no objection open (409 notice_running / objection_open): amount frozen.",
)
_step("pay", claim_review.pay, ClaimPaySchema, REVIEWERS, "Record the payment (发放) with its reference.")
_step(
    "return",
    claim_review.return_claim,
    ClaimReasonSchema,
    REVIEWERS,
    "Return the claim for more material (退回补充材料), with the reason the person reads.",
)
_step(
    "reject",
    claim_review.reject,
    ClaimReasonSchema,
    REVIEWERS,
    "Reject the claim before approval, with the reason.",
)
_step(
    "resubmit",
    claim_review.resubmit,
    ClaimNoteSchema,
    CLAIMANTS,
    "Send a returned claim back to review (the claimant, or the staff who entered it).",
)
_step("withdraw", claim_review.withdraw, ClaimNoteSchema, CLAIMANTS, "Withdraw a claim before approval.")


@blp.post("/<int:claim_id>/objections")
@auth_required(*STAFF_ROLES)
@blp.arguments(ObjectionInputSchema)
@blp.response(201, ObjectionSchema)
@blp.alt_response(409, **WRONG_STAGE)
def object_to(values, claim_id):
    """Record an objection (异议) heard during the public notice (staff in place)."""
    return claim_review.object_to(current_account(), claim_id, values, client_ip())


@blp.post("/<int:claim_id>/objections/<int:objection_id>/resolve")
@auth_required(Role.district_admin)
@blp.arguments(ObjectionResolveSchema)
@blp.response(200, ClaimSchema)
@blp.alt_response(409, **WRONG_STAGE)
def resolve_objection(values, claim_id, objection_id):
    """Decide on an objection: upheld rejects the claim, dismissed lets the notice go on."""
    return claim_review.resolve_objection(current_account(), claim_id, objection_id, values, client_ip())
