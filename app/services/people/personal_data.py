"""Personal data of residents: ID-card numbers and phones stored encrypted, and their audited reveal.

The pure half (checks, encryption, masks) is in app/common (identity.py, crypto.py); here are the
rules: one ledger record per ID number, who may see full values, and that every reveal is logged.
"""

import sqlalchemy as sa

from app.common.crypto import decrypt, encrypt, lookup_hash
from app.common.identity import mask_id_number, mask_phone, normalise_phone, parse_id_number
from app.errors import Conflict, Forbidden
from app.extensions import db
from app.models import Account, Resident, Role
from app.services.people import audit
from app.services.people.scoping import get_in_scope

# Roles that may see a resident's full ID-card number and phone (each reveal is audited).
# Operators and supervisors are contractors: they work with masked data only.
REVEAL_ROLES = frozenset(
    {Role.grid_worker, Role.station_staff, Role.township_admin, Role.district_admin, Role.city_admin}
)
REVEALABLE_FIELDS = ("id_number", "phone")


def _id_number_holder(digest: str, resident_id: int | None) -> int | None:
    """Return the id of another resident holding this ID-number hash, if any."""
    return db.session.scalar(
        sa.select(Resident.id).where(Resident.id_number_hmac == digest, Resident.id != resident_id)
    )


def id_number_in_use(field: str) -> Conflict:
    """Return the 409 of an ID number another record holds."""
    # Never merge records on a typed-in number: linking to an existing ledger record
    # needs an identity check at a station.
    return Conflict(
        "id_number_in_use",
        "This ID-card number belongs to another record; ask your service station.",
        field=field,
    )


def set_id_number(resident: Resident, raw: str, field: str = "id_number") -> None:
    """Validate and store an ID-card number (encrypted, hashed, hinted) with birth date and gender."""
    value, birth, gender = parse_id_number(raw, field)
    digest = lookup_hash(value, "id_number")
    if _id_number_holder(digest, resident.id) is not None:
        raise id_number_in_use(field)
    resident.id_number_enc = encrypt(value, "id_number")
    resident.id_number_hmac = digest
    resident.id_number_hint = mask_id_number(value)
    resident.birth_date, resident.gender = birth, gender


def set_phone(resident: Resident, raw: str, field: str = "phone") -> None:
    """Validate and store a mainland mobile number (encrypted, hashed, hinted)."""
    value = normalise_phone(raw, field)
    resident.phone_enc = encrypt(value, "phone")
    resident.phone_hmac = lookup_hash(value, "phone")
    resident.phone_hint = mask_phone(value)


def reveal(actor: Account, resident_id: int, fields: list[str], reason: str, ip: str | None) -> dict:
    """Return a resident's full ID-card number and/or phone to an allowed role; audit it."""
    resident = get_in_scope(Resident, resident_id, actor, "resident_not_found")
    fields = [f for f in REVEALABLE_FIELDS if f in (fields or REVEALABLE_FIELDS)]
    if Role(actor.role) not in REVEAL_ROLES:
        audit.commit(
            "resident.reveal",
            "denied",
            actor=actor,
            object_type="resident",
            object_id=resident.id,
            ip=ip,
            detail={"fields": fields, "reason": reason},
        )
        raise Forbidden("reveal_forbidden", "Your role works with masked personal data only.")
    revealed = {
        "id_number": decrypt(resident.id_number_enc, "id_number") if resident.id_number_enc else None,
        "phone": decrypt(resident.phone_enc, "phone") if resident.phone_enc else None,
    }
    result = {name: revealed[name] for name in fields}
    audit.commit(
        "resident.reveal",
        actor=actor,
        object_type="resident",
        object_id=resident.id,
        ip=ip,
        detail={"fields": fields, "reason": reason},
    )
    return {"id": resident.id, **result}
