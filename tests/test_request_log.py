"""Request ids and the log lines (app/request_log.py).

Every response carries `X-Request-ID` (the caller's, when well formed, else a new one); every
request writes one access line; with LOG_FORMAT=json each line is one JSON object; and a phone
or ID number reaches no line, whatever logs it.
"""

import io
import json
import logging
import re

import pytest
import sqlalchemy as sa
from flask.logging import default_handler

from app import create_app, readiness
from app.config import ProductionConfig, TestingConfig
from app.request_log import JsonFormatter, TextFormatter, build_handler
from tests.conftest import make_id_number
from tests.support import console_client

PHONE = "13912345678"
FRESH_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines():
    """Capture the JSON lines the production handler writes (root at DEBUG); return a reader.

    The handler is the one production installs, on a buffer, alone on the root logger so
    nothing else (the session's own text handler, say) redacts or stamps a record for it.
    """
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    for handler in [handler for handler in root.handlers if getattr(handler, "request_log", False)]:
        root.removeHandler(handler)
    root.addHandler(build_handler("json", logging.StreamHandler(buffer)))
    root.setLevel(logging.DEBUG)

    def read() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    read.text = buffer.getvalue
    yield read
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def access_lines(lines: list[dict]) -> list[dict]:
    """Return the access lines among `lines`."""
    return [line for line in lines if line["logger"] == "app.access"]


def test_every_response_carries_a_request_id_errors_included(client):
    for path in ("/healthz", "/api/v1/no-such-thing", "/api/v1/me"):
        response = client.get(path)
        assert FRESH_ID.fullmatch(response.headers["X-Request-ID"]), path
    # The error body keeps its one shape: the id travels in the header only.
    assert response.status_code == 401
    assert set(response.get_json()) == {"error"}
    assert set(response.get_json()["error"]) == {"code", "message", "field", "fields"}
    assert client.get("/healthz").headers["X-Request-ID"] != response.headers["X-Request-ID"]


@pytest.mark.parametrize("offered", ["4f1c2a9e-7b3d-4c55-9a0e-1d2b3c4d5e6f", "nginx.abc:123_x"])
def test_a_well_formed_incoming_id_is_echoed(client, offered):
    assert client.get("/healthz", headers={"X-Request-ID": offered}).headers["X-Request-ID"] == offered


@pytest.mark.parametrize(
    "offered", ["", "x" * 65, "two words", "id%0d%0aX-Evil:1", "id\tx", "<script>", "-leading-dash"]
)
def test_a_malformed_incoming_id_is_replaced_by_a_fresh_one(client, offered):
    returned = client.get("/healthz", headers={"X-Request-ID": offered}).headers["X-Request-ID"]
    assert FRESH_ID.fullmatch(returned)


def test_the_access_line_names_the_route_not_the_path(client, staff_headers, log_lines):
    admin, headers = staff_headers("city_admin", "city", "341000000000")

    response = client.get("/api/v1/jobs/987654?with=extra", headers={**headers, "X-Request-ID": "trace-42"})

    assert response.status_code == 404
    (line,) = [line for line in access_lines(log_lines()) if line["route"] == "/api/v1/jobs/<int:job_id>"]
    assert line["level"] == "INFO"
    assert line["message"] == "GET /api/v1/jobs/<int:job_id> 404"
    assert line["request_id"] == "trace-42"
    assert (line["method"], line["status"]) == ("GET", 404)
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 10_000
    assert line["account_id"] == admin.id
    assert line["timestamp"].endswith("+00:00")
    assert "987654" not in log_lines.text() and "extra" not in log_lines.text()


def test_a_console_page_names_the_staff_member_signed_in(app, make_staff, log_lines):
    staff = make_staff("township_admin", "township", "341002002000")
    browser, _ = console_client(app, staff)

    assert browser.get("/console/account").status_code == 200

    line = [line for line in access_lines(log_lines()) if line["route"] == "/console/account"][-1]
    assert (line["method"], line["status"], line["account_id"]) == ("GET", 200, staff.id)


def test_an_anonymous_request_and_a_probe(client, log_lines):
    client.get("/api/v1/no-such-thing")
    client.get("/healthz")

    missing, probe = access_lines(log_lines())
    assert (missing["route"], missing["status"], missing["account_id"]) == (None, 404, None)
    assert missing["message"] == "GET (no route) 404"
    # A balancer asks every few seconds: its lines are DEBUG, off at production's INFO.
    assert (probe["route"], probe["level"]) == ("/healthz", "DEBUG")


def test_a_phone_in_the_body_or_query_reaches_no_log_line(client, log_lines):
    response = client.post(
        f"/api/v1/auth/login?phone={PHONE}", json={"username": PHONE, "password": "not-the-password"}
    )

    assert response.status_code in (401, 422)
    (line,) = access_lines(log_lines())
    assert line["route"] == "/api/v1/auth/login" and line["status"] == response.status_code
    assert PHONE not in log_lines.text()


def test_phone_and_id_numbers_are_redacted_from_any_message(app, log_lines):
    id_number = make_id_number()
    log = logging.getLogger("app.services.somewhere")

    log.warning("bound %s and +86 139-1234-5678 to %s", PHONE, id_number)
    try:
        raise ValueError(f"duplicate entry '{id_number}' for key 'uq_residents_id_hash'")
    except ValueError:
        log.exception("import row 7 failed")
    log.warning("job 42, order 12345678901234567890, at 1733500000000 ms")

    bound, failed, plain = log_lines()
    assert bound["message"] == "bound [phone] and [phone] to [id-number]"
    assert id_number not in failed["exception"] and "[id-number]" in failed["exception"]
    assert failed["message"] == "import row 7 failed"
    assert plain["message"] == "job 42, order 12345678901234567890, at 1733500000000 ms"  # no look-alikes
    assert bound["request_id"] is None  # outside a request


def test_a_line_logged_while_a_request_runs_carries_its_id(client, log_lines, monkeypatch):
    def refuse():
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("Lost connection"))

    monkeypatch.setattr(readiness, "ping_database", refuse)

    response = client.get("/readyz", headers={"X-Request-ID": "probe-7"})

    assert response.status_code == 503
    (warning,) = [line for line in log_lines() if line["logger"] == "app.readiness"]
    assert warning["level"] == "WARNING" and warning["message"].startswith("readyz: the database:")
    assert warning["request_id"] == "probe-7" == response.headers["X-Request-ID"]


def test_production_logs_json_and_tests_text():
    assert ProductionConfig.LOG_FORMAT == "json" and ProductionConfig.LOG_LEVEL == "INFO"
    assert TestingConfig.LOG_FORMAT == "text"


def test_log_format_json_puts_one_json_handler_on_the_root_logger():
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        app = create_app("testing", {"LOG_FORMAT": "json", "LOG_LEVEL": "info"})
        ours = [handler for handler in root.handlers if getattr(handler, "request_log", False)]
        assert len(ours) == 1 and isinstance(ours[0].formatter, JsonFormatter)
        assert root.level == logging.INFO
        assert not app.logger.handlers  # Flask's own handler would write each line twice
        create_app("testing", {"LOG_FORMAT": "json"})
        assert len([handler for handler in root.handlers if getattr(handler, "request_log", False)]) == 1
        with pytest.raises(RuntimeError, match="LOG_FORMAT must be json or text"):
            create_app("testing", {"LOG_FORMAT": "xml"})
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def test_log_format_text_keeps_flasks_handler_with_the_id_and_the_redaction(app):
    # The tests' own config is text: create_app gave Flask's handler our format and filters.
    assert isinstance(default_handler.formatter, TextFormatter)
    buffer = io.StringIO()
    handler = build_handler("text", logging.StreamHandler(buffer))
    handler.handle(logging.LogRecord("app.x", logging.WARNING, __file__, 1, "bound %s", (PHONE,), None))
    with app.test_request_context(headers={"X-Request-ID": "ctx-9"}):
        handler.handle(logging.LogRecord("app.x", logging.WARNING, __file__, 1, "in a request", None, None))

    outside, inside = buffer.getvalue().splitlines()
    assert outside.endswith("] WARNING app.x [-]: bound [phone]")
    assert inside.endswith("] WARNING app.x [ctx-9]: in a request")
