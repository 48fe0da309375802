"""Push: subscriptions and preferences, the fan-out of a new job, and sending one push.

The flow: publishing a job enqueues `jobs.push.match_and_push(job_id)`; it finds the seekers
nearby whose wishes the job fits, keeps those who may receive it, writes one push row each
(unique per person, kind and object, so repeating the fan-out adds nothing) and enqueues the
sends in batches. `send(push_id)` claims the row, takes one unit of quota atomically, waits
for the global rate limit and calls WeChat.
"""

import logging
import re
import time as clock_time
from datetime import UTC, date, datetime, timedelta

import redis
import requests
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only
from wechatpy.exceptions import WeChatClientException

from app.auth import scoped
from app.errors import ValidationFailed
from app.extensions import db, get_redis
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Application,
    Job,
    JobKind,
    Push,
    PushPreference,
    PushQuota,
    PushStatus,
    Resident,
    Resume,
    SubscriptionReport,
    utcnow,
)
from app.services import clock, job_index
from app.services.push_templates import by_template_id, template
from app.services.upsert import insert_ignoring_duplicates
from app.wechat.client import TokenRefreshBusy

log = logging.getLogger(__name__)

ANSWERS = ("accept", "reject", "ban", "filter")
# WeChat answers that a send may be retried after: rate limited, system busy.
RETRYABLE_ERRORS = frozenset({45009, -1})
NO_QUOTA_ERROR = 43101
# Seconds before each retry of a send (backoff); with more retries RQ repeats the first wait.
RETRY_WAITS = (10, 30, 90, 270)
# A finished send's RQ job is deleted at once: the push row holds the outcome, and keeping
# tens of thousands of results (and their registry) costs Redis writes on every send.
SEND_RESULT_TTL = 0


class PushRetry(Exception):
    """Raised by a send that should be tried again later (RQ's Retry takes it from there)."""


# ---- subscriptions and preferences ----------------------------------------------------------


def _quota(account_id: int, key: str) -> PushQuota:
    """Return a person's quota row of a template, locked; made first if missing.

    Inserted with "ignore duplicates" before the lock: two first reports at once would
    otherwise both lock a missing row (a gap lock on MariaDB) and deadlock on the insert.
    """
    values = {
        "account_id": account_id,
        "template_key": key,
        "status": "reject",
        "remaining": 0,
        "updated_at": utcnow(),
    }
    insert_ignoring_duplicates(PushQuota, values)
    return db.session.get(PushQuota, (account_id, key), with_for_update=True, populate_existing=True)


def record_subscriptions(account: Account, client_id: str, results: dict) -> dict:
    """Record what wx.requestSubscribeMessage answered; each one-time "accept" adds one send.

    The mini-program passes the answer on as it is (with its errMsg key, ignored). A report
    is applied once per client_id, so a retried request adds nothing.
    """
    ignored = [key for key, answer in results.items() if by_template_id(key) is None or answer not in ANSWERS]
    if db.session.get(SubscriptionReport, (account.id, client_id)) is None:
        db.session.add(SubscriptionReport(account_id=account.id, client_id=client_id))
        try:
            db.session.flush()
        except IntegrityError:  # the same report, a moment ago
            db.session.rollback()
            return {"ignored": ignored, **subscriptions(account)}
        for template_id, answer in results.items():
            key = by_template_id(template_id)
            if key is None or answer not in ANSWERS:
                continue
            row = _quota(account.id, key)
            row.status = "reject" if answer == "filter" else answer
            if answer == "accept" and template(key)["kind"] == "one_time":
                row.remaining += 1
            elif answer == "ban":
                row.remaining = 0
        db.session.commit()
    return {"ignored": ignored, **subscriptions(account)}


def preferences(account_id: int) -> dict:
    """Return a person's push settings, defaults filled in."""
    return _settings(db.session.get(PushPreference, account_id))


def _settings(row: PushPreference | None) -> dict:
    config = current_app.config
    return {
        "disabled_kinds": sorted(row.disabled_kinds or []) if row else [],
        "daily_cap": row.daily_cap if row and row.daily_cap is not None else config["PUSH_DAILY_CAP"],
        "quiet_start": row.quiet_start if row and row.quiet_start else config["PUSH_QUIET_START"],
        "quiet_end": row.quiet_end if row and row.quiet_end else config["PUSH_QUIET_END"],
    }


def subscriptions(account: Account) -> dict:
    """Return each template with what the person agreed to, and their preferences."""
    rows = {
        row.template_key: row
        for row in db.session.scalars(sa.select(PushQuota).where(PushQuota.account_id == account.id))
    }
    items = []
    for key, settings in current_app.config["PUSH_TEMPLATES"].items():
        row = rows.get(key)
        items.append(
            {
                "key": key,
                "template_id": settings["template_id"],
                "kind": settings["kind"],
                "status": row.status if row else None,
                "remaining": row.remaining if row and settings["kind"] == "one_time" else None,
                "can_send": _can_send(settings["kind"], row),
            }
        )
    return {"templates": items, "preferences": preferences(account.id)}


def _can_send(kind: str, row: PushQuota | None) -> bool:
    if row is None:
        return False
    return row.remaining > 0 if kind == "one_time" else row.status == "accept"


def _hhmm(value: str, field: str) -> str:
    if not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise ValidationFailed(field, "Give a time as HH:MM.", code="invalid_time")
    hours, minutes = (int(part) for part in value.split(":"))
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValidationFailed(field, "Give a time as HH:MM.", code="invalid_time")
    return f"{hours:02d}:{minutes:02d}"


def update_preferences(account: Account, values: dict) -> dict:
    """Change a person's push settings (kinds off, daily cap, quiet hours)."""
    row = db.session.get(PushPreference, account.id)
    if row is None:
        row = PushPreference(account_id=account.id, disabled_kinds=[])
        db.session.add(row)
    if "disabled_kinds" in values:
        unknown = set(values["disabled_kinds"]) - set(current_app.config["PUSH_TEMPLATES"])
        if unknown:
            raise ValidationFailed("disabled_kinds", f"Unknown kinds: {', '.join(sorted(unknown))}.")
        row.disabled_kinds = sorted(set(values["disabled_kinds"]))
    if "daily_cap" in values:
        row.daily_cap = values["daily_cap"]
    for name in ("quiet_start", "quiet_end"):
        if name in values:
            setattr(row, name, _hhmm(values[name], name) if values[name] else None)
    db.session.commit()
    return subscriptions(account)


# ---- when a push may go ---------------------------------------------------------------------


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def send_after(prefs: dict, now: datetime | None = None) -> tuple[datetime, bool]:
    """Return when a push made now may go (naive UTC) and whether it waits for the quiet hours' end."""
    local = (now or clock.local_now()).astimezone(clock.zone())
    start, end = _minutes(prefs["quiet_start"]), _minutes(prefs["quiet_end"])
    minute = local.hour * 60 + local.minute
    quiet = (start <= minute or minute < end) if start > end else (start <= minute < end)
    if not quiet or start == end:
        return _utc(local), False
    wake = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    if wake <= local:
        wake += timedelta(days=1)
    return _utc(wake), True


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# ---- the fan-out ----------------------------------------------------------------------------


def _receivers(account_ids: list[int], key: str) -> dict[int, dict]:
    """Return, with their settings, the accounts that may receive `key`: active, opted in, with quota."""
    kind = template(key)["kind"]
    quotas = {
        row.account_id: row
        for row in db.session.scalars(
            sa.select(PushQuota).where(PushQuota.account_id.in_(account_ids), PushQuota.template_key == key)
        )
    }
    prefs_rows = {
        row.account_id: row
        for row in db.session.scalars(
            sa.select(PushPreference).where(PushPreference.account_id.in_(account_ids))
        )
    }
    active = set(
        db.session.scalars(
            sa.select(Account.id).where(
                Account.id.in_(account_ids), Account.is_active.is_(True), Account.openid.is_not(None)
            )
        )
    )
    found = {}
    for account_id in account_ids:
        settings = _settings(prefs_rows.get(account_id))
        if (
            account_id in active
            and _can_send(kind, quotas.get(account_id))
            and key not in settings["disabled_kinds"]
        ):
            found[account_id] = settings
    return found


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
    from app.services.matching import Seeker, priority_ids

    rows = db.session.execute(
        job_index.seekers_select(Resident, Resume)
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
    from app.services.matching import nearby_seekers

    job = db.session.get(Job, job_id)
    if job is None or not job_index.is_searchable(job):
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
    from app.services.matching import fits, score

    seekers = _fan_out_seekers(job, [rid for rid, _ in batch])
    fitting = [
        (seekers[rid], metres)
        for rid, metres in batch
        if rid in seekers and seekers[rid].resident.account_id and fits(job, seekers[rid], metres)
    ]
    receivers = _receivers([s.resident.account_id for s, _ in fitting], "job_match")
    rows = []
    for seeker, metres in fitting:
        account_id = seeker.resident.account_id
        if account_id not in receivers:
            continue
        rows.append(
            _row(
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
    created = insert_ignoring_duplicates(Push, rows)
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


def _row(
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


def _retry():
    """Return RQ's Retry for a send: PUSH_MAX_ATTEMPTS tries in all, backing off."""
    from rq import Retry

    retries = current_app.config["PUSH_MAX_ATTEMPTS"] - 1
    # RQ takes the waits from the end of the list: give it exactly one per retry.
    return Retry(max=retries, interval=list(RETRY_WAITS[:retries])) if retries > 0 else None


def enqueue_sends(where) -> int:
    """Enqueue the sends of the unsent pushes matching `where`: now, or at the quiet hours' end.

    A push enqueued twice is sent once: `send()` claims the row first.
    """
    from rq import Queue

    from app.extensions import get_queue
    from app.jobs.push import send_push

    rows = db.session.execute(
        sa.select(Push.id, Push.status, Push.send_after)
        .where(where, Push.status.in_([PushStatus.pending, PushStatus.scheduled]))
        .order_by(Push.score.desc(), Push.id)
    ).all()
    queue = get_queue("push")
    retry = _retry()
    now = utcnow()
    due = [row.id for row in rows if row.status == PushStatus.pending or row.send_after <= now]
    for start in range(0, len(due), 1000):
        queue.enqueue_many(
            [
                Queue.prepare_data(send_push, (push_id,), retry=retry, result_ttl=SEND_RESULT_TTL)
                for push_id in due[start : start + 1000]
            ]
        )
    due_now = set(due)
    for row in rows:
        if row.id not in due_now:
            queue.enqueue_at(
                row.send_after.replace(tzinfo=UTC), send_push, row.id, retry=retry, result_ttl=SEND_RESULT_TTL
            )
    return len(rows)


def notify_application(application_id: int, status: str) -> int:
    """Push an application's new status to the applicant (when they may receive it)."""
    application = db.session.get(Application, application_id)
    if application is None:
        return 0
    resident = db.session.get(Resident, application.resident_id)
    if resident is None or resident.account_id is None:
        return 0
    receivers = _receivers([resident.account_id], "application_update")
    if resident.account_id not in receivers:
        return 0
    job = db.session.get(Job, application.job_id)
    settings = template("application_update")
    row = _row(
        resident.account_id,
        "application_update",
        "application",
        f"{application.id}:{status}",
        receivers[resident.account_id],
        settings["builder"](application, job, status, utcnow()),
        page=f"{settings['page']}?id={application.job_id}",
        place=resident,
        fallback=job,
    )
    insert_ignoring_duplicates(Push, [row])
    db.session.commit()
    return enqueue_sends(
        sa.and_(
            Push.account_id == resident.account_id,
            Push.kind == "application_update",
            Push.object_id == f"{application.id}:{status}",
        )
    )


# Application statuses worth a message: each one-time send is precious to the person.
NOTIFIED_STATUSES = frozenset({"interview", "hired", "rejected"})


def enqueue_after_commit(func, *args) -> None:
    """Enqueue a push job once the caller's change is committed; never fail the caller for it.

    The job is retried (it is safe to repeat: the push rows' unique key sees to that).
    """
    from rq import Retry

    from app.jobs import enqueue

    try:
        enqueue("push", func, *args, retry=Retry(max=3, interval=[30, 120, 600]))
    except Exception:  # the change stands; a push lost to a queue outage is logged
        db.session.rollback()
        log.exception("push: could not enqueue %s%s", getattr(func, "__name__", func), args)


# ---- sending one push -----------------------------------------------------------------------


def _claim(push_id: int) -> bool:
    """Take a push for sending; False when another worker has it or it is done."""
    result = db.session.execute(
        sa.update(Push)
        .where(Push.id == push_id, Push.status.in_([PushStatus.pending, PushStatus.scheduled]))
        .values(status=PushStatus.sending.value, attempts=Push.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def _finish(push: Push, status: PushStatus, error: str | None = None, **values) -> str:
    """Write a push's outcome with one UPDATE and commit.

    An UPDATE, not attributes set on the row: a commit before the WeChat call expired it, and
    flushing an expired row would first load it again (one more query per send).
    """
    db.session.execute(
        sa.update(Push)
        .where(Push.id == sa.inspect(push).identity[0])
        .values(status=status.value, last_error=error, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return status.value


def _job_live(job_id: int) -> bool:
    job = db.session.get(Job, job_id)
    return job is not None and job_index.is_searchable(job)


def _over_cap(push: Push, cap: int) -> bool:
    """Tell whether the daily cap leaves no room for this job push, best-scored first.

    Pushes due at the same time (the morning after the quiet hours) compete: this one goes
    only when fewer than `cap` pushes were sent today or rank above it (one count: the two
    kinds of push exclude each other).
    """
    same_day = sa.and_(Push.account_id == push.account_id, Push.kind == "job_match", Push.day == push.day)
    ahead = db.session.scalar(
        sa.select(sa.func.count()).where(
            same_day,
            Push.id != push.id,
            sa.or_(
                Push.status == PushStatus.sent,
                # One already on its way counts whatever its score: it may be delivered.
                Push.status == PushStatus.sending,
                sa.and_(
                    Push.status.in_([PushStatus.pending, PushStatus.scheduled]),
                    Push.send_after <= utcnow(),
                    sa.or_(
                        Push.score > (push.score or 0),
                        sa.and_(Push.score == (push.score or 0), Push.id < push.id),
                    ),
                ),
            ),
        )
    )
    return ahead >= cap


def _take_quota(push: Push) -> bool:
    """Take one send from the person's quota for this template, atomically."""
    kind = template(push.kind)["kind"]
    where = sa.and_(PushQuota.account_id == push.account_id, PushQuota.template_key == push.kind)
    if kind == "long_term":
        return db.session.scalar(sa.select(PushQuota.status).where(where)) == "accept"
    result = db.session.execute(
        sa.update(PushQuota).where(where, PushQuota.remaining > 0).values(remaining=PushQuota.remaining - 1)
    )
    return result.rowcount == 1


def _give_back_quota(push: Push) -> None:
    if template(push.kind)["kind"] == "one_time":
        db.session.execute(
            sa.update(PushQuota)
            .where(PushQuota.account_id == push.account_id, PushQuota.template_key == push.kind)
            .values(remaining=PushQuota.remaining + 1)
        )


def take_send_slot(wait_seconds: float = 5.0) -> None:
    """Wait for a slot under the global send rate (PUSH_QPS per second, whatever the workers).

    A bucket of PUSH_QPS tokens refilled every second: one counter per second in Redis. Should
    Redis fail, the send goes ahead (WeChat's own limit answers 45009, which is retried).
    """
    limit = current_app.config["PUSH_QPS"]
    deadline = clock_time.monotonic() + wait_seconds
    while True:
        second = int(clock_time.time())
        key = f"push:rate:{second}"
        try:
            pipe = get_redis().pipeline()
            pipe.incr(key)
            pipe.expire(key, 5)
            taken = pipe.execute()[0]
        except redis.RedisError:
            return
        if taken <= limit or clock_time.monotonic() > deadline:
            return
        clock_time.sleep(max(0.0, second + 1 - clock_time.time()) + 0.001)


def send(push_id: int) -> str:
    """Send one push; return its final or current status. Raises PushRetry to be tried again.

    Whatever goes wrong after the claim, the push never stays `sending`: before WeChat was
    called the quota goes back and the push is retried; after a call whose outcome is unknown
    (a read timeout, an unusable answer) it is failed, never resent, so nobody gets it twice.
    """
    if not _claim(push_id):
        return "not_pending"
    push = db.session.get(Push, push_id)
    progress = {"quota_taken": False}
    try:
        return _send_claimed(push, progress)
    except PushRetry:
        raise
    except Exception as exc:  # a bug or an outage before the call: never leave it `sending`
        db.session.rollback()
        push = db.session.get(Push, push_id)
        log.exception("push %s: send failed before WeChat answered", push_id)
        return _retry_or_fail(
            push, f"error: {exc.__class__.__name__}"[:255], give_back=progress["quota_taken"]
        )


def _send_claimed(push: Push, progress: dict) -> str:
    from app.wechat import wechat

    account = db.session.get(Account, push.account_id)
    if account is None or not account.is_active or not account.openid:
        return _finish(push, PushStatus.skipped, "no_wechat_account")
    prefs = preferences(push.account_id)
    if push.kind in prefs["disabled_kinds"]:
        return _finish(push, PushStatus.skipped, "opted_out")
    if push.object_type == "job" and not _job_live(int(push.object_id)):
        # Closed, expired or back in review since the push was made (say overnight).
        return _finish(push, PushStatus.skipped, "job_not_live")
    at, waits = send_after(prefs)
    if waits:  # made before the quiet hours, but reached only now (a backlog, a retry)
        return _reschedule(push, at)
    if push.kind == "job_match" and _over_cap(push, prefs["daily_cap"]):
        return _finish(push, PushStatus.skipped, "daily_cap")
    if not _take_quota(push):
        return _finish(push, PushStatus.skipped, "no_quota")
    # Read before the commit, which expires them: reading after it would load both rows again.
    message = (account.openid, template(push.kind)["template_id"], push.data, push.page)
    db.session.commit()
    progress["quota_taken"] = True
    take_send_slot()
    try:
        answer = wechat.client.wxa.send_subscribe_message(*message)
    except WeChatClientException as exc:
        error = f"{exc.errcode} {exc.errmsg}"[:255]
        if exc.errcode == NO_QUOTA_ERROR:
            # Final: WeChat says the person has no quota left (or refused); believe it.
            db.session.execute(
                sa.update(PushQuota)
                .where(PushQuota.account_id == push.account_id, PushQuota.template_key == push.kind)
                .values(remaining=0)
            )
            return _finish(push, PushStatus.failed, error)
        if exc.errcode in RETRYABLE_ERRORS or exc.errcode is None:  # None: an HTTP 5xx
            return _retry_or_fail(push, error)
        _give_back_quota(push)  # refused (a bad field, template or openid): nothing was delivered
        return _finish(push, PushStatus.failed, error)
    except requests.ReadTimeout:
        # WeChat may have delivered it: resending could message the person twice.
        return _finish(push, PushStatus.failed, "timeout: outcome unknown, not resent")
    except (requests.RequestException, TokenRefreshBusy, redis.RedisError) as exc:
        return _retry_or_fail(push, f"network: {exc.__class__.__name__}"[:255])
    if not isinstance(answer, dict):
        return _finish(push, PushStatus.failed, "unusable answer from WeChat: outcome unknown, not resent")
    return _finish(push, PushStatus.sent, None, msgid=str(answer.get("msgid") or ""), sent_at=utcnow())


def _reschedule(push: Push, at: datetime) -> str:
    """Hold a push for the end of the person's quiet hours."""
    from app.extensions import get_queue
    from app.jobs.push import send_push

    push.status, push.send_after, push.attempts = PushStatus.scheduled.value, at, push.attempts - 1
    db.session.commit()
    get_queue("push").enqueue_at(
        at.replace(tzinfo=UTC), send_push, push.id, retry=_retry(), result_ttl=SEND_RESULT_TTL
    )
    return PushStatus.scheduled.value


def _retry_or_fail(push: Push, error: str, give_back: bool = True) -> str:
    """Give the quota back; ask RQ to retry while attempts remain (only workers retry)."""
    if give_back:
        _give_back_quota(push)
    retries_left = push.attempts < current_app.config["PUSH_MAX_ATTEMPTS"]
    if retries_left and current_app.config["RQ_ASYNC"]:
        _finish(push, PushStatus.pending, error)
        raise PushRetry(error)
    return _finish(push, PushStatus.failed, error)


# ---- staff views ----------------------------------------------------------------------------


def list_pushes(
    actor: Account, page: int, per_page: int, status=None, kind=None, day: date | None = None
) -> tuple[list[Push], int]:
    """Return one page of pushes to people in the actor's place, newest first."""
    statement = scoped(sa.select(Push), Push, actor)
    if status:
        statement = statement.where(Push.status == status)
    if kind:
        statement = statement.where(Push.kind == kind)
    if day:
        statement = statement.where(Push.day == day)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    items = db.session.scalars(
        statement.order_by(Push.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return list(items), total


def daily_counts(actor: Account, date_from: date | None = None, date_to: date | None = None) -> list[dict]:
    """Return pushes per local day, kind and status in the actor's place (default the last 7 days)."""
    date_from, date_to = clock.day_range(date_from, date_to)
    rows = db.session.execute(
        scoped(
            sa.select(Push.day, Push.kind, Push.status, sa.func.count())
            .where(Push.day.between(date_from, date_to))
            .group_by(Push.day, Push.kind, Push.status),
            Push,
            actor,
        ).order_by(Push.day, Push.kind, Push.status)
    ).all()
    return [{"date": day, "kind": kind, "status": status, "count": n} for day, kind, status, n in rows]


def purge_subscription_reports(older_than_days: int = 7) -> int:
    """Forget the client ids of subscription reports once no phone would retry them."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(sa.delete(SubscriptionReport).where(SubscriptionReport.created_at < cutoff))
    db.session.commit()
    return result.rowcount
