"""A notice's one attachment: a file under STORAGE_DIR, typed by its content, read by the notice's readers.

A notice is public information for its audience, so reading its file is not audited (unlike a
person's files); adding or replacing it is, with the notice's other steps.
"""

import hashlib

from flask import current_app

from app.common import files
from app.errors import NotFound
from app.extensions import db
from app.models import Account
from app.services.notices.reading import view, visible_notice
from app.services.notices.rules import own_editable
from app.services.people import audit

FOLDER = "notices"
# What a notice may carry: the résumé file types (PDF, Word without macros, JPG, PNG).
TYPES = files.RESUME_TYPES


def attach(actor: Account, notice_id: int, upload, ip: str | None) -> dict:
    """Attach a file to the author's draft (or returned) notice, replacing any file before it."""
    notice = own_editable(actor, notice_id)
    data, kind = files.read_upload(upload, "file", TYPES, current_app.config["UPLOAD_MAX_BYTES"])
    storage_name = files.store(FOLDER, data, kind)
    replaced = notice.attachment_path
    notice.attachment_path = storage_name
    notice.attachment_name = files.safe_download_name(upload.filename, kind.ext)
    notice.attachment_type = kind.content_type
    notice.attachment_size = len(data)
    notice.attachment_sha256 = hashlib.sha256(data).hexdigest()
    audit.record(
        "notice.attachment",
        actor=actor,
        object_type="notice",
        object_id=notice.id,
        ip=ip,
        detail={"size": len(data), "type": kind.ext},
    )
    files.commit_or_remove(db.session, storage_name)
    # Only once the new file is committed: a failed commit keeps the old one.
    files.remove(replaced)
    return view(notice, None, actor)


def attachment_file(account: Account, notice_id: int) -> files.StoredFile:
    """Return a notice's file to anyone who may read the notice, or 404."""
    notice = visible_notice(account, notice_id)
    if not notice.attachment_path:
        raise NotFound("file_not_found", f"Notice {notice_id} has no file.")
    return files.stored_file(notice.attachment_path, notice.attachment_type, notice.attachment_name)
