"""ECharts options and display tables built from a stats section's dict: pure mapping, no rule.

The stats wing hands chart-ready series ({"x": [...], "series": [{key, name, data}]}), items
({key, name, value}) and tables ({"columns": [[key, 表头]], "rows": [...]}); this module only
turns them into ECharts options (plain JSON: the CSP allows no inline script, so no formatter
functions) and into the cells a console table shows (percentages, links, colour classes).
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

# Figures and columns that are a share (0 … 1): shown as percentages, charted as 0 … 100.
PERCENT_KEYS = frozenset({"unemployment_rate", "coverage", "served_rate", "priority_share", "sent_rate"})
# Colour classes of a heat table, from cold to hot (styles in static/dashboard.css).
HEAT_CLASSES = ("heat-0", "heat-1", "heat-2", "heat-3", "heat-4")
# Past this many categories an axis chart gets a slider (a city's hundreds of grid workers).
ZOOM_FROM = 24
PALETTE = [
    "#2f6fb3",
    "#e07b39",
    "#3a9e6f",
    "#c8443c",
    "#7c5cb8",
    "#8c6d46",
    "#d267a8",
    "#6b7785",
    "#b5a133",
    "#2aa6b8",
]


def _base(legend: bool = True) -> dict:
    """Return what every chart shares: no animation (steady screenshots), the palette, ARIA labels."""
    options = {
        "animation": False,
        "aria": {"enabled": True},
        "color": PALETTE,
        "tooltip": {"trigger": "axis", "confine": True},
        "grid": {"left": 12, "right": 24, "top": 48, "bottom": 12, "containLabel": True},
    }
    if legend:
        options["legend"] = {"type": "scroll", "top": 4}
    return options


def percent(value):
    """Return a share as a percentage to one place (None stays None)."""
    return None if value is None else round(value * 100, 1)


def _category_axis(labels: list, rotate_from: int = 8) -> dict:
    """Return a category x-axis, its labels slanted when many or long."""
    longest = max((len(str(label)) for label in labels), default=0)
    slanted = len(labels) > rotate_from or (len(labels) > 4 and longest > 5)
    return {
        "type": "category",
        "data": list(labels),
        "axisLabel": {"interval": 0 if len(labels) <= ZOOM_FROM else "auto", "rotate": 30 if slanted else 0},
    }


def axis_chart(
    chart: dict,
    kind: str = "bar",
    stack: str | None = None,
    is_percent: bool = False,
    y_name: str | None = None,
) -> dict:
    """Return the options of a line or bar chart of a section's {x, series} (stacked when `stack`)."""
    options = _base(legend=len(chart["series"]) > 1)
    options["xAxis"] = _category_axis(chart["x"])
    options["yAxis"] = {"type": "value", "minInterval": 1, **({"name": y_name} if y_name else {})}
    if is_percent:
        options["yAxis"] = {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}}
    series = []
    for item in chart["series"]:
        data = [percent(v) for v in item["data"]] if is_percent else list(item["data"])
        entry = {"name": item["name"], "type": kind, "data": data}
        if kind == "line":
            entry.update(connectNulls=False, symbolSize=6)
        if stack:
            entry["stack"] = stack
            entry["emphasis"] = {"focus": "series"}
        series.append(entry)
    options["series"] = series
    if len(chart["x"]) > ZOOM_FROM:
        options["dataZoom"] = [{"type": "slider", "start": 0, "end": 100 * ZOOM_FROM / len(chart["x"])}]
        options["grid"]["bottom"] = 48
    return options


def rows_chart(rows: list[dict], label_key: str, series: Iterable[tuple[str, str]]) -> dict:
    """Return a {x, series} chart of table rows: one category per row, one series per (key, name)."""
    return {
        "x": [row.get(label_key) for row in rows],
        "series": [
            {"key": key, "name": name, "data": [row.get(key) for row in rows]} for key, name in series
        ],
    }


def target_bars(chart: dict, target: int, target_name: str) -> dict:
    """Return bars of `chart` with a horizontal target line (e.g. the plan's 10 visit days)."""
    options = axis_chart(chart)
    options["series"][0]["markLine"] = {
        "symbol": "none",
        "silent": True,
        "lineStyle": {"type": "dashed", "color": "#c8443c", "width": 2},
        "label": {"formatter": f"{target_name} {target}", "position": "insideEndTop"},
        "data": [{"name": target_name, "yAxis": target}],
    }
    for entry in options["series"][1:]:
        entry.update(type="line", step="middle", symbol="none", lineStyle={"type": "dotted"})
    return options


def pie(items: list[dict], name: str) -> dict:
    """Return a ring chart of the items ({name, value}) that are not zero (the table lists them all)."""
    options = _base()
    options["tooltip"] = {"trigger": "item", "formatter": "{b}: {c} ({d}%)"}
    options["series"] = [
        {
            "name": name,
            "type": "pie",
            "radius": ["38%", "68%"],
            "center": ["50%", "56%"],
            "data": [{"name": item["name"], "value": item["value"]} for item in items if item["value"]],
            "label": {"formatter": "{b}\n{c}"},
        }
    ]
    return options


def funnel(items: list[dict], name: str) -> dict:
    """Return a funnel of steps in their order ({name, value}), each step's count on it."""
    options = _base()
    options["tooltip"] = {"trigger": "item", "formatter": "{b}: {c}"}
    options["series"] = [
        {
            "name": name,
            "type": "funnel",
            "sort": "none",
            "left": "10%",
            "width": "80%",
            "top": 48,
            "bottom": 12,
            "minSize": "8%",
            "label": {"show": True, "position": "inside", "formatter": "{b}\n{c}"},
            "data": [{"name": item["name"], "value": item["value"]} for item in items],
        }
    ]
    return options


def heatmap(heat: dict, name: str) -> dict:
    """Return a heatmap of a section's {x, y, data: [[x, y, n]], max} (e.g. weekday × hour)."""
    options = _base(legend=False)
    options["tooltip"] = {"trigger": "item", "position": "top"}
    options["grid"] = {"left": 12, "right": 24, "top": 16, "bottom": 64, "containLabel": True}
    options["xAxis"] = {"type": "category", "data": heat["x"], "splitArea": {"show": True}}
    options["yAxis"] = {"type": "category", "data": heat["y"], "inverse": True, "splitArea": {"show": True}}
    options["visualMap"] = {
        "min": 0,
        "max": max(heat["max"], 1),
        "calculable": True,
        "orient": "horizontal",
        "left": "center",
        "bottom": 4,
        "inRange": {"color": ["#f2f6fb", "#2f6fb3"]},
    }
    options["series"] = [
        {"name": name, "type": "heatmap", "data": heat["data"], "label": {"show": True}, "emphasis": {}}
    ]
    return options


def point_map(points: dict) -> dict:
    """Return a plain-canvas map: communities and stations as points on longitude/latitude axes."""
    options = _base()
    options["tooltip"] = {"trigger": "item", "formatter": "{a}：{b}"}
    options["xAxis"] = {"type": "value", "name": "经度", "scale": True, "splitLine": {"show": False}}
    options["yAxis"] = {"type": "value", "name": "纬度", "scale": True, "splitLine": {"show": False}}
    options["series"] = [
        {
            "name": name,
            "type": "scatter",
            "symbol": symbol,
            "symbolSize": size,
            "data": [{"name": p["name"], "value": [p["lng"], p["lat"]]} for p in points[key]],
        }
        for key, name, symbol, size in (
            ("communities", "社区/村", "circle", 7),
            ("stations", "服务站", "diamond", 14),
        )
    ]
    return options


# ---- tables ------------------------------------------------------------------------------------


def series_table(chart: dict, first_header: str) -> dict:
    """Return the table of an x-axis chart: a row per category, a column per series."""
    columns = [["x", first_header], *[[s["key"], s["name"]] for s in chart["series"]]]
    rows = [
        {"x": x, **{s["key"]: s["data"][index] for s in chart["series"]}}
        for index, x in enumerate(chart["x"])
    ]
    return {"columns": columns, "rows": rows}


def items_table(items: list[dict], name_header: str, value_header: str) -> dict:
    """Return the table of items ({key, name, value})."""
    return {"columns": [["name", name_header], ["value", value_header]], "rows": [dict(i) for i in items]}


def map_table(points: dict) -> dict:
    """Return the table of the map's points: kind, code, name, longitude, latitude."""
    rows = [
        {"kind": kind, **point}
        for key, kind in (("stations", "服务站"), ("communities", "社区/村"))
        for point in points[key]
    ]
    columns = [["kind", "类别"], ["code", "编号"], ["name", "名称"], ["lng", "经度"], ["lat", "纬度"]]
    return {"columns": columns, "rows": rows}


def heat_class(share: float | None) -> str | None:
    """Return the colour class of a share 0 … 1 (None: no class)."""
    if share is None:
        return None
    return HEAT_CLASSES[min(int(share * len(HEAT_CLASSES)), len(HEAT_CLASSES) - 1)]


def cell_text(key: str, value):
    """Return a cell's value as shown: shares as percentages, the rest as they are."""
    if key in PERCENT_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{percent(value)}%"
    return value


def display_table(
    table: dict,
    link: Callable[[str], str] | None = None,
    heat: Iterable[str] = (),
    heat_max: float | None = None,
    flag: str | None = None,
) -> dict:
    """Return a table's cells for the page: the place column linked (drill-down), heat and flag classes.

    `link` turns a row's `path` (kind:code) into the address of its dashboard; `heat` names the
    columns coloured by value (shares, or counts against `heat_max`); `flag` names a boolean key
    whose rows are highlighted (class "behind").
    """
    heat = frozenset(heat)
    rows = []
    for row in table["rows"]:
        cells = {}
        flagged = bool(flag and row.get(flag))
        for key, _header in table["columns"]:
            value = row.get(key)
            cell = {"text": cell_text(key, value)}
            classes = []
            if key in heat and isinstance(value, int | float):
                share = value if heat_max is None else (value / heat_max if heat_max else 0.0)
                classes.append(heat_class(share))
            if flagged:
                classes.append("behind")
            if key == "place" and link is not None and row.get("path"):
                cell["href"] = link(row["path"])
            if key == "place" and row.get("group") == "outside_circle":
                cell["text"] = f"{value}（圈外）"
            if classes:
                cell["class"] = " ".join(classes)
            cells[key] = cell
        rows.append(cells)
    return {"columns": table["columns"], "rows": rows}


def moment(text: str | None):
    """Return an ISO-8601 UTC moment ("…T…Z") as a naive-UTC datetime to show; a day or None as it is."""
    if not text or "T" not in text:
        return text
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def figure_cards(section: dict) -> list[dict]:
    """Return the section's headline figures as cards: key, Chinese label and the value shown."""
    labels = section.get("labels", {})
    return [
        {"key": key, "label": labels.get(key, key), "value": cell_text(key, value)}
        for key, value in section.get("figures", {}).items()
    ]
