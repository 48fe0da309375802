"""The bench app under gunicorn on a free loopback port, started and stopped around a scenario."""

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT, app_env

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
# What the access log records per request when asked: method, path, status and the worker's
# own time for it in microseconds (from reading the request to the last byte written).
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"


@dataclass
class Server:
    """A running gunicorn: where it answers, how it was started, and its logs."""

    url: str
    pid: int
    options: dict
    log_dir: Path
    access_log: Path | None = None
    argv: list[str] = field(default_factory=list)

    def worker_pids(self) -> list[int]:
        """Return the pids of the master's workers (to profile one)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def service_times(self, method: str | None = None) -> list[float]:
        """Return the worker-side seconds of each logged request (of `method` if given)."""
        if self.access_log is None:
            return []
        seconds = []
        for line in self.access_log.read_text().splitlines():
            parts = line.split()
            if len(parts) == 4 and (method is None or parts[0] == method):
                seconds.append(int(parts[3]) / 1e6)
        return seconds

    def truncate_access_log(self) -> None:
        """Forget the requests logged so far (the warm-up's)."""
        if self.access_log is not None:
            self.access_log.write_text("")


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, error_log: Path, seconds: float = 60) -> None:
    """Poll /healthz until it answers 200; fail with the error log if gunicorn dies or stalls."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{error_log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not healthy after {seconds} s:\n{error_log.read_text()[-3000:]}")


@contextlib.contextmanager
def gunicorn(
    workers: int = 2, worker_class: str = "gthread", threads: int = 4, access_log: bool = False, **env: str
) -> Iterator[Server]:
    """Run bench.wsgi:app under gunicorn until the block ends; yield the running Server.

    Threaded workers (2 processes × 4 threads), measured against sync workers on this machine:
    a request spends much of its time waiting on MariaDB and Redis, which another thread
    fills, and they keep connections alive, where a sync worker takes a new connection per
    request and then lingers until the client's FIN (gunicorn 27). Nearby search: about 2.4×
    the throughput of `-k sync`. The backlog holds every waiting connection of a 200-client
    burst (the kernel's somaxconn caps it); the heartbeat file lives on tmpfs so a slow disk
    never stalls a worker.
    """
    log_dir = Path(tempfile.mkdtemp(prefix="bench-gunicorn-"))
    port = free_port()
    options = {
        "workers": workers,
        "worker_class": worker_class,
        "threads": threads,
        "keep_alive_s": 5,
        "backlog": 2048,
        "timeout": 120,
        "worker_tmp_dir": "/dev/shm",
        "preload": False,
        "config": "gunicorn.conf.py (each worker loads its job board before taking requests)",
        "access_log": access_log,
        "somaxconn": int(Path("/proc/sys/net/core/somaxconn").read_text()),
    }
    argv = [
        str(GUNICORN),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--keep-alive",
        str(options["keep_alive_s"]),
        "--backlog",
        str(options["backlog"]),
        "--timeout",
        str(options["timeout"]),
        "--worker-tmp-dir",
        options["worker_tmp_dir"],
        "--error-logfile",
        str(log_dir / "error.log"),
    ]
    access_path = None
    if access_log:
        access_path = log_dir / "access.log"
        argv += ["--access-logfile", str(access_path), "--access-logformat", ACCESS_FORMAT]
    argv.append("bench.wsgi:app")
    process = subprocess.Popen(argv, cwd=ROOT, env=app_env(**env), stdout=subprocess.DEVNULL)
    server = Server(f"http://127.0.0.1:{port}", process.pid, options, log_dir, access_path, argv)
    try:
        _wait_healthy(server.url, process, log_dir / "error.log")
        yield server
    finally:
        # SIGTERM is gunicorn's graceful stop: workers finish their request and exit.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(log_dir, ignore_errors=True)
