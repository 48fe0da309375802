"""Scenario 3, push fan-out: one job whose radius holds N fitting seekers, sent to the fake WeChat server.

Measures the seconds from the publish call (the review that publishes the job and enqueues
the fan-out) to the last message the fake WeChat server received, and messages/s, with 2 and
1 SimpleWorkers (`flask worker`, the app's AppWorker) and with forking Workers (`--fork`).
The sends go in batches (PUSH_SEND_BATCH pushes a job, services/push/batch_send.py). N is
20,000 at Huangshan scale (the issue's target: >= 500 messages/s with 2 workers, none lost,
none twice, the first message <= 2 s after the approval), fewer at the smaller scales.

Setup, on top of the generated data: the seekers nearest the densest township's centre (the
GEO set the fan-out itself reads) are made to fit and to be reachable — wishes that any job
fits within the push radius, an active WeChat account, one job_match send on their quota,
default preferences — topped up with seekers of our own when the radius holds too few;
the other seekers in the radius lose their job_match quota, so exactly N receive it. The
run settings: PUSH_QPS raised far above any rate reached (the limiter still runs on every
send, it never waits), quiet hours off (start = end).
"""

import argparse
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests
import sqlalchemy as sa

from bench.common import APP_ENV, ROOT, app_env, bench_app, summary_row, write_result
from bench.server import free_port

# Fitting seekers per scale (a scale not named here: FULL_SEEKERS); `--quick` sends at most
# QUICK_SEEKERS: the rate is steady after the first seconds.
SEEKERS = {"mini": 500, "tunxi": 5_000, "huangshan": 20_000, "anhui-slice": 20_000}
FULL_SEEKERS, QUICK_SEEKERS = 5_000, 2_000
# Forking workers pay a fork per job (a batch now): a smaller fan-out keeps their run short.
FORK_SEEKERS = {False: 2_000, True: 500}
RUN_SETTINGS = {"PUSH_QPS": "100000", "PUSH_QUIET_START": "00:00", "PUSH_QUIET_END": "00:00"}
TARGET_MESSAGES_PER_S = 500
TARGET_FIRST_MESSAGE_S = 2.0
# Where the job goes when the data holds no seekers at all: 屯溪区昱中街道 (城中).
DEFAULT_POINT = (29.7155, 118.3175)
BENCH_OPENID = "obench-fanout-"
BENCH_CLIENT_ID = "bench-fanout-"
OPERATOR = "bench-fanout-operator"
OPERATOR_PASSWORD = "bench-fanout-Password-1"
# Seconds without a new message (and more expected) after which a run is over: the rest was lost.
STALL_SECONDS = 30
RUN_TIMEOUT_SECONDS = 1800
# Starting a worker (an app) takes a second on a quiet machine, half a minute on a loaded one.
STARTUP_SECONDS = 120
SQL_BATCH = 5000
FLASK = str(ROOT / ".venv" / "bin" / "flask")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
FAKE_SERVER_OPTIONS = (
    "--config",
    "/dev/null",
    "--workers",
    "1",
    "--worker-class",
    "gthread",
    "--threads",
    "16",
    "--keep-alive",
    "30",
)


def _retrying(func, *args):
    """Call func(*args) again (up to 3 times) when MariaDB picks it as a deadlock victim.

    Other scenarios may write the same rows meanwhile (logins update accounts); every
    setup step here is safe to repeat.
    """
    from sqlalchemy.exc import OperationalError

    from app.extensions import db

    for attempt in range(3):
        try:
            return func(*args)
        except OperationalError as exc:
            db.session.rollback()
            if attempt == 2 or "Deadlock" not in str(exc.orig):
                raise
            time.sleep(1)


def _chunks(items: list, size: int = SQL_BATCH):
    """Yield `items` in slices of `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---- setup: a point, an employer, a reviewer, N reachable seekers ----------------------------


def _point() -> tuple[float, float]:
    """Return the centre of the township with the most seekers (the default point when none)."""
    from app.extensions import db
    from app.models import Resident, Township
    from app.services.people import seekers

    row = db.session.execute(
        seekers.seekers_select(Resident.township_id, sa.func.count())
        .where(Resident.township_id.is_not(None))
        .group_by(Resident.township_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).first()
    township = db.session.get(Township, row[0]) if row else None
    if township is None or township.lat is None:
        return DEFAULT_POINT
    return township.lat, township.lng


def _top_up(point: tuple[float, float], radius_m: int, count: int) -> None:
    """Add `count` seekers of our own (account, resident, open résumé) within the radius, and index them."""
    from app.extensions import db, get_redis
    from app.models import Account, Resident, Resume, Role, utcnow
    from app.services.people import places, seekers

    done = db.session.scalar(sa.select(sa.func.count()).where(Account.openid.like(BENCH_OPENID + "s%")))
    rng = random.Random(f"fanout-{done}")
    now = utcnow()
    openids = [f"{BENCH_OPENID}s{n:07d}" for n in range(done, done + count)]
    for chunk in _chunks(openids):
        db.session.execute(
            sa.insert(Account),
            [{"role": Role.resident.value, "openid": o, "is_active": True, "created_at": now} for o in chunk],
        )
    ids = dict(
        db.session.execute(sa.select(Account.openid, Account.id).where(Account.openid.in_(openids))).all()
    )
    place = places.locate(*point)
    homes = []
    for openid in openids:
        # Uniform over the disc, 95 % of the radius: inside whatever rounding GEO hashes do.
        distance, bearing = radius_m * 0.95 * rng.random() ** 0.5, rng.uniform(0, 6.283185)
        lat = point[0] + distance * math.cos(bearing) / 111_320
        lng = point[1] + distance * math.sin(bearing) / (111_320 * math.cos(math.radians(point[0])))
        homes.append({"account_id": ids[openid], "home_lat": lat, "home_lng": lng, **place})
    for chunk in _chunks(homes):
        db.session.execute(sa.insert(Resident), [{**h, "created_at": now, "updated_at": now} for h in chunk])
    residents = db.session.execute(
        sa.select(Resident.id, Resident.home_lat, Resident.home_lng).where(
            Resident.account_id.in_(list(ids.values()))
        )
    ).all()
    for chunk in _chunks(residents):
        db.session.execute(
            sa.insert(Resume),
            [
                {"resident_id": r.id, "open_to_work": True, "created_at": now, "updated_at": now}
                for r in chunk
            ],
        )
    db.session.commit()
    pipe = get_redis().pipeline(transaction=False)
    for chunk in _chunks(residents):
        pipe.geoadd(seekers.SEEKERS, [v for r in chunk for v in (r.home_lng, r.home_lat, r.id)])
    pipe.execute()


def prepare_seekers(point: tuple[float, float], wanted: int) -> dict:
    """Make the `wanted` seekers nearest the point fit any job and reachable; the rest in the radius not.

    Returns the openids that will receive the push and how many seekers the radius holds.
    """
    from flask import current_app

    from app.extensions import db
    from app.models import Account, PushPreference, PushQuota, Resident, utcnow
    from app.services.jobs.search import geo_index
    from app.services.people import seekers

    radius = current_app.config["PUSH_SEARCH_RADIUS_M"]
    geo_index.ensure_built()
    near = seekers.search_seekers(*point, radius, 10_000_000)
    if len(near) < wanted:
        _top_up(point, radius, wanted - len(near))
        near = seekers.search_seekers(*point, radius, 10_000_000)
    chosen, others = [rid for rid, _ in near[:wanted]], [rid for rid, _ in near[wanted:]]
    for chunk in _chunks(chosen):
        db.session.execute(
            sa.update(Resident)
            .where(Resident.id.in_(chunk))
            .values(seek_radius_m=radius, seek_kinds=None, seek_categories=None, seek_wage_min=None)
        )
    accounts = _accounts_of(chosen)
    for chunk in _chunks(accounts):
        db.session.execute(
            sa.update(Account)
            .where(Account.id.in_(chunk), sa.or_(Account.is_active.is_(False), Account.openid.is_(None)))
            .values(
                is_active=True,
                openid=sa.func.coalesce(Account.openid, sa.func.concat(BENCH_OPENID, Account.id)),
            )
        )
        db.session.execute(sa.delete(PushPreference).where(PushPreference.account_id.in_(chunk)))
    for chunk in _chunks(_accounts_of(others)):
        db.session.execute(
            sa.update(PushQuota)
            .where(PushQuota.account_id.in_(chunk), PushQuota.template_key == "job_match")
            .values(remaining=0, status="reject", updated_at=utcnow())
        )
    db.session.commit()
    openids = {}
    for chunk in _chunks(accounts):
        openids.update(
            db.session.execute(sa.select(Account.id, Account.openid).where(Account.id.in_(chunk))).all()
        )
    return {"accounts": accounts, "openids": [openids[a] for a in accounts], "in_radius": len(near)}


def _accounts_of(resident_ids: list[int]) -> list[int]:
    """Return the account ids of residents (those that have one)."""
    from app.extensions import db
    from app.models import Resident

    found = []
    for chunk in _chunks(resident_ids):
        found += db.session.scalars(
            sa.select(Resident.account_id).where(Resident.id.in_(chunk), Resident.account_id.is_not(None))
        ).all()
    return found


def reset_quotas(accounts: list[int]) -> None:
    """Give every chosen account exactly one job_match send (the fan-out's runs use them up)."""
    from sqlalchemy.dialects.mysql import insert

    from app.extensions import db
    from app.models import PushQuota, utcnow

    now = utcnow()
    for chunk in _chunks(accounts):
        statement = insert(PushQuota).values(
            [
                {
                    "account_id": a,
                    "template_key": "job_match",
                    "status": "accept",
                    "remaining": 1,
                    "updated_at": now,
                }
                for a in chunk
            ]
        )
        db.session.execute(statement.on_duplicate_key_update(status="accept", remaining=1, updated_at=now))
    db.session.commit()


def employer_and_reviewer(point: tuple[float, float]):
    """Return a verified employer's account at the point and an operator of its district (made once)."""
    from app.extensions import db
    from app.models import Account, District, Employer, EmployerStatus, Role, utcnow
    from app.services.demo import demo_credit_code
    from app.services.people import places, staff

    openid = BENCH_OPENID + "employer"
    account = db.session.scalar(sa.select(Account).where(Account.openid == openid))
    if account is None:
        account = Account(role=Role.employer.value, openid=openid, display_name="压测用人单位")
        db.session.add(account)
        db.session.flush()
        db.session.add(
            Employer(
                account_id=account.id,
                name="压测推送有限公司",
                credit_code=demo_credit_code(9999),
                lat=point[0],
                lng=point[1],
                status=EmployerStatus.verified.value,
                decided_at=utcnow(),
                **places.locate(*point),
            )
        )
        db.session.commit()
    employer = db.session.scalar(sa.select(Employer).where(Employer.account_id == account.id))
    district = db.session.get(District, places.locate(*point)["district_id"])
    reviewer, _ = staff.create_admin(OPERATOR, OPERATOR_PASSWORD, "operator", "district", district.code)
    return account, employer, reviewer


def remove_bench_jobs() -> None:
    """Delete the jobs of earlier runs and their pushes, and take them out of the GEO index.

    Their audit events stay (append-only); they name the job by id only.
    """
    from app.extensions import db
    from app.models import Job, Push
    from app.services.jobs.search import geo_index

    ids = db.session.scalars(sa.select(Job.id).where(Job.client_id.like(BENCH_CLIENT_ID + "%"))).all()
    if not ids:
        return
    keys = [str(i) for i in ids]
    db.session.execute(sa.delete(Push).where(Push.object_type == "job", Push.object_id.in_(keys)))
    db.session.execute(sa.delete(Job).where(Job.id.in_(ids)))
    db.session.commit()
    geo_index.unindex_jobs(ids)


def draft_job(employer_account, point: tuple[float, float], label: str):
    """Create the job and submit it for review (not timed): what every chosen seeker's wishes fit."""
    from app.services.jobs import posts as jobs

    job, _ = jobs.create(
        employer_account,
        {
            "title": "压测普工",
            "category": "manufacturing",
            "kind": "regular",
            "wage_min": 4000,
            "wage_max": 6000,
            "lat": point[0],
            "lng": point[1],
            "client_id": BENCH_CLIENT_ID + label,
        },
        None,
    )
    return jobs.submit(employer_account, job.id, None)


# ---- one run: the fake WeChat server, N workers, publish, wait for the last message --------


def _wait(ready, what: str, seconds: float = 30) -> None:
    """Poll `ready()` until it is true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {seconds} s")


@contextmanager
def fake_wechat(log_dir: Path, openids: list[str], template_id: str):
    """Run the fake WeChat server on a free port with a send granted to each openid.

    Served by gunicorn (one process: the fake keeps its state in memory; threads; keep-alive)
    rather than `flask fake-wechat`'s development server, which closes every connection, so
    each send would pay a new TCP connection and thread that WeChat's own API does not cost.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    factory = f"app.wechat.fake:create_fake_wechat({APP_ENV['WECHAT_APPID']!r}, {APP_ENV['WECHAT_SECRET']!r})"
    log = open(log_dir / "fake-wechat.log", "a")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [GUNICORN, *FAKE_SERVER_OPTIONS, "--bind", f"127.0.0.1:{port}", factory],
        cwd=ROOT,
        env=app_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: requests.get(base + "_fake/stats", timeout=1).ok, "fake WeChat", STARTUP_SECONDS)
        grants = [{"openid": o, "template_id": template_id, "count": 1} for o in openids]
        requests.post(base + "_fake/subscriptions", json={"grants": grants}, timeout=60).raise_for_status()
        yield base
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process and its waited-for children have used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # Fields 14–17 of stat (utime, stime, cutime, cstime); the split starts at field 3.
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


@contextmanager
def workers(count: int, fork: bool, env: dict, log_dir: Path):
    """Start `count` `flask worker push` processes and wait until each has registered with RQ.

    Yields the processes; their CPU seconds are read with cpu_seconds() before they stop.
    """
    from rq import Worker

    from app.queues import get_queue

    queue = get_queue("push")
    processes = []
    log = open(log_dir / f"workers-{count}{'-fork' if fork else ''}.log", "a")  # noqa: SIM115
    try:
        for _ in range(count):
            processes.append(
                subprocess.Popen(
                    [FLASK, "--app", "wsgi.py", "worker", "push", *(["--fork"] if fork else [])],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        pids = {p.pid for p in processes}
        _wait(
            lambda: pids <= {w.pid for w in Worker.all(connection=queue.connection, queue=queue)},
            f"{count} workers",
            STARTUP_SECONDS,
        )
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)  # warm shutdown: the job at hand finishes
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def clear_push_queue() -> None:
    """Forget every job of the push queue (waiting, done, failed, scheduled) and the cached WeChat token."""
    from rq.job import Job as RqJob
    from rq.results import Result

    from app.extensions import get_redis
    from app.queues import get_queue

    queue = get_queue("push")
    connection = queue.connection
    registries = (
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.started_job_registry,
        queue.scheduled_job_registry,
        queue.deferred_job_registry,
        queue.canceled_job_registry,
    )
    ids = set(queue.get_job_ids())
    for registry in registries:
        ids.update(registry.get_job_ids())
    pipe = connection.pipeline(transaction=False)
    for n, job_id in enumerate(ids):
        pipe.delete(RqJob.key_for(job_id), Result.get_key(job_id), f"rq:executions:{job_id}")
        if n % SQL_BATCH == SQL_BATCH - 1:
            pipe.execute()
    pipe.delete(queue.key, *(registry.key for registry in registries))
    pipe.execute()
    # A token of an earlier fake server is unknown to this one: the first send fetches a new one.
    for key in get_redis().scan_iter("wechatpy:*"):
        get_redis().delete(key)


def _push_counts(job_id: int) -> dict:
    """Return the job's pushes per status, and per error of those not sent."""
    from app.extensions import db
    from app.models import Push

    db.session.commit()  # a fresh transaction: see what the workers committed
    rows = db.session.execute(
        sa.select(Push.status, sa.func.count())
        .where(Push.object_type == "job", Push.object_id == str(job_id))
        .group_by(Push.status)
    ).all()
    errors = db.session.execute(
        sa.select(Push.last_error, sa.func.count())
        .where(Push.object_type == "job", Push.object_id == str(job_id), Push.status != "sent")
        .group_by(Push.last_error)
    ).all()
    db.session.commit()
    return {"by_status": dict(rows), "errors": {str(error): n for error, n in errors}}


def _wait_for_messages(base: str, expected: int) -> dict:
    """Poll the fake's counters until `expected` messages arrived, or none came for a while; return them."""
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    seen, changed = 0, time.monotonic()
    while time.monotonic() < deadline:
        stats = requests.get(base + "_fake/stats", timeout=30).json()
        if stats["messages"] >= expected:
            break
        if stats["messages"] != seen:
            seen, changed = stats["messages"], time.monotonic()
        elif seen and time.monotonic() - changed > STALL_SECONDS:
            break
        time.sleep(0.5)
    time.sleep(1)  # a late duplicate is counted too
    return requests.get(base + "_fake/stats", timeout=30).json()


def run_one(setup: dict, count: int, fork: bool, expected: int, log_dir: Path) -> dict:
    """Publish a fresh job with `count` workers running; return the time to the last message and the rate."""
    from flask import current_app

    from app.services.jobs import posts as jobs

    remove_bench_jobs()
    clear_push_queue()
    _retrying(reset_quotas, setup["accounts"][:expected])
    label = f"{count}{'-fork' if fork else ''}-{int(time.time())}"
    template_id = current_app.config["PUSH_TEMPLATES"]["job_match"]["template_id"]
    with fake_wechat(log_dir, setup["openids"][:expected], template_id) as base:
        env = app_env(WECHAT_API_BASE=base, **RUN_SETTINGS)
        with workers(count, fork, env, log_dir) as processes:
            job = draft_job(setup["employer_account"], setup["point"], label)
            cpu_before = sum(cpu_seconds(p.pid) for p in processes)
            started = time.time()
            jobs.review(setup["reviewer"], job.id, "approved", None, None)
            published = time.time()
            stats = _wait_for_messages(base, expected)
            cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
        pushes = _push_counts(job.id)
    seconds = (stats["last_sent_at"] or started) - started
    return {
        "workers": count,
        "worker_class": "AppForkWorker (rq.Worker, a fork per job)"
        if fork
        else "AppWorker (rq.SimpleWorker)",
        "seekers": expected,
        "messages": stats["messages"],
        "lost": expected - stats["recipients"],
        "duplicates": stats["messages"] - stats["recipients"] + stats["refused_no_quota"],
        "seconds": round(seconds, 2),
        "messages_per_s": round(stats["messages"] / seconds, 1) if seconds > 0 else 0.0,
        "first_message_s": round(stats["first_sent_at"] - started, 3) if stats["first_sent_at"] else None,
        "publish_call_ms": round((published - started) * 1000, 1),
        # The workers' own CPU per message (fan-out included), whatever else shares the cores.
        "worker_cpu_ms_per_message": round(cpu * 1000 / stats["messages"], 2) if stats["messages"] else None,
        "pushes": pushes,
    }


def run(scale: str, quick: bool = False, seekers: int | None = None) -> dict:
    """Set up, run the three configurations, write and return the result."""
    wanted = seekers or SEEKERS.get(scale, FULL_SEEKERS)
    if quick and not seekers:
        wanted = min(wanted, QUICK_SEEKERS)
    fork_seekers = min(wanted, FORK_SEEKERS[quick])
    overrides = {
        "PUSH_QPS": int(RUN_SETTINGS["PUSH_QPS"]),
        "PUSH_QUIET_START": "00:00",
        "PUSH_QUIET_END": "00:00",
    }
    app = bench_app(**overrides)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    with app.app_context():
        point = _point()
        employer_account, _, reviewer = employer_and_reviewer(point)
        remove_bench_jobs()
        chosen = _retrying(prepare_seekers, point, wanted)
        setup = {"point": point, "employer_account": employer_account, "reviewer": reviewer, **chosen}
        runs = []
        for count, fork, expected in ((2, False, wanted), (1, False, wanted), (2, True, fork_seekers)):
            print(
                f"fanout: {count} worker(s){' --fork' if fork else ''}, {expected} seekers", file=sys.stderr
            )
            runs.append(run_one(setup, count, fork, expected, log_dir))
        remove_bench_jobs()
        clear_push_queue()
        radius = app.config["PUSH_SEARCH_RADIUS_M"]
    two = next(r for r in runs if r["workers"] == 2 and "Simple" in r["worker_class"])
    return write_result(
        "fanout",
        {
            "scale": scale,
            "quick": quick,
            "point": {"lat": round(point[0], 5), "lng": round(point[1], 5)},
            "radius_m": radius,
            "seekers_in_radius": chosen["in_radius"],
            "settings": {
                **RUN_SETTINGS,
                **{
                    key: app.config[key]
                    for key in ("PUSH_BATCH", "PUSH_SEND_BATCH", "WECHAT_SEND_CONCURRENCY")
                },
            },
            "fake_server": "gunicorn " + " ".join(FAKE_SERVER_OPTIONS),
            "runs": runs,
            "target_messages_per_s": TARGET_MESSAGES_PER_S,
            "meets_target": two["messages_per_s"] >= TARGET_MESSAGES_PER_S
            and not two["lost"]
            and not two["duplicates"],
            "logs": str(log_dir),
        },
    )


def _run_of(result: dict, workers: int, fork: bool) -> dict | None:
    """Return the run of `workers` SimpleWorkers (or forking Workers) in a result, if it has one."""
    for one in result.get("runs", []):
        if one["workers"] == workers and ("Simple" not in one["worker_class"]) == fork:
            return one
    return None


def summary(result: dict) -> list[dict]:
    """Return this scenario's rows for make bench's table: figure, value, unit, target, met."""
    rows = []
    two = _run_of(result, 2, False)
    if two is not None:
        seekers, target = two["seekers"], f">= {TARGET_MESSAGES_PER_S}"
        wrong = two["lost"] + two["duplicates"]
        first = two["first_message_s"]
        rows += [
            summary_row(
                f"fan-out to {seekers:,} seekers, 2 workers",
                two["messages_per_s"],
                "msg/s",
                target,
                two["messages_per_s"] >= TARGET_MESSAGES_PER_S,
            ),
            summary_row("fan-out, messages lost or sent twice", wrong, "messages", "= 0", wrong == 0),
            summary_row(
                "fan-out, first message after the approval",
                first,
                "s",
                f"<= {TARGET_FIRST_MESSAGE_S:g}",
                first is not None and first <= TARGET_FIRST_MESSAGE_S,
            ),
            summary_row(
                "fan-out, worker CPU per message (2 workers)", two["worker_cpu_ms_per_message"], "ms"
            ),
        ]
    for workers, fork, label in ((1, False, "1 worker"), (2, True, "2 forking workers")):
        one = _run_of(result, workers, fork)
        if one is not None:
            rows.append(
                summary_row(f"fan-out to {one['seekers']:,} seekers, {label}", one["messages_per_s"], "msg/s")
            )
    return rows


def main() -> None:
    """Command line: --scale, --quick."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="tunxi")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--seekers",
        type=int,
        help=f"fitting seekers (default by scale: {SEEKERS}; at most {QUICK_SEEKERS} with --quick)",
    )
    args = parser.parse_args()
    run(args.scale, args.quick, args.seekers)


if __name__ == "__main__":
    main()
