"""Each change the province must see writes its record in the change's own transaction."""

from datetime import timedelta
from io import BytesIO

import sqlalchemy as sa

from app.extensions import db
from app.models import Job, OutboxTask, Resident, StatusChange, utcnow
from app.models.exchange import ExchangeRecord
from app.services.jobs import posts
from app.services.people.status import record_status
from tests.conftest import ME
from tests.registrations.conftest import desk, registrant  # noqa: F401  (fixtures)
from tests.registrations.test_certifications import applicant, certify, pending_with_evidence
from tests.registrations.test_unemployment import apply, step
from tests.support import make_household, publish


def records(*where) -> list[tuple]:
    """Return (type, action, subject, source id) of the records, in id order."""
    rows = db.session.scalars(sa.select(ExchangeRecord).where(*where).order_by(ExchangeRecord.id))
    return [(r.record_type, r.action, r.subject, r.source_id) for r in rows]


def relay_tasks() -> int:
    """Count the exchange.relay tasks enqueued through the outbox."""
    return db.session.scalar(sa.select(sa.func.count()).where(OutboxTask.task == "exchange.relay"))


def last_change(resident_id: int) -> int:
    """Return the id of a resident's latest status change."""
    latest = sa.select(sa.func.max(StatusChange.id)).where(StatusChange.resident_id == resident_id)
    return db.session.scalar(latest)


def test_a_status_change_writes_one_record_with_a_stable_key(client, registrant):  # noqa: F811
    resident_id, headers = registrant(status="unemployed")
    before = records()
    response = client.patch(ME, json={"employment_status": "employed"}, headers=headers)
    assert response.status_code == 200
    new = records()[len(before) :]
    assert new == [("person_status", "create", f"person:{resident_id}", last_change(resident_id))]
    key = db.session.scalar(sa.select(ExchangeRecord.idempotency_key).order_by(ExchangeRecord.id.desc()))
    assert key.startswith("hs-") and len(key) <= 64


def test_a_rolled_back_change_leaves_no_record(app, make_resident):
    resident = make_resident(status="unemployed")
    before = len(records())
    record_status(db.session.get(Resident, resident.id), "employed", "staff")
    db.session.rollback()
    assert len(records()) == before


def test_new_residents_get_their_records_once_their_ids_exist_in_order(app, places):
    household = make_household("341002002001", [("甲", "unemployed", None), ("乙", "employed", None)])
    first, second = sorted(member.id for member in household.members)
    assert records() == [
        ("person_status", "create", f"person:{first}", last_change(first)),
        ("person_status", "create", f"person:{second}", last_change(second)),
    ]


def test_one_relay_task_per_transaction_and_none_while_the_exchange_is_off(app, make_resident):
    first, second = make_resident(status="unemployed"), make_resident(status="unemployed")
    assert relay_tasks() == 0  # off: the records wait for the sweep
    app.config["PROVINCE_EXCHANGE"] = True
    for person in (first, second):
        record_status(db.session.get(Resident, person.id), "employed", "staff")
    db.session.commit()
    assert relay_tasks() == 1


def test_an_unemployment_registration_taking_effect_and_ending(client, registrant, desk):  # noqa: F811
    resident_id, headers = registrant()
    registration_id = apply(client, headers).get_json()["id"]
    assert step(client, desk[1], registration_id, "accept").status_code == 200
    person = f"person:{resident_id}"
    assert records(ExchangeRecord.record_type != "person_status") == [
        ("unemployment_registration", "create", person, registration_id)
    ]
    assert step(client, desk[1], registration_id, "end", {"reason": "已就业"}).status_code == 200
    assert records(ExchangeRecord.record_type != "person_status")[-1] == (
        "unemployment_registration",
        "close",
        person,
        registration_id,
    )
    # Each moved the ledger too, and the status records follow in order.
    statuses = [r for r in records(ExchangeRecord.subject == person) if r[0] == "person_status"]
    assert len(statuses) == 3  # unemployed (profile), unemployed_registered, unemployed again


def test_a_job_published_closed_and_an_employer_verified(client, staff_headers, make_job, make_employer):
    employer, employer_headers = make_employer(verified=False)
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")
    licence = ("licence.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    upload = client.post(
        f"/api/v1/employers/{employer.id}/licence",
        data={"file": (BytesIO(licence[1]), licence[0], "image/png")},
        headers=employer_headers,
    )
    assert upload.status_code == 200, upload.get_json()
    verify = client.post(
        f"/api/v1/employers/{employer.id}/verify", json={"decision": "verified"}, headers=operator
    )
    assert verify.status_code == 200, verify.get_json()
    assert records() == [("employer", "create", f"employer:{employer.id}", employer.id)]

    job_id = publish(client, staff_headers, make_job, employer_headers)
    assert client.post(f"/api/v1/jobs/{job_id}/close", headers=employer_headers).status_code == 200
    assert records(ExchangeRecord.record_type == "job") == [
        ("job", "create", f"job:{job_id}", job_id),
        ("job", "close", f"job:{job_id}", job_id),
    ]


def test_an_expired_job_is_closed_for_the_province(client, staff_headers, make_job, make_employer):
    _, employer_headers = make_employer()
    job_id = publish(client, staff_headers, make_job, employer_headers)
    db.session.get(Job, job_id).valid_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert posts.expire_jobs() == 1
    assert records(ExchangeRecord.record_type == "job")[-1] == ("job", "close", f"job:{job_id}", job_id)


def test_a_key_group_certified_is_one_record_about_the_person(client, wechat_login, operator):
    headers, resident_id = applicant(client, wechat_login)
    certification_id = pending_with_evidence(client, headers)
    assert records(ExchangeRecord.record_type == "key_group") == []  # applied for: not yet
    assert certify(client, operator[1], certification_id).status_code == 200
    assert records(ExchangeRecord.record_type == "key_group") == [
        ("key_group", "create", f"person:{resident_id}", certification_id)
    ]
