"""Certified key groups (重点群体认定): the resident applies with evidence; reviewers in scope decide."""

from flask import request

from app.api.downloads import send_stored
from app.api.json_body import Blueprint
from app.api.schemas.certifications import (
    CertificationApplySchema,
    CertificationPageSchema,
    CertificationQuerySchema,
    CertificationRecordSchema,
    CertificationSchema,
    CertifySchema,
    EvidenceSchema,
    RejectSchema,
    StaffCertificationSchema,
)
from app.api.schemas.common import NAMED_UPLOAD_DOC, file_doc
from app.api.schemas.consents import CONSENT_REQUIRED
from app.auth import auth_required, client_ip, current_account, staff_required
from app.common.files import RESUME_TYPES
from app.errors import ErrorSchema
from app.models import Role
from app.services.registrations import certifications, evidence

URL_PREFIX = ""
blp = Blueprint(
    "certifications", __name__, description="Certified key groups: applications, evidence, review"
)

NO_STORE = {"Cache-Control": "no-store"}


# ---- the resident's own ----------------------------------------------------------------------------


@blp.post("/me/certifications")
@auth_required(Role.resident)
@blp.arguments(CertificationApplySchema)
@blp.response(201, CertificationSchema)
@blp.alt_response(
    200, schema=CertificationSchema, description="This client_id was sent before: that application"
)
@blp.alt_response(403, **CONSENT_REQUIRED)
def apply(values):
    """Apply for a key group (就业困难人员认定 and the others); attach evidence files next."""
    row, created = certifications.apply(current_account(), values)
    return row, 201 if created else 200


@blp.get("/me/certifications")
@auth_required(Role.resident)
@blp.response(200, CertificationSchema(many=True))
def list_own():
    """List my certifications, newest first, with their evidence files."""
    return certifications.list_own(current_account()), NO_STORE


@blp.get("/me/certifications/<int:certification_id>")
@auth_required(Role.resident)
@blp.response(200, CertificationSchema)
def get_own(certification_id):
    """Return one of my certifications."""
    return certifications.get_own(current_account(), certification_id), NO_STORE


@blp.post("/me/certifications/<int:certification_id>/evidence")
@auth_required(Role.resident)
@blp.doc(**NAMED_UPLOAD_DOC)
@blp.response(201, EvidenceSchema)
@blp.alt_response(200, schema=EvidenceSchema, description="These bytes are attached already: that file")
@blp.alt_response(413, schema=ErrorSchema, description="`file_too_large`: over UPLOAD_MAX_BYTES")
@blp.alt_response(415, schema=ErrorSchema, description="`file_type_not_allowed`, `file_has_macros`")
@blp.alt_response(409, schema=ErrorSchema, description="`certification_decided`: decided already")
@blp.alt_response(403, **CONSENT_REQUIRED)
def upload_own_evidence(certification_id):
    """Attach a PDF, DOC/DOCX, JPG or PNG (≤ 10 MB, type checked by content) while the certification waits."""
    row, created = evidence.upload_own(
        current_account(), certification_id, request.files.get("file"), request.form.get("name")
    )
    return row, 201 if created else 200


@blp.get("/me/certifications/<int:certification_id>/evidence/<int:evidence_id>")
@auth_required(Role.resident)
@blp.doc(**file_doc(RESUME_TYPES))
def download_own_evidence(certification_id, evidence_id):
    """Download one of my evidence files."""
    return send_stored(evidence.own_file(current_account(), certification_id, evidence_id))


@blp.delete("/me/certifications/<int:certification_id>/evidence/<int:evidence_id>")
@auth_required(Role.resident)
@blp.response(204)
def delete_own_evidence(certification_id, evidence_id):
    """Remove a wrong file from my certification while it waits for review."""
    evidence.delete_own(current_account(), certification_id, evidence_id)


# ---- staff -----------------------------------------------------------------------------------------


@blp.get("/certifications")
@staff_required
@blp.arguments(CertificationQuerySchema, location="query")
@blp.response(200, CertificationPageSchema)
def list_certifications(args):
    """List the certifications in my place, newest first (filters: group, status, community, expiring)."""
    return certifications.list_for_staff(current_account(), **args)


@blp.post("/certifications")
@staff_required
@blp.arguments(CertificationRecordSchema)
@blp.response(201, StaffCertificationSchema)
@blp.alt_response(
    200, schema=StaffCertificationSchema, description="This client_id was sent before: that record"
)
def record(values):
    """Record a key group for a resident in my place (at the counter); attach the evidence next."""
    row, created = certifications.record(current_account(), values, client_ip())
    return row, 201 if created else 200


@blp.get("/certifications/<int:certification_id>")
@staff_required
@blp.response(200, StaffCertificationSchema)
@blp.alt_response(
    404, schema=ErrorSchema, description="`certification_not_found`: none of yours / in your place"
)
def read(certification_id):
    """Return one certification in my place (the read is audited; 404 outside my place)."""
    return certifications.read(current_account(), certification_id, client_ip()), NO_STORE


@blp.post("/certifications/<int:certification_id>/evidence")
@staff_required
@blp.doc(**NAMED_UPLOAD_DOC)
@blp.response(201, EvidenceSchema)
@blp.alt_response(200, schema=EvidenceSchema, description="These bytes are attached already: that file")
@blp.alt_response(413, schema=ErrorSchema, description="`file_too_large`: over UPLOAD_MAX_BYTES")
@blp.alt_response(415, schema=ErrorSchema, description="`file_type_not_allowed`, `file_has_macros`")
@blp.alt_response(409, schema=ErrorSchema, description="`certification_decided`: decided already")
@blp.alt_response(
    404, schema=ErrorSchema, description="`certification_not_found`: none of yours / in your place"
)
def upload_evidence(certification_id):
    """Attach evidence (the signed form, a scan made at the counter) to a certification waiting for review."""
    row, created = evidence.upload_as_staff(
        current_account(), certification_id, request.files.get("file"), request.form.get("name")
    )
    return row, 201 if created else 200


@blp.get("/certifications/<int:certification_id>/evidence/<int:evidence_id>")
@staff_required
@blp.doc(**file_doc(RESUME_TYPES))
def download_evidence(certification_id, evidence_id):
    """Download an evidence file (reviewers in scope; audited)."""
    return send_stored(evidence.staff_file(current_account(), certification_id, evidence_id, client_ip()))


@blp.post("/certifications/<int:certification_id>/certify")
@staff_required
@blp.arguments(CertifySchema)
@blp.response(200, StaffCertificationSchema)
@blp.alt_response(
    404, schema=ErrorSchema, description="`certification_not_found`: none of yours / in your place"
)
@blp.alt_response(409, schema=ErrorSchema, description="`certification_decided`: decided already")
def certify(values, certification_id):
    """Certify on the evidence, with the validity: the key group starts (pushed to the resident, audited)."""
    return certifications.certify(
        current_account(), certification_id, values["valid_from"], values.get("valid_until"), client_ip()
    )


@blp.post("/certifications/<int:certification_id>/reject")
@staff_required
@blp.arguments(RejectSchema)
@blp.response(200, StaffCertificationSchema)
@blp.alt_response(
    404, schema=ErrorSchema, description="`certification_not_found`: none of yours / in your place"
)
@blp.alt_response(409, schema=ErrorSchema, description="`certification_decided`: decided already")
def reject(values, certification_id):
    """Reject with a reason the resident sees (pushed, audited)."""
    return certifications.reject(current_account(), certification_id, values["reason"], client_ip())
