"""Residents: own profile, staff lists in scope, audited reveal, and the status ledger core."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth import get_in_scope, scoped
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.models import (
    STAFF_ROLES,
    Account,
    Community,
    EmploymentStatus,
    KeyGroup,
    Resident,
    ResidentKeyGroup,
    Resume,
    Role,
    StatusChange,
    StatusSource,
    utcnow,
)
from app.services import audit, job_index
from app.services.clock import local_day
from app.services.geo import check_point
from app.services.personal_data import (
    decrypt,
    encrypt,
    lookup_hash,
    mask_id_number,
    mask_phone,
    normalise_phone,
    parse_id_number,
)
from app.services.places import community_by_code, place_columns

# Roles that may see a resident's full ID-card number and phone (each reveal is audited).
# Operators and supervisors are contractors: they work with masked data only.
REVEAL_ROLES = frozenset(
    {Role.grid_worker, Role.station_staff, Role.township_admin, Role.district_admin, Role.city_admin}
)
REVEALABLE_FIELDS = ("id_number", "phone")
# Key groups a resident may declare; the others are certified by staff (就业困难认定, 失业登记).
SELF_DECLARED_KEY_GROUPS = frozenset(
    {
        KeyGroup.college_graduate,
        KeyGroup.migrant_worker,
        KeyGroup.veteran,
        KeyGroup.retired_fisher,
        KeyGroup.flexible_worker,
    }
)
# Statuses a resident may report; registered unemployment only comes from a registration.
SELF_REPORTED_STATUSES = frozenset(EmploymentStatus) - {EmploymentStatus.unemployed_registered}


def record_status(
    resident: Resident,
    status: str,
    source: str,
    actor: Account | None = None,
    note: str | None = None,
    occurred_at: datetime | None = None,
    recompute_household: bool = True,
) -> StatusChange | None:
    """Change a resident's employment status and append it to the history.

    The only way a status changes. Returns None (and writes nothing) when the status is
    already `status`. Registered unemployment brings the `registered_unemployed` key group
    with it, and the household's zero-employment flag is recomputed. Does not commit: the
    caller's transaction holds the change. A caller changing several members at once passes
    recompute_household=False and recomputes once at the end.
    """
    from app.services import zero_employment

    status = EmploymentStatus(status).value
    source = StatusSource(source).value
    if resident.employment_status == status:
        return None
    change = StatusChange(
        resident=resident,
        from_status=resident.employment_status,
        to_status=status,
        source=source,
        actor_id=actor.id if actor is not None else None,
        note=note,
        occurred_at=occurred_at or utcnow(),
    )
    db.session.add(change)
    was_registered = resident.employment_status == EmploymentStatus.unemployed_registered
    resident.employment_status = status
    # The registered_unemployed key group follows the status (失业登记 ⇔ 登记失业人员).
    if status == EmploymentStatus.unemployed_registered:
        add_key_group(resident, KeyGroup.registered_unemployed, source, actor)
    elif was_registered:
        end_key_group(resident, KeyGroup.registered_unemployed)
    if recompute_household and resident.household_id is not None:
        zero_employment.recompute(resident.household_id, source)
    return change


def _id_number_holder(digest: str, resident_id: int | None) -> int | None:
    """Return the id of another resident holding this ID-number hash, if any."""
    return db.session.scalar(
        sa.select(Resident.id).where(Resident.id_number_hmac == digest, Resident.id != resident_id)
    )


def _id_number_in_use(field: str) -> Conflict:
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
        raise _id_number_in_use(field)
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


def _key_group_row(resident: Resident, group: KeyGroup) -> ResidentKeyGroup | None:
    return next((row for row in resident.key_group_rows if row.key_group == group.value), None)


def add_key_group(
    resident: Resident,
    group: KeyGroup,
    source: str,
    actor: Account | None = None,
    since: date | None = None,
) -> ResidentKeyGroup:
    """Start (or restart) a key-group period; staff who set it are its verifier.

    A college graduate counts until GRADUATE_KEY_GROUP_YEARS after `since` (the graduation
    day when known, else today).
    """
    today = local_day()
    row = _key_group_row(resident, group)
    if row is not None and row.is_current(today) and row.since is not None:
        return row
    if group == KeyGroup.college_graduate and row is not None and row.since is not None:
        # Graduating happens once: listing the group again must not restart its two years.
        return row
    if row is None:
        row = ResidentKeyGroup(key_group=group.value)
        resident.key_group_rows.append(row)
    row.since = since or today
    row.until = None
    if group == KeyGroup.college_graduate:
        years = current_app.config["GRADUATE_KEY_GROUP_YEARS"]
        try:
            anniversary = row.since.replace(year=row.since.year + years)
        except ValueError:  # 29 February, in a year without one
            anniversary = row.since.replace(year=row.since.year + years, day=28)
        row.until = anniversary - timedelta(days=1)
    row.source = StatusSource(source).value
    row.verified_by_id = actor.id if actor is not None and actor.role in STAFF_ROLES else None
    return row


def end_key_group(resident: Resident, group: KeyGroup) -> None:
    """End a current key-group period: it applied until yesterday (the row keeps the period)."""
    today = local_day()
    row = _key_group_row(resident, group)
    if row is not None and row.is_current(today):
        row.until = today - timedelta(days=1)


def set_key_groups(
    resident: Resident,
    groups: list[str],
    allowed: frozenset | None = None,
    field: str = "key_groups",
    source: str = StatusSource.staff,
    actor: Account | None = None,
) -> None:
    """Make the resident's current key groups exactly `groups` (only `allowed` may change when given)."""
    wanted = set()
    for group in groups:
        try:
            wanted.add(KeyGroup(group))
        except ValueError:
            raise ValidationFailed(field, f"Unknown key group '{group}'.") from None
    today = local_day()
    current = {KeyGroup(row.key_group) for row in resident.key_group_rows if row.is_current(today)}
    if allowed is not None and (wanted ^ current) - allowed:
        names = ", ".join(sorted(g.value for g in (wanted ^ current) - allowed))
        raise ValidationFailed(
            field, f"Only staff can set or clear: {names}.", code="key_group_not_self_declarable"
        )
    for group in sorted(current - wanted):
        end_key_group(resident, group)
    for group in sorted(wanted - current):
        add_key_group(resident, group, source, actor)


def set_community(resident: Resident, community: Community | None) -> None:
    """Place a resident in a community (and so in its township, circle, district, city)."""
    for name, value in place_columns(community).items():
        setattr(resident, name, value)


def resident_of(account: Account) -> Resident:
    """Return the resident record of a resident account (made at first WeChat login)."""
    if account.role != Role.resident:
        raise Forbidden("not_a_resident", "Only resident accounts have a profile here.")
    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account.id))
    if resident is None:
        resident = Resident(account_id=account.id)
        db.session.add(resident)
        db.session.flush()
    return resident


def update_profile(account: Account, changes: dict) -> Resident:
    """Apply a resident's own edits to their profile, in one transaction: all or nothing."""
    resident = resident_of(account)
    try:
        _apply_profile(resident, account, changes)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        # Two records claiming one ID number at the same moment: the unique index decides.
        if "id_number_hmac" in str(exc.orig):
            raise _id_number_in_use("id_number") from None
        raise
    # The home and the preferences decide where the resident is matched as a seeker.
    job_index.sync_seeker(resident, db.session.get(Resume, resident.id))
    return resident


def _apply_profile(resident: Resident, account: Account, changes: dict) -> None:
    """Check every rule first, then change the resident (rules first keeps the session clean)."""
    status = None
    if changes.get("employment_status"):
        status = EmploymentStatus(changes["employment_status"])
        if status not in SELF_REPORTED_STATUSES:
            raise ValidationFailed(
                "employment_status",
                "Registered unemployment is recorded through an unemployment registration.",
                code="status_not_self_reportable",
            )
    home = None
    if "home_lat" in changes or "home_lng" in changes:
        home = changes.get("home_lat", resident.home_lat), changes.get("home_lng", resident.home_lng)
        if (home[0] is None) != (home[1] is None):
            raise ValidationFailed(
                "home_lat" if home[0] is None else "home_lng",
                "Give both home_lat and home_lng, or clear both.",
            )
        check_point(home[0], home[1], prefix="home_")
    community = False  # False: unchanged; None: cleared
    if "community_code" in changes:
        code = changes["community_code"]
        community = community_by_code(code) if code else None
    if changes.get("id_number"):
        set_id_number(resident, changes["id_number"])
    if "key_groups" in changes:
        set_key_groups(
            resident,
            changes["key_groups"],
            allowed=SELF_DECLARED_KEY_GROUPS,
            source=StatusSource.self,
            actor=account,
        )
    for name in ("name", "home_address", "seek_kinds", "seek_categories", "seek_wage_min", "seek_radius_m"):
        if name in changes:
            setattr(resident, name, changes[name])
    if home is not None:
        resident.home_lat, resident.home_lng = home
    if community is not False:
        set_community(resident, community)
    if status is not None:
        record_status(resident, status, StatusSource.self, actor=account)


def bind_phone(account: Account, code: str) -> Resident:
    """Bind the phone number WeChat vouches for (getPhoneNumber code) to the resident."""
    from app.wechat import wechat

    resident = resident_of(account)
    info = wechat.phone_number(code)
    if str(info.get("countryCode", "86")) != "86":
        raise ValidationFailed(
            "code", "Only mainland China mobile numbers can be bound.", code="phone_not_mainland"
        )
    set_phone(resident, info.get("purePhoneNumber") or info.get("phoneNumber", ""), field="code")
    db.session.commit()
    return resident


def list_residents(
    actor: Account,
    page: int,
    per_page: int,
    community: str | None = None,
    status: str | None = None,
    key_group: str | None = None,
) -> tuple[list[Resident], int]:
    """Return one page of residents in the actor's place, filtered, and the total."""
    statement = scoped(sa.select(Resident), Resident, actor)
    if community:
        statement = statement.join(Community, Community.id == Resident.community_id).where(
            Community.code == community
        )
    if status:
        statement = statement.where(Resident.employment_status == status)
    if key_group:
        statement = statement.where(
            sa.exists().where(
                ResidentKeyGroup.resident_id == Resident.id,
                ResidentKeyGroup.key_group == key_group,
                sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= local_day()),
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    residents = db.session.scalars(
        statement.options(selectinload(Resident.key_group_rows))
        .order_by(Resident.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(residents), total


def get_resident(actor: Account, resident_id: int) -> Resident:
    """Return one resident in the actor's place, or 404."""
    return get_in_scope(Resident, resident_id, actor, "resident_not_found")


def reveal(actor: Account, resident_id: int, fields: list[str], reason: str, ip: str | None) -> dict:
    """Return a resident's full ID-card number and/or phone to an allowed role; audit it."""
    resident = get_resident(actor, resident_id)
    fields = [f for f in REVEALABLE_FIELDS if f in (fields or REVEALABLE_FIELDS)]
    if Role(actor.role) not in REVEAL_ROLES:
        audit.record(
            "resident.reveal",
            "denied",
            actor=actor,
            object_type="resident",
            object_id=resident.id,
            ip=ip,
            detail={"fields": fields, "reason": reason},
        )
        db.session.commit()
        raise Forbidden("reveal_forbidden", "Your role works with masked personal data only.")
    revealed = {
        "id_number": decrypt(resident.id_number_enc, "id_number") if resident.id_number_enc else None,
        "phone": decrypt(resident.phone_enc, "phone") if resident.phone_enc else None,
    }
    result = {name: revealed[name] for name in fields}
    audit.record(
        "resident.reveal",
        actor=actor,
        object_type="resident",
        object_id=resident.id,
        ip=ip,
        detail={"fields": fields, "reason": reason},
    )
    db.session.commit()
    return {"id": resident.id, **result}


def age_of(resident: Resident, today=None) -> int | None:
    """Return the resident's age in whole years, from the birth date in the ID number."""
    if resident.birth_date is None:
        return None
    today = today or local_day()
    born = resident.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
