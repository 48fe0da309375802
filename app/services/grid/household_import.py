"""The household import: a community ledger (CSV or XLSX, a row per resident) into households, residents.

A resident who registered through WeChat keeps what they entered themselves (name, phone, home
address): where the ledger row says otherwise, the row's value is not written and the report
lists the conflict (`self_entered_kept`) for staff to settle with the person.
"""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from app.common.crypto import lookup_hash
from app.common.geo import check_point
from app.common.identity import normalise_phone, parse_id_number
from app.errors import APIError, Forbidden, ValidationFailed
from app.extensions import db
from app.models import (
    STAFF_ROLES,
    Account,
    Community,
    EmploymentStatus,
    Household,
    KeyGroup,
    Resident,
    Role,
    StatusSource,
)
from app.services.grid.ledger_file import (
    KEY_GROUP_ALIASES,
    NO,
    REQUIRED,
    STATUS_ALIASES,
    TEMPLATE_EXAMPLE_ID_NUMBER,
    YES,
    read_rows,
)
from app.services.people import audit
from app.services.people.facts_changed import household_changed
from app.services.people.personal_data import set_id_number, set_phone
from app.services.people.places import place_columns
from app.services.people.residents import set_community
from app.services.people.scoping import assigned_communities, in_scope
from app.services.people.status import recompute, record_status, set_key_groups

# Who may import households: every staff role but the read-only supervisor.
IMPORT_ROLES = STAFF_ROLES - {Role.supervisor}


@dataclass
class HouseholdImportReport:
    """What an import did: new residents, updated ones, households made, and each rejected row."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    households_created: int = 0
    rejected: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)

    def reject(self, line: int, errors: list[dict]) -> None:
        """Record a rejected row with its errors (column, code, message)."""
        self.rejected.append({"line": line, "errors": errors})

    def conflict(self, line: int, resident_id: int, columns: list[str]) -> None:
        """Record the cells of an imported row left unwritten because the person entered their own."""
        for column in columns:
            self.conflicts.append(
                {
                    "line": line,
                    "resident_id": resident_id,
                    "column": column,
                    "code": "self_entered_kept",
                    "message": "The resident entered this themselves in the mini-program and it differs; "
                    "their value was kept. Check with them, then correct the ledger or ask them to.",
                }
            )

    def as_dict(self) -> dict:
        """Return the report as plain data."""
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "households_created": self.households_created,
            "rejected": self.rejected,
            "conflicts": self.conflicts,
        }


def _choice(raw: str, aliases: dict, enum) -> str:
    value = aliases.get(raw, raw)
    return enum(value).value


def _parse_row(row: dict) -> tuple[dict, list[dict]]:
    """Check one row's cells; return the clean values and the errors (column, code, message)."""
    errors, values = [], {}

    def fail(column: str, code: str, message: str) -> None:
        errors.append({"column": column, "code": code, "message": message})

    for name in REQUIRED:
        if not row.get(name):
            fail(name, "required", "This column is required.")
    values.update(
        {name: row.get(name) or None for name in ("household_key", "name", "address", "community_code")}
    )
    # Keys are matched case-blind on every database (MariaDB compares text without case anyway).
    values["household_key"] = values["household_key"].upper() if values["household_key"] else None
    if values["household_key"] and len(values["household_key"]) > 64:
        fail("household_key", "too_long", "At most 64 characters.")
    if values["name"] and len(values["name"]) > 64:
        fail("name", "too_long", "At most 64 characters.")
    if values["address"] and len(values["address"]) > 255:
        fail("address", "too_long", "At most 255 characters.")
    if row.get("employment_status"):
        try:
            values["employment_status"] = _choice(row["employment_status"], STATUS_ALIASES, EmploymentStatus)
        except ValueError:
            fail(
                "employment_status",
                "invalid_status",
                f"Unknown employment status '{row['employment_status'][:32]}'.",  # a cell may be huge
            )
    groups = [part.strip() for part in re.split(r"[;,，；、|]", row.get("key_groups") or "") if part.strip()]
    # A column missing from the file leaves that field as it is (None); an empty cell clears it.
    values["key_groups"] = [] if "key_groups" in row else None
    for group in groups:
        try:
            values["key_groups"].append(_choice(group, KEY_GROUP_ALIASES, KeyGroup))
        except ValueError:
            fail("key_groups", "invalid_key_group", f"Unknown key group '{group[:32]}'.")
    head = (row.get("is_head") or "").strip().lower()
    if head not in YES | NO:
        fail("is_head", "invalid_flag", "Write 是 or 否 (or 1 / 0).")
    values["is_head"] = head in YES if "is_head" in row else None
    values["lat"] = values["lng"] = None
    if row.get("lat") or row.get("lng"):
        try:
            values["lat"], values["lng"] = float(row.get("lat") or ""), float(row.get("lng") or "")
            check_point(values["lat"], values["lng"])
        except (ValueError, APIError):
            fail("lat", "invalid_location", "Give both lat and lng, GCJ-02, inside China.")
    values["id_number"], values["phone"] = row.get("id_number") or None, row.get("phone") or None
    return values, errors


def _personal(values: dict) -> tuple[str | None, list[dict]]:
    """Check the ID number and phone by the ledger's rules; return the ID number's HMAC and errors."""
    errors, digest = [], None
    if (values.get("id_number") or "").strip().upper() == TEMPLATE_EXAMPLE_ID_NUMBER:
        example = "This is the template's example row, not a person: replace it with your rows."
        return None, [{"column": "id_number", "code": "template_example_row", "message": example}]
    if values.get("id_number"):
        try:
            number, _, _ = parse_id_number(values["id_number"], "id_number")
            digest = lookup_hash(number, "id_number")
        except APIError as error:
            errors.append({"column": "id_number", "code": error.code, "message": error.message})
    if values.get("phone"):
        try:
            normalise_phone(values["phone"], "phone")
        except APIError as error:
            errors.append({"column": "phone", "code": error.code, "message": error.message})
    return digest, errors


def _household(community: Community, values: dict) -> tuple[Household, bool]:
    """Find the household by (community, key), or make it; the row's address and place win."""
    household = db.session.scalar(
        sa.select(Household).where(
            Household.community_id == community.id, Household.key == values["household_key"]
        )
    )
    created = household is None
    if created:
        household = Household(key=values["household_key"], **place_columns(community))
        db.session.add(household)
        db.session.flush()
    if values["address"]:
        household.address = values["address"]
    if values.get("lat") is not None:
        household.lat, household.lng = values["lat"], values["lng"]
    return household, created


def _self_entered(resident: Resident, values: dict) -> list[str]:
    """Return the row's columns that differ from what a WeChat-registered resident entered themselves."""
    if resident.account_id is None:
        return []  # a ledger record: the ledger is its source
    theirs = {
        "name": (resident.name, values["name"]),
        "phone": (
            resident.phone_hmac,
            lookup_hash(normalise_phone(values["phone"]), "phone") if values["phone"] else None,
        ),
        "address": (resident.home_address, values["address"]),
    }
    return [column for column, (own, row) in theirs.items() if own and row and own != row]


def _apply_row(
    resident: Resident | None, household: Household, community: Community, values: dict, actor: Account
) -> tuple[bool, list[str]]:
    """Write one checked row; return whether an existing resident changed, and the cells kept as theirs."""
    if resident is None:
        resident = Resident()
        db.session.add(resident)
        set_id_number(resident, values["id_number"])
    kept = _self_entered(resident, values)
    before = _snapshot(resident)
    if "name" not in kept:
        resident.name = values["name"]
    if values["phone"] and "phone" not in kept:
        set_phone(resident, values["phone"])
    if values["address"] and "address" not in kept:
        resident.home_address = values["address"]
    if resident.community_id != community.id:
        set_community(resident, community)
    resident.household = household
    if values["is_head"] is not None:
        if values["is_head"] and not resident.is_household_head:
            for member in household.members:
                member.is_household_head = False
        resident.is_household_head = values["is_head"]
    if values["key_groups"] is not None:
        # registered_unemployed follows the status (see record_status), whatever the cell says.
        groups = set(values["key_groups"]) - {KeyGroup.registered_unemployed}
        status = values.get("employment_status") or resident.employment_status
        if status == EmploymentStatus.unemployed_registered:
            groups.add(KeyGroup.registered_unemployed)
        set_key_groups(resident, sorted(groups), source=StatusSource.staff, actor=actor)
    if values.get("employment_status"):
        # The household is recomputed once at the end of the import, not row by row.
        record_status(
            resident,
            values["employment_status"],
            StatusSource.staff,
            actor=actor,
            note="import",
            recompute_household=False,
        )
    return before != _snapshot(resident), kept


def _snapshot(resident: Resident) -> tuple:
    return (
        resident.name,
        resident.phone_hmac,
        resident.home_address,
        resident.community_id,
        resident.household_id if resident.household is None else resident.household.id,
        resident.is_household_head,
        tuple(resident.key_groups),
        resident.employment_status,
    )


def _import_scope(actor: Account):
    """Return a test of whether a place (a row, or a dict of place columns) is the actor's to import.

    The actor's place, and for a grid worker one of their communities (read once per import,
    not once per row).
    """
    assigned = (
        set(db.session.scalars(assigned_communities(actor))) if actor.role == Role.grid_worker else None
    )

    def importable(place) -> bool:
        community_id = place["community_id"] if isinstance(place, dict) else place.community_id
        return in_scope(place, actor) and (assigned is None or community_id in assigned)

    return importable


def import_households(actor: Account, data: bytes, filename: str | None, ip: str | None) -> dict:
    """Import one row per resident: new ones are added, known ones (same ID number) updated.

    Every row is checked before anything is written, and a bad row is reported and skipped,
    never blocking the good ones. Residents are matched on the ID-number HMAC and households
    on (community, household key), so a re-import updates and never duplicates.
    """
    if actor.role not in IMPORT_ROLES:
        raise Forbidden("role_forbidden", "Your role may not import households.")
    rows = read_rows(data, current_app.config["HOUSEHOLD_IMPORT_MAX_ROWS"])
    if len(rows) > current_app.config["HOUSEHOLD_IMPORT_MAX_ROWS"]:
        raise ValidationFailed(
            "file",
            f"At most {current_app.config['HOUSEHOLD_IMPORT_MAX_ROWS']} rows per file.",
            code="too_many_rows",
        )
    report = HouseholdImportReport()
    communities = {
        community.code: community
        for community in db.session.scalars(
            sa.select(Community).where(Community.code.in_({row.get("community_code") for _, row in rows}))
        )
    }
    seen_ids: dict[str, int] = {}
    touched: set[int] = set()
    importable = _import_scope(actor)
    for line, row in rows:
        values, errors = _parse_row(row)
        community = communities.get(values["community_code"] or "")
        if values["community_code"] and community is None:
            errors.append(
                {"column": "community_code", "code": "unknown_community", "message": "No such community."}
            )
        elif community is not None and not importable(place_columns(community)):
            errors.append(
                {
                    "column": "community_code",
                    "code": "community_out_of_scope",
                    "message": "Outside your area.",
                }
            )
        digest, personal_errors = _personal(values)
        errors += personal_errors
        resident = None
        # Look the person up only for a row that could be imported here: a refused row must
        # not tell the importer whether an ID number is registered elsewhere.
        if digest is not None and not errors:
            if digest in seen_ids:
                errors.append(
                    {
                        "column": "id_number",
                        "code": "duplicate_in_file",
                        "message": f"The same ID number is on line {seen_ids[digest]}.",
                    }
                )
            resident = db.session.scalar(sa.select(Resident).where(Resident.id_number_hmac == digest))
            if resident is not None and resident.community_id is not None and not importable(resident):
                errors.append(
                    {
                        "column": "id_number",
                        "code": "resident_out_of_scope",
                        "message": "This person is registered in another area.",
                    }
                )
        if errors:
            report.reject(line, errors)
            continue
        seen_ids[digest] = line
        household, created = _household(community, values)
        report.households_created += created
        if resident is not None and resident.household_id not in (None, household.id):
            touched.add(resident.household_id)  # the household they left is recomputed too
        changed, kept = _apply_row(resident, household, community, values, actor)
        if kept:
            report.conflict(line, resident.id, kept)
        if resident is None:
            report.imported += 1
        elif changed:
            report.updated += 1
        else:
            report.unchanged += 1
        touched.add(household.id)
    db.session.flush()
    for household_id in sorted(touched):
        recompute(household_id, StatusSource.staff)
        household_changed(household_id)  # members came or went: policies re-match them
    audit.commit(
        "households.import",
        actor=actor,
        object_type="import",
        ip=ip,
        detail={
            "file": filename,
            **{k: v for k, v in report.as_dict().items() if k not in ("rejected", "conflicts")},
            "rejected": len(report.rejected),
            "conflicts": len(report.conflicts),
        },
    )
    return report.as_dict()
