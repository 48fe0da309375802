"""bench/server.py: the nginx front's configuration, and the access log read back."""

import subprocess

import pytest

from bench import server


@pytest.mark.skipif(server.nginx_binary() is None, reason="nginx is not installed")
def test_the_nginx_configuration_balances_over_every_backend_and_nginx_accepts_it(tmp_path):
    config = server._nginx_config(18080, [18081, 18082], tmp_path, processes=1)
    text = config.read_text()
    assert "least_conn;" in text and "{" + "SERVERS}" not in text
    assert "server 127.0.0.1:18081;" in text and "server 127.0.0.1:18082;" in text
    checked = subprocess.run(
        [server.nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


def test_service_times_read_every_backends_log_old_and_new_lines(tmp_path):
    logs = []
    for n, lines in enumerate((["GET /a 200 1500 101", "POST /b 201 2500 101"], ["POST /c 200 4000"])):
        (tmp_path / str(n)).mkdir()
        logs.append(tmp_path / str(n) / "access.log")
        logs[-1].write_text("\n".join(lines) + "\n")
    backends = [
        server.Server(f"http://127.0.0.1:{9000 + n}", 0, {}, tmp_path, log) for n, log in enumerate(logs)
    ]
    front = server.Server("http://127.0.0.1:8999", 0, {}, tmp_path, None, [], backends)
    assert front.service_times() == [0.0015, 0.0025, 0.004]
    assert front.service_times("POST") == [0.0025, 0.004]
    assert front.ports() == {9000, 9001}
    front.truncate_access_log()
    assert front.service_times() == []


def test_an_unknown_front_is_refused():
    with pytest.raises(ValueError, match="front must be one of"), server.gunicorn(front="haproxy"):
        pass


def test_nginx_missing_falls_back_to_one_socket_per_worker(monkeypatch):
    monkeypatch.setattr(server, "nginx_binary", lambda: None)
    started = []

    class Refused(Exception):
        pass

    def popen(argv, **kwargs):
        started.append(argv)
        raise Refused

    monkeypatch.setattr(subprocess, "Popen", popen)
    with pytest.raises(Refused), server.gunicorn(front="nginx", workers=2):
        pass
    # One gunicorn of 2 workers, each binding a SO_REUSEPORT socket of its own (gunicorn 27).
    assert len(started) == 1 and "--reuse-port" in started[0]
    assert started[0][started[0].index("--workers") + 1] == "2"
