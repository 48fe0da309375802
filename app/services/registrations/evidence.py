"""Evidence files of a certification: uploaded like résumé files, read by the owner and reviewers.

Types by content (PDF, DOC/DOCX, JPG, PNG: RESUME_TYPES) within UPLOAD_MAX_BYTES, at most
CERTIFICATION_FILES_MAX per certification, only while it waits for review (what a reviewer
certified on stays as it was). A staff download is audited: evidence is sensitive personal data.
"""

import hashlib

import sqlalchemy as sa
from flask import current_app

from app.common import files
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import Account, Certification, CertificationEvidence, CertificationStatus
from app.services.people import audit
from app.services.people.consents import require_consent
from app.services.registrations import certifications

FOLDER = "evidence"


def _attach(
    row: Certification, uploader: Account, upload, name: str | None
) -> tuple[CertificationEvidence, bool]:
    """Store one evidence file on a pending certification; the same bytes again return the first file."""
    if row.status != CertificationStatus.pending:
        raise Conflict("certification_decided", "Evidence is added while the certification waits for review.")
    data, kind = files.read_upload(upload, "file", files.RESUME_TYPES, current_app.config["UPLOAD_MAX_BYTES"])
    digest = hashlib.sha256(data).hexdigest()
    same = next((file for file in row.evidence if file.sha256 == digest), None)
    if same is not None:
        return same, False
    limit = current_app.config["CERTIFICATION_FILES_MAX"]
    if len(row.evidence) >= limit:
        raise Conflict(
            "too_many_files", f"A certification holds at most {limit} evidence files; delete one first."
        )
    storage_name = files.store(FOLDER, data, kind)
    file = CertificationEvidence(
        certification_id=row.id,
        storage_name=storage_name,
        original_name=files.safe_download_name(name or upload.filename, kind.ext),
        content_type=kind.content_type,
        size=len(data),
        sha256=digest,
        uploaded_by_id=uploader.id,
    )
    db.session.add(file)
    files.commit_or_remove(db.session, storage_name)
    return file, True


def upload_own(
    account: Account, certification_id: int, upload, name: str | None
) -> tuple[CertificationEvidence, bool]:
    """The resident attaches an evidence file to their own pending certification."""
    row = certifications.get_own(account, certification_id)
    require_consent(account, *certifications.consent_for(row.key_group))
    return _attach(row, account, upload, name)


def upload_as_staff(
    actor: Account, certification_id: int, upload, name: str | None
) -> tuple[CertificationEvidence, bool]:
    """A reviewer attaches evidence (the signed form, a scan made at the counter) while it is pending."""
    row = certifications.in_scope(actor, certification_id, certifications.REVIEW_ROLES)
    return _attach(row, actor, upload, name)


def _file(row: Certification, evidence_id: int) -> CertificationEvidence:
    found = db.session.scalar(
        sa.select(CertificationEvidence).where(
            CertificationEvidence.id == evidence_id, CertificationEvidence.certification_id == row.id
        )
    )
    if found is None:
        raise NotFound("file_not_found", f"No evidence file {evidence_id} on this certification.")
    return found


def delete_own(account: Account, certification_id: int, evidence_id: int) -> None:
    """The resident removes a wrong file from their pending certification (row, then bytes)."""
    row = certifications.get_own(account, certification_id)
    if row.status != CertificationStatus.pending:
        raise Conflict("certification_decided", "Evidence a reviewer decided on stays as it was.")
    file = _file(row, evidence_id)
    storage_name = file.storage_name
    row.evidence.remove(file)
    db.session.commit()
    files.remove(storage_name)


def own_file(account: Account, certification_id: int, evidence_id: int) -> files.StoredFile:
    """Return one of the resident's own evidence files."""
    file = _file(certifications.get_own(account, certification_id), evidence_id)
    return files.stored_file(file.storage_name, file.content_type, file.original_name)


def staff_file(actor: Account, certification_id: int, evidence_id: int, ip: str | None) -> files.StoredFile:
    """Return an evidence file to a reviewer in scope (404 outside it); the read is audited."""
    row = certifications.in_scope(actor, certification_id, certifications.REVIEW_ROLES)
    file = _file(row, evidence_id)
    audit.commit(
        "certification.evidence_read",
        actor=actor,
        object_type="resident",
        object_id=row.resident_id,
        ip=ip,
        detail={"certification_id": row.id, "evidence_id": file.id},
    )
    return files.stored_file(file.storage_name, file.content_type, file.original_name)
