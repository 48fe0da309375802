"""Run the benchmarks: generate a scale, run every scenario (3 times for medians), summarise.

`python -m bench.run --scale tunxi --quick` is `make bench`; `--scale huangshan --repeat 3`
is `make bench-full`. Each scenario writes its own bench/results/<name>.json per run; this
writes the median of the runs there instead (with every run beside it, under "repeats"), and the machine and
all medians to bench/results/summary-<scale>.json.
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

from bench.common import RESULTS_DIR, write_result

SCENARIOS = ("search", "checkin", "fanout", "checklist", "snapshot", "dashboard", "export", "policy_match")
MODULES = {
    "search": "bench.scenario_search",
    "checkin": "bench.scenario_checkin",
    "fanout": "bench.scenario_fanout",
    "checklist": "bench.scenario_checklist",
    "snapshot": "bench.scenario_snapshot",
    "dashboard": "bench.scenario_dashboard",
    "export": "bench.scenario_export",
    "policy_match": "bench.scenario_policy_match",
}


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


def main(argv: list[str] | None = None) -> dict:
    """Generate (unless told not to), run the scenarios, write the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="tunxi", choices=["mini", "tunxi", "huangshan", "anhui-slice"])
    parser.add_argument("--quick", action="store_true", help="shorter runs (make bench)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario; the median is kept")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--no-generate", action="store_true", help="reuse the data already loaded")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {list(SCENARIOS)}")
    started = time.perf_counter()
    summary = {"scale": args.scale, "quick": args.quick, "repeat": args.repeat, "machine": machine()}
    if not args.no_generate:
        from bench import generate

        summary["generate"] = generate.main(["--scale", args.scale])
    elif not (RESULTS_DIR / f"manifest-{args.scale}.json").exists():
        parser.error(f"no data for {args.scale}: run without --no-generate first")
    summary["scenarios"] = {}
    for name in chosen:
        summary["scenarios"][name] = run_scenario(name, args.scale, args.quick, args.repeat)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    (RESULTS_DIR / f"summary-{args.scale}.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(json.dumps({"summary": f"bench/results/summary-{args.scale}.json", "seconds": summary["seconds"]}))
    return summary


if __name__ == "__main__":
    main()
