"""Hiring needs: the positions recorded on employer visits, their list, and their draft job posts."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.common.clock import local_day, utc_start_of
from app.errors import Conflict, NotFound
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Community,
    Employer,
    EmployerVisit,
    HiringNeed,
    HiringNeedState,
    Job,
    JobStatus,
    utcnow,
)
from app.services.jobs.employer_visits import READ_ROLES, RECORD_ROLES, open_need_clause, require_role
from app.services.jobs.posts import monthly
from app.services.people import audit
from app.services.people.places import locate
from app.services.people.scoping import worked_on
from app.services.results import Page, paginate


def client_id_of(need: HiringNeed) -> str:
    """Return the client_id of the draft job made of a need: the jobs' own unique key keeps it single."""
    return f"hiring-need:{need.id}"


def _point(employer: Employer) -> tuple[float, float]:
    """Return where the employer's jobs stand: its location, else its community's (staff registered it)."""
    if employer.lat is not None and employer.lng is not None:
        return employer.lat, employer.lng
    community = db.session.get(Community, employer.community_id) if employer.community_id else None
    if community is None or community.lat is None or community.lng is None:
        raise Conflict(
            "location_required", "Give the employer's location first: its job posts need a place on the map."
        )
    return community.lat, community.lng


def _valid_until(need: HiringNeed, now: datetime) -> datetime:
    """Return how long the draft runs: to the end of the need's deadline, within the jobs' limits."""
    default = now + timedelta(days=current_app.config["JOB_VALID_DAYS"])
    if need.deadline is None:
        return default
    end = utc_start_of(need.deadline + timedelta(days=1)) - timedelta(seconds=1)
    longest = now + timedelta(days=current_app.config["JOB_MAX_VALID_DAYS"])
    return default if end <= now else min(end, longest)


def _draft(need: HiringNeed, employer: Employer, now: datetime) -> Job:
    """Return a draft job post of one position, owned by the employer and placed as posts.py places jobs."""
    lat, lng = _point(employer)
    job = Job(
        employer_id=employer.id,
        client_id=client_id_of(need),
        title=need.title,
        category=need.category,
        kind=need.kind,
        wage_min=need.wage_min,
        wage_max=need.wage_max,
        wage_unit=need.wage_unit,
        monthly_wage_max=monthly(
            need.wage_max if need.wage_max is not None else need.wage_min, need.wage_unit
        ),
        headcount=need.headcount,
        address=employer.address,
        lat=lat,
        lng=lng,
        skills=need.skills,
        status=JobStatus.draft.value,
        valid_until=_valid_until(need, now),
    )
    places = locate(lat, lng)
    if places["township_id"] is None:
        # Outside every known township: the job belongs where its employer does.
        places = {name: getattr(employer, name) for name in PLACE_COLUMN_NAMES}
    for name, value in places.items():
        setattr(job, name, value)
    return job


def _visit_in_reach(actor: Account, visit_id: int) -> EmployerVisit:
    visit = db.session.scalar(
        worked_on(sa.select(EmployerVisit), EmployerVisit, actor)
        .options(selectinload(EmployerVisit.needs))
        .where(EmployerVisit.id == visit_id)
    )
    if visit is None:
        raise NotFound("employer_visit_not_found", f"No employer visit {visit_id} in your area.")
    return visit


def make_drafts(actor: Account, visit_id: int, ip: str | None) -> dict:
    """Turn a visit's hiring needs into draft job posts, one per position; needs drafted before keep theirs.

    The drafts belong to the employer (it edits, submits and publishes them once verified); an
    employer staff registered and nobody claimed yet finds them waiting when it claims the record.
    """
    require_role(actor, RECORD_ROLES, "make job posts of hiring needs")
    visit = _visit_in_reach(actor, visit_id)
    if not visit.needs:
        raise Conflict("no_hiring_needs", "This visit recorded no hiring needs.")
    employer = db.session.get(Employer, visit.employer_id)
    now, new = utcnow(), []
    try:
        for need in visit.needs:
            if need.job_id is not None:
                continue
            job = _draft(need, employer, now)
            db.session.add(job)
            db.session.flush()
            need.job_id, need.drafted_at, need.drafted_by_id = job.id, now, actor.id
            new.append(job.id)
        if new:
            audit.record(
                "hiring_need.draft_jobs",
                actor=actor,
                object_type="employer_visit",
                object_id=visit.id,
                ip=ip,
                detail={"employer_id": employer.id, "job_ids": new},
            )
            db.session.commit()
    except IntegrityError:
        # Drafts of the same visit made twice at once: the unique keys keep the first request's.
        db.session.rollback()
        visit, new = _visit_in_reach(actor, visit_id), []
    jobs = {
        job.id: job
        for job in db.session.scalars(sa.select(Job).where(Job.id.in_(n.job_id for n in visit.needs)))
    }
    return {
        "visit_id": visit.id,
        "created": len(new),
        "jobs": [jobs[need.job_id] for need in visit.needs if need.job_id in jobs],
    }


def needs_statement(actor: Account, filters: dict):
    """Return the SELECT of the hiring needs the actor works on, filtered (the API's and the console's list).

    Filters: place (a PlaceRef-like kind and id), state (HiringNeedState), category, since/until
    (the visit's day), employer_id.
    """
    statement = worked_on(sa.select(HiringNeed), HiringNeed, actor).join(
        EmployerVisit, EmployerVisit.id == HiringNeed.visit_id
    )
    if filters.get("place") is not None:
        place = filters["place"]
        statement = statement.where(getattr(HiringNeed, f"{place.kind}_id") == place.id)
    state, today = filters.get("state"), local_day()
    if state == HiringNeedState.open:
        statement = statement.where(open_need_clause(today))
    elif state == HiringNeedState.drafted:
        statement = statement.where(HiringNeed.job_id.is_not(None))
    elif state == HiringNeedState.expired:
        statement = statement.where(HiringNeed.job_id.is_(None), HiringNeed.deadline < today)
    if filters.get("category"):
        statement = statement.where(HiringNeed.category == filters["category"])
    if filters.get("since"):
        statement = statement.where(EmployerVisit.visited_on >= filters["since"])
    if filters.get("until"):
        statement = statement.where(EmployerVisit.visited_on <= filters["until"])
    if filters.get("employer_id"):
        statement = statement.where(HiringNeed.employer_id == filters["employer_id"])
    return statement


def list_needs(actor: Account, page: int, per_page: int, **filters) -> Page:
    """Return one page of the hiring needs the actor works on, soonest deadline first (none last)."""
    require_role(actor, READ_ROLES, "read hiring needs")
    return paginate(
        needs_statement(actor, filters),
        page,
        per_page,
        order_by=(HiringNeed.deadline.is_(None), HiringNeed.deadline, HiringNeed.id.desc()),
        options=(selectinload(HiringNeed.employer), selectinload(HiringNeed.visit)),
    )
