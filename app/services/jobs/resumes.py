"""Résumés and their files: the owner edits; employers applied to and staff in scope read."""

import hashlib

import sqlalchemy as sa
from flask import current_app

from app.common import files
from app.common.crypto import decrypt
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import (
    STAFF_ROLES,
    Account,
    Application,
    ApplicationStatus,
    Resident,
    Resume,
    ResumeFile,
    Role,
    utcnow,
)
from app.models.jobs import SeekingPause
from app.services.jobs.employers import employer_of
from app.services.people import audit, seekers
from app.services.people.consents import require_consent
from app.services.people.residents import resident_of
from app.services.people.scoping import scoped

# Résumé fields that are really the resident's seeker preferences (one place for both).
PREFERENCE_FIELDS = {
    "wanted_kinds": "seek_kinds",
    "wanted_categories": "seek_categories",
    "expected_monthly_wage": "seek_wage_min",
    "radius_m": "seek_radius_m",
}
RESUME_FIELDS = ("education", "experience", "skills", "availability", "intro", "open_to_work")
# Why seeking stopped, shown with the résumé (null while it looks for work).
PAUSE_FIELDS = ("seeking_paused_at", "seeking_paused_reason")
# Application stages at which the employer may call the applicant.
PHONE_STAGES = frozenset({ApplicationStatus.interview, ApplicationStatus.hired})


def resume_of(resident: Resident) -> Resume | None:
    """Return the resident's résumé, if written."""
    return db.session.get(Resume, resident.id)


def view(resident: Resident, resume: Resume | None, phone: str | None = None) -> dict:
    """Build the résumé as the API shows it (phone masked unless `phone` is given)."""
    data = {name: getattr(resume, name, None) for name in RESUME_FIELDS + PAUSE_FIELDS}
    if resume is None:
        data["open_to_work"] = False
    data.update({api: getattr(resident, column) for api, column in PREFERENCE_FIELDS.items()})
    data.update(
        resident_id=resident.id,
        name=resident.name,
        gender=resident.gender,
        age=resident.age(),
        phone=phone or resident.phone_hint,
        updated_at=resume.updated_at if resume else None,
        files=list_files_of(resident.id),
    )
    return data


def get_own(account: Account) -> dict:
    """Return the resident's own résumé (empty fields before the first save)."""
    resident = resident_of(account)
    return view(resident, resume_of(resident))


def put_own(account: Account, values: dict) -> dict:
    """Replace the résumé's fields (and the seeker preferences it carries)."""
    require_consent(account)
    resident = resident_of(account)
    resume = resume_of(resident)
    if resume is None:
        resume = Resume(resident_id=resident.id)
        db.session.add(resume)
    was_open = resume.open_to_work is not False  # a new résumé's column default is True
    for name in RESUME_FIELDS:
        if name in values and name != "open_to_work":
            setattr(resume, name, values[name])
    if "open_to_work" in values and values["open_to_work"] != was_open:
        # Only a change moves the pause: saving a paused résumé as it is keeps why it paused.
        if values["open_to_work"]:
            _open(resume)
        else:
            _pause(resume, SeekingPause.self)
    for api, column in PREFERENCE_FIELDS.items():
        if api in values:
            setattr(resident, column, values[api])
    db.session.commit()
    seekers.sync_seeker(resident, resume)
    return view(resident, resume)


def _pause(resume: Resume, reason: SeekingPause) -> None:
    """Close a résumé to matching and pushes, saying when and why."""
    resume.open_to_work = False
    resume.seeking_paused_at = utcnow()
    resume.seeking_paused_reason = reason.value


def _open(resume: Resume) -> None:
    """Open a résumé to matching and pushes again."""
    resume.open_to_work = True
    resume.seeking_paused_at = resume.seeking_paused_reason = None


def pause_seeking(resident: Resident, reason: SeekingPause) -> Resume:
    """Stop a resident's seeking (a hire): no candidate lists, no job pushes. Does not commit.

    Without a résumé one is written, paused, so the pause shows when the resident opens it;
    a résumé already closed keeps its own reason. Call `seekers.sync_seeker` after the commit.
    """
    resume = resume_of(resident)
    if resume is None:
        resume = Resume(resident_id=resident.id)
        db.session.add(resume)
    elif not resume.open_to_work:
        return resume
    _pause(resume, reason)
    return resume


def resume_seeking(account: Account) -> dict:
    """Look for work again (one tap after a hire): back in candidate lists and job pushes."""
    require_consent(account)
    resident = resident_of(account)
    resume = resume_of(resident)
    if resume is None:
        resume = Resume(resident_id=resident.id)
        db.session.add(resume)
    _open(resume)
    db.session.commit()
    seekers.sync_seeker(resident, resume)
    return view(resident, resume)


def list_files_of(resident_id: int) -> list[ResumeFile]:
    """Return a résumé's files, oldest first."""
    return list(
        db.session.scalars(
            sa.select(ResumeFile).where(ResumeFile.resident_id == resident_id).order_by(ResumeFile.id)
        )
    )


def upload_file(account: Account, upload, name: str | None = None) -> tuple[ResumeFile, bool]:
    """Store a PDF, DOC/DOCX, JPG or PNG (type by content) under a server-generated name.

    `name` is the name to show and download as (else the upload's filename). Uploading the
    same bytes again returns the file already attached (created False).
    """
    require_consent(account)
    resident = resident_of(account)
    limit = current_app.config["RESUME_FILES_MAX"]
    count = db.session.scalar(sa.select(sa.func.count()).where(ResumeFile.resident_id == resident.id))
    if count >= limit:
        raise Conflict("too_many_files", f"A résumé holds at most {limit} files; delete one first.")
    data, kind = files.read_upload(upload, "file", files.RESUME_TYPES, current_app.config["UPLOAD_MAX_BYTES"])
    digest = hashlib.sha256(data).hexdigest()
    same = db.session.scalar(
        sa.select(ResumeFile).where(ResumeFile.resident_id == resident.id, ResumeFile.sha256 == digest)
    )
    if same is not None:
        return same, False  # the same bytes again (a retried upload): keep one copy
    storage_name = files.store("resumes", data, kind)
    row = ResumeFile(
        resident_id=resident.id,
        storage_name=storage_name,
        original_name=files.safe_download_name(name or upload.filename, kind.ext),
        content_type=kind.content_type,
        size=len(data),
        sha256=digest,
    )
    db.session.add(row)
    files.commit_or_remove(db.session, storage_name)
    return row, True


def delete_file(account: Account, file_id: int) -> None:
    """Delete one of the resident's own résumé files (row, then bytes)."""
    resident = resident_of(account)
    row = db.session.scalar(
        sa.select(ResumeFile).where(ResumeFile.id == file_id, ResumeFile.resident_id == resident.id)
    )
    if row is None:
        raise NotFound("file_not_found", f"No file {file_id} on your résumé.")
    storage_name = row.storage_name
    db.session.delete(row)
    db.session.commit()
    files.remove(storage_name)


def _access(actor: Account, resident_id: int) -> tuple[Resident, str, list[Application]]:
    """Return (resident, how the actor may read, the actor's applications from them) or 404."""
    resident = None
    how = None
    applications: list[Application] = []
    if actor.role == Role.resident:
        resident = db.session.scalar(
            sa.select(Resident).where(Resident.id == resident_id, Resident.account_id == actor.id)
        )
        how = "owner"
    elif actor.role == Role.employer:
        employer = employer_of(actor)
        applications = list(
            db.session.scalars(
                sa.select(Application).where(
                    Application.resident_id == resident_id,
                    Application.employer_id == employer.id,
                    Application.status != ApplicationStatus.withdrawn,
                )
            )
        )
        resident = db.session.get(Resident, resident_id) if applications else None
        how = "employer"
    elif actor.role in STAFF_ROLES:
        resident = db.session.scalar(
            scoped(sa.select(Resident).where(Resident.id == resident_id), Resident, actor)
        )
        how = "staff"
    if resident is None:
        # The same answer for "no such résumé" and "not yours to read": nothing leaks.
        raise NotFound("resume_not_found", f"No résumé {resident_id} that you may read.")
    return resident, how, applications


def _mark_viewed(applications: list[Application]) -> None:
    """Move the employer's submitted applications to viewed: the applicant sees they were read."""
    for application in applications:
        if application.status == ApplicationStatus.submitted:
            application.status = ApplicationStatus.viewed.value
            application.status_changed_at = utcnow()


def read(actor: Account, resident_id: int, ip: str | None) -> dict:
    """Return a résumé to someone allowed; an employer's read is audited and marks applications viewed."""
    resident, how, applications = _access(actor, resident_id)
    phone = None
    if how == "employer":
        if resident.phone_enc and any(a.status in PHONE_STAGES for a in applications):
            phone = decrypt(resident.phone_enc, "phone")
        _mark_viewed(applications)
        audit.commit(
            "resume.read",
            actor=actor,
            object_type="resident",
            object_id=resident.id,
            ip=ip,
            detail={"phone": phone is not None, "applications": [a.id for a in applications]},
        )
    return view(resident, resume_of(resident), phone)


def own_file(account: Account, file_id: int, ip: str | None) -> files.StoredFile:
    """Return one of the resident's own résumé files."""
    return file_of(account, resident_of(account).id, file_id, ip)


def file_of(actor: Account, resident_id: int, file_id: int, ip: str | None) -> files.StoredFile:
    """Return a résumé file to someone allowed to read the résumé (employers audited); else 404."""
    resident, how, applications = _access(actor, resident_id)
    row = db.session.scalar(
        sa.select(ResumeFile).where(ResumeFile.id == file_id, ResumeFile.resident_id == resident.id)
    )
    if row is None:
        raise NotFound("file_not_found", f"No file {file_id} on this résumé.")
    if how == "employer":
        _mark_viewed(applications)
        audit.commit(
            "resume.file_read",
            actor=actor,
            object_type="resident",
            object_id=resident.id,
            ip=ip,
            detail={"file_id": row.id},
        )
    return files.stored_file(row.storage_name, row.content_type, row.original_name)
