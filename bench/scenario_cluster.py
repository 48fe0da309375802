"""Issue 25: nearby search and check-in on one node and through the cluster's balancer, in one run.

Two sides, the same scale generated into each (`generate`: bench.generate, the same seed):
- single: the ordinary bench setup, one MariaDB (`SINGLE_DATABASE_URL`) and one Redis
  (`SINGLE_REDIS_URL`), nginx over 3 single-worker gunicorns of 8 threads (bench.server: the
  cluster's shape of API processes), with the cluster's log level;
- cluster: scripts/cluster.sh's HAProxy on 127.0.0.1:8300 over its 3 gunicorns (1 worker × 8
  threads each), the database through HAProxy (every connection to one Galera node, certified
  by all three), the Redis Cluster, the queue Redis behind Sentinels, 2 RQ workers and cron.

bench.common reads BENCH_ENV_FILE when it is imported, so each side's requests are made in a
process of its own (`prepare --side single|cluster`: search queries as scenario_search makes
them, bearer tokens and check-ins as scenario_checkin does); this process only sends them and
counts rows over plain database connections. Then 3 rounds, the sides interleaved (single
first, then cluster first, then single first: this machine's speed drifts within minutes):
search closed loop (16 connections, the same 2,000 queries on both sides), and check-in closed
loop at 64 connections (2,000 fresh residents a run, every request one new row: counted
before and after). Each run records the load average before it and where the machine's CPU
went meanwhile (by process kind, from /proc), so a slow run can be told from a busy machine.

    python -m bench.scenario_cluster generate --scale tunxi   # both sides' data (the cluster's db up)
    python -m bench.scenario_cluster --scale tunxi             # measure (the cluster's app up)

`make bench-cluster` does it all on a cluster of its own in /tmp/ec-cluster-bench.

Long because both sides' preparation, the interleaved runs and the accounting of where the
cores went belong to the one comparison.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from bench import loadgen
from bench.common import DEPLOYMENT, ROOT, summary_row, write_result
from bench.server import gunicorn

CLUSTER_DIR = Path(os.environ.get("CLUSTER_BENCH_DIR", "/tmp/ec-cluster-bench"))
CLUSTER_URL = "http://127.0.0.1:8300"
SINGLE_DATABASE_URL = os.environ.get(
    "CLUSTER_BENCH_SINGLE_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/ec_bench_pair?charset=utf8mb4"
)
SINGLE_REDIS_URL = os.environ.get("CLUSTER_BENCH_SINGLE_REDIS_URL", "redis://127.0.0.1:6379/11")
SIDES = ("single", "cluster")
ROUNDS = 3
# The cluster's API processes (scripts/cluster.sh): 3 gunicorns, 1 worker × 8 threads each.
API_PROCESSES = 3
THREADS = 8
SEARCH_CONCURRENCY = 16  # scenario_search's
CHECK_IN_CONCURRENCY = 64  # scenario_checkin's
CHECK_IN_WARMUP = 200
# Per run: search's warm-up and measured seconds (at most this many requests), check-ins sent.
FULL = {"search_warmup": 3, "search_seconds": 15, "search_requests": 60000, "check_ins": 2000}
QUICK = {"search_warmup": 2, "search_seconds": 8, "search_requests": 30000, "check_ins": 1000}


def side_env(side: str) -> dict[str, str]:
    """Return the environment a process of `side` runs in (bench.common reads it at import)."""
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_ENV_FILE", "BENCH_RESULTS_DIR")}
    if side == "cluster":
        env["BENCH_ENV_FILE"] = str(CLUSTER_DIR / "cluster.env")
        env["BENCH_RESULTS_DIR"] = str(CLUSTER_DIR / "bench")
    else:
        env["BENCH_DATABASE_URL"] = SINGLE_DATABASE_URL
        env["BENCH_REDIS_URL"] = SINGLE_REDIS_URL
        env["BENCH_RESULTS_DIR"] = str(CLUSTER_DIR / "single")
    return env


def database_url(side: str) -> str:
    """Return the side's database URL (the cluster's: its HAProxy front, from cluster.env)."""
    if side == "single":
        return SINGLE_DATABASE_URL
    for line in (CLUSTER_DIR / "cluster.env").read_text(encoding="utf-8").splitlines():
        if line.startswith("DATABASE_URL="):
            return line.partition("=")[2].strip()
    raise SystemExit(f"no DATABASE_URL in {CLUSTER_DIR / 'cluster.env'}")


def generate(scale: str) -> dict:
    """Generate `scale` into both sides at once (each in its own process); return their seconds."""
    started, running = time.perf_counter(), {}
    for side in SIDES:
        (CLUSTER_DIR / ("bench" if side == "cluster" else "single")).mkdir(parents=True, exist_ok=True)
        log = (CLUSTER_DIR / f"generate-{side}.log").open("w")
        argv = [sys.executable, "-m", "bench.generate", "--scale", scale]
        running[side] = (subprocess.Popen(argv, cwd=ROOT, env=side_env(side), stdout=log, stderr=log), log)
    seconds = {}
    while len(seconds) < len(running):
        time.sleep(1)
        for side, (process, log) in running.items():
            if side in seconds or process.poll() is None:
                continue
            log.close()
            seconds[side] = round(time.perf_counter() - started, 1)
            if process.returncode:
                for other, _ in running.values():
                    if other.poll() is None:
                        other.terminate()
                tail = (CLUSTER_DIR / f"generate-{side}.log").read_text(encoding="utf-8")[-3000:]
                raise SystemExit(f"generating {scale} for the {side} side failed:\n{tail}")
    print(json.dumps({"generated": scale, "seconds": seconds}), flush=True)
    return seconds


def prepare(side: str, tag: str, runs: int, per_run: int, out: Path) -> None:
    """Write the side's requests to `out`: search paths, and check-ins for the warm-up and each run.

    Runs in the side's own process (side_env): tokens are issued with its secrets, in its database.
    """
    from bench import scenario_checkin, scenario_search
    from bench.common import bench_app

    app = bench_app()
    from app.extensions import db

    with app.app_context():
        params = scenario_search.queries(scenario_search.home_points())
        stations = scenario_checkin.station_codes()
        if not params or not stations:
            raise SystemExit(f"no residents or stations on the {side} side: generate first")
        wanted = CHECK_IN_WARMUP + runs * per_run
        people = scenario_checkin.fresh_residents(wanted)
        share = min(len(people) / wanted, 1.0)  # a small scale (mini): the same design, scaled down
        warmup, per_run = int(CHECK_IN_WARMUP * share), int(per_run * share)
        issued, created = scenario_checkin.tokens([resident_id for resident_id, _, _ in people])
        # The same tags on both sides (their databases are apart): the same purposes are drawn.
        check_ins = {"w": scenario_checkin.check_in_requests(people[:warmup], stations, issued, f"{tag}w")}
        for n in range(runs):
            chunk = people[warmup + n * per_run : warmup + (n + 1) * per_run]
            check_ins[str(n)] = scenario_checkin.check_in_requests(chunk, stations, issued, f"{tag}r{n}")
        db.session.remove()
    prepared = {
        "side": side,
        "search": [f"/api/v1/jobs?{urlencode(query)}" for query in params],
        "check_ins": check_ins,
        "stations": len(stations),
        "fresh_residents": len(people),
        "accounts_created": created,
    }
    out.write_text(json.dumps(prepared, ensure_ascii=False), encoding="utf-8")


def verify_queues(out: Path) -> None:
    """Write today's station queues' check (scenario_checkin.queues_check), in the side's own process."""
    from bench.common import bench_app
    from bench.scenario_checkin import queues_check

    with bench_app().app_context():
        checked = queues_check()
    out.write_text(json.dumps(checked), encoding="utf-8")


def _in_side(side: str, *arguments: str) -> None:
    argv = [sys.executable, "-m", "bench.scenario_cluster", *arguments, "--side", side]
    subprocess.run(argv, cwd=ROOT, env=side_env(side), check=True)


def count_rows(engine: sa.Engine, tag: str | None = None) -> tuple[int, int, int]:
    """Return the check-ins stored, and those of `tag`'s client ids (all, distinct)."""
    from app.models import CheckIn

    table = CheckIn.__table__
    with engine.connect() as connection:
        total = connection.scalar(sa.select(sa.func.count()).select_from(table))
        if tag is None:
            return total, 0, 0
        rows, distinct = connection.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(table.c.client_id))).where(
                table.c.client_id.like(f"bench-{tag}-%")
            )
        ).one()
    return total, rows, distinct


CPU_KINDS = ("gunicorn", "galera", "mariadb", "redis", "haproxy", "nginx", "loadgen", "rq", "kernel", "other")


def cpu_by_kind() -> dict[str, float]:
    """Return CPU seconds so far by kind of process (every process on the machine), and the machine's."""
    seconds = dict.fromkeys(CPU_KINDS, 0.0)
    # The load generator is this process's child, gone from /proc by the time a run is counted.
    children = os.times()
    seconds["loadgen"] = children.children_user + children.children_system
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / 100
        if "mariadbd" in command:
            # The cluster's nodes name their files under CLUSTER_DIR; the bench's MariaDB runs
            # with Debian's defaults; any other (another engineer's test cluster) is "other".
            kind = "galera" if str(CLUSTER_DIR) in command else "other"
            if "defaults-file" not in command:
                kind = "mariadb"
        elif "redis-server" in command:
            kind = "redis"
        else:
            kind = next(
                (
                    kind
                    for kind, needle in (
                        ("gunicorn", "gunicorn"),
                        ("haproxy", "haproxy"),
                        ("nginx", "nginx"),
                        ("rq", "flask worker"),
                    )
                    if needle in command
                ),
                "other",
            )
        seconds[kind] += used
    with open("/proc/stat", encoding="utf-8") as stat:
        user, nice, system, _, _, irq, softirq, steal = (int(v) for v in stat.readline().split()[1:9])
    # Interrupts (loopback's packets are softirq work) belong to no process; steal is the hypervisor's.
    seconds["kernel"] = (irq + softirq) / 100
    seconds["machine_busy"] = (user + nice + system + irq + softirq) / 100
    seconds["steal"] = steal / 100
    return seconds


def _cpu_delta(before: dict, after: dict, elapsed: float) -> dict:
    """Return cores used on average by kind over `elapsed` seconds (other = the rest of the machine)."""
    used = {kind: max(after[kind] - before[kind], 0.0) for kind in before}
    known = sum(value for kind, value in used.items() if kind not in ("other", "machine_busy", "steal"))
    used["other"] = max(used["machine_busy"] - known, 0.0)
    return {kind: round(value / elapsed, 2) for kind, value in used.items() if value or kind == "other"}


def measured(url: str, lines: list, **options) -> dict:
    """Run the load once, with the load average before it and the CPU by process kind meanwhile."""
    load = os.getloadavg()
    before, clock = cpu_by_kind(), time.perf_counter()
    result = loadgen.run(url, lines, **options)
    result["cores_used"] = _cpu_delta(before, cpu_by_kind(), time.perf_counter() - clock)
    result["loadavg_before"] = [round(value, 2) for value in load]
    return result


def search_run(url: str, paths: list[str], limits: dict) -> dict:
    """Measure search once: scenario_search's load, closed loop at 16 connections."""
    return measured(
        url,
        paths,
        concurrency=SEARCH_CONCURRENCY,
        warmup=limits["search_warmup"],
        duration=limits["search_seconds"],
        requests=limits["search_requests"],
    )


def check_in_run(url: str, requests: list[dict], engine: sa.Engine, tag: str) -> dict:
    """Send one burst of check-ins at 64 connections; count its rows: every request one new row."""
    before, _, _ = count_rows(engine)
    result = measured(url, requests, concurrency=CHECK_IN_CONCURRENCY, duration=600)
    after, rows, distinct = count_rows(engine, tag)
    expected = len(requests)
    result["rows"] = {
        "expected": expected,
        "rows": rows,
        "distinct_client_ids": distinct,
        "table_growth": after - before,
        "ok": rows == distinct == after - before == expected,
    }
    return result


def _brief(result: dict) -> dict:
    figures = {
        key: result[key] for key in ("rps", "p50_ms", "p99_ms", "requests", "ok", "errors", "failures")
    }
    if "rows" in result:
        figures["rows_ok"] = result["rows"]["ok"]
    return figures


def _median(runs: list[dict], key: str) -> float:
    return round(statistics.median(run[key] for run in runs), 1)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def run(scale: str, quick: bool = False) -> dict:
    """Prepare both sides, measure search and check-in on each, 3 interleaved rounds; write the result."""
    if DEPLOYMENT:
        raise SystemExit("run without BENCH_ENV_FILE: the cluster's settings are read from CLUSTER_BENCH_DIR")
    limits = QUICK if quick else FULL
    tag = time.strftime("%y%m%d%H%M%S", time.gmtime())
    prepared, seconds = {}, {}
    for side in SIDES:
        began = time.perf_counter()
        out = CLUSTER_DIR / f"requests-{side}.json"
        _in_side(side, "prepare", "--tag", tag, "--per-run", str(limits["check_ins"]), "--out", str(out))
        prepared[side] = json.loads(out.read_text(encoding="utf-8"))
        seconds[f"prepare_{side}"] = round(time.perf_counter() - began, 1)
    # The same queries on both sides: the single side's (the cluster's are compared with them).
    paths = prepared["single"]["search"]
    engines = {side: sa.create_engine(database_url(side), pool_pre_ping=True) for side in SIDES}
    runs = {side: {"search": [], "check_in": []} for side in SIDES}
    order = []
    with gunicorn(
        front="nginx",
        workers=API_PROCESSES,
        threads=THREADS,
        # bench.wsgi's bench_app() reads BENCH_*: the single side's database and Redis, as prepared.
        BENCH_DATABASE_URL=SINGLE_DATABASE_URL,
        BENCH_REDIS_URL=SINGLE_REDIS_URL,
        DATABASE_URL=SINGLE_DATABASE_URL,
        REDIS_URL=SINGLE_REDIS_URL,
        QUEUE_REDIS_URL=SINGLE_REDIS_URL,
        LOG_LEVEL="WARNING",  # the cluster's (cluster.env): no access line a request on either side
    ) as server:
        urls = {"single": server.url, "cluster": CLUSTER_URL}
        warmup = {
            side: loadgen.run(
                urls[side], prepared[side]["check_ins"]["w"], concurrency=CHECK_IN_CONCURRENCY, duration=120
            )["statuses"]
            for side in SIDES
        }
        began = time.perf_counter()
        for n in range(ROUNDS):
            for side in SIDES if n % 2 == 0 else tuple(reversed(SIDES)):
                order.append(side)
                print(f"# cluster: round {n + 1}, {side}, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
                search = search_run(urls[side], paths, limits)
                check_in = check_in_run(
                    urls[side], prepared[side]["check_ins"][str(n)], engines[side], f"{tag}r{n}"
                )
                runs[side]["search"].append(search)
                runs[side]["check_in"].append(check_in)
                print(
                    f"#   search {search['rps']} req/s p99 {search['p99_ms']} ms; check-in "
                    f"{check_in['rps']}/s p99 {check_in['p99_ms']} ms, rows ok {check_in['rows']['ok']}",
                    file=sys.stderr,
                    flush=True,
                )
        seconds["measuring"] = round(time.perf_counter() - began, 1)
        single_server = server.options
    queues = {}
    for side in SIDES:
        out = CLUSTER_DIR / f"queues-{side}.json"
        _in_side(side, "verify", "--out", str(out))
        queues[side] = json.loads(out.read_text(encoding="utf-8"))
    for engine in engines.values():
        engine.dispose()
    medians = {
        side: {
            load: {key: _median(runs[side][load], key) for key in ("rps", "p50_ms", "p99_ms")}
            for load in ("search", "check_in")
        }
        for side in SIDES
    }
    result = {
        "scale": scale,
        "quick": quick,
        "design": {
            **limits,
            "rounds": ROUNDS,
            "order": order,
            "search_concurrency": SEARCH_CONCURRENCY,
            "check_in_concurrency": CHECK_IN_CONCURRENCY,
            "check_ins_per_run": {side: len(prepared[side]["check_ins"]["0"]) for side in SIDES},
            "query_points": len(paths),
            "same_queries_on_both": prepared["single"]["search"] == prepared["cluster"]["search"],
            "stations": {side: prepared[side]["stations"] for side in SIDES},
            "warmup_check_ins": warmup,
        },
        "sides": {
            "single": {
                "url": "nginx (least_conn) over 3 gunicorns, 1 worker × 8 threads each",
                "database": SINGLE_DATABASE_URL.split("@")[-1],
                "redis": SINGLE_REDIS_URL,
                "server": single_server,
            },
            "cluster": {
                "url": f"{CLUSTER_URL}: HAProxy (leastconn) over 3 gunicorns, 1 worker × 8 threads each",
                "database": database_url("cluster").split("@")[-1] + " (HAProxy → one of 3 Galera nodes)",
                "dir": str(CLUSTER_DIR),
            },
        },
        "runs": {
            side: {load: [_brief(r) for r in runs[side][load]] for load in runs[side]} for side in SIDES
        },
        "detail": runs,
        "medians": medians,
        "cluster_vs_single": {
            load: {
                "rps": _ratio(medians["cluster"][load]["rps"], medians["single"][load]["rps"]),
                "p99": _ratio(medians["cluster"][load]["p99_ms"], medians["single"][load]["p99_ms"]),
            }
            for load in ("search", "check_in")
        },
        "rows_ok": all(r["rows"]["ok"] for side in SIDES for r in runs[side]["check_in"]),
        "queues": queues,
        "seconds": seconds,
    }
    return write_result(f"cluster-{scale}", result)


def summary(result: dict) -> list[dict]:
    """Return this scenario's rows for make bench's table: each side's medians and the ratios."""
    medians, ratios = result["medians"], result["cluster_vs_single"]
    rows = []
    for load, unit, name in (
        ("search", "req/s", "search, 16 connections"),
        ("check_in", "/s", "check-in, 64"),
    ):
        for side in SIDES:
            rows.append(summary_row(f"{name}, {side}", medians[side][load]["rps"], unit))
            rows.append(summary_row(f"{name}, {side} p99", medians[side][load]["p99_ms"], "ms"))
        rows.append(summary_row(f"{name}, cluster ÷ single", ratios[load]["rps"], "×"))
    rows.append(
        summary_row(
            "check-in rows: one per request, every run", result["rows_ok"], "", "yes", result["rows_ok"]
        )
    )
    return rows


def main(argv: list[str] | None = None) -> None:
    """Measure (default), or generate both sides, or (internal) prepare/verify one side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "action", nargs="?", default="measure", choices=("measure", "generate", "prepare", "verify")
    )
    parser.add_argument("--scale", default="tunxi")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--side", choices=SIDES)
    parser.add_argument("--tag")
    parser.add_argument("--per-run", type=int, default=FULL["check_ins"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.action == "generate":
        generate(args.scale)
    elif args.action == "prepare":
        prepare(args.side, args.tag, ROUNDS, args.per_run, args.out)
    elif args.action == "verify":
        verify_queues(args.out)
    else:
        run(args.scale, args.quick)


if __name__ == "__main__":
    main()
