"""Scenario 6: the city dashboard and its JSON statistics, 8 officials at once (gunicorn, 2 workers).

Eight city admins (bench-console-1 … 8: a password and an enrolled TOTP each, made here) open
the dashboards in a closed loop, 8 requests always in flight: the JSON sections
(GET /api/v1/stats/{places,people,zero-employment,grid,jobs,stations,push}?place=…&month=…,
each official with a bearer token) and the console's dashboard page of each section
(/console/dashboard/<kind>/<code>?section=…, signed in with a real session cookie: password,
then the TOTP code). Two mixes: the city's (the target), and the drill-down to 屯溪区 and to
the circle with the most households.

Passes, each per endpoint (label): requests, req/s, p50/p95/p99, statuses.
- uncached: STATS_CACHE_SECONDS=0, so every request computes its section: the cost of the
  figures themselves (snapshots, maintained counters and month-bounded queries);
- first views: the cache empty, each endpoint asked once in turn by one client (the first
  official of the morning);
- warm: the default cache (STATS_CACHE_SECONDS, 60 s), after a warm-up.
Then each endpoint in process (the Flask test client, the cache off): SQL statements, their
time, the slowest one with MariaDB's plan, and whether any reads the residents table.
"""

import base64
import contextlib
import re
import time
import urllib.parse

import requests
import sqlalchemy as sa

from bench import loadgen
from bench.common import bench_app, scenario_main, summary_row, write_result
from bench.server import gunicorn

USERS = 8
PASSWORD = "bench-console-Password-1"
SECTIONS = ("places", "people", "zero-employment", "grid", "jobs", "stations", "push")
PAGES = ("people", "zero_employment", "grid", "jobs", "stations", "push")  # the console's tabs
# Two mixes: the city's dashboard (what the target is about), then the drill-down one level and
# two levels below it.
MIXES = {"city": ("city",), "drill_down": ("district", "circle")}
TUNXI = "341002"
TARGET_P95_MS = 300
# Seconds of warm-up and of measuring per mix; uncached requests are slow, so they get longer.
FULL = {"warmup": 5, "duration": 30, "uncached_duration": 60}
QUICK = {"warmup": 2, "duration": 10, "uncached_duration": 15}
TINY = {"warmup": 0.5, "duration": 1.5, "uncached_duration": 1.5}
# The console serves plain http here (TLS ends at nginx in production): the cookie must come back.
SERVER_ENV = {"SESSION_COOKIE_SECURE": "false"}
CONSOLE_DASHBOARD = "console.dashboard"
RESIDENTS = re.compile(r"\b(FROM|JOIN)\s+residents\b", re.IGNORECASE)


def _secret(n: int) -> str:
    """Return bench official n's TOTP secret (base32, fixed)."""
    return base64.b32encode(f"bench-console-{n:02d}-totp".encode()[:20]).decode()


def officials(count: int = USERS) -> list[dict]:
    """Make (or find) `count` city admins with a password and TOTP; return each with a bearer token."""
    from app.extensions import db
    from app.models import Account, City, Role
    from app.services.people import second_factor
    from app.services.people.accounts import hash_password
    from app.services.people.tokens import issue_token

    city = db.session.scalar(sa.select(City).order_by(City.id))
    password_hash = hash_password(PASSWORD)
    found = []
    for n in range(1, count + 1):
        username = f"bench-console-{n}"
        account = db.session.scalar(sa.select(Account).where(Account.username == username))
        if account is None:
            account = Account(
                role=Role.city_admin.value,
                username=username,
                display_name=f"压测市级管理员{n}",
                scope_kind="city",
                scope_id=city.id,
            )
            db.session.add(account)
        account.password_hash, account.is_active = password_hash, True
        account.failed_logins, account.locked_until = 0, None
        db.session.flush()
        if not second_factor.enabled(account):
            second_factor.enrol(account, _secret(n))
        found.append({"id": account.id, "username": username, "secret": _secret(n)})
    db.session.commit()
    for user in found:
        user["token"] = issue_token(db.session.get(Account, user["id"]))[0]
    db.session.commit()
    return found


def places() -> dict[str, str]:
    """Return the `kind:code` of the city, 屯溪区 (else the first district) and the largest circle."""
    from app.extensions import db
    from app.models import Circle, City, Community, District
    from app.services.stats.places import ref

    city = db.session.scalar(sa.select(City).order_by(City.id))
    district = db.session.scalar(
        sa.select(District).order_by((District.short_code != TUNXI), District.code).limit(1)
    )
    circle_id = db.session.scalar(
        sa.select(Community.circle_id)
        .where(Community.circle_id.is_not(None))
        .group_by(Community.circle_id)
        .order_by(sa.func.sum(Community.households).desc(), Community.circle_id)
        .limit(1)
    )
    return {
        "city": ref("city", city).path,
        "district": ref("district", district).path,
        "circle": ref("circle", db.session.get(Circle, circle_id)).path,
    }


def endpoints(where: dict[str, str], levels, month: str, console: bool) -> list[tuple[str, str]]:
    """Return (label, path) of the JSON sections and the console's pages of the places at `levels`."""
    found = []
    for level in levels:
        path = where[level]
        for section in SECTIONS:
            query = {"place": path} if section == "places" else {"place": path, "month": month}
            found.append((f"{section}@{level}", f"/api/v1/stats/{section}?{urllib.parse.urlencode(query)}"))
        if console:
            kind, code = path.split(":", 1)
            for page in PAGES:
                query = urllib.parse.urlencode({"section": page, "month": month})
                found.append((f"console:{page}@{level}", f"/console/dashboard/{kind}/{code}?{query}"))
    return found


def sign_in(base_url: str, user: dict) -> str:
    """Sign in to the console as a person does (password, then the TOTP code); return the cookie header."""
    import pyotp

    browser = requests.Session()
    form = browser.get(f"{base_url}/console/login", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    answer = browser.post(
        f"{base_url}/console/login",
        data={"csrf_token": token[1], "username": user["username"], "password": PASSWORD},
        timeout=30,
    )
    if "/login/verify" in answer.url:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', answer.text)
        # A code counts once: wait for a fresh step when this account used the current one.
        for _ in range(3):
            verified = browser.post(
                answer.url,
                data={"csrf_token": token[1], "code": pyotp.TOTP(user["secret"]).now()},
                timeout=30,
            )
            if "/login" not in verified.url:
                break
            time.sleep(31 - time.time() % 30)
        answer = verified
    if "/login" in answer.url:
        raise RuntimeError(f"{user['username']} could not sign in to the console: {answer.status_code}")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)


def request_lines(users: list[dict], asked: list[tuple[str, str]], cookies: list[str]) -> list[dict]:
    """Return the requests in turn: each official asks every endpoint, the officials interleaved."""
    lines = []
    for turn in range(len(asked)):
        for user in range(len(users)):
            # Each official goes round every endpoint, starting at a different one.
            lines.append(_line(asked[(turn + 3 * user) % len(asked)], users[user], cookies, user))
    return lines


def _line(endpoint: tuple[str, str], user: dict, cookies: list[str], n: int) -> dict:
    """Return one request of the load: its path, the official's credentials, its label."""
    label, path = endpoint
    if label.startswith("console:"):
        headers = {"Cookie": cookies[n], "Accept": "text/html"}
    else:
        headers = {"Authorization": f"Bearer {user['token']}"}
    return {"path": path, "headers": headers, "label": label}


def first_views(base_url: str, lines: list[dict]) -> dict:
    """Ask each endpoint once, one after another, on an empty cache: the first view of each."""
    seen, timings = set(), {}
    for line in lines:
        if line["label"] in seen:
            continue
        seen.add(line["label"])
        started = time.perf_counter()
        answer = requests.get(base_url + line["path"], headers=line["headers"], timeout=120)
        timings[line["label"]] = {
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "status": answer.status_code,
        }
    return timings


def statement_counts(app, lines: list[dict], repeats: int = 3) -> dict:
    """Count and time each endpoint's SQL statements in process (cache off); keep its slowest one.

    Per endpoint the median of `repeats` requests: statements, time in the database and in all,
    and the slowest statement's text and time (what to look at when an endpoint is slow).
    """
    from app.extensions import db

    seen: list = []

    def before(connection, cursor, statement, parameters, context, executemany):
        connection.info["bench_started"] = time.perf_counter()

    def after(connection, cursor, statement, parameters, context, executemany):
        seen.append((time.perf_counter() - connection.info.pop("bench_started"), statement, parameters))

    found = {}
    sa.event.listen(db.engine, "before_cursor_execute", before)
    sa.event.listen(db.engine, "after_cursor_execute", after)
    try:
        for line in {line["label"]: line for line in lines}.values():
            client, headers = app.test_client(), dict(line["headers"])
            # The test client keeps cookies in a jar of its own (a Cookie header is not sent as is).
            for pair in filter(None, headers.pop("Cookie", "").split("; ")):
                client.set_cookie(*pair.split("=", 1))
            runs = []
            for _ in range(repeats):
                seen.clear()
                started = time.perf_counter()
                answer = client.get(line["path"], headers=headers)
                runs.append((time.perf_counter() - started, list(seen)))
            seconds, statements = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
            slowest = max(statements, key=lambda seen_: seen_[0], default=(0.0, "", None))
            found[line["label"]] = {
                "status": answer.status_code,
                "statements": len(statements),
                "in_process_ms": round(seconds * 1000, 1),
                "sql_ms": round(sum(seen_[0] for seen_ in statements) * 1000, 1),
                # "never by scanning residents per request": no statement reads the residents table.
                "reads_residents": any(RESIDENTS.search(seen_[1]) for seen_ in statements),
                "slowest_sql_ms": round(slowest[0] * 1000, 1),
                "slowest_sql": " ".join(slowest[1].split())[:600],
                "slowest_plan": explain(slowest[1], slowest[2]),
                "body_kb": round(len(answer.data) / 1024, 1),
            }
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
        sa.event.remove(db.engine, "after_cursor_execute", after)
    return found


def explain(statement: str, parameters) -> list | None:
    """Return MariaDB's plan of a statement: (table, access type, key, rows) per step; None elsewhere."""
    from app.extensions import db

    if not statement or db.engine.dialect.name != "mysql":
        return None
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).mappings().all()
    return [[row["table"], row["type"], row["key"], row["rows"]] for row in rows]


def _flush_stats_cache() -> int:
    """Forget every cached statistics answer; return how many there were."""
    from app.extensions import get_redis

    keys = list(get_redis().scan_iter("stats:*"))
    if keys:
        get_redis().delete(*keys)
    return len(keys)


def _worst(measured: dict) -> dict:
    """Return the label with the worst p95 of a pass, and that p95."""
    label, figures = max(measured.get("by_label", {}).items(), key=lambda item: item[1]["p95_ms"])
    return {"label": label, "p95_ms": figures["p95_ms"]}


def measure(base_url: str, lines: list[dict], users: int, warmup: float, duration: float) -> dict:
    """Run the closed loop of one connection per official over `lines`."""
    return loadgen.run(base_url, lines, concurrency=users, requests=10**7, warmup=warmup, duration=duration)


def measure_all(app, serve, limits: dict, users: int = USERS) -> dict:
    """Measure each mix uncached and warm, the first views, and count statements in process.

    `serve(**settings)` is a context manager running `app`'s code over HTTP with those settings
    (gunicorn here; a thread in the tests) and yielding something with the base `url`; `app`
    itself has the cache off (STATS_CACHE_SECONDS=0) for the in-process counts.
    """
    from app.common.clock import local_day
    from app.extensions import db

    with app.app_context():
        officials_, where = officials(users), places()
        month = local_day().strftime("%Y-%m")
        console = CONSOLE_DASHBOARD in app.view_functions
        db.session.remove()
    asked = {mix: endpoints(where, levels, month, console) for mix, levels in MIXES.items()}
    uncached, warm = {}, {}
    with serve(STATS_CACHE_SECONDS="0") as server:
        # Sessions live in the database: the cookies stay good on the next server.
        cookies = [sign_in(server.url, user) for user in officials_] if console else []
        lines = {mix: request_lines(officials_, asked[mix], cookies) for mix in MIXES}
        for mix in MIXES:
            uncached[mix] = measure(
                server.url, lines[mix], users, limits["warmup"], limits["uncached_duration"]
            )
    with serve() as server:
        with app.app_context():
            flushed = _flush_stats_cache()
        first = first_views(server.url, lines["city"] + lines["drill_down"])
        for mix in MIXES:
            warm[mix] = measure(server.url, lines[mix], users, limits["warmup"], limits["duration"])
    with app.app_context():
        counts = statement_counts(app, lines["city"] + lines["drill_down"])
        db.session.remove()
    city = {"uncached": uncached["city"]["p95_ms"], "warm": warm["city"]["p95_ms"]}
    return {
        "load": {
            "users": users,
            "mode": "closed loop",
            **limits,
            "endpoints": {m: len(a) for m, a in asked.items()},
        },
        "places": where,
        "month": month,
        "console_page": console,
        "cache_keys_flushed": flushed,
        "uncached": uncached,
        "first_views": first,
        "warm": warm,
        "in_process": counts,
        "worst_label_p95": {
            f"{name}.{mix}": _worst(passes[mix])
            for name, passes in (("uncached", uncached), ("warm", warm))
            for mix in MIXES
        },
        "city_p95_ms": city,
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": city["uncached"] <= TARGET_P95_MS,
        "meets_target_warm": city["warm"] <= TARGET_P95_MS,
    }


def run(scale: str = "tunxi", quick: bool = False) -> dict:
    """Measure the dashboards of the generated scale under gunicorn; write and return the result."""
    app = bench_app(STATS_CACHE_SECONDS=0)
    options = {}

    @contextlib.contextmanager
    def serve(**settings):
        with gunicorn(**SERVER_ENV, **settings) as server:
            options.update(server.options)
            yield server

    measured = measure_all(app, serve, QUICK if quick else FULL)
    return write_result("dashboard", {"scale": scale, "quick": quick, "server": options, **measured})


def summary(result: dict) -> list[dict]:
    """Return this scenario's rows for make bench's table: figure, value, unit, target, met."""
    target = f"<= {result.get('target_p95_ms', TARGET_P95_MS)}"
    city, drill = result["city_p95_ms"], {p: result[p]["drill_down"]["p95_ms"] for p in ("uncached", "warm")}
    return [
        summary_row(
            "city dashboard p95, uncached", city["uncached"], "ms", target, city["uncached"] <= TARGET_P95_MS
        ),
        summary_row(
            "city dashboard p95, warm cache", city["warm"], "ms", target, city["warm"] <= TARGET_P95_MS
        ),
        summary_row("drill-down p95, uncached", drill["uncached"], "ms", None, None),
        summary_row("drill-down p95, warm cache", drill["warm"], "ms", None, None),
        summary_row("city dashboard, uncached", result["uncached"]["city"]["rps"], "req/s", None, None),
    ]


if __name__ == "__main__":
    scenario_main(run, __doc__)
