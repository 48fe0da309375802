"""Uploaded files on disk: type by content (magic bytes), server-generated names, safe download names.

Sending a stored file is the API's job (`app.api.downloads`): a service hands back a
`StoredFile`, never a response. `attachment` sends bytes made for one request (a report's
workbook) the same way, for the API and the console alike.
"""

import io
import os
import re
import secrets
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy.orm import Session

from app.errors import APIError, ValidationFailed


@dataclass(frozen=True)
class FileType:
    """A file type we accept: its canonical extension and MIME type."""

    ext: str
    content_type: str


PDF = FileType("pdf", "application/pdf")
JPEG = FileType("jpg", "image/jpeg")
PNG = FileType("png", "image/png")
DOC = FileType("doc", "application/msword")
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")

RESUME_TYPES = (PDF, DOC, DOCX, JPEG, PNG)
LICENCE_TYPES = (JPEG, PNG, PDF)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Signs of macros: the VBA project part of a .docm saved as .docx, a macro-enabled content type,
# and the VBA project stream of a Word 97–2003 file (a directory name: UTF-16LE, NUL-ended).
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")
MACRO_OLE2_NAME = "_VBA_PROJECT\0".encode("utf-16-le")


def sniff(data: bytes) -> FileType | None:
    """Return the type the content really is (never trusting the name), or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(OLE2_MAGIC):
        # An OLE2 container: Word 97–2003 documents (and other Office files; Word opens them).
        return DOC
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
    return None


def has_macros(data: bytes, kind: FileType | None) -> bool:
    """Tell whether a Word file carries macros (VBA), whatever its name says."""
    if kind == DOC:
        return MACRO_OLE2_NAME in data
    if kind != DOCX:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if any(name.lower().rsplit("/", 1)[-1] in MACRO_PARTS for name in archive.namelist()):
                return True
            with archive.open("[Content_Types].xml") as part:
                types = part.read(1_000_000).lower()  # bounded: a zip bomb stays small
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError):
        return True  # a part we cannot read cannot be vouched for: refused like a macro file
    return b"macroenabled" in types or b"vbaproject" in types


def storage_root() -> Path:
    """Return the storage directory, creating it when missing."""
    root = Path(current_app.config["STORAGE_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_of(storage_name: str) -> Path:
    """Return where a stored file lives (two-level fan-out keeps directories small)."""
    if not re.fullmatch(r"[a-z]+/[0-9a-f]{32}\.[a-z]{3,4}", storage_name):
        raise ValueError(f"not a storage name: {storage_name!r}")
    folder, name = storage_name.split("/")
    return storage_root() / folder / name[:2] / name


def _size(count: int) -> str:
    """Say a byte count in MB or KB, as people read it."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count / 1024:g} KB" if count >= 1024 else f"{count} bytes"


def read_upload(upload, field: str, allowed: tuple[FileType, ...], max_bytes: int) -> tuple[bytes, FileType]:
    """Read an uploaded file, refusing an empty, oversized or wrong-typed one."""
    if upload is None or not getattr(upload, "filename", None):
        raise ValidationFailed(field, "Attach a file in the form field 'file'.", code="file_missing")
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise APIError(413, "file_too_large", f"A file may be at most {_size(max_bytes)}.", field=field)
    if not data:
        raise ValidationFailed(field, "The file is empty.", code="file_empty")
    kind = sniff(data)
    if kind not in allowed:
        names = ", ".join(t.ext.upper() for t in allowed)
        raise APIError(
            415,
            "file_type_not_allowed",
            f"This file is not a {names} file (checked by its content, not its name).",
            field=field,
        )
    if has_macros(data, kind):
        raise APIError(
            415,
            "file_has_macros",
            "This Word file contains macros; save it as a plain document (.docx) or a PDF.",
            field=field,
        )
    return data, kind


def store(folder: str, data: bytes, kind: FileType) -> str:
    """Write bytes under a new random name; return the storage name."""
    storage_name = f"{folder}/{secrets.token_hex(16)}.{kind.ext}"
    path = path_of(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    # Appear whole or not at all.
    os.replace(temporary, path)
    return storage_name


def commit_or_remove(session: Session, storage_name: str) -> None:
    """Commit the row that names a just-stored file; if the commit fails, delete the file too."""
    try:
        session.commit()
    except Exception:
        session.rollback()
        remove(storage_name)
        raise


def remove(storage_name: str | None) -> None:
    """Delete a stored file if it exists (after its row is gone, or when its row failed)."""
    if storage_name:
        path_of(storage_name).unlink(missing_ok=True)


def safe_download_name(original: str, ext: str) -> str:
    """Return a download name without paths, control characters or quotes, with the real extension."""
    name = unicodedata.normalize("NFKC", original or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"[\x00-\x1f\x7f\"';<>|:*?]", "", stem).strip(" .")[:80] or "file"
    return f"{stem}.{ext}"


@dataclass(frozen=True)
class StoredFile:
    """A stored file to send: where it is, its type, and the name to download it as."""

    path: Path
    content_type: str
    download_name: str


def stored_file(storage_name: str, content_type: str, download_name: str) -> StoredFile:
    """Return a stored file to send, or 410 when its bytes are gone from the disk."""
    path = path_of(storage_name)
    if not path.exists():
        raise APIError(410, "file_gone", "This file is no longer stored.")
    return StoredFile(path, content_type, download_name)


def read_spreadsheet(upload, field: str = "file") -> bytes:
    """Read an uploaded XLSX or CSV (text) file within UPLOAD_MAX_BYTES; 415 for anything else."""
    if upload is None or not getattr(upload, "filename", None):
        raise ValidationFailed(field, "Attach a file in the form field 'file'.", code="file_missing")
    max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise APIError(413, "file_too_large", f"A file may be at most {_size(max_bytes)}.", field=field)
    if not data:
        raise ValidationFailed(field, "The file is empty.", code="file_empty")
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return data
        except (zipfile.BadZipFile, ValueError):
            pass
    elif b"\x00" not in data[:4096] and sniff(data) is None:
        return data  # text: a CSV
    raise APIError(415, "file_type_not_allowed", "Send an XLSX or a CSV file.", field=field)


def attachment(data: bytes, kind: FileType, download_name: str):
    """Send bytes made for this request as an attachment a browser will not sniff or cache."""
    response = send_file(
        io.BytesIO(data), mimetype=kind.content_type, as_attachment=True, download_name=download_name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
