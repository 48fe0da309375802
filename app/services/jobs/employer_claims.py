"""Employer claims: staff register a business met in the field; it claims the record from WeChat with a code.

The code is one-time: 8 characters staff hand over (printed or read out), stored only as a keyed
hash bound to the employer, valid EMPLOYER_CLAIM_CODE_DAYS, and void after
EMPLOYER_CLAIM_MAX_ATTEMPTS wrong tries or its one use; staff may issue a new one at any time
(the old one stops working). A claim gives the record to the account and keeps its history.
"""

import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common.credit_code import parse_credit_code
from app.common.crypto import lookup_hash
from app.common.geo import check_point
from app.errors import APIError, Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import Account, Employer, Role, utcnow
from app.services.jobs.employer_visits import RECORD_ROLES, employer_in_reach, require_role
from app.services.jobs.employers import (
    check_may_take_a_business,
    new_employer,
    stop_seeking,
)
from app.services.people import audit, seekers
from app.services.people.places import community_by_code, place_columns
from app.services.people.scoping import assigned_communities, in_scope

# No 0/O, 1/I, so a code read out over the phone is not misheard.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def _hash(employer_id: int, code: str) -> str:
    return lookup_hash(f"{employer_id}:{code}", "employer_claim_code")


def _issue(employer: Employer) -> tuple[str, datetime]:
    """Set a new claim code on the employer (the old one stops working); return it and its expiry."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = utcnow() + timedelta(days=current_app.config["EMPLOYER_CLAIM_CODE_DAYS"])
    employer.claim_code_hash, employer.claim_code_expires_at = _hash(employer.id, code), expires_at
    employer.claim_attempts = 0
    return code, expires_at


def _reachable_community(actor: Account, code: str):
    """Return the community by code if it lies where the actor works; 422 on community_code otherwise."""
    community = community_by_code(code)
    places = place_columns(community)
    inside = in_scope(places, actor)
    if inside and actor.role == Role.grid_worker:
        inside = community.id in set(db.session.scalars(assigned_communities(actor)))
    if not inside:
        raise ValidationFailed(
            "community_code", f"Community {code} is not in your area.", code="community_out_of_scope"
        )
    return places


def register_in_field(actor: Account, values: dict, ip: str | None) -> tuple[Employer, str, datetime, bool]:
    """Register a business without a WeChat account yet, in a community the actor works on.

    Returns the employer, its claim code and the code's expiry, and whether it was created: a
    retry with the same client_id returns the first employer with a new code (the first answer,
    and its code, are taken as lost).
    """
    require_role(actor, RECORD_ROLES, "register employers")
    found = db.session.scalar(
        sa.select(Employer).where(
            Employer.registered_by_id == actor.id, Employer.registered_client_id == values["client_id"]
        )
    )
    if found is not None:
        if found.account_id is not None:
            raise _already_claimed()
        code, expires_at = _issue(found)
        _audit_issue(actor, found, ip, "retry")
        return found, code, expires_at, False
    credit_code = parse_credit_code(values["credit_code"])
    if db.session.scalar(sa.select(Employer.id).where(Employer.credit_code == credit_code)):
        raise _credit_code_taken()
    places = _reachable_community(actor, values["community_code"])
    check_point(values.get("lat"), values.get("lng"))
    employer = new_employer(
        values,
        credit_code,
        account_id=None,
        registered_by_id=actor.id,
        registered_client_id=values["client_id"],
        claim_attempts=0,
        **places,
    )
    db.session.add(employer)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _credit_code_taken() from None
    code, expires_at = _issue(employer)
    audit.commit(
        "employer.register_in_field",
        actor=actor,
        object_type="employer",
        object_id=employer.id,
        ip=ip,
        detail={"credit_code": credit_code, "name": employer.name},
    )
    return employer, code, expires_at, True


def _credit_code_taken() -> Conflict:
    return Conflict(
        "credit_code_taken",
        "An employer with this credit code is registered already: record the visit on that employer.",
        field="credit_code",
    )


def _already_claimed() -> Conflict:
    return Conflict("employer_already_claimed", "This business has claimed its record already.")


def _audit_issue(actor: Account, employer: Employer, ip: str | None, why: str) -> None:
    audit.commit(
        "employer.claim_code_issue",
        actor=actor,
        object_type="employer",
        object_id=employer.id,
        ip=ip,
        detail={"why": why},
    )


def issue_claim_code(actor: Account, employer_id: int, ip: str | None) -> tuple[Employer, str, datetime]:
    """Issue a new claim code for an unclaimed employer in reach (the previous code stops working)."""
    require_role(actor, RECORD_ROLES, "issue claim codes")
    employer = employer_in_reach(actor, employer_id)
    if employer.account_id is not None:
        raise _already_claimed()
    code, expires_at = _issue(employer)
    _audit_issue(actor, employer, ip, "reissue")
    return employer, code, expires_at


def _normalised(code: str) -> str:
    """Return a typed code without spaces or dashes, in capitals (as it is read out)."""
    return "".join(char for char in code.upper() if char not in " -")


def _refuse(account: Account, employer: Employer | None, ip: str | None, error: APIError) -> APIError:
    """Record a refused claim (committing any counted try) and return the error to raise."""
    audit.commit(
        "employer.claim",
        outcome="failure",
        actor=account,
        object_type="employer",
        object_id=employer.id if employer is not None else None,
        ip=ip,
        detail={"code": error.code},
    )
    return error


def claim(account: Account, values: dict, ip: str | None) -> Employer:
    """Give a staff-registered employer to the WeChat account that shows its credit code and claim code."""
    check_may_take_a_business(account, "claim")
    credit_code = parse_credit_code(values["credit_code"])
    employer = db.session.scalar(sa.select(Employer).where(Employer.credit_code == credit_code))
    if employer is None:
        raise _refuse(
            account,
            None,
            ip,
            NotFound(
                "employer_not_found",
                "No business with this credit code was registered by staff: register it yourself.",
            ),
        )
    if employer.account_id is not None:
        raise _refuse(account, employer, ip, _already_claimed())
    limit = current_app.config["EMPLOYER_CLAIM_MAX_ATTEMPTS"]
    if employer.claim_code_hash is None or employer.claim_attempts >= limit:
        raise _refuse(
            account,
            employer,
            ip,
            Conflict(
                "claim_code_void", "This claim code no longer works: ask your service station for a new one."
            ),
        )
    if employer.claim_code_expires_at is None or employer.claim_code_expires_at <= utcnow():
        raise _refuse(
            account,
            employer,
            ip,
            ValidationFailed(
                "claim_code",
                "This claim code has expired: ask your service station for a new one.",
                "claim_code_expired",
            ),
        )
    if not hmac.compare_digest(
        _hash(employer.id, _normalised(values["claim_code"])), employer.claim_code_hash
    ):
        employer.claim_attempts += 1
        left = limit - employer.claim_attempts
        message = (
            f"The claim code is wrong; {left} tries left."
            if left
            else "The claim code is wrong, and no tries are left: ask your service station for a new one."
        )
        raise _refuse(account, employer, ip, ValidationFailed("claim_code", message, "claim_code_wrong"))
    return _take(account, employer, ip)


def _take(account: Account, employer: Employer, ip: str | None) -> Employer:
    """Hand the employer to the account, once: a claim racing another finds the record taken."""
    now = utcnow()
    taken = db.session.execute(
        sa.update(Employer)
        .where(
            Employer.id == employer.id,
            Employer.account_id.is_(None),
            Employer.claim_code_hash == employer.claim_code_hash,
        )
        .values(
            account_id=account.id,
            claimed_at=now,
            claim_code_hash=None,
            claim_code_expires_at=None,
            claim_attempts=0,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.rollback()
        raise _already_claimed()
    account.role = Role.employer.value
    resident, resume, withdrawn = stop_seeking(account)
    audit.commit(
        "employer.claim",
        actor=account,
        object_type="employer",
        object_id=employer.id,
        ip=ip,
        detail={"credit_code": employer.credit_code, "withdrawn_applications": withdrawn},
    )
    db.session.refresh(employer)
    if resident is not None:
        seekers.sync_seeker(resident, resume)
    return employer
