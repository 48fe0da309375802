"""The Redis GEO index of live jobs (one set per kind, plus all), rebuilt with the seekers' set.

The database is the truth: every search re-checks candidates in SQL, so a stale entry can
only cost a little work, and `flask rebuild-geo-index` rebuilds every set from the database
(the seekers' set is people/seekers.py's). Writes happen after the database commit; a Redis
failure there is logged, not raised.
"""

import logging
from datetime import timedelta

import redis
import sqlalchemy as sa

from app.common.geo import geo_nearest
from app.extensions import db, get_redis, is_cluster
from app.models import Job, JobKind, Resident, Resume, is_searchable, utcnow, visible_clause
from app.services.jobs.search import board
from app.services.people import seekers
from app.services.people.seekers import SEEKERS, seekers_select

log = logging.getLogger(__name__)

JOBS_ALL = "geo:jobs:all"
# Set by a finished rebuild. Missing means Redis lost the sets (it restarted without
# persistence, or it is the in-process fakeredis of a fresh process): rebuild before use.
READY = "geo:ready"
REBUILD_LOCK = "geo:rebuild-lock"
REBUILD_LOCK_SECONDS = 600
REBUILD_BATCH = 5000


def jobs_key(kind: str | None) -> str:
    """Return the GEO set holding published jobs of one kind (or all kinds)."""
    return f"geo:jobs:{JobKind(kind).value}" if kind else JOBS_ALL


def _all_job_keys() -> list[str]:
    return [JOBS_ALL] + [jobs_key(kind) for kind in JobKind]


def _rebuild_key(key: str) -> str:
    """Return the temporary set a rebuild fills for `key`: tagged with `key`, so in its slot (RENAME)."""
    return "{" + key + "}:rebuild"


def sync_job(job: Job) -> None:
    """Put a job into the index, or take it out, to match its state; call after commit."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        for key in _all_job_keys():
            pipe.zrem(key, job.id)
        if is_searchable(job):
            pipe.geoadd(JOBS_ALL, (job.lng, job.lat, job.id))
            pipe.geoadd(jobs_key(job.kind), (job.lng, job.lat, job.id))
        pipe.execute()
        board.note_changes(get_redis(), [job.id])
    except redis.RedisError:
        log.warning("GEO index: could not sync job %s; run `flask rebuild-geo-index`", job.id, exc_info=True)


def unindex_jobs(job_ids: list[int]) -> None:
    """Take jobs out of the index (expired in bulk); call after commit."""
    if not job_ids:
        return
    try:
        pipe = get_redis().pipeline(transaction=False)
        for key in _all_job_keys():
            pipe.zrem(key, *job_ids)
        pipe.execute()
        board.note_changes(get_redis(), job_ids)
    except redis.RedisError:
        log.warning("GEO index: could not remove %d jobs", len(job_ids), exc_info=True)


def ensure_built() -> bool:
    """Tell whether the sets are complete, rebuilding them first when Redis has lost them.

    Only one process rebuilds (a Redis lock); the others answer from SQL meanwhile (False).
    Raises RedisError when Redis is down.
    """
    connection = get_redis()
    if connection.exists(READY):
        return True
    if not connection.set(REBUILD_LOCK, "1", nx=True, ex=REBUILD_LOCK_SECONDS):
        return False
    try:
        log.warning("GEO index missing; rebuilding it from the database")
        rebuild()
    finally:
        connection.delete(REBUILD_LOCK)
    return True


def search_jobs(
    lat: float, lng: float, radius_m: float, kind: str | None, count: int
) -> list[tuple[int, float]]:
    """Return up to `count` (job id, metres) nearest first within the radius; raises RedisError."""
    return geo_nearest(get_redis(), jobs_key(kind), lat, lng, radius_m, count)


def _fill(connection, rows, keys_of) -> None:
    """GEOADD rows in batches into the temporary keys `keys_of(row)` names."""
    batch = connection.pipeline(transaction=False)
    for n, (member, lat, lng, keys) in enumerate(keys_of(row) for row in rows):
        for key in keys:
            batch.geoadd(key, (lng, lat, member))
        if n % REBUILD_BATCH == REBUILD_BATCH - 1:
            batch.execute()
    batch.execute()


def rebuild() -> dict:
    """Rebuild every GEO set from the database; readers see the old sets until the swap."""
    connection = get_redis()
    now = utcnow()
    job_keys = _all_job_keys()
    for key in job_keys + [SEEKERS]:
        connection.delete(_rebuild_key(key))
    jobs = db.session.execute(
        sa.select(Job.id, Job.lat, Job.lng, Job.kind)
        .where(visible_clause(now))
        .execution_options(yield_per=REBUILD_BATCH)
    )
    counts = {"jobs": 0, "seekers": 0}

    def job_keys_of(row):
        counts["jobs"] += 1
        return row.id, row.lat, row.lng, (_rebuild_key(JOBS_ALL), _rebuild_key(jobs_key(row.kind)))

    _fill(connection, jobs, job_keys_of)
    seeker_rows = db.session.execute(
        seekers_select(Resident.id, Resident.home_lat, Resident.home_lng).execution_options(
            yield_per=REBUILD_BATCH
        )
    )

    def seeker_keys_of(row):
        counts["seekers"] += 1
        return row.id, row.home_lat, row.home_lng, (_rebuild_key(SEEKERS),)

    _fill(connection, seeker_rows, seeker_keys_of)
    # One MULTI on a single Redis. A cluster's sets live in several slots, which no MULTI spans
    # (and its pipelines refuse RENAME): there each command goes at once, in this order, the
    # ready key and new generation last (a reader may briefly mix old and new sets; searches
    # re-check every candidate in SQL, and _catch_up below re-syncs what changed).
    swap = connection if is_cluster(connection) else connection.pipeline(transaction=True)
    for key in job_keys + [SEEKERS]:
        # RENAME fails on a missing key (an empty set); delete the live one instead.
        if connection.exists(_rebuild_key(key)):
            swap.rename(_rebuild_key(key), key)
        else:
            swap.delete(key)
    swap.set(READY, "1")
    board.new_generation(swap)  # every process's job board reloads from the database
    if swap is not connection:
        swap.execute()
    # A second of slack: MySQL DATETIME columns keep whole seconds.
    _catch_up(now - timedelta(seconds=1))
    return counts


def _catch_up(since) -> None:
    """Re-sync what changed while the rebuild read the database: the swap may have hidden it."""
    for job in db.session.scalars(sa.select(Job).where(Job.updated_at >= since)):
        sync_job(job)
    changed = db.session.execute(
        sa.select(Resident, Resume)
        .outerjoin(Resume, Resume.resident_id == Resident.id)
        .where(sa.or_(Resident.updated_at >= since, Resume.updated_at >= since))
    )
    for resident, resume in changed:
        seekers.sync_seeker(resident, resume)
