"""The deploy/ files an operator installs: systemd units that start what exists, an nginx site nginx accepts.

The units name /opt/employment-circle (docs/OPERATIONS.md, "From a bare Debian host"); here that
is this checkout. nginx is checked with `nginx -t` on throwaway certificates, then run on ports
of its own in front of a stand-in upstream; these checks skip, saying why, where a tool is missing.
"""

import configparser
import http.client
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.config import Config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/employment-circle"
UNITS = ("ec-api.service", "ec-worker@.service", "ec-cron.service")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def unit_text(name: str) -> str:
    """Return a unit with the install folder pointing at this checkout."""
    return (DEPLOY / "systemd" / name).read_text().replace(INSTALLED, str(ROOT))


def service_section(name: str) -> configparser.SectionProxy:
    """Return a unit's [Service] section."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string(unit_text(name))
    return parser["Service"]


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_starts_a_command_that_exists_as_its_user_with_the_environment_file(name):
    service = service_section(name)
    command = service["ExecStart"].split()[0]
    assert Path(command).is_file(), f"{name}: {command} does not exist (run `make` for the venv)"
    assert (service["User"], service["EnvironmentFile"]) == ("ec", "/etc/employment-circle/env")
    assert Path(service["WorkingDirectory"], "wsgi.py").is_file()


def test_the_worker_instance_names_its_queue_and_a_dotted_suffix_adds_another_worker():
    """Run the worker's ExecStart as systemd would expand it, with `echo` in place of flask."""
    command = service_section("ec-worker@.service")["ExecStart"]
    flask = f"{ROOT}/.venv/bin/flask"
    for instance, queue in (("push", "push"), ("push.2", "push"), ("exchange", "exchange")):
        expanded = (
            command.replace("%i", instance).replace("%%", "%").replace("$$", "$").replace(flask, "echo")
        )
        printed = subprocess.run(expanded, shell=True, capture_output=True, text=True, check=True).stdout
        assert printed.split() == ["worker", queue], instance


def test_only_the_api_unit_runs_gunicorn_and_the_scheduler_runs_flask_cron():
    assert "gunicorn -c gunicorn.conf.py" in service_section("ec-api.service")["ExecStart"]
    assert service_section("ec-api.service")["Type"] == "notify"  # gunicorn tells systemd it is up
    assert service_section("ec-cron.service")["ExecStart"].endswith("flask cron")


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: only the INI checks above ran")
    for name in UNITS:
        (tmp_path / name).write_text(unit_text(name))
    # A template is verified through an instance of it.
    (tmp_path / "ec-worker@push.2.service").write_text(unit_text("ec-worker@.service"))
    names = ["ec-api.service", "ec-cron.service", "ec-worker@push.2.service"]
    result = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / name) for name in names)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_environment_example_sets_production_and_holds_no_real_secret():
    lines = (DEPLOY / "employment-circle.env.example").read_text().splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert settings["APP_CONFIG"] == "production" and settings["LOG_FORMAT"] == "json"
    for key in ("SECRET_KEY", "DATA_KEY", "WECHAT_SECRET", "QR_KEYS"):
        assert "CHANGE-ME" in settings[key], key
    assert "CHANGE-ME" in settings["DATABASE_URL"]


def nginx_site(tmp_path: Path) -> Path:
    """Write a main nginx config including the site, with throwaway certificates; return its path."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (DEPLOY / "nginx" / "employment-circle.conf").read_text()
    site = site.replace("/etc/ssl/employment-circle/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/employment-circle/privkey.pem", str(tmp_path / "key.pem"))
    site = site.replace("/etc/nginx/snippets/", f"{DEPLOY}/nginx/")
    (tmp_path / "site.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n"
        f"  proxy_temp_path {tmp_path}/proxy;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    return main


def test_nginx_accepts_the_site(tmp_path):
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light): the site was not checked")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no throwaway certificate for nginx -t")
    main = nginx_site(tmp_path)
    result = subprocess.run(
        [NGINX, "-t", "-c", str(main), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_nginx_site_matches_the_app():
    site = (DEPLOY / "nginx" / "employment-circle.conf").read_text()
    proxy = (DEPLOY / "nginx" / "employment-circle-proxy.conf").read_text()
    # The body limit is the app's MAX_CONTENT_LENGTH, in whole megabytes.
    (megabytes,) = re.findall(r"client_max_body_size (\d+)m;", site)
    assert int(megabytes) * 1024 * 1024 == Config.MAX_CONTENT_LENGTH
    # The console's static folder exists where the alias points.
    (alias,) = re.findall(r"alias (\S+);", site)
    assert (
        Path(alias.replace(INSTALLED, str(ROOT))).resolve() == (ROOT / "app" / "console" / "static").resolve()
    )
    assert "return 301 https://" in site
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID"):
        assert f"proxy_set_header {header} " in proxy, header


class EchoUpstream:
    """A stand-in for gunicorn: answers with the request's method, path and (lower-case) headers as JSON."""

    def __init__(self):
        @Request.application
        def echo(request: Request) -> Response:
            request.get_data()  # read the body, as the app would
            path = request.full_path if request.query_string else request.path
            headers = {name.lower(): value for name, value in request.headers.items()}
            seen = {"method": request.method, "path": path, "headers": headers}
            return Response(json.dumps(seen), content_type="application/json")

        self.server = make_server("127.0.0.1", 0, echo, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    """Return a TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def running_site(tmp_path):
    """Run nginx with the site (own ports, a stand-in upstream, a verification file); yield a requester."""
    if NGINX is None or shutil.which("openssl") is None:
        pytest.skip("nginx or openssl is not installed: the site was not run")
    upstream = EchoUpstream()
    http_port, https_port = free_port(), free_port()
    verify = tmp_path / "wechat-verify"
    verify.mkdir()
    (verify / "MP_verify_Ab12.txt").write_text("Ab12cd34")
    main = nginx_site(tmp_path)
    site = (tmp_path / "site.conf").read_text()
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)  # no IPv6 needed (nor always there)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream.port};")
    site = site.replace(INSTALLED, str(ROOT)).replace("/var/www/employment-circle/wechat-verify", str(verify))
    (tmp_path / "site.conf").write_text(site)
    # One process, in the foreground, as this user: nothing to daemonise or clean up after.
    main.write_text("daemon off;\nmaster_process off;\n" + main.read_text())
    process = subprocess.Popen(
        [NGINX, "-c", str(main), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE

    def ask(method: str, path: str, body: bytes | None = None, headers: dict | None = None, tls: bool = True):
        connection = (
            http.client.HTTPSConnection("127.0.0.1", https_port, context=context, timeout=5)
            if tls
            else http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
        )
        try:
            connection.request(
                method, path, body=body, headers={"Host": "jy.example.gov.cn", **(headers or {})}
            )
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    for _ in range(50):  # up within a second or two
        try:
            ask("GET", "/healthz")
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        process.wait(timeout=10)
        upstream.close()
        pytest.fail(f"nginx did not start: {(tmp_path / 'error.log').read_text()}")
    yield ask
    process.terminate()
    process.wait(timeout=10)
    upstream.close()


def test_the_running_site_redirects_plain_http_to_https(running_site):
    status, headers, _ = running_site("GET", "/api/v1/jobs?near=1", tls=False)
    assert status == 301
    assert headers["Location"] == "https://jy.example.gov.cn/api/v1/jobs?near=1"


def test_the_running_site_passes_the_proxy_headers_and_a_request_id(running_site):
    status, headers, body = running_site("GET", "/api/v1/jobs?near=1")
    seen = json.loads(body)
    assert status == 200 and seen["path"] == "/api/v1/jobs?near=1"
    assert seen["headers"]["x-forwarded-proto"] == "https"
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert re.fullmatch(r"[0-9a-f]{32}", seen["headers"]["x-request-id"])  # nginx made one
    assert headers["Strict-Transport-Security"].startswith("max-age=")

    _, _, body = running_site("GET", "/api/v1/jobs", headers={"X-Request-ID": "from-the-client-1"})
    assert json.loads(body)["headers"]["x-request-id"] == "from-the-client-1"


def test_the_running_site_serves_the_wechat_file_at_the_root_and_under_the_qr_rule(running_site):
    for path in ("/MP_verify_Ab12.txt", "/s/MP_verify_Ab12.txt"):
        status, headers, body = running_site("GET", path)
        assert (status, body) == (200, b"Ab12cd34"), path
        assert headers["Content-Type"].startswith("text/plain")
    # Not a verification file there: the app answers (a QR code's own address, say).
    status, _, body = running_site("GET", "/s/another.txt")
    assert status == 200 and json.loads(body)["path"] == "/s/another.txt"


def test_the_running_site_serves_console_files_and_refuses_bodies_over_the_app_limit(running_site):
    status, _, body = running_site("GET", "/console/static/console.css")
    assert status == 200 and body == (ROOT / "app" / "console" / "static" / "console.css").read_bytes()

    status, _, _ = running_site(
        "POST", "/api/v1/me/resume/files", body=b"x" * (Config.MAX_CONTENT_LENGTH + 1)
    )
    assert status == 413
    status, _, _ = running_site("POST", "/api/v1/me/resume/files", body=b"x" * (1024 * 1024))
    assert status == 200  # under the limit: through to the app
