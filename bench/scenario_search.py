"""Scenario 1: nearby jobs over HTTP (gunicorn, 2 workers, 16 connections) beside its baselines.

Query points are where residents live (a fixed sample of the generated residents' homes); each
asks for 3 km, page 1, a job kind, and half of them a minimum wage too. The same queries go to
the API, to the naive full-scan endpoint, and the fixed-JSON floor, in the same run.
"""

import json
import random
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
    with gunicorn() as server:
        checked = agreement(server.url, params)
        for name in ("fixed", "search", "naive"):
            measured[name] = loadgen.run(server.url, paths[name], concurrency=CONCURRENCY, **limits)
    search, naive, fixed = measured["search"], measured["naive"], measured["fixed"]
    result = {
        "scale": scale,
        "quick": quick,
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
        "agreement": checked,
        "search_sources": sources,
        "targets": {
            "rps_1000": search["rps"] >= 1000,
            "p99_50ms": search["p99_ms"] <= 50,
            "ten_times_naive": (search["rps"] >= 10 * naive["rps"]) if naive["rps"] else None,
        },
    }
    return write_result("search", result)


if __name__ == "__main__":
    scenario_main(run, __doc__)
