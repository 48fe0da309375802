"""What each dashboard section shows: its charts and tables, in order, from the section's dict.

A Block is one chart with its table below it (the chart macro), or a table alone; every block's
table can be exported by its name (tables_of gives the section's own tables and those built
from its chart series, the map's included). Nothing here computes a figure: it picks series
and tables out of the stats service's answer and hands them to charts.py.
"""

from collections.abc import Callable
from dataclasses import dataclass

from app.console import charts

# Chinese titles of the tables, by section and table name: the block's heading and the export's.
TITLES = {
    "people": {
        "children": "各下级地点就业情况",
        "status_trend": "近12个月各就业状态人数",
        "by_status": "本月就业状态",
        "by_key_group": "重点群体人次",
        "flows_trend": "近12个月新增失业与再就业",
        "trend": "近12个月主要指标",
    },
    "zero_employment": {
        "children": "各下级地点零就业家庭",
        "trend": "近12个月零就业家庭",
        "days_open": "未清零时长分布",
        "oldest": "未清零时间最长的家庭",
    },
    "grid": {
        "children": "各下级地点本季走访覆盖率",
        "workers": "网格员本月走访天数",
        "visit_days": "网格员走访天数分布",
        "communities": "各社区/村本季走访覆盖率",
        "circles": "各就业圈本季走访覆盖率",
    },
    "jobs": {
        "children": "各下级地点岗位招聘",
        "by_circle": "各就业圈岗位招聘",
        "by_size": "按企业规模的岗位招聘",
        "pipeline": "投递、面试与录用",
    },
    "stations": {
        "funnel": "服务漏斗：签到→服务→结果",
        "by_purpose": "按来访事由的服务结果",
        "by_outcome": "服务结果",
        "waits": "等候时长分布",
        "heat": "按星期和时段的来访（安排窗口人手）",
        "stations": "各服务站",
        "map": "服务站与社区/村分布",
    },
    "push": {
        "by_template": "各消息模板推送结果",
        "daily": "每日推送",
        "skip_reasons": "未发送原因",
    },
}


# The workers' chart names at most this many (behind plan first).
WORKERS_CHARTED = 60
# A dashboard table shows at most this many rows, in the table's own order (behind plan first,
# lowest coverage first, busiest station first); its export writes every row. The drill-down
# table stays whole: its rows are the navigation (a few hundred at most).
PAGE_ROWS = 50


@dataclass(frozen=True)
class Block:
    """One part of a dashboard: a chart (options) with its table below, or a table alone."""

    id: str
    title: str
    table: str  # the name of its table in tables_of(), which the export buttons send
    cells: dict  # the table as the page shows it (charts.display_table)
    options: dict | None = None
    note: str | None = None
    height: int = 320
    more: str | None = None  # "共 N 行，仅显示前 50 行 …" when the page shows only the first rows


def title_of(section: str, table: str) -> str:
    """Return the Chinese title of a section's table (its name when it has none)."""
    return TITLES.get(section, {}).get(table, table)


def first_rows(table: dict, limit: int | None = None) -> tuple[dict, int]:
    """Return a table cut to its first `limit` rows (PAGE_ROWS by default) and its number of rows."""
    limit = PAGE_ROWS if limit is None else limit
    rows = table["rows"]
    return ({**table, "rows": rows[:limit]} if len(rows) > limit else table), len(rows)


def more_note(total: int, shown: int, full: str = "完整表格请导出 Excel/CSV") -> str | None:
    """Return the line saying a table shows only its first rows, and where the rest are (None: all shown)."""
    if total <= shown:
        return None
    return f"共 {total} 行，仅显示前 {shown} 行 — {full}"


def tables_of(section: dict, points: dict | None = None) -> dict[str, dict]:
    """Return every table a section's page shows and exports: the section's, its charts', the map's."""
    name, series = section["section"], section["series"]
    tables = dict(section["tables"])
    if name == "people":
        tables["status_trend"] = charts.series_table(series["status_trend"], "月份")
        tables["flows_trend"] = charts.series_table(series["flows_trend"], "月份")
    elif name == "grid":
        tables["visit_days"] = charts.series_table(series["visit_days"], "本月走访天数")
    elif name == "jobs":
        tables["pipeline"] = charts.series_table(series["pipeline"], "环节")
    elif name == "stations":
        tables["funnel"] = charts.items_table(section["funnel"], "环节", "人次")
        if points is not None:
            tables["map"] = charts.map_table(points)
    return tables


def blocks(section: dict, points: dict | None, link: Callable[[str], str]) -> list[Block]:
    """Return the blocks of a section's page, the drill-down table (if any) first."""
    tables = tables_of(section, points)
    name = section["section"]
    found = BUILDERS[name](section, tables, link, points)
    return [b for b in found if b is not None]


def _block(
    section: dict,
    tables: dict,
    table: str,
    options: dict | None = None,
    link: Callable[[str], str] | None = None,
    heat: tuple | list = (),
    heat_max: float | None = None,
    flag: str | None = None,
    note: str | None = None,
    height: int = 320,
    whole: bool = False,
) -> Block:
    """Return a block of a section's table (by name) under its Chinese title, its first rows unless whole."""
    name = section["section"]
    shown, total = (tables[table], len(tables[table]["rows"])) if whole else first_rows(tables[table])
    return Block(
        id=f"{name}-{table}".replace("_", "-"),
        title=title_of(name, table),
        table=table,
        cells=charts.display_table(shown, link=link, heat=heat, heat_max=heat_max, flag=flag),
        options=options,
        note=note,
        height=height,
        more=more_note(total, len(shown["rows"])),
    )


def _children(section: dict, tables: dict, link, options=None, heat=()) -> Block | None:
    """Return the drill-down block (the children table, linked), or None at the bottom of the tree."""
    if not tables.get("children", {}).get("rows"):
        return None
    return _block(section, tables, "children", options, link, heat=heat, whole=True)


def _people(section: dict, tables: dict, link, points) -> list:
    series = section["series"]
    children = tables.get("children", {}).get("rows", [])
    by_child = charts.rows_chart(children, "place", [("employed", "就业"), ("unemployed", "未就业")])
    return [
        _children(section, tables, link, charts.axis_chart(by_child, stack="status")),
        _block(section, tables, "status_trend", charts.axis_chart(series["status_trend"], "line")),
        _block(section, tables, "by_status", charts.pie(section["by_status"], "就业状态")),
        _block(section, tables, "by_key_group", charts.axis_chart(series["key_groups"])),
        _block(section, tables, "flows_trend", charts.axis_chart(series["flows_trend"], "line")),
        _block(section, tables, "trend"),
    ]


def _zero_employment(section: dict, tables: dict, link, points) -> list:
    series = section["series"]
    return [
        _children(section, tables, link),
        _block(section, tables, "trend", charts.axis_chart(series["trend"], "line")),
        _block(section, tables, "days_open", charts.axis_chart(series["days_open"])),
        _block(section, tables, "oldest", note="按认定日期从早到晚，最多列出 20 户（不含姓名和证件号）。"),
    ]


def _grid(section: dict, tables: dict, link, points) -> list:
    series, figures = section["series"], section["figures"]
    workers = tables["workers"]["rows"]
    per_worker = charts.rows_chart(
        workers[:WORKERS_CHARTED],
        "name",
        [("visit_days", "本月走访天数"), ("expected_by_now", "截至当日应走访")],
    )
    more = f"图中列出前 {WORKERS_CHARTED} 名。" if len(workers) > WORKERS_CHARTED else ""
    return [
        _children(
            section,
            tables,
            link,
            charts.axis_chart(series["coverage_by_child"], is_percent=True),
            heat=["coverage"],
        ),
        _block(
            section,
            tables,
            "workers",
            charts.target_bars(per_worker, figures["target"], "月目标"),
            flag="behind",
            note=f"红色为进度落后（本月走访天数少于截至当日应走访天数），落后者排在前面。{more}",
        ),
        _block(section, tables, "visit_days", charts.axis_chart(series["visit_days"])),
        _block(
            section,
            tables,
            "communities",
            heat=["coverage"],
            note="颜色越深覆盖率越高（本季已走访户数 ÷ 应走访户数），覆盖率低的排在前面。",
        ),
        _block(section, tables, "circles", heat=["coverage"]),
    ]


def _jobs(section: dict, tables: dict, link, points) -> list:
    series = section["series"]
    return [
        _children(section, tables, link),
        _block(section, tables, "by_circle", charts.axis_chart(series["by_circle"])),
        _block(
            section,
            tables,
            "by_size",
            charts.axis_chart(series["by_size"]),
            note="小微企业（微型、小型）是计划的重点。",
        ),
        _block(section, tables, "pipeline", charts.axis_chart(series["pipeline"])),
    ]


def _stations(section: dict, tables: dict, link, points) -> list:
    series, figures, heat = section["series"], section["figures"], section["heat"]
    median, p90 = (figures.get(key) for key in ("median_wait_minutes", "p90_wait_minutes"))
    waits = f"中位数 {'—' if median is None else median} 分钟，90分位 {'—' if p90 is None else p90} 分钟"
    hours = [f"h{hour}" for hour in range(24)]
    found = [
        _block(section, tables, "funnel", charts.funnel(section["funnel"], "服务漏斗")),
        _block(section, tables, "by_purpose", charts.axis_chart(series["by_purpose"], stack="outcome")),
        _block(section, tables, "by_outcome", charts.pie(section["by_outcome"], "服务结果")),
        _block(section, tables, "waits", charts.axis_chart(series["waits"]), note=f"等候时长：{waits}。"),
        _block(
            section,
            tables,
            "heat",
            charts.heatmap(heat, "来访签到"),
            heat=hours,
            heat_max=heat["max"],
            height=300,
        ),
        _block(section, tables, "stations", charts.axis_chart(series["by_station"])),
    ]
    if points is not None:
        found.append(
            _block(
                section,
                tables,
                "map",
                charts.point_map(points),
                height=420,
                note="按我们记录的经纬度绘制（GCJ-02），不加载在线地图。",
            )
        )
    return found


def _push(section: dict, tables: dict, link, points) -> list:
    series = section["series"]
    return [
        _block(section, tables, "by_template", charts.axis_chart(series["by_template"], stack="outcome")),
        _block(section, tables, "daily", charts.axis_chart(series["daily"], stack="outcome")),
        _block(section, tables, "skip_reasons"),
    ]


BUILDERS = {
    "people": _people,
    "zero_employment": _zero_employment,
    "grid": _grid,
    "jobs": _jobs,
    "stations": _stations,
    "push": _push,
}
