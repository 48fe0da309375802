"""Districts' monthly progress reports to the city (console page).

The same services as the API (services/programme/progress_reports.py): a district admin starts,
writes and files its month's report; the city admin sees every district of a month side by
side, opens a report, returns it with comments or accepts it. Actions are POSTs (CSRF) that come
back with a flash message; another district's report is a 404 page.
"""

from datetime import date, timedelta

from flask import render_template, request, url_for

from app.common.clock import local_day, month_start
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError, ValidationFailed
from app.models import Role
from app.services.programme import progress_reports
from app.services.programme.progress_reports import READERS, TEXT_FIELDS


def _month(raw: str | None) -> date:
    """Read a YYYY-MM month (its first day; default last month), or 422 on the field."""
    if not raw:
        return month_start(month_start(local_day()) - timedelta(days=1))
    try:
        year, month = (int(part) for part in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValidationFailed("month", "A month is YYYY-MM.", code="invalid_month") from None


def _page_url(report_id: int) -> str:
    """Return a report's page."""
    return url_for("console.progress_report_page", progress_report_id=report_id)


@bp.get("/progress-reports")
@console_login_required(*READERS)
def progress_reports_page():
    """List my district's reports (the city admin: every district of a month, side by side)."""
    actor = current_staff()
    try:
        month = _month(request.args.get("month"))
        if actor.role == Role.city_admin:
            overview = progress_reports.overview(actor, month)
            listed = None
        else:
            overview = None
            listed = progress_reports.list_reports(actor, {"page": 1, "per_page": 24})
    except APIError as error:
        return refused(error)
    return render_template(
        "console/progress_reports.html", month=f"{month:%Y-%m}", overview=overview, listed=listed
    )


@bp.post("/progress-reports")
@console_login_required(Role.district_admin)
def create_progress_report():
    """Start (or open) my district's report of the form's month."""
    back = url_for("console.progress_reports_page")
    try:
        report, _ = progress_reports.create(
            current_staff(), {"month": _month(request.form.get("month"))}, client_ip()
        )
    except APIError as error:
        return action_refused(error, back)
    return done("已打开该月报告。", _page_url(report["id"]))


@bp.get("/progress-reports/<int:progress_report_id>")
@console_login_required(*READERS)
def progress_report_page(progress_report_id: int):
    """Show a report: its indicators, text, and the steps the viewer may take."""
    actor = current_staff()
    try:
        report = progress_reports.get(actor, progress_report_id)
    except APIError as error:
        return refused(error)
    district = actor.role == Role.district_admin
    return render_template(
        "console/progress_report.html",
        report=report,
        may_edit=district and report["status"] in ("draft", "returned"),
        may_decide=actor.role == Role.city_admin and report["status"] == "filed",
    )


@bp.post("/progress-reports/<int:progress_report_id>")
@console_login_required(Role.district_admin)
def edit_progress_report(progress_report_id: int):
    """Save the report's text from the form (file=1: and file it)."""
    back = _page_url(progress_report_id)
    values = {name: (request.form.get(name) or "")[:5000] for name in TEXT_FIELDS}
    try:
        progress_reports.edit(current_staff(), progress_report_id, values, client_ip())
        if request.form.get("file") == "1":
            progress_reports.file(current_staff(), progress_report_id, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("已报送市局。" if request.form.get("file") == "1" else "已保存。", back)


@bp.post("/progress-reports/<int:progress_report_id>/return")
@console_login_required(Role.city_admin)
def return_progress_report(progress_report_id: int):
    """Return a filed report with the form's comments."""
    back = _page_url(progress_report_id)
    try:
        progress_reports.return_report(
            current_staff(), progress_report_id, request.form.get("comments") or "", client_ip()
        )
    except APIError as error:
        return action_refused(error, back)
    return done("已退回区县修改。", back)


@bp.post("/progress-reports/<int:progress_report_id>/accept")
@console_login_required(Role.city_admin)
def accept_progress_report(progress_report_id: int):
    """Accept a filed report, with the form's optional comments."""
    back = _page_url(progress_report_id)
    try:
        progress_reports.accept(
            current_staff(), progress_report_id, request.form.get("comments"), client_ip()
        )
    except APIError as error:
        return action_refused(error, back)
    return done("已审阅。", back)
