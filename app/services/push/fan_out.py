"""Making pushes: a new job's fan-out to the seekers nearby (an application's news: records.py).

Publishing a job enqueues the task `push.match_and_push(job_id)`: it finds the seekers nearby
whose wishes the job fits, keeps those who may receive it, writes one push row each (unique per
person, kind and object, so repeating the fan-out adds nothing) and enqueues their sends, batch
by batch: PUSH_SEND_BATCH pushes a send job (services/push/batch_send.py; a lone push and one held
for the quiet hours: send.py's single send).
"""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import load_only

from app.common import clock
from app.common.upsert import insert_ignoring_duplicates
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Job,
    JobKind,
    Push,
    PushQuota,
    PushStatus,
    Resident,
    Resume,
    is_searchable,
    utcnow,
)
from app.queues import enqueue, enqueue_many
from app.services.jobs.matching import Seeker, fits, nearby_seekers, priority_ids, score
from app.services.people.seekers import seekers_select
from app.services.push.schedule import send_after
from app.services.push.subscriptions import receivers as receivers_of
from app.services.push.templates import template

# Seekers whose quota one query asks about; those with a send left then go in PUSH_BATCH batches.
QUOTA_CHUNK = 5000


def _with_quota(resident_ids: list[int], key: str) -> set[int]:
    """Return which of these residents' accounts have a send of `key` left (or a long-term yes).

    Asked before anything else is loaded: only those who agreed can receive a push, and in a
    city they are a small share of the seekers in a 10 km radius.
    """
    have = PushQuota.remaining > 0 if template(key)["kind"] == "one_time" else PushQuota.status == "accept"
    return set(
        db.session.scalars(
            sa.select(Resident.id)
            .join(PushQuota, PushQuota.account_id == Resident.account_id)
            .where(Resident.id.in_(resident_ids), PushQuota.template_key == key, have)
        )
    )


# What matching and a push row read of a seeker: a fan-out loads tens of thousands, whole rows
# (personal data, timestamps) would cost most of its time.
SEEKER_COLUMNS = (
    "account_id",
    "seek_kinds",
    "seek_categories",
    "seek_wage_min",
    "seek_radius_m",
    *PLACE_COLUMN_NAMES,
)


def _fan_out_seekers(job: Job, resident_ids: list[int]):
    """Load seekers (open résumés) by id, only what matching needs; key groups only when they count."""
    rows = db.session.execute(
        seekers_select(Resident, Resume)
        .options(
            load_only(*(getattr(Resident, name) for name in SEEKER_COLUMNS)),
            load_only(Resume.education, Resume.skills),
        )
        .where(Resident.id.in_(resident_ids))
    ).all()
    # The priority bonus applies to public-welfare jobs only (matching.score).
    priority = priority_ids([r.id for r, _ in rows]) if job.kind == JobKind.public_welfare else set()
    return {r.id: Seeker(r, resume, r.id in priority) for r, resume in rows}


def fan_out_job(job_id: int) -> dict:
    """Create the job_match pushes of a published job and enqueue their sends; safe to repeat."""
    job = db.session.get(Job, job_id)
    if job is None or not is_searchable(job):
        return {"created": 0, "enqueued": 0}
    config = current_app.config
    # Every seeker in the radius (the fan-out's own radius, not the candidates' page pool).
    near = nearby_seekers(job, config["PUSH_SEARCH_RADIUS_M"], count=10_000_000)
    created = enqueued = 0
    for start in range(0, len(near), QUOTA_CHUNK):
        chunk = near[start : start + QUOTA_CHUNK]
        reachable = _with_quota([rid for rid, _ in chunk], "job_match")
        near_reachable = [(rid, metres) for rid, metres in chunk if rid in reachable]
        for first in range(0, len(near_reachable), config["PUSH_BATCH"]):
            batch_created, batch_enqueued = _fan_out_batch(
                job, near_reachable[first : first + config["PUSH_BATCH"]]
            )
            created += batch_created
            enqueued += batch_enqueued
    return {"created": created, "enqueued": enqueued}


def _fan_out_batch(job: Job, batch: list[tuple[int, float]]) -> tuple[int, int]:
    """Write the pushes of one batch of seekers (those the job fits who may receive it) and enqueue them."""
    seekers = _fan_out_seekers(job, [rid for rid, _ in batch])
    fitting = [
        (seekers[rid], metres)
        for rid, metres in batch
        if rid in seekers and seekers[rid].resident.account_id and fits(job, seekers[rid], metres)
    ]
    receivers = receivers_of([s.resident.account_id for s, _ in fitting], "job_match")
    rows = []
    for seeker, metres in fitting:
        account_id = seeker.resident.account_id
        if account_id not in receivers:
            continue
        rows.append(
            push_row(
                account_id,
                "job_match",
                "job",
                job.id,
                receivers[account_id],
                template("job_match")["builder"](job, distance_m=metres),
                page=f"{template('job_match')['page']}?id={job.id}",
                score=score(job, seeker, metres, seeker.radius_m),
                place=seeker.resident,
                fallback=job,
            )
        )
    created = insert_ignoring_duplicates(db.session, Push, rows)
    db.session.commit()
    # Enqueued batch by batch: a fan-out that dies half-way leaves nothing unsent behind.
    enqueued = enqueue_sends(
        sa.and_(
            Push.kind == "job_match",
            Push.object_type == "job",
            Push.object_id == str(job.id),
            Push.account_id.in_([row["account_id"] for row in rows] or [0]),
        )
    )
    return created, enqueued


def push_row(
    account_id, key, object_type, object_id, prefs, data, page, score=None, place=None, fallback=None
) -> dict:
    """Build one push row; its place is the person's, else (no community yet) the job's, so staff see it."""
    at, waits = send_after(prefs)
    if place is None or getattr(place, "community_id", None) is None and fallback is not None:
        place = fallback
    return {
        "account_id": account_id,
        "kind": key,
        "object_type": object_type,
        "object_id": str(object_id),
        "status": (PushStatus.scheduled if waits else PushStatus.pending).value,
        "score": score,
        "data": data,
        "page": page,
        "day": clock.local_day(at),
        "send_after": at,
        "attempts": 0,
        "created_at": utcnow(),
        **{name: getattr(place, name, None) for name in PLACE_COLUMN_NAMES},
    }


def enqueue_sends(where) -> int:
    """Enqueue the sends of the unsent pushes matching `where`: now, or at the quiet hours' end.

    Those due go PUSH_SEND_BATCH to a send_batch job, best-scored first; a batch of one gains
    nothing and takes the single send_push, as a push held for the quiet hours does. Call after
    the commit that wrote them; raises when the queue is down (the task enqueueing them is
    retried). A push enqueued twice is sent once: a send claims the row first.
    """
    rows = db.session.execute(
        sa.select(Push.id, Push.status, Push.send_after)
        .where(where, Push.status.in_([PushStatus.pending, PushStatus.scheduled]))
        .order_by(Push.score.desc(), Push.id)
    ).all()
    now = utcnow()
    due = [row.id for row in rows if row.status == PushStatus.pending or row.send_after <= now]
    size = current_app.config["PUSH_SEND_BATCH"]
    batches = [due[start : start + size] for start in range(0, len(due), size)]
    enqueue_many("push.send_batch", [(batch,) for batch in batches if len(batch) > 1])
    enqueue_many("push.send_push", [(batch[0],) for batch in batches if len(batch) == 1])
    due_now = set(due)
    for row in rows:
        if row.id not in due_now:
            enqueue("push.send_push", row.id, at=row.send_after)
    return len(rows)
