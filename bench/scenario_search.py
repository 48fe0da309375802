"""Scenario 1: nearby jobs over HTTP (nginx over 2 gunicorn workers, 16 connections) beside its baselines.

Query points are where residents live (a fixed sample of the generated residents' homes); each
asks for 3 km, page 1, a job kind, and half of them a minimum wage too. The same queries go to
the API, to the naive full-scan endpoint, and the fixed-JSON floor, in the same run, through
the same front (`FRONT`: nginx choosing a worker per request, as production serves; SO_REUSEPORT
when nginx is not installed). Then the search once more straight into one gunicorn whose two
workers share a socket (the old way, `direct`), with how the connections and the CPU split
between the workers: the cause of the slow runs (docs/PERFORMANCE.md §1).
"""

import json
import random
import threading
import time
import urllib.request
from urllib.parse import urlencode

import sqlalchemy as sa

from bench import loadgen
from bench.common import bench_app, scenario_main, write_result
from bench.server import gunicorn

POINTS = 2000
RADIUS_M = 3000
CONCURRENCY = 16
SEED = 8
# Kinds as often as people look for them (most want a regular job), and minimum wages (yuan/month).
KIND_WEIGHTS = {"regular": 50, "part_time": 20, "gig": 15, "public_welfare": 10, "internship": 5}
WAGES = (3000, 4000, 5000, 6000)
# Per endpoint: seconds of warm-up, at most this many seconds and requests measured.
FULL = {"warmup": 5, "duration": 20, "requests": 60000}
QUICK = {"warmup": 2, "duration": 8, "requests": 20000}
# How many queries are compared between the API and the naive endpoint (same jobs?).
AGREEMENT_SAMPLE = 40
FRONT = "nginx"
TARGET_RPS = 1000
TARGET_P99_MS = 50
TARGET_OF_FIXED = 0.5


def home_points(count: int = POINTS) -> list[tuple[float, float]]:
    """Return a fixed sample of residents' home points (the same for a given database)."""
    from app.extensions import db
    from app.models import Resident

    ids = db.session.scalars(
        sa.select(Resident.id).where(Resident.home_lat.is_not(None)).order_by(Resident.id)
    ).all()
    chosen = sorted(random.Random(SEED).sample(ids, min(count, len(ids))))
    rows = db.session.execute(
        sa.select(Resident.home_lat, Resident.home_lng).where(Resident.id.in_(chosen)).order_by(Resident.id)
    ).all()
    return [(lat, lng) for lat, lng in rows]


def queries(points: list[tuple[float, float]]) -> list[dict]:
    """Return one query string's parameters per point: kind always, wage_min for every other one."""
    draw = random.Random(SEED)
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    found = []
    for i, (lat, lng) in enumerate(points):
        params = {"lat": f"{lat:.6f}", "lng": f"{lng:.6f}", "radius_m": RADIUS_M}
        params["kind"] = draw.choices(kinds, weights)[0]
        if i % 2:
            params["wage_min"] = draw.choice(WAGES)
        found.append(params)
    return found


def _get(url: str) -> tuple[bytes, dict]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        body = answer.read()
    return body, json.loads(body)


def agreement(base_url: str, params: list[dict]) -> dict:
    """Compare the API's first page with the naive query's for a few queries: the same jobs?"""
    same = 0
    sizes = []
    for query in params[:AGREEMENT_SAMPLE]:
        body, page = _get(f"{base_url}/api/v1/jobs?{urlencode(query)}")
        _, naive = _get(f"{base_url}/bench/naive-nearby?{urlencode(query)}")
        sizes.append(len(body))
        # Ids as a set: two jobs the same distance away may come in either order.
        same += {item["job"]["id"] for item in page["items"]} == {
            item["job"]["id"] for item in naive["items"]
        }
    fixed, _ = _get(f"{base_url}/bench/fixed")
    return {
        "queries": len(sizes),
        "same_jobs": same,
        "search_body_bytes_mean": round(sum(sizes) / len(sizes)) if sizes else 0,
        "fixed_body_bytes": len(fixed),
    }


def server_sources(params: list[dict]) -> dict:
    """Count which path of the search service answers a sample of the queries (in process)."""
    from app.services.jobs.search.nearby import SearchQuery, nearby_jobs

    sources: dict[str, int] = {}
    for query in params[:AGREEMENT_SAMPLE]:
        found = nearby_jobs(
            SearchQuery(
                lat=float(query["lat"]),
                lng=float(query["lng"]),
                radius_m=query["radius_m"],
                kind=query["kind"],
                wage_min=query.get("wage_min"),
            ),
            rendered=True,  # as GET /api/v1/jobs asks
        )
        source = getattr(found, "source", None) or "unknown"
        sources[source] = sources.get(source, 0) + 1
    return sources


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def measure_split(server, paths: list[str], limits: dict) -> dict:
    """Run the load on `server` and tell how it fell on the workers: connections mid-run, CPU seconds."""
    sampled: dict[int, int] = {}

    def sample() -> None:
        # Halfway through the measured phase: the warm-up's connections are closed by then.
        time.sleep(limits["warmup"] + limits["duration"] / 2)
        sampled.update(server.connections())

    sampler = threading.Thread(target=sample, daemon=True)
    before = server.cpu_seconds()
    sampler.start()
    measured = loadgen.run(server.url, paths, concurrency=CONCURRENCY, **limits)
    sampler.join()
    after = server.cpu_seconds()
    cpu = [round(after.get(pid, 0.0) - seconds, 2) for pid, seconds in before.items()]
    connections = [sampled.get(pid, 0) for pid in before]
    return {
        **measured,
        "workers": {
            "connections": connections,
            "cpu_s": cpu,
            # 0.5 is an even split over two workers; 1.0 is one worker doing everything.
            "busiest_cpu_share": round(max(cpu) / sum(cpu), 2) if sum(cpu) else None,
        },
    }


def run(scale: str, quick: bool = False) -> dict:
    """Measure the search, naive and fixed endpoints under the same load; write the result."""
    limits = QUICK if quick else FULL
    app = bench_app()
    from app.extensions import db

    with app.app_context():
        params = queries(home_points())
        sources = server_sources(params)
        db.session.remove()
    if not params:
        raise SystemExit("no residents with a home point: run python -m bench.generate first")
    paths = {
        "search": [f"/api/v1/jobs?{urlencode(query)}" for query in params],
        "naive": [f"/bench/naive-nearby?{urlencode(query)}" for query in params],
        "fixed": ["/bench/fixed"],
    }
    measured = {}
    with gunicorn(front=FRONT) as server:
        checked = agreement(server.url, params)
        for name in ("fixed", "search", "naive"):
            measured[name] = measure_split(server, paths[name], limits)
    with gunicorn(front="direct") as direct_server:
        direct = measure_split(direct_server, paths["search"], limits)
    search, naive, fixed = measured["search"], measured["naive"], measured["fixed"]
    result = {
        "scale": scale,
        "quick": quick,
        "front": server.options["front"],
        "server": server.options,
        "load": {"concurrency": CONCURRENCY, **limits, "query_points": len(params), "radius_m": RADIUS_M},
        "search": search,
        "naive": naive,
        "fixed": fixed,
        "ratios": {
            "search_vs_naive_rps": _ratio(search["rps"], naive["rps"]),
            "search_vs_fixed_rps": _ratio(search["rps"], fixed["rps"]),
            "naive_vs_search_p50": _ratio(naive["p50_ms"], search["p50_ms"]),
        },
        "direct": direct,
        "agreement": checked,
        "search_sources": sources,
        "targets": {
            "rps_1000": search["rps"] >= TARGET_RPS,
            "p99_50ms": search["p99_ms"] <= TARGET_P99_MS,
            "half_of_fixed": search["rps"] >= TARGET_OF_FIXED * fixed["rps"],
            "ten_times_naive": (search["rps"] >= 10 * naive["rps"]) if naive["rps"] else None,
        },
    }
    return write_result("search", result)


def summary(result: dict) -> list[dict]:
    """Return this scenario's rows for make bench's table: figure, value, unit, target, met."""
    search, fixed, naive = result["search"], result["fixed"], result["naive"]
    front = result.get("front", "direct")
    of_fixed = result["ratios"]["search_vs_fixed_rps"]
    of_naive = result["ratios"]["search_vs_naive_rps"]
    rows = [
        {
            "figure": f"search, {CONCURRENCY} connections via {front}",
            "value": search["rps"],
            "unit": "req/s",
            "target": f">= {TARGET_RPS}",
            "met": search["rps"] >= TARGET_RPS,
        },
        {
            "figure": "search p99",
            "value": search["p99_ms"],
            "unit": "ms",
            "target": f"<= {TARGET_P99_MS}",
            "met": search["p99_ms"] <= TARGET_P99_MS,
        },
        {"figure": "fixed JSON floor", "value": fixed["rps"], "unit": "req/s", "target": None, "met": None},
        {
            "figure": "search ÷ fixed floor",
            "value": of_fixed,
            "unit": "×",
            "target": f">= {TARGET_OF_FIXED}",
            "met": of_fixed is not None and of_fixed >= TARGET_OF_FIXED,
        },
        {
            "figure": "naive SQL haversine",
            "value": naive["rps"],
            "unit": "req/s",
            "target": None,
            "met": None,
        },
        {
            "figure": "search ÷ naive SQL haversine",
            "value": of_naive,
            "unit": "×",
            "target": ">= 10",
            "met": of_naive is not None and of_naive >= 10,
        },
    ]
    if "direct" in result:
        direct = result["direct"]
        rows.append(
            {
                "figure": "search, direct (no balancer)",
                "value": direct["rps"],
                "unit": "req/s",
                "target": None,
                "met": None,
            }
        )
        rows.append(
            {
                "figure": "direct: busiest worker's CPU share",
                "value": direct["workers"]["busiest_cpu_share"],
                "unit": "",
                "target": None,
                "met": None,
            }
        )
    return rows


if __name__ == "__main__":
    scenario_main(run, __doc__)
