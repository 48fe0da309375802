"""A new user's first run: `make run` (scripts/run-dev.sh) and the `flask dev-setup` it runs."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Resident

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/api/v1/auth/login"


def login_status(client, username: str, password: str) -> int:
    """Answer status of a staff login."""
    return client.post(LOGIN, json={"username": username, "password": password}).status_code


def test_dev_setup_sets_the_demo_password_on_every_start_and_lifts_lockouts(app, client, runner):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD="first-demo-pass")
    first = runner.invoke(args=["dev-setup"])
    assert first.exit_code == 0, first.output
    assert login_status(client, "demo-operator", "first-demo-pass") == 200
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login_status(client, "demo-operator", "a-wrong-password") in (401, 429)
    assert login_status(client, "demo-operator", "first-demo-pass") == 429  # locked out

    # The next start with another DEMO_PASSWORD: that one works, for every demo account, at once.
    app.config["DEMO_PASSWORD"] = "second-demo-pass"
    again = runner.invoke(args=["dev-setup"])
    assert again.exit_code == 0, again.output
    assert "24 demo accounts with DEMO_PASSWORD" in again.output
    assert login_status(client, "demo-operator", "second-demo-pass") == 200
    assert login_status(client, "demo-grid-341002002002", "second-demo-pass") == 200
    assert login_status(client, "demo-city-admin", "first-demo-pass") == 401


def test_dev_setup_is_idempotent_and_skips_what_is_done(app, runner, tmp_path):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD="first-demo-pass")
    assert runner.invoke(args=["dev-setup"]).exit_code == 0
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Account, Resident)]
    again = runner.invoke(args=["dev-setup", "--demo-file", str(tmp_path / "demo.json")])
    assert again.exit_code == 0, again.output
    assert "places (0 rows changed)" in again.output
    assert [
        db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Account, Resident)
    ] == counts
    assert '"demo-city-admin"' in (tmp_path / "demo.json").read_text(encoding="utf-8")


def test_dev_setup_refuses_a_short_demo_password_before_making_anything(app, runner):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD="short")
    result = runner.invoke(args=["dev-setup"])
    assert result.exit_code == 1 and "DEMO_PASSWORD" in result.output and "at least 10" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_dev_setup_is_refused_outside_development(runner):
    result = runner.invoke(args=["dev-setup"])
    assert result.exit_code == 1 and "only in the development config" in result.output


def development_setting(name: str, **env) -> str:
    """Read one DevelopmentConfig value in a fresh interpreter with `env` as its environment."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "PUBLIC_BASE_URL", "PUSH_QUIET_START")}
    code = f"from app.config import DevelopmentConfig as C; print(C.{name})"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_development_links_follow_the_port_unless_public_base_url_is_set():
    assert development_setting("PUBLIC_BASE_URL", PORT="5123") == "http://127.0.0.1:5123"
    assert development_setting("PUBLIC_BASE_URL") == "http://127.0.0.1:5000"
    given = development_setting("PUBLIC_BASE_URL", PORT="5123", PUBLIC_BASE_URL="https://jobs.example.cn")
    assert given == "https://jobs.example.cn"


def test_development_has_no_quiet_hours_unless_asked():
    assert development_setting("PUSH_QUIET_START") == development_setting("PUSH_QUIET_END")
    assert development_setting("PUSH_QUIET_START", PUSH_QUIET_START="21:00") == "21:00"


def free_port() -> int:
    """Return a port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevServer:
    """scripts/run-dev.sh running in a process group of its own, on free ports and scratch files."""

    def __init__(self, scratch: Path, password: str):
        self.port, self.wechat_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.port}/api/v1"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PUBLIC_", "PUSH_"))}
        env.update(
            APP_CONFIG="development",
            PORT=str(self.port),
            WECHAT_PORT=str(self.wechat_port),
            DEMO_PASSWORD=password,
            DATABASE_URL=f"sqlite:///{scratch / 'demo.sqlite3'}",
            STORAGE_DIR=str(scratch / "storage"),
            RUN_DIR=str(scratch),
        )
        for name in ("REDIS_URL", "QUEUE_REDIS_URL", "RQ_ASYNC", "WECHAT_API_BASE"):
            env.pop(name, None)  # the embedded default, whatever this shell says
        self.log = open(scratch / "run.log", "ab")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            ["bash", "scripts/run-dev.sh"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.scratch = scratch

    def wait(self, timeout: float = 240) -> float:
        """Wait until /healthz answers 200; return how long it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            assert self.process.poll() is None, (self.scratch / "run.log").read_text()
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise AssertionError("make run did not answer in time:\n" + (self.scratch / "run.log").read_text())

    def login(self, username: str, password: str) -> requests.Response:
        """Log a staff account in."""
        return requests.post(
            f"{self.api}/auth/login", json={"username": username, "password": password}, timeout=10
        )

    def stop(self) -> None:
        """Stop the script's process group (the API and the fake WeChat)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def test_make_run_starts_from_nothing_links_to_its_own_port_and_takes_a_new_password(backend, tmp_path):
    if backend == "real":
        pytest.skip("the embedded default only: SQLite and fakeredis, whatever the backend")
    server = DevServer(tmp_path, "first-demo-pass")
    try:
        server.wait()
        token = server.login("demo-station-staff", "first-demo-pass").json()["token"]
        links = requests.post(
            f"{server.api}/stations/1/page-links", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).json()
        for name in ("live_url", "poster_url", "qr_url"):
            assert links[name].startswith(f"http://127.0.0.1:{server.port}/"), links
        codes = requests.post(f"http://127.0.0.1:{server.wechat_port}/_fake/codes", json={}, timeout=10)
        assert codes.status_code == 200  # the fake WeChat runs on its port too
    finally:
        server.stop()

    server = DevServer(tmp_path, "second-demo-pass")
    try:
        server.wait()
        assert server.login("demo-grid-worker", "second-demo-pass").status_code == 200
        assert server.login("demo-grid-worker", "first-demo-pass").status_code == 401
    finally:
        server.stop()
