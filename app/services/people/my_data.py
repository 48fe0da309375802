"""A person's copy of their own data (PIPL art. 45): every row about them, section by section.

SECTIONS lists (name, function); each function takes the account and its resident (None for an
account without one) and returns JSON values. A new kind of record adds its function here (the
people wing may read every model, so no higher wing is imported). The copy is a full read
(ID number and phone in clear, for their owner): it is audited.
"""

from collections.abc import Callable
from datetime import date, datetime

import sqlalchemy as sa

from app.common.crypto import decrypt
from app.extensions import db
from app.models import (
    Account,
    Application,
    AuditEvent,
    Certification,
    CertificationEvidence,
    CheckIn,
    Claim,
    ClaimAttachment,
    ClaimEvent,
    ConsentRecord,
    DeletionRequest,
    EventSignup,
    Job,
    Need,
    PolicyMatch,
    Push,
    PushPreference,
    PushQuota,
    Registration,
    Resident,
    ResidentKeyGroup,
    Resume,
    ResumeFile,
    StatusChange,
    Visit,
    utcnow,
)
from app.services.people import audit

# Columns never copied: keys and hashes (not data about the person) and where files lie on disk.
HIDDEN_COLUMNS = frozenset(
    {
        "id_number_enc",
        "id_number_hmac",
        "phone_enc",
        "phone_hmac",
        "session_key_enc",
        "password_hash",
        "totp_secret_enc",
        "totp_last_step",
        "openid_hmac",
        "storage_name",
        "sha256",
    }
)


def value(item):
    """Return a column value as JSON: UTC datetimes with a Z, dates as ISO, bytes left out."""
    if isinstance(item, datetime):
        return item.isoformat() + "Z"
    if isinstance(item, date):
        return item.isoformat()
    if isinstance(item, bytes):
        return None
    return item


def row(obj, *names: str) -> dict:
    """Return a row's columns (or just `names`) as JSON values, hidden columns left out."""
    columns = names or [c.key for c in sa.inspect(type(obj)).column_attrs]
    return {
        name: value(getattr(obj, name))
        for name in columns
        # Any encrypted value or lookup hash: the sections decrypt what the owner reads in full.
        if name not in HIDDEN_COLUMNS and not name.endswith(("_enc", "_hmac"))
    }


def rows(statement) -> list[dict]:
    """Return every row a SELECT finds, as JSON values."""
    return [row(obj) for obj in db.session.scalars(statement)]


def account_section(account: Account, resident: Resident | None) -> dict:
    """The login: role, when made and last used, the WeChat binding."""
    return {
        **row(account, "id", "role", "display_name", "openid", "unionid", "created_at", "last_login_at"),
        "wechat_bound": account.openid is not None,
    }


def profile_section(account: Account, resident: Resident | None) -> dict | None:
    """The resident row, ID number and phone in full."""
    if resident is None:
        return None
    return {
        **row(resident),
        "id_number": decrypt(resident.id_number_enc, "id_number") if resident.id_number_enc else None,
        "phone": decrypt(resident.phone_enc, "phone") if resident.phone_enc else None,
        "age": resident.age(),
    }


def key_groups_section(account: Account, resident: Resident | None) -> list:
    """Every key-group period, current or ended, with who verified it."""
    if resident is None:
        return []
    return rows(sa.select(ResidentKeyGroup).where(ResidentKeyGroup.resident_id == resident.id))


def status_history_section(account: Account, resident: Resident | None) -> list:
    """The employment-status history of the ledger."""
    if resident is None:
        return []
    return rows(
        sa.select(StatusChange).where(StatusChange.resident_id == resident.id).order_by(StatusChange.id)
    )


def resume_section(account: Account, resident: Resident | None) -> dict | None:
    """The résumé and its files (names, types, sizes; each downloads from /me/resume/files/{id})."""
    if resident is None:
        return None
    resume = db.session.get(Resume, resident.id)
    files = rows(sa.select(ResumeFile).where(ResumeFile.resident_id == resident.id).order_by(ResumeFile.id))
    return {"resume": row(resume) if resume else None, "files": files}


def applications_section(account: Account, resident: Resident | None) -> list:
    """Every application, with the job's title."""
    if resident is None:
        return []
    found = db.session.execute(
        sa.select(Application, Job.title)
        .join(Job, Job.id == Application.job_id)
        .where(Application.resident_id == resident.id)
        .order_by(Application.id)
    )
    return [{**row(application), "job_title": title} for application, title in found]


def registrations_section(account: Account, resident: Resident | None) -> list:
    """Every unemployment and employment registration (失业登记, 就业登记), whatever its status."""
    if resident is None:
        return []
    found = db.session.scalars(
        sa.select(Registration).where(Registration.resident_id == resident.id).order_by(Registration.id)
    )
    return [
        {
            **row(registration),
            # The 就业创业证 number in full: the owner's copy (the read is audited as a whole).
            "card_number": decrypt(registration.card_number_enc, "card_number")
            if registration.card_number_enc
            else None,
        }
        for registration in found
    ]


def certifications_section(account: Account, resident: Resident | None) -> list:
    """Every key-group certification, with its evidence files (names, types, sizes)."""
    if resident is None:
        return []
    found = list(
        db.session.scalars(
            sa.select(Certification)
            .where(Certification.resident_id == resident.id)
            .order_by(Certification.id)
        )
    )
    evidence: dict[int, list] = {}
    if found:
        files = db.session.scalars(
            sa.select(CertificationEvidence)
            .where(CertificationEvidence.certification_id.in_([c.id for c in found]))
            .order_by(CertificationEvidence.id)
        )
        for file in files:
            evidence.setdefault(file.certification_id, []).append(row(file))
    return [{**row(certification), "evidence": evidence.get(certification.id, [])} for certification in found]


def check_ins_section(account: Account, resident: Resident | None) -> list:
    """Every check-in at a station or an event."""
    return rows(sa.select(CheckIn).where(CheckIn.account_id == account.id).order_by(CheckIn.id))


def event_signups_section(account: Account, resident: Resident | None) -> list:
    """Every event signed up for."""
    return rows(sa.select(EventSignup).where(EventSignup.account_id == account.id).order_by(EventSignup.id))


def pushes_section(account: Account, resident: Resident | None) -> dict:
    """Every push made for the person, their push settings and their subscriptions."""
    preference = db.session.get(PushPreference, account.id)
    return {
        "pushes": rows(sa.select(Push).where(Push.account_id == account.id).order_by(Push.id)),
        "preferences": row(preference) if preference else None,
        "subscriptions": rows(sa.select(PushQuota).where(PushQuota.account_id == account.id)),
    }


def household_visits_section(account: Account, resident: Resident | None) -> list:
    """The grid workers' visits to their household: when, how, the outcome, and what was recorded of them."""
    if resident is None or resident.household_id is None:
        return []
    visits = db.session.scalars(
        sa.select(Visit).where(Visit.household_id == resident.household_id).order_by(Visit.id)
    )
    return [
        {
            **row(visit, "id", "visited_at", "channel", "outcome"),
            # Only their own part: the household's notes and the others' updates are not theirs.
            "about_me": [u for u in visit.member_updates or [] if u.get("resident_id") == resident.id],
        }
        for visit in visits
    ]


def claims_section(account: Account, resident: Resident | None) -> list:
    """Every benefit claim (直补快办): its steps, its files (names, types, sizes), the bank account."""
    if resident is None:
        return []
    found = list(
        db.session.scalars(sa.select(Claim).where(Claim.resident_id == resident.id).order_by(Claim.id))
    )
    ids = [claim.id for claim in found]
    events: dict[int, list] = {}
    attachments: dict[int, list] = {}
    if ids:
        for event in db.session.scalars(
            sa.select(ClaimEvent).where(ClaimEvent.claim_id.in_(ids)).order_by(ClaimEvent.id)
        ):
            events.setdefault(event.claim_id, []).append(row(event))
        for file in db.session.scalars(
            sa.select(ClaimAttachment).where(ClaimAttachment.claim_id.in_(ids)).order_by(ClaimAttachment.id)
        ):
            attachments.setdefault(file.claim_id, []).append(row(file))
    return [
        {
            **row(claim),
            # The account number in full: the owner's copy (the read is audited as a whole).
            "bank_account": decrypt(claim.bank_account_enc, "bank_account")
            if claim.bank_account_enc
            else None,
            "events": events.get(claim.id, []),
            "attachments": attachments.get(claim.id, []),
        }
        for claim in found
    ]


def policy_matches_section(account: Account, resident: Resident | None) -> list:
    """The policies matched to them (政策找人): why (the trace), the facts read, the amount, the state."""
    if resident is None:
        return []
    return rows(sa.select(PolicyMatch).where(PolicyMatch.resident_id == resident.id).order_by(PolicyMatch.id))


def needs_section(account: Account, resident: Resident | None) -> list:
    """The needs recorded for them (a job, training, a policy …), open and closed."""
    if resident is None:
        return []
    return rows(sa.select(Need).where(Need.resident_id == resident.id).order_by(Need.id))


def consents_section(account: Account, resident: Resident | None) -> list:
    """Every acceptance and withdrawal."""
    return rows(
        sa.select(ConsentRecord).where(ConsentRecord.account_id == account.id).order_by(ConsentRecord.id)
    )


def deletion_section(account: Account, resident: Resident | None) -> dict | None:
    """The deletion request, if any."""
    request = db.session.scalar(sa.select(DeletionRequest).where(DeletionRequest.account_id == account.id))
    return row(request) if request else None


def audit_section(account: Account, resident: Resident | None) -> list:
    """The audit events about them (their record) or by them, oldest first."""
    about = AuditEvent.actor_id == account.id
    if resident is not None:
        about = sa.or_(
            about, sa.and_(AuditEvent.object_type == "resident", AuditEvent.object_id == str(resident.id))
        )
    columns = (
        "id",
        "action",
        "actor_label",
        "object_type",
        "object_id",
        "outcome",
        "ip",
        "detail",
        "created_at",
    )
    return [
        row(event, *columns)
        for event in db.session.scalars(sa.select(AuditEvent).where(about).order_by(AuditEvent.id))
    ]


SECTIONS: list[tuple[str, Callable]] = [
    ("account", account_section),
    ("profile", profile_section),
    ("key_groups", key_groups_section),
    ("status_history", status_history_section),
    ("resume", resume_section),
    ("applications", applications_section),
    ("registrations", registrations_section),
    ("certifications", certifications_section),
    ("check_ins", check_ins_section),
    ("event_signups", event_signups_section),
    ("pushes", pushes_section),
    ("household_visits", household_visits_section),
    ("needs", needs_section),
    ("policy_matches", policy_matches_section),
    ("claims", claims_section),
    ("consents", consents_section),
    ("deletion_request", deletion_section),
    ("audit_events", audit_section),
]


def copy_of(account: Account, ip: str | None) -> dict:
    """Return the person's data as {section: data}; the read is audited (a full read of their record)."""
    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account.id))
    sections = {name: build(account, resident) for name, build in SECTIONS}
    audit.commit(
        "my_data.copy",
        actor=account,
        object_type="resident" if resident else "account",
        object_id=resident.id if resident else account.id,
        ip=ip,
        detail={"sections": [name for name, _ in SECTIONS]},
    )
    return {"generated_at": value(utcnow()), "sections": sections}
