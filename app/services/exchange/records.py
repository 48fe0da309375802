"""The province's records, built from the database when sent, in the national format (docs/EXCHANGE.md).

An ExchangeRecord names a change; `build(record)` reads its source row now and returns the
record's data, modelled on MOHRSS's 就业监测基础数据库 tables: 劳动者基本信息 (DY11) in every
person's record, 就业登记 (DY13), 失业登记 (DY14), 就业援助对象 (DY16), 就业政策享受 (DY17),
用人单位 (DY31), and the 招聘服务 job post. Codes come from codes.py. The ID number is decrypted
here only, and each transaction that decrypted any writes one audit event naming the residents
(the relay's batch). Phones are not sent: the province identifies people by ID number.

A record whose source is gone (an erased person, a deleted registration) cannot be built:
`NotBuildable` says why (code), and the relay settles it without sending.
"""

from datetime import UTC, date, datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.common.clock import local_day, zone
from app.common.credit_code import parse_credit_code
from app.common.crypto import decrypt
from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    Certification,
    CertificationStatus,
    Claim,
    Community,
    District,
    Employer,
    ExchangeRecord,
    Job,
    Registration,
    Resident,
    Resume,
    StatusChange,
)
from app.services.exchange import codes
from app.services.people import audit

# Where a session keeps the residents whose ID numbers it decrypted, for the one audit event.
_READ = "exchange_id_numbers_read"
SOURCE_GONE = "source_gone"  # the changed row no longer exists
PERSON_ERASED = "person_erased"  # the person's identity was erased or anonymised
NO_ID_NUMBER = "id_number_missing"  # the ledger never had the person's ID number
BAD_CREDIT_CODE = "credit_code_invalid"


class NotBuildable(Exception):
    """The record cannot be built from the database as it is now; `code` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


def _day(value: date | datetime | None) -> str | None:
    """Return a day as YYYYMMDD (a stored UTC moment as the city's day)."""
    if value is None:
        return None
    return (local_day(value) if isinstance(value, datetime) else value).strftime("%Y%m%d")


def _moment(value: datetime | None) -> str | None:
    """Return a stored UTC moment as the city's YYYYMMDDHHMMSS."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(zone()).strftime("%Y%m%d%H%M%S")


def _yuan(fen: int | None) -> str | None:
    """Return an amount in fen as yuan with two decimals."""
    return None if fen is None else f"{fen // 100}.{fen % 100:02d}"


def _places(row) -> dict:
    """Return a placed row's 行政区划代码: the county's 6 digits and the community's 12 (统计用区划代码)."""
    district = db.session.get(District, row.district_id) if row.district_id else None
    community = db.session.get(Community, row.community_id) if row.community_id else None
    return {
        "admin_division_code": district.code[:6] if district else None,
        "community_code": community.code if community else None,
    }


def _credit_code(value: str | None) -> str | None:
    """Return a 统一社会信用代码 checked (GB 32100-2015), or refuse to build the record."""
    if not value:
        return None
    try:
        return parse_credit_code(value)
    except ValidationFailed:
        raise NotBuildable(BAD_CREDIT_CODE, "an employer's credit code does not check") from None


def person(resident_id: int | None) -> dict:
    """Return 劳动者基本信息 (DY11) of a resident, decrypting the ID number (audited per transaction)."""
    resident = db.session.get(Resident, resident_id) if resident_id else None
    if resident is None:
        raise NotBuildable(SOURCE_GONE, f"resident {resident_id} no longer exists")
    if resident.id_number_enc is None:
        if resident.name is None:
            raise NotBuildable(PERSON_ERASED, f"resident {resident.id} was erased")
        raise NotBuildable(NO_ID_NUMBER, f"resident {resident.id} has no ID number")
    id_number = decrypt(resident.id_number_enc, "id_number")
    db.session.info.setdefault(_READ, set()).add(resident.id)
    resume = db.session.get(Resume, resident.id)
    return {
        "id_type": codes.ID_TYPE_RESIDENT_CARD,
        "id_number": id_number,
        "name": resident.name,
        "gender": codes.GENDER.get(resident.gender or "", codes.GENDER_UNKNOWN),
        "birth_date": _day(resident.birth_date),
        "education": codes.EDUCATION.get(resume.education) if resume and resume.education else None,
        "employment_status": codes.EMPLOYMENT_STATUS.get(resident.employment_status or ""),
        "key_groups": [codes.KEY_GROUP[group] for group in resident.key_groups if group in codes.KEY_GROUP],
        **_places(resident),
        "local_person_id": str(resident.id),
    }


def employer(employer_id: int | None) -> dict:
    """Return 用人单位基本信息 (DY31) of an employer."""
    row = db.session.get(Employer, employer_id) if employer_id else None
    if row is None:
        raise NotBuildable(SOURCE_GONE, f"employer {employer_id} no longer exists")
    return {
        "credit_code": _credit_code(row.credit_code),
        "name": row.name,
        "legal_representative": row.legal_representative,
        "industry": codes.INDUSTRY.get(row.industry or ""),
        "size": codes.EMPLOYER_SIZE.get(row.size or ""),
        "address": row.address,
        "verification_status": row.status,
        "verified_on": _day(row.decided_at),
        **_places(row),
        "local_employer_id": str(row.id),
    }


def _source(model, record: ExchangeRecord):
    """Return the record's source row, or refuse: it was deleted (an erasure of unsettled records)."""
    row = db.session.get(model, record.source_id)
    if row is None:
        raise NotBuildable(SOURCE_GONE, f"{model.__tablename__} {record.source_id} no longer exists")
    return row


def _person_status(record: ExchangeRecord) -> dict:
    change = _source(StatusChange, record)
    return {
        "table": "DY11",
        "person": person(change.resident_id),
        "from_status": codes.EMPLOYMENT_STATUS.get(change.from_status or ""),
        "to_status": codes.EMPLOYMENT_STATUS[change.to_status],
        "changed_on": _day(change.occurred_at),
        "reported_by": codes.STATUS_SOURCE.get(change.source),
        "local_change_id": str(change.id),
    }


def _registration(registration: Registration) -> dict:
    """Return what both registrations share: number, dates, the ending when it ended."""
    return {
        "registration_number": registration.number,
        "registered_on": _day(registration.accepted_on or registration.reviewed_at),
        "ended_on": _day(registration.ended_on),
        "ending_reason": codes.ENDING_REASON.get(registration.ending_reason or ""),
        **{"registering_" + name: value for name, value in _places(registration).items()},
        "local_registration_id": str(registration.id),
    }


def _employment_registration(record: ExchangeRecord) -> dict:
    registration = _source(Registration, record)
    return {
        "table": "DY13",
        "person": person(registration.resident_id),
        **_registration(registration),
        "employment_kind": codes.EMPLOYMENT_KIND.get(registration.employment_kind or ""),
        "employer_credit_code": _credit_code(registration.employer_uscc),
        "employer_name": registration.employer_name,
        "contract_type": codes.CONTRACT_TYPE.get(registration.contract_type or ""),
        "started_on": _day(registration.started_on),
    }


def _unemployment_registration(record: ExchangeRecord) -> dict:
    registration = _source(Registration, record)
    return {
        "table": "DY14",
        "person": person(registration.resident_id),
        **_registration(registration),
        "left_on": _day(registration.left_on),
        "last_employer_credit_code": _credit_code(registration.last_employer_uscc),
        "last_employer_name": registration.last_employer_name,
        "valid_until": _day(registration.valid_until),
        "wants_training": registration.wants_training,
    }


def _key_group(record: ExchangeRecord) -> dict:
    certification = _source(Certification, record)
    return {
        "table": "DY16",
        "person": person(certification.resident_id),
        "group": codes.KEY_GROUP[certification.key_group],
        "certified": certification.status == CertificationStatus.certified.value,
        "certified_on": _day(certification.decided_at),
        "valid_from": _day(certification.valid_from),
        "valid_until": _day(certification.valid_until),
        "graduation_year": certification.graduation_year,
        **{"certifying_" + name: value for name, value in _places(certification).items()},
        "local_certification_id": str(certification.id),
    }


def _policy_enjoyment(record: ExchangeRecord) -> dict:
    claim = _source(Claim, record)
    version = claim.version
    beneficiary = (
        {"person": person(claim.resident_id)}
        if claim.resident_id is not None
        else {"employer": employer(claim.employer_id)}
    )
    return {
        "table": "DY17",
        **beneficiary,
        "policy_code": version.policy.code,
        "policy_title": version.title,
        "document_number": version.document_number,
        "period": claim.period,
        "amount": _yuan(claim.approved_fen),
        "approved_on": _day(claim.decided_at),
        "paid_on": _day(claim.paid_at),
        "payment_reference": claim.payment_reference,
        **{"paying_" + name: value for name, value in _places(claim).items()},
        "local_claim_id": str(claim.id),
    }


def _job(record: ExchangeRecord) -> dict:
    job = _source(Job, record)
    return {
        "table": "job_post",
        "employer_credit_code": _credit_code(job.employer.credit_code),
        "employer_name": job.employer.name,
        "title": job.title,
        "occupation": codes.OCCUPATION.get(job.category),
        "job_kind": codes.JOB_KIND.get(job.kind),
        "headcount": job.headcount,
        "wage_min": job.wage_min,
        "wage_max": job.wage_max,
        "wage_unit": codes.WAGE_UNIT.get(job.wage_unit),
        "education": codes.EDUCATION.get(job.education) if job.education not in (None, "none") else None,
        "address": job.address,
        **_places(job),
        "status": job.status,
        "published_at": _moment(job.published_at),
        "valid_until": _moment(job.valid_until),
        "closed_at": _moment(job.closed_at),
        "local_job_id": str(job.id),
    }


def _employer(record: ExchangeRecord) -> dict:
    return {"table": "DY31", **employer(_source(Employer, record).id)}


BUILDERS = {
    "person_status": _person_status,
    "employment_registration": _employment_registration,
    "unemployment_registration": _unemployment_registration,
    "key_group": _key_group,
    "policy_enjoyment": _policy_enjoyment,
    "job": _job,
    "employer": _employer,
}


def build(record: ExchangeRecord) -> dict:
    """Return the record's data in the national format, read from the database now.

    Raises NotBuildable when its source is gone or unusable (the relay settles it, see its code).
    """
    return BUILDERS[record.record_type](record)


@event.listens_for(Session, "before_commit")
def _audit_reads(session: Session) -> None:
    """Write one audit event for the ID numbers this transaction decrypted for the province."""
    read = session.info.pop(_READ, None)
    if read:
        audit.record(
            "exchange.id_numbers_sent",
            actor_label="exchange relay",
            detail={"residents": sorted(read), "count": len(read)},
        )
