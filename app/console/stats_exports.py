"""Exporting a dashboard's table: the same figures as the page, as Excel or CSV, audited.

POST /console/dashboard/<kind>/<code>/export?section=..&table=..&format=xlsx|csv[&month=YYYY-MM]
(a form with its CSRF token: an export is written down and audited, so it is no plain GET). The
table is the one the page shows (sections.tables_of), written by exports.export_table with a
title block naming the place, month and section; the file comes back at once.
"""

from flask import request

from app.api.downloads import send_stored
from app.console import bp, sections
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.dashboard import PLACE_KINDS, VIEWERS
from app.errors import NotFound, ValidationFailed
from app.services.exports.tables import export_table
from app.services.stats import dashboard as stats_dashboard


@bp.post(f"/dashboard/<{PLACE_KINDS}:kind>/<code>/export")
@console_login_required(*VIEWERS)
def export_stats_table(kind: str, code: str):
    """Download one table of a place's dashboard section as xlsx or csv (audited as export.stats)."""
    section, table = request.values.get("section"), request.values.get("table")
    if not section:
        raise ValidationFailed("section", "请指定统计板块。", code="missing_section")
    staff = current_staff()
    found = stats_dashboard.dashboard(staff, section, f"{kind}:{code}", request.values.get("month") or None)
    tables = sections.tables_of(found["section"], found["map"])
    if table not in tables:
        raise NotFound("table_not_found", "这个统计板块没有这张表。")
    month = found["section"]["month"]
    result = export_table(
        staff,
        f"{found['place']['name']}{found['title']}·{sections.title_of(section, table)}（{month}）",
        tables[table],
        request.values.get("format", "xlsx"),
        f"月份：{month}；板块：{found['title']}；表：{sections.title_of(section, table)}",
        client_ip(),
        place=" / ".join(crumb["name"] for crumb in found["breadcrumbs"]),
    )
    return send_stored(result.stored())
