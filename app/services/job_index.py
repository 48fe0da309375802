"""The Redis GEO index of published jobs (one set per kind, plus all) and of seekers' homes.

The database is the truth: every search re-checks candidates in SQL, so a stale entry can
only cost a little work, and `flask rebuild-geo-index` rebuilds both from the database.
Writes happen after the database commit; a Redis failure there is logged, not raised.
"""

import logging
from datetime import timedelta

import redis
import sqlalchemy as sa

from app.extensions import db, get_redis
from app.models import Account, Job, JobKind, JobStatus, Resident, Resume, Role, utcnow
from app.services import job_board

log = logging.getLogger(__name__)

JOBS_ALL = "geo:jobs:all"
SEEKERS = "geo:seekers"
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


def is_searchable(job: Job, now=None) -> bool:
    """Tell whether a job belongs in search: published and not past its end."""
    return job.status == JobStatus.published and job.valid_until > (now or utcnow())


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
        job_board.note_changes(get_redis(), [job.id])
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
        job_board.note_changes(get_redis(), job_ids)
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
    return _nearest(jobs_key(kind), lat, lng, radius_m, count)


def _nearest(key: str, lat: float, lng: float, radius_m: float, count: int) -> list[tuple[int, float]]:
    """GEOSEARCH one set: up to `count` (member id, metres), nearest first (always with COUNT)."""
    hits = get_redis().geosearch(
        key, longitude=lng, latitude=lat, radius=radius_m, unit="m", sort="ASC", count=count, withdist=True
    )
    return [(int(member), float(dist)) for member, dist in hits]


def seekers_select(*columns):
    """SELECT `columns` of seekers: residents with a resident account, an open résumé and a home.

    The SQL twin of `is_seeking()`; the rebuild, the candidates and their SQL fallback use it.
    """
    return (
        sa.select(*columns)
        .join(Resume, Resume.resident_id == Resident.id)
        .join(Account, Account.id == Resident.account_id)
        .where(
            Resume.open_to_work.is_(True),
            Account.role == Role.resident,
            Resident.home_lat.is_not(None),
            Resident.home_lng.is_not(None),
        )
    )


def is_seeking(resident: Resident, resume: Resume | None) -> bool:
    """Tell whether a resident is a seeker: an open résumé and a home on the map."""
    return (
        resume is not None
        and resume.open_to_work
        and resident.account is not None
        and resident.account.role == Role.resident
        and resident.home_lat is not None
        and resident.home_lng is not None
    )


def sync_seeker(resident: Resident, resume: Resume | None) -> None:
    """Put a resident's home into the seekers' set, or take it out; call after commit."""
    try:
        if is_seeking(resident, resume):
            get_redis().geoadd(SEEKERS, (resident.home_lng, resident.home_lat, resident.id))
        else:
            get_redis().zrem(SEEKERS, resident.id)
    except redis.RedisError:
        log.warning("GEO index: could not sync seeker %s", resident.id, exc_info=True)


def search_seekers(lat: float, lng: float, radius_m: float, count: int) -> list[tuple[int, float]]:
    """Return up to `count` (resident id, metres) nearest first; raises RedisError."""
    return _nearest(SEEKERS, lat, lng, radius_m, count)


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
        connection.delete(key + ":rebuild")
    jobs = db.session.execute(
        sa.select(Job.id, Job.lat, Job.lng, Job.kind)
        .where(Job.status == JobStatus.published, Job.valid_until > now)
        .execution_options(yield_per=REBUILD_BATCH)
    )
    counts = {"jobs": 0, "seekers": 0}

    def job_keys_of(row):
        counts["jobs"] += 1
        return row.id, row.lat, row.lng, (JOBS_ALL + ":rebuild", jobs_key(row.kind) + ":rebuild")

    _fill(connection, jobs, job_keys_of)
    seekers = db.session.execute(
        seekers_select(Resident.id, Resident.home_lat, Resident.home_lng).execution_options(
            yield_per=REBUILD_BATCH
        )
    )

    def seeker_keys_of(row):
        counts["seekers"] += 1
        return row.id, row.home_lat, row.home_lng, (SEEKERS + ":rebuild",)

    _fill(connection, seekers, seeker_keys_of)
    swap = connection.pipeline(transaction=True)
    for key in job_keys + [SEEKERS]:
        # RENAME fails on a missing key (an empty set); delete the live one instead.
        if connection.exists(key + ":rebuild"):
            swap.rename(key + ":rebuild", key)
        else:
            swap.delete(key)
    swap.set(READY, "1")
    job_board.new_generation(swap)  # every process's job board reloads from the database
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
        sync_seeker(resident, resume)
