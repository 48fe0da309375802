"""APIError and the one JSON error envelope every failure under /api is rendered as."""

import math
from http import HTTPStatus

import marshmallow as ma
import redis
from flask import Flask, current_app, jsonify, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

# Stable codes for plain HTTP errors, so the mini-program can switch on `code`.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    502: "upstream_unavailable",
    503: "service_unavailable",
}


class APIError(Exception):
    """Raise from a service or view to answer with the error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        fields: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.fields = fields if fields is not None else ({field: [message]} if field else None)
        self.headers = headers or {}


class NotFound(APIError):
    """Raise when an object does not exist or lies outside the caller's scope."""

    def __init__(self, code: str, message: str = "Not found."):
        super().__init__(404, code, message)


class Forbidden(APIError):
    """Raise when the caller is known but their role may not do this."""

    def __init__(self, code: str = "forbidden", message: str = "You may not do this."):
        super().__init__(403, code, message)


class Conflict(APIError):
    """Raise when the request clashes with the current state (a duplicate, a used value)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(409, code, message, field=field)


class ValidationFailed(APIError):
    """Raise for input that parsed but breaks a rule (a bad check digit, an unknown place)."""

    def __init__(self, field: str, message: str, code: str = "validation_error"):
        super().__init__(422, code, message, field=field)


class UpstreamUnavailable(APIError):
    """Raise when WeChat or the province cannot be reached or fails."""

    def __init__(self, code: str, message: str):
        super().__init__(502, code, message)


class ServiceUnavailable(APIError):
    """Raise when something we rely on (Redis, say) is down for a moment: 503 with Retry-After."""

    def __init__(self, code: str, message: str, retry_after: int):
        super().__init__(503, code, message, headers={"Retry-After": str(retry_after)})


def redis_retry_after() -> int:
    """Return the Retry-After seconds of an answer Redis's absence caused: its breaker's window."""
    return max(1, math.ceil(float(current_app.config.get("REDIS_BREAKER_SECONDS", 5))))


# MariaDB's error numbers that a database failover or a busy cluster answers with.
DEADLOCK = 1213  # ER_LOCK_DEADLOCK: InnoDB's deadlock victim, Galera's certification failure
UNAVAILABLE = frozenset(
    {
        1047,  # ER_UNKNOWN_COM_ERROR: Galera's "WSREP has not yet prepared node for application use"
        2003,  # CR_CONN_HOST_ERROR: nothing listens (the node is down)
        2006,  # CR_SERVER_GONE_ERROR
        2013,  # CR_SERVER_LOST: the connection died mid-query
    }
)


def database_error_code(error: BaseException) -> int | None:
    """Return the MariaDB error number of a driver error (wrapped by SQLAlchemy or not), else None."""
    original = getattr(error, "orig", error)
    args = getattr(original, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def database_retry_after() -> int:
    """Return the Retry-After seconds of an answer the database's absence caused (a failover's length)."""
    return max(1, int(current_app.config["DATABASE_RETRY_AFTER_SECONDS"]))


def database_busy() -> ServiceUnavailable:
    """Return the 503 of a write the database aborted with 1213 that no retry saved: the client resends it."""
    message = "The database is busy with the same records; try again in a moment."
    # Short: the clash (another write to the same rows) is usually over by then.
    retry_after = max(1, int(current_app.config["DATABASE_BUSY_RETRY_AFTER_SECONDS"]))
    return ServiceUnavailable("database_busy", message, retry_after)


class ErrorBodySchema(ma.Schema):
    """The inside of the error envelope."""

    code = ma.fields.String(required=True, metadata={"description": "Stable snake_case code"})
    message = ma.fields.String(required=True, metadata={"description": "Human-readable message"})
    field = ma.fields.String(allow_none=True, metadata={"description": "First offending field"})
    fields = ma.fields.Dict(
        allow_none=True, metadata={"description": "Every offending field with its messages"}
    )


class ErrorSchema(ma.Schema):
    """The error envelope: {"error": {code, message, field, fields}}."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


def envelope(status: int, code: str, message: str, field=None, fields=None, headers=None):
    """Build the JSON error response."""
    body = {"error": {"code": code, "message": message, "field": field, "fields": fields}}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages, prefix: str = "") -> dict:
    """Flatten webargs' nested {location: {field: [msg]}} into {"field.sub": [msg]}."""
    flat: dict = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = value if isinstance(value, list) else [value]
    return flat


def validation_fields(data: dict | None) -> dict:
    """Turn webargs' error data into {field: [messages]} without the location level."""
    messages = (data or {}).get("messages") or (data or {}).get("errors") or {}
    fields: dict = {}
    for location, errors in messages.items():
        if location in {"json", "query", "form", "files", "headers", "view_args", "json_or_form"}:
            fields.update(_flatten(errors) if isinstance(errors, dict) else {location: errors})
        else:
            fields.update(_flatten({location: errors}))
    return fields


def handle_http_exception(error: HTTPException):
    """Render any HTTP error (incl. webargs' 422) as the envelope."""
    status = error.code or 500
    data = getattr(error, "data", None)
    code = HTTP_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    if status == 422:
        fields = validation_fields(data)
        field = next(iter(fields), None)
        first = fields[field][0] if field else "Invalid input."
        message = f"{field}: {first}" if field else first
        return envelope(422, "validation_error", message, field, fields)
    if status == 400 and ("JSON" in (error.description or "") or "json" in validation_fields(data)):
        return envelope(400, "invalid_json", "The request body is not valid JSON.")
    message = HTTPStatus(status).phrase + "." if status < 600 else "Error."
    if status == 404:
        message = "No such resource."
    elif status == 413:
        message = "The request body is too large."
    headers = dict((data or {}).get("headers") or {})
    # Werkzeug's own headers of the error: `Allow` on a 405 (RFC 9110 requires it), `Retry-After`.
    headers.update((name, value) for name, value in error.get_headers() if name.lower() != "content-type")
    return envelope(status, code, message, headers=headers)


def handle_api_error(error: APIError):
    """Render an APIError as the envelope."""
    return envelope(error.status, error.code, error.message, error.field, error.fields, error.headers)


def handle_unexpected(error: Exception):
    """Log an unexpected exception and answer 500 with the envelope (re-raise under TESTING)."""
    if current_app.testing:
        raise error
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return envelope(500, "internal_error", "Something went wrong on our side.")


def handle_redis_unavailable(error: Exception):
    """Answer 503 with Retry-After when Redis fails on a path that cannot do without it (never 500)."""
    current_app.logger.warning("Redis unavailable on %s %s: %s", request.method, request.path, error)
    message = "A service we depend on is not answering; try again shortly."
    return handle_api_error(ServiceUnavailable("service_unavailable", message, redis_retry_after()))


def handle_database_error(error: DBAPIError):
    """Answer 503 with Retry-After when the database is gone or too busy for a moment; else as unexpected."""
    code = database_error_code(error)
    if code in UNAVAILABLE or error.connection_invalidated:
        current_app.logger.warning(
            "database unavailable on %s %s: error %s", request.method, request.path, code
        )
        message = "The database is not answering for a moment; try again shortly."
        return handle_api_error(ServiceUnavailable("database_unavailable", message, database_retry_after()))
    if code == DEADLOCK:
        # A write no service retries (see app/services/transactions.py): the client resends it.
        current_app.logger.warning("deadlock not retried on %s %s", request.method, request.path)
        return handle_api_error(database_busy())
    return handle_unexpected(error)


def register_error_handlers(app: Flask) -> None:
    """Install the envelope handlers; called after flask-smorest so ours win."""
    app.register_error_handler(APIError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    # Paths that can degrade catch RedisError themselves; whatever reaches here could not.
    app.register_error_handler(redis.ConnectionError, handle_redis_unavailable)
    app.register_error_handler(redis.TimeoutError, handle_redis_unavailable)
    # A failover (connection lost or refused, a Galera node not yet synced) or an unretried deadlock.
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
