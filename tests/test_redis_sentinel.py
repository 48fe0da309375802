"""The queues on a Sentinel-managed Redis (QUEUE_REDIS_URL=redis+sentinel://...), across a failover.

Real backend only: scripts/redis-sentinel.sh starts a primary and a replica on 127.0.0.1:6490-6491
and three Sentinels on 26490-26492 (service "ec-queue") for this module and stops them after it;
the cache stays on TEST_REDIS_URL. The failover test kills the primary, so it comes last.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import fakeredis
import pytest
import redis
from redis.sentinel import SentinelConnectionPool
from rq.job import JobStatus
from rq.scheduler import RQScheduler

from app import create_app
from app.models.base import utcnow
from app.queues import enqueue, get_queue
from app.redis_clients import GuardedRedis, RedisBreaker, SentinelGuardedRedis
from app.tasks import AppWorker, SteadyScheduler
from tests.conftest import _config

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "redis-sentinel.sh"
HOST = "127.0.0.1"
REDIS_PORTS = (6490, 6491)
SENTINEL_PORTS = (26490, 26491, 26492)
PORTS_ENV = {
    "SENTINEL_REDIS_PORTS": " ".join(map(str, REDIS_PORTS)),
    "SENTINEL_PORTS": " ".join(map(str, SENTINEL_PORTS)),
}
SENTINEL_URL = "redis+sentinel://" + ",".join(f"{HOST}:{port}" for port in SENTINEL_PORTS) + "/ec-queue/2"
TASK = "maintenance.purge_expired_tokens"  # any task: this one needs nothing but the database


def _script(action: str, data: Path) -> subprocess.CompletedProcess:
    """Run scripts/redis-sentinel.sh on this module's ports."""
    return subprocess.run(
        [str(SCRIPT), action, str(data)],
        env={**os.environ, **PORTS_ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def sentinels(backend, tmp_path_factory):
    """Start the Sentinel set for this module (real backend only); stop it afterwards."""
    if backend == "embedded":
        pytest.skip("Redis Sentinel tests need --backend=real (the embedded backend is fakeredis)")
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        pytest.skip("redis-server and redis-cli are needed to start a local Redis Sentinel set")
    data = tmp_path_factory.mktemp("redis-sentinel")
    started = _script("start", data)
    assert started.returncode == 0, started.stderr + started.stdout
    yield data
    _script("stop", data)


@pytest.fixture(scope="module")
def _built_app(sentinels, schema, redis_url, fake_wechat):
    """The app with QUEUE_REDIS_URL on the Sentinels' service and REDIS_URL on the ordinary test Redis."""
    config = {**_config(schema, redis_url, fake_wechat), "QUEUE_REDIS_URL": SENTINEL_URL, "RQ_ASYNC": True}
    app = create_app("testing", config)
    return app, dict(app.config), dict(app.extensions)


def _primary() -> tuple[str, int]:
    """Return the address of the primary the first Sentinel names."""
    host, port = redis.Redis(HOST, SENTINEL_PORTS[0]).sentinel_get_master_addr_by_name("ec-queue")
    return host.decode(), int(port)


def _discovered(app) -> tuple[str, int] | None:
    """Return the primary the app's queue client would connect to now (None while none is found)."""
    try:
        return app.extensions["queue_redis"].connection_pool.get_master_address()
    except redis.ConnectionError:
        return None


def _wait_until(check, seconds: float) -> bool:
    """Ask `check` every tenth of a second until it is true; False if `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def _status(job) -> JobStatus | None:
    """Read a job's status back from the queue Redis (None while it cannot be read)."""
    try:
        return job.get_status(refresh=True)
    except redis.RedisError:
        return None


def _work(app) -> None:
    """Run the default queue's jobs (and due scheduled ones) as `flask worker --burst` would."""
    AppWorker([get_queue("default")], connection=app.extensions["queue_redis"]).work(
        burst=True, with_scheduler=True
    )


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://",
        "redis+sentinel:///ec-queue",
        "redis+sentinel://127.0.0.1:26490",
        "redis+sentinel://127.0.0.1:26490,127.0.0.1:26491/",
        "redis+sentinel://127.0.0.1:port/ec-queue",
        "redis+sentinel://127.0.0.1:26490/ec-queue/one",
        "redis+sentinel://:secret@127.0.0.1:26490/ec-queue",
    ],
)
def test_a_malformed_sentinel_url_stops_the_app_at_start(url):
    with pytest.raises(RuntimeError, match="is not a Redis Sentinel URL .*redis\\+sentinel://host:port"):
        create_app("testing", {"QUEUE_REDIS_URL": url})


def test_a_pipeline_running_a_script_may_be_the_probe_that_closes_the_breaker():
    # RQ's scheduler heartbeat is such a pipeline: its SCRIPT EXISTS, sent inside the probe's
    # execute, once met the open breaker, failed the probe and kept the breaker open for good.
    breaker = RedisBreaker("queue", 0.01)
    pool = redis.ConnectionPool(connection_class=fakeredis.FakeRedisConnection, server=fakeredis.FakeServer())
    client = GuardedRedis(connection_pool=pool, breaker=breaker)
    script = client.register_script("return 1")
    breaker.failed(redis.ConnectionError("refused"))
    time.sleep(0.02)

    with client.pipeline() as pipeline:
        script(client=pipeline)
        assert pipeline.execute() == [1]
    assert client.ping()  # closed: not "failed moments ago"


def test_the_queue_client_finds_the_primary_through_the_sentinels(app, client):
    queue_redis = app.extensions["queue_redis"]
    assert isinstance(queue_redis, SentinelGuardedRedis)
    assert queue_redis.connection_pool.get_master_address() == _primary()
    assert queue_redis.connection_pool.connection_kwargs["db"] == 2
    assert (
        queue_redis.connection_pool.connection_kwargs["socket_timeout"] == app.config["REDIS_SOCKET_TIMEOUT"]
    )
    assert (
        queue_redis.health_client.connection_pool.connection_kwargs["socket_timeout"]
        == (app.config["REDIS_HEALTH_TIMEOUT"])
    )
    assert queue_redis.health_client.breaker is queue_redis.breaker
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["queue_redis"] == "ok"


def test_a_job_enqueued_through_the_sentinels_runs_on_a_worker(app):
    job = enqueue(TASK, 7)
    assert job.get_status() == JobStatus.QUEUED

    _work(app)

    assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_a_forking_worker_is_refused_on_sentinels(runner):
    # RQ's work horse is a new process building a plain Redis from the kwargs: it cannot ask Sentinels.
    result = runner.invoke(args=["worker", "--fork", "--burst", "default"])
    assert result.exit_code == 2
    assert "Sentinel" in result.output


def test_the_client_rq_scheduler_rebuilds_still_asks_the_sentinels(app):
    # RQScheduler builds its own client from the worker's class and pool kwargs: a plain
    # ConnectionPool unless SentinelGuardedRedis puts a Sentinel pool back.
    scheduler = RQScheduler(["default"], connection=app.extensions["queue_redis"])
    rebuilt = scheduler.connection

    assert isinstance(rebuilt.connection_pool, SentinelConnectionPool)
    assert rebuilt.connection_pool.service_name == "ec-queue"
    assert rebuilt.connection_pool.get_master_address() == _primary()
    enqueue(TASK, 7, at=utcnow() - timedelta(seconds=1))
    assert rebuilt.zcard("rq:scheduled:default") == 1


def _start_worker(app, log_path: Path) -> subprocess.Popen:
    """Start `flask worker default` (with its scheduler) on this app's settings, logging to `log_path`."""
    settings = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "QUEUE_REDIS_URL")}
    settings.update(WECHAT_APPID=app.config["WECHAT_APPID"], WECHAT_SECRET=app.config["WECHAT_SECRET"])
    settings.update(WECHAT_API_BASE=app.config["WECHAT_API_BASE"], RQ_ASYNC=True)
    with log_path.open("w") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                f"app:create_app('testing', {settings!r})",
                "worker",
                "default",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its scheduler process too is then stopped with the group
        )


class Supervised:
    """`flask worker default`, started again whenever it quits, as systemd does (Restart=always).

    RQ's worker quits on a connection error met outside its dequeue (marking itself idle after
    a job, say): a primary killed at that moment ends the process, which deploy/systemd's unit
    then starts again.
    """

    def __init__(self, app, log_dir: Path):
        self.app = app
        self.log_dir = log_dir
        self.runs: list[subprocess.Popen] = []
        self.check()

    def check(self) -> None:
        """Start the worker again if it has quit."""
        if not self.runs or self.runs[-1].poll() is not None:
            self.runs.append(_start_worker(self.app, self.log_dir / f"worker-{len(self.runs)}.log"))

    def logs(self) -> str:
        """Return what every run of the worker logged."""
        return "\n".join(path.read_text() for path in sorted(self.log_dir.glob("worker-*.log")))

    def stop(self) -> None:
        """Stop the worker (a warm shutdown, then its whole process group)."""
        worker = self.runs[-1]
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(10)
        for each in self.runs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(each.pid, signal.SIGKILL)  # the group it leads: its scheduler, if left
            each.wait(5)


def _finished(worker: Supervised, job) -> bool:
    """Tell whether `job` has run, starting the worker again if it has quit meanwhile."""
    worker.check()
    return _status(job) == JobStatus.FINISHED


def _moved(scheduler: SteadyScheduler, job) -> bool:
    """Run one round of `scheduler`; tell whether it has moved the due `job` to its queue."""
    scheduler.enqueue_scheduled_jobs()
    return _status(job) == JobStatus.QUEUED


def _kill_primary(sentinels: Path) -> tuple[str, int]:
    """SIGKILL the primary's process; return the replica's address, which should take over."""
    host, port = _primary()
    os.kill(int((sentinels / str(port) / "redis.pid").read_text()), signal.SIGKILL)
    (other,) = [each for each in REDIS_PORTS if each != port]
    return host, other


def test_the_queues_survive_a_failover_of_the_primary(app, client, sentinels, tmp_path):
    worker = Supervised(app, tmp_path)
    # A scheduler of the worker's kind, here, on a queue that worker leaves alone (its own lock).
    scheduler = SteadyScheduler(["push"], connection=app.extensions["queue_redis"])
    try:
        before = enqueue(TASK, 7)
        assert _wait_until(lambda: _finished(worker, before), 15), worker.logs()
        assert scheduler.acquire_locks() == {"push"}

        promoted = _kill_primary(sentinels)
        scheduler.heartbeat()  # RQ's own would raise here, and its process exit
        scheduler.enqueue_scheduled_jobs()
        # Until every Sentinel has switched, the client may find no primary: the app then
        # answers 503 or leaves the task in the outbox, as in any Redis outage.
        assert _wait_until(lambda: _discovered(app) == promoted, 12), "no Sentinel promoted the replica"

        # The same app and client, not restarted: the next connection asks the Sentinels again.
        after = enqueue(TASK, 7)
        scheduled = enqueue(TASK, 7, at=utcnow() + timedelta(seconds=1))
        due = get_queue("push").enqueue_at(utcnow() - timedelta(seconds=1), "os.getpid")
        for job in (after, scheduled):  # the scheduled one is moved by the worker's scheduler
            assert _wait_until(lambda job=job: _finished(worker, job), 20), worker.logs()
        assert _wait_until(lambda: _moved(scheduler, due), 10)
    finally:
        worker.stop()

    # An in-process burst worker, started after the failover, works too.
    third = enqueue(TASK, 7)
    _work(app)
    assert third.get_status(refresh=True) == JobStatus.FINISHED

    health = client.get("/healthz")
    assert health.status_code == 200, health.get_json()
    assert health.get_json()["queue_redis"] == "ok"
    ready = client.get("/readyz").get_json()["checks"]
    assert ready["queue_redis"]["ok"], ready
    assert all(ready[f"queue:{name}"]["ok"] for name in ("default", "push", "exchange")), ready
