"""Residents: their own profile and phone binding, and the lists staff see in their place."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.common.clock import local_day
from app.common.geo import check_point
from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    Community,
    EmploymentStatus,
    KeyGroup,
    Resident,
    ResidentKeyGroup,
    Resume,
    Role,
    StatusSource,
)
from app.services.people import seekers
from app.services.people.consents import SENSITIVE_DATA, require_consent
from app.services.people.personal_data import id_number_in_use, set_id_number, set_phone
from app.services.people.places import community_by_code, place_columns
from app.services.people.scoping import get_in_scope, scoped
from app.services.people.status import record_status, set_key_groups
from app.services.results import Page, paginate
from app.wechat import wechat

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
    # Consent first (nothing saved without it); an ID number is sensitive data (PIPL art. 28).
    require_consent(account, *(SENSITIVE_DATA if changes.get("id_number") else ()))
    resident = resident_of(account)
    try:
        _apply_profile(resident, account, changes)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        # Two records claiming one ID number at the same moment: the unique index decides.
        if "id_number_hmac" in str(exc.orig):
            raise id_number_in_use("id_number") from None
        raise
    # The home and the preferences decide where the resident is matched as a seeker.
    seekers.sync_seeker(resident, db.session.get(Resume, resident.id))
    return resident


def _apply_profile(resident: Resident, account: Account, changes: dict) -> None:
    """Check every rule first, then change the resident (rules first keeps the session clean)."""
    status = None
    if changes.get("employment_status"):
        status = EmploymentStatus(changes["employment_status"])
        if status not in SELF_REPORTED_STATUSES:
            raise ValidationFailed(
                "employment_status",
                "Registered unemployment comes from an unemployment registration: apply with "
                "POST /api/v1/me/registrations/unemployment.",
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
    require_consent(account)
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
) -> Page:
    """Return a page of residents in the actor's place (a grid worker: assigned communities) and the total."""
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
    return paginate(
        statement, page, per_page, order_by=(Resident.id,), options=(selectinload(Resident.key_group_rows),)
    )


def get_resident(actor: Account, resident_id: int) -> Resident:
    """Return one resident in the actor's place (a grid worker's: assigned communities), or 404."""
    return get_in_scope(Resident, resident_id, actor, "resident_not_found")
