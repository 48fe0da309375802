"""Scenario 7: a 100,000-row resident export, written by its RQ task in a worker process of its own.

Long because it starts and samples the worker (RQ or a task process) beside the exports it times.

A city admin exports the residents list (masked) with the filter that leaves the fewest rows at
or above 100,000 (a district, circle or township, alone or with an employment status). The
request (`exports.export_listing`, in this process) writes the ExportJob and enqueues the task
`exports.run_export`; a `flask worker default` started for the run (the app's AppWorker, an rq
SimpleWorker: the job runs in the worker's own process) takes it and streams the listing into
the file. Measured per export: the wall time from the request to the job's `done`, rows, file
size, and the worker's memory from /proc/<pid>/status: VmRSS before (registered and idle), its
peak (sampled every 20 ms, and VmHWM) and after. One worker per format (xlsx, then csv), two
exports each: the first pays the imports (openpyxl) and warm-up, the second shows whether the
memory comes back (no rows held).

`--mode task` runs the task function in a plain subprocess instead of an RQ worker (what the
tests do on SQLite, where no second process can reach the in-memory Redis).
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from bench.common import RESULTS_DIR, ROOT, app_env, bench_app, summary_row, write_result

ROWS = 100_000
TARGET_SECONDS = 20
TARGET_GROWTH_MB = 150
FORMATS = ("xlsx", "csv")
EXPORTS_PER_WORKER = 2
FLASK = str(ROOT / ".venv" / "bin" / "flask")
SAMPLE_SECONDS = 0.02
TIMEOUT_SECONDS = 600


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict:
    """Return the process's resident set now and its high-water mark, in MB (from /proc)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mb": values["VmRSS"], "hwm_mb": values["VmHWM"]}


class PeakSampler:
    """Sample a process's VmRSS in a thread until stopped; keep the highest."""

    def __init__(self, pid: int):
        """Watch `pid`."""
        self.pid, self.peak_mb, self.samples = pid, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(FileNotFoundError, KeyError):
                self.peak_mb = max(self.peak_mb, memory_mb(self.pid)["rss_mb"])
                self.samples += 1
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def choose_filters(actor, rows: int = ROWS) -> tuple[dict, int]:
    """Return the residents filter with the fewest rows at or above `rows` (else the most), and its count."""
    from app.extensions import db
    from app.models import Circle, District, Resident, Township
    from app.services import lists
    from app.services.people.places import place_code

    levels = (
        ("district", Resident.district_id),
        ("circle", Resident.circle_id),
        ("township", Resident.township_id),
    )
    candidates = []  # (rows, place kind, place id, employment status or None for all)
    for kind, column in levels:
        totals: dict[int, int] = {}
        for place_id, status, n in db.session.execute(
            sa.select(column, Resident.employment_status, sa.func.count())
            .where(column.is_not(None), Resident.employment_status.is_not(None))
            .group_by(column, Resident.employment_status)
        ):
            candidates.append((n, kind, place_id, status))
            totals[place_id] = totals.get(place_id, 0) + n
        candidates += [(n, kind, place_id, None) for place_id, n in totals.items()]
    enough = [c for c in candidates if c[0] >= rows]
    n, kind, place_id, status = min(enough) if enough else max(candidates)
    place = db.session.get({"district": District, "circle": Circle, "township": Township}[kind], place_id)
    filters = {"place": f"{kind}:{place_code(kind, place)}"}
    if status is not None:
        filters["employment_status"] = status
    counted = lists.count("residents", actor, filters)
    if counted != n:
        raise RuntimeError(f"the listing counts {counted} residents for {filters}, the ledger {n}")
    return filters, n


def _job_state(job_id: int) -> dict:
    """Return the export job's status and figures as committed now."""
    from app.extensions import db
    from app.models import ExportJob

    db.session.commit()  # a fresh snapshot: see what the worker committed
    job = db.session.get(ExportJob, job_id)
    state = {
        "status": job.status,
        "rows": job.rows_written,
        "total": job.total,
        "size_bytes": job.size,
        "file": job.file_path,
        "error": job.error,
    }
    db.session.expunge(job)
    return state


def _wait_done(job_id: int, process: subprocess.Popen) -> dict:
    """Poll the job every 50 ms until it is done or failed; fail if the worker dies or it takes too long."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        state = _job_state(job_id)
        if state["status"] in ("done", "failed"):
            return state
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode} before export {job_id} finished")
        time.sleep(0.05)
    raise RuntimeError(f"export {job_id} not finished after {TIMEOUT_SECONDS} s")


@contextlib.contextmanager
def rq_worker(env: dict, log_path: Path):
    """Start `flask worker default` and wait until it has registered with RQ; yield its process."""
    from rq import Worker

    from app.queues import get_queue

    queue = get_queue("default")
    queue.empty()  # nothing left over from an earlier run goes first
    with open(log_path, "a") as log:
        process = subprocess.Popen(
            [FLASK, "--app", "wsgi.py", "worker", "default"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while process.pid not in {w.pid for w in Worker.all(connection=queue.connection, queue=queue)}:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the worker did not start: see {log_path}")
                time.sleep(0.1)
            time.sleep(1.0)  # registered: let it settle into its idle loop before "before"
            yield process
        finally:
            process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def task_process(config_name: str, overrides: dict, log_path: Path):
    """Start a process that runs the task function for each job id sent to it; yield it once ready."""
    spec = json.dumps({"config": config_name, "overrides": overrides})
    with open(log_path, "a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.scenario_export", "--task-runner", spec],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the task process did not start: see {log_path}")
            yield process
        finally:
            process.stdin.close()  # the runner's loop ends with its input
            process.wait(30)
            process.stdout.close()


def task_runner(spec: str) -> None:
    """Run in the task process: build the app, say ready, run the task for each job id read from stdin."""
    settings = json.loads(spec)
    from app import create_app
    from app.extensions import db

    app = create_app(settings["config"], settings["overrides"])
    with app.app_context():
        from app.tasks.exports import run_export

        print("ready", flush=True)
        for line in sys.stdin:
            db.session.remove()  # a fresh session per job, as the app's worker gives
            outcome = run_export(int(line))
            db.session.remove()
            print(json.dumps(outcome, default=str), flush=True)


def _ask(actor_id: int, filters: dict, fmt: str, mode: str) -> int:
    """Ask for the export as the console does; return the job's id (queued for the worker)."""
    from app.extensions import db
    from app.models import Account
    from app.services import lists
    from app.services.exports import jobs

    db.session.commit()
    actor = db.session.get(Account, actor_id)
    if mode == "rq":
        return jobs.export_listing(actor, "residents", filters, fmt, False, "127.0.0.1").job.id
    # Without a reachable queue the request's enqueue would run the task right here: queue the job
    # as export_listing does, and hand its id to the task process.
    job = jobs.new_job(actor, "residents", lists.get("residents").title, filters, fmt, False, "127.0.0.1")
    job.total = lists.count("residents", actor, filters)
    db.session.commit()
    return job.id


def export_once(actor_id: int, filters: dict, fmt: str, process: subprocess.Popen, mode: str) -> dict:
    """Ask for one export, let the worker write it, and return its time, rows, size and memory."""
    from app.services.exports.downloads import file_of

    before, cpu = memory_mb(process.pid), cpu_seconds(process.pid)
    with PeakSampler(process.pid) as sampler:
        started = time.perf_counter()
        job_id = _ask(actor_id, filters, fmt, mode)
        if mode == "task":
            process.stdin.write(f"{job_id}\n")
            process.stdin.flush()
            process.stdout.readline()
        state = _wait_done(job_id, process)
        seconds = time.perf_counter() - started
    if state["status"] != "done":
        raise RuntimeError(f"export {job_id} failed: {state['error']}")
    after, cpu = memory_mb(process.pid), cpu_seconds(process.pid) - cpu
    peak = max(sampler.peak_mb, after["rss_mb"])
    result = {
        "format": fmt,
        "seconds": round(seconds, 2),
        "rows": state["rows"],
        "rows_per_s": round(state["rows"] / seconds) if seconds else None,
        # The filter's rows are never exactly 100,000: the time scaled to that many, for the target.
        "seconds_per_100k": round(seconds * ROWS / state["rows"], 2) if state["rows"] else None,
        # The worker's own CPU: what the export costs whatever else shares the cores.
        "worker_cpu_s": round(cpu, 2),
        "size_mb": round(state["size_bytes"] / 1e6, 2),
        "rss_before_mb": before["rss_mb"],
        "rss_peak_mb": peak,
        "rss_after_mb": after["rss_mb"],
        "growth_mb": round(peak - before["rss_mb"], 1),
        "vm_hwm_mb": after["hwm_mb"],
        "samples": sampler.samples,
    }
    from app.extensions import db
    from app.models import ExportJob

    path = file_of(db.session.get(ExportJob, job_id))
    if fmt == "csv":
        with open(path, "rb") as written:
            result["file_lines"] = sum(1 for _ in written)
    path.unlink(missing_ok=True)  # 100,000 rows a file: do not keep them
    return result


def measure(
    actor_id: int, filters: dict, mode: str, start, formats=FORMATS, per_worker=EXPORTS_PER_WORKER
) -> list:
    """Run `per_worker` exports of each format, each format in a worker of its own (`start()` makes one)."""
    from flask import current_app

    from app.extensions import db
    from app.models import Account
    from app.services import lists

    rows = lists.count("residents", db.session.get(Account, actor_id), filters)
    if rows <= current_app.config["EXPORT_INLINE_MAX_ROWS"]:
        raise RuntimeError(f"{rows} rows: the request would write the file itself, not the worker")
    runs = []
    for fmt in formats:
        with start() as process:
            for n in range(per_worker):
                print(f"# export: {fmt}, export {n + 1} of {per_worker}", file=sys.stderr, flush=True)
                runs.append({"worker_export": n + 1, **export_once(actor_id, filters, fmt, process, mode)})
    return runs


def summarise(runs: list) -> dict:
    """Return the slowest export (as run, and per 100,000 rows), the largest growth, and the targets met."""
    slowest = max(run["seconds_per_100k"] for run in runs)
    growth = max(run["growth_mb"] for run in runs)
    return {
        "worst_seconds": max(run["seconds"] for run in runs),
        "worst_seconds_per_100k": slowest,
        "worst_growth_mb": growth,
        "target_seconds": TARGET_SECONDS,
        "target_growth_mb": TARGET_GROWTH_MB,
        "meets_target": slowest <= TARGET_SECONDS and growth <= TARGET_GROWTH_MB,
    }


def run(scale: str = "tunxi", quick: bool = False, mode: str = "rq") -> dict:
    """Export about 100,000 residents twice per format through a worker; write the result."""
    manifest = json.loads((RESULTS_DIR / f"manifest-{scale}.json").read_text(encoding="utf-8"))
    export_dir = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    app = bench_app(EXPORT_DIR=str(export_dir))
    from app.extensions import db
    from app.models import Account

    log_path = export_dir / "worker.log"
    with app.app_context():
        actor_id = manifest["city_admin"]["account_id"]
        filters, rows = choose_filters(db.session.get(Account, actor_id))
        db.session.commit()
        lowered = None
        if rows <= app.config["EXPORT_INLINE_MAX_ROWS"]:  # a small scale: still through the worker
            lowered = app.config["EXPORT_INLINE_MAX_ROWS"] = max(0, rows - 1)
        if mode == "rq":
            env = app_env(EXPORT_DIR=str(export_dir))
            runs = measure(
                actor_id, filters, mode, lambda: rq_worker(env, log_path), per_worker=1 if quick else 2
            )
        else:
            overrides = {
                key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "QUEUE_REDIS_URL")
            }
            os.environ.update(app_env(EXPORT_DIR=str(export_dir)))
            runs = measure(
                actor_id,
                filters,
                mode,
                lambda: task_process("production", {**overrides, "EXPORT_DIR": str(export_dir)}, log_path),
                per_worker=1 if quick else 2,
            )
        db.session.remove()
    return write_result(
        "export",
        {
            "scale": scale,
            "quick": quick,
            "via": "flask worker default (AppWorker, rq SimpleWorker)" if mode == "rq" else "a task process",
            "listing": "residents",
            "filters": filters,
            "rows": rows,
            **({"inline_limit_lowered_to": lowered} if lowered is not None else {}),
            "exports": runs,
            **summarise(runs),
        },
    )


def summary(result: dict) -> list[dict]:
    """Return this scenario's rows for make bench's table: figure, value, unit, target, met."""
    slowest, growth = result["worst_seconds_per_100k"], result["worst_growth_mb"]
    seconds, megabytes = f"<= {TARGET_SECONDS}", f"<= {TARGET_GROWTH_MB}"
    return [
        summary_row("slowest export per 100,000 rows", slowest, "s", seconds, slowest <= TARGET_SECONDS),
        summary_row("export worker's memory growth", growth, "MB", megabytes, growth <= TARGET_GROWTH_MB),
    ]


def main() -> None:
    """Run the scenario (`--scale`, `--quick`, `--mode rq|task`), or be the task process."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="tunxi")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mode", choices=("rq", "task"), default="rq")
    parser.add_argument("--task-runner", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.task_runner:
        task_runner(arguments.task_runner)
    else:
        run(arguments.scale, arguments.quick, arguments.mode)


if __name__ == "__main__":
    main()
