"""The relay end to end against the fake provincial platform: outages, repeats, refusals, order."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Resident, utcnow
from app.models.exchange import ExchangeRecord
from app.services.exchange import relay
from app.services.people.status import record_status
from tests.conftest import ME
from tests.registrations.conftest import registrant  # noqa: F401  (fixture)
from tests.support import error_of

LATER = timedelta(hours=2)  # past every backoff step the tests meet


def ours() -> list[ExchangeRecord]:
    """Return every record, in id order."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ExchangeRecord).order_by(ExchangeRecord.id)))


def drain(rounds: int = 50) -> None:
    """Run the sweep as `flask cron` would, past the backoffs, until nothing is left to send."""
    for _ in range(rounds):
        if not relay.sweep(now=utcnow() + LATER)["batches"]:
            return


def delivered(fake) -> dict[str, int]:
    """Return the fake's deliveries by key."""
    return {record["key"]: record["deliveries"] for record in fake.held()["records"]}


def test_province_down_during_many_changes_each_delivered_once_in_order(
    app,
    client,
    fake_province,
    registrant,  # noqa: F811
):
    fake_province.knobs(down=True)
    people = [registrant(born=f"198{i % 10}0101", name=f"居民{i}") for i in range(12)]
    statuses = ["employed", "unemployed", "flexible", "not_in_labour_force"]
    for step in range(16):
        for _, headers in people:
            change = {"employment_status": statuses[step % len(statuses)]}
            response = client.patch(ME, json=change, headers=headers)
            assert response.status_code == 200, response.get_json()  # answered as usual
    records = ours()
    assert len(records) >= 12 * 16 and {r.status for r in records} == {"pending"}
    assert delivered(fake_province) == {}

    fake_province.knobs(down=False)
    drain()

    records = ours()
    assert {r.status for r in records} == {"sent"}
    assert delivered(fake_province) == {r.idempotency_key: 1 for r in records}
    held = fake_province.held()["subjects"]
    for resident_id, _ in people:
        subject = f"person:{resident_id}"
        expected = [r.idempotency_key for r in records if r.subject == subject]
        assert held[subject] == expected


def test_a_timeout_after_the_province_applied_the_batch_has_no_double_effect(
    app, fake_province, make_resident
):
    app.config["PROVINCE_EXCHANGE"] = False  # the records wait while they are written
    people = [make_resident(status="unemployed", name=f"居民{i}") for i in range(3)]
    app.config["PROVINCE_EXCHANGE"] = True
    fake_province.knobs(timeout_after_accept=1, hang_seconds=1.5)

    first = relay.relay()
    assert first["unavailable"] and {r.status for r in ours()} == {"pending"}
    drain()

    records = ours()
    assert {(r.status, r.last_code) for r in records} == {("sent", "duplicate")}
    assert delivered(fake_province) == {r.idempotency_key: 2 for r in records}  # applied once each
    assert len(fake_province.held()["records"]) == len(people)


def test_acknowledged_twice_is_sent_once(app, fake_province, make_resident):
    fake_province.knobs(ack_twice=True)
    make_resident(status="unemployed")  # the relay runs after the commit
    (record,) = ours()
    assert (record.status, record.last_code) == ("sent", None)
    assert delivered(fake_province) == {record.idempotency_key: 1}


def test_a_rejected_record_is_a_dead_letter_and_goes_after_the_fix(
    app, client, fake_province, make_resident, staff_headers
):
    fake_province.knobs(reject={"person_status": "E_STATUS_CODE"})
    resident = make_resident(status="unemployed")
    record_status(db.session.get(Resident, resident.id), "employed", "staff")
    db.session.commit()
    first, second = ours()
    assert (first.status, first.last_code) == ("dead", "E_STATUS_CODE")
    assert second.status == "pending"  # behind the dead one of the same person

    _, city = staff_headers("city_admin", "city", "341000000000")
    _, supervisor = staff_headers("supervisor", "circle", "341002-chengzhong")
    letters = client.get("/api/v1/exchange/dead-letters", headers=supervisor).get_json()
    assert [(item["id"], item["last_code"]) for item in letters["items"]] == [(first.id, "E_STATUS_CODE")]
    summary = client.get("/api/v1/exchange/summary", headers=city).get_json()
    assert summary["by_status"]["dead"] == 1 and summary["dead_by_code"] == {"E_STATUS_CODE": 1}
    refused = client.post(
        "/api/v1/exchange/dead-letters/resend", json={"code": "E_STATUS_CODE"}, headers=supervisor
    )
    assert refused.status_code == 403

    fake_province.knobs(reset=True)  # the cause fixed (here: the province takes it now)
    resent = client.post("/api/v1/exchange/dead-letters/resend", json={"code": "E_STATUS_CODE"}, headers=city)
    assert resent.get_json() == {"resent": 1}
    assert {r.status for r in ours()} == {"sent"}
    assert fake_province.held()["subjects"][f"person:{resident.id}"] == [
        first.idempotency_key,
        second.idempotency_key,
    ]
    again = client.post("/api/v1/exchange/dead-letters/resend", json={"code": "E_STATUS_CODE"}, headers=city)
    assert again.get_json() == {"resent": 0}


def test_resending_an_unknown_record_is_a_404(client, fake_province, staff_headers):
    _, city = staff_headers("city_admin", "city", "341000000000")
    response = client.post("/api/v1/exchange/records/999999/resend", json={}, headers=city)
    assert response.status_code == 404 and error_of(response)["code"] == "exchange_record_not_found"


def test_the_sweep_takes_back_a_batch_a_dead_worker_left_and_it_arrives_once(
    app, fake_province, make_resident
):
    app.config["PROVINCE_EXCHANGE"] = False
    make_resident(status="unemployed")
    app.config["PROVINCE_EXCHANGE"] = True
    batch = relay.claim(utcnow(), 10)  # a worker took it, then died
    assert [r.status for r in ours()] == ["sending"]
    assert relay.sweep()["reclaimed"] == 0  # not stuck long enough yet
    totals = relay.sweep(now=utcnow() + timedelta(seconds=app.config["EXCHANGE_CLAIM_SECONDS"] + 1))
    assert totals["reclaimed"] == 1 and totals["sent"] == 1
    assert delivered(fake_province) == {batch[0].idempotency_key: 1}
