"""Retention (稳岗率): 3- and 6-month retention of placements per employer, circle or job kind.

The figures of GET /api/v1/placements/retention (services/placements/retention.py) as a table,
for the caller's place; the period filters the placements' first days.
"""

from datetime import date

from flask import render_template, request

from app.console import bp
from app.console.auth import console_login_required, current_staff
from app.console.messages import refused
from app.console.nav import WATCHERS
from app.errors import APIError, ValidationFailed
from app.models import Role
from app.services.placements import retention

ROLES = WATCHERS | {Role.station_staff}
GROUP_TEXT = {"employer": "用人单位", "circle": "就业圈", "job_kind": "岗位类型"}
JOB_KIND_TEXT = {
    "regular": "全职",
    "part_time": "兼职",
    "gig": "零工",
    "public_welfare": "公益性岗位",
    "internship": "就业见习",
    "registration": "就业登记（无平台岗位）",
}


def _day(name: str) -> date | None:
    """Return the query's `name` as a date (empty: None), or refuse it."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(name, "Give a date as YYYY-MM-DD.", code="invalid_date") from None


@bp.get("/retention")
@console_login_required(*ROLES)
def retention_page():
    """Show 3- and 6-month retention per employer, circle or job kind in the viewer's place."""
    by = request.args.get("by") or "employer"
    try:
        started_from, started_to = _day("started_from"), _day("started_to")
        figures = retention.retention(current_staff(), by, started_from, started_to)
    except APIError as error:
        return refused(error)
    if by == "job_kind":
        for group in figures["groups"]:
            group["name"] = JOB_KIND_TEXT.get(group["key"], group["name"])
    return render_template(
        "console/retention.html",
        figures=figures,
        by=by,
        group_text=GROUP_TEXT,
        started_from=started_from,
        started_to=started_to,
    )
