"""Circles per district, filed with the city (报市局备案), and their history (console page).

The same services as the API (services/programme/circle_filings.py, memberships.py): the filings
of the viewer's place; a district admin defines a circle (new, or a revision of one of its
circles) and files it, withdraws it; the city admin accepts it or returns it with a reason. A
filing's page shows the circle's communities over time. Outside the viewer's place: a 404 page.
"""

import re
import uuid
from datetime import date

from flask import render_template, request, url_for

from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError, ValidationFailed
from app.models import FilingStatus, Role
from app.services.programme import circle_filings, memberships

STATUS_TEXT = {
    FilingStatus.draft: "草稿",
    FilingStatus.filed: "待市局备案",
    FilingStatus.returned: "已退回",
    FilingStatus.accepted: "已备案（待生效）",
    FilingStatus.applied: "已生效",
    FilingStatus.withdrawn: "已撤回",
}
CIRCLE_STATUS_TEXT = {"draft": "未生效", "active": "运行中", "retired": "已撤销"}
CODES = re.compile(r"[\s,，、]+")


def _page_url(filing_id: int) -> str:
    return url_for("console.circle_filing_page", circle_filing_id=filing_id)


def _codes(name: str) -> list[str]:
    """Read a list of codes typed one per line (or separated by commas)."""
    return [code for code in CODES.split(request.form.get(name) or "") if code]


def _form_values() -> dict:
    """Read the define form into the service's values (numbers and dates parsed, 422 on the field)."""
    form = request.form
    values: dict = {
        "name": (form.get("name") or "").strip(),
        "township_codes": _codes("township_codes"),
        "community_codes": _codes("community_codes"),
        "note": (form.get("note") or "").strip()[:255] or None,
        "client_id": (form.get("client_id") or "").strip()[:64] or None,
    }
    if not 2 <= len(values["name"]) <= 64:
        raise ValidationFailed("name", "2–64 characters.", code="invalid_input")
    stations = _codes("station_ids")
    if not all(s.isdigit() and len(s) < 19 for s in stations):
        raise ValidationFailed("station_ids", "Station numbers.", code="invalid_input")
    values["station_ids"] = [int(s) for s in stations]
    for name in ("centre_lat", "centre_lng"):
        raw = (form.get(name) or "").strip()
        try:
            values[name] = float(raw) if raw else None
        except ValueError:
            raise ValidationFailed(name, "A number.", code="invalid_input") from None
    operator = (form.get("operator_id") or "").strip()
    if operator and not (operator.isdigit() and len(operator) < 19):
        raise ValidationFailed("operator_id", "An operator's number.", code="invalid_input")
    values["operator_id"] = int(operator) if operator else None
    raw = (form.get("effective_from") or "").strip()
    try:
        values["effective_from"] = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValidationFailed("effective_from", "A date is YYYY-MM-DD.", code="invalid_date") from None
    circle = (form.get("circle") or "").strip()
    if circle:
        values["circle"] = circle
    else:
        values["key"] = (form.get("key") or "").strip()
    return values


@bp.get("/circle-filings")
@console_login_required(*circle_filings.READ_ROLES)
def circle_filings_page():
    """List the circle filings of the viewer's place, by status; the define form for a district admin."""
    status = request.args.get("status") or None
    if status not in (None, *STATUS_TEXT):
        status = None
    try:
        page_number = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page_number = 1
    actor = current_staff()
    page = circle_filings.list_filings(actor, {"status": status, "page": page_number, "per_page": 20})
    return render_template(
        "console/circle_filings.html",
        page=page,
        status=status,
        status_text=STATUS_TEXT,
        page_url=lambda number: url_for("console.circle_filings_page", status=status, page=number),
        may_define=actor.role == Role.district_admin,
        form_key=uuid.uuid4().hex,
    )


@bp.post("/circle-filings")
@console_login_required(Role.district_admin)
def create_circle_filing():
    """Define a circle from the form: saved as a draft, or (file=1) filed with the city at once."""
    actor = current_staff()
    try:
        filing, _ = circle_filings.create_filing(actor, _form_values(), client_ip())
    except APIError as error:
        return action_refused(error, url_for("console.circle_filings_page"))
    if request.form.get("file") == "1":
        try:
            circle_filings.file_filing(actor, filing["id"], client_ip())
        except APIError as error:
            return action_refused(error, _page_url(filing["id"]))
        return done("已报市局备案。", _page_url(filing["id"]))
    return done("已保存草稿。", _page_url(filing["id"]))


@bp.get("/circle-filings/<int:circle_filing_id>")
@console_login_required(*circle_filings.READ_ROLES)
def circle_filing_page(circle_filing_id: int):
    """Show one filing, the steps the viewer may take, and the circle's communities over time."""
    actor = current_staff()
    try:
        filing = circle_filings.get_filing(actor, circle_filing_id)
        history = memberships.circle_history(actor, filing["circle"]["id"])
    except APIError as error:
        return refused(error)
    district_admin = actor.role == Role.district_admin
    return render_template(
        "console/circle_filing.html",
        filing=filing,
        history=history,
        status_text=STATUS_TEXT,
        circle_status_text=CIRCLE_STATUS_TEXT,
        may_file=district_admin and filing["status"] in ("draft", "returned"),
        may_withdraw=district_admin and filing["status"] in ("draft", "returned", "filed"),
        may_decide=actor.role == Role.city_admin and filing["status"] == "filed",
    )


def _step(circle_filing_id: int, step, message: str, *args):
    """Take one step of a filing; come back to its page with the message or the refusal."""
    try:
        step(current_staff(), circle_filing_id, *args, client_ip())
    except APIError as error:
        return action_refused(error, _page_url(circle_filing_id))
    return done(message, _page_url(circle_filing_id))


@bp.post("/circle-filings/<int:circle_filing_id>/file")
@console_login_required(Role.district_admin)
def file_circle_filing(circle_filing_id: int):
    """File my district's draft or returned circle with the city."""
    return _step(circle_filing_id, circle_filings.file_filing, "已报市局备案。")


@bp.post("/circle-filings/<int:circle_filing_id>/withdraw")
@console_login_required(Role.district_admin)
def withdraw_circle_filing(circle_filing_id: int):
    """Take my district's filing back before the city decided."""
    return _step(circle_filing_id, circle_filings.withdraw_filing, "已撤回备案。")


@bp.post("/circle-filings/<int:circle_filing_id>/accept")
@console_login_required(Role.city_admin)
def accept_circle_filing(circle_filing_id: int):
    """Accept a filed circle; one due today takes effect at once."""
    return _step(circle_filing_id, circle_filings.accept_filing, "已备案；到生效日起按新范围运行。")


@bp.post("/circle-filings/<int:circle_filing_id>/return")
@console_login_required(Role.city_admin)
def return_circle_filing(circle_filing_id: int):
    """Return a filed circle to its district with the form's reason."""
    reason = request.form.get("reason") or ""
    return _step(circle_filing_id, circle_filings.return_filing, "已退回区县修改，原因已记录。", reason)
