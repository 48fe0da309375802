"""What every console page's layout needs: the signed-in staff member, the navigation, filters."""

from datetime import UTC, datetime

from flask import g, request

from app.common import clock
from app.console import bp
from app.console.nav import nav_groups
from app.models import Role
from app.services.people.places import describe_place


@bp.context_processor
def layout_context() -> dict:
    """Give base.html the staff member, their role and place, and their navigation."""
    staff = g.get("console_staff")
    if staff is None:
        return {"console_user": None, "console_nav": [], "console_place": None, "console_role": None}
    return {
        "console_user": staff,
        "console_role": Role(staff.role).label,
        "console_place": describe_place(staff.scope_kind, staff.scope_id),
        "console_nav": nav_groups(staff),
        "console_path": request.path,
    }


@bp.app_template_filter("console_time")
def console_time(moment: datetime | None, with_seconds: bool = False) -> str:
    """Format a naive-UTC moment on the city's clock (2026-12-05 09:00); "—" for none."""
    if moment is None:
        return "—"
    local = moment.replace(tzinfo=UTC).astimezone(clock.zone())
    return local.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


@bp.app_template_filter("console_cell")
def console_cell(value) -> str:
    """Show one table cell's plain value: "—" for none, 是/否 for booleans, times on the city's clock."""
    if value is None or value == "":
        return "—"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, datetime):
        return console_time(value)
    return str(value)
