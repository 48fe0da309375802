"""The client of the provincial platform's exchange API: signed JSON over HTTPS (the fake's wire format).

Each request carries X-Province-Client, X-Province-Timestamp (Unix seconds), X-Province-Nonce
(random, once) and X-Province-Signature: hex HMAC-SHA256 with PROVINCE_SECRET over
"METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256(body) hex" (the path with its query). The platform
refuses a stale timestamp (more than 5 minutes off) or a nonce seen before, so a captured request
cannot be replayed.
"""

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import date

import requests
from flask import current_app

from app.province import ProvinceUnavailable, RecordResult, mask

log = logging.getLogger(__name__)

OUTCOMES = frozenset(
    {RecordResult.ACCEPTED, RecordResult.DUPLICATE, RecordResult.REJECTED, RecordResult.RETRY}
)


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Return the request's signature (hex HMAC-SHA256 of its canonical text)."""
    text = "\n".join((method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()))
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def _call(method: str, path: str, body: bytes = b"") -> dict:
    """Send one signed request; return its JSON answer or raise ProvinceUnavailable."""
    config = current_app.config
    if not config["PROVINCE_EXCHANGE"]:
        raise ProvinceUnavailable("the exchange is switched off (PROVINCE_EXCHANGE)")
    base = config["PROVINCE_API_BASE"].rstrip("/")
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Province-Client": config["PROVINCE_CLIENT_ID"],
        "X-Province-Timestamp": timestamp,
        "X-Province-Nonce": nonce,
        "X-Province-Signature": signature(config["PROVINCE_SECRET"], method, path, timestamp, nonce, body),
    }
    try:
        timeout = config["PROVINCE_TIMEOUT_SECONDS"]
        response = requests.request(method, base + path, data=body or None, headers=headers, timeout=timeout)
    except requests.RequestException as exc:  # refused, reset, timed out: nothing is known
        log.warning("province %s %s: %s", method, path.split("?")[0], exc.__class__.__name__)
        raise ProvinceUnavailable(f"unreachable: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        # 401: our signature or clock; 5xx: theirs. Either way the batch waits and goes again.
        text = mask(response.text[:200])
        log.warning("province %s %s: HTTP %s %s", method, path.split("?")[0], response.status_code, text)
        raise ProvinceUnavailable(f"HTTP {response.status_code}: {text}")
    try:
        answer = response.json()
    except ValueError:
        raise ProvinceUnavailable("an answer that is not JSON") from None
    if not isinstance(answer, dict):
        raise ProvinceUnavailable("an answer that is not a JSON object")
    return answer


def _result(key: str, item: dict | None) -> RecordResult:
    """Read the province's result of one record; a missing or unknown one is worth another try."""
    if item is None:
        return RecordResult(key, RecordResult.RETRY, "MISSING", "the answer did not name this record")
    outcome = item.get("result")
    if outcome not in OUTCOMES:
        return RecordResult(key, RecordResult.RETRY, "UNKNOWN", mask(f"an unknown result: {outcome}"[:200]))
    message = mask(str(item["message"])[:200]) if item.get("message") else None
    province_id = str(item["id"])[:64] if item.get("id") else None
    return RecordResult(key, outcome, item.get("code"), message, province_id)


def upload(records: list[dict]) -> list[RecordResult]:
    """Post a batch; return a result per record in the batch's order (see app.province.upload)."""
    if not records:
        return []
    body = json.dumps({"records": records}, ensure_ascii=False, separators=(",", ":")).encode()
    answer = _call("POST", "/api/exchange/records", body)
    items = answer.get("results")
    if not isinstance(items, list):
        raise ProvinceUnavailable("an answer without results")
    by_key = {}
    for item in items:  # a result listed twice counts once: the first
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            by_key.setdefault(item["key"], item)
    return [_result(record["key"], by_key.get(record["key"])) for record in records]


def fetch(feed: str, since: str | None) -> tuple[list[dict], str | None]:
    """Read one of the province's feeds (jobs, key-groups) after a cursor; return (items, next cursor)."""
    path = f"/api/exchange/{feed}" + (f"?since={requests.utils.quote(since)}" if since else "")
    answer = _call("GET", path)
    items = answer.get("items")
    if not isinstance(items, list):
        raise ProvinceUnavailable("an answer without items")
    return items, answer.get("next") or since


def fetch_counts(day: date) -> dict[str, dict]:
    """Ask what the province holds of the records created on a day; {record_type: {count, keys}}."""
    answer = _call("GET", f"/api/exchange/counts?day={day:%Y%m%d}")
    types = answer.get("types")
    if not isinstance(types, dict):
        raise ProvinceUnavailable("an answer without types")
    counts = {}
    for record_type, held in types.items():
        keys = held.get("keys") if isinstance(held, dict) else None
        if not isinstance(keys, list):
            raise ProvinceUnavailable("an answer without keys")
        count = int(held.get("count", len(keys)))
        counts[str(record_type)] = {"count": count, "keys": [str(key) for key in keys]}
    return counts
