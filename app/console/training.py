"""Staff training hours (工作人员培训学时): per person, role and place of the viewer's place, for a year.

The figures of GET /api/v1/events/training-hours (services/stations/training.py) as tables:
by role, by operator (运营机构, the account's operator), by place and by person.
"""

from flask import render_template, request

from app.common import clock
from app.console import bp
from app.console.auth import console_login_required, current_staff
from app.console.messages import refused
from app.errors import APIError, ValidationFailed
from app.models import Role
from app.services.stations import training

PLACE_KIND_TEXT = {
    "community": "社区",
    "township": "街道/乡镇",
    "circle": "就业圈",
    "district": "区县",
    "city": "市",
}


def _year() -> int:
    """Return the query's year (default this one), or refuse it."""
    value = request.args.get("year", "").strip()
    if not value:
        return clock.local_day().year
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise ValidationFailed("year", "Give a year such as 2026.", code="invalid_year")
    return int(value)


@bp.get("/training")
@console_login_required(*training.REPORT_ROLES)
def training_page():
    """Show the training hours of the staff in the viewer's place for a year."""
    try:
        report = training.staff_hours(current_staff(), _year())
    except APIError as error:
        return refused(error)
    return render_template(
        "console/training.html",
        report=report,
        role_text={role.value: role.label for role in Role},
        place_kind_text=PLACE_KIND_TEXT,
    )
