"""The bench app under gunicorn on a free loopback port, started and stopped around a scenario.

Three ways in front (`front=`), as docs/PERFORMANCE.md §1 compares them:
- "direct": one gunicorn, its workers sharing one listening socket (what the scenarios did
  until issue 24; each kept-alive connection stays with the worker that accepted it);
- "nginx": nginx (bench/nginx.conf.template) in front of one single-worker gunicorn per
  worker, each on its own port, choosing per request (least_conn) over kept-alive upstream
  connections, as production serves;
- "reuseport": one gunicorn with `--reuse-port`: gunicorn 27 then has each worker bind a
  SO_REUSEPORT socket of its own, so the kernel spreads the connections over one listening
  socket per worker (no nginx needed).
"""

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

from bench.common import BENCH_DIR, ROOT, app_env

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
NGINX_TEMPLATE = BENCH_DIR / "nginx.conf.template"
FRONTS = ("direct", "nginx", "reuseport")
# What the access log records per request when asked: method, path, status, the worker's
# own time for it in microseconds (from reading the request to the last byte written), and
# the worker's pid.
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s %(p)s"
CLOCK_TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


@dataclass
class Server:
    """A running gunicorn (or nginx over several): where it answers, how it was started, its logs."""

    url: str
    pid: int
    options: dict
    log_dir: Path
    access_log: Path | None = None
    argv: list[str] = field(default_factory=list)
    backends: list["Server"] = field(default_factory=list)

    def worker_pids(self) -> list[int]:
        """Return the pids of the gunicorn workers (of every backend behind nginx)."""
        if self.backends:
            return [pid for backend in self.backends for pid in backend.worker_pids()]
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def _access_lines(self) -> list[list[str]]:
        if self.backends:
            return [line for backend in self.backends for line in backend._access_lines()]
        if self.access_log is None or not self.access_log.exists():
            return []
        return [line.split() for line in self.access_log.read_text().splitlines()]

    def service_times(self, method: str | None = None) -> list[float]:
        """Return the worker-side seconds of each logged request (of `method` if given)."""
        return [
            int(parts[3]) / 1e6
            for parts in self._access_lines()
            if len(parts) >= 4 and (method is None or parts[0] == method)
        ]

    def truncate_access_log(self) -> None:
        """Forget the requests logged so far (the warm-up's)."""
        for backend in self.backends:
            backend.truncate_access_log()
        if self.access_log is not None:
            self.access_log.write_text("")

    def cpu_seconds(self) -> dict[int, float]:
        """Return each worker's CPU seconds so far (user + system), by pid."""
        seconds = {}
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                # Fields after the command's closing parenthesis: utime and stime are 12th, 13th.
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                seconds[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        return seconds

    def ports(self) -> set[int]:
        """Return the ports the gunicorn workers listen on (one, or one per backend)."""
        if self.backends:
            return {port for backend in self.backends for port in backend.ports()}
        return {int(self.url.rsplit(":", 1)[1])}

    def connections(self) -> dict[int, int]:
        """Return how many client connections (to its listening port) each worker holds now, by pid."""
        ports = {f"{port:04X}" for port in self.ports()}
        accepted = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(OSError):
                for line in Path(table).read_text().splitlines()[1:]:
                    parts = line.split()
                    # ESTABLISHED (01), on the server's side: the local address is the listening port.
                    if parts[3] == "01" and parts[1].rsplit(":", 1)[1] in ports:
                        accepted.add(parts[9])  # the socket's inode
        counts = {}
        for pid in self.worker_pids():
            held = 0
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        target = fd.readlink().name
                        if target.startswith("socket:[") and target[8:-1] in accepted:
                            held += 1
            counts[pid] = held
        return counts


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nginx_binary() -> str | None:
    """Return nginx's path when it is installed (Debian's nginx-light or nginx), else None."""
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(path).exists()), None
    )


def _wait_healthy(url: str, process: subprocess.Popen, error_log: Path, seconds: float = 180) -> None:
    """Poll /healthz until it answers 200; fail with the error log if the server dies or stalls."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{error_log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {seconds} s:\n{error_log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a process gracefully (gunicorn: SIGTERM; nginx: SIGQUIT), killing it after 30 s."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _gunicorn_argv(bind: str, options: dict, log_dir: Path, access_path: Path | None, reuse_port: bool):
    argv = [str(GUNICORN), "--config", str(ROOT / "gunicorn.conf.py"), "--bind", bind]
    for flag, key in (
        ("--workers", "workers_per_gunicorn"),
        ("--worker-class", "worker_class"),
        ("--threads", "threads"),
        ("--keep-alive", "keep_alive_s"),
        ("--backlog", "backlog"),
        ("--timeout", "timeout"),
        ("--worker-tmp-dir", "worker_tmp_dir"),
    ):
        argv += [flag, str(options[key])]
    # No control socket: every gunicorn's is ~/.gunicorn/gunicorn.ctl by default, so the
    # gunicorns behind nginx (and any other benchmark's) would take it from one another.
    argv += ["--error-logfile", str(log_dir / "error.log"), "--no-control-socket"]
    if reuse_port:
        argv.append("--reuse-port")
    if access_path is not None:
        argv += ["--access-logfile", str(access_path), "--access-logformat", ACCESS_FORMAT]
    return [*argv, "bench.wsgi:app"]


def _nginx_config(port: int, upstreams: list[int], log_dir: Path, processes: int) -> Path:
    """Write nginx's configuration from the template into the run's directory; return its path."""
    servers = "".join(f"        server 127.0.0.1:{upstream};\n" for upstream in upstreams)
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for name, value in {
        "LOG_DIR": str(log_dir),
        "PORT": str(port),
        "SERVERS": servers.rstrip("\n").lstrip(),
        "PROCESSES": str(processes),
        "KEEPALIVE": str(4 * len(upstreams) * 8),
    }.items():
        text = text.replace("{" + name + "}", value)
    path = log_dir / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


@contextlib.contextmanager
def gunicorn(
    workers: int = 2,
    worker_class: str = "gthread",
    threads: int = 4,
    access_log: bool = False,
    front: str = "direct",
    nginx_processes: int = 1,
    **env: str,
) -> Iterator[Server]:
    """Run bench.wsgi:app under gunicorn (behind `front`) until the block ends; yield the Server.

    Threaded workers (2 processes × 4 threads), measured against sync workers on this machine:
    a request spends much of its time waiting on MariaDB and Redis, which another thread
    fills, and they keep connections alive, where a sync worker takes a new connection per
    request and then lingers until the client's FIN (gunicorn 27). Nearby search: about 2.4×
    the throughput of `-k sync`. The backlog holds every waiting connection of a 200-client
    burst (the kernel's somaxconn caps it); the heartbeat file lives on tmpfs so a slow disk
    never stalls a worker. With `front` "nginx", `workers` gunicorns of one worker each (the
    module's docstring); "nginx" falls back to "reuseport" when nginx is not installed, and
    says so in the options (`front_fallback`). A worker loading its board on a busy machine
    took 65 s once: the health check waits up to 3 minutes.
    """
    if front not in FRONTS:
        raise ValueError(f"front must be one of {FRONTS}")
    options = {"front": front}
    if front == "nginx" and nginx_binary() is None:
        options.update(front="reuseport", front_fallback="nginx is not installed")
    front = options["front"]
    log_dir = Path(tempfile.mkdtemp(prefix="bench-gunicorn-"))
    options.update(
        workers=workers,
        worker_class=worker_class,
        threads=threads,
        keep_alive_s=5,
        backlog=2048,
        timeout=120,
        worker_tmp_dir="/dev/shm",
        preload=False,
        config="gunicorn.conf.py (each worker loads its job board before taking requests)",
        access_log=access_log,
        somaxconn=int(Path("/proc/sys/net/core/somaxconn").read_text()),
    )
    if front == "nginx":
        ports, options["workers_per_gunicorn"] = [free_port() for _ in range(workers)], 1
    else:
        ports, options["workers_per_gunicorn"] = [free_port()], workers
    started: list[tuple[subprocess.Popen, int]] = []
    backends = []
    server = None
    try:
        for n, port in enumerate(ports):
            own = log_dir / f"gunicorn-{n}"
            own.mkdir()
            access_path = own / "access.log" if access_log else None
            argv = _gunicorn_argv(f"127.0.0.1:{port}", options, own, access_path, front == "reuseport")
            process = subprocess.Popen(argv, cwd=ROOT, env=app_env(**env), stdout=subprocess.DEVNULL)
            started.append((process, signal.SIGTERM))
            backends.append(Server(f"http://127.0.0.1:{port}", process.pid, options, own, access_path, argv))
        for backend, (process, _) in zip(backends, started, strict=True):
            _wait_healthy(backend.url, process, backend.log_dir / "error.log")
        if front != "nginx":
            server = backends[0]
        else:
            port = free_port()
            config = _nginx_config(port, ports, log_dir, nginx_processes)
            errors = log_dir / "nginx-error.log"
            argv = [nginx_binary(), "-p", str(log_dir), "-c", str(config), "-e", str(errors)]
            options.update(nginx_processes=nginx_processes, balancing="least_conn, keep-alive upstream")
            # nginx's workers drop root: they must reach their temp directories in here.
            log_dir.chmod(0o755)
            process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors.open("a"))
            started.append((process, signal.SIGQUIT))
            url, pid = f"http://127.0.0.1:{port}", process.pid
            _wait_healthy(url, process, errors)
            server = Server(url, pid, options, log_dir, None, argv, backends)
        yield server
    finally:
        # nginx first (SIGQUIT: finish what is in flight), then gunicorn (SIGTERM is its graceful stop).
        for process, sig in reversed(started):
            _stop(process, sig)
        shutil.rmtree(log_dir, ignore_errors=True)
