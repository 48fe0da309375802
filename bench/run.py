"""Run the benchmarks: generate a scale, run every scenario (3 times for medians), summarise.

`python -m bench.run --scale tunxi --quick` is `make bench`; `--scale huangshan --repeat 3`
is `make bench-full`. Each scenario writes its own bench/results/<name>.json per run; this
writes the median of the runs there instead (with every run beside it, under "repeats"), and the machine, all
medians and the table to bench/results/summary-<scale>.json. At the end it prints one table
from each scenario module's `summary(result)` rows (figure, value, unit, target, met): with
--repeat > 1 each row shows the median, every run's value and the worst run; a scenario that
raised is a "failed" row (the others still run); a scale in COMPARED names each figure's growth
against the other scale's summary when that file exists.
"""

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback

from bench.common import RESULTS_DIR, write_result

SCENARIOS = (
    "search",
    "checkin",
    "fanout",
    "checklist",
    "snapshot",
    "dashboard",
    "export",
    "policy_match",
    "exchange",
)
# Run only when named in --only: the cluster scenario needs scripts/cluster.sh's cluster and data of
# its own (`make bench-cluster` does it all), so no generation here is needed for it.
OPT_IN = ("cluster",)
MODULES = {name: f"bench.scenario_{name}" for name in SCENARIOS + OPT_IN}
# A scale whose figures are compared with another's summary (how each grew).
COMPARED = {"anhui-slice": "huangshan"}
SCALES = ("mini", "tunxi", "huangshan", "anhui-slice")


def median_of(runs: list):
    """Return the runs' median, leaf by leaf: numbers by median, anything else from the first run."""
    first = runs[0]
    if isinstance(first, bool):
        return first
    if isinstance(first, int | float):
        values = [run for run in runs if isinstance(run, int | float)]
        middle = statistics.median(values)
        return round(middle, 3) if isinstance(middle, float) else middle
    if isinstance(first, dict):
        return {key: median_of([run.get(key, value) for run in runs]) for key, value in first.items()}
    if isinstance(first, list) and all(isinstance(run, list) and len(run) == len(first) for run in runs):
        return [median_of(list(items)) for items in zip(*runs, strict=True)]
    return first


def machine() -> dict:
    """Describe the machine the figures come from."""
    memory_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name, command in (("mariadb", ["mariadb", "--version"]), ("redis", ["redis-server", "--version"])):
        try:
            versions[name] = subprocess.run(
                command, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except OSError:
            versions[name] = "unknown"
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "cpu": model,
        "python": platform.python_version(),
        **versions,
    }


def run_scenario(name: str, scale: str, quick: bool, repeat: int) -> dict:
    """Run one scenario `repeat` times and write the median (with every run) as its result."""
    module = importlib.import_module(MODULES[name])
    runs = []
    for n in range(repeat):
        print(f"# {name}: run {n + 1} of {repeat}", file=sys.stderr, flush=True)
        result = module.run(scale, quick=quick)
        runs.append({key: value for key, value in result.items() if key not in ("scenario", "at")})
    if repeat == 1:
        return runs[0]
    return write_result(name, {**median_of(runs), "median_of": repeat, "repeats": runs})


def _worst(row: dict, values: list) -> int | None:
    """Return the 1-based run whose value is worst for the row's target (">=": lowest), or None."""
    target = str(row.get("target") or "")
    numbers = [(value, n) for n, value in enumerate(values, 1) if isinstance(value, int | float)]
    if len(numbers) < 2 or not target or target[0] not in "<>":
        return None
    return (min(numbers) if target.startswith(">") else max(numbers))[1]


def scenario_rows(name: str, result: dict) -> list[dict]:
    """Return the scenario's table rows: its summary() of the (median) result, every run's value beside."""
    base = {"scenario": name}
    if "failed" in result:
        return [
            {
                **base,
                "figure": "failed",
                "value": None,
                "unit": "",
                "target": None,
                "met": False,
                "error": result["failed"],
            }
        ]
    summary = getattr(importlib.import_module(MODULES[name]), "summary", None)
    if summary is None:
        return [{**base, "figure": "no summary", "value": None, "unit": "", "target": None, "met": None}]
    try:
        rows = [{**base, **row} for row in summary(result)]
        repeats = [summary(run) for run in result.get("repeats", [])]
    except Exception as exc:  # noqa: BLE001 - a broken summary() is a row, not a lost table
        return [
            {
                **base,
                "figure": "summary failed",
                "value": None,
                "unit": "",
                "target": None,
                "met": False,
                "error": f"{type(exc).__name__}: {exc}",
            }
        ]
    for row in rows:
        if repeats:
            values = [
                next((other["value"] for other in run if other["figure"] == row["figure"]), None)
                for run in repeats
            ]
            row["runs"] = values
            row["worst_run"] = _worst(row, values)
    return rows


def with_growth(rows: list[dict], scale: str) -> list[dict]:
    """Add to each row how it grew against the compared scale's summary (when there is one)."""
    other = COMPARED.get(scale)
    path = RESULTS_DIR / f"summary-{other}.json" if other else None
    if path is None or not path.exists():
        return rows
    before = json.loads(path.read_text(encoding="utf-8"))
    table = before.get("table") or [
        row
        for name, result in before.get("scenarios", {}).items()
        if name in MODULES
        for row in scenario_rows(name, result)
    ]
    earlier = {(row["scenario"], row["figure"]): row.get("value") for row in table}
    for row in rows:
        then = earlier.get((row["scenario"], row["figure"]))
        row["compared_with"] = other
        row[f"{other}_value"] = then
        numbers = isinstance(then, int | float) and isinstance(row["value"], int | float)
        row["growth"] = round(row["value"] / then, 2) if numbers and then else None
    return rows


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and abs(value) >= 100:
        return f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def render(rows: list[dict]) -> str:
    """Return the table as text: scenario, figure, value (runs, worst), target, met / not met / —."""
    lines = [("scenario", "figure", "value", "target", "met")]
    for row in rows:
        value = f"{_number(row['value'])} {row.get('unit') or ''}".strip()
        if row.get("runs"):
            value += " (runs " + " · ".join(_number(v) for v in row["runs"])
            value += f"; worst: run {row['worst_run']})" if row.get("worst_run") else ")"
        if "growth" in row:
            then = row.get(f"{row['compared_with']}_value")
            value += f"; {row['compared_with']} {_number(then)}"
            value += f", ×{row['growth']:g}" if row["growth"] is not None else ""
        if row.get("error"):
            value = row["error"].splitlines()[0][:160]  # the table stays one line a row
        met = {True: "met", False: "not met", None: "—"}[row.get("met")]
        lines.append((row["scenario"], row["figure"], value, row.get("target") or "—", met))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line[:4], widths, strict=True)) + "  " + line[4]
        for line in lines
    )


def main(argv: list[str] | None = None) -> dict:
    """Generate (unless told not to), run the scenarios, write the summary, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="tunxi", choices=SCALES)
    parser.add_argument("--quick", action="store_true", help="shorter runs (make bench)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario; the median is kept")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--no-generate", action="store_true", help="reuse the data already loaded")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(MODULES))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {list(MODULES)}")
    started = time.perf_counter()
    summary = {"scale": args.scale, "quick": args.quick, "repeat": args.repeat, "machine": machine()}
    needs_data = not set(chosen) <= set(OPT_IN)  # the opt-in scenarios generate their own
    if needs_data and not args.no_generate:
        from bench import generate

        summary["generate"] = generate.main(["--scale", args.scale])
    elif needs_data and not (RESULTS_DIR / f"manifest-{args.scale}.json").exists():
        parser.error(f"no data for {args.scale}: run without --no-generate first")
    summary["scenarios"] = {}
    summary["scenario_seconds"] = {}
    for name in chosen:
        began = time.perf_counter()
        try:
            summary["scenarios"][name] = run_scenario(name, args.scale, args.quick, args.repeat)
        except Exception as exc:  # noqa: BLE001 - one scenario's failure must not lose the others
            traceback.print_exc()
            summary["scenarios"][name] = {"failed": f"{type(exc).__name__}: {exc}"}
        summary["scenario_seconds"][name] = round(time.perf_counter() - began, 1)
    table = [row for name in chosen for row in scenario_rows(name, summary["scenarios"][name])]
    summary["table"] = with_growth(table, args.scale)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"summary-{args.scale}.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(render(summary["table"]), flush=True)
    print(
        json.dumps(
            {"summary": str(RESULTS_DIR / f"summary-{args.scale}.json"), "seconds": summary["seconds"]}
        )
    )
    return summary


if __name__ == "__main__":
    main()
