"""The search benchmark's baselines, served by the bench app only: the framework floor and a naive query.

- GET /bench/fixed: a fixed JSON body the size of a search page, encoded once: what Flask,
  the app's hooks and gunicorn cost with no work at all.
- GET /bench/naive-nearby: what a quick implementation would do: one SQL query that computes
  the great-circle distance of every live job passing the filters, sorts by it and keeps a page;
  parsed and rendered with the same schemas as GET /api/v1/jobs.
"""

import json

import sqlalchemy as sa
from flask import Blueprint, Response, current_app
from sqlalchemy.orm import joinedload
from webargs.flaskparser import parser

from app.api.schemas.jobs import SearchArgsSchema, SearchPageSchema
from app.common.geo import EARTH_RADIUS_M
from app.extensions import db
from app.models import Job, utcnow, visible_clause

bp = Blueprint("bench", __name__, url_prefix="/bench")

SEARCH_ARGS = SearchArgsSchema()
SEARCH_PAGE = SearchPageSchema()


def _fixed_page() -> bytes:
    """Return a search page of 20 made-up jobs, shaped and sized like a real one, as JSON bytes."""
    items = [
        {
            "job": {
                "id": 100000 + i,
                "title": f"仓库分拣员（长白班）{i}",
                "category": "logistics",
                "kind": "regular",
                "wage_min": 4000,
                "wage_max": 5500,
                "wage_unit": "month",
                "headcount": 3,
                "address": f"黄山市屯溪区昱中街道新安北路{i}号",
                "lat": 29.716 + i / 1000,
                "lng": 118.318 + i / 1000,
                "employer": {"id": 2000 + i, "name": f"黄山市新安物流有限公司第{i}分公司", "verified": True},
                "status": "published",
                "refreshed_at": "2030-01-01T08:00:00Z",
                "valid_until": "2030-01-31T00:00:00Z",
            },
            "distance_m": 120 * i,
        }
        for i in range(20)
    ]
    page = {
        "items": items,
        "page": 1,
        "per_page": 20,
        "has_more": True,
        "center": {"lat": 29.716, "lng": 118.318},
        "radius_m": 3000,
    }
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()


FIXED_BODY = _fixed_page()


@bp.get("/fixed")
def fixed():
    """Return the fixed search-sized JSON body (the framework floor)."""
    return Response(FIXED_BODY, content_type="application/json")


def haversine_m(lat: float, lng: float):
    """Return a SQL expression of the great-circle distance in metres from (lat, lng) to each job."""
    dlat = sa.func.radians(Job.lat - lat) / 2
    dlng = sa.func.radians(Job.lng - lng) / 2
    a = sa.func.pow(sa.func.sin(dlat), 2) + sa.func.cos(sa.func.radians(lat)) * sa.func.cos(
        sa.func.radians(Job.lat)
    ) * sa.func.pow(sa.func.sin(dlng), 2)
    return 2 * EARTH_RADIUS_M * sa.func.asin(sa.func.sqrt(a))


@bp.get("/naive-nearby")
def naive_nearby():
    """Answer a nearby search by computing every live job's distance in SQL (no index helps)."""
    args = parser.parse(SEARCH_ARGS, location="query")
    lat, lng, radius_m = args["lat"], args["lng"], args["radius_m"]
    distance = haversine_m(lat, lng)
    clauses = [visible_clause(utcnow()), distance <= radius_m]
    if args.get("kind"):
        clauses.append(Job.kind == args["kind"])
    if args.get("category"):
        clauses.append(Job.category == args["category"])
    if args.get("wage_min"):
        clauses.append(Job.monthly_wage_max >= args["wage_min"])
    per_page, page = args["per_page"], args["page"]
    rows = db.session.execute(
        sa.select(Job, distance.label("distance"))
        .options(joinedload(Job.employer))
        .where(*clauses)
        .order_by(distance, Job.id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    body = SEARCH_PAGE.dump(
        {
            "items": [{"job": job, "distance_m": round(metres)} for job, metres in rows[:per_page]],
            "page": page,
            "per_page": per_page,
            "has_more": len(rows) > per_page,
            "center": {"lat": lat, "lng": lng},
            "radius_m": radius_m,
        }
    )
    return current_app.json.response(body)
