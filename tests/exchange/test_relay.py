"""The relay's rules, the province stubbed: order per subject, outcomes, backoff, dead letters, reclaim."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import province
from app.extensions import db
from app.models import AuditEvent, utcnow
from app.models.exchange import ExchangeRecord
from app.province import ProvinceUnavailable, RecordResult
from app.services.exchange import records, relay
from tests.support import count


class StubProvince:
    """Stands in for app.province.upload: keeps each batch's keys, answers by a rule per key."""

    def __init__(self):
        self.batches: list[list[str]] = []
        self.down = False
        self.answers: dict[str, RecordResult] = {}  # key -> a set answer (else accepted)
        self.silent: set[str] = set()  # keys the answer leaves out

    def upload(self, records: list[dict]) -> list[RecordResult]:
        """Answer a batch as told."""
        self.batches.append([record["key"] for record in records])
        if self.down:
            raise ProvinceUnavailable("province answered 503")
        return [
            self.answers.get(r["key"], RecordResult(r["key"], RecordResult.ACCEPTED, province_id="P1"))
            for r in records
            if r["key"] not in self.silent
        ]


@pytest.fixture
def stub(app, monkeypatch):
    """The province stubbed and the exchange on; records built without the national mapping."""
    fake = StubProvince()
    monkeypatch.setattr(province, "upload", fake.upload)
    monkeypatch.setattr(
        relay,
        "_build",
        lambda r: {"key": r.idempotency_key, "type": r.record_type, "action": r.action, "subject": r.subject},
    )
    app.config.update(PROVINCE_EXCHANGE=True, PROVINCE_BATCH=10, EXCHANGE_RETRY_SECONDS=(30, 60))
    return fake


def add(subject: str, n: int = 1, **columns) -> list[ExchangeRecord]:
    """Write n records of a subject straight to the outbox (as emission does)."""
    rows = [
        ExchangeRecord(
            record_type="person_status",
            action="create",
            subject=subject,
            source_id=i + 1,
            idempotency_key=f"hs-{subject}-{count(ExchangeRecord) + i}",
            **columns,
        )
        for i in range(n)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def states() -> dict[str, tuple]:
    """Return each record's (status, attempts, last_code) by key."""
    db.session.expire_all()
    return {r.idempotency_key: (r.status, r.attempts, r.last_code) for r in db.session.query(ExchangeRecord)}


def test_records_of_one_subject_go_one_per_batch_in_order_and_others_alongside(app, stub):
    a = [r.idempotency_key for r in add("person:1", 3)]
    b = [r.idempotency_key for r in add("person:2", 1)]
    totals = relay.relay()
    assert stub.batches == [[a[0], b[0]], [a[1]], [a[2]]]
    assert totals["sent"] == 4 and totals["batches"] == 3
    assert {s for s, _, _ in states().values()} == {"sent"}


def test_nothing_is_sent_while_the_exchange_is_off(app, stub):
    app.config["PROVINCE_EXCHANGE"] = False
    add("person:1")
    assert relay.relay()["batches"] == 0
    assert stub.batches == [] and list(states().values()) == [("pending", 0, None)]


def test_a_rejected_record_goes_dead_with_its_reason_masked_and_holds_back_its_subject(app, stub):
    first, second = add("person:1", 2)
    other = add("person:2")[0]
    stub.answers[first.idempotency_key] = RecordResult(
        first.idempotency_key, RecordResult.REJECTED, "E_CODE", "bad 34100219900307123X 13812345678"
    )
    relay.relay()
    db.session.expire_all()
    dead = db.session.get(ExchangeRecord, first.id)
    assert (dead.status, dead.last_code) == ("dead", "E_CODE")
    assert "34100219900307123X" not in dead.last_error and "13812345678" not in dead.last_error
    assert db.session.get(ExchangeRecord, second.id).status == "pending"  # waits behind the dead one
    assert db.session.get(ExchangeRecord, other.id).status == "sent"
    assert stub.batches == [[first.idempotency_key, other.idempotency_key]]


def test_a_retry_answer_and_a_missing_answer_wait_their_backoff(app, stub):
    asked, unanswered = add("person:1")[0], add("person:2")[0]
    stub.answers[asked.idempotency_key] = RecordResult(asked.idempotency_key, RecordResult.RETRY, "BUSY")
    stub.silent.add(unanswered.idempotency_key)
    now = utcnow()
    relay.relay(now=now)
    db.session.expire_all()
    for record, code in ((asked, "BUSY"), (unanswered, relay.NOT_ANSWERED)):
        row = db.session.get(ExchangeRecord, record.id)
        assert (row.status, row.attempts, row.last_code) == ("pending", 1, code)
        assert abs((row.next_attempt_at - (now + timedelta(seconds=30))).total_seconds()) < 2
    assert relay.relay(now=now + timedelta(seconds=10))["batches"] == 0  # not due yet
    stub.answers.clear(), stub.silent.clear()
    assert relay.relay(now=now + timedelta(seconds=31))["sent"] == 2


def test_the_province_down_puts_the_batch_back_and_stops_until_it_is_due_again(app, stub):
    add("person:1", 2)
    add("person:2")
    stub.down = True
    now = utcnow()
    totals = relay.relay(now=now)
    assert totals["unavailable"] and totals["batches"] == 1 and len(stub.batches) == 1
    assert sorted(states().values()) == [
        ("pending", 0, None),
        ("pending", 1, "unavailable"),
        ("pending", 1, "unavailable"),
    ]
    relay.relay(now=now + timedelta(seconds=31))  # the second step of the schedule: 60 s
    assert sorted(s[1] for s in states().values()) == [0, 2, 2]
    stub.down = False
    assert relay.relay(now=now + timedelta(seconds=31 + 61))["sent"] == 3


def test_a_record_failing_too_long_is_dead_and_a_resend_sends_it_and_those_behind(
    app, stub, staff_headers, client
):
    app.config["EXCHANGE_MAX_ATTEMPTS"] = 2
    first, second = add("person:1", 2)
    stub.down = True
    now = utcnow()
    relay.relay(now=now)
    relay.relay(now=now + timedelta(hours=1))
    assert states()[first.idempotency_key] == ("dead", 2, relay.TOO_MANY_ATTEMPTS)
    stub.down = False
    assert relay.relay(now=now + timedelta(hours=2))["batches"] == 0  # the later one waits
    _, headers = staff_headers("city_admin", "city", "341000000000")
    response = client.post(f"/api/v1/exchange/records/{first.id}/resend", json={}, headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] in ("pending", "sent")
    relay.relay(now=utcnow() + timedelta(seconds=1))
    assert {s for s, _, _ in states().values()} == {"sent"}


def test_a_duplicate_acknowledgement_counts_as_sent(app, stub):
    record = add("person:1")[0]
    stub.answers[record.idempotency_key] = RecordResult(record.idempotency_key, RecordResult.DUPLICATE)
    relay.relay()
    assert states()[record.idempotency_key] == ("sent", 1, "duplicate")


def test_a_record_that_cannot_be_built_is_dead_and_the_batch_goes_on(app, stub, monkeypatch):
    broken, fine = add("person:1")[0], add("person:2")[0]

    def build(record):
        if record.id == broken.id:
            raise ValueError("no such row")
        return {"key": record.idempotency_key, "type": "person_status", "action": "create", "subject": "x"}

    monkeypatch.setattr(relay, "_build", build)
    relay.relay()
    assert states()[broken.idempotency_key] == ("dead", 1, relay.BUILD_FAILED)
    assert states()[fine.idempotency_key][0] == "sent"


def test_a_failed_build_does_not_undo_an_earlier_record_settled_in_the_same_batch(app, stub, monkeypatch):
    unfixed, broken = add("person:1")[0], add("person:2")[0]

    def build(record):
        if record.id == unfixed.id:
            raise records.NotBuildable(records.NO_ID_NUMBER, "cannot be built")
        raise ValueError("no such row")

    monkeypatch.setattr(relay, "_build", build)
    relay.relay()
    assert states()[unfixed.idempotency_key] == ("dead", 1, records.NO_ID_NUMBER)  # not left `sending`
    assert states()[broken.idempotency_key] == ("dead", 1, relay.BUILD_FAILED)


def test_the_sweep_takes_back_a_batch_left_sending_and_sends_it(app, stub):
    stuck = add("person:1", status="sending", claimed_at=utcnow() - timedelta(minutes=10), attempts=1)[0]
    recent = add("person:2", status="sending", claimed_at=utcnow(), attempts=1)[0]
    totals = relay.sweep()
    assert totals["reclaimed"] == 1 and totals["sent"] == 1
    assert states()[stuck.idempotency_key] == ("sent", 2, None)
    assert states()[recent.idempotency_key][0] == "sending"  # its worker may still be at it


def test_two_relays_never_claim_the_same_record(app, stub):
    add("person:1")
    add("person:2")
    now = utcnow()
    first = relay.claim(now, 10)
    assert len(first) == 2 and relay.claim(now, 10) == []


def test_a_record_of_an_erased_person_is_settled_unsent_and_one_to_fix_is_dead(app, stub, monkeypatch):
    erased, unfixed, behind = add("person:1")[0], add("person:2")[0], add("person:1")[0]
    reasons = {erased.id: records.PERSON_ERASED, unfixed.id: records.NO_ID_NUMBER}

    def build(record):
        if record.id in reasons:
            raise records.NotBuildable(reasons[record.id], "cannot be built")
        return {"key": record.idempotency_key, "type": "person_status", "action": "create", "subject": "x"}

    monkeypatch.setattr(relay, "_build", build)
    relay.relay()
    db.session.expire_all()
    settled = db.session.get(ExchangeRecord, erased.id)
    assert (settled.status, settled.last_code, settled.sent_at) == ("sent", records.PERSON_ERASED, None)
    assert states()[unfixed.idempotency_key] == ("dead", 1, records.NO_ID_NUMBER)
    assert states()[behind.idempotency_key][0] == "sent"  # nothing waits for a person erased
    assert stub.batches == [[behind.idempotency_key]]


def test_a_resend_is_audited_and_only_the_city_administration_may(app, stub, staff_headers, client):
    record = add("person:1", status="dead", last_code="E_X")[0]
    _, supervisor = staff_headers("supervisor", "circle", "341002-chengzhong")
    url = f"/api/v1/exchange/records/{record.id}/resend"
    assert client.post(url, json={}, headers=supervisor).status_code == 403
    _, city = staff_headers("city_admin", "city", "341000000000")
    app.config["PROVINCE_EXCHANGE"] = False  # so it stays pending for the look below
    response = client.post(url, json={"note": "代码表已更正"}, headers=city)
    assert response.status_code == 200 and response.get_json()["status"] == "pending"
    assert client.post(url, json={}, headers=city).get_json()["status"] == "pending"  # a retry: no change
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "exchange.resend")).all()
    assert [event.detail["note"] for event in events] == ["代码表已更正"]
