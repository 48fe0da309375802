"""The job board: this process's copy of every live job, so nearby search needs no SQL.

Nearby search is the busiest call of the mini-program. Each process keeps the jobs anyone
may find as columns (numpy arrays of position, kind, category, monthly wage and end of
validity, sorted by latitude) beside each job's result JSON, rendered once when the job is
loaded. A search is then arithmetic over one latitude band, a partial sort, and a join of
ready-made bytes: no query, no ORM objects, no marshmallow per request.

Freshness comes through Redis. After every commit that changes a job's place in search,
`note_changes()` bumps a version and files the job ids under it (one Lua call). Before a
search the board reads the version (one round trip: at most every JOB_BOARD_SYNC_SECONDS, and
at once after this process changed a job) and reloads only the changed jobs, by primary key.
A rebuild of the GEO index starts a new generation; a board whose changes were trimmed from
the log, or whose Redis lost them, reloads in full. Every JOB_BOARD_RECHECK_SECONDS the board
also reloads the jobs whose `updated_at` moved, so a change whose note was lost (Redis down
just then) is wrong in search for about that long at most. While Redis is down altogether a
loaded board keeps answering and asks the database every OUTAGE_RECHECK_SECONDS instead.

Long because the board is one concept: its columns, how it loads, and how it stays fresh.
"""

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, joinedload, load_only

from app.common.geo import METRES_PER_DEGREE_LAT, bounding_box, distance_m
from app.extensions import db, get_redis
from app.models import Employer, Job, JobCategory, JobKind, utcnow, visible_clause

log = logging.getLogger(__name__)

# One hash tag, {board}: the Lua script below uses these keys together, and on a Redis
# Cluster the keys of one script must share a slot.
VERSION = "{board}:version"
CHANGES = "{board}:changes"  # job id → the version that last changed it
FLOOR = "{board}:floor"  # the newest version trimmed out of CHANGES
GENERATION = "{board}:generation"
# Changes kept for boards that fell behind; one that fell further reloads in full.
CHANGES_KEPT = 100_000
# While Redis is down no note of a change arrives: a board answering anyway asks the database
# what changed at most this often (one indexed query), so it stays that close to the truth.
OUTAGE_RECHECK_SECONDS = 2.0
# Jobs changed since the columns were built are checked one by one; past this many the
# columns are rebuilt (from memory, not from the database).
OVERLAY_LIMIT = 256
LOAD_CHUNK = 2000

# Bump the version, file the ids under it, trim the log to ARGV[1] entries (remembering the
# newest trimmed version as the floor) and return the version.
_NOTE_CHANGES = """
local version = redis.call('INCR', KEYS[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[2], version, ARGV[i]) end
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[1])
if extra > 0 then
  local cut = redis.call('ZRANGE', KEYS[2], extra - 1, extra - 1, 'WITHSCORES')
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1)
  redis.call('SET', KEYS[3], cut[2])
end
return version
"""

# What a search result shows and matching weighs: reading only these columns (and three of
# the employer's) halves the time PyMySQL spends decoding rows.
RESULT_COLUMNS = (
    Job.id,
    Job.employer_id,
    Job.title,
    Job.category,
    Job.kind,
    Job.wage_min,
    Job.wage_max,
    Job.wage_unit,
    Job.monthly_wage_max,
    Job.headcount,
    Job.address,
    Job.lat,
    Job.lng,
    Job.education,
    Job.skills,
    Job.status,
    Job.refreshed_at,
    Job.valid_until,
    Job.source,
)

# What the board keeps of a job: what a search result shows, and what its filters read.
BOARD_COLUMNS = tuple(column for column in RESULT_COLUMNS if column.key not in ("education", "skills"))
KIND_CODES = {kind.value: code for code, kind in enumerate(JobKind)}
CATEGORY_CODES = {category.value: code for code, category in enumerate(JobCategory)}
_EPOCH = datetime(1970, 1, 1)


def result_options():
    """Return the loader options of a search result (its columns and the employer's)."""
    return (
        load_only(*RESULT_COLUMNS),
        joinedload(Job.employer).load_only(
            Employer.id, Employer.name, Employer.status, Employer.credibility_score
        ),
    )


def note_changes(connection, job_ids) -> int:
    """Record that these jobs changed (call after commit); return the new version.

    This process's own board then catches up in its next search, whatever JOB_BOARD_SYNC_SECONDS.
    """
    script = connection.register_script(_NOTE_CHANGES)
    version = int(script(keys=[VERSION, CHANGES, FLOOR], args=[CHANGES_KEPT, *job_ids]))
    board = current_app.extensions.get("job_board")
    if board is not None:
        board.stale = True
    return version


def _read_state(connection, ready_key: str) -> list:
    """Return `ready_key`'s value, the version, generation and floor: GETs in one round trip."""
    # Not one MGET: the GEO index's ready key is in another cluster slot than {board}.
    pipe = connection.pipeline(transaction=False)
    for key in (ready_key, VERSION, GENERATION, FLOOR):
        pipe.get(key)
    return pipe.execute()


def new_generation(pipe) -> None:
    """Queue on `pipe` the start of a new generation: every board reloads in full."""
    # Random, not a counter: a Redis that lost everything would count the same numbers again.
    pipe.set(GENERATION, uuid.uuid4().hex)


def _seconds(moment: datetime) -> float:
    return (moment - _EPOCH).total_seconds()


@dataclass(frozen=True, slots=True)
class Entry:
    """One live job as the board keeps it."""

    id: int
    lat: float
    lng: float
    kind: int
    category: int
    wage: int  # monthly_wage_max, -1 when unknown (no wage filter passes it, as in SQL)
    until: float  # valid_until, seconds since the epoch (UTC)
    fragment: bytes  # the job's summary JSON, as the API renders it
    # The employer's credibility score (-1 when never computed): at equal distance the more
    # credible employer's job comes first (docs/PROGRAMME.md, "Employer credibility").
    credibility: int = -1

    def passes(self, kind: int | None, category: int | None, wage_min: int | None, now: float) -> bool:
        """Tell whether the filters let this job through."""
        return (
            self.until > now
            and (kind is None or self.kind == kind)
            and (category is None or self.category == category)
            and (not wage_min or self.wage >= wage_min)
        )


class Columns:
    """The entries as arrays sorted by latitude; `alive` clears an entry replaced since."""

    def __init__(self, entries: list[Entry]):
        entries = sorted(entries, key=lambda entry: (entry.lat, entry.id))
        count = len(entries)
        self.entries = entries
        self.ids = np.fromiter((e.id for e in entries), dtype=np.int64, count=count)
        self.lat = np.fromiter((e.lat for e in entries), dtype=np.float64, count=count)
        self.lng = np.fromiter((e.lng for e in entries), dtype=np.float64, count=count)
        self.kind = np.fromiter((e.kind for e in entries), dtype=np.int16, count=count)
        self.category = np.fromiter((e.category for e in entries), dtype=np.int16, count=count)
        self.wage = np.fromiter((e.wage for e in entries), dtype=np.int64, count=count)
        self.until = np.fromiter((e.until for e in entries), dtype=np.float64, count=count)
        self.credibility = np.fromiter((e.credibility for e in entries), dtype=np.int16, count=count)
        self.alive = np.ones(count, dtype=bool)
        self.row_of = {entry.id: row for row, entry in enumerate(entries)}


@dataclass(frozen=True)
class Filters:
    """A nearby search as the board answers it."""

    lat: float
    lng: float
    radius_m: float
    kind: str | None = None
    category: str | None = None
    wage_min: int | None = None


def _planar_sq(lat: float, lng: float, lats, lngs):
    """Squared flat-earth distance in m², the same formula as `geo.planar_sq_distance`."""
    cos0, sin0 = math.cos(math.radians(lat)), math.sin(math.radians(lat))
    dlat = lats - lat
    dy = dlat * METRES_PER_DEGREE_LAT
    dx = (lngs - lng) * METRES_PER_DEGREE_LAT * (cos0 - sin0 * dlat * (math.pi / 360))
    return dy * dy + dx * dx


class JobBoard:
    """Every live job of the database, in this process, kept fresh through Redis."""

    def __init__(self, render):
        # render(jobs) -> one JSON fragment (bytes) per job, as the API shows a job in a list.
        self._render = render
        self._lock = threading.Lock()
        self.generation: str | None | object = object()  # matches nothing: load on first use
        self.version = 0
        # When the database was last asked what changed (monotonic, and the app's UTC clock).
        self.checked_at, self.checked_utc = 0.0, utcnow()
        # When Redis was last asked for the version, and whether this process changed a job since.
        self.synced_at, self.stale = 0.0, False
        self._columns = Columns([])
        self._overlay: dict[int, Entry] = {}
        self.loaded = False  # whether it ever held the live jobs (it may answer without Redis)

    def __len__(self) -> int:
        return int(self._columns.alive.sum()) + len(self._overlay)

    # ---- freshness ------------------------------------------------------------------------

    def due(self, sync_seconds: float) -> bool:
        """Tell whether to ask Redis again: this process changed a job, or `sync_seconds` passed."""
        return self.stale or time.monotonic() - self.synced_at >= sync_seconds

    def sync(self, recheck_seconds: float, ready_key: str) -> bool:
        """Catch up with the changes Redis has recorded; False (and nothing done) without `ready_key`.

        Every `recheck_seconds` it also reloads the jobs the database says changed lately, in
        case a note was lost. Raises RedisError when Redis is down.
        """
        connection = get_redis()
        self.stale, asked_at = False, time.monotonic()  # before asking: a change meanwhile marks it again
        ready, version, generation, floor = _read_state(connection, ready_key)
        if ready is None:
            return False  # Redis lost its sets: the GEO index rebuilds first (a new generation)
        due = time.monotonic() - self.checked_at > recheck_seconds
        if generation == self.generation and int(version or 0) == self.version and not due:
            self.synced_at = asked_at
            return True
        with self._lock:  # one thread catches up; the others find it done
            # Asked again under the lock: another thread may have caught up further meanwhile,
            # and a version below the board's must then mean Redis lost it, not a slow thread.
            _, version, generation, floor = _read_state(connection, ready_key)
            version, floor = int(version or 0), int(floor or 0)
            if generation != self.generation or floor > self.version or version < self.version:
                self._load_all(version, generation)
            elif version > self.version:
                ids = connection.zrangebyscore(CHANGES, f"({self.version}", version)
                self._load_changed([int(job_id) for job_id in ids])
                self.version = version
            if time.monotonic() - self.checked_at > recheck_seconds:
                self._recheck(recheck_seconds)
        self.synced_at = asked_at
        return True

    def load_without_redis(self) -> None:
        """Load every live job from the database alone (Redis is down); reload in full once it answers."""
        with self._lock:
            self._load_all(0, object())  # a generation no Redis holds: the first sync reloads

    def catch_up_without_redis(self) -> None:
        """Reload what the database says changed lately: Redis is down, so no note says so."""
        if time.monotonic() - self.checked_at <= OUTAGE_RECHECK_SECONDS:
            return
        with self._lock:
            if time.monotonic() - self.checked_at > OUTAGE_RECHECK_SECONDS:
                self._recheck(OUTAGE_RECHECK_SECONDS)

    def _recheck(self, window_seconds: float) -> None:
        """Reload the jobs changed in the database lately (two windows back, so none slips by)."""
        now = utcnow()
        # A second more: MySQL's DATETIME keeps whole seconds, so a change just after the last
        # look may be stored as earlier than it.
        since = self.checked_utc - timedelta(seconds=window_seconds + 1)
        with Session(db.engine) as session:
            ids = list(session.scalars(sa.select(Job.id).where(Job.updated_at >= since)))
        if ids:
            self._load_changed(ids)
        self.checked_at, self.checked_utc = time.monotonic(), now

    def _entries(self, session: Session, ids: list[int]) -> list[Entry]:
        """Load and render those of `ids` that are live, LOAD_CHUNK at a time."""
        visible = visible_clause()
        entries: list[Entry] = []
        for start in range(0, len(ids), LOAD_CHUNK):
            entries += self._chunk(session, [Job.id.in_(ids[start : start + LOAD_CHUNK]), visible])
        return entries

    def _chunk(self, session: Session, clauses) -> list[Entry]:
        """Load and render the jobs matching `clauses`."""
        # Plain rows, not ORM objects: loading a city's jobs is about twice as fast without
        # the identity map, and the renderer only reads attributes.
        rows = session.execute(
            sa.select(
                *BOARD_COLUMNS,
                Employer.name.label("employer_name"),
                Employer.status.label("employer_status"),
                Employer.credibility_score.label("employer_credibility"),
            )
            .join(Employer, Employer.id == Job.employer_id)
            .where(*clauses)
        )
        jobs = [
            SimpleNamespace(
                **row._asdict(),
                employer=SimpleNamespace(
                    id=row.employer_id, name=row.employer_name, status=row.employer_status
                ),
            )
            for row in rows
        ]
        return [
            Entry(
                id=job.id,
                lat=job.lat,
                lng=job.lng,
                kind=KIND_CODES.get(job.kind, -1),
                category=CATEGORY_CODES.get(job.category, -1),
                wage=job.monthly_wage_max if job.monthly_wage_max is not None else -1,
                until=_seconds(job.valid_until),
                fragment=fragment,
                credibility=job.employer_credibility if job.employer_credibility is not None else -1,
            )
            for job, fragment in zip(jobs, self._render(jobs), strict=True)
        ]

    def _load_all(self, version: int, generation) -> None:
        started = utcnow()
        # A session of its own: its snapshot starts after the version was read, so nothing
        # filed under that version is missing from it.
        with Session(db.engine) as session:
            ids = list(session.scalars(sa.select(Job.id).where(visible_clause()).order_by(Job.id)))
            entries = self._entries(session, ids)
        self._columns, self._overlay = Columns(entries), {}
        self.version, self.generation = version, generation
        self.checked_at, self.checked_utc = time.monotonic(), started
        self.loaded = True
        log.info("job board: loaded %d jobs (version %s)", len(entries), version)

    def _load_changed(self, ids: list[int]) -> None:
        with Session(db.engine) as session:
            fresh = {entry.id: entry for entry in self._entries(session, ids)}
        columns = self._columns
        for job_id in ids:
            row = columns.row_of.get(job_id)
            if row is not None:
                columns.alive[row] = False
            self._overlay.pop(job_id, None)
            if job_id in fresh:
                self._overlay[job_id] = fresh[job_id]
        if len(self._overlay) > OVERLAY_LIMIT:
            kept = [entry for entry, alive in zip(columns.entries, columns.alive, strict=True) if alive]
            self._columns, self._overlay = Columns(kept + list(self._overlay.values())), {}

    # ---- search ---------------------------------------------------------------------------

    def nearest(self, filters: Filters, needed: int) -> list[tuple[bytes, float]]:
        """Return up to `needed` (job JSON, metres) within the radius, nearest first."""
        now = _seconds(utcnow())
        kind = KIND_CODES.get(filters.kind) if filters.kind else None
        category = CATEGORY_CODES.get(filters.category) if filters.category else None
        limit = float(filters.radius_m) ** 2
        found = self._from_columns(self._columns, filters, kind, category, now, limit, needed)
        for entry in list(self._overlay.values()):
            if entry.passes(kind, category, filters.wage_min, now):
                sq = float(_planar_sq(filters.lat, filters.lng, entry.lat, entry.lng))
                if sq <= limit:
                    found.append((sq, entry.id, entry))
        # Nearest first; at equal distance the more credible employer, then the lower id (as SQL).
        found.sort(key=lambda hit: (hit[0], -hit[2].credibility, hit[1]))
        return [
            (entry.fragment, distance_m(filters.lat, filters.lng, entry.lat, entry.lng))
            for _, _, entry in found[:needed]
        ]

    @staticmethod
    def _from_columns(columns: Columns, filters: Filters, kind, category, now, limit, needed) -> list:
        """The nearest `needed` column entries passing the filters, as (m², id, entry)."""
        # One band of latitude (the columns' order), whatever its longitude: slicing a sorted
        # array is free, and gathering a tighter box by longitude measured slower than the
        # arithmetic it saves (a city's jobs crowd around its downtown anyway).
        min_lat, max_lat, _, _ = bounding_box(filters.lat, filters.lng, filters.radius_m)
        low, high = np.searchsorted(columns.lat, [min_lat, max_lat], side="left")
        band = slice(int(low), int(high))
        sq = _planar_sq(filters.lat, filters.lng, columns.lat[band], columns.lng[band])
        keep = (sq <= limit) & columns.alive[band] & (columns.until[band] > now)
        if kind is not None:
            keep &= columns.kind[band] == kind
        if category is not None:
            keep &= columns.category[band] == category
        if filters.wage_min:
            keep &= columns.wage[band] >= filters.wage_min
        rows = np.flatnonzero(keep)
        if rows.size > needed:
            # Everything as near as the needed-th nearest, so ties there sort by id as in SQL.
            cut = np.partition(sq[rows], needed - 1)[needed - 1]
            rows = rows[sq[rows] <= cut]
        ids = columns.ids[band][rows]
        credibility = columns.credibility[band][rows].astype(np.int32)
        order = np.lexsort((ids, -credibility, sq[rows]))[:needed]
        return [(float(sq[rows[i]]), int(ids[i]), columns.entries[int(low) + int(rows[i])]) for i in order]
