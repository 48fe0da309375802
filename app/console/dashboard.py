"""The dashboards: a place's statistics by section and month, with breadcrumbs and drill-down.

GET /console/dashboard opens the viewer's own place; /console/dashboard/<kind>/<code> a place
within their scope (beyond it: the 404 page, as the API). ?section= picks the section (people,
zero_employment, grid, jobs, stations, push: those the role may see) and ?month=YYYY-MM the
month. One service call (stats.dashboard) gives the drill-down, the section and its map; the
page maps them to ECharts options and tables (sections.py, charts.py).
"""

from flask import render_template, request, url_for

from app.console import bp, charts, sections
from app.console.auth import console_login_required, current_staff
from app.services.stats import dashboard as stats_dashboard
from app.services.stats.report import SECTION_ROLES

# Whoever may see at least one section opens the dashboard (grid workers see none).
VIEWERS = frozenset().union(*SECTION_ROLES.values())
PLACE_KINDS = "any(city, district, circle, township, community)"


def place_url(path: str, section: str | None = None, month: str | None = None) -> str:
    """Return the dashboard address of a place (`kind:code`), keeping the section and month."""
    kind, code = path.split(":", 1)
    args = {key: value for key, value in (("section", section), ("month", month)) if value}
    return url_for("console.dashboard_place", kind=kind, code=code, **args)


def export_url(path: str, section: str, table: str, fmt: str, month: str | None) -> str:
    """Return the address that exports one of a place's section tables as `fmt`."""
    kind, code = path.split(":", 1)
    args = {"section": section, "table": table, "format": fmt, **({"month": month} if month else {})}
    return url_for("console.export_stats_table", kind=kind, code=code, **args)


@bp.get("/dashboard")
@console_login_required(*VIEWERS)
def dashboard():
    """Show the dashboard of my own place."""
    return _page(None)


@bp.get(f"/dashboard/<{PLACE_KINDS}:kind>/<code>")
@console_login_required(*VIEWERS)
def dashboard_place(kind: str, code: str):
    """Show the dashboard of a place within my scope (404 beyond it)."""
    return _page(f"{kind}:{code}")


def _page(place: str | None):
    """Render a place's dashboard for the section and month the query asks for."""
    asked_month = request.args.get("month") or None
    found = stats_dashboard.dashboard(
        current_staff(), request.args.get("section") or None, place, asked_month
    )
    section = found["section"]
    name, path = section["section"], found["place"]["path"]

    def link(child: str) -> str:
        return place_url(child, name, asked_month)

    blocks = sections.blocks(section, found["map"], link)
    return render_template(
        "console/dashboard.html",
        found=found,
        section=section,
        name=name,
        month=section["month"],
        as_of=charts.moment(section.get("as_of")),
        asked_month=asked_month,
        figures=charts.figure_cards(section),
        blocks=blocks,
        drill_table=next((b for b in blocks if b.table == "children"), None),
        breadcrumbs=[
            {**crumb, "url": place_url(crumb["path"], name, asked_month)} for crumb in found["breadcrumbs"]
        ],
        children=[{**child, "url": link(child["path"])} for child in found["children"]],
        tabs=[{**tab, "url": place_url(path, tab["name"], asked_month)} for tab in found["sections"]],
        exports={
            block.table: (
                export_url(path, name, block.table, "xlsx", asked_month),
                export_url(path, name, block.table, "csv", asked_month),
            )
            for block in blocks
        },
    )
