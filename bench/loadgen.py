"""A small HTTP/1.1 load generator on asyncio streams: closed loop or fixed arrival rate, bounded.

Runs as its own process (it shares the cores with the server under test), reads the requests
from a file, prints one JSON summary line. Requests are encoded once, before the clock starts.

Request file: one request a line, either a path (a GET) or a JSON object
`{"method": "POST", "path": "/api/...", "headers": {...}, "json": {...}}`; an object's optional
"label" groups requests in the summary's "by_label" (latency and req/s per label).

    python -m bench.loadgen --url http://127.0.0.1:8000 --requests-file F \
        --concurrency 16 --requests 5000 --duration 20 [--rate 300] [--warmup 3]
"""

import argparse
import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.common import ROOT, latency_summary

# Status 0 stands for a request that got no HTTP answer (refused, reset, timed out).
NO_ANSWER = 0


@dataclass
class Tally:
    """What the measured phase saw: one latency and one status per finished request."""

    latencies: list[float] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    label_errors: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    connections: int = 0
    retries: int = 0

    def add(self, status: int, seconds: float, label: str | None = None) -> None:
        """Record one finished request."""
        self.statuses[status] += 1
        self.latencies.append(seconds)
        self.labels.append(label)
        if not 200 <= status < 300:
            self.label_errors[label] += 1


def load_requests(path: str) -> list[dict]:
    """Read the request file: a bare path per line is a GET, a JSON object says everything."""
    requests = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            requests.append(json.loads(line) if line.startswith("{") else {"method": "GET", "path": line})
    if not requests:
        raise SystemExit(f"no requests in {path}")
    return requests


def encode(request: dict, host: str) -> bytes:
    """Return the bytes of one HTTP/1.1 request (keep-alive asked for; the server may refuse)."""
    method = request.get("method", "GET").upper()
    headers = {"Host": host, "Connection": "keep-alive", "Accept": "application/json"}
    headers.update(request.get("headers") or {})
    body = b""
    if "json" in request:
        body = json.dumps(request["json"], ensure_ascii=False, separators=(",", ":")).encode()
        headers.setdefault("Content-Type", "application/json")
    if body or method in ("POST", "PUT", "PATCH"):
        headers["Content-Length"] = str(len(body))
    head = f"{method} {request['path']} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


class Connection:
    """One client connection; reopened whenever the server closes it (sync workers always do)."""

    def __init__(self, host: str, port: int, on_open) -> None:
        self.host, self.port, self.on_open = host, port, on_open
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, payload: bytes) -> int:
        """Send one request, read the whole answer, return its status (the connection may close)."""
        reused = self.writer is not None and not self.reader.at_eof()
        if not reused:
            self.close()  # never opened, or the server closed it while it was idle
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.on_open(retry=False)
        self.writer.write(payload)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
            if not reused or getattr(exc, "partial", b""):
                raise
            # A kept-alive connection the server closed just as the request went out: it was
            # never read, so it goes again on a new connection, once (as HTTP clients do).
            self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.on_open(retry=True)
            self.writer.write(payload)
            head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = None, False, status_line.startswith(b"HTTP/1.0")
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        if chunked:
            await self._read_chunks()
        elif length is not None:
            await self.reader.readexactly(length)
        else:
            await self.reader.read()  # the body runs to the end of the connection
            close = True
        if close:
            self.close()
        return status

    async def _read_chunks(self) -> None:
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return

    def close(self) -> None:
        """Drop the connection (a later request opens a new one)."""
        if self.writer is not None:
            # Send our FIN now rather than on the event loop's next turn: a sync gunicorn
            # worker lingers after each answer until the client's FIN arrives (up to 2 s),
            # so a late close would count as the server's time. (uvloop's sockets refuse
            # shutdown() with TypeError; its close() below sends the FIN then.)
            with contextlib.suppress(OSError, TypeError):
                self.writer.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
            self.writer.close()
        self.reader = self.writer = None


class Run:
    """One bounded run: the encoded requests, the limits, and a tally per phase."""

    def __init__(
        self, args: argparse.Namespace, payloads: list[bytes], host: str, port: int, labels=None
    ) -> None:
        self.args, self.payloads, self.host, self.port = args, payloads, host, port
        self.labels = labels or [None] * len(payloads)
        self.timeout = args.timeout
        self.tally = Tally()

    def opened(self, retry: bool) -> None:
        """Count a connection opened (sync workers take one per request), and requests sent again."""
        self.tally.connections += 1
        self.tally.retries += retry

    async def send(self, connection: Connection, index: int, started: float) -> None:
        """Send request `index` on `connection`, timing from `started` (its due time in open loop)."""
        try:
            status = await asyncio.wait_for(
                connection.request(self.payloads[index % len(self.payloads)]), self.timeout
            )
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
            TimeoutError,
        ) as exc:
            connection.close()
            self.tally.failures[type(exc).__name__] += 1
            status = NO_ANSWER
        self.tally.add(status, time.perf_counter() - started, self.labels[index % len(self.labels)])

    async def closed_loop(self, total: int, seconds: float) -> float:
        """Keep `concurrency` requests in flight until `total` are sent or `seconds` pass."""
        deadline = time.perf_counter() + seconds
        next_index = 0

        async def worker() -> None:
            nonlocal next_index
            connection = Connection(self.host, self.port, self.opened)
            while time.perf_counter() < deadline and next_index < total:
                index, next_index = next_index, next_index + 1
                await self.send(connection, index, time.perf_counter())
            connection.close()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(self.args.concurrency)))
        return time.perf_counter() - start

    async def open_loop(self, total: int, seconds: float) -> float:
        """Start a request every 1/rate s (at most `concurrency` in flight), timed from when it was due."""
        interval = 1.0 / self.args.rate
        idle: list[Connection] = []
        slots = asyncio.Semaphore(self.args.concurrency)
        tasks = set()

        async def one(index: int, due: float) -> None:
            async with slots:
                connection = idle.pop() if idle else Connection(self.host, self.port, self.opened)
                await self.send(connection, index, due)
                idle.append(connection)

        start = time.perf_counter()
        for k in range(total):
            due = start + k * interval
            if due - start >= seconds:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(k, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.timeout + 1)
            if late:
                self.tally.failures["Unfinished"] += len(late)
        elapsed = time.perf_counter() - start
        for connection in idle:
            connection.close()
        return elapsed

    async def phase(self, total: int, seconds: float) -> float:
        """Run one phase (warm-up or measured) in the chosen mode; return its wall time."""
        if self.args.rate:
            return await self.open_loop(total, seconds)
        return await self.closed_loop(total, seconds)


def summary(run: Run, elapsed: float) -> dict:
    """Return the measured phase's figures as a JSON-ready dict."""
    tally = run.tally
    done = len(tally.latencies)
    ok = sum(n for status, n in tally.statuses.items() if 200 <= status < 300)
    return {
        "mode": "open" if run.args.rate else "closed",
        "concurrency": run.args.concurrency,
        "rate": run.args.rate,
        "requests": done,
        "ok": ok,
        "statuses": {str(status): n for status, n in sorted(tally.statuses.items())},
        "errors": {str(status): n for status, n in sorted(tally.statuses.items()) if not 200 <= status < 300},
        "failures": dict(tally.failures),
        "connections": tally.connections,
        "retries": tally.retries,
        "seconds": round(elapsed, 3),
        "rps": round(done / elapsed, 1) if elapsed else 0.0,
        **latency_summary(tally.latencies),
    }


def by_label(tally: Tally, elapsed: float) -> dict:
    """Return requests, ok, req/s and latency per label, in the order labels first appear."""
    groups: dict[str, list] = {}
    for label, seconds in zip(tally.labels, tally.latencies, strict=True):
        if label is not None:
            groups.setdefault(label, []).append(seconds)
    return {
        label: {
            "requests": len(seconds),
            "not_ok": tally.label_errors[label],
            "rps": round(len(seconds) / elapsed, 1) if elapsed else 0.0,
            **latency_summary(seconds),
        }
        for label, seconds in groups.items()
    }


async def main_async(args: argparse.Namespace) -> dict:
    """Encode the requests, warm up, measure, and return the summary."""
    url = urlsplit(args.url)
    host, port = url.hostname, url.port or 80
    requests = load_requests(args.requests_file)
    payloads = [encode(request, f"{host}:{port}") for request in requests]
    run = Run(args, payloads, host, port, [request.get("label") for request in requests])
    if args.warmup:
        # Unrecorded, from the same list: caches, connection pools and the kernel warm up.
        await run.phase(sys.maxsize, args.warmup)
        run.tally = Tally()
    cpu = time.process_time()
    elapsed = await run.phase(args.requests or len(payloads), args.duration)
    result = summary(run, elapsed)
    if any(label is not None for label in run.labels):
        result["by_label"] = by_label(run.tally, elapsed)
    # The client shares the cores with the server: how much of them it took while measuring.
    result["client_cpu_s"] = round(time.process_time() - cpu, 2)
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="http://host:port of the server")
    parser.add_argument("--requests-file", required=True)
    parser.add_argument("--concurrency", type=int, default=16, help="connections (closed loop) or cap")
    parser.add_argument("--requests", type=int, default=0, help="at most this many (default: the file's)")
    parser.add_argument("--duration", type=float, default=20.0, help="at most this many seconds")
    parser.add_argument("--rate", type=float, default=0.0, help="open loop: requests per second")
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds of unrecorded load first")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as lost")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the load and print its summary as one JSON line (on uvloop when it is installed)."""
    try:
        # About half the CPU per request of asyncio's own loop (bench/requirements.txt has it).
        import uvloop
    except ImportError:
        uvloop = None
    args = parse_args(argv)
    result = uvloop.run(main_async(args)) if uvloop else asyncio.run(main_async(args))
    result["loop"] = "uvloop" if uvloop else "asyncio"
    print(json.dumps(result), flush=True)


def run(url: str, lines: list[dict | str], **options) -> dict:
    """Run the load generator in its own process on `lines` (requests) and return its summary.

    `options` are the command line's, e.g. concurrency=16, duration=20, rate=300, warmup=5.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as requests_file:
        for request in lines:
            line = request if isinstance(request, str) else json.dumps(request, ensure_ascii=False)
            requests_file.write(line + "\n")
        requests_file.flush()
        argv = [sys.executable, "-m", "bench.loadgen", "--url", url, "--requests-file", requests_file.name]
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            if value is True:
                argv.append(flag)
            elif value not in (False, None):
                argv += [flag, str(value)]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


if __name__ == "__main__":
    main()
