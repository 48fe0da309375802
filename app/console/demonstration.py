"""Demonstration communities (示范社区评选): criteria, rankings, confirmation, export (console page).

The same services as the API (services/programme/demonstration.py): the page lists the rankings
in the viewer's place and the year's criteria; a ranking's page shows every community's scores
with their evidence. Computing, the city admin's weights, confirming the list and publishing it
are POSTs (CSRF) that come back with a flash message. Outside the viewer's place: a 404 page.
"""

from flask import render_template, request, url_for

from app.common.clock import local_day
from app.common.files import attachment
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError, ValidationFailed
from app.models import Role
from app.services.exports.writers import XLSX, xlsx_sheet
from app.services.programme import demonstration, demonstration_reading
from app.services.programme.demonstration_criteria import KEYS

ADMINS = (Role.city_admin, Role.district_admin)
STATUS_TEXT = {"computed": "已计算", "confirmed": "已确认", "published": "已公布"}


def _year(raw: str | None) -> int:
    """Read a year from a form or query string (default last year), or 422 on `year`."""
    if not raw:
        return local_day().year - 1
    if not raw.strip().isdigit():
        raise ValidationFailed("year", "A year is four digits.", code="invalid_year")
    return int(raw)


def _page_url(ranking_id: int) -> str:
    """Return a ranking's page."""
    return url_for("console.demonstration_ranking_page", demonstration_ranking_id=ranking_id)


@bp.get("/demonstration")
@console_login_required(*ADMINS)
def demonstration_page():
    """List the rankings in my place and the year's criteria, with the compute form."""
    actor = current_staff()
    try:
        year = _year(request.args.get("year"))
        criteria = demonstration.list_criteria(actor, year)
    except APIError as error:
        return refused(error)
    return render_template(
        "console/demonstration.html",
        year=year,
        rankings=demonstration_reading.list_rankings(actor, None),
        criteria=criteria,
        status_text=STATUS_TEXT,
        is_city=actor.role == Role.city_admin,
    )


@bp.post("/demonstration/criteria")
@console_login_required(Role.city_admin)
def set_demonstration_criteria():
    """Save the year's weights and which criteria count (city admin)."""
    back = url_for("console.demonstration_page")
    try:
        year = _year(request.form.get("year"))
        items = []
        for key in KEYS:
            raw = (request.form.get(f"weight_{key}") or "0").strip()
            try:
                weight = float(raw)
            except ValueError:
                raise ValidationFailed(
                    f"weight_{key}", "A weight is a number.", code="invalid_input"
                ) from None
            if not 0 <= weight <= 100:
                raise ValidationFailed(f"weight_{key}", "A weight is 0–100.", code="invalid_input")
            items.append({"key": key, "weight": weight, "enabled": request.form.get(f"enabled_{key}") == "1"})
        demonstration.set_criteria(current_staff(), year, items, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("评选指标已保存。", url_for("console.demonstration_page", year=year))


@bp.post("/demonstration/rankings")
@console_login_required(*ADMINS)
def compute_demonstration_ranking():
    """Compute (or recompute) a year's ranking of a district or the city."""
    back = url_for("console.demonstration_page")
    actor = current_staff()
    try:
        kind = request.form.get("place_kind") or "district"
        if kind not in ("district", "city"):
            raise ValidationFailed("place_kind", "Choose a district or the city.", code="invalid_choice")
        code = (request.form.get("place_code") or "").strip() or None
        ranking = demonstration.compute(actor, _year(request.form.get("year")), kind, code, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("排名已计算。", _page_url(ranking["id"]))


@bp.get("/demonstration/rankings/<int:demonstration_ranking_id>")
@console_login_required(*ADMINS)
def demonstration_ranking_page(demonstration_ranking_id: int):
    """Show a ranking: every community's total, selection and each criterion's score with its evidence."""
    actor = current_staff()
    try:
        ranking = demonstration_reading.get_ranking(actor, demonstration_ranking_id)
    except APIError as error:
        return refused(error)
    return render_template(
        "console/demonstration_ranking.html",
        ranking=ranking,
        status_text=STATUS_TEXT,
        is_city=actor.role == Role.city_admin,
    )


@bp.post("/demonstration/rankings/<int:demonstration_ranking_id>/confirm")
@console_login_required(*ADMINS)
def confirm_demonstration_ranking(demonstration_ranking_id: int):
    """Confirm the list: the top N of the form (city admin); the ranking is then frozen."""
    back = _page_url(demonstration_ranking_id)
    try:
        raw = (request.form.get("top_n") or "").strip()
        if raw and not raw.isdigit():
            raise ValidationFailed("top_n", "A number of communities.", code="invalid_input")
        demonstration.confirm(
            current_staff(), demonstration_ranking_id, int(raw) if raw else None, None, client_ip()
        )
    except APIError as error:
        return action_refused(error, back)
    return done("名单已确认，排名不再重新计算。", back)


@bp.post("/demonstration/rankings/<int:demonstration_ranking_id>/publish")
@console_login_required(*ADMINS)
def publish_demonstration_ranking(demonstration_ranking_id: int):
    """Publish the confirmed list as a notice (city admin)."""
    back = _page_url(demonstration_ranking_id)
    try:
        demonstration.publish(current_staff(), demonstration_ranking_id, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("名单已作为通知公布。", back)


@bp.get("/demonstration/rankings/<int:demonstration_ranking_id>/export")
@console_login_required(*ADMINS)
def export_demonstration_ranking(demonstration_ranking_id: int):
    """Download the ranking as Excel; audited."""
    actor = current_staff()
    try:
        ranking, headers, rows = demonstration_reading.export_rows(
            actor, demonstration_ranking_id, client_ip()
        )
    except APIError as error:
        return refused(error)
    data = xlsx_sheet(
        title=f"{ranking['year']}年度示范社区评选",
        place=ranking["place"]["name"],
        filters=f"状态 {STATUS_TEXT.get(ranking['status'], ranking['status'])}",
        exported_by=actor.username or str(actor.id),
        headers=headers,
        rows=rows,
    )
    return attachment(data, XLSX, f"demonstration-{ranking['year']}-{ranking['place']['code']}.xlsx")
