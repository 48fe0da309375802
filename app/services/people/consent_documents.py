"""Consent documents: the versions of the service agreement, privacy notice and sensitive-data consent.

The latest published version of a purpose is its current one; a published text never changes
(a new version instead). The bundled texts (app/data/consents/<purpose>.md) are installed as the
first version of a purpose that has none.
"""

import hashlib
from pathlib import Path

import sqlalchemy as sa

from app.common.upsert import insert_ignoring_duplicates
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import Account, ConsentDocument, ConsentPurpose, utcnow
from app.services import statements
from app.services.people import audit

# The texts installed when a purpose has no published version yet (a fresh deployment).
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "data" / "consents"


def bundled(purpose: str) -> dict:
    """Return the bundled text of a purpose: version, title and body (app/data/consents/<purpose>.md)."""
    text = (BUNDLED_DIR / f"{purpose}.md").read_text(encoding="utf-8")
    _, head, body = text.split("---\n", 2)
    fields = dict(line.split(": ", 1) for line in head.strip().splitlines())
    return {"version": fields["version"], "title": fields["title"], "body": body.strip() + "\n"}


def digest(body: str) -> str:
    """Return a document body's SHA-256."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _latest_documents() -> dict[str, ConsentDocument]:
    """Return the latest published version of each purpose that has one."""
    rows = db.session.scalars(
        sa.select(ConsentDocument).order_by(ConsentDocument.published_at, ConsentDocument.id)
    )
    return {row.purpose: row for row in rows}  # the last one of a purpose wins


def current_documents() -> dict[str, ConsentDocument]:
    """Return the current document of every purpose, installing a bundled text where none is published.

    Installing is part of the caller's transaction (its commit keeps it; a concurrent install of
    the same version is ignored by the unique key).
    """
    found = _latest_documents()
    missing = [purpose for purpose in ConsentPurpose if purpose.value not in found]
    if missing:
        rows = []
        for purpose in missing:
            text = bundled(purpose.value)
            rows.append(
                {**text, "purpose": purpose.value, "sha256": digest(text["body"]), "published_at": utcnow()}
            )
        insert_ignoring_duplicates(db.session, ConsentDocument, rows)
        found = _latest_documents()
    return {purpose.value: found[purpose.value] for purpose in ConsentPurpose}


_VERSIONS = sa.select(ConsentDocument.purpose, ConsentDocument.version).order_by(
    ConsentDocument.published_at, ConsentDocument.id
)


def current_versions() -> dict[str, str]:
    """Return the current version of every purpose: what the consent gate compares, without the texts.

    Every gated save asks this, so it reads two short columns (a handful of rows), not the bodies.
    """
    rows = statements.run(_VERSIONS).all()
    found = {purpose: version for purpose, version in rows}  # the last one of a purpose wins
    if any(purpose.value not in found for purpose in ConsentPurpose):
        return {purpose: document.version for purpose, document in current_documents().items()}
    return found


def list_current(purpose: str | None = None) -> list[ConsentDocument]:
    """Return the current document of every purpose (or of one), with its text (public)."""
    documents = [doc for doc in current_documents().values() if purpose in (None, doc.purpose)]
    db.session.commit()  # bundled texts installed just now, if any: keep them
    return documents


def get_document(purpose: str, version: str) -> ConsentDocument:
    """Return one published version of a document (what a person accepted back then)."""
    current_documents()
    row = db.session.scalar(
        sa.select(ConsentDocument).where(
            ConsentDocument.purpose == purpose, ConsentDocument.version == version
        )
    )
    if row is None:
        raise NotFound("consent_document_not_found", f"No version {version} of {purpose}.")
    return row


def publish(actor: Account, values: dict, ip: str | None) -> tuple[ConsentDocument, bool]:
    """Publish a new version of a document (city administration); everyone is asked again.

    The same purpose, version and text again is a retry (the first row, created False); the same
    version with another text is 409 `consent_version_exists`: a published text never changes.
    """
    current_documents()
    purpose, version = values["purpose"], values["version"]
    body = values["body"].strip() + "\n"
    found = db.session.scalar(
        sa.select(ConsentDocument).where(
            ConsentDocument.purpose == purpose, ConsentDocument.version == version
        )
    )
    if found is not None:
        if found.sha256 == digest(body) and found.title == values["title"]:
            db.session.commit()
            return found, False
        raise Conflict(
            "consent_version_exists",
            f"Version {version} of {purpose} is published with another text: give a new version.",
            field="version",
        )
    document = ConsentDocument(
        purpose=purpose,
        version=version,
        title=values["title"],
        body=body,
        sha256=digest(body),
        summary=values.get("summary"),
        published_at=utcnow(),
        published_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record(
        "consent.publish",
        actor=actor,
        object_type="consent_document",
        object_id=document.id,
        ip=ip,
        detail={"purpose": purpose, "version": version, "sha256": document.sha256},
    )
    db.session.commit()
    return document, True
