"""Résumés: the resident's own (with files), and reading one as an employer or staff member."""

from flask import request

from app.api.downloads import send_stored
from app.api.json_body import Blueprint
from app.api.schemas.common import NAMED_UPLOAD_DOC, file_doc
from app.api.schemas.consents import CONSENT_REQUIRED
from app.api.schemas.jobs import (
    RecommendedSchema,
)
from app.api.schemas.resumes import (
    RecommendArgsSchema,
    ResumeFileSchema,
    ResumeInputSchema,
    ResumeSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.common.files import RESUME_TYPES
from app.models import STAFF_ROLES, Role
from app.services.jobs import matching, resumes

URL_PREFIX = ""
blp = Blueprint("resumes", __name__, description="Résumés, résumé files and recommended jobs")


@blp.get("/me/resume")
@auth_required(Role.resident)
@blp.response(200, ResumeSchema)
def get_own():
    """Return my résumé (empty fields before the first save)."""
    return resumes.get_own(current_account())


@blp.put("/me/resume")
@auth_required(Role.resident)
@blp.arguments(ResumeInputSchema)
@blp.response(200, ResumeSchema)
@blp.alt_response(403, **CONSENT_REQUIRED)
def put_own(values):
    """Save my résumé and what I am looking for (kinds, categories, wage, distance)."""
    return resumes.put_own(current_account(), values)


@blp.post("/me/resume/seeking")
@auth_required(Role.resident)
@blp.response(200, ResumeSchema)
@blp.alt_response(403, **CONSENT_REQUIRED)
def resume_seeking():
    """Look for work again (after a hire paused it): back in candidate lists and job pushes."""
    return resumes.resume_seeking(current_account())


@blp.post("/me/resume/files")
@auth_required(Role.resident)
@blp.doc(**NAMED_UPLOAD_DOC)
@blp.response(201, ResumeFileSchema)
@blp.alt_response(200, schema=ResumeFileSchema, description="These bytes are attached already: that file")
@blp.alt_response(403, **CONSENT_REQUIRED)
def upload_file():
    """Attach a PDF, DOC/DOCX, JPG or PNG (≤ 10 MB, type checked by content) to my résumé."""
    row, created = resumes.upload_file(current_account(), request.files.get("file"), request.form.get("name"))
    return row, 201 if created else 200


@blp.get("/me/resume/files/<int:file_id>")
@auth_required(Role.resident)
@blp.doc(**file_doc(RESUME_TYPES))
def download_own_file(file_id):
    """Download one of my résumé files."""
    return send_stored(resumes.own_file(current_account(), file_id, client_ip()))


@blp.delete("/me/resume/files/<int:file_id>")
@auth_required(Role.resident)
@blp.response(204)
def delete_file(file_id):
    """Delete one of my résumé files."""
    resumes.delete_file(current_account(), file_id)


@blp.get("/resumes/<int:resident_id>")
@auth_required(Role.resident, Role.employer, *STAFF_ROLES)
@blp.response(200, ResumeSchema)
def read(resident_id):
    """Read a résumé: its owner, an employer it was sent to (audited), or staff in scope."""
    return resumes.read(current_account(), resident_id, client_ip()), {"Cache-Control": "no-store"}


@blp.get("/resumes/<int:resident_id>/files/<int:file_id>")
@auth_required(Role.resident, Role.employer, *STAFF_ROLES)
@blp.doc(**file_doc(RESUME_TYPES))
def download_file(resident_id, file_id):
    """Download a résumé file (same readers as the résumé; 404 for anyone else)."""
    return send_stored(resumes.file_of(current_account(), resident_id, file_id, client_ip()))


@blp.get("/me/recommended-jobs")
@auth_required(Role.resident)
@blp.arguments(RecommendArgsSchema, location="query")
@blp.response(200, RecommendedSchema(many=True))
def recommended(args):
    """Live jobs that fit what I look for, best first (distance first, then fit)."""
    return matching.recommended_jobs(current_account(), **args)
