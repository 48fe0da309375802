"""Ledger snapshots: the employment ledger's (台账) monthly counts per community, and trends over a place."""

import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day, month_end, quarter_start, utc_start_of
from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    Community,
    EmploymentStatus,
    Household,
    LedgerSnapshot,
    Resident,
    ResidentKeyGroup,
    StatusChange,
    Township,
    Visit,
    VisitChannel,
    VisitOutcome,
    ZeroEmploymentCase,
    utcnow,
)
from app.services.grid.checklist import moved_away_anywhere, reached
from app.services.people.scoping import worked_on
from app.services.people.status import WORKING

UNEMPLOYED = frozenset({EmploymentStatus.unemployed, EmploymentStatus.unemployed_registered})
FLOWS = ("became_unemployed", "re_employed", "registered_unemployed")

# Years from 1000: year 0 is no date (a 500 before), and the default span reaches back a year.
MONTH = re.compile(r"^([1-9]\d{3})-(0[1-9]|1[0-2])$")


def parse_month(text: str | None, field: str = "month") -> date:
    """Return the first day of a YYYY-MM month, or 422."""
    match = MONTH.match(text or "")
    if match is None:
        raise ValidationFailed(field, "Give a month as YYYY-MM.", code="invalid_month")
    return date(int(match[1]), int(match[2]), 1)


def snapshot(month: str | None = None) -> int:
    """Write one month's counts per community (default: this month), replacing that month's rows.

    The counts are the ledger as it stands when this runs: `flask cron` runs it every 15 minutes
    for the current month (maintenance.SCHEDULE; the statistics show it as today's figures, as
    of its `created_at`), and once more for the past month in the first run of a new one, which
    freezes it: a frozen month is never rewritten (422 month_frozen), and a future month is
    refused. Key groups count when current on the month's last day; zero-employment households
    when their case was open at the month's end. `flows` counts the month's status changes
    (_flows) and `coverage` the quarter's visits up to the month's last day or today (_coverage).
    """
    this_month = local_day().replace(day=1)
    first = parse_month(month) if month else this_month
    last = month_end(first)
    label = first.strftime("%Y-%m")
    end_utc = utc_start_of(last + timedelta(days=1))  # the month's end on the city's clock
    if first > this_month:
        raise ValidationFailed("month", f"{label} has not begun.", code="future_month")
    if first < this_month:
        written = db.session.scalar(
            sa.select(sa.func.max(LedgerSnapshot.created_at)).where(LedgerSnapshot.month == label)
        )
        if written is not None and written >= end_utc:
            raise ValidationFailed(
                "month",
                f"{label} was frozen after it ended; its figures are kept as they were.",
                code="month_frozen",
            )
    counts: dict[int, dict] = {}

    def row(community_id: int) -> dict:
        return counts.setdefault(
            community_id,
            {
                "residents": 0,
                "households": 0,
                "zero_employment_households": 0,
                "by_status": {},
                "by_key_group": {},
                "flows": dict.fromkeys(FLOWS, 0),
                "coverage": None,
            },
        )

    for community_id, status, n in db.session.execute(
        sa.select(Resident.community_id, Resident.employment_status, sa.func.count())
        .where(Resident.community_id.is_not(None))
        .group_by(Resident.community_id, Resident.employment_status)
    ):
        row(community_id)["residents"] += n
        row(community_id)["by_status"][status or "unknown"] = n
    for community_id, group, n in db.session.execute(
        sa.select(Resident.community_id, ResidentKeyGroup.key_group, sa.func.count())
        .join(Resident, Resident.id == ResidentKeyGroup.resident_id)
        .where(
            Resident.community_id.is_not(None),
            sa.or_(ResidentKeyGroup.since.is_(None), ResidentKeyGroup.since <= last),
            sa.or_(ResidentKeyGroup.until.is_(None), ResidentKeyGroup.until >= last),
        )
        .group_by(Resident.community_id, ResidentKeyGroup.key_group)
    ):
        row(community_id)["by_key_group"][group] = n
    for community_id, n in db.session.execute(
        sa.select(Household.community_id, sa.func.count())
        .where(Household.community_id.is_not(None))
        .group_by(Household.community_id)
    ):
        row(community_id)["households"] = n
    for community_id, n in db.session.execute(
        sa.select(
            ZeroEmploymentCase.community_id, sa.func.count(sa.distinct(ZeroEmploymentCase.household_id))
        )
        .where(
            ZeroEmploymentCase.community_id.is_not(None),
            ZeroEmploymentCase.opened_at < end_utc,
            sa.or_(ZeroEmploymentCase.cleared_at.is_(None), ZeroEmploymentCase.cleared_at >= end_utc),
        )
        .group_by(ZeroEmploymentCase.community_id)
    ):
        row(community_id)["zero_employment_households"] = n
    for community_id, flows in _flows(utc_start_of(first), end_utc).items():
        row(community_id)["flows"] = flows
    through = min(last, local_day())
    for community_id, coverage in _coverage(quarter_start(through), through).items():
        row(community_id)["coverage"] = coverage
    places = {
        community.id: (community, township)
        for community, township in db.session.execute(
            sa.select(Community, Township).join(Township).where(Community.id.in_(list(counts)))
        )
    }
    db.session.execute(sa.delete(LedgerSnapshot).where(LedgerSnapshot.month == label))
    now = utcnow()
    rows = []
    for community_id, values in counts.items():
        community, township = places[community_id]
        rows.append(
            {
                "month": label,
                "community_id": community_id,
                "township_id": township.id,
                "circle_id": community.circle_id,
                "district_id": township.district_id,
                "city_id": township.district.city_id,
                "created_at": now,
                **values,
            }
        )
    if rows:
        db.session.execute(sa.insert(LedgerSnapshot), rows)
    db.session.commit()
    return len(rows)


def _flows(start_utc, end_utc) -> dict[int, dict]:
    """Count, per community (where the residents live now), the month's movements in the ledger.

    Each counts residents, once however often they changed: became_unemployed, from a known
    status outside unemployment into it (a first entry in the ledger is no movement);
    re_employed, from unemployment into work (employed or flexible); registered_unemployed,
    into registered unemployment from anything else, a first entry included (registering is
    the act counted).
    """

    def residents_where(condition):
        return sa.func.count(sa.distinct(sa.case((condition, StatusChange.resident_id), else_=None)))

    unemployed, working = [s.value for s in UNEMPLOYED], [s.value for s in WORKING]
    registered = EmploymentStatus.unemployed_registered.value
    statement = (
        sa.select(
            Resident.community_id,
            residents_where(
                sa.and_(
                    StatusChange.from_status.is_not(None),
                    StatusChange.from_status.not_in(unemployed),
                    StatusChange.to_status.in_(unemployed),
                )
            ),
            residents_where(
                sa.and_(StatusChange.from_status.in_(unemployed), StatusChange.to_status.in_(working))
            ),
            residents_where(
                sa.and_(
                    StatusChange.to_status == registered,
                    sa.or_(StatusChange.from_status.is_(None), StatusChange.from_status != registered),
                )
            ),
        )
        .join(Resident, Resident.id == StatusChange.resident_id)
        .where(
            Resident.community_id.is_not(None),
            StatusChange.occurred_at >= start_utc,
            StatusChange.occurred_at < end_utc,
        )
        .group_by(Resident.community_id)
    )
    return {
        community_id: dict(zip(FLOWS, (int(n) for n in counts), strict=True))
        for community_id, *counts in db.session.execute(statement)
    }


def _coverage(start: date, through: date) -> dict[int, dict]:
    """Return, per community, the quarter's door-to-door coverage from `start` to `through`.

    The rule of the grid worker's own progress (services/grid/progress.py), over every
    community: households met at the door at least once (by the visit's community), households
    whose latest visit found them moved away (counted apart: neither due nor met), the door
    visits that found no one in or were refused, and the households met only by phone, at the
    station or online (`contacted`: shown apart, never covered).
    """
    moved_ids = moved_away_anywhere(through)
    window = Visit.visit_day.between(start, through)
    found: dict[int, dict] = {}

    def row(community_id: int) -> dict:
        return found.setdefault(
            community_id,
            {
                "quarter_start": start.isoformat(),
                "through": through.isoformat(),
                "met": 0,
                "moved": 0,
                VisitOutcome.not_home.value: 0,
                VisitOutcome.refused.value: 0,
                "contacted": 0,
            },
        )

    for community_id, met, contacted in db.session.execute(
        reached(start, through, Visit.community_id.is_not(None), Visit.household_id.not_in(moved_ids))
    ):
        row(community_id).update(met=int(met), contacted=int(contacted))
    for community_id, outcome, n in db.session.execute(
        sa.select(Visit.community_id, Visit.outcome, sa.func.count())
        .where(
            window,
            Visit.channel == VisitChannel.door,
            Visit.outcome.in_([VisitOutcome.not_home, VisitOutcome.refused]),
        )
        .where(Visit.community_id.is_not(None))
        .group_by(Visit.community_id, Visit.outcome)
    ):
        row(community_id)[outcome] = n
    for community_id, n in db.session.execute(
        sa.select(Household.community_id, sa.func.count())
        .where(Household.id.in_(moved_ids), Household.community_id.is_not(None))
        .group_by(Household.community_id)
    ):
        row(community_id)["moved"] = n
    return found


def trend(
    actor: Account, month_from: str | None = None, month_to: str | None = None, community: str | None = None
) -> list[dict]:
    """Return the snapshots summed per month over the actor's place (or one community in it)."""
    last = parse_month(month_to, "to") if month_to else local_day().replace(day=1)
    # Default: the last 12 months, `to` included.
    first = (
        parse_month(month_from, "from")
        if month_from
        else date(last.year - (last.month < 12), last.month % 12 + 1, 1)
    )
    if first > last:
        raise ValidationFailed("from", "'from' must not be after 'to'.", code="invalid_month_range")
    statement = worked_on(sa.select(LedgerSnapshot), LedgerSnapshot, actor).where(
        LedgerSnapshot.month.between(first.strftime("%Y-%m"), last.strftime("%Y-%m"))
    )
    if community:
        statement = statement.join(Community, Community.id == LedgerSnapshot.community_id).where(
            Community.code == community
        )
    months: dict[str, dict] = {}
    for snap in db.session.scalars(statement.order_by(LedgerSnapshot.month, LedgerSnapshot.community_id)):
        total = months.setdefault(
            snap.month,
            {
                "month": snap.month,
                "communities": 0,
                "residents": 0,
                "households": 0,
                "zero_employment_households": 0,
                "by_status": {},
                "by_key_group": {},
            },
        )
        total["communities"] += 1
        for name in ("residents", "households", "zero_employment_households"):
            total[name] += getattr(snap, name)
        for name in ("by_status", "by_key_group"):
            for key, n in (getattr(snap, name) or {}).items():
                total[name][key] = total[name].get(key, 0) + n
    return list(months.values())
