"""Grid work: door-visit days per grid worker this month against the plan's 10, quarterly coverage.

Workers and their visit days: the grid assignments of the place's communities, and one indexed
range per worker on door visits (worker_id, channel, visit_day), the same rows /grid/progress
shows officials. Coverage per community (households met at the door this quarter ÷ households,
moved ones left out) comes from the month's ledger snapshot, rolled up per circle and per child
place; households reached only by phone, at the station or online are a column apart (contacted).
"""

from datetime import date

from flask import current_app

from app.models import Account
from app.services.grid.progress import expected_by, place_progress
from app.services.stats.base import Grouping, chart, iso, ratio, table, window
from app.services.stats.labels import NO_CIRCLE
from app.services.stats.places import PlaceRef

FIGURES = {
    "workers": "网格员",
    "behind": "进度落后",
    "on_track": "进度正常",
    "target": "每月走访天数目标",
    "expected_by_now": "截至当日应走访天数",
    "average_visit_days": "平均走访天数",
    "communities": "社区/村",
    "households": "应走访户数",
    "met": "本季已走访户数",
    "coverage": "本季覆盖率",
    "contacted": "本季仅电话/到站/线上联系户数",
}
COVERAGE_COLUMNS = [
    ("households", "应走访户数"),
    ("met", "已走访户数"),
    ("coverage", "覆盖率"),
    ("not_home", "不在家次数"),
    ("refused", "拒访次数"),
    ("moved", "已搬离户数"),
    # Reached by phone, at the station or online but not yet at the door: not covered.
    ("contacted", "仅电话等联系户数（未上门）"),
]
# The chart of workers furthest behind names at most this many.
BEHIND_CHART_MAX = 30


def grid(actor: Account, place: PlaceRef, month: date) -> dict:
    """Return a place's grid workers' visit days for a month and the quarter's coverage to its end."""
    span = window(month)
    found = place_progress(place.kind, place.id, span.through)
    workers, communities = found["workers"], found["communities"]
    target, expected = current_app.config["VISIT_DAYS_TARGET"], expected_by(span.through)
    behind = sum(1 for w in workers if w["behind"])
    households, met = sum(c["households"] for c in communities), sum(c["met"] for c in communities)
    figures = {
        "workers": len(workers),
        "behind": behind,
        "on_track": len(workers) - behind,
        "target": target,
        "expected_by_now": expected,
        "average_visit_days": round(sum(w["visit_days"] for w in workers) / len(workers), 1)
        if workers
        else 0.0,
        "communities": len(communities),
        "households": households,
        "met": met,
        "coverage": ratio(met, households),
        "contacted": sum(c["contacted"] for c in communities),
    }
    grouping = Grouping(place)
    per_child: dict[tuple, dict] = {}
    for row in communities:
        key = grouping.key(row)
        if key is not None:
            total = per_child.setdefault(key, _coverage_total())
            _add_coverage(total, row)
    for total in per_child.values():
        total["coverage"] = ratio(total["met"], total["households"])
    child_rows = grouping.rows(per_child, _coverage_total())
    worker_rows = [
        {
            "account_id": w["account_id"],
            "name": w["name"],
            "communities": "、".join(c["name"] for c in w["communities"]),
            "visit_days": w["visit_days"],
            "target": w["target"],
            "expected_by_now": w["expected_by_now"],
            "behind": w["behind"],
            "behind_label": "落后" if w["behind"] else "正常",
        }
        for w in workers
    ]
    community_rows = sorted(
        (
            {"place": c["community"]["name"], "path": f"community:{c['community']['code']}", **_figures_of(c)}
            for c in communities
        ),
        key=lambda r: (r["coverage"], r["path"]),
    )
    circle_rows = [
        {
            "place": c["circle"]["name"] if c["circle"] else NO_CIRCLE,
            "path": f"circle:{c['circle']['code']}" if c["circle"] else None,
            "communities": c["communities"],
            **{name: c[name] for name, _ in COVERAGE_COLUMNS},
        }
        for c in found["circles"]
    ]
    distribution = [0] * (target + 1)
    for w in workers:
        distribution[min(w["visit_days"], target)] += 1
    furthest = sorted((w for w in workers if w["behind"]), key=lambda w: w["visit_days"])[:BEHIND_CHART_MAX]
    return {
        "section": "grid",
        "place": place.as_dict(),
        "month": span.label,
        "live": span.current,
        "as_of": span.through.isoformat(),
        "coverage_as_of": iso(found["coverage_as_of"]),
        "figures": figures,
        "labels": FIGURES,
        "series": {
            "visit_days": chart(
                [f"{d}天" if d < target else f"{target}天及以上" for d in range(target + 1)],
                [("workers", "网格员人数", distribution)],
            ),
            "behind": chart(
                [w["name"] for w in furthest],
                [
                    ("visit_days", "走访天数", [w["visit_days"] for w in furthest]),
                    ("expected_by_now", "应走访天数", [w["expected_by_now"] for w in furthest]),
                ],
            ),
            "coverage_by_child": chart(
                [r["place"] for r in child_rows],
                [("coverage", "本季覆盖率", [r["coverage"] for r in child_rows])],
            ),
        },
        "tables": {
            "workers": table(
                [
                    ("name", "网格员"),
                    ("communities", "负责社区/村"),
                    ("visit_days", "本月走访天数"),
                    ("expected_by_now", "截至当日应走访"),
                    ("target", "月目标"),
                    ("behind_label", "进度"),
                ],
                worker_rows,
            ),
            "communities": table([("place", "社区/村"), *COVERAGE_COLUMNS], community_rows),
            "circles": table(
                [("place", "就业圈"), ("communities", "社区/村数"), *COVERAGE_COLUMNS], circle_rows
            ),
            "children": table(
                [("place", "地点"), ("communities", "社区/村数"), *COVERAGE_COLUMNS], child_rows
            ),
        },
    }


def _coverage_total() -> dict:
    return {"communities": 0, **{name: 0 for name, _ in COVERAGE_COLUMNS}, "coverage": 0.0}


def _add_coverage(total: dict, row: dict) -> None:
    total["communities"] += 1
    for name in ("households", "met", "not_home", "refused", "moved", "contacted"):
        total[name] += row[name]


def _figures_of(row: dict) -> dict:
    return {name: row[name] for name, _ in COVERAGE_COLUMNS}
