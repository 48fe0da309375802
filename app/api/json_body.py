"""Reading JSON request bodies: strict JSON, bounded nesting, no lone surrogates; PATCH/PUT need one.

Every view parses its body through `@blp.arguments`, so the views' `Blueprint` (this module's)
brings the parser that enforces all of it: bad input is a 4xx in the error envelope, never a 500.
"""

import json
import re

import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from app.errors import APIError

# Our deepest real body (a visit batch: visits → members → needs) nests 4 levels; 32 leaves room
# while keeping every later walk over the value (marshmallow, the services) far from Python's
# recursion limit.
MAX_DEPTH = 32
BODY_METHODS = ("PATCH", "PUT")
# json.loads joins a valid pair (\ud83d\ude00 → 😀); a surrogate left in a string is a lone one,
# which no UTF-8 database column or response can hold.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidJson(APIError):
    """A body that is not JSON we accept: 400 `invalid_json`, naming where when it can."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(400, "invalid_json", message, field=field)


def refuse_constant(name: str):
    """Refuse NaN, Infinity and -Infinity, which Python's json reads but JSON does not have."""
    raise ValueError(f"{name} is not JSON")


def printable(key) -> str:
    """Return a key as it can be written back in an error (a lone surrogate as \\udXXX)."""
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8")


def check_value(value) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings (values or keys) holding a lone surrogate."""
    stack = [(value, 1, None)]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                raise InvalidJson("A string holds a lone UTF-16 surrogate (e.g. \\ud800): not text.", path)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise InvalidJson(f"The body nests deeper than {MAX_DEPTH} levels.", path)
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            name = printable(key) if path is None else f"{path}.{printable(key)}"
            if isinstance(key, str) and LONE_SURROGATE.search(key):
                raise InvalidJson("A key holds a lone UTF-16 surrogate (e.g. \\ud800): not text.", name)
            stack.append((child, depth + 1, name))


def loads(data: bytes):
    """Parse a request body as strict JSON and check it (400 `invalid_json` otherwise)."""
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=refuse_constant)
    except RecursionError:
        raise InvalidJson(f"The body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError:
        # JSONDecodeError, UnicodeDecodeError, NaN/Infinity and integers over Python's 4300 digits.
        raise InvalidJson("The request body is not valid JSON.") from None
    check_value(value)
    return value


class JsonBodyParser(FlaskParser):
    """webargs' Flask parser with `loads` for bodies, and an empty PATCH/PUT refused (422)."""

    def load_json(self, req, schema):
        """Return the parsed body, `missing` without one (422 `body_required` on PATCH/PUT)."""
        data = req.get_data(cache=True) if is_json_request(req) else b""
        if data.strip():
            return loads(data)
        if req.method in BODY_METHODS:
            # Read as {} this would answer 200 and change nothing: say what is missing instead.
            raise APIError(
                422, "body_required", "Send the changes as a JSON object (Content-Type: application/json)."
            )
        return core.missing


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint whose `@arguments` read bodies with JsonBodyParser."""

    ARGUMENTS_PARSER = JsonBodyParser()
