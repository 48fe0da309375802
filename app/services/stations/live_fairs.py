"""Live job fairs (直播带岗): an event's WeChat Channels stream or replay, and the jobs it presents."""

import re

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Account, Event, EventJob, Job, utcnow, visible_clause
from app.services.people.scoping import in_scope

# WeChat's own shapes: a Channels (视频号) id is "sph…"; a feed id "export/…"; a nonce id digits.
FINDER_ID = re.compile(r"sph[0-9A-Za-z_-]{4,60}")
FEED_ID = re.compile(r"export/[0-9A-Za-z_\-+/=]{8,240}")
NONCE_ID = re.compile(r"[0-9]{1,32}")
CHANNELS_FIELDS = ("channels_finder_id", "channels_feed_id", "channels_nonce_id")
MAX_JOBS = 30


def _check_shape(field: str, value: str | None, pattern: re.Pattern, code: str, message: str) -> None:
    if value is not None and not pattern.fullmatch(value):
        raise ValidationFailed(field, message, code=code)


def apply_channels(event: Event, values: dict) -> None:
    """Set the event's Channels ids from `values` (null clears one) and check them together."""
    for name in CHANNELS_FIELDS:
        if name in values:
            setattr(event, name, values[name] or None)
    _check_shape(
        "channels_finder_id",
        event.channels_finder_id,
        FINDER_ID,
        "invalid_channels_id",
        "A WeChat Channels (视频号) id starts with 'sph' and has 4 to 60 more letters, digits, '_' or '-'.",
    )
    _check_shape(
        "channels_feed_id",
        event.channels_feed_id,
        FEED_ID,
        "invalid_channels_feed",
        "A Channels feed id starts with 'export/' and has 8 to 240 more letters, digits or _-+/=.",
    )
    _check_shape(
        "channels_nonce_id",
        event.channels_nonce_id,
        NONCE_ID,
        "invalid_channels_nonce",
        "A Channels nonce id is 1 to 32 digits.",
    )
    has_feed, has_nonce = event.channels_feed_id is not None, event.channels_nonce_id is not None
    if has_feed != has_nonce or (has_feed and event.channels_finder_id is None):
        field = (
            "channels_finder_id"
            if has_feed and has_nonce
            else ("channels_nonce_id" if has_feed else "channels_feed_id")
        )
        raise ValidationFailed(
            field,
            "A replay needs the channel's id, its feed id and its nonce id together.",
            code="channels_replay_incomplete",
        )


def set_jobs(actor: Account, event: Event, job_ids: list[int] | None) -> None:
    """Present these jobs at the event, in this order (each published and in the actor's place)."""
    job_ids = list(dict.fromkeys(job_ids or []))  # a job given twice is presented once
    if len(job_ids) > MAX_JOBS:
        raise ValidationFailed(
            "job_ids", f"An event presents at most {MAX_JOBS} jobs.", code="job_not_presentable"
        )
    jobs = (
        {
            job.id: job
            for job in db.session.scalars(sa.select(Job).where(Job.id.in_(job_ids), visible_clause()))
        }
        if job_ids
        else {}
    )
    for job_id in job_ids:
        job = jobs.get(job_id)
        if job is None or not in_scope(job, actor):
            raise ValidationFailed(
                "job_ids",
                f"Job {job_id} is not a published job in your area.",
                code="job_not_presentable",
            )
    db.session.execute(sa.delete(EventJob).where(EventJob.event_id == event.id))
    for position, job_id in enumerate(job_ids):
        db.session.add(EventJob(event_id=event.id, job_id=job_id, position=position))


def live_of(event: Event) -> dict | None:
    """Return how the mini-program opens the event's stream: its live, or the replay; None without one."""
    if not event.channels_finder_id:
        return None
    replay = bool(event.channels_feed_id and event.channels_nonce_id)
    return {
        "finder_id": event.channels_finder_id,
        "feed_id": event.channels_feed_id if replay else None,
        "nonce_id": event.channels_nonce_id if replay else None,
        "kind": "replay" if replay else "live",
    }


def jobs_counts(event_ids: list[int]) -> dict[int, int]:
    """Return how many still-published jobs each event presents, in one query."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        sa.select(EventJob.event_id, sa.func.count())
        .join(Job, Job.id == EventJob.job_id)
        .where(EventJob.event_id.in_(event_ids), visible_clause())
        .group_by(EventJob.event_id)
    )
    return dict(rows.all())


def presented_jobs(event_id: int) -> list[Job]:
    """Return the event's presented jobs that are still published, in the order shown."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .join(EventJob, EventJob.job_id == Job.id)
            .options(joinedload(Job.employer))
            .where(EventJob.event_id == event_id, visible_clause(utcnow()))
            .order_by(EventJob.position, Job.id)
        )
    )
