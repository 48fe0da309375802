"""A local fake of the provincial platform's exchange API, with knobs to make it misbehave.

`python -m app.province.fake [--port 5003] [--client-id ID --secret S]` runs it (what `make run`
does). It checks each request's signature (app/province/client.py), applies each record's
idempotency key once and answers a result per record; GET /_fake/province/records lists what it
holds (deliveries per key, order per subject); POST /_fake/province/knobs sets down, slow,
5xx, timeout_after_accept, hang_seconds, reject and ack_twice (docs/EXCHANGE.md), or reset, or
forgets records by key ("forget": [...], a lost record); GET /api/exchange/counts?day= answers
what it holds of a day;
POST /_fake/province/jobs and /_fake/province/key-groups seed the feeds the app may read.
"""

import argparse
import hmac
import itertools
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from app.province.client import signature

DEV_CLIENT_ID, DEV_SECRET = "hs-dev-client", "dev-province-secret"
TYPES = frozenset(
    {
        "person_status",
        "employment_registration",
        "unemployment_registration",
        "key_group",
        "policy_enjoyment",
        "job",
        "employer",
    }
)
ACTIONS = frozenset({"create", "update", "close"})
SKEW_SECONDS = 300


def _knobs() -> dict:
    return {
        "down": False,  # every call answers 503 until set false
        "slow": 0.0,  # seconds every call waits before answering
        "5xx": 0,  # the next N calls answer 500 (nothing applied)
        "timeout_after_accept": 0,  # the next N uploads apply, then answer after hang_seconds
        "hang_seconds": 3.0,
        "reject": {},  # record type or key -> the code it is refused with
        "ack_twice": False,  # results name each record twice
    }


@dataclass
class FakeProvinceState:
    """What the fake platform remembers; one lock guards it all."""

    client_id: str
    secret: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    knobs: dict = field(default_factory=_knobs)
    records: dict = field(default_factory=dict)  # key -> the record as applied, with deliveries
    subjects: dict = field(default_factory=dict)  # subject -> keys in the order applied
    nonces: set = field(default_factory=set)
    calls: list = field(default_factory=list)  # {path, status, records}
    jobs: list = field(default_factory=list)
    key_groups: list = field(default_factory=list)
    serial: itertools.count = field(default_factory=lambda: itertools.count(1))


def _refusal(state: FakeProvinceState) -> tuple[str, str] | None:
    """Return (code, message) when the request is not signed by the client, else None."""
    headers = request.headers
    timestamp, nonce = headers.get("X-Province-Timestamp", ""), headers.get("X-Province-Nonce", "")
    if headers.get("X-Province-Client") != state.client_id:
        return "AUTH_CLIENT", "unknown client"
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SKEW_SECONDS:
        return "AUTH_TIMESTAMP", "timestamp missing or too far off"
    path = request.full_path.rstrip("?")
    expected = signature(state.secret, request.method, path, timestamp, nonce, request.get_data())
    if not hmac.compare_digest(expected, headers.get("X-Province-Signature", "")):
        return "AUTH_SIGNATURE", "bad signature"
    if not nonce or nonce in state.nonces:
        return "AUTH_NONCE", "nonce missing or used before"
    state.nonces.add(nonce)
    return None


def _gate(state: FakeProvinceState):
    """Answer the knobs down/5xx and the signature check; None when the call may proceed."""
    if state.knobs["slow"]:
        time.sleep(float(state.knobs["slow"]))
    with state.lock:
        if state.knobs["down"]:
            state.calls.append({"path": request.path, "status": 503})
            return jsonify({"code": "DOWN", "message": "platform under maintenance"}), 503
        if state.knobs["5xx"] > 0:
            state.knobs["5xx"] -= 1
            state.calls.append({"path": request.path, "status": 500})
            return jsonify({"code": "INTERNAL", "message": "internal error"}), 500
        refusal = _refusal(state)
        if refusal:
            state.calls.append({"path": request.path, "status": 401})
            return jsonify({"code": refusal[0], "message": refusal[1]}), 401
    return None


def _apply(state: FakeProvinceState, record) -> dict:
    """Apply one record once by its key; return its result."""
    if not isinstance(record, dict) or not isinstance(record.get("key"), str) or not record["key"]:
        return {"key": None, "result": "rejected", "code": "E_FORMAT", "message": "no key"}
    key = record["key"]
    if key in state.records:
        state.records[key]["deliveries"] += 1
        return {"key": key, "result": "duplicate", "id": state.records[key]["id"]}
    reject = state.knobs["reject"]
    code = reject.get(key) or reject.get(str(record.get("type")))
    if record.get("type") not in TYPES:
        code = code or "E_TYPE"
    if record.get("action") not in ACTIONS or not isinstance(record.get("data"), dict):
        code = code or "E_FORMAT"
    if code:
        return {"key": key, "result": "rejected", "code": code, "message": f"refused: {code}"}
    serial = next(state.serial)
    subject = str(record.get("subject") or "")
    state.records[key] = {
        "id": f"P{serial:010d}",
        "seq": serial,
        "key": key,
        "type": record["type"],
        "action": record["action"],
        "subject": subject,
        "data": record["data"],
        "created_on": str(record.get("created_on") or ""),  # the sender's day of the record (reconciliation)
        "deliveries": 1,
    }
    state.subjects.setdefault(subject, []).append(key)
    return {"key": key, "result": "accepted", "id": state.records[key]["id"]}


def _feed(items: list, since: str | None) -> dict:
    """Answer a feed read: the items changed after the cursor, and the next cursor."""
    after = [item for item in items if since is None or item["changed_at"] > since]
    return {"items": after, "next": after[-1]["changed_at"] if after else since}


def create_fake_province(client_id: str = DEV_CLIENT_ID, secret: str = DEV_SECRET) -> Flask:
    """Build the fake platform, accepting requests signed with this client id and secret."""
    app = Flask("fake_province")
    app.json.ensure_ascii = False
    state = FakeProvinceState(client_id=client_id, secret=secret)
    app.extensions["fake_province_state"] = state

    @app.post("/api/exchange/records")
    def records():
        """Take a batch of records: a result per record (accepted, duplicate, rejected)."""
        refused = _gate(state)
        if refused:
            return refused
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            return jsonify({"code": "E_FORMAT", "message": "records missing"}), 400
        with state.lock:
            results = [_apply(state, record) for record in body["records"]]
            hang = state.knobs["timeout_after_accept"] > 0
            if hang:
                state.knobs["timeout_after_accept"] -= 1
            if state.knobs["ack_twice"]:
                results = [item for result in results for item in (result, result)]
            state.calls.append({"path": request.path, "status": 200, "records": len(body["records"])})
        if hang:  # applied, but the answer comes after the client gave up
            time.sleep(float(state.knobs["hang_seconds"]))
        return jsonify({"code": "OK", "results": results})

    @app.get("/api/exchange/jobs")
    def jobs():
        """The jobs the province publishes, changed after ?since."""
        refused = _gate(state)
        if refused:
            return refused
        with state.lock:
            return jsonify(_feed(state.jobs, request.args.get("since")))

    @app.get("/api/exchange/key-groups")
    def key_groups():
        """The key-group list entries the province sends down, changed after ?since."""
        refused = _gate(state)
        if refused:
            return refused
        with state.lock:
            return jsonify(_feed(state.key_groups, request.args.get("since")))

    @app.get("/api/exchange/counts")
    def counts():
        """What the platform holds of the records created on ?day=YYYYMMDD: count and keys per type."""
        refused = _gate(state)
        if refused:
            return refused
        day = request.args.get("day", "")
        with state.lock:
            types: dict = {}
            for held in sorted(state.records.values(), key=lambda record: record["seq"]):
                if held["created_on"] == day:
                    types.setdefault(held["type"], {"count": 0, "keys": []})
                    types[held["type"]]["count"] += 1
                    types[held["type"]]["keys"].append(held["key"])
            return jsonify({"code": "OK", "day": day, "types": types})

    @app.get("/_fake/province/records")
    def held():
        """What the platform holds: each record with its deliveries, the keys per subject in order."""
        with state.lock:
            held = sorted(state.records.values(), key=lambda record: record["seq"])
            return jsonify(
                {
                    "records": held,
                    "subjects": {subject: list(keys) for subject, keys in state.subjects.items()},
                    "calls": list(state.calls),
                    "knobs": dict(state.knobs),
                }
            )

    @app.post("/_fake/province/knobs")
    def knobs():
        """Set knobs (down, slow, 5xx, timeout_after_accept, hang_seconds, reject, ack_twice), or reset."""
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            if body.get("reset"):
                for held in (state.records, state.subjects, state.calls, state.jobs, state.key_groups):
                    held.clear()
                state.knobs = _knobs()
            for key in body.get("forget") or []:  # "lose" records, as a platform might (reconciliation)
                lost = state.records.pop(key, None)
                if lost:
                    state.subjects[lost["subject"]].remove(key)
            for name, value in body.items():
                if name in state.knobs:
                    state.knobs[name] = value
            return jsonify({"knobs": dict(state.knobs)})

    def seed(items: list):
        """Add items ({...}) to a feed, each stamped with the moment it changed."""
        body = request.get_json(force=True, silent=True) or {}
        added = []
        with state.lock:
            for item in body.get("items") or []:
                added.append({**item, "changed_at": f"{time.time():017.6f}-{next(state.serial):08d}"})
            items.extend(added)
        return jsonify({"items": added})

    app.add_url_rule("/_fake/province/jobs", "seed_jobs", lambda: seed(state.jobs), methods=["POST"])
    app.add_url_rule(
        "/_fake/province/key-groups", "seed_key_groups", lambda: seed(state.key_groups), methods=["POST"]
    )
    return app


def main() -> None:
    """Run the fake platform (`python -m app.province.fake`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5003)
    parser.add_argument("--client-id", default=DEV_CLIENT_ID)
    parser.add_argument("--secret", default=DEV_SECRET)
    args = parser.parse_args()
    app = create_fake_province(args.client_id, args.secret)
    app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    main()
