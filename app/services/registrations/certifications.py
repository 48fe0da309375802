"""Certified key groups (重点群体认定): apply or record, certify with a validity or reject, read.

A resident applies for a key group (or staff record one at the counter) and attaches evidence
files (evidence.py); a reviewer in the resident's place certifies it with validity dates, which
starts the key-group period through `people.status.add_key_group` (the period then carries the
certification and its reviewer: that is what "certified" means), or rejects it with a reason.
The outcome is pushed to the resident. Expiry and renewal reminders are expiry.py's.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.common.clock import local_day
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Certification,
    CertificationStatus,
    Community,
    KeyGroup,
    Resident,
    Role,
    StatusSource,
    Township,
    utcnow,
)
from app.queues import enqueue_after_commit
from app.services.people import audit
from app.services.people.consents import PERSONAL_DATA, SENSITIVE_DATA, require_consent
from app.services.people.province_outbox import note_for_province
from app.services.people.residents import resident_of
from app.services.people.scoping import get_in_scope, scoped
from app.services.people.status import add_key_group, graduate_until
from app.services.results import Page, paginate

# Who reviews (certifies, rejects) and records certifications: the counter and the officials.
REVIEW_ROLES = frozenset(
    {Role.station_staff, Role.operator, Role.township_admin, Role.district_admin, Role.city_admin}
)
# Who reads them (the supervisor looks on; evidence files stay with the reviewers).
READ_ROLES = REVIEW_ROLES | {Role.supervisor}
# Groups no one applies for: registered unemployment follows 失业登记, long-term unemployment a rule.
NOT_CERTIFIABLE = frozenset({KeyGroup.registered_unemployed, KeyGroup.long_term_unemployed})
CERTIFIABLE = tuple(group for group in KeyGroup if group not in NOT_CERTIFIABLE)
# What the push says (template record_update: subject ≤ 20, result ≤ 5, note ≤ 20 characters).
SUBJECT = "重点群体认定"
# The day of the year a graduate's period starts from, when only the year is known.
GRADUATION_DAY = (7, 1)


def _check_group(key_group: str, graduation_year: int | None) -> KeyGroup:
    """Refuse (422) a group no one applies for, and a graduate without a graduation year."""
    group = KeyGroup(key_group)
    if group in NOT_CERTIFIABLE:
        raise ValidationFailed(
            "key_group",
            f"The group {group.value} is not applied for: it follows a rule.",
            "key_group_not_certifiable",
        )
    if group == KeyGroup.college_graduate and graduation_year is None:
        raise ValidationFailed(
            "graduation_year",
            "A college graduate's certification needs the graduation year.",
            "graduation_year_required",
        )
    if graduation_year is not None and graduation_year > local_day().year:
        raise ValidationFailed(
            "graduation_year", "The graduation year lies in the future.", "graduation_year_in_future"
        )
    return group


def _create(
    resident: Resident, author: Account, values: dict, source: StatusSource
) -> tuple[Certification, bool]:
    """Write a pending certification once per (author, client_id); (row, created)."""
    found = _by_client_id(author, values["client_id"])
    if found is not None:
        return found, False
    group = _check_group(values["key_group"], values.get("graduation_year"))
    open_one = db.session.scalar(
        sa.select(Certification.id).where(
            Certification.resident_id == resident.id,
            Certification.key_group == group.value,
            Certification.status == CertificationStatus.pending,
        )
    )
    if open_one is not None:
        raise Conflict(
            "certification_open", f"Certification {open_one} of this group is still waiting for review."
        )
    row = Certification(
        resident_id=resident.id,
        key_group=group.value,
        graduation_year=values.get("graduation_year") if group == KeyGroup.college_graduate else None,
        note=values.get("note"),
        status=CertificationStatus.pending.value,
        source=source.value,
        author_id=author.id,
        client_id=values["client_id"],
        **{name: getattr(resident, name) for name in PLACE_COLUMN_NAMES},
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        # A resend racing its first copy: the first one stands.
        db.session.rollback()
        found = _by_client_id(author, values["client_id"])
        if found is None:
            raise
        return found, False
    return row, True


def _by_client_id(author: Account, client_id: str) -> Certification | None:
    return db.session.scalar(
        sa.select(Certification).where(
            Certification.author_id == author.id, Certification.client_id == client_id
        )
    )


def apply(account: Account, values: dict) -> tuple[Certification, bool]:
    """A resident applies for a key group (evidence follows, one upload per file); (row, created)."""
    require_consent(account, *consent_for(values["key_group"]))
    resident = resident_of(account)
    if resident.community_id is None and _by_client_id(account, values["client_id"]) is None:
        # The reviewers are those of the person's place: without one, nobody could decide it.
        raise ValidationFailed(
            "community_code",
            "Set your community first: its station reviews the application.",
            "community_required",
        )
    row, created = _create(resident, account, values, StatusSource.self)
    if created:
        audit.record(
            "certification.apply",
            actor=account,
            object_type="resident",
            object_id=resident.id,
            detail={"certification_id": row.id, "key_group": row.key_group},
        )
    db.session.commit()
    return row, created


# Groups whose membership is sensitive personal information (PIPL art. 28: health, a specific
# identity, finances): applying for them needs the separate sensitive-data consent.
SENSITIVE_GROUPS = frozenset(
    {
        KeyGroup.disabled,
        KeyGroup.poverty_alleviated,
        KeyGroup.poverty_monitoring,
        KeyGroup.subsistence_allowance,
    }
)


def consent_for(group: str) -> tuple:
    """Return the consent purposes a resident's application for `group` (and its evidence) needs."""
    return SENSITIVE_DATA if group in SENSITIVE_GROUPS else PERSONAL_DATA


def record(actor: Account, values: dict, ip: str | None) -> tuple[Certification, bool]:
    """Staff record a key group for a resident in their place (evidence follows); (row, created)."""
    require_role(actor, REVIEW_ROLES)
    resident = get_in_scope(Resident, values["resident_id"], actor, "resident_not_found")
    row, created = _create(resident, actor, values, StatusSource.staff)
    if created:
        audit.record(
            "certification.record",
            actor=actor,
            object_type="resident",
            object_id=resident.id,
            ip=ip,
            detail={"certification_id": row.id, "key_group": row.key_group},
        )
    db.session.commit()
    return row, created


def require_role(actor: Account, roles: frozenset) -> None:
    """Refuse (403) a role that may not do this."""
    if actor.role not in roles:
        raise Forbidden("role_forbidden", "Your role may not work on key-group certifications.")


def list_own(account: Account) -> list[Certification]:
    """Return the resident's own certifications, newest first."""
    resident = resident_of(account)
    return list(
        db.session.scalars(
            sa.select(Certification)
            .where(Certification.resident_id == resident.id)
            .options(selectinload(Certification.evidence))
            .order_by(Certification.id.desc())
        )
    )


def get_own(account: Account, certification_id: int) -> Certification:
    """Return one of the resident's own certifications, or 404."""
    found = db.session.scalar(
        sa.select(Certification).where(
            Certification.id == certification_id, Certification.resident_id == resident_of(account).id
        )
    )
    if found is None:
        raise NotFound("certification_not_found", f"No certification {certification_id} of yours.")
    return found


def in_scope(actor: Account, certification_id: int, roles: frozenset = READ_ROLES) -> Certification:
    """Return a certification in the staff member's place (404 outside it; 403 for another role)."""
    require_role(actor, roles)
    return get_in_scope(Certification, certification_id, actor, "certification_not_found")


def list_for_staff(
    actor: Account,
    page: int,
    per_page: int,
    key_group: str | None = None,
    status: str | None = None,
    community: str | None = None,
    township: str | None = None,
    expiring_days: int | None = None,
) -> Page:
    """Return a page of the certifications in the actor's place, newest first, filtered."""
    require_role(actor, READ_ROLES)
    statement = scoped(sa.select(Certification), Certification, actor)
    if key_group:
        statement = statement.where(Certification.key_group == key_group)
    if status:
        statement = statement.where(Certification.status == status)
    if community:
        statement = statement.join(Community, Community.id == Certification.community_id).where(
            Community.code == community
        )
    if township:
        statement = statement.join(Township, Township.id == Certification.township_id).where(
            Township.code == township
        )
    if expiring_days is not None:
        today = local_day()
        statement = statement.where(
            Certification.status == CertificationStatus.certified,
            Certification.valid_until.between(today, date.fromordinal(today.toordinal() + expiring_days)),
        )
    options = (selectinload(Certification.evidence), selectinload(Certification.resident))
    return paginate(statement, page, per_page, order_by=(Certification.id.desc(),), options=options)


def read(actor: Account, certification_id: int, ip: str | None) -> Certification:
    """Return one certification to staff in scope; the read is audited (it names the person's group)."""
    row = in_scope(actor, certification_id)
    audit.commit(
        "certification.read",
        actor=actor,
        object_type="resident",
        object_id=row.resident_id,
        ip=ip,
        detail={"certification_id": row.id},
    )
    return row


def _pending(row: Certification) -> None:
    """Refuse (409) a decision on a certification already decided."""
    # Read again under a row lock: two reviewers deciding at once decide once.
    db.session.refresh(row, with_for_update=True)
    if row.status != CertificationStatus.pending:
        raise Conflict("certification_decided", f"This certification is already {row.status}.")


def _validity(row: Certification, valid_from: date, valid_until: date | None) -> date | None:
    """Check the validity dates a reviewer gives; return valid_until (a graduate's default from the year)."""
    today = local_day()
    if valid_from > today:
        raise ValidationFailed(
            "valid_from", "A certification starts today at the latest.", "valid_from_in_future"
        )
    if valid_until is None and row.key_group == KeyGroup.college_graduate and row.graduation_year:
        valid_until = graduate_until(date(row.graduation_year, *GRADUATION_DAY))
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed(
            "valid_until",
            f"The validity cannot end ({valid_until}) before it starts ({valid_from}).",
            "period_reversed",
        )
    if valid_until is not None and valid_until < today:
        raise ValidationFailed(
            "valid_until",
            f"This certificate expired on {valid_until}: it cannot be certified.",
            "certificate_expired",
        )
    return valid_until


def certify(
    actor: Account, certification_id: int, valid_from: date, valid_until: date | None, ip: str | None
) -> Certification:
    """Certify a pending certification on its evidence: the key-group period starts; pushed and audited."""
    row = in_scope(actor, certification_id, REVIEW_ROLES)
    _pending(row)
    if not row.evidence:
        raise ValidationFailed(
            "evidence", "Attach at least one evidence file before certifying.", "evidence_missing"
        )
    valid_until = _validity(row, valid_from, valid_until)
    row.status = CertificationStatus.certified.value
    row.reviewer_id, row.decided_at, row.reason = actor.id, utcnow(), None
    row.valid_from, row.valid_until = valid_from, valid_until
    add_key_group(row.resident, KeyGroup(row.key_group), StatusSource.staff, actor, certification=row)
    note_for_province("key_group", "person", row.resident, row, "create")
    audit.record(
        "certification.certify",
        actor=actor,
        object_type="resident",
        object_id=row.resident_id,
        ip=ip,
        detail={
            "certification_id": row.id,
            "key_group": row.key_group,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None,
            "evidence": [file.id for file in row.evidence],
        },
    )
    note = f"有效期至{valid_until.isoformat()}" if valid_until else "长期有效"
    _push(row, "certified", "已认定", f"{KeyGroup(row.key_group).label}{note}")
    db.session.commit()
    return row


def reject(actor: Account, certification_id: int, reason: str, ip: str | None) -> Certification:
    """Reject a pending certification with a reason the resident sees; pushed and audited."""
    row = in_scope(actor, certification_id, REVIEW_ROLES)
    _pending(row)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason", "Say why the certification is refused.", "reason_required")
    row.status = CertificationStatus.rejected.value
    row.reviewer_id, row.decided_at, row.reason = actor.id, utcnow(), reason
    audit.record(
        "certification.reject",
        actor=actor,
        object_type="resident",
        object_id=row.resident_id,
        ip=ip,
        detail={"certification_id": row.id, "key_group": row.key_group, "reason": reason},
    )
    _push(row, "rejected", "未通过", reason)
    db.session.commit()
    return row


# The mini-program page a certification's push opens: the resident's certifications.
PAGE = "pages/certifications/index"


def _push(row: Certification, outcome: str, result: str, note: str) -> None:
    """Push the outcome to the resident after the commit (once per certification and outcome)."""
    key = f"certification:{row.id}:{outcome}"
    enqueue_after_commit("push.notify_record", row.resident_id, SUBJECT, key, result, note[:20], PAGE)
