"""Grid work progress: visit days against the plan this month, and the quarter's coverage.

GET /console/grid/progress[?as_of=YYYY-MM-DD] shows what GET /api/v1/grid/progress answers (the
same service): a grid worker their own month and communities; officials, operators and
supervisors also their place's grid workers (behind plan highlighted, first) and coverage per
circle and per community.
"""

from datetime import date

from flask import render_template, request

from app.console import bp, charts, sections
from app.console.auth import console_login_required, current_staff
from app.console.dashboard import export_url
from app.errors import ValidationFailed
from app.models import Role
from app.services.grid import progress
from app.services.grid.progress import OFFICIAL_ROLES

WORKER_COLUMNS = [
    ["name", "网格员"],
    ["communities", "负责社区/村"],
    ["visit_days", "本月走访天数"],
    ["expected_by_now", "截至当日应走访"],
    ["target", "月目标"],
    ["behind_label", "进度"],
]
COVERAGE_COLUMNS = [
    ["households", "应走访户数"],
    ["met", "本季已走访户数"],
    ["coverage", "覆盖率"],
    ["not_home", "不在家次数"],
    ["refused", "拒访次数"],
    ["moved", "已搬离户数"],
    # Phone, station and online contacts are no door-to-door visits: shown apart, never covered.
    ["contacted", "仅电话等联系户数（未上门）"],
]

# Where a past day's full tables are (the exports are this month's, to today).
ELSEWHERE = "完整数据见接口 GET /api/v1/grid/progress"


def parse_day(text: str | None) -> date | None:
    """Return a YYYY-MM-DD day (None when not given), or 422 on as_of."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("as_of", "日期格式应为 YYYY-MM-DD。", code="invalid_date") from None


def _names(refs: list[dict] | None) -> str:
    return "、".join(ref["name"] for ref in refs or [])


@bp.get("/grid/progress")
@console_login_required(Role.grid_worker, *OFFICIAL_ROLES)
def grid_progress():
    """Show visit days against the plan and the quarter's coverage (my own, and my place's)."""
    staff, as_of = current_staff(), parse_day(request.args.get("as_of"))
    found = progress.progress(staff, as_of)
    workers = [
        {
            **worker,
            "communities": _names(worker["communities"]),
            "behind_label": "落后" if worker["behind"] else "正常",
        }
        for worker in found.get("workers", [])
    ]
    communities = [
        {**row, "place": row["community"]["name"] if row["community"] else "—"}
        for row in found["quarter"]["communities"]
    ]
    circles = [
        {**row, "place": row["circle"]["name"] if row["circle"] else "未划入就业圈"}
        for row in found.get("circles", [])
    ]
    exports = {}
    if "workers" in found and as_of is None:  # the grid section's tables are this month's, to today
        path = f"{found['place']['kind']}:{found['place']['code']}"
        exports = {
            table: (
                export_url(path, "grid", table, "xlsx", None),
                export_url(path, "grid", table, "csv", None),
            )
            for table in ("workers", "communities", "circles")
        }
    tables = {
        "workers": ({"columns": WORKER_COLUMNS, "rows": workers}, {"flag": "behind"}),
        "communities": (
            {"columns": [["place", "社区/村"], *COVERAGE_COLUMNS], "rows": communities},
            {"heat": ["coverage"]},
        ),
        "circles": (
            {
                "columns": [["place", "就业圈"], ["communities", "社区/村数"], *COVERAGE_COLUMNS],
                "rows": circles,
            },
            {"heat": ["coverage"]},
        ),
    }
    shown, more = {}, {}
    for table, (rows, style) in tables.items():  # the first rows only, as the dashboards: the export has all
        first, total = sections.first_rows(rows)
        shown[table] = charts.display_table(first, **style)
        full = () if table in exports else (ELSEWHERE,)
        more[table] = sections.more_note(total, len(first["rows"]), *full)
    return render_template(
        "console/grid_progress.html",
        found=found,
        official="workers" in found,
        **shown,
        more=more,
        behind=sum(1 for worker in workers if worker["behind"]),
        exports=exports,
    )
