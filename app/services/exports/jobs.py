"""An export's life: asked for, written now or by a task, done (a file to download), expired.

Every export is an ExportJob row owned by the account that asked, so the file is found, shown
only to its owner and deleted by the purge however it was written. Up to EXPORT_INLINE_MAX_ROWS
rows are written during the request (the row is born `done`); more are queued for the task
`exports.run_export`, which reports progress every ~2,000 rows. Rows are streamed from the list
(app/services/lists, keyset batches) into the writer, never held: memory stays flat at any size.

Personal data is written in full only when the caller may reveal (lists.may_reveal) and asked;
otherwise masked. Every export is audited as "export.<source>": when written (rows and all), and
for a task also when asked for.
"""

import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.common.clock import local_now
from app.common.files import StoredFile
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Account, ExportJob, ExportStatus, utcnow
from app.queues import enqueue_after_commit
from app.services import lists
from app.services.exports import writers
from app.services.exports.downloads import download_filename, download_token, file_of, mimetype_of
from app.services.lists.labels import label
from app.services.people import audit
from app.services.people.places import describe_place

log = logging.getLogger(__name__)

# A job in these states past EXPORT_STALE_MINUTES lost its worker (the purge fails it).
_UNFINISHED = (ExportStatus.queued, ExportStatus.running)


@dataclass(frozen=True)
class ExportResult:
    """What an export request or a status look gives back: the job and, when ready, its file.

    `status` is as the caller sees it (a finished file past its link's expiry reads "expired"
    before the purge has run); `path` and `token` are set only while the file can be downloaded.
    """

    job: ExportJob
    status: str
    path: Path | None
    filename: str
    mimetype: str
    token: str | None = None

    @property
    def ready(self) -> bool:
        """Tell whether the file can be downloaded now."""
        return self.path is not None

    @property
    def progress(self) -> float:
        """Return the share of rows written, 0 … 1."""
        if self.status == ExportStatus.done:
            return 1.0
        return min(1.0, self.job.rows_written / self.job.total) if self.job.total else 0.0

    def stored(self) -> StoredFile:
        """Return the file to send (a view streams it with app.api.downloads.send_stored)."""
        if self.path is None:
            raise Conflict("export_not_ready", "This export has no file to download.")
        return StoredFile(self.path, self.mimetype, self.filename)


def check_format(fmt: str) -> str:
    """Return a known format ("xlsx" or "csv"), or 422 on `format`."""
    if fmt not in writers.FORMATS:
        raise ValidationFailed("format", "Choose xlsx or csv.", code="invalid_format")
    return fmt


def result_of(job: ExportJob) -> ExportResult:
    """Return a job as its owner sees it: its status and, while downloadable, its file and token."""
    status = job.status
    if status == ExportStatus.done and job.expires_at is not None and job.expires_at <= utcnow():
        status = ExportStatus.expired  # the purge deletes the file soon; the link is over now
    path = file_of(job) if status == ExportStatus.done else None
    return ExportResult(
        job,
        status,
        path,
        download_filename(job),
        mimetype_of(job),
        download_token(job) if path is not None else None,
    )


def title_block(actor: Account, title: str, place: str | None, filters: str, rows: int) -> writers.TitleBlock:
    """Return the title block of a file: what, where, which filters, when (city clock), who, rows."""
    if place is None:
        described = describe_place(actor.scope_kind, actor.scope_id)
        place = described["name"] if described else "—"
    who = actor.display_name or actor.username or f"account:{actor.id}"
    if actor.username and actor.username != who:
        who = f"{who}（{actor.username}）"
    return writers.TitleBlock(
        title=title,
        place=place,
        filters=filters or "无",
        exported_at=local_now().strftime("%Y-%m-%d %H:%M"),
        exported_by=f"{who}，{label('role', actor.role)}",
        rows=rows,
    )


def new_job(
    actor: Account, source: str, title: str, filters, fmt: str, reveal: bool, ip: str | None
) -> ExportJob:
    """Add a queued job to the session (flushed, so it has its id) with the name of its file."""
    job = ExportJob(
        account_id=actor.id,
        source=source,
        title=title[:128],
        filters=filters,
        format=fmt,
        reveal=reveal,
        status=ExportStatus.queued,
        total=0,
        rows_written=0,
        ip=ip,
    )
    db.session.add(job)
    db.session.flush()
    # Server-made and unguessable: the name on disk says nothing of what the file holds.
    job.file_path = f"{job.id}-{secrets.token_hex(8)}.{fmt}"
    return job


def write_file(
    job: ExportJob, block: writers.TitleBlock, headers: list[str], rows: Iterable, on_progress=None
) -> None:
    """Write a job's file from `rows` (sequences in header order) and mark the job done (not committed)."""
    path = file_of(job)
    try:
        job.rows_written = writers.write(job.format, path, block, headers, rows, on_progress)
    except BaseException:
        path.unlink(missing_ok=True)  # no half-written file left behind
        raise
    now = utcnow()
    job.status = ExportStatus.done
    job.size = path.stat().st_size
    job.finished_at = now
    job.expires_at = now + timedelta(minutes=current_app.config["EXPORT_LINK_TTL_MINUTES"])


def _detail(job: ExportJob, **more) -> dict:
    """Return an export's audit detail: filters, format, reveal, rows."""
    return {
        "filters": job.filters,
        "format": job.format,
        "reveal": job.reveal,
        "rows": job.rows_written,
        **more,
    }


def audit_export(actor: Account, job: ExportJob, outcome: str = "success", **more) -> None:
    """Add the export's audit event to the session."""
    audit.record(
        f"export.{job.source}",
        outcome,
        actor=actor,
        object_type="export",
        object_id=job.id,
        ip=job.ip,
        detail=_detail(job, **more),
    )


def _listing_rows(name: str, actor: Account, filters, reveal: bool, keys: list[str]):
    """Yield a listing's rows as value lists in column order, streamed."""
    for row in lists.stream(name, actor, filters, reveal):
        yield [row.get(key) for key in keys]


def _write_listing(job: ExportJob, actor: Account, on_progress=None) -> None:
    """Write a listing job's file, streaming its rows (marks it done, not committed)."""
    listing = lists.get(job.source)
    words = "；".join(f"{name}：{value}" for name, value in lists.describe_filters(job.source, job.filters))
    block = title_block(actor, listing.title, None, words, job.total)
    keys = [column.key for column in listing.columns]
    headers = [column.header for column in listing.columns]
    write_file(
        job, block, headers, _listing_rows(job.source, actor, job.filters, job.reveal, keys), on_progress
    )


def _checked_job(
    actor: Account, name: str, filters: Mapping | None, fmt: str, reveal: bool, ip: str | None
) -> ExportJob:
    """Check an export of a list (format, reveal, role, filters) and add its job, counted, to the session."""
    check_format(fmt)
    listing = lists.get(name)
    # As the list page reads them: its own filters only, as text (they are stored and audited).
    given = filters or {}
    filters = {
        spec.name: str(given[spec.name]) for spec in listing.filters if given.get(spec.name) is not None
    }
    if reveal and not lists.may_reveal(actor):
        audit.commit(
            f"export.{name}",
            "denied",
            actor=actor,
            object_type="export",
            ip=ip,
            detail={"filters": filters, "format": fmt, "reveal": True},
        )
        raise Forbidden("reveal_forbidden", "Your role works with masked personal data only.")
    total = lists.count(name, actor, filters)  # also checks the role and the filters (403, 422)
    job = new_job(actor, name, listing.title, filters, fmt, bool(reveal), ip)
    job.total = total
    return job


def _queue(actor: Account, job: ExportJob, enqueue: bool) -> ExportJob:
    """Audit a queued job's request and commit it, enqueueing its task after the commit."""
    audit_export(actor, job, status=ExportStatus.queued, rows=job.total)
    if enqueue:
        enqueue_after_commit("exports.run_export", job.id)
    db.session.commit()
    return job


def export_listing(
    actor: Account, name: str, filters: Mapping | None, fmt: str, reveal: bool, ip: str | None
) -> ExportResult:
    """Export a list with the filters its page applies: the file now, or a queued job when large.

    Up to EXPORT_INLINE_MAX_ROWS rows the file is written before this returns (result.path set);
    more, and an ExportJob is queued for the task `exports.run_export` (result.path None; poll
    job_status). `reveal` writes full personal data, for roles that may only (else 403
    reveal_forbidden, audited). Audited either way.
    """
    job = _checked_job(actor, name, filters, fmt, reveal, ip)
    if job.total > current_app.config["EXPORT_INLINE_MAX_ROWS"]:
        return result_of(_queue(actor, job, enqueue=True))
    job.started_at = utcnow()
    _write_listing(job, actor)
    audit_export(actor, job)
    db.session.commit()
    return result_of(job)


def queue_export(
    actor: Account,
    name: str,
    filters: Mapping | None,
    fmt: str,
    reveal: bool,
    ip: str | None,
    enqueue: bool = True,
) -> ExportJob:
    """Queue an export of a list whatever its size (checked and audited as export_listing does).

    With `enqueue` off the job waits for whoever calls run_export(job.id): a benchmark, a script.
    """
    return _queue(actor, _checked_job(actor, name, filters, fmt, reveal, ip), enqueue)


def _claim(job_id: int) -> bool:
    """Take a queued job (or one whose worker died) for this run; False when it is not ours to run."""
    now = utcnow()
    stale = now - timedelta(minutes=current_app.config["EXPORT_STALE_MINUTES"])
    claimed = db.session.execute(
        sa.update(ExportJob)
        .where(
            ExportJob.id == job_id,
            sa.or_(
                ExportJob.status == ExportStatus.queued,
                sa.and_(ExportJob.status == ExportStatus.running, ExportJob.started_at < stale),
            ),
        )
        .values(status=ExportStatus.running, started_at=now, rows_written=0)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed.rowcount == 1


class _Progress:
    """Save rows written on a connection of its own, so the export's session is left alone."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.broken = False

    def __call__(self, rows: int) -> None:
        """Record how many rows are written (best effort: progress is only shown, never relied on)."""
        if self.broken:
            return
        try:
            with db.engine.begin() as connection:
                connection.execute(
                    sa.update(ExportJob).where(ExportJob.id == self.job_id).values(rows_written=rows)
                )
        except SQLAlchemyError:
            self.broken = True  # the export goes on; its row is brought up to date at the end
            log.warning("could not save the progress of export %s", self.job_id, exc_info=True)


def run_export(job_id: int) -> dict:
    """Write a queued export's file (the task `exports.run_export`); safe to run again.

    A job already taken, finished or gone is left alone. A failure marks the job failed with
    its error (audited) rather than raising: the row is where its owner looks.
    """
    if not _claim(job_id):
        job = db.session.get(ExportJob, job_id)
        return {"id": job_id, "status": job.status if job else None, "ran": False}
    job = db.session.get(ExportJob, job_id)
    actor = db.session.get(Account, job.account_id)
    try:
        if not actor.is_active:
            raise Forbidden("account_inactive", "The account that asked for this export is disabled.")
        # Counted again: the title block and the progress say what is written now, not at the request.
        job.total = lists.count(job.source, actor, job.filters)
        db.session.commit()
        _write_listing(job, actor, _Progress(job.id))
        audit_export(actor, job, status=ExportStatus.done)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("export %s failed", job_id)
        _fail(job_id, error)
        return {"id": job_id, "status": ExportStatus.failed, "ran": True}
    return {"id": job_id, "status": job.status, "rows": job.rows_written, "ran": True}


def _fail(job_id: int, error: Exception) -> None:
    """Mark a job failed with its error, delete any partial file, and audit the failure."""
    job = db.session.get(ExportJob, job_id)
    path = file_of(job)
    if path is not None:
        path.unlink(missing_ok=True)
    job.status = ExportStatus.failed
    job.error = f"{error.__class__.__name__}: {error}"[:255]
    job.finished_at = utcnow()
    actor = db.session.get(Account, job.account_id)
    audit_export(actor, job, "failure", status=ExportStatus.failed, error=job.error)
    db.session.commit()


def job_status(actor: Account, job_id: int) -> ExportResult:
    """Return an export as its owner sees it (progress, and the file once done); 404 for anyone else."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.account_id != actor.id:
        raise NotFound("export_not_found", f"No export {job_id} of yours.")
    return result_of(job)


def purge_exports() -> dict:
    """Delete the files whose links expired (the job reads `expired`) and fail tasks that died.

    Run by the schedule (task `exports.purge_exports`); returns how many jobs of each it changed.
    """
    now = utcnow()
    expired = list(
        db.session.scalars(
            sa.select(ExportJob).where(ExportJob.status == ExportStatus.done, ExportJob.expires_at <= now)
        )
    )
    for job in expired:
        file_of(job).unlink(missing_ok=True)
        job.status = ExportStatus.expired
    stale = now - timedelta(minutes=current_app.config["EXPORT_STALE_MINUTES"])
    dead = list(
        db.session.scalars(
            sa.select(ExportJob).where(
                ExportJob.status.in_(_UNFINISHED),
                sa.func.coalesce(ExportJob.started_at, ExportJob.created_at) < stale,
            )
        )
    )
    for job in dead:
        file_of(job).unlink(missing_ok=True)
        job.status = ExportStatus.failed
        job.error = "The export did not finish in time (its worker stopped)."
        job.finished_at = now
    db.session.commit()
    return {"expired": len(expired), "failed": len(dead)}
