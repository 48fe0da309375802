"""Employers: registration with a checked credit code, licence upload, verification in scope."""

from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common import files
from app.common.credit_code import parse_credit_code
from app.common.crypto import decrypt, encrypt, lookup_hash
from app.common.geo import check_point
from app.common.identity import mask_phone, normalise_phone
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    STAFF_ROLES,
    Account,
    Application,
    ApplicationStatus,
    Employer,
    EmployerStatus,
    Job,
    JobStatus,
    Resident,
    Resume,
    Role,
    utcnow,
)
from app.services.jobs import credibility
from app.services.jobs.search import geo_index
from app.services.people import audit, seekers
from app.services.people.places import community_by_code, locate, place_columns
from app.services.people.province_outbox import note_for_province
from app.services.people.scoping import get_in_scope, scoped
from app.services.results import Page, paginate

# verify() without a licence term: the one recorded stays.
UNCHANGED = object()
# Staff who may verify employers (and review jobs, see jobs.REVIEW_ROLES) in their place.
VERIFY_ROLES = frozenset(
    {Role.station_staff, Role.operator, Role.township_admin, Role.district_admin, Role.city_admin}
)
# What a verified employer may still change without a new verification.
EDITABLE_WHEN_VERIFIED = frozenset(
    {"contact_name", "contact_phone", "industry", "size", "address", "lat", "lng", "community_code"}
)


def set_contact_phone(employer: Employer, raw: str | None) -> None:
    """Store a contact phone as residents' phones are: encrypted, its keyed hash, a masked hint."""
    if raw is None:
        employer.contact_phone_enc = employer.contact_phone_hmac = employer.contact_phone_hint = None
        return
    value = normalise_phone(raw, "contact_phone")
    employer.contact_phone_enc = encrypt(value, "phone")
    employer.contact_phone_hmac = lookup_hash(value, "phone")
    employer.contact_phone_hint = mask_phone(value)


def contact_phone(employer: Employer) -> str | None:
    """Return the employer's full contact phone (callers audit the read)."""
    return decrypt(employer.contact_phone_enc, "phone") if employer.contact_phone_enc else None


def _place_of(values: dict, lat: float | None, lng: float | None) -> dict:
    """Place columns from the given community, else from the location; 422 outside our places.

    An employer with no place would be out of every staff member's reach, so nobody could
    ever verify it.
    """
    if values.get("community_code"):
        return place_columns(community_by_code(values["community_code"]))
    if lat is None or lng is None:
        raise ValidationFailed(
            "lat", "Give the business's location (lat, lng) or its community_code.", code="location_required"
        )
    places = locate(lat, lng)
    if places["city_id"] is None:
        raise ValidationFailed(
            "lat",
            "This location is outside the area this service covers; give the community_code if it is inside.",
            code="outside_service_area",
        )
    return places


def _credit_code_taken() -> Conflict:
    return Conflict(
        "credit_code_taken",
        "An employer with this credit code is already registered; ask your service station.",
        field="credit_code",
    )


def employer_of(account: Account) -> Employer:
    """Return the employer owned by an account, or 404."""
    employer = db.session.scalar(sa.select(Employer).where(Employer.account_id == account.id))
    if employer is None:
        raise NotFound("employer_not_registered", "Register your business first (POST /api/v1/employers).")
    return employer


def check_may_take_a_business(account: Account, doing: str) -> None:
    """Refuse (403) an account that is not a WeChat user, or (409) one that has a business already."""
    if account.role not in (Role.resident, Role.employer):
        raise Forbidden("role_forbidden", f"Only WeChat users can {doing} a business.")
    if db.session.scalar(sa.select(Employer.id).where(Employer.account_id == account.id)):
        raise Conflict("employer_exists", "This WeChat account already has a business registered.")


def new_employer(values: dict, credit_code: str, **columns) -> Employer:
    """Build a pending employer from a registration's values (its owner and place in `columns`)."""
    employer = Employer(
        name=values["name"].strip(),
        credit_code=credit_code,
        legal_representative=values.get("legal_representative"),
        contact_name=values.get("contact_name"),
        industry=values.get("industry"),
        size=values.get("size"),
        address=values.get("address"),
        lat=values.get("lat"),
        lng=values.get("lng"),
        status=EmployerStatus.pending.value,
        **columns,
    )
    set_contact_phone(employer, values.get("contact_phone"))
    return employer


def register(account: Account, values: dict, ip: str | None) -> Employer:
    """Turn a WeChat user into an employer account with a pending employer record."""
    check_may_take_a_business(account, "register")
    code = parse_credit_code(values["credit_code"])
    holder = db.session.scalar(sa.select(Employer).where(Employer.credit_code == code))
    if holder is not None and holder.account_id is None:
        # Staff registered this business in the field: it claims that record (and its history).
        raise Conflict(
            "employer_claimable",
            "Staff have registered this business already: claim it with the code they gave you "
            "(POST /api/v1/employers/claim).",
            field="credit_code",
        )
    if holder is not None:
        raise _credit_code_taken()
    check_point(values.get("lat"), values.get("lng"))
    places = _place_of(values, values.get("lat"), values.get("lng"))
    employer = new_employer(values, code, account_id=account.id, **places)
    db.session.add(employer)
    # A resident who registers a business uses the mini-program as that employer from now on.
    account.role = Role.employer.value
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _credit_code_taken() from None
    seeker = stop_seeking(account)
    audit.commit(
        "employer.register",
        actor=account,
        object_type="employer",
        object_id=employer.id,
        ip=ip,
        detail={"credit_code": code, "name": employer.name, "withdrawn_applications": seeker[2]},
    )
    if seeker[0] is not None:
        seekers.sync_seeker(seeker[0], seeker[1])
    return employer


def stop_seeking(account: Account) -> tuple[Resident | None, Resume | None, list[int]]:
    """Close the résumé and withdraw the live applications of a resident turning employer.

    The account now acts as the business: it can no longer follow up applications or edit a
    résumé, so leaving them open would show employers a candidate nobody answers for.
    """
    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account.id))
    if resident is None:
        return None, None, []
    resume = db.session.get(Resume, resident.id)
    if resume is not None:
        resume.open_to_work = False
    live = list(
        db.session.scalars(
            sa.select(Application).where(
                Application.resident_id == resident.id,
                Application.status.in_(
                    [ApplicationStatus.submitted, ApplicationStatus.viewed, ApplicationStatus.interview]
                ),
            )
        )
    )
    for application in live:
        application.status = ApplicationStatus.withdrawn.value
        application.status_changed_at = utcnow()
    return resident, resume, [a.id for a in live]


def update(account: Account, employer_id: int, values: dict, ip: str | None) -> Employer:
    """Let the owner edit; a rejected employer returns to pending, a verified one keeps name and code."""
    employer = employer_of(account)
    if employer.id != employer_id:
        raise NotFound("employer_not_found", f"No employer {employer_id} of yours.")
    if employer.status == EmployerStatus.verified:
        locked = sorted(set(values) - EDITABLE_WHEN_VERIFIED)
        if locked:
            raise Conflict(
                "employer_verified",
                f"A verified employer's {', '.join(locked)} can only change through the service station.",
                field=locked[0],
            )
    if "credit_code" in values:
        code = parse_credit_code(values["credit_code"])
        if db.session.scalar(
            sa.select(Employer.id).where(Employer.credit_code == code, Employer.id != employer.id)
        ):
            raise _credit_code_taken()
        employer.credit_code = code
    lat, lng = values.get("lat", employer.lat), values.get("lng", employer.lng)
    check_point(lat, lng)
    for name in ("name", "legal_representative", "contact_name", "industry", "size", "address"):
        if name in values:
            setattr(employer, name, values[name])
    if "contact_phone" in values:
        set_contact_phone(employer, values["contact_phone"])
    if {"lat", "lng", "community_code"} & values.keys():
        employer.lat, employer.lng = lat, lng
        for name, value in _place_of(values, lat, lng).items():
            setattr(employer, name, value)
    if employer.status == EmployerStatus.rejected and values:
        employer.status = EmployerStatus.pending.value
    audit.record(
        "employer.update",
        actor=account,
        object_type="employer",
        object_id=employer.id,
        ip=ip,
        detail={"fields": sorted(values)},
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _credit_code_taken() from None
    return employer


def upload_licence(account: Account, employer_id: int, upload, ip: str | None) -> Employer:
    """Store the business-licence image (JPG, PNG or PDF) of the owner's employer."""
    employer = employer_of(account)
    if employer.id != employer_id:
        raise NotFound("employer_not_found", f"No employer {employer_id} of yours.")
    if employer.status == EmployerStatus.verified:
        raise Conflict(
            "employer_verified", "A verified employer's licence changes through the service station."
        )
    data, kind = files.read_upload(
        upload, "file", files.LICENCE_TYPES, current_app.config["UPLOAD_MAX_BYTES"]
    )
    storage_name = files.store("licences", data, kind)
    previous = employer.licence_file
    employer.licence_file, employer.licence_content_type = storage_name, kind.content_type
    employer.licence_uploaded_at = utcnow()
    if employer.status == EmployerStatus.rejected:
        employer.status = EmployerStatus.pending.value
    audit.record(
        "employer.licence_upload", actor=account, object_type="employer", object_id=employer.id, ip=ip
    )
    files.commit_or_remove(db.session, storage_name)
    files.remove(previous)
    return employer


def get_employer(actor: Account, employer_id: int) -> Employer:
    """Return an employer to its owner or to staff whose place holds it; 404 otherwise."""
    if actor.role in STAFF_ROLES:
        return get_in_scope(Employer, employer_id, actor, "employer_not_found")
    employer = db.session.scalar(
        sa.select(Employer).where(Employer.id == employer_id, Employer.account_id == actor.id)
    )
    if employer is None:
        raise NotFound("employer_not_found", f"No employer {employer_id} in your area.")
    return employer


def list_employers(
    actor: Account,
    page: int,
    per_page: int,
    status: str | None = None,
    q: str | None = None,
    claimed: bool | None = None,
) -> Page:
    """Return one page of employers in the staff member's place, oldest pending first."""
    statement = scoped(sa.select(Employer), Employer, actor)
    if status:
        statement = statement.where(Employer.status == status)
    if claimed is not None:
        # Unclaimed: registered by staff in the field, waiting for the business (employer_claims.py).
        owned = Employer.account_id.is_not(None)
        statement = statement.where(owned if claimed else ~owned)
    if q:
        statement = statement.where(Employer.name.contains(q, autoescape=True))
    return paginate(statement, page, per_page, order_by=(Employer.id,))


def verify(
    actor: Account,
    employer_id: int,
    decision: str,
    reason: str | None,
    ip: str | None,
    licence_valid_until: date | None | object = UNCHANGED,
) -> Employer:
    """Record a verification decision (verified or rejected with a reason) and the licence's term; audited.

    `licence_valid_until` is the licence's 营业期限 as the reviewer read it (None: 长期); left out,
    the one recorded stays.
    """
    if Role(actor.role) not in VERIFY_ROLES:
        raise Forbidden("role_forbidden", "Your role may not verify employers.")
    employer = get_employer(actor, employer_id)
    decision = EmployerStatus(decision)
    if decision is EmployerStatus.rejected and not (reason or "").strip():
        raise ValidationFailed(
            "reason", "Say why the employer is rejected; they will see it.", code="reason_required"
        )
    if decision is EmployerStatus.verified and employer.licence_file is None:
        raise Conflict("licence_missing", "The employer has not uploaded a business licence yet.")
    licence_changed = (
        licence_valid_until is not UNCHANGED and licence_valid_until != employer.licence_valid_until
    )
    if employer.status == decision and not licence_changed:
        return employer  # the same decision again changes nothing
    licence_detail = {}
    if licence_changed:
        employer.licence_valid_until = licence_valid_until
        licence_detail["licence_valid_until"] = (
            licence_valid_until.isoformat() if licence_valid_until else None
        )
    # Verification and the licence's term are credibility inputs.
    credibility.mark_stale(employer.id)
    previous = employer.status
    employer.status = decision.value
    employer.decision_reason = reason
    employer.decided_by_id, employer.decided_at = actor.id, utcnow()
    if employer.source == "province":
        pass  # the province's own employer (its job feed): never echoed back (docs/EXCHANGE.md)
    elif previous == decision:
        pass  # only the licence's term changed: nothing the province hears of
    elif decision is EmployerStatus.verified:
        note_for_province("employer", "employer", employer, employer, "create")
    elif previous == EmployerStatus.verified:  # verification withdrawn: the province drops it
        note_for_province("employer", "employer", employer, employer, "close")
    audit.commit(
        "employer.verify",
        actor=actor,
        object_type="employer",
        object_id=employer.id,
        ip=ip,
        detail={"decision": decision.value, "from": previous, "reason": reason, **licence_detail},
    )
    if decision is EmployerStatus.rejected and previous == EmployerStatus.verified:
        # A business no longer verified cannot keep jobs in search.
        unpublish_jobs(employer.id)
    return employer


def licence_file(actor: Account, employer_id: int) -> files.StoredFile:
    """Return the licence file, for its owner or for staff in scope."""
    employer = get_employer(actor, employer_id)
    if employer.licence_file is None:
        raise NotFound("licence_not_found", "No business licence uploaded yet.")
    ext = employer.licence_file.rsplit(".", 1)[-1]
    return files.stored_file(
        employer.licence_file, employer.licence_content_type, f"licence-{employer.id}.{ext}"
    )


def unpublish_jobs(employer_id: int) -> int:
    """Send an employer's published jobs back to review (its verification was withdrawn)."""
    rows = db.session.execute(
        sa.select(Job.id, Job.source).where(Job.employer_id == employer_id, Job.status == JobStatus.published)
    ).all()
    ids = [row.id for row in rows]
    if ids:
        db.session.execute(
            sa.update(Job).where(Job.id.in_(ids)).values(status=JobStatus.pending_review.value)
        )
        for row in rows:
            if row.source != "province":  # the province's own jobs are never echoed back
                note_for_province("job", "job", row.id, row.id, "close")
        db.session.commit()
        geo_index.unindex_jobs(ids)
    return len(ids)
