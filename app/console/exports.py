"""Exports of lists (导出): the file at once when small; a large one's progress page and its link.

POST /console/lists/<name>/export?format=xlsx|csv&<the list's filters> (the list page's buttons,
with CSRF; `reveal=1` in the form asks for full personal data) calls exports `export_listing`:
up to EXPORT_INLINE_MAX_ROWS rows the file downloads at once; more, and the browser goes to
/console/exports/<id>, which export_job.js polls (GET …/status, every 2 s) until the download
link shows, with the moment it expires. An export writes an ExportJob and an audit event, so it
is a POST; a GET of the same address (a bookmark, a link) shows the buttons to press instead.
Another account's export is a 404; a link past its expiry a 410 page.
"""

from flask import current_app, jsonify, redirect, render_template, request, url_for

from app.api.downloads import send_stored
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.layout import console_time
from app.console.messages import refused
from app.errors import APIError
from app.models import ExportStatus
from app.services import lists
from app.services.exports import downloads, jobs

# The export's state in the user's words.
STATUS_LABELS = {
    ExportStatus.queued: "排队中",
    ExportStatus.running: "正在生成",
    ExportStatus.done: "已完成",
    ExportStatus.failed: "生成失败",
    ExportStatus.expired: "已过期",
}
# How often the page asks how far the export got (export_job.js reads it from the page).
POLL_MS = 2000


def _filters() -> dict:
    """Return the query's arguments (export_listing keeps the list's own filters of them)."""
    return {key: value for key, value in request.args.items() if key not in {"format", "reveal"}}


@bp.get("/lists/<name>/export")
@console_login_required()
def export_form(name: str):
    """Show the export buttons for a list with these filters (exporting itself is a POST)."""
    try:
        listing = lists.get(name)
        described = lists.describe_filters(name, _filters())
    except APIError as error:
        return refused(error)
    personal = any(column.personal for column in listing.columns)
    return render_template(
        "console/export_form.html",
        listing=listing,
        described=described,
        url_xlsx=url_for("console.export_list", name=name, format="xlsx", **_filters()),
        url_csv=url_for("console.export_list", name=name, format="csv", **_filters()),
        may_reveal=personal and lists.may_reveal(current_staff()),
        back=url_for("console.list_page", name=name, **_filters()),
    )


@bp.post("/lists/<name>/export")
@console_login_required()
def export_list(name: str):
    """Export a list with its page's filters: the file now, or the progress page of a large one."""
    fmt = request.args.get("format") or request.form.get("format") or "xlsx"
    reveal = request.form.get("reveal") == "1"
    try:
        result = jobs.export_listing(current_staff(), name, _filters(), fmt, reveal, client_ip())
    except APIError as error:
        return refused(error)
    # A large export went to the queue: its page shows progress (with RQ inline, as in the embedded
    # mode and the tests, it is already written when the page opens).
    if result.ready and result.job.total <= current_app.config["EXPORT_INLINE_MAX_ROWS"]:
        return send_stored(result.stored())
    return redirect(url_for("console.export_job", job_id=result.job.id), 303)


def _state(result: jobs.ExportResult) -> dict:
    """Return what the progress page shows and its script reads: status, progress, link, expiry."""
    job = result.job
    return {
        "id": job.id,
        "title": job.title,
        "format": job.format,
        "status": result.status,
        "status_label": STATUS_LABELS.get(result.status, result.status),
        "percent": round(result.progress * 100),
        "rows_written": job.rows_written,
        "total": job.total,
        "ready": result.ready,
        "download_url": (
            url_for("console.download_export", job_id=job.id, token=result.token) if result.ready else None
        ),
        "filename": result.filename,
        "expires_at": console_time(job.expires_at) if job.expires_at else None,
        "error": "导出未能完成，请稍后重新导出。" if result.status == ExportStatus.failed else None,
    }


@bp.get("/exports/<int:job_id>")
@console_login_required()
def export_job(job_id: int):
    """Show one of my exports: its progress, then its download link and when the link expires."""
    try:
        result = jobs.job_status(current_staff(), job_id)
    except APIError as error:
        return refused(error)
    return render_template("console/export_job.html", state=_state(result), poll_ms=POLL_MS)


@bp.get("/exports/<int:job_id>/status")
@console_login_required()
def export_status(job_id: int):
    """Answer how far one of my exports got, as JSON (the progress page polls it)."""
    try:
        result = jobs.job_status(current_staff(), job_id)
    except APIError as error:
        return refused(error)
    return jsonify(_state(result))


@bp.get("/exports/<int:job_id>/download")
@console_login_required()
def download_export(job_id: int):
    """Download my export's file with its link (404 for anyone else, 410 once it expired); audited."""
    try:
        stored = downloads.open_download(current_staff(), job_id, request.args.get("token"), client_ip())
    except APIError as error:
        return refused(error)
    return send_stored(stored)
