"""The task queues (任务队列): each RQ queue's counts, the workers, failed jobs, requeue and delete.

For the city administration only (an operator's page, as rq-dashboard would be, but behind the
console's sign-in, CSRF and audit). What RQ holds is read and changed by app/queue_admin.py (RQ
stays in app/queues.py, app/queue_admin.py and app/tasks); a failed job shows its task, times
and the exception's last line, never its arguments or traceback (they can hold personal data).
Each action is an audit event. When the queue Redis is down (or its breaker open) the page says
so instead of failing.
"""

import logging
from functools import partial

from flask import render_template, request, url_for
from redis.exceptions import RedisError

from app import queue_admin, queues
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import done
from app.extensions import redis_log_level
from app.models import Role
from app.services.people import audit

log = logging.getLogger(__name__)

ROLES = frozenset({Role.city_admin})
FAILED_SHOWN = 50
STATE_TEXT = {"idle": "空闲", "busy": "执行中", "started": "启动中", "suspended": "已暂停"}


def _queue_name(name: str) -> str:
    """Return `name` if it is one of the app's queues, else the default queue's (never a stranger's)."""
    return name if name in queues.QUEUE_NAMES else queues.QUEUE_NAMES[0]


def _unavailable(error: RedisError):
    """Render the page's "queue Redis unavailable" state (503); logged quietly while the breaker is open."""
    log.log(redis_log_level(error), "queue Redis unavailable for the console's queue page: %r", error)
    return render_template("console/queues.html", unavailable=True, state_text=STATE_TEXT), 503


@bp.get("/queues")
@console_login_required(*ROLES)
def queues_page():
    """Show every queue's counts, the workers, and one queue's failed jobs (?queue=)."""
    shown = _queue_name(request.args.get("queue", ""))
    try:
        states = queue_admin.queue_states()
        workers = queue_admin.worker_states()
        failed = queue_admin.failed_jobs(shown, FAILED_SHOWN)
    except RedisError as error:
        return _unavailable(error)
    return render_template(
        "console/queues.html",
        unavailable=False,
        states=states,
        workers=workers,
        failed=failed,
        shown=shown,
        state_text=STATE_TEXT,
    )


def _act(action: str, queue_name: str, job_id: str | None, change, said):
    """Run one failed-job action, audit it, and go back to the queue's page saying what happened.

    `change` returns True/False (one job: done / no such failed job) or a count (all of them);
    `said(result)` words it for the flash.
    """
    try:
        result = change()
    except RedisError as error:
        return _unavailable(error)
    detail: dict = {"queue": queue_name}
    if job_id is None:
        detail["count"] = result
    else:
        detail["job_id"] = job_id
    audit.commit(
        action,
        "success" if result is not False else "not_found",
        actor=current_staff(),
        object_type="rq_job" if job_id else "rq_queue",
        object_id=job_id or queue_name,
        ip=client_ip(),
        detail=detail,
    )
    return done(said(result), url_for("console.queues_page", queue=queue_name))


GONE = "该失败任务已不存在（可能已被处理）。"


def _form_job() -> tuple[str, str]:
    """Return the form's queue (one of the app's) and job id (RQ ids are short: cut a long one)."""
    return _queue_name(request.form.get("queue", "")), request.form.get("job_id", "").strip()[:100]


@bp.post("/queues/failed/requeue")
@console_login_required(*ROLES)
def requeue_failed_job():
    """Put one failed job (form: queue, job_id) back on its queue."""
    name, job_id = _form_job()
    change = partial(queue_admin.requeue_failed, name, job_id)
    return _act("queues.requeue", name, job_id, change, lambda ok: "已重新排队。" if ok else GONE)


@bp.post("/queues/failed/requeue-all")
@console_login_required(*ROLES)
def requeue_all_failed_jobs():
    """Put every failed job of a queue (form: queue) back on it."""
    name, _ = _form_job()
    change = partial(queue_admin.requeue_all_failed, name)
    return _act("queues.requeue_all", name, None, change, lambda count: f"已重新排队 {count} 个失败任务。")


@bp.post("/queues/failed/delete")
@console_login_required(*ROLES)
def delete_failed_job():
    """Delete one failed job (form: queue, job_id)."""
    name, job_id = _form_job()
    change = partial(queue_admin.delete_failed, name, job_id)
    return _act("queues.delete", name, job_id, change, lambda ok: "已删除该失败任务。" if ok else GONE)
