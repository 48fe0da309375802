"""Supervision (监理): phone spot-checks, findings, operator KPIs, the monthly report (console page).

The same services as the API (services/programme/): the month's page shows the operator KPIs,
the samples of the reader's district and the findings; a sample's page is the call list, where
the supervisor reveals a phone (audited) and records each call; a finding's page carries the
operator's answer and the supervisor's close and reopen. Actions are POSTs (CSRF) that come back
with a flash message; outside the user's place a 404 page, nothing changes.
"""

from datetime import date, timedelta

from flask import render_template, request, url_for

from app.api.supervision import report_download
from app.common.clock import local_day, month_start
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError, ValidationFailed
from app.models import Role, ScopeKind
from app.services.programme import findings, operator_kpis, spot_check_calls, spot_checks
from app.services.programme.findings import STATUS_TEXT
from app.services.programme.spot_checks import KIND_TEXT
from app.services.programme.supervision_scope import FINDING_READERS, SAMPLE_READERS

DISTRICT_LEVELS = (ScopeKind.district.value, ScopeKind.city.value)


def _month(raw: str | None, default: date) -> date:
    """Read a YYYY-MM month (its first day), or 422 on the field."""
    if not raw:
        return default
    try:
        year, month = (int(part) for part in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValidationFailed("month", "A month is YYYY-MM.", code="invalid_month") from None


def _last_month() -> date:
    """Return the first day of last month (the month a supervisor usually checks)."""
    return month_start(month_start(local_day()) - timedelta(days=1))


def _int(raw: str | None, field: str) -> int | None:
    """Read an optional whole number from a form, or 422 on the field."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(field, "A number.", code="invalid_input")
    return int(raw)


@bp.get("/supervision")
@console_login_required(*FINDING_READERS)
def supervision_page():
    """Show a month's operator KPIs, the spot-check samples and the findings in my place."""
    actor = current_staff()
    try:
        month = _month(request.args.get("month"), _last_month())
        kpis = operator_kpis.kpis(actor, month)
    except APIError as error:
        return refused(error)
    district_level = actor.role in SAMPLE_READERS and actor.scope_kind in DISTRICT_LEVELS
    samples = (
        spot_checks.list_samples(actor, {"month": month, "page": 1, "per_page": 50})
        if district_level
        else None
    )
    status = request.args.get("status") or None
    status = status if status in STATUS_TEXT else None
    listed = findings.list_findings(actor, {"status": status, "page": 1, "per_page": 50})
    return render_template(
        "console/supervision.html",
        month=f"{month:%Y-%m}",
        kpis=kpis,
        samples=samples,
        findings=listed,
        status=status,
        status_text=STATUS_TEXT,
        kinds=KIND_TEXT,
        may_draw=actor.role == Role.supervisor and district_level,
        may_raise=actor.role == Role.supervisor,
        city_level=actor.scope_kind == ScopeKind.city.value,
    )


@bp.get("/supervision/report")
@console_login_required(*FINDING_READERS)
def supervision_report_download():
    """Download the month's supervision report (Excel)."""
    try:
        return report_download(current_staff(), _month(request.args.get("month"), _last_month()), client_ip())
    except APIError as error:
        return refused(error)


@bp.post("/spot-check-samples")
@console_login_required(Role.supervisor)
def draw_sample_page():
    """Draw a month's sample from the form and open its call list."""
    back = url_for("console.supervision_page")
    form = request.form
    try:
        values = {
            "month": _month(form.get("month"), _last_month()),
            "operator_id": _int(form.get("operator_id"), "operator_id"),
            "kind": form.get("kind") if form.get("kind") in KIND_TEXT else "visit",
            "district_code": (form.get("district_code") or "").strip() or None,
            "size": _int(form.get("size"), "size"),
        }
        if values["operator_id"] is None:
            raise ValidationFailed("operator_id", "Name the operator.", code="operator_required")
        if values["size"] is not None and not 1 <= values["size"] <= spot_checks.MAX_SIZE:
            raise ValidationFailed("size", "1 to 100 calls.", code="invalid_input")
        sample, created = spot_checks.draw(current_staff(), values, client_ip())
    except APIError as error:
        return action_refused(error, back)
    message = "已抽取样本。" if created else "该月样本已抽取过，以下为原样本。"
    return done(message, url_for("console.sample_page", spot_check_sample_id=sample["id"]))


def _sample_page(spot_check_sample_id: int, revealed: dict | None = None):
    """Render a sample's call list (with a phone just revealed, when one was)."""
    actor = current_staff()
    try:
        sample = spot_checks.sample_view(actor, spot_check_sample_id)
    except APIError as error:
        return refused(error)
    return render_template(
        "console/spot_check_sample.html",
        sample=sample,
        revealed=revealed or {},
        may_call=actor.role == Role.supervisor,
    )


@bp.get("/spot-check-samples/<int:spot_check_sample_id>")
@console_login_required(*SAMPLE_READERS)
def sample_page(spot_check_sample_id: int):
    """Show a sample's call list (masked), with the call forms for the supervisor."""
    return _sample_page(spot_check_sample_id)


@bp.post("/spot-checks/<int:spot_check_id>/reveal")
@console_login_required(*SAMPLE_READERS)
def reveal_call_phone(spot_check_id: int):
    """Show the call list with one call's full phone (audited), for the supervisor to ring."""
    actor = current_staff()
    try:
        call = spot_check_calls.get_call(actor, spot_check_id)
        shown = spot_check_calls.reveal_phone(actor, spot_check_id, client_ip())
    except APIError as error:
        return action_refused(error, url_for("console.supervision_page"))
    return _sample_page(call["sample_id"], {spot_check_id: shown["phone"]})


def _answer(raw: str | None) -> bool | None:
    """Read a yes/no answer of the call form (empty: not given)."""
    return {"1": True, "0": False}.get(raw or "")


@bp.post("/spot-checks/<int:spot_check_id>/call")
@console_login_required(*SAMPLE_READERS)
def record_call_page(spot_check_id: int):
    """Record a call from the form; a discrepancy raises a finding."""
    actor = current_staff()
    form = request.form
    try:
        call = spot_check_calls.get_call(actor, spot_check_id)
        back = url_for("console.sample_page", spot_check_sample_id=call["sample_id"])
        values = {
            "reached": form.get("reached") == "1",
            "visit_confirmed": _answer(form.get("visit_confirmed")),
            "data_correct": _answer(form.get("data_correct")),
            "satisfaction": _int(form.get("satisfaction"), "satisfaction"),
            "note": form.get("note"),
        }
        recorded = spot_check_calls.record_call(actor, spot_check_id, values, client_ip())
    except APIError as error:
        return action_refused(error, url_for("console.supervision_page"))
    message = "已记录。" + ("发现问题，已生成整改事项并交运营机构。" if recorded["finding_id"] else "")
    return done(message, back)


@bp.post("/findings")
@console_login_required(Role.supervisor)
def create_finding_page():
    """Raise a finding by hand from the form."""
    back = url_for("console.supervision_page")
    form = request.form
    try:
        due_on = (form.get("due_on") or "").strip()
        try:
            due = date.fromisoformat(due_on) if due_on else None
        except ValueError:
            raise ValidationFailed("due_on", "A date is YYYY-MM-DD.", code="invalid_date") from None
        title = (form.get("title") or "").strip()
        if not 2 <= len(title) <= 128:
            raise ValidationFailed("title", "2–128 characters.", code="invalid_input")
        values = {
            "circle_code": (form.get("circle_code") or "").strip(),
            "title": title,
            "detail": form.get("detail"),
            "operator_id": _int(form.get("operator_id"), "operator_id"),
            "due_on": due,
            "client_id": (form.get("client_id") or "").strip().lower()[:64] or None,
        }
        finding, _ = findings.create(current_staff(), values, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("已生成整改事项。", url_for("console.finding_page", finding_id=finding["id"]))


@bp.get("/findings/<int:finding_id>")
@console_login_required(*FINDING_READERS)
def finding_page(finding_id: int):
    """Show a finding, its steps, and the answer, close and reopen forms for whom they are."""
    actor = current_staff()
    try:
        finding = findings.get(actor, finding_id)
    except APIError as error:
        return refused(error)
    return render_template(
        "console/finding.html",
        finding=finding,
        may_answer=actor.role == Role.operator and finding["status"] == "open",
        may_close=actor.role == Role.supervisor and finding["status"] == "answered",
        may_reopen=actor.role == Role.supervisor and finding["status"] in ("answered", "closed"),
    )


@bp.post("/findings/<int:finding_id>/answer")
@console_login_required(Role.operator)
def answer_finding_page(finding_id: int):
    """Answer an open finding of my operator."""
    back = url_for("console.finding_page", finding_id=finding_id)
    try:
        findings.answer(current_staff(), finding_id, request.form.get("answer") or "", client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("已提交整改反馈，等待监理销号。", back)


@bp.post("/findings/<int:finding_id>/close")
@console_login_required(Role.supervisor)
def close_finding_page(finding_id: int):
    """Close an answered finding."""
    back = url_for("console.finding_page", finding_id=finding_id)
    try:
        findings.close(current_staff(), finding_id, request.form.get("note"), client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("已销号。", back)


@bp.post("/findings/<int:finding_id>/reopen")
@console_login_required(Role.supervisor)
def reopen_finding_page(finding_id: int):
    """Reopen a finding with the form's reason."""
    back = url_for("console.finding_page", finding_id=finding_id)
    try:
        findings.reopen(current_staff(), finding_id, request.form.get("reason") or "", client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("已重新打开，运营机构须在新的期限内整改。", back)
