"""Request ids, the access line of every request, and the log format (JSON lines or text).

Every request gets an id: a well-formed `X-Request-ID` from the caller (nginx sets one) or a new
one. It goes back in the response's `X-Request-ID` header, errors included, and into every log
line written while the request runs. Each request then writes one access line (logger
`app.access`): method, route rule (never the raw path or query string), status, duration and
the signed-in account's id. Two filters sit on the handler that writes the lines (LOG_FORMAT
json: one on the root logger; text: Flask's own): one adds the request id, the other redacts
anything shaped like a phone or an ID number, a safety net under the rule that personal data
never reaches a log line.

A job a request enqueues carries the request's id in its RQ meta (app/queues.py), and while a
worker runs it the id is this module's context variable (`carrying_request_id`): the job's log
lines then carry the id of the request that asked for it, so one grep finds both.
"""

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

HEADER = "X-Request-ID"
# What an incoming id may be: short, and nothing that could forge a log line or a header.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# An 18-character resident ID number (17 digits and a check digit or X), and a mainland mobile
# number (+86 and separators allowed), not inside a longer run of digits.
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])")
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
# The access line's fields (set with `extra=`); the JSON formatter writes these and no others.
ACCESS_FIELDS = ("method", "route", "status", "duration_ms", "account_id")
# Probes ask every few seconds: their access lines are DEBUG, not INFO.
_PROBES = frozenset({"health.livez", "health.healthz", "health.readyz"})

access_log = logging.getLogger("app.access")
# The id of the request whose job runs now (set for the job's duration); None: no such job.
_carried: ContextVar[str | None] = ContextVar("carried_request_id", default=None)
# Where a request keeps its id: its WSGI environ, not `g`, which belongs to the app context, so
# code pushing an app context of its own inside the request (the outbox's send after the commit)
# would otherwise see a new id.
_ENVIRON_KEY = "app.request_id"


def redact(text: str) -> str:
    """Replace whatever looks like an ID number or a phone number in `text`."""
    return _PHONE.sub("[phone]", _ID_NUMBER.sub("[id-number]", text))


def request_id() -> str | None:
    """Return this request's id (taking the caller's or making one), or None outside a request."""
    if not has_request_context():
        return None
    environ = request.environ
    if _ENVIRON_KEY not in environ:
        offered = request.headers.get(HEADER, "")
        environ[_ENVIRON_KEY] = offered if _WELL_FORMED.fullmatch(offered) else uuid.uuid4().hex
    return environ[_ENVIRON_KEY]


def current_request_id() -> str | None:
    """Return the id of the request this code works for: a running job's carried one, else the request's."""
    carried = _carried.get()
    return carried if carried is not None else request_id()


@contextmanager
def carrying_request_id(value: str | None) -> Iterator[None]:
    """Within the block (a job's run), make `value` the current request id (None: the request's, if any)."""
    token = _carried.set(value)
    try:
        yield
    finally:
        _carried.reset(token)


class RequestIdFilter(logging.Filter):
    """Add `request_id` to every record: the current request's or running job's, or None."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Set the attribute; never drop a record."""
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class RedactFilter(logging.Filter):
    """Redact ID and phone numbers from a record's message, exception and stack text."""

    _plain = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (later handlers see the redacted text too); never drop it."""
        try:
            message = record.getMessage()
        except Exception:  # bad arguments: the handler reports it when it formats, as it would anyway
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatted once here so a database error quoting a value is redacted too.
            record.exc_text = self._plain.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: timestamp, level, logger, message, request_id (+ the access fields)."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update((name, getattr(record, name)) for name in ACCESS_FIELDS if hasattr(record, name))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Flask's kind of line, with the logger's name and the request id."""

    def __init__(self):
        super().__init__("[%(asctime)s] %(levelname)s %(name)s [%(request_id)s]: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Return the line; "-" stands for no request."""
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
            try:
                return super().format(record)
            finally:
                record.request_id = None
        return super().format(record)


class StderrHandler(logging.StreamHandler):
    """A handler writing to whatever sys.stderr is when a record comes (as logging.lastResort does)."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        """Return the current stderr."""
        return sys.stderr


def build_handler(log_format: str, handler: logging.Handler | None = None) -> logging.Handler:
    """Return `handler` (default: one on stderr) with the format's formatter and both filters."""
    formatters = {"json": JsonFormatter, "text": TextFormatter}
    if log_format not in formatters:
        raise RuntimeError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    handler = handler or StderrHandler()
    handler.setFormatter(formatters[log_format]())
    if not getattr(handler, "request_log", False):
        handler.addFilter(RequestIdFilter())
        handler.addFilter(RedactFilter())
        handler.request_log = True  # ours: set up once, and replaced by the next create_app
    return handler


def configure_logging(app: Flask) -> None:
    """Format and filter the log lines as LOG_FORMAT says, and set the root level to LOG_LEVEL.

    json: one handler on the root logger takes every line, the app's, RQ's and the libraries'.
    text: Flask's own stderr handler keeps the app's lines (it is there only when nothing else
    handles them: under pytest, its capture does), now with the request id and the redaction.
    """
    log_format = app.config["LOG_FORMAT"]
    root = logging.getLogger()
    for each in [each for each in root.handlers if getattr(each, "request_log", False)]:
        root.removeHandler(each)
    if log_format == "json":
        root.addHandler(build_handler("json"))
        # Flask's handler on the app's logger would write each app line a second time.
        app.logger.removeHandler(default_handler)
    else:
        build_handler(log_format, default_handler)
    if app.config.get("LOG_LEVEL"):
        root.setLevel(app.config["LOG_LEVEL"].upper())


def _account_id() -> int | None:
    """Return the id of the account signed in to this request (API token or console), if any."""
    account = g.get("account") or g.get("console_staff")
    if account is None:
        return None
    # Its identity, not `account.id`: after a commit the attribute is expired and would be reloaded.
    identity = sa.inspect(account).identity
    return identity[0] if identity else None


def _start() -> None:
    """Note when the request began and settle its id."""
    g.request_started = time.perf_counter()
    request_id()


def _finish(response):
    """Return the id in the response and write the request's access line."""
    response.headers[HEADER] = request_id()
    level = logging.DEBUG if request.endpoint in _PROBES else logging.INFO
    if not access_log.isEnabledFor(level):
        return response
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    route = request.url_rule.rule if request.url_rule is not None else None
    access_log.log(
        level,
        "%s %s %s",
        request.method,
        route or "(no route)",
        response.status_code,
        extra={
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "account_id": _account_id(),
        },
    )
    return response


def install_request_log(app: Flask) -> None:
    """Configure logging and give every request an id and an access line (call before the blueprints)."""
    configure_logging(app)
    app.before_request(_start)
    app.after_request(_finish)
