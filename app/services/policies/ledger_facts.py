"""Gathering the facts of many people or employers from the ledger, for a given day.

The facts are those documented in facts.py (FACTS). Ages and day counts are worked out against
the `today` passed in, never the wall clock. Gathering is bulk: a fixed number of grouped queries
per chunk of at most CHUNK ids, whatever the number of people, so the batch over the whole ledger
stays linear; `only` skips the queries of facts no rule in force reads.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Certification,
    CertificationStatus,
    Community,
    District,
    Employer,
    EmployerStatus,
    Household,
    KeyGroup,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Resident,
    ResidentKeyGroup,
    Resume,
    StatusChange,
    Township,
)

# Ids per IN list: small enough for every backend's statement limits, large enough to be few.
CHUNK = 1000
# The window of an employer's recent hires (吸纳就业: the last twelve months).
HIRES_WINDOW_DAYS = 365


def _chunks(ids: list[int]):
    """Yield the distinct ids in sorted chunks of at most CHUNK."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _codes(model, ids: set) -> dict[int, str]:
    """Return the administrative codes of the places of one level with these ids."""
    ids = {place_id for place_id in ids if place_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(model.id, model.code).where(model.id.in_(ids))).all())


def _days(since: date | None, today: date) -> int | None:
    """Return the whole days from `since` to `today` (None without a day)."""
    return None if since is None else (today - since).days


def age_on(birth_date: date | None, today: date) -> int | None:
    """Return the age in whole years on `today` (a birthday today counts)."""
    if birth_date is None:
        return None
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


# The query each person fact needs beyond the residents' own row (the others come from that row).
PERSON_QUERIES = {
    "status_days": "status",
    "unemployment_registered": "registrations",
    "unemployment_registered_days": "registrations",
    "employment_registered": "registrations",
    "employment_kind": "registrations",
    "employment_registered_days": "registrations",
    "key_groups": "key_groups",
    "declared_key_groups": "key_groups",
    "graduation_year": "graduation",
    "years_since_graduation": "graduation",
    "zero_employment_household": "households",
    "household_size": "households",
    "education": "education",
    "hired_days": "hires",
    "hires_count": "hires",
}
PLACE_FACTS = ("district_code", "township_code", "community_code")


def person_facts(
    resident_ids: list[int], today: date | None = None, only: Iterable[str] | None = None
) -> dict[int, dict]:
    """Return the facts of many residents on `today`, by resident id (ids not in the ledger left out).

    With `only` (the facts some rules read), just those and the place codes are gathered: the
    batch over the ledger then skips the queries no rule in force needs.
    """
    today = today or local_day()
    wanted = None if only is None else set(only) | set(PLACE_FACTS)
    found: dict[int, dict] = {}
    for chunk in _chunks(resident_ids):
        found.update(_person_chunk(chunk, today, wanted))
    return found


def _person_chunk(ids: list[int], today: date, wanted: set[str] | None = None) -> dict[int, dict]:
    """Return the facts of at most CHUNK residents in a fixed number of queries (those `wanted` need)."""
    queries = (
        set(PERSON_QUERIES.values())
        if wanted is None
        else {PERSON_QUERIES[name] for name in wanted if name in PERSON_QUERIES}
    )
    residents = db.session.execute(
        sa.select(
            Resident.id,
            Resident.birth_date,
            Resident.gender,
            Resident.employment_status,
            Resident.household_id,
            Resident.community_id,
            Resident.township_id,
            Resident.district_id,
        ).where(Resident.id.in_(ids))
    ).all()
    if not residents:
        return {}
    status_since = _status_since(ids) if "status" in queries else {}
    registrations = _registrations(ids, today) if "registrations" in queries else {}
    certified, declared = _key_groups(ids, today) if "key_groups" in queries else ({}, {})
    graduation = _graduation(ids) if "graduation" in queries else {}
    households = _households(residents) if "households" in queries else {}
    education = _education(ids) if "education" in queries else {}
    hires = _hires(ids) if "hires" in queries else {}
    districts = _codes(District, {row.district_id for row in residents})
    townships = _codes(Township, {row.township_id for row in residents})
    communities = _codes(Community, {row.community_id for row in residents})

    found = {}
    for row in residents:
        mine = registrations.get(row.id, {})
        unemployment = mine.get(RegistrationKind.unemployment.value)
        employment = mine.get(RegistrationKind.employment.value)
        zero_since, size = households.get(row.household_id, (None, 1))
        year = graduation.get(row.id)
        count, last_hire = hires.get(row.id, (0, None))
        since = status_since.get(row.id)
        found[row.id] = {
            "age": age_on(row.birth_date, today),
            "gender": row.gender,
            "employment_status": row.employment_status,
            "status_days": _days(local_day(since), today) if since is not None else None,
            "unemployment_registered": unemployment is not None,
            "unemployment_registered_days": _days(unemployment.accepted_on, today) if unemployment else None,
            "employment_registered": employment is not None,
            "employment_kind": employment.employment_kind if employment else None,
            "employment_registered_days": _days(employment.started_on, today) if employment else None,
            "key_groups": sorted(certified.get(row.id, ())),
            "declared_key_groups": sorted(declared.get(row.id, set()) - certified.get(row.id, set())),
            "zero_employment_household": zero_since is not None and zero_since <= today,
            "household_size": size,
            "education": education.get(row.id),
            "graduation_year": year,
            "years_since_graduation": today.year - year if year is not None else None,
            "district_code": districts.get(row.district_id),
            "township_code": townships.get(row.township_id),
            "community_code": communities.get(row.community_id),
            "hired_days": _days(local_day(last_hire), today) if last_hire is not None else None,
            "hires_count": count,
        }
        if wanted is not None:
            found[row.id] = {name: value for name, value in found[row.id].items() if name in wanted}
    return found


def _status_since(ids: list[int]) -> dict:
    """Return when each resident's current status began: the latest change into it (append-only)."""
    return dict(
        db.session.execute(
            sa.select(StatusChange.resident_id, sa.func.max(StatusChange.occurred_at))
            .join(Resident, Resident.id == StatusChange.resident_id)
            .where(
                StatusChange.resident_id.in_(ids),
                StatusChange.to_status == Resident.employment_status,
                sa.or_(
                    StatusChange.from_status.is_(None), StatusChange.from_status != StatusChange.to_status
                ),
            )
            .group_by(StatusChange.resident_id)
        ).all()
    )


def _registrations(ids: list[int], today: date) -> dict[int, dict]:
    """Return each resident's accepted registrations in effect, by kind."""
    registrations: dict[int, dict] = defaultdict(dict)
    for row in db.session.execute(
        sa.select(
            Registration.resident_id,
            Registration.kind,
            Registration.accepted_on,
            Registration.valid_until,
            Registration.employment_kind,
            Registration.started_on,
        ).where(
            Registration.resident_id.in_(ids),
            Registration.status == RegistrationStatus.accepted.value,
        )
    ):
        if (
            row.kind == RegistrationKind.unemployment
            and row.valid_until is not None
            and row.valid_until < today
        ):
            continue  # lapsed, not yet ended by the daily task
        registrations[row.resident_id][row.kind] = row
    return registrations


def _key_groups(ids: list[int], today: date) -> tuple[dict[int, set], dict[int, set]]:
    """Return each resident's key groups in force today: certified on evidence, and the others."""
    certified: dict[int, set] = defaultdict(set)
    declared: dict[int, set] = defaultdict(set)
    for row in db.session.execute(
        sa.select(
            ResidentKeyGroup.resident_id,
            ResidentKeyGroup.key_group,
            ResidentKeyGroup.since,
            ResidentKeyGroup.until,
            ResidentKeyGroup.verified_by_id,
            ResidentKeyGroup.certification_id,
            ResidentKeyGroup.registration_id,
        ).where(ResidentKeyGroup.resident_id.in_(ids))
    ):
        if (row.until is not None and row.until < today) or (row.since is not None and row.since > today):
            continue
        evidence = row.certification_id is not None or row.registration_id is not None
        (certified if evidence and row.verified_by_id is not None else declared)[row.resident_id].add(
            row.key_group
        )
    return certified, declared


def _graduation(ids: list[int]) -> dict:
    """Return each certified college graduate's year of graduation."""
    return dict(
        db.session.execute(
            sa.select(Certification.resident_id, sa.func.max(Certification.graduation_year))
            .where(
                Certification.resident_id.in_(ids),
                Certification.key_group == KeyGroup.college_graduate.value,
                Certification.status.in_(
                    [CertificationStatus.certified.value, CertificationStatus.expired.value]
                ),
                Certification.graduation_year.is_not(None),
            )
            .group_by(Certification.resident_id)
        ).all()
    )


def _households(residents) -> dict:
    """Return (zero_employment_since, size) of the residents' households."""
    household_ids = {row.household_id for row in residents if row.household_id is not None}
    if not household_ids:
        return {}
    return {
        household_id: (since, size)
        for household_id, since, size in db.session.execute(
            sa.select(Household.id, Household.zero_employment_since, sa.func.count(Resident.id))
            .join(Resident, Resident.household_id == Household.id)
            .where(Household.id.in_(household_ids))
            .group_by(Household.id, Household.zero_employment_since)
        )
    }


def _education(ids: list[int]) -> dict:
    """Return the education each résumé gives (declared)."""
    return dict(
        db.session.execute(
            sa.select(Resume.resident_id, Resume.education).where(Resume.resident_id.in_(ids))
        ).all()
    )


def _hires(ids: list[int]) -> dict:
    """Return (hires, last hire) through the platform per resident."""
    return {
        resident_id: (count, last)
        for resident_id, count, last in db.session.execute(
            sa.select(Application.resident_id, sa.func.count(), sa.func.max(Application.status_changed_at))
            .where(Application.resident_id.in_(ids), Application.status == ApplicationStatus.hired.value)
            .group_by(Application.resident_id)
        )
    }


def employer_facts(employer_ids: list[int], today: date | None = None) -> dict[int, dict]:
    """Return the facts of many employers on `today`, by employer id (insured_staff unknown: None)."""
    today = today or local_day()
    found: dict[int, dict] = {}
    for chunk in _chunks(employer_ids):
        found.update(_employer_chunk(chunk, today))
    return found


def _employer_chunk(ids: list[int], today: date) -> dict[int, dict]:
    """Return the facts of at most CHUNK employers in a fixed number of queries."""
    employers = db.session.execute(
        sa.select(Employer.id, Employer.status, Employer.size, Employer.industry, Employer.district_id).where(
            Employer.id.in_(ids)
        )
    ).all()
    if not employers:
        return {}
    window = (
        Registration.started_on > today - timedelta(days=HIRES_WINDOW_DAYS),
        Registration.started_on <= today,
    )
    hired = (
        Registration.employer_id.in_(ids),
        Registration.kind == RegistrationKind.employment.value,
        # An employment that has since ended was still a hire.
        Registration.status.in_([RegistrationStatus.accepted.value, RegistrationStatus.ended.value]),
        *window,
    )
    hires = dict(
        db.session.execute(
            sa.select(Registration.employer_id, sa.func.count())
            .where(*hired)
            .group_by(Registration.employer_id)
        ).all()
    )
    # Who was a certified key-group member on their first day: the group's period covers started_on.
    groups: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for employer_id, registration_id, key_group in db.session.execute(
        sa.select(Registration.employer_id, Registration.id, ResidentKeyGroup.key_group)
        .join(ResidentKeyGroup, ResidentKeyGroup.resident_id == Registration.resident_id)
        .where(
            *hired,
            ResidentKeyGroup.verified_by_id.is_not(None),
            sa.or_(
                ResidentKeyGroup.certification_id.is_not(None), ResidentKeyGroup.registration_id.is_not(None)
            ),
            sa.or_(ResidentKeyGroup.since.is_(None), ResidentKeyGroup.since <= Registration.started_on),
            sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= Registration.started_on),
        )
    ):
        groups[employer_id][key_group].add(registration_id)
    districts = _codes(District, {row.district_id for row in employers})
    found = {}
    for row in employers:
        by_group = groups.get(row.id, {})
        found[row.id] = {
            "employer_status": row.status,
            "size": row.size,
            "industry": row.industry,
            "verified": row.status == EmployerStatus.verified.value,
            "hires_12m": hires.get(row.id, 0),
            "key_group_hires_12m": len(set().union(*by_group.values())) if by_group else 0,
            "hires_by_key_group": {group: len(regs) for group, regs in sorted(by_group.items())},
            "insured_staff": None,
            "district_code": districts.get(row.district_id),
        }
    return found
