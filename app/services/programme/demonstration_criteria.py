"""The criteria of the demonstration selection (示范社区评选): each computed per community from platform data.

Each criterion returns, for the communities asked about, {community id: Measure(value, score 0..100,
evidence)} over a period (a year, up to today); a community with nothing to judge by is left out
(no data, not zero: the ranking renormalises the weights over the criteria it has). Scores are
absolute (against the plan's targets), never relative to the other communities, so the same
community scores the same in its district's ranking and in the city's.

Long because it is the one catalogue: nine criteria, each a query or two over another wing's data
and its scoring, read side by side (split, a reader would hunt for the tenth).
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.common.clock import month_end, utc_start_of
from app.extensions import db
from app.models import (
    AuditEvent,
    CheckIn,
    Claim,
    ClaimStatus,
    Household,
    Job,
    PlacementAnswer,
    PlacementFollowUp,
    PlacementFollowUpStatus,
    Registration,
    Resident,
    Visit,
    VisitChannel,
    ZeroEmploymentCase,
    utcnow,
)

# Placements a year per 1,000 working-age residents that earn full marks.
PLACEMENTS_TARGET_PER_1000 = 30
# Median minutes from a station check-in to its service that scores 0 (linear from 0 minutes).
SERVE_MINUTES_ZERO = 120
# Median days to clear a zero-employment household that scores 0 on speed (linear from 0 days).
CLEAR_DAYS_ZERO = 90
# Points off per upheld fake-job report of a job placed in the community.
REPORT_POINTS = 25


@dataclass(frozen=True)
class Criterion:
    """One criterion of the catalogue: its key, Chinese name and default weight."""

    key: str
    name: str
    weight: float


@dataclass(frozen=True)
class Measure:
    """One community's figure on a criterion."""

    value: float
    score: float
    evidence: str


@dataclass(frozen=True)
class Period:
    """The days a ranking looks at: a year, up to `end` (today, in the year in progress)."""

    start: date
    end: date

    @property
    def start_utc(self) -> datetime:
        return utc_start_of(self.start)

    @property
    def end_utc(self) -> datetime:
        return utc_start_of(self.end + timedelta(days=1))


CATALOGUE = (
    Criterion("visit_days", "走访天数达标", 15),
    Criterion("quarter_coverage", "季度走访覆盖率", 15),
    Criterion("zero_employment", "零就业家庭清零及时", 15),
    Criterion("placements", "每千名劳动年龄人口就业人数", 15),
    Criterion("retention", "3/6个月稳岗率", 10),
    Criterion("on_time", "登记与补贴按时办结", 10),
    Criterion("time_to_serve", "服务站接待时长", 5),
    Criterion("data_quality", "数据质量", 10),
    Criterion("fake_jobs", "虚假岗位举报", 5),
)
KEYS = tuple(criterion.key for criterion in CATALOGUE)
NAMES = {criterion.key: criterion.name for criterion in CATALOGUE}


def _clamp(score: float) -> float:
    """Return the score within 0..100, rounded to one decimal."""
    return round(max(0.0, min(100.0, score)), 1)


def _complete_months(period: Period) -> list[tuple[date, date]]:
    """Return (first, last day) of the months of the period that have ended."""
    months, first = [], period.start
    while month_end(first) <= period.end:
        months.append((first, month_end(first)))
        first = month_end(first) + timedelta(days=1)
    return months


def _complete_quarters(period: Period) -> list[tuple[date, date]]:
    """Return (first, last day) of the quarters of the period that have ended."""
    year = period.start.year
    quarters = [(date(year, month, 1), month_end(date(year, month + 2, 1))) for month in (1, 4, 7, 10)]
    return [(first, last) for first, last in quarters if last <= period.end]


def visit_days(ids: list[int], period: Period) -> dict[int, Measure]:
    """Score the share of ended months whose door-visit days reached VISIT_DAYS_TARGET."""
    months = _complete_months(period)
    if not months:
        return {}
    target = current_app.config["VISIT_DAYS_TARGET"]
    rows = db.session.execute(
        sa.select(Visit.community_id, Visit.visit_day)
        .where(
            Visit.community_id.in_(ids),
            Visit.channel == VisitChannel.door.value,
            Visit.visit_day.between(months[0][0], months[-1][1]),
        )
        .distinct()
    ).all()
    days: dict[int, dict[tuple, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        days[row.community_id][(row.visit_day.year, row.visit_day.month)] += 1
    found = {}
    for community_id in ids:
        met = sum(1 for first, _ in months if days[community_id][(first.year, first.month)] >= target)
        share = met / len(months)
        found[community_id] = Measure(
            round(share, 3), _clamp(share * 100), f"{len(months)}个月中{met}个月入户走访达{target}天"
        )
    return found


def quarter_coverage(ids: list[int], period: Period) -> dict[int, Measure]:
    """Score the mean share of households visited at the door in each ended quarter."""
    quarters = _complete_quarters(period)
    households = dict(
        db.session.execute(
            sa.select(Household.community_id, sa.func.count(Household.id))
            .where(Household.community_id.in_(ids))
            .group_by(Household.community_id)
        ).all()
    )
    if not quarters:
        return {}
    shares: dict[int, list[float]] = defaultdict(list)
    for first, last in quarters:
        visited = dict(
            db.session.execute(
                sa.select(Visit.community_id, sa.func.count(sa.distinct(Visit.household_id)))
                .where(
                    Visit.community_id.in_(ids),
                    Visit.channel == VisitChannel.door.value,
                    Visit.visit_day.between(first, last),
                )
                .group_by(Visit.community_id)
            ).all()
        )
        for community_id, count in households.items():
            shares[community_id].append(min(1.0, visited.get(community_id, 0) / count))
    found = {}
    for community_id, values in shares.items():
        mean = sum(values) / len(values)
        found[community_id] = Measure(
            round(mean, 3), _clamp(mean * 100), f"{len(values)}个季度平均入户覆盖 {round(mean * 100)}%"
        )
    return found


def zero_employment(ids: list[int], period: Period) -> dict[int, Measure]:
    """Score the zero-employment households of the period: the share cleared (70) and how fast (30)."""
    rows = db.session.execute(
        sa.select(
            ZeroEmploymentCase.community_id, ZeroEmploymentCase.opened_at, ZeroEmploymentCase.cleared_at
        ).where(
            ZeroEmploymentCase.community_id.in_(ids),
            ZeroEmploymentCase.opened_at >= period.start_utc,
            ZeroEmploymentCase.opened_at < period.end_utc,
        )
    ).all()
    cases: dict[int, list] = defaultdict(list)
    for row in rows:
        cases[row.community_id].append(row)
    found = {}
    for community_id, rows in cases.items():
        cleared = [row for row in rows if row.cleared_at is not None and row.cleared_at < period.end_utc]
        share = len(cleared) / len(rows)
        days = (
            statistics.median((r.cleared_at - r.opened_at).total_seconds() / 86400 for r in cleared)
            if cleared
            else None
        )
        speed = max(0.0, 1 - days / CLEAR_DAYS_ZERO) if days is not None else 0.0
        evidence = f"零就业家庭{len(rows)}户，已清零{len(cleared)}户"
        if days is not None:
            evidence += f"，中位用时{round(days)}天"
        found[community_id] = Measure(round(share, 3), _clamp(share * 70 + speed * 30), evidence)
    return found


def _born_between(end: date) -> tuple[date, date]:
    """Return the birth dates (after, up to) of the working-age residents on `end`."""
    config = current_app.config

    def years_before(years: int) -> date:
        try:
            return end.replace(year=end.year - years)
        except ValueError:  # 29 February
            return end.replace(year=end.year - years, day=28)

    return years_before(config["WORKING_AGE_MAX"] + 1), years_before(config["WORKING_AGE_MIN"])


def placements(ids: list[int], period: Period) -> dict[int, Measure]:
    """Score placements (hires and employment registrations followed up) per 1,000 working-age residents."""
    after, up_to = _born_between(period.end)
    people = dict(
        db.session.execute(
            sa.select(Resident.community_id, sa.func.count(Resident.id))
            .where(Resident.community_id.in_(ids), Resident.birth_date > after, Resident.birth_date <= up_to)
            .group_by(Resident.community_id)
        ).all()
    )
    placed = dict(
        db.session.execute(
            sa.select(
                PlacementFollowUp.community_id,
                sa.func.count(
                    sa.distinct(
                        PlacementFollowUp.source_type + ":" + sa.cast(PlacementFollowUp.source_id, sa.String)
                    )
                ),
            )
            .where(
                PlacementFollowUp.community_id.in_(ids),
                PlacementFollowUp.started_on.between(period.start, period.end),
            )
            .group_by(PlacementFollowUp.community_id)
        ).all()
    )
    found = {}
    for community_id, count in people.items():
        per_1000 = placed.get(community_id, 0) * 1000 / count
        found[community_id] = Measure(
            round(per_1000, 1),
            _clamp(per_1000 / PLACEMENTS_TARGET_PER_1000 * 100),
            f"就业{placed.get(community_id, 0)}人 / 劳动年龄人口{count}人，每千人{round(per_1000, 1)}",
        )
    return found


def retention(ids: list[int], period: Period) -> dict[int, Measure]:
    """Score the share still employed among the 3/6-month follow-ups answered in the period."""
    rows = db.session.execute(
        sa.select(PlacementFollowUp.community_id, PlacementFollowUp.answer, sa.func.count())
        .where(
            PlacementFollowUp.community_id.in_(ids),
            PlacementFollowUp.status == PlacementFollowUpStatus.answered.value,
            PlacementFollowUp.answered_at >= period.start_utc,
            PlacementFollowUp.answered_at < period.end_utc,
        )
        .group_by(PlacementFollowUp.community_id, PlacementFollowUp.answer)
    ).all()
    counts: dict[int, dict] = defaultdict(dict)
    for row in rows:
        counts[row.community_id][row.answer] = row[2]
    found = {}
    for community_id, answers in counts.items():
        total = sum(answers.values())
        still = answers.get(PlacementAnswer.still_employed.value, 0)
        found[community_id] = Measure(
            round(still / total, 3), _clamp(still / total * 100), f"回访{total}人次，仍在岗{still}人次"
        )
    return found


def on_time(ids: list[int], period: Period) -> dict[int, Measure]:
    """Score the share of registrations and claims of the period decided within their time limits."""
    config = current_app.config
    now = min(period.end_utc, utcnow())
    review_limit = timedelta(days=config["DEMONSTRATION_REVIEW_DAYS"])
    stages = config["CLAIM_STAGE_DAYS"]
    claim_limit = timedelta(
        days=sum(
            stages[s] for s in ("submitted", "accepted", "first_reviewed", "second_reviewed", "in_notice")
        )
    )
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # on time, counted

    def count(community_id, started, finished, limit):
        if finished is not None:
            tally[community_id][1] += 1
            tally[community_id][0] += finished - started <= limit
        elif now - started > limit:  # still open past its limit: late already
            tally[community_id][1] += 1

    for row in db.session.execute(
        sa.select(Registration.community_id, Registration.submitted_at, Registration.reviewed_at).where(
            Registration.community_id.in_(ids),
            Registration.submitted_at >= period.start_utc,
            Registration.submitted_at < period.end_utc,
        )
    ):
        count(row.community_id, row.submitted_at, row.reviewed_at, review_limit)
    for row in db.session.execute(
        sa.select(Claim.community_id, Claim.submitted_at, Claim.decided_at, Claim.status).where(
            Claim.community_id.in_(ids),
            Claim.submitted_at >= period.start_utc,
            Claim.submitted_at < period.end_utc,
            Claim.status != ClaimStatus.withdrawn.value,
        )
    ):
        count(row.community_id, row.submitted_at, row.decided_at, claim_limit)
    found = {}
    for community_id, (good, total) in tally.items():
        if total:
            found[community_id] = Measure(
                round(good / total, 3), _clamp(good / total * 100), f"登记与补贴{total}件，按时办结{good}件"
            )
    return found


def time_to_serve(ids: list[int], period: Period) -> dict[int, Measure]:
    """Score the median minutes from a station check-in to its service (quicker scores higher)."""
    rows = db.session.execute(
        sa.select(CheckIn.community_id, CheckIn.created_at, CheckIn.served_at).where(
            CheckIn.community_id.in_(ids),
            CheckIn.station_id.is_not(None),
            CheckIn.served_at.is_not(None),
            CheckIn.day.between(period.start, period.end),
        )
    ).all()
    waits: dict[int, list[float]] = defaultdict(list)
    for row in rows:
        waits[row.community_id].append(max(0.0, (row.served_at - row.created_at).total_seconds() / 60))
    found = {}
    for community_id, minutes in waits.items():
        median = statistics.median(minutes)
        found[community_id] = Measure(
            round(median, 1),
            _clamp(100 - median * 100 / SERVE_MINUTES_ZERO),
            f"服务站签到{len(minutes)}人次，中位接待用时{round(median)}分钟",
        )
    return found


def data_quality(ids: list[int], period: Period) -> dict[int, Measure]:
    """Score the share of households with every member's status known and a visit in the last year."""
    households = dict(
        db.session.execute(
            sa.select(Household.community_id, sa.func.count(Household.id))
            .where(Household.community_id.in_(ids))
            .group_by(Household.community_id)
        ).all()
    )
    unknown = set(
        db.session.execute(
            sa.select(Resident.community_id, Resident.household_id)
            .where(
                Resident.community_id.in_(ids),
                Resident.household_id.is_not(None),
                Resident.employment_status.is_(None),
            )
            .distinct()
        ).all()
    )
    seen = set(
        db.session.execute(
            sa.select(Visit.community_id, Visit.household_id)
            .where(Visit.community_id.in_(ids), Visit.visit_day > period.end - timedelta(days=365))
            .distinct()
        ).all()
    )
    all_households = db.session.execute(
        sa.select(Household.community_id, Household.id).where(Household.community_id.in_(ids))
    ).all()
    poor: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # unknown status, stale, either
    for community_id, household_id in all_households:
        key = (community_id, household_id)
        poor[community_id][0] += key in unknown
        poor[community_id][1] += key not in seen
        poor[community_id][2] += key in unknown or key not in seen
    found = {}
    for community_id, count in households.items():
        unknown_count, stale_count, bad = poor[community_id]
        share = 1 - bad / count
        found[community_id] = Measure(
            round(share, 3),
            _clamp(share * 100),
            f"{count}户中状态未知{unknown_count}户、一年未走访{stale_count}户",
        )
    return found


def fake_jobs(ids: list[int], period: Period) -> dict[int, Measure]:
    """Score the upheld fake-job reports of jobs placed in the community (none: full marks)."""
    jobs = dict(
        db.session.execute(sa.select(Job.id, Job.community_id).where(Job.community_id.in_(ids))).all()
    )
    upheld: dict[int, int] = defaultdict(int)
    job_ids = [str(job_id) for job_id in jobs]
    for start in range(0, len(job_ids), 500):
        for object_id, detail in db.session.execute(
            sa.select(AuditEvent.object_id, AuditEvent.detail).where(
                AuditEvent.action == "job.review",
                AuditEvent.object_type == "job",
                AuditEvent.object_id.in_(job_ids[start : start + 500]),
                AuditEvent.created_at >= period.start_utc,
                AuditEvent.created_at < period.end_utc,
            )
        ):
            detail = detail or {}
            if detail.get("decision") == "rejected" and (detail.get("reports") or 0) > 0:
                upheld[jobs[int(object_id)]] += 1
    return {
        community_id: Measure(
            upheld[community_id],
            _clamp(100 - upheld[community_id] * REPORT_POINTS),
            f"虚假岗位举报查实{upheld[community_id]}起",
        )
        for community_id in ids
    }


COMPUTE = {
    "visit_days": visit_days,
    "quarter_coverage": quarter_coverage,
    "zero_employment": zero_employment,
    "placements": placements,
    "retention": retention,
    "on_time": on_time,
    "time_to_serve": time_to_serve,
    "data_quality": data_quality,
    "fake_jobs": fake_jobs,
}
