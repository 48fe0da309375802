"""The demo ledger's changes of the month, made once in each month the demo starts.

Through the ledger's own `record_status`, so the household flag, the zero-employment case and
the key groups follow as they do for real: a hire clears the oldest open case, another
hire re-employs a graduate, a lost job opens a new case, and someone registers as unemployed.
The console's flows this month (re-employed, new unemployed, registered) and "cleared this
month" then show them. Each change notes the month; a month that has them is left alone.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.common.clock import utc_start_of
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    EmploymentStatus,
    Household,
    Resident,
    StatusChange,
    StatusSource,
    ZeroEmploymentCase,
    utcnow,
)
from app.services.demo.dates import this_month
from app.services.demo.jobs import applicable_jobs, application
from app.services.demo.people import DEMO_STAFF
from app.services.people.places import find_place
from app.services.people.status import record_status

# The demo township admin's township (昱中街道): its residents' changes come first.
FIRST_TOWNSHIP = next(code for _, role, _, code, _ in DEMO_STAFF if role == "township_admin")
UNEMPLOYED = (EmploymentStatus.unemployed.value, EmploymentStatus.unemployed_registered.value)


def _when(days_ago: float) -> datetime:
    """Return a moment `days_ago` days back, but not before this month began (naive UTC)."""
    return max(utc_start_of(this_month()), utcnow() - timedelta(days=days_ago, hours=3))


def _pick(candidates: list[Resident], turn: int, township_id: int | None) -> Resident | None:
    """Return one of the candidates, another one each month, those of the township first; or None."""
    near = [resident for resident in candidates if resident.township_id == township_id] or candidates
    return near[turn % len(near)] if near else None


def _hire(resident: Resident, note: str, when: datetime) -> None:
    """Hire a resident through an application to a job near them, dated `when`."""
    jobs = applicable_jobs()
    applied = set(
        db.session.scalars(sa.select(Application.job_id).where(Application.resident_id == resident.id))
    )
    # A job near them they have not applied to yet (their earlier applications keep their dates).
    fresh = [job for job in jobs if job.id not in applied]
    near = [job for job in fresh if job.circle_id == resident.circle_id] or fresh
    if not near:
        return
    row = application(near[resident.id % len(near)], resident)
    row.created_at = when - timedelta(days=9)
    row.status, row.status_changed_at = ApplicationStatus.hired.value, when
    db.session.flush()
    record_status(
        resident,
        EmploymentStatus.employed,
        StatusSource.hire,
        note=f"{note}: hired through application {row.id} (job {row.job_id})",
        occurred_at=when,
    )


def demo_month_changes(users: list[tuple[Account, Resident]]) -> int:
    """Make this month's ledger changes unless made; return how many residents changed."""
    month = this_month()
    note = f"demo {month:%Y-%m}"
    if db.session.scalar(sa.select(StatusChange.id).where(StatusChange.note.like(f"{note}%")).limit(1)):
        return 0
    turn = month.year * 12 + month.month
    # The demo township admin's township gets its share first, so that dashboard moves too.
    township = find_place("township", FIRST_TOWNSHIP)
    township_id = township.id if township is not None else None
    by_suffix: dict[str, list[Resident]] = {}
    for _, resident in users:
        by_suffix.setdefault(resident.household.key, []).append(resident)
    changed = 0

    # 1. A member of the household helped longest finds work: its case is cleared this month.
    case = db.session.scalar(
        sa.select(ZeroEmploymentCase)
        .join(Household, Household.id == ZeroEmploymentCase.household_id)
        .where(ZeroEmploymentCase.cleared_at.is_(None), Household.key.like("DEMO-%"))
        .order_by(ZeroEmploymentCase.opened_at, ZeroEmploymentCase.id)
        .limit(1)
    )
    if case is not None:
        members = sorted(case.household.members, key=lambda m: (m.account_id is None, m.id))
        member = next((m for m in members if m.employment_status in UNEMPLOYED), None)
        if member is not None:
            _hire(member, f"{note} 零就业家庭清零", _when(4))
            changed += 1
    # 2. A college graduate looking for work is hired (re-employed).
    graduates = [r for r in by_suffix.get("DEMO-01", []) if r.employment_status in UNEMPLOYED]
    if (graduate := _pick(graduates, turn, township_id)) is not None:
        _hire(graduate, f"{note} 高校毕业生就业", _when(3))
        changed += 1
    # 3. Someone loses their job (a contract ended): their household may become a zero one.
    working = [r for r in by_suffix.get("DEMO-02", []) if r.employment_status == EmploymentStatus.employed]
    if (lost := _pick(working, turn * 7, township_id)) is not None:
        record_status(
            lost,
            EmploymentStatus.unemployed,
            StatusSource.visit,
            note=f"{note} 合同到期失业",
            occurred_at=_when(2),
        )
        changed += 1
    # 4. Someone out of work registers as unemployed at the station (失业登记).
    looking = [
        r
        for _, r in users
        if r.employment_status == EmploymentStatus.unemployed and r.household.key != "DEMO-02"
    ]
    if (registering := _pick(looking, turn * 11, township_id)) is not None:
        record_status(
            registering,
            EmploymentStatus.unemployed_registered,
            StatusSource.staff,
            note=f"{note} 失业登记",
            occurred_at=_when(1),
        )
        changed += 1
    db.session.flush()
    return changed
