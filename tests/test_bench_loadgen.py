"""The benchmark's load generator: counts, statuses and bodies against a tiny local HTTP server."""

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


class Handler(BaseHTTPRequestHandler):
    """GET /ok 200, /missing 404, /chunked 200 in chunks, /quietly-closed 200 then closes; POST /echo 201."""

    seen: list[tuple[str, str, dict | None, str | None]] = []
    lock = threading.Lock()

    def _answer(self, status: int, body: bytes, chunked: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (body[:3], body[3:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        """Answer the GET routes."""
        with self.lock:
            self.seen.append(("GET", self.path, None, None))
        if self.path == "/ok":
            self._answer(200, b'{"ok": true}')
        elif self.path == "/quietly-closed":
            # Keep-alive promised, then the connection closed anyway (as an idle timeout does).
            self._answer(200, b'{"ok": true}')
            self.close_connection = True
        elif self.path == "/chunked":
            self._answer(200, b'{"chunked": true}', chunked=True)
        else:
            self._answer(404, b'{"error": "not found"}')

    def do_POST(self):  # noqa: N802
        """Echo a JSON body back with 201."""
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.seen.append(("POST", self.path, body, self.headers.get("Authorization")))
        self._answer(201, json.dumps(body).encode())

    def log_message(self, *args):
        """Keep the test output quiet."""


@pytest.fixture(params=["HTTP/1.0", "HTTP/1.1"], ids=["close", "keep-alive"])
def server(request):
    """A threaded HTTP server on a free loopback port: closing after each answer, or keeping alive."""
    Handler.protocol_version = request.param
    Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", request.param
    httpd.shutdown()
    httpd.server_close()


def run_loadgen(url: str, lines: list[str], tmp_path, *options: str) -> dict:
    """Run the load generator as its own process, as the scenarios do, and return its summary."""
    requests_file = tmp_path / "requests.txt"
    requests_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.loadgen",
            "--url",
            url,
            "--requests-file",
            str(requests_file),
            *options,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_closed_loop_counts_every_status(server, tmp_path):
    url, protocol = server
    result = run_loadgen(
        url, ["/ok", "/missing", "/chunked", "/ok"], tmp_path, "--concurrency", "3", "--requests", "40"
    )
    assert result["mode"] == "closed"
    assert result["requests"] == 40
    assert result["statuses"] == {"200": 30, "404": 10}
    assert result["ok"] == 30
    assert result["errors"] == {"404": 10}
    assert result["failures"] == {}
    assert len(Handler.seen) == 40
    # A closing server costs a connection per request; a keep-alive one, one per client.
    assert result["connections"] == (40 if protocol == "HTTP/1.0" else 3)
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert result["rps"] > 0


def test_posts_send_each_body_once_with_its_own_headers(server, tmp_path):
    url, _ = server
    lines = [
        json.dumps(
            {
                "method": "POST",
                "path": "/echo",
                "headers": {"Authorization": f"Bearer t{i}"},
                "json": {"n": i, "name": "签到"},
            },
            ensure_ascii=False,
        )
        for i in range(20)
    ]
    result = run_loadgen(url, lines, tmp_path, "--concurrency", "4")
    assert result["requests"] == 20
    assert result["statuses"] == {"201": 20}
    posts = [entry for entry in Handler.seen if entry[0] == "POST"]
    assert sorted(body["n"] for _, _, body, _ in posts) == list(range(20))
    assert all(body["name"] == "签到" for _, _, body, _ in posts)
    assert all(token == f"Bearer t{body['n']}" for _, _, body, token in posts)


def test_open_loop_keeps_the_rate_and_the_bound(server, tmp_path):
    url, _ = server
    result = run_loadgen(url, ["/ok"], tmp_path, "--rate", "200", "--requests", "60", "--concurrency", "8")
    assert result["mode"] == "open"
    assert result["requests"] == 60
    assert result["statuses"] == {"200": 60}
    # 60 arrivals at 200/s take 0.3 s, plus the last answer.
    assert 0.25 < result["seconds"] < 2


def test_duration_bounds_a_run_and_refusals_are_counted(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_loadgen(
        f"http://127.0.0.1:{port}",
        ["/ok"],
        tmp_path,
        "--concurrency",
        "2",
        "--requests",
        "1000000",
        "--duration",
        "0.5",
    )
    assert result["ok"] == 0
    assert result["requests"] == result["errors"]["0"] > 0
    assert set(result["failures"]) == {"ConnectionRefusedError"}
    assert result["seconds"] < 3


def test_a_connection_the_server_closed_is_opened_again(server, tmp_path):
    url, _ = server
    result = run_loadgen(url, ["/quietly-closed"], tmp_path, "--concurrency", "2", "--requests", "30")
    assert result["statuses"] == {"200": 30}
    assert result["failures"] == {}
    assert result["connections"] == 30
    assert len(Handler.seen) == 30


def test_warmup_is_not_recorded(server, tmp_path):
    url, _ = server
    result = run_loadgen(url, ["/ok"], tmp_path, "--requests", "10", "--concurrency", "2", "--warmup", "0.3")
    assert result["requests"] == 10
    assert len(Handler.seen) > 10


def test_labels_are_summarised_apart(server, tmp_path):
    url, _ = server
    lines = [json.dumps({"path": "/ok", "label": "ok"}), json.dumps({"path": "/missing", "label": "missing"})]
    result = run_loadgen(url, lines, tmp_path, "--concurrency", "2", "--requests", "20")
    assert result["requests"] == 20
    assert set(result["by_label"]) == {"ok", "missing"}
    assert result["by_label"]["ok"]["requests"] == result["by_label"]["missing"]["requests"] == 10
    assert result["by_label"]["ok"]["not_ok"] == 0
    assert result["by_label"]["missing"]["not_ok"] == 10
    assert 0 < result["by_label"]["ok"]["p50_ms"] <= result["by_label"]["ok"]["p95_ms"]
