"""Key-group lists from the province: read the feed, match residents by ID-number HMAC, hand the rest on.

Each entry is kept (ProvinceListEntry, the ID number as the ledger keeps it: encrypted, HMAC,
masked hint; never logged). A resident of the ledger with that HMAC gets the key group with
source `province` (the list's since/until); someone not in the ledger whose community is ours
becomes a task on that community's grid worker's checklist, resolved by linking the resident once
added or by a note (not here); the rest (no community of ours) are `unmatched`, for the report.
A group the province certified is not echoed back: add_key_group notes nothing for the province.
"""

import logging
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import province
from app.common.clock import local_day
from app.common.crypto import encrypt, lookup_hash
from app.common.identity import mask_address, mask_id_number, mask_name, parse_id_number
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Community,
    ExchangeCursor,
    KeyGroup,
    ListEntryStatus,
    ProvinceListEntry,
    Resident,
    Role,
    StatusSource,
    utcnow,
)
from app.services.exchange.codes import KEY_GROUP_FROM_LIST
from app.services.people import audit
from app.services.people.places import place_columns
from app.services.people.scoping import get_in_scope, scope_clause, worked_on
from app.services.people.status import add_key_group, end_key_group

log = logging.getLogger(__name__)

FEED = "key-groups"
# Who resolves a task (the grid worker at the door, or the station and officials of the place).
RESOLVE_ROLES = frozenset(
    {Role.grid_worker, Role.station_staff, Role.township_admin, Role.district_admin, Role.city_admin}
)
# Who reads the report (each their place; entries of no community of ours: the city admin only).
REPORT_ROLES = frozenset({Role.city_admin, Role.district_admin})
OUTCOMES = ("added", "not_here")
UNMATCHED_MAX = 500


def pull() -> dict:
    """Read the feed after the stored cursor, store and match each entry; counts by outcome."""
    if not province.enabled():
        return {"read": 0, "off": True}
    cursor = db.session.get(ExchangeCursor, FEED)
    try:
        items, after = province.fetch_key_group_lists(cursor.cursor if cursor else None)
    except province.ProvinceUnavailable:
        log.warning("key-group lists: the province is unavailable; the next run reads again")
        return {"read": 0, "unavailable": True}
    counts = {"read": len(items), "skipped": 0, **{status.value: 0 for status in ListEntryStatus}}
    for item in items:
        entry = store(item)
        counts[entry.status if entry is not None else "skipped"] += 1
    if cursor is None:
        cursor = ExchangeCursor(feed=FEED)
        db.session.add(cursor)
    cursor.cursor, cursor.read_at = after, utcnow()
    db.session.commit()  # the entries and the cursor together: a failed run reads them again
    return counts


def _day(value) -> date | None:
    """Parse a YYYY-MM-DD of the feed (None when missing or not a date)."""
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def store(item: dict) -> ProvinceListEntry | None:
    """Keep one feed entry (a repeat updates it) and match it; None when it is unusable (skipped)."""
    group = KEY_GROUP_FROM_LIST.get(str(item.get("group")))
    list_id, entry_key = str(item.get("list_id") or ""), str(item.get("entry_key") or "")
    try:
        id_number = parse_id_number(str(item.get("id_number") or ""), "id_number")[0]
    except ValidationFailed:
        id_number = None
    if group is None or id_number is None or not list_id or not entry_key:
        # Logged by its keys only: the entry carries an ID number.
        log.warning("key-group list %s entry %s skipped: unknown group or ID number", list_id, entry_key)
        return None
    entry = db.session.scalar(
        sa.select(ProvinceListEntry).where(
            ProvinceListEntry.list_id == list_id, ProvinceListEntry.entry_key == entry_key
        )
    )
    if entry is None:
        entry = ProvinceListEntry(
            list_id=list_id[:64], entry_key=entry_key[:64], status=ListEntryStatus.unmatched.value
        )
        db.session.add(entry)
    entry.key_group = group
    entry.name = (item.get("name") or None) and str(item["name"])[:64]
    entry.id_number_enc = encrypt(id_number, "id_number")
    entry.id_number_hmac = lookup_hash(id_number, "id_number")
    entry.id_number_hint = mask_id_number(id_number)
    entry.address = (item.get("address") or None) and str(item["address"])[:255]
    entry.community_code = (item.get("community_code") or None) and str(item["community_code"])[:12]
    entry.since, entry.until = _day(item.get("since")), _day(item.get("until"))
    if entry.status == ListEntryStatus.resolved.value:
        return entry  # a worker already decided it: a repeat of the list does not reopen it
    resident = db.session.scalar(
        sa.select(Resident)
        .where(Resident.id_number_hmac == entry.id_number_hmac)
        .options(selectinload(Resident.key_group_rows))
    )
    if resident is not None:
        _certify(entry, resident)
        entry.status = ListEntryStatus.matched.value
        return entry
    community = entry.community_code and db.session.scalar(
        sa.select(Community).where(Community.code == entry.community_code)
    )
    entry.resident_id = None
    for name, value in place_columns(community or None).items():
        setattr(entry, name, value)
    entry.status = (ListEntryStatus.task if community else ListEntryStatus.unmatched).value
    return entry


def _certify(entry: ProvinceListEntry, resident: Resident) -> None:
    """Give the resident the entry's key group (source province, the list's period) and link them."""
    entry.resident_id = resident.id
    for name in PLACE_COLUMN_NAMES:
        setattr(entry, name, getattr(resident, name))
    today = local_day()
    if entry.until is not None and entry.until < today:
        # The list's period is over (the province ends it so): a period of its own ends with it.
        row = next((r for r in resident.key_group_rows if r.key_group == entry.key_group), None)
        if row is not None and row.source == StatusSource.province.value:
            end_key_group(resident, KeyGroup(entry.key_group))
        return
    since = entry.since if entry.since is not None and entry.since <= today else None
    row = add_key_group(resident, KeyGroup(entry.key_group), StatusSource.province, since=since)
    if row.source == StatusSource.province.value and entry.until is not None:
        row.until = max(entry.until, row.since) if row.since else entry.until


def resolve(actor: Account, entry_id: int, values: dict) -> ProvinceListEntry:
    """Close a checklist task: the person added to the ledger (linked, group given) or not here (a note)."""
    entry = db.session.scalar(
        worked_on(sa.select(ProvinceListEntry), ProvinceListEntry, actor).where(
            ProvinceListEntry.id == entry_id
        )
    )
    if entry is None:
        raise NotFound("list_entry_not_found", f"No key-group list entry {entry_id} in your area.")
    if entry.status != ListEntryStatus.task.value:
        raise Conflict("list_entry_not_open", f"List entry {entry_id} is {entry.status}, not a task.")
    if values["outcome"] == "added":
        if values.get("resident_id") is None:
            raise ValidationFailed(
                "resident_id", "Name the ledger record the person was added as.", "resident_required"
            )
        resident = get_in_scope(Resident, values["resident_id"], actor, "resident_not_found")
        if resident.id_number_hmac != entry.id_number_hmac:
            raise ValidationFailed(
                "resident_id",
                "That record's ID number is not the one on the list.",
                "id_number_mismatch",
            )
        _certify(entry, resident)
    elif not values.get("note"):
        raise ValidationFailed("note", "Say why the person is not here.", "note_required")
    entry.status = ListEntryStatus.resolved.value
    entry.note = values.get("note")
    entry.resolved_at, entry.resolved_by_id = utcnow(), actor.id
    audit.record(
        "province_list.resolve",
        actor=actor,
        object_type="province_list_entry",
        object_id=entry.id,
        detail={"outcome": values["outcome"], "resident_id": entry.resident_id},
    )
    db.session.commit()
    return entry


def _visible(actor: Account):
    """Return the clause of the entries the actor may count: their place; the city admin also no place."""
    clause = scope_clause(ProvinceListEntry, actor)
    if actor.role == Role.city_admin:
        # No community of ours, so no place columns: the city's to chase.
        clause = sa.or_(clause, ProvinceListEntry.city_id.is_(None))
    return clause


def report(actor: Account) -> dict:
    """Count the entries per list by status (those the actor may see), and list the unmatched, masked."""
    visible = _visible(actor)
    rows = db.session.execute(
        sa.select(
            ProvinceListEntry.list_id,
            ProvinceListEntry.key_group,
            ProvinceListEntry.status,
            sa.func.count(),
        )
        .where(visible)
        .group_by(ProvinceListEntry.list_id, ProvinceListEntry.key_group, ProvinceListEntry.status)
        .order_by(ProvinceListEntry.list_id, ProvinceListEntry.key_group)
    ).all()
    lists: dict[tuple, dict] = {}
    for list_id, key_group, status, count in rows:
        zero = {status.value: 0 for status in ListEntryStatus}
        lists.setdefault((list_id, key_group), {"list_id": list_id, "key_group": key_group, **zero})
        lists[(list_id, key_group)][status] += count
    unmatched = db.session.scalars(
        sa.select(ProvinceListEntry)
        .where(visible, ProvinceListEntry.status == ListEntryStatus.unmatched.value)
        .order_by(ProvinceListEntry.id)
        .limit(UNMATCHED_MAX)
    ).all()
    return {
        "lists": list(lists.values()),
        "unmatched": [
            {
                "id": entry.id,
                "list_id": entry.list_id,
                "entry_key": entry.entry_key,
                "key_group": entry.key_group,
                "name": mask_name(entry.name),
                "id_number_hint": entry.id_number_hint,
                "address": mask_address(entry.address),
                "community_code": entry.community_code,
            }
            for entry in unmatched
        ],
    }
