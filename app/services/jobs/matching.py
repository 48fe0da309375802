"""Matching jobs and seekers: which fit, and one scoring function that orders them.

`fits()` is the hard filter (a seeker's radius, wanted kinds and categories, lowest wage,
education). `score()` orders what fits, out of 100:

- distance 40 × (1 − d / radius): nearest first, the plan's "路径最短最优";
- category 20 when wanted (10 when the seeker named none);
- kind 15 when wanted (7.5 when none named);
- wage 15 when the job's monthly top reaches the seeker's wanted wage (7.5 when either is unknown,
  else pro rata);
- skills 10 × the share of the job's skills the seeker has (5 when the job lists none).

A public_welfare job adds PRIORITY_BONUS for key-group residents (hard_to_employ today, or members
of a household the ledger core flags zero-employment), so they come first, as the plan's
公益性岗位 托底安置 requires.
"""

import logging
from dataclasses import dataclass

import redis
import sqlalchemy as sa

from app.common.geo import bounding_box, distance_m
from app.common.identity import mask_name
from app.errors import NotFound
from app.extensions import db, redis_log_level
from app.models import (
    EDUCATION_ORDER,
    STAFF_ROLES,
    Account,
    Education,
    Job,
    JobKind,
    KeyGroup,
    Resident,
    Resume,
    Role,
)
from app.services.jobs.employers import employer_of
from app.services.jobs.search import geo_index
from app.services.jobs.search.nearby import DEFAULT_RADIUS_M, SearchQuery, nearby_jobs, search_origin
from app.services.people import seekers as seekers_index
from app.services.people import status as ledger_core
from app.services.people.residents import resident_of
from app.services.people.scoping import get_in_scope, scoped

log = logging.getLogger(__name__)

PRIORITY_BONUS = 100.0
# How many nearest jobs (or seekers) are weighed for one list; enough for the first pages.
POOL = 500


@dataclass
class Seeker:
    """What matching needs of a resident: preferences, résumé, priority."""

    resident: Resident
    resume: Resume | None
    priority: bool = False

    @property
    def radius_m(self) -> int:
        """How far the seeker will go (default 3 km)."""
        return self.resident.seek_radius_m or DEFAULT_RADIUS_M


def fits(job: Job, seeker: Seeker, distance: float) -> bool:
    """Tell whether a job fits a seeker's stated wishes at all."""
    resident, resume = seeker.resident, seeker.resume
    if distance > seeker.radius_m:
        return False
    if resident.seek_kinds and job.kind not in resident.seek_kinds:
        return False
    if resident.seek_categories and job.category not in resident.seek_categories:
        return False
    if (
        resident.seek_wage_min
        and job.monthly_wage_max is not None
        and job.monthly_wage_max < resident.seek_wage_min
    ):
        return False
    has_level = job.education and resume is not None and resume.education
    return not (
        has_level and EDUCATION_ORDER[Education(resume.education)] < EDUCATION_ORDER[Education(job.education)]
    )


def score(job: Job, seeker: Seeker, distance: float, radius_m: float) -> float:
    """Score how well a job suits a seeker (higher is better); see the module docstring."""
    resident, resume = seeker.resident, seeker.resume
    total = 40.0 * max(0.0, 1.0 - distance / max(radius_m, 1))
    if not resident.seek_categories:
        total += 10.0
    elif job.category in resident.seek_categories:
        total += 20.0
    if not resident.seek_kinds:
        total += 7.5
    elif job.kind in resident.seek_kinds:
        total += 15.0
    if not resident.seek_wage_min or job.monthly_wage_max is None:
        total += 7.5
    else:
        total += 15.0 * min(1.0, job.monthly_wage_max / resident.seek_wage_min)
    job_skills = {s.lower() for s in job.skills or []}
    if not job_skills:
        total += 5.0
    else:
        have = {s.lower() for s in (resume.skills if resume and resume.skills else [])}
        total += 10.0 * len(job_skills & have) / len(job_skills)
    if job.kind == JobKind.public_welfare and seeker.priority:
        total += PRIORITY_BONUS
    return round(total, 2)


def priority_ids(resident_ids: list[int]) -> set[int]:
    """Return which residents are key-group for public-welfare jobs.

    Those hard to employ today, and members of a zero-employment household as the ledger core
    flags it (services/people/status.py: the one definition, kept current daily as ages move).
    """
    if not resident_ids:
        return set()
    hard = ledger_core.in_key_group(resident_ids, KeyGroup.hard_to_employ)
    return hard | ledger_core.in_zero_employment_household(resident_ids)


def _seekers(resident_ids: list[int]) -> dict[int, Seeker]:
    """Load seekers (with open résumés) by id, with their priority flag."""
    rows = db.session.execute(
        seekers_index.seekers_select(Resident, Resume).where(Resident.id.in_(resident_ids))
    ).all()
    priority = priority_ids([r.id for r, _ in rows])
    return {r.id: Seeker(r, resume, r.id in priority) for r, resume in rows}


def recommended_jobs(account: Account, page: int, per_page: int, lat=None, lng=None) -> list[dict]:
    """Return live jobs that fit the resident, best first (from home, or from a given point)."""
    resident = resident_of(account)
    lat, lng = search_origin(lat, lng, lambda: account)
    seeker = Seeker(resident, db.session.get(Resume, resident.id), bool(priority_ids([resident.id])))
    found = nearby_jobs(SearchQuery(lat=lat, lng=lng, radius_m=seeker.radius_m, per_page=POOL)).items
    ranked = sorted(
        (
            {"job": job, "distance_m": distance, "score": score(job, seeker, distance, seeker.radius_m)}
            for job, distance in found
            if fits(job, seeker, distance)
        ),
        key=lambda item: (-item["score"], item["distance_m"], item["job"].id),
    )
    start = (page - 1) * per_page
    return ranked[start : start + per_page]


def _job_for_candidates(actor: Account, job_id: int) -> Job:
    message = f"No job {job_id} of yours or in your area."
    if actor.role in STAFF_ROLES:
        return get_in_scope(Job, job_id, actor, "job_not_found", message)
    if actor.role == Role.employer:
        job = db.session.scalar(
            sa.select(Job).where(Job.id == job_id, Job.employer_id == employer_of(actor).id)
        )
    else:
        job = None
    if job is None:
        raise NotFound("job_not_found", message)
    return job


def nearby_seekers(job: Job, radius_m: int, count: int = POOL) -> list[tuple[int, float]]:
    """Return up to `count` (resident id, metres) of seekers near a job, nearest first.

    From the Redis GEO set of seekers, or from SQL (a lat/lng box) when Redis fails.
    """
    try:
        if geo_index.ensure_built():
            return seekers_index.search_seekers(job.lat, job.lng, radius_m, count)
    except redis.RedisError as error:
        level = redis_log_level(error)
        log.log(level, "GEO index unavailable (%s); seekers near job %s read from SQL", error, job.id)
    min_lat, max_lat, min_lng, max_lng = bounding_box(job.lat, job.lng, radius_m)
    rows = db.session.execute(
        seekers_index.seekers_select(Resident.id, Resident.home_lat, Resident.home_lng).where(
            Resident.home_lat.between(min_lat, max_lat), Resident.home_lng.between(min_lng, max_lng)
        )
    )
    found = sorted((distance_m(job.lat, job.lng, r.home_lat, r.home_lng), r.id) for r in rows)
    return [(rid, d) for d, rid in found if d <= radius_m][:count]


def candidates(actor: Account, job_id: int, radius_m: int, page: int, per_page: int) -> dict:
    """Return one page of seekers near a job whose wishes it fits, best first, masked for the actor."""
    job = _job_for_candidates(actor, job_id)
    near = nearby_seekers(job, radius_m)
    seekers = _seekers([rid for rid, _ in near])
    ranked = []
    for rid, distance in near:
        seeker = seekers.get(rid)
        if seeker is not None and fits(job, seeker, distance):
            ranked.append(
                {"seeker": seeker, "distance_m": distance, "score": score(job, seeker, distance, radius_m)}
            )
    ranked.sort(key=lambda item: (-item["score"], item["distance_m"], item["seeker"].resident.id))
    start = (page - 1) * per_page
    shown = ranked[start : start + per_page]
    followed = _followed_by(actor, [item["seeker"].resident.id for item in shown])
    items = [_candidate_view(item, item["seeker"].resident.id in followed) for item in shown]
    return {"items": items, "page": page, "per_page": per_page}


def _followed_by(actor: Account, resident_ids: list[int]) -> set[int]:
    """Return which of these residents the actor works with (staff, in their own place)."""
    # A job's radius crosses places (and a grid worker's unassigned communities): a seeker
    # outside the staff member's own place is shown to them as to an employer.
    if actor.role not in STAFF_ROLES or not resident_ids:
        return set()
    statement = scoped(sa.select(Resident.id).where(Resident.id.in_(resident_ids)), Resident, actor)
    return set(db.session.scalars(statement))


def _candidate_view(item: dict, is_staff: bool) -> dict:
    """Show a candidate with the family name only; ids and priority to staff who follow them."""
    seeker = item["seeker"]
    resident, resume = seeker.resident, seeker.resume
    return {
        "resident_id": resident.id if is_staff else None,
        "name": mask_name(resident.name),
        "gender": resident.gender,
        "age": resident.age(),
        "education": resume.education if resume else None,
        "skills": resume.skills if resume else None,
        "availability": resume.availability if resume else None,
        "distance_m": round(item["distance_m"]),
        "score": item["score"],
        # Whether someone is hard to employ is for staff, not for employers.
        "priority": seeker.priority if is_staff else None,
    }
