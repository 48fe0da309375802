"""Nearby job search: the job board in memory first; else Redis GEOSEARCH for candidates, SQL for filters.

The API's distance searches without text answer from this process's job board
(board.py). Text search, recommendations (which need Job objects) and a board
switched off take the GEO path: GEOSEARCH always runs with COUNT (a full 3 km circle
downtown holds tens of thousands of jobs); the sets are split by kind, the most selective
equality filter. When the SQL filters leave a page short, COUNT widens fourfold and only the
new candidates are checked. When Redis fails, a loaded board keeps answering (it then learns of
changes from the database), else the same query answers from SQL (a box, then flat-earth
distance); the Redis client's circuit breaker (app/extensions.py) makes that failure immediate.
"""

import logging
from dataclasses import dataclass

import redis
import sqlalchemy as sa
from flask import current_app

from app.common.geo import bounding_box, check_point, distance_m, planar_sq_distance
from app.errors import ValidationFailed
from app.extensions import db, redis_log_level
from app.models import Employer, Job, Role, utcnow, visible_clause
from app.services.jobs.search import geo_index
from app.services.jobs.search.board import Filters, JobBoard, result_options
from app.services.people.residents import resident_of

log = logging.getLogger(__name__)

DEFAULT_RADIUS_M, MAX_RADIUS_M = 3000, 50000
# The deepest result a distance-ordered search pages to (page × per_page).
MAX_RESULTS = 1000
ID_CHUNK = 500
# Redis stores 52-bit geohashes (well under a metre off); a bigger gap means a stale entry.
STALE_POSITION_M = 5.0
# The employer's credibility score, the tie-breaker at equal distance (-1: never computed). Read
# from the employers row (a copy of jobs.credibility's score): search imports nothing of that module.
CREDIBILITY = sa.func.coalesce(
    sa.select(Employer.credibility_score).where(Employer.id == Job.employer_id).scalar_subquery(), -1
)


def _credibility(job: Job) -> int:
    """Return the job's employer's credibility score for ordering (-1 when never computed)."""
    score = job.employer.credibility_score
    return score if score is not None else -1


@dataclass
class SearchQuery:
    """What a nearby search asks for."""

    lat: float
    lng: float
    radius_m: int = DEFAULT_RADIUS_M
    kind: str | None = None
    category: str | None = None
    wage_min: int | None = None
    q: str | None = None
    sort: str = "distance"
    page: int = 1
    per_page: int = 20

    @property
    def has_sql_filters(self) -> bool:
        """Tell whether filters beyond kind apply (they thin out the GEO candidates)."""
        return bool(self.category or self.wage_min or self.q)


@dataclass
class SearchPage:
    """One page of results: (job, metres) pairs, whether more follow, and which path answered."""

    items: list[tuple[Job, float]]
    has_more: bool
    source: str
    # From the job board instead of items: each job's summary JSON as the API renders it, and metres.
    rendered: list[tuple[bytes, float]] | None = None


def _filters(query: SearchQuery, now) -> list:
    clauses = [visible_clause(now)]
    if query.kind:
        clauses.append(Job.kind == query.kind)
    if query.category:
        clauses.append(Job.category == query.category)
    if query.wage_min:
        clauses.append(Job.monthly_wage_max >= query.wage_min)
    if query.q:
        clauses.append(
            sa.or_(
                Job.title.contains(query.q, autoescape=True),
                Job.description.contains(query.q, autoescape=True),
            )
        )
    return clauses


def _load(ids: list[int], clauses: list) -> dict[int, Job]:
    """Load the jobs among `ids` that pass the filters, by primary key."""
    found: dict[int, Job] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        rows = db.session.scalars(
            sa.select(Job).options(*result_options()).where(Job.id.in_(chunk), *clauses)
        )
        found.update((job.id, job) for job in rows)
    return found


def _by_redis(query: SearchQuery, needed: int) -> list[tuple[Job, float]]:
    """Walk GEOSEARCH results outwards until `needed` jobs pass the filters or the circle ends."""
    clauses = _filters(query, utcnow())
    # A little over what a page needs (only stale entries drop out); 8× when other filters
    # will throw candidates away.
    count = needed * 8 if query.has_sql_filters else needed + max(needed // 4, 4)
    kept: list[tuple[Job, float]] = []
    seen = 0
    while True:
        hits = geo_index.search_jobs(query.lat, query.lng, query.radius_m, query.kind, count)
        fresh = hits[seen:]
        jobs = _load([job_id for job_id, _ in fresh], clauses)
        for job_id, dist in fresh:
            job = jobs.get(job_id)
            if job is None:
                continue
            actual = distance_m(query.lat, query.lng, job.lat, job.lng)
            if abs(actual - dist) > STALE_POSITION_M:
                # Moved while Redis missed the update: the database decides. Leave it out of
                # this answer (its right place may lie among candidates not fetched) and fix
                # the index for the next one.
                geo_index.sync_job(job)
                continue
            kept.append((job, actual))
        seen = len(hits)
        if len(kept) >= needed or len(hits) < count:
            # Nearest first; at equal distance the more credible employer, then the lower id.
            kept.sort(key=lambda hit: (hit[1], -_credibility(hit[0]), hit[0].id))
            return kept
        count *= 4


def _by_sql(query: SearchQuery, needed: int) -> list[tuple[Job, float]]:
    """The same search in SQL alone: a lat/lng box, then flat-earth distance for order and cut-off."""
    min_lat, max_lat, min_lng, max_lng = bounding_box(query.lat, query.lng, query.radius_m)
    sq_distance = planar_sq_distance(Job.lat, Job.lng, query.lat, query.lng)
    statement = (
        sa.select(Job)
        .options(*result_options())
        .where(
            *_filters(query, utcnow()),
            Job.lat.between(min_lat, max_lat),
            Job.lng.between(min_lng, max_lng),
            sq_distance <= query.radius_m**2,
        )
    )
    if query.sort == "newest":
        statement = statement.order_by(Job.refreshed_at.desc(), Job.id.desc())
    else:
        statement = statement.order_by(sq_distance, CREDIBILITY.desc(), Job.id)
    jobs = db.session.scalars(statement.limit(needed))
    return [(job, distance_m(query.lat, query.lng, job.lat, job.lng)) for job in jobs]


def search_origin(lat: float | None, lng: float | None, caller) -> tuple[float, float]:
    """Return the point to search from: the one given, else the logged-in resident's home.

    `caller` is called only when no point is given (it reads the optional login).
    """
    if lat is not None or lng is not None:
        check_point(lat, lng)
        return lat, lng
    account = caller()
    if account is not None and account.role == Role.resident:
        resident = resident_of(account)
        if resident.home_lat is not None and resident.home_lng is not None:
            return resident.home_lat, resident.home_lng
    raise ValidationFailed(
        "lat", "Send lat and lng (GCJ-02), or log in with a home location set.", code="location_required"
    )


def _board() -> JobBoard | None:
    """Return this process's job board, or None when it is switched off (JOB_BOARD) or absent."""
    if not current_app.config.get("JOB_BOARD"):
        return None
    return current_app.extensions.get("job_board")


def warm_job_board() -> None:
    """Load this process's job board now (a worker starting), rather than in its first search."""
    board = _board()
    if board is None:
        return
    try:
        if geo_index.ensure_built():
            board.sync(current_app.config["JOB_BOARD_RECHECK_SECONDS"], geo_index.READY)
    except redis.RedisError as error:
        log.warning("job board loaded from the database alone: Redis unavailable (%s)", error)
        board.load_without_redis()


def _from_board(board: JobBoard, query: SearchQuery, needed: int) -> list[tuple[bytes, float]] | None:
    """Ask the job board, rebuilding the GEO index first if Redis lost it; None while another rebuilds.

    With Redis down, a board that was ever loaded still answers (catching up from the database
    instead); one never loaded raises RedisError, and SQL answers.
    """
    config = current_app.config
    recheck = config["JOB_BOARD_RECHECK_SECONDS"]
    try:
        # Between syncs, a change made in another process reaches this one within JOB_BOARD_SYNC_SECONDS.
        if board.due(config["JOB_BOARD_SYNC_SECONDS"]) and not board.sync(recheck, geo_index.READY):
            if not geo_index.ensure_built():
                return None
            board.sync(recheck, geo_index.READY)
    except redis.RedisError as error:
        if not board.loaded:
            raise
        level = redis_log_level(error)
        log.log(level, "GEO index unavailable (%s); search answered from the job board", error)
        board.catch_up_without_redis()
    filters = Filters(query.lat, query.lng, query.radius_m, query.kind, query.category, query.wage_min)
    return board.nearest(filters, needed)


def nearby_jobs(query: SearchQuery, rendered: bool = False) -> SearchPage:
    """Return one page of live jobs within the radius, nearest (or newest) first.

    With `rendered`, the job board may answer a distance search without text (`q`): the page
    then holds each job's JSON in `rendered` rather than Job objects in `items`.
    """
    if query.page * query.per_page > MAX_RESULTS:
        raise ValidationFailed(
            "page", f"Search pages reach the nearest {MAX_RESULTS} jobs; narrow the filters."
        )
    needed = query.page * query.per_page + 1
    start = (query.page - 1) * query.per_page
    source = "sql"
    if query.sort == "distance":
        board = _board() if rendered and not query.q else None
        try:
            hits = _from_board(board, query, needed) if board is not None else None
            if hits is not None:
                more = len(hits) > query.page * query.per_page
                return SearchPage([], more, "board", rendered=hits[start : start + query.per_page])
            if not geo_index.ensure_built():
                found = _by_sql(query, needed)  # another process is rebuilding the index
            else:
                found = _by_redis(query, needed)
                source = "redis"
        except redis.RedisError as error:
            # Logged as a warning once; while the breaker is open (it said so) only at DEBUG.
            level = redis_log_level(error)
            log.log(level, "GEO index unavailable (%s); nearby search answered from SQL", error)
            found = _by_sql(query, needed)
    else:
        # Newest first needs every job in the circle, not the nearest few: SQL's box does that.
        found = _by_sql(query, needed)
    return SearchPage(found[start : start + query.per_page], len(found) > query.page * query.per_page, source)
