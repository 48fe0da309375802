"""The checklist's answer written from rows, field by field as ChecklistSchema documents it.

The schema's dump of ORM objects was half of a checklist's time; these write the same JSON
(24 checklists hashed byte-identical, docs/PERFORMANCE.md §4) from the columns read here.
"""

import itertools
from datetime import UTC, date

import sqlalchemy as sa

from app.extensions import db
from app.models import Household, Resident, ResidentKeyGroup, Visit
from app.services.people.places import describe_place

# What a checklist shows of a member (masked hints, never the ciphertexts): a stop's whole
# resident rows took PyMySQL longer to decode than the rest of the answer.
MEMBER_COLUMNS = (
    Resident.household_id,
    Resident.name,
    Resident.id_number_hint,
    Resident.phone_hint,
    Resident.gender,
    Resident.birth_date,
    Resident.is_household_head,
    Resident.employment_status,
)
KEY_GROUP_COLUMNS = (
    ResidentKeyGroup.resident_id,
    ResidentKeyGroup.key_group,
    ResidentKeyGroup.since,
    ResidentKeyGroup.until,
    ResidentKeyGroup.source,
    ResidentKeyGroup.verified_by_id,
    ResidentKeyGroup.certification_id,
    ResidentKeyGroup.registration_id,
)
PROVINCE_LIST_FIELDS = (
    "id",
    "list_id",
    "key_group",
    "name",
    "id_number_hint",
    "address",
    "community_code",
    "since",
    "until",
    "created_at",
)


def households(ids: list[int], today: date) -> dict[int, dict]:
    """Return the stops as HouseholdDetailSchema writes them, members by id, in two queries."""
    if not ids:
        return {}
    members: dict[int, list[dict]] = {household_id: [] for household_id in ids}
    # Members with their key-group periods in one query: a member row repeats per period.
    rows = db.session.execute(
        sa.select(Resident.id, *MEMBER_COLUMNS, *KEY_GROUP_COLUMNS)
        .outerjoin(ResidentKeyGroup, ResidentKeyGroup.resident_id == Resident.id)
        .where(Resident.household_id.in_(ids))
        .order_by(Resident.id, ResidentKeyGroup.key_group)
    ).all()
    for _, group in itertools.groupby(rows, key=lambda row: row.id):
        group = list(group)
        periods = [row for row in group if row.key_group is not None]
        members[group[0].household_id].append(member(group[0], periods, today))
    places: dict[int | None, dict | None] = {}
    households = {}
    for row in db.session.execute(
        sa.select(
            Household.id,
            Household.key,
            Household.address,
            Household.community_id,
            Household.lat,
            Household.lng,
            Household.zero_employment_since,
        ).where(Household.id.in_(ids))
    ):
        if row.community_id not in places:
            places[row.community_id] = describe_place("community", row.community_id)
        households[row.id] = {
            "id": row.id,
            "key": row.key,
            "address": row.address,
            "community": places[row.community_id],
            "lat": _float(row.lat),
            "lng": _float(row.lng),
            "zero_employment": row.zero_employment_since is not None,
            "zero_employment_since": _iso(row.zero_employment_since),
            "members": members[row.id],
        }
    return households


def member(row, periods, today: date) -> dict:
    """Return a member as MemberSchema writes it (ID number and phone as their masked hints)."""
    born = row.birth_date
    return {
        "id": row.id,
        "name": row.name,
        "id_number": row.id_number_hint,
        "phone": row.phone_hint,
        "gender": row.gender,
        "age": None
        if born is None
        else today.year - born.year - ((today.month, today.day) < (born.month, born.day)),
        "is_household_head": row.is_household_head,
        "employment_status": row.employment_status,
        "key_groups": sorted(p.key_group for p in periods if p.until is None or p.until >= today),
        "key_group_periods": [
            {
                "key_group": p.key_group,
                "since": _iso(p.since),
                "until": _iso(p.until),
                "source": p.source,
                "verified_by_id": p.verified_by_id,
                "certified": (p.certification_id is not None or p.registration_id is not None)
                and p.verified_by_id is not None,
                "certification_id": p.certification_id,
            }
            for p in periods
        ],
    }


def need(row, person) -> dict:
    """Return an open follow-up as NeedSchema writes it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "household_id": row.household_id,
        "visit_id": row.visit_id,
        "created_at": _utc(row.created_at),
        "resident": None if person is None else {"id": person.id, "name": person.name},
    }


def placement_task(row, person) -> dict:
    """Return a placement follow-up as PlacementTaskSchema writes it."""
    return {
        "id": row.id,
        "stage_days": row.stage_days,
        "employer_name": row.employer_name,
        "started_on": _iso(row.started_on),
        "due_on": _iso(row.due_on),
        "task_at": _utc(row.task_at),
        "resident": None
        if person is None
        else {"id": person.id, "name": person.name, "phone_hint": person.phone_hint},
    }


def province_list_task(row) -> dict:
    """Return a province list entry as ProvinceListTaskSchema writes it."""
    task = {name: getattr(row, name) for name in PROVINCE_LIST_FIELDS}
    for name in ("since", "until"):
        task[name] = _iso(task[name])
    task["created_at"] = _utc(task["created_at"])
    return task


def _iso(day):
    return None if day is None else day.isoformat()


def _utc(moment):
    """Write a naive-UTC datetime with its offset, as UtcDateTime does."""
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()


def _float(value):
    return None if value is None else float(value)


def last_visits(household_ids: list[int]) -> dict[int, dict]:
    """Return the latest visit of each household (any channel) as LastVisitSchema writes it, in one query."""
    if not household_ids:
        return {}
    latest = (
        sa.select(Visit.household_id, sa.func.max(Visit.visited_at).label("at"))
        .where(Visit.household_id.in_(household_ids))
        .group_by(Visit.household_id)
        .subquery()
    )
    visits = db.session.execute(
        sa.select(
            Visit.id, Visit.household_id, Visit.visited_at, Visit.outcome, Visit.channel, Visit.worker_id
        ).join(latest, sa.and_(Visit.household_id == latest.c.household_id, Visit.visited_at == latest.c.at))
    )
    return {
        visit.household_id: {
            "id": visit.id,
            "visited_at": _utc(visit.visited_at),
            "outcome": visit.outcome,
            "channel": visit.channel,
            "worker_id": visit.worker_id,
        }
        for visit in visits
    }
