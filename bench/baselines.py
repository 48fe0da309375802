"""The benchmarks' baselines, served by the bench app only: framework floors and a naive query.

- GET /bench/fixed: a fixed JSON body the size of a search page, encoded once: what Flask,
  the app's hooks and gunicorn cost with no work at all.
- GET /bench/naive-nearby: what a quick implementation would do: one SQL query that computes
  the great-circle distance of every live job passing the filters, sorts by it and keeps a page;
  parsed and rendered with the same schemas as GET /api/v1/jobs.
- POST /bench/check-in-floor: a check-in's own statements and no more: the same SQL as
  POST /api/v1/check-ins (the token, the consent gate, the station's stamp, the commit, the
  lock with the next-step facts, the earlier check-ins, the INSERT, the commit) with the same
  values, sent straight through PyMySQL on a pooled connection, a Redis INCR for the number and
  the answer's JSON by hand: no ORM, no webargs or marshmallow, no rules. What the database,
  the driver, Flask and the front cost a check-in as it is designed (docs/PERFORMANCE.md §2).
"""

import json
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from sqlalchemy.orm import joinedload
from webargs.flaskparser import parser

from app import db_pool
from app.api.schemas.jobs import SearchArgsSchema, SearchPageSchema
from app.common.clock import local_day
from app.common.geo import EARTH_RADIUS_M
from app.extensions import db, get_redis
from app.models import Job, Station, utcnow, visible_clause
from app.services.people import consents, tokens
from app.services.stations import check_in_stations, check_ins, qr_codes

bp = Blueprint("bench", __name__, url_prefix="/bench")

# The check-in floor's rows go in a queue of their own, and away after its run (bench/scenario_checkin.py).
FLOOR_QUEUE_KEY = "bench-floor"

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


def _plain(statement) -> tuple[str, dict]:
    """Return a statement's SQL for this database and the values of its own literals."""
    compiled = statement.compile(dialect=db.engine.dialect)
    return str(compiled), dict(compiled.params)


# The check-in's statements, as its services build them (module constants there), compiled once.
_FLOOR_SQL: dict[str, tuple[str, dict]] = {}
# The places each station's check-ins are counted in (check_in_stations keeps the same per process).
_PLACES: dict[int, tuple] = {}


def _floor_sql(name: str) -> tuple[str, dict]:
    if not _FLOOR_SQL:
        _FLOOR_SQL.update(
            token=_plain(tokens._AUTHENTICATE),
            gate=_plain(consents._GATE),
            stamp=_plain(check_in_stations._STAMP),
            lock=_plain(check_ins._LOCK),
            earlier=_plain(check_ins._EARLIER_AT["station"]),
            insert=_plain(
                check_ins._INSERT.values({c.key: sa.bindparam(c.key) for c in check_ins._INSERTED})
            ),
        )
    return _FLOOR_SQL[name]


def _run(cursor, name: str, **values):
    sql, own = _floor_sql(name)
    cursor.execute(sql, {**own, **values})
    return cursor.fetchall()


@bp.post("/check-in-floor")
def check_in_floor():
    """Run a check-in's statements with its values straight through the driver; answer in its shape."""
    body = request.get_json()
    token = qr_codes.parse(body["url_or_token"])
    station_id = token.object_id
    bearer = request.headers["Authorization"].partition(" ")[2]
    now = utcnow().replace(microsecond=0)
    day = local_day(now)
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        account_id = _run(cursor, "token", token_hash=tokens.hash_token(bearer))[0][1]
        _run(cursor, "gate", account_id=account_id)
        _run(cursor, "stamp", station_id=station_id)
        if station_id not in _PLACES:
            places = [getattr(Station, column) for column in check_in_stations.PLACE_COLUMNS]
            _PLACES[station_id] = db.session.execute(sa.select(*places).where(Station.id == station_id)).one()
            db.session.commit()
        connection.commit()
        facts = _run(cursor, "lock", account_id=account_id)[0]
        since = now - timedelta(minutes=current_app.config["CHECK_IN_REPEAT_MINUTES"])
        _run(
            cursor,
            "earlier",
            account_id=account_id,
            client_id=body["client_id"],
            since=since,
            station_id=station_id,
            day=day,
        )
        number = get_redis().incr(f"bench:check-in-floor:{day}")
        values = dict.fromkeys(column.key for column in check_ins._INSERTED)
        values.update(
            account_id=account_id,
            resident_id=facts[1],
            client_id=body["client_id"],
            station_id=station_id,
            purpose=body["purpose"],
            via="printed",
            day=day,
            queue_key=FLOOR_QUEUE_KEY,
            queue_number=number,
            lat=body.get("lat"),
            lng=body.get("lng"),
            follow_up=False,
            created_at=now,
            updated_at=now,
            **dict(zip(check_in_stations.PLACE_COLUMNS, _PLACES[station_id], strict=True)),
        )
        _run(cursor, "insert", **values)
        row_id = cursor.lastrowid
        connection.commit()
        # The driver's own commit: tell the pool, as the engine's commit event does for a check-in,
        # so that it goes back without a ROLLBACK (app/db_pool.py) and the two make the same round trips.
        connection.info[db_pool.UNFINISHED] = False
    finally:
        connection.close()
    answer = {
        "id": row_id,
        "queue_number": number,
        "out_of_hours": False,
        "day": day.isoformat(),
        "purpose": body["purpose"],
        "via": "printed",
        "station": {
            "id": station_id,
            "code": token.station_code,
            "lat": body.get("lat"),
            "lng": body.get("lng"),
        },
        "event": None,
        "distance_m": None,
        "served_at": None,
        "created_at": now.isoformat() + "+00:00",
        "repeated": False,
        "next_steps": [{"code": "wait_for_call", "message": f"请留意叫号：您是今天第 {number} 号。"}],
    }
    return Response(json.dumps(answer, ensure_ascii=False), status=201, content_type="application/json")
