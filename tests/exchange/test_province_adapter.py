"""The provincial adapter against the fake platform: signed uploads, per-record results, the knobs."""

import logging
import time

import pytest
import requests

from app import province
from app.province import ProvinceUnavailable, RecordResult
from app.province.client import signature

ID_NUMBER = "34100219900307123X"


def record(key: str, kind: str = "person_status", subject: str = "person:1", **data) -> dict:
    """Return a wire record of a type for a subject."""
    return {"key": key, "type": kind, "action": "update", "subject": subject, "data": data or {"x": 1}}


def test_a_batch_is_applied_once_per_key_with_a_result_per_record(app, fake_province):
    with app.app_context():
        first = province.upload([record("hs-1"), record("hs-2", subject="person:2")])
        again = province.upload([record("hs-2", subject="person:2"), record("hs-3")])
    assert [(r.key, r.outcome) for r in first] == [("hs-1", "accepted"), ("hs-2", "accepted")]
    assert first[0].province_id
    assert [(r.key, r.outcome) for r in again] == [("hs-2", "duplicate"), ("hs-3", "accepted")]
    assert again[0].province_id == first[1].province_id
    held = fake_province.held()
    assert {r["key"]: r["deliveries"] for r in held["records"]} == {"hs-1": 1, "hs-2": 2, "hs-3": 1}
    assert held["subjects"] == {"person:1": ["hs-1", "hs-3"], "person:2": ["hs-2"]}


def test_an_empty_batch_makes_no_call(app, fake_province):
    with app.app_context():
        assert province.upload([]) == []
    assert fake_province.held()["calls"] == []


def test_a_wrong_secret_is_refused_and_nothing_is_applied(app, fake_province):
    app.config["PROVINCE_SECRET"] = "not-the-secret"
    with app.app_context(), pytest.raises(ProvinceUnavailable, match="HTTP 401.*AUTH_SIGNATURE"):
        province.upload([record("hs-1")])
    assert fake_province.held()["records"] == []


def test_a_replayed_request_is_refused(app, fake_province):
    body = b'{"records":[{"key":"hs-9","type":"job","action":"create","subject":"job:1","data":{}}]}'
    stamp, nonce = str(int(time.time())), "n-1"
    headers = {
        "X-Province-Client": "hs-test-client",
        "X-Province-Timestamp": stamp,
        "X-Province-Nonce": nonce,
        "X-Province-Signature": signature(
            "test-province-secret", "POST", "/api/exchange/records", stamp, nonce, body
        ),
    }
    url = fake_province.base_url + "api/exchange/records"
    assert requests.post(url, data=body, headers=headers, timeout=5).status_code == 200
    again = requests.post(url, data=body, headers=headers, timeout=5)
    assert (again.status_code, again.json()["code"]) == (401, "AUTH_NONCE")
    stale = dict(headers, **{"X-Province-Timestamp": str(int(time.time()) - 900), "X-Province-Nonce": "n-2"})
    assert requests.post(url, data=body, headers=stale, timeout=5).json()["code"] == "AUTH_TIMESTAMP"


@pytest.mark.parametrize(
    ("knobs", "message"),
    [({"down": True}, "HTTP 503"), ({"5xx": 1}, "HTTP 500"), ({"slow": 1.5}, "unreachable: ReadTimeout")],
)
def test_down_5xx_and_slow_raise_unavailable(app, fake_province, knobs, message):
    fake_province.knobs(**knobs)
    with app.app_context(), pytest.raises(ProvinceUnavailable, match=message):
        province.upload([record("hs-1")])
    deadline = time.monotonic() + 5
    while not fake_province.held()["calls"] and time.monotonic() < deadline:
        time.sleep(0.1)  # a slow call ends (and applies) after the client gave up on it
    fake_province.knobs(down=False, slow=0)
    with app.app_context():
        assert province.upload([record("hs-2")])[0].outcome == RecordResult.ACCEPTED


def test_unreachable_raises_unavailable(app, fake_province):
    app.config["PROVINCE_API_BASE"] = "http://127.0.0.1:9/"
    with app.app_context(), pytest.raises(ProvinceUnavailable, match="unreachable"):
        province.upload([record("hs-1")])


def test_switched_off_nothing_is_sent(app, fake_province):
    app.config["PROVINCE_EXCHANGE"] = False
    with app.app_context(), pytest.raises(ProvinceUnavailable, match="switched off"):
        province.upload([record("hs-1")])
    assert fake_province.held()["calls"] == []


def test_a_timeout_after_accept_applied_the_batch_and_the_resend_is_a_duplicate(app, fake_province):
    fake_province.knobs(timeout_after_accept=1, hang_seconds=1.5)
    with app.app_context():
        with pytest.raises(ProvinceUnavailable):
            province.upload([record("hs-1")])
        assert province.upload([record("hs-1")])[0].outcome == RecordResult.DUPLICATE
    assert fake_province.held()["records"][0]["deliveries"] == 2


def test_rejections_by_type_or_key_carry_the_code(app, fake_province):
    fake_province.knobs(reject={"job": "E_JOB_CODE", "hs-2": "E_ID_NUMBER"})
    with app.app_context():
        results = province.upload([record("hs-1", "job", "job:1"), record("hs-2"), record("hs-3")])
    assert [(r.outcome, r.code) for r in results] == [
        ("rejected", "E_JOB_CODE"),
        ("rejected", "E_ID_NUMBER"),
        ("accepted", None),
    ]
    assert [r["key"] for r in fake_province.held()["records"]] == ["hs-3"]


def test_results_listed_twice_count_once(app, fake_province):
    fake_province.knobs(ack_twice=True)
    with app.app_context():
        results = province.upload([record("hs-1"), record("hs-2")])
    assert [(r.key, r.outcome) for r in results] == [("hs-1", "accepted"), ("hs-2", "accepted")]


def test_unusable_answers(app, fake_province, monkeypatch):
    class Answer:
        status_code = 200
        text = "<html>"

        def __init__(self, body):
            self.body = body

        def json(self):
            if self.body is None:
                raise ValueError("not JSON")
            return self.body

    for body, expected in [
        (None, "not JSON"),
        ([], "not a JSON object"),
        ({"code": "OK"}, "without results"),
    ]:
        monkeypatch.setattr(requests, "request", lambda *a, body=body, **k: Answer(body))
        with app.app_context(), pytest.raises(ProvinceUnavailable, match=expected):
            province.upload([record("hs-1")])
    monkeypatch.setattr(
        requests, "request", lambda *a, **k: Answer({"results": [{"key": "hs-1", "result": "?"}]})
    )
    with app.app_context():
        [missing, unknown] = province.upload([record("hs-2"), record("hs-1")])
    assert (missing.outcome, missing.code) == ("retry", "MISSING")
    assert (unknown.outcome, unknown.code) == ("retry", "UNKNOWN")


def test_no_id_number_or_phone_in_logs_or_results(app, fake_province, monkeypatch, caplog):
    class Answer:
        status_code = 500
        text = f"bad record {ID_NUMBER} tel 13912345678"

    monkeypatch.setattr(requests, "request", lambda *a, **k: Answer())
    caplog.set_level(logging.DEBUG)
    with app.app_context(), pytest.raises(ProvinceUnavailable) as raised:
        province.upload([record("hs-1", id_number=ID_NUMBER)])
    assert ID_NUMBER not in str(raised.value) and "13912345678" not in str(raised.value)
    assert "341002************" in str(raised.value)
    assert ID_NUMBER not in caplog.text and "13912345678" not in caplog.text
    assert province.mask(f"{ID_NUMBER.lower()} 8613912345678") == "341002************ 1**********"


def test_feeds_read_after_a_cursor(app, fake_province):
    [first] = fake_province.seed("jobs", [{"province_job_id": "J1", "title": "普工"}])
    fake_province.seed("key-groups", [{"list": "低保", "id_number_digest": "x"}])
    with app.app_context():
        jobs, cursor = province.fetch_jobs(None)
        assert [job["province_job_id"] for job in jobs] == ["J1"] and cursor == first["changed_at"]
        assert province.fetch_jobs(cursor) == ([], cursor)
        fake_province.seed("jobs", [{"province_job_id": "J2"}])
        assert [job["province_job_id"] for job in province.fetch_jobs(cursor)[0]] == ["J2"]
        groups, _ = province.fetch_key_group_lists(None)
    assert groups[0]["list"] == "低保"


def test_production_refuses_the_fakes_settings_once_the_exchange_is_on():
    from app.config import Config, _province_problems

    fake = {
        name: getattr(Config, name) for name in ("PROVINCE_API_BASE", "PROVINCE_CLIENT_ID", "PROVINCE_SECRET")
    }
    assert Config.PROVINCE_EXCHANGE is False
    assert _province_problems({**fake, "PROVINCE_EXCHANGE": False}) == []  # records wait in the outbox
    assert _province_problems({**fake, "PROVINCE_EXCHANGE": True}) == [
        "PROVINCE_API_BASE must be the province's https address (not the development fake)",
        "PROVINCE_CLIENT_ID must be set",
        "PROVINCE_SECRET must be set",
    ]
    real = {
        "PROVINCE_EXCHANGE": True,
        "PROVINCE_API_BASE": "https://jy.example.gov.cn/",
        "PROVINCE_CLIENT_ID": "hs-341000",
        "PROVINCE_SECRET": "a-long-random-secret",
    }
    assert _province_problems(real) == []
