"""Consent: a resident's acceptances and withdrawals, where they stand, and the gate on personal data.

Call `require_consent(account, *purposes)` at the top of every service that saves a resident's
own personal data, before anything is written:
- `require_consent(account)`: the service agreement and the privacy notice (PERSONAL_DATA);
- `require_consent(account, *SENSITIVE_DATA)`: those two and the separate consent to sensitive
  data (ID numbers, disability and other health data: PIPL art. 28-29).
It raises 403 `consent_required`, naming the missing documents, and does nothing for accounts
that are not residents (staff record under their statutory duty, employers are organisations).
"""

from dataclasses import dataclass

import sqlalchemy as sa

from app.errors import APIError, Conflict, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    ConsentAction,
    ConsentDocument,
    ConsentPurpose,
    ConsentRecord,
    Push,
    PushStatus,
    Resident,
    Resume,
    Role,
    utcnow,
)
from app.models.jobs import SeekingPause
from app.services import statements
from app.services.people import audit, seekers
from app.services.people.consent_documents import current_documents, current_versions

# The documents every resident accepts before any personal data of theirs is saved.
PERSONAL_DATA = (ConsentPurpose.service_agreement, ConsentPurpose.privacy_notice)
# The same, and the separate consent to sensitive personal data.
SENSITIVE_DATA = (*PERSONAL_DATA, ConsentPurpose.sensitive_data)
# Pushes not yet sent when processing stops.
UNSENT = (PushStatus.pending.value, PushStatus.scheduled.value)


@dataclass(frozen=True)
class Client:
    """Where an acceptance or withdrawal came from."""

    ip: str | None = None
    user_agent: str | None = None
    version: str | None = None  # the mini-program's version, as it says


def latest_records(account_id: int) -> dict[str, ConsentRecord]:
    """Return the account's latest record of each purpose it ever answered."""
    rows = db.session.scalars(
        sa.select(ConsentRecord).where(ConsentRecord.account_id == account_id).order_by(ConsentRecord.id)
    )
    return {row.purpose: row for row in rows}


def _latest_answers(account_id: int) -> tuple[dict[str, str], dict[str, sa.Row]]:
    """Return the current version of every document and the account's latest answer of each purpose.

    The consent gate's read, before every save of personal data: one statement of short columns,
    the documents' versions and the account's answers together (each purpose's last row wins).
    """
    versions, latest = {}, {}
    for row in statements.run(_GATE, {"account_id": account_id}):
        if row.answer:
            latest[row.purpose] = row
        else:
            versions[row.purpose] = row.version
    if any(purpose.value not in versions for purpose in ConsentPurpose):
        versions = current_versions()  # installs the bundled texts a fresh deployment lacks
    return versions, latest


# Documents first (the latest published of a purpose last), then the account's answers, oldest first.
_GATE = sa.union_all(
    sa.select(
        sa.literal(0).label("answer"),
        ConsentDocument.purpose,
        ConsentDocument.version,
        sa.null().label("action"),
        ConsentDocument.published_at.label("published_at"),
        ConsentDocument.id,
    ),
    sa.select(
        sa.literal(1),
        ConsentRecord.purpose,
        ConsentRecord.version,
        ConsentRecord.action,
        sa.null(),
        ConsentRecord.id,
    ).where(ConsentRecord.account_id == sa.bindparam("account_id")),
).order_by("answer", "published_at", "id")


def pending(account_id: int, purposes=tuple(ConsentPurpose)) -> list[str]:
    """Return which of `purposes` the account has not accepted in their current version."""
    versions, latest = _latest_answers(account_id)
    missing = []
    for purpose in purposes:
        record = latest.get(str(purpose))
        if (
            record is None
            or record.action != ConsentAction.accepted
            or record.version != versions[str(purpose)]
        ):
            missing.append(str(purpose))
    return missing


class ConsentRequired(APIError):
    """403 `consent_required`: `fields` names each missing document with its current version."""

    def __init__(self, missing: list[str], documents: dict[str, ConsentDocument]):
        titles = "、".join(f"《{documents[p].title}》" for p in missing)
        super().__init__(
            403,
            "consent_required",
            f"Accept the current documents first (POST /api/v1/me/consents): {', '.join(missing)}.",
            fields={p: [f"请先阅读并同意{titles}", f"version {documents[p].version}"] for p in missing},
        )


def require_consent(account: Account, *purposes: str) -> None:
    """Refuse (403 `consent_required`) a resident who has not accepted the current `purposes`.

    No purposes: PERSONAL_DATA. Sensitive data: pass SENSITIVE_DATA. Accounts that are not
    residents pass: the gate is about a person's own data given through the mini-program.
    """
    if account.role != Role.resident:
        return
    missing = pending(account.id, purposes or PERSONAL_DATA)
    if missing:
        raise ConsentRequired(missing, current_documents())


def may_process(account_id: int) -> bool:
    """Tell whether a person's data may be processed for the services (no base consent withdrawn).

    Accounts that never answered pass: processing stops on a withdrawal, not for staff-made records.
    """
    latest = latest_records(account_id)
    return not any(
        latest.get(purpose.value) is not None and latest[purpose.value].action == ConsentAction.withdrawn
        for purpose in PERSONAL_DATA
    )


def _resident_id(account: Account) -> int | None:
    return db.session.scalar(sa.select(Resident.id).where(Resident.account_id == account.id))


def _audit(action: str, account: Account, client: Client, detail: dict) -> None:
    """Audit a consent change about the resident (placed where they live), or the account."""
    resident_id = _resident_id(account)
    audit.record(
        action,
        actor=account,
        object_type="resident" if resident_id else "account",
        object_id=resident_id or account.id,
        ip=client.ip,
        detail=detail,
    )


def _add_record(account: Account, document: ConsentDocument, action: ConsentAction, client: Client) -> None:
    db.session.add(
        ConsentRecord(
            account_id=account.id,
            document_id=document.id,
            purpose=document.purpose,
            version=document.version,
            action=action.value,
            ip=client.ip,
            user_agent=(client.user_agent or "")[:255] or None,
            client_version=client.version,
        )
    )


def accept(account: Account, documents: list[dict], client: Client) -> dict:
    """Accept documents by purpose and version (the versions the person read); return the overview.

    A version that is no longer current is refused (409 `consent_version_outdated`): the person
    read an older text. Accepting what is already accepted records nothing (a retry).
    """
    _only_residents(account)
    current = current_documents()
    latest = latest_records(account.id)
    accepted = []
    for index, item in enumerate(documents):
        document = current[item["purpose"]]
        if item["version"] != document.version:
            raise Conflict(
                "consent_version_outdated",
                f"{item['purpose']} is now at version {document.version}: read it and accept that one.",
                field=f"documents.{index}.version",
            )
        record = latest.get(document.purpose)
        done = (
            record is not None
            and record.action == ConsentAction.accepted
            and record.version == document.version
        )
        if done or document.purpose in {item["purpose"] for item in accepted}:
            continue  # accepted already (a retry), or named twice
        if document.purpose == ConsentPurpose.sensitive_data and not _accepts_base(
            latest, current, documents
        ):
            raise ValidationFailed(
                f"documents.{index}.purpose",
                "Accept the service agreement and privacy notice before (or with) the sensitive-data one.",
                code="consent_base_required",
            )
        _add_record(account, document, ConsentAction.accepted, client)
        accepted.append({"purpose": document.purpose, "version": document.version})
    if accepted:
        _audit("consent.accept", account, client, {"documents": accepted, "client_version": client.version})
    db.session.commit()
    return overview(account)


def _accepts_base(latest: dict, current: dict, documents: list[dict]) -> bool:
    """Tell whether the base documents are accepted already or in this same request."""
    now = {item["purpose"] for item in documents}
    return all(
        purpose.value in now
        or (
            latest.get(purpose.value) is not None
            and latest[purpose.value].action == ConsentAction.accepted
            and latest[purpose.value].version == current[purpose.value].version
        )
        for purpose in PERSONAL_DATA
    )


def withdraw(account: Account, purposes: list[str], client: Client) -> dict:
    """Withdraw consent to `purposes`; return the overview. What stops is in docs/PEOPLE.md.

    Withdrawing the service agreement or the privacy notice stops all processing for the
    services: the résumé closes (no candidate lists, no job pushes, off the seekers' map), unsent
    pushes are skipped and no new push goes (services/push/send.py asks `may_process`), and every
    save of personal data asks for consent again. Withdrawing a base document withdraws the
    sensitive-data consent with it. Withdrawing what is not accepted records nothing.
    """
    _only_residents(account)
    wanted = set(purposes)
    if wanted & {p.value for p in PERSONAL_DATA}:
        wanted.add(ConsentPurpose.sensitive_data.value)
    latest = latest_records(account.id)
    documents = {row.id: row for row in db.session.scalars(sa.select(ConsentDocument))}
    withdrawn = []
    for purpose in sorted(wanted):
        record = latest.get(purpose)
        if record is None or record.action != ConsentAction.accepted:
            continue
        _add_record(account, documents[record.document_id], ConsentAction.withdrawn, client)
        withdrawn.append({"purpose": purpose, "version": record.version})
    stopped = {}
    if any(item["purpose"] in {p.value for p in PERSONAL_DATA} for item in withdrawn):
        stopped = _stop_processing(account)
    if withdrawn:
        _audit("consent.withdraw", account, client, {"documents": withdrawn, **stopped})
    db.session.commit()
    _sync_seeker(account)
    return overview(account)


def _stop_processing(account: Account) -> dict:
    """Close the résumé to matching and skip unsent pushes; return what stopped, counted."""
    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account.id))
    resume_closed = False
    if resident is not None:
        resume = db.session.get(Resume, resident.id)
        if resume is not None and resume.open_to_work:
            resume.open_to_work = False
            resume.seeking_paused_at = utcnow()
            resume.seeking_paused_reason = SeekingPause.consent.value
            resume_closed = True
    skipped = db.session.execute(
        sa.update(Push)
        .where(Push.account_id == account.id, Push.status.in_(UNSENT))
        .values(status=PushStatus.skipped.value, last_error="consent_withdrawn")
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"resume_closed": resume_closed, "pushes_skipped": skipped}


def _sync_seeker(account: Account) -> None:
    """Bring the seekers' map in line with the résumé after a commit."""
    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account.id))
    if resident is not None:
        seekers.sync_seeker(resident, db.session.get(Resume, resident.id))


def _only_residents(account: Account) -> None:
    if account.role != Role.resident:
        raise APIError(403, "not_a_resident", "Only resident accounts give consent here.")


def overview(account: Account) -> dict:
    """Return what is current, what the person accepted, what is pending, and their whole history."""
    current = current_documents()
    latest = latest_records(account.id)
    history = list(
        db.session.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.account_id == account.id)
            .order_by(ConsentRecord.id.desc())
        )
    )
    documents = []
    for purpose, document in current.items():
        record = latest.get(purpose)
        if record is None:
            state = "pending"
        elif record.action == ConsentAction.withdrawn:
            state = "withdrawn"
        else:
            state = "accepted" if record.version == document.version else "outdated"
        documents.append(
            {
                "purpose": purpose,
                "required": purpose in {p.value for p in PERSONAL_DATA},
                "current_version": document.version,
                "title": document.title,
                "summary": document.summary,
                "published_at": document.published_at,
                "state": state,
                "accepted_version": record.version
                if record and record.action == ConsentAction.accepted
                else None,
                "answered_at": record.created_at if record else None,
            }
        )
    db.session.commit()  # bundled texts installed just now, if any: keep them
    return {
        "documents": documents,
        "pending": [d["purpose"] for d in documents if d["required"] and d["state"] != "accepted"],
        "may_process": may_process(account.id),
        "history": history,
    }
