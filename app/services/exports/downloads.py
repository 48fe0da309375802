"""Export files: where they are, the name they download as, and the signed link to them.

A file lives in EXPORT_DIR under a server-made name. Its link carries a token signing (job id,
owner's account id, expiry) with SECRET_KEY, so it names one file for one account until one
moment; the view also needs that account signed in (a bearer token for the API, a console
session), so a link copied to someone else, or kept past its hour, opens nothing. Another
account's job is a 404 (nothing said about what exists); a link past its expiry, or whose file
the purge deleted, is a 410 `export_expired`. Every download is audited.
"""

from calendar import timegm
from datetime import UTC
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.common.clock import zone
from app.common.files import StoredFile, safe_download_name
from app.errors import APIError, Conflict, NotFound
from app.extensions import db
from app.models import Account, ExportJob, ExportStatus, utcnow
from app.services.exports.writers import FORMATS
from app.services.people import audit

_SALT = "export-download"


def export_dir() -> Path:
    """Return the folder export files are written to (EXPORT_DIR), creating it when missing."""
    folder = Path(current_app.config["EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_of(job: ExportJob) -> Path | None:
    """Return the path of a job's file, if it has one."""
    return export_dir() / job.file_path if job.file_path else None


def download_filename(job: ExportJob) -> str:
    """Return the name the file downloads as: its Chinese title and when it was asked for."""
    moment = job.created_at.replace(tzinfo=UTC).astimezone(zone()).strftime("%Y%m%d-%H%M")
    return safe_download_name(f"{job.title}_{moment}", job.format)


def mimetype_of(job: ExportJob) -> str:
    """Return the content type of a job's file."""
    return FORMATS[job.format].content_type


def _serializer() -> URLSafeSerializer:
    """Return the signer of download tokens (keyed by SECRET_KEY)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _expiry(job: ExportJob) -> int:
    """Return a job's link expiry as whole UTC seconds (0 while it has none)."""
    return timegm(job.expires_at.timetuple()) if job.expires_at is not None else 0


def download_token(job: ExportJob) -> str:
    """Return the signed token of a job's download link (its owner's, until its expiry)."""
    return _serializer().dumps([job.id, job.account_id, _expiry(job)])


def _not_found(job_id: int) -> NotFound:
    """Return the 404 of an export that is not the caller's (or a link that names no export)."""
    return NotFound("export_not_found", f"No export {job_id} of yours.")


def open_download(actor: Account, job_id: int, token: str | None, ip: str | None = None) -> StoredFile:
    """Return the file of the caller's own export to send, checking the link's token; audited.

    404 `export_not_found` for someone else's export or a token that is not this link's,
    409 `export_not_ready` while it is written (or when it failed), 410 `export_expired` after.
    """
    job = db.session.get(ExportJob, job_id)
    if job is None or job.account_id != actor.id:
        raise _not_found(job_id)
    if job.status in (ExportStatus.queued, ExportStatus.running, ExportStatus.failed):
        raise Conflict("export_not_ready", f"Export {job_id} has no file to download ({job.status}).")
    try:
        signed = _serializer().loads(token or "")
    except BadSignature:
        raise _not_found(job_id) from None
    if not isinstance(signed, list) or len(signed) != 3 or signed[:2] != [job.id, actor.id]:
        raise _not_found(job_id)
    path = file_of(job)
    too_late = job.expires_at is None or job.expires_at <= utcnow() or signed[2] != _expiry(job)
    if job.status == ExportStatus.expired or too_late or path is None or not path.exists():
        raise APIError(410, "export_expired", "This download link has expired; export again.")
    audit.commit(
        f"export.{job.source}.download",
        actor=actor,
        object_type="export",
        object_id=job.id,
        ip=ip,
        detail={"format": job.format, "reveal": job.reveal, "rows": job.rows_written},
    )
    return StoredFile(path, mimetype_of(job), download_filename(job))
