"""The node-loss drill (issue 25): load through the balancer while one part after another dies.

Against the local cluster (scripts/cluster.sh, data from `bench.generate --scale mini`): residents
check in, a grid worker sends visit batches and people search for jobs, through HAProxy, while
the drill kills (SIGKILL, as a lost host) the Galera node HAProxy is writing to, then the queue
Redis primary (the Sentinels promote its replica), then one Redis Cluster primary (its replica
takes over). Clients behave as the mini-program does: a write refused with 503 or left without
an answer is sent again with the same client id, after Retry-After (capped at MAX_WAIT_S here).

Then it checks what the issue asks: every accepted write is in the database exactly once; every
refusal was a 503 with Retry-After and a stable code (never a 500, never an answer slower than
REQUEST_TIMEOUT_S); every task committed during the drill ran (the RQ workers reconnected); the
job board answers and /readyz is ready again. It prints the failover times and the refusals
(docs/OPERATIONS.md "The node-loss drill") and exits 1 when a check fails.

    python -m bench.drill [--dir /tmp/ec-cluster] [--phase-seconds 15] [--out FILE]

Long because the drill is one story read top to bottom: its clients, its load, its kills and
the checks of what survived them.
"""

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

API = ("127.0.0.1", 8300)
GALERA_PORTS = {3311: "g1", 3312: "g2", 3313: "g3"}
HAPROXY_DB_PORT = 3310
SENTINEL = ("127.0.0.1", 26390)
QUEUE_SERVICE = "ec-queue"
REDIS_CLUSTER_PORTS = range(7100, 7106)
# A request's answer must come within this (the app's own timeouts are a few seconds).
REQUEST_TIMEOUT_S = 10.0
# A client waits Retry-After before sending again, but the drill no longer than this.
MAX_WAIT_S = 2.0
# After the last kill: load goes on this long, then writers get this long to land their retries.
SETTLE_S = 60.0
# Who does what at once: residents checking in, grid workers sending batches, people searching.
THREADS = {"check_in": 4, "visits": 2, "search": 4}
VISITS_PER_BATCH = 5
# The RQ workers scripts/cluster.sh starts: each must be back after the queue's failover.
WORKERS = 2
# Codes a refusal may carry during a failover (app/errors.py).
EXPECTED_CODES = {"database_unavailable", "database_busy", "service_unavailable"}


@dataclass
class Answer:
    """One HTTP exchange as a client saw it."""

    kind: str
    started: float
    seconds: float
    status: int  # 0: no answer (refused, reset, timed out)
    code: str | None = None
    retry_after: str | None = None
    error: str | None = None
    body: dict | list | None = None


@dataclass
class Log:
    """What every client thread saw, and what was accepted, shared under a lock."""

    answers: list[Answer] = field(default_factory=list)
    accepted: dict[str, list[str]] = field(default_factory=lambda: {"check_in": [], "visits": []})
    given_up: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        """Keep one exchange."""
        with self.lock:
            self.answers.append(answer)

    def accept(self, kind: str, client_ids: list[str]) -> None:
        """Keep the client ids of a write the API accepted."""
        with self.lock:
            self.accepted[kind].extend(client_ids)


class Client:
    """One keep-alive connection to the balancer, as one phone's requests."""

    def __init__(self, kind: str, log: Log):
        self.kind, self.log = kind, log
        self.connection: http.client.HTTPConnection | None = None

    def send(
        self, method: str, path: str, body: dict | None = None, token: str | None = None, keep: bool = False
    ) -> Answer:
        """Send one request; record and return what came back (status 0 when nothing did)."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(*API, timeout=REQUEST_TIMEOUT_S)
            self.connection.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = self.connection.getresponse()
            raw = response.read()
            answer = Answer(self.kind, started, time.monotonic() - started, response.status)
            answer.retry_after = response.getheader("Retry-After")
            if keep and response.status < 300:
                answer.body = json.loads(raw)  # only when asked: the load's bodies would fill memory
            if response.status >= 300:
                try:
                    answer.code = json.loads(raw)["error"]["code"]
                except (ValueError, KeyError, TypeError):  # not the API's envelope: the balancer's page
                    answer.code = "not json: " + raw[:60].decode("latin-1").replace("\n", " ")
        except (OSError, http.client.HTTPException) as error:
            answer = Answer(self.kind, started, time.monotonic() - started, 0, error=type(error).__name__)
            if self.connection is not None:
                self.connection.close()
            self.connection = None
        self.log.add(answer)
        return answer

    def write(self, path: str, body: dict, token: str, client_ids: list[str], until: float) -> bool:
        """Send a write until it is accepted (the same client ids each time) or `until` passes."""
        while time.monotonic() < until:
            answer = self.send("POST", path, body, token)
            if 200 <= answer.status < 300:
                self.log.accept(self.kind, client_ids)
                return True
            if answer.status not in (0, 503):
                return False  # refused for a reason a retry does not change (counted as it is)
            wait = float(answer.retry_after) if (answer.retry_after or "").isdigit() else 0.5
            time.sleep(min(wait, MAX_WAIT_S))
        self.log.given_up[self.kind] += 1
        return False


# --- the data the clients use (from the mini scale's generated city) ------------------------------


def prepare(app, check_ins: int) -> dict:
    """Return tokens and request bodies: residents at their nearest station, a worker's households."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Account, Employer, GridAssignment, Household, Job, Resident
    from app.services.people.tokens import issue_token
    from bench.common import RESULTS_DIR
    from bench.scenario_checkin import check_in_requests, fresh_residents, station_codes, tokens
    from bench.scenario_search import home_points, queries

    tag = datetime.now(UTC).strftime("drill%H%M%S")
    with app.app_context():
        people = fresh_residents(check_ins)
        issued, _ = tokens([person[0] for person in people])
        checks = check_in_requests(people, station_codes(), issued, tag)
        manifest = json.loads((RESULTS_DIR / "manifest-mini.json").read_text())
        worker = db.session.get(Account, manifest["grid_worker"]["account_id"])
        worker_token = issue_token(worker)[0]
        db.session.commit()
        households = db.session.execute(
            sa.select(Household.id, Household.lat, Household.lng)
            .join(Resident, Resident.household_id == Household.id)
            .where(
                Household.community_id.in_(
                    sa.select(GridAssignment.community_id).where(GridAssignment.account_id == worker.id)
                )
            )
            .group_by(Household.id, Household.lat, Household.lng)
        ).all()
        members = dict(
            db.session.execute(
                sa.select(Resident.household_id, sa.func.min(Resident.id))
                .where(Resident.household_id.in_([row.id for row in households]))
                .group_by(Resident.household_id)
            ).all()
        )
        searches = [f"/api/v1/jobs?{urlencode(params)}" for params in queries(home_points(200))]
        # A published job whose employer can sign in: closed after the failovers (board_follows).
        listed = db.session.execute(
            sa.select(Job.id, Job.lat, Job.lng, Employer.account_id)
            .join(Employer, Employer.id == Job.employer_id)
            .where(Job.status == "published", Employer.account_id.is_not(None), Job.lat.is_not(None))
            .order_by(Job.id)
            .limit(1)
        ).one()
        employer_token = issue_token(db.session.get(Account, listed.account_id))[0]
        db.session.commit()
    return {
        "tag": tag,
        "check_ins": checks,
        "worker_token": worker_token,
        "households": [(row.id, row.lat, row.lng, members[row.id]) for row in households],
        "searches": searches,
        "listed_job": {"id": listed.id, "lat": listed.lat, "lng": listed.lng, "token": employer_token},
    }


def visit_batch(data: dict, tag: str, number: int, draw: random.Random) -> tuple[dict, list[str]]:
    """Return one batch of visits (one member's needs recorded in each) and its client ids."""
    visited_at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    visits, ids = [], []
    for n in range(VISITS_PER_BATCH):
        household_id, lat, lng, member = draw.choice(data["households"])
        client_id = f"{tag}-v{number}-{n}"
        ids.append(client_id)
        visits.append(
            {
                "client_id": client_id,
                "visited_at": visited_at,
                "household_id": household_id,
                "lat": lat,
                "lng": lng,
                "outcome": "met",
                "members": [{"resident_id": member, "needs": [draw.choice(["job", "training", "policy"])]}],
            }
        )
    return {"visits": visits}, ids


# --- the load --------------------------------------------------------------------------------


def run_load(
    data: dict, log: Log, stop: threading.Event, deadline: list[float], seconds: float
) -> list[threading.Thread]:
    """Start the client threads; they run until `stop` is set (writers finish their retries).

    The check-ins are spread over `seconds` (the whole drill), so that every kill meets some.
    """
    pending = list(data["check_ins"])
    pending_lock = threading.Lock()
    pause = THREADS["check_in"] * seconds / max(1, len(pending))

    def checking_in() -> None:
        client = Client("check_in", log)
        while not stop.is_set():
            with pending_lock:
                if not pending:
                    return
                request = pending.pop()
            body = request["json"]
            token = request["headers"]["Authorization"].split()[1]
            client.write(request["path"], body, token, [body["client_id"]], deadline[0])
            time.sleep(pause)

    def visiting(number: int) -> None:
        client, draw, batch = Client("visits", log), random.Random(number), 0
        while not stop.is_set():
            batch += 1
            body, ids = visit_batch(data, data["tag"], number * 100_000 + batch, draw)
            client.write("/api/v1/grid/visits", body, data["worker_token"], ids, deadline[0])
            time.sleep(0.2)  # a worker's phone syncs now and then, not flat out

    def searching(number: int) -> None:
        client, draw = Client("search", log), random.Random(number)
        while not stop.is_set():
            client.send("GET", draw.choice(data["searches"]))

    threads = [threading.Thread(target=checking_in) for _ in range(THREADS["check_in"])]
    threads += [threading.Thread(target=visiting, args=(n,)) for n in range(THREADS["visits"])]
    threads += [threading.Thread(target=searching, args=(n,)) for n in range(THREADS["search"])]
    for thread in threads:
        thread.start()
    return threads


# --- the kills ---------------------------------------------------------------------------------


def mysql(port: int, query: str) -> str | None:
    """Run one query with the mysql client; its output, or None when the server does not answer."""
    done = subprocess.run(
        ["mysql", "-h", "127.0.0.1", "-P", str(port), "-u", "root", "-N", "-e", query],
        capture_output=True,
        text=True,
        timeout=10,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def redis_cli(port: int, *args: str) -> str:
    """Run one redis-cli command; its output ("" when the server does not answer)."""
    done = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=5)
    return done.stdout.strip() if done.returncode == 0 else ""


def until(condition, seconds: float = 60.0) -> float | None:
    """Poll `condition` every 0.1 s; return the seconds it took to hold, or None if it never did."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def kill_galera(cluster_dir: Path) -> dict:
    """Kill the Galera node HAProxy writes to; time until HAProxy sends connections to another."""
    port = int(mysql(HAPROXY_DB_PORT, "SELECT @@port"))
    node = GALERA_PORTS[port]
    os.kill(int((cluster_dir / "galera" / node / "mysqld.pid").read_text()), signal.SIGKILL)
    moved = until(lambda: (mysql(HAPROXY_DB_PORT, "SELECT @@port") or str(port)) != str(port))
    others = [other for other in GALERA_PORTS if other != port]
    shrunk = until(
        lambda: mysql(others[0], "SHOW STATUS LIKE 'wsrep_cluster_size'") == "wsrep_cluster_size\t2"
    )
    return {"killed": f"Galera {node} (:{port})", "balancer_moved_s": moved, "cluster_of_2_s": shrunk}


def kill_queue_primary(cluster_dir: Path) -> dict:
    """Kill the queue Redis primary; time until the Sentinels name another."""
    host_port = redis_cli(SENTINEL[1], "SENTINEL", "get-master-addr-by-name", QUEUE_SERVICE).split()
    port = int(host_port[1])
    pid = int(redis_cli(port, "INFO", "server").split("process_id:")[1].split()[0])
    os.kill(pid, signal.SIGKILL)

    def promoted() -> bool:
        named = redis_cli(SENTINEL[1], "SENTINEL", "get-master-addr-by-name", QUEUE_SERVICE).split()
        return len(named) == 2 and named[1] != str(port)

    return {"killed": f"queue Redis primary (:{port})", "sentinel_failover_s": until(promoted)}


def kill_cluster_primary(cluster_dir: Path) -> dict:
    """Kill one Redis Cluster primary; time until its replica owns its slots and the cluster is ok."""
    nodes = redis_cli(REDIS_CLUSTER_PORTS[0], "CLUSTER", "NODES").splitlines()
    primaries = [
        line.split() for line in nodes if "master" in line.split()[2] and "fail" not in line.split()[2]
    ]
    victim = sorted(primaries, key=lambda parts: parts[1])[-1]  # the last port: not the startup node
    port = int(victim[1].split("@")[0].rsplit(":", 1)[1])
    pid = int(redis_cli(port, "INFO", "server").split("process_id:")[1].split()[0])
    os.kill(pid, signal.SIGKILL)
    survivor = next(p for p in REDIS_CLUSTER_PORTS if p != port)

    def failed_over() -> bool:
        info = redis_cli(survivor, "CLUSTER", "INFO")
        return "cluster_state:ok" in info and f":{port}@" not in "".join(
            line for line in redis_cli(survivor, "CLUSTER", "NODES").splitlines() if " master " in f" {line} "
        )

    return {"killed": f"Redis Cluster primary (:{port})", "replica_promoted_s": until(failed_over)}


# --- the checks ---------------------------------------------------------------------------------


def window(log: Log, started: float, ended: float) -> dict:
    """Summarise the exchanges that began in [started, ended): refusals by kind and code, the gap."""
    inside = [a for a in log.answers if started <= a.started < ended]
    refused = [a for a in inside if not 200 <= a.status < 300]
    last_refusal = max((a.started + a.seconds for a in refused), default=None)
    return {
        "requests": len(inside),
        "refused": len(refused),
        "refused_by": dict(
            Counter(f"{a.kind} {a.status} {a.code or a.error or ''}".strip() for a in refused)
        ),
        "refusals_for_s": round(last_refusal - started, 2) if last_refusal else 0.0,
        "slowest_s": round(max((a.seconds for a in inside), default=0.0), 2),
    }


def exactly_once(app, log: Log) -> dict:
    """Count the rows of every accepted client id: each must be there once."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import CheckIn, Visit

    found = {}
    with app.app_context():
        for kind, model in (("check_in", CheckIn), ("visits", Visit)):
            ids = sorted(set(log.accepted[kind]))
            counts = Counter()
            for start in range(0, len(ids), 500):
                counts.update(
                    dict(
                        db.session.execute(
                            sa.select(model.client_id, sa.func.count())
                            .where(model.client_id.in_(ids[start : start + 500]))
                            .group_by(model.client_id)
                        ).all()
                    )
                )
            found[kind] = {
                "accepted": len(ids),
                "missing": sum(1 for client_id in ids if counts[client_id] == 0),
                "twice_or_more": sum(1 for client_id in ids if counts[client_id] > 1),
            }
    return found


def tasks_ran(app, since: datetime, seconds: float = 300.0) -> dict:
    """Wait until every task committed since `since` has finished on a worker.

    Nothing is done for them here: a task the queue refused at its commit is enqueued by the
    outbox's flush, and one a failover lost is found again by its rescue, both run by `flask
    cron` every minute (app/queues.py), an abandoned job once past its own timeout (180 s);
    hence the wait of up to five minutes.
    """
    import sqlalchemy as sa
    from rq.job import Job, JobStatus

    from app.extensions import db
    from app.models import OutboxTask
    from app.queues import outbox_job_id

    deadline = time.monotonic() + seconds
    with app.app_context():
        connection = app.extensions["queue_redis"]
        while True:
            rows = db.session.execute(
                sa.select(OutboxTask.id, OutboxTask.enqueued_at).where(OutboxTask.created_at >= since)
            ).all()
            db.session.commit()
            statuses = Counter()
            for row in rows:
                if row.enqueued_at is None:
                    statuses["not enqueued"] += 1
                    continue
                try:
                    statuses[Job.fetch(outbox_job_id(row.id), connection=connection).get_status()] += 1
                except Exception as error:  # NoSuchJobError: the job is gone (lost, or expired)
                    statuses[f"missing ({type(error).__name__})"] += 1
            done = statuses[JobStatus.FINISHED]
            if done == len(rows) or time.monotonic() > deadline:
                return {
                    "tasks": len(rows),
                    "by_status": {getattr(k, "value", k): v for k, v in statuses.items()},
                }
            time.sleep(1.0)


def workers_alive(app, since: datetime) -> dict:
    """Count the RQ workers that have reported to the queue's (new) primary since `since`."""
    from rq import Worker

    with app.app_context():
        workers = Worker.all(connection=app.extensions["queue_redis"])
        fresh = [
            w.name for w in workers if w.last_heartbeat and w.last_heartbeat.replace(tzinfo=None) > since
        ]
    return {"registered": len(workers), "heartbeat_since_failover": len(fresh)}


def board_follows(data: dict, seconds: float = 15.0) -> dict:
    """Close a listed job as its employer, after the failovers; time until no API process lists it.

    Each process keeps its own copy of the live jobs and follows the changes through the
    version and change log in the Redis Cluster ({board}), which the last kill just failed over.
    """
    job = data["listed_job"]
    path = f"/api/v1/jobs?{urlencode({'lat': job['lat'], 'lng': job['lng'], 'radius_m': 500, 'limit': 50})}"
    client = Client("board", Log())

    def listed() -> bool:
        answer = client.send("GET", path, keep=True)
        return answer.status == 200 and any(item["job"]["id"] == job["id"] for item in answer.body["items"])

    before = listed()
    closed = client.send("POST", f"/api/v1/jobs/{job['id']}/close", {}, job["token"])
    # Six searches in a row without it: with three processes behind leastconn, each is asked.
    gone = until(lambda: not any(listed() for _ in range(6)), seconds)
    return {"job": job["id"], "listed_before": before, "close_status": closed.status, "gone_after_s": gone}


def ready() -> dict:
    """Ask /readyz through the balancer: its status and the checks that fail."""
    client = Client("readyz", Log())
    answer = client.send("GET", "/readyz")
    return {"status": answer.status, "code": answer.code}


def main(argv: list[str] | None = None) -> int:
    """Run the drill; print and write the report; 0 when every check holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=os.environ.get("CLUSTER_DIR", "/tmp/ec-cluster"))
    parser.add_argument("--phase-seconds", type=float, default=15.0)
    parser.add_argument("--check-ins", type=int, default=2000)
    parser.add_argument("--out", default=None)
    arguments = parser.parse_args(argv)
    cluster_dir = Path(arguments.dir)
    os.environ["BENCH_ENV_FILE"] = str(cluster_dir / "cluster.env")
    from bench.common import bench_app

    app = bench_app()
    data = prepare(app, arguments.check_ins)
    log, stop = Log(), threading.Event()
    deadline = [float("inf")]
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    drill_started = time.monotonic()
    threads = run_load(data, log, stop, deadline, arguments.phase_seconds * 5)
    events = []
    time.sleep(arguments.phase_seconds)
    queue_failed_over = None
    for kill in (kill_galera, kill_queue_primary, kill_cluster_primary):
        at = time.monotonic()
        event = kill(cluster_dir)
        if kill is kill_queue_primary:
            queue_failed_over = datetime.now(UTC).replace(tzinfo=None)
        print(f"drill: {event}", flush=True)
        time.sleep(max(0.0, arguments.phase_seconds - (time.monotonic() - at)))
        event.update(window(log, at, time.monotonic()))
        event["at_s"] = round(at - drill_started, 1)
        events.append(event)
    last_kill_ended = time.monotonic()
    time.sleep(arguments.phase_seconds)
    board = board_follows(data)
    deadline[0] = time.monotonic() + SETTLE_S
    stop.set()
    for thread in threads:
        thread.join()
    after = window(log, last_kill_ended, time.monotonic())
    report = {
        "events": events,
        "before": window(log, drill_started, drill_started + arguments.phase_seconds),
        "after_last_kill": after,
        "answers": len(log.answers),
        "by_status": dict(Counter(f"{a.kind} {a.status}" for a in log.answers)),
        "given_up": dict(log.given_up),
        "exactly_once": exactly_once(app, log),
        "tasks": tasks_ran(app, since),
        "readyz": ready(),
        "workers": workers_alive(app, queue_failed_over),
        "job_board": board,
    }
    failures = checks(report, log)
    report["failures"] = failures
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if arguments.out:
        out = Path(arguments.out)
        out.parent.mkdir(parents=True, exist_ok=True)  # bench/results/ is not in a fresh clone
        out.write_text(text + "\n", encoding="utf-8")
    for failure in failures:
        print(f"drill: FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


def checks(report: dict, log: Log) -> list[str]:
    """Return what the issue asks that did not hold (empty: the drill passed)."""
    failures = []
    bad = [a for a in log.answers if a.status >= 500 and a.status != 503]
    if bad:
        failures.append(f"{len(bad)} answers were 5xx other than 503: {Counter(a.status for a in bad)}")
    unexplained = [a for a in log.answers if a.status == 503 and (not a.retry_after or not a.code)]
    if unexplained:
        failures.append(f"{len(unexplained)} 503s without Retry-After or a code")
    odd = Counter(a.code for a in log.answers if a.status == 503 and a.code not in EXPECTED_CODES)
    if odd:
        failures.append(f"503s with unexpected codes: {dict(odd)}")
    slow = [a for a in log.answers if a.seconds >= REQUEST_TIMEOUT_S or a.error == "TimeoutError"]
    if slow:
        failures.append(f"{len(slow)} requests hung to the client's timeout ({REQUEST_TIMEOUT_S} s)")
    silent = Counter(a.error for a in log.answers if a.status == 0)
    if silent:
        failures.append(f"requests without an answer: {dict(silent)}")
    for kind, counted in report["exactly_once"].items():
        if counted["missing"] or counted["twice_or_more"]:
            failures.append(f"{kind}: {counted}")
    if report["given_up"]:
        failures.append(f"writes never accepted: {report['given_up']}")
    tasks = report["tasks"]
    if tasks["by_status"].get("finished", 0) != tasks["tasks"]:
        failures.append(f"tasks not all finished: {tasks}")
    if report["after_last_kill"]["refused"] and report["after_last_kill"]["refusals_for_s"] > 30:
        failures.append(f"still refusing after the last kill: {report['after_last_kill']}")
    if report["workers"]["heartbeat_since_failover"] < WORKERS:
        failures.append(f"RQ workers not back on the new queue primary: {report['workers']}")
    board = report["job_board"]
    if not board["listed_before"] or board["close_status"] != 200 or board["gone_after_s"] is None:
        failures.append(f"the job board did not follow a change after the failovers: {board}")
    if report["readyz"]["status"] != 200:
        failures.append(f"/readyz is not ready at the end: {report['readyz']}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
