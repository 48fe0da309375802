"""The province's records built from the ledger: each type in the national format, with its code sets."""

import uuid
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    AuditEvent,
    Certification,
    Claim,
    ExchangeRecord,
    ExchangeRecordType,
    Registration,
    Resume,
)
from app.services.exchange import records
from app.services.exchange.records import NotBuildable
from tests.conftest import make_credit_code, make_id_number
from tests.policies.claims_support import make_version


def note(record_type: str, subject: str, source_id: int, action: str = "create") -> ExchangeRecord:
    """Return an (unsaved) exchange record naming a change."""
    return ExchangeRecord(
        record_type=record_type,
        action=action,
        subject=subject,
        source_id=source_id,
        idempotency_key=f"hs-{uuid.uuid4().hex}",
    )


@pytest.fixture
def reviewer(make_staff):
    """A district admin of 屯溪 (the author and reviewer of the rows written here)."""
    return make_staff("district_admin", "district", "341002000000")


@pytest.fixture
def woman(make_resident):
    """A registered-unemployed woman born 1990-03-07 in 昱中's first community, hard to employ."""
    id_number = make_id_number("19900307")
    while int(id_number[16]) % 2:  # GB 11643: an even 17th digit is a woman
        id_number = make_id_number("19900307")
    resident = make_resident(
        id_number=id_number, status="unemployed_registered", key_groups=("hard_to_employ",)
    )
    return resident, id_number


def places_of(row) -> dict:
    """Return a row's place columns (to place a registration or claim where the person lives)."""
    return {name: getattr(row, name) for name in PLACE_COLUMN_NAMES}


def test_every_record_type_has_a_builder():
    assert set(records.BUILDERS) == {kind.value for kind in ExchangeRecordType}


def test_a_status_change_carries_the_person_basic_data_with_national_codes(app, woman):
    resident, id_number = woman
    db.session.add(Resume(resident_id=resident.id, education="associate"))
    db.session.commit()
    outbox = db.session.scalars(
        sa.select(ExchangeRecord).where(ExchangeRecord.subject == f"person:{resident.id}")
    ).all()
    [record] = [r for r in outbox if r.record_type == "person_status"]
    data = records.build(record)
    assert data["table"] == "DY11"
    assert (data["from_status"], data["to_status"], data["reported_by"]) == (None, "21", "4")
    assert data["changed_on"] == local_day().strftime("%Y%m%d")
    person = data["person"]
    assert person["id_type"] == "01" and person["id_number"] == id_number
    assert (person["gender"], person["birth_date"], person["education"]) == ("2", "19900307", "30")
    # 就业困难人员 as given, 登记失业人员 from the registered status
    assert (person["employment_status"], person["key_groups"]) == ("21", ["01", "02"])
    assert (person["admin_division_code"], person["community_code"]) == ("341002", "341002002001")
    assert "phone" not in str(person) and "13812345678" not in str(data)


def test_one_audit_event_per_transaction_names_the_residents_whose_id_numbers_went(app, make_resident):
    first, second = make_resident(), make_resident()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    for resident in (first, second, first):
        change = resident.status_changes[-1]
        records.build(note("person_status", f"person:{resident.id}", change.id))
    db.session.commit()
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).all()
    assert len(events) == before + 1
    assert events[0].action == "exchange.id_numbers_sent"
    assert events[0].detail == {"residents": sorted([first.id, second.id]), "count": 2}
    db.session.commit()  # nothing decrypted since: no second event
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before + 1


def registration(resident, author, **fields) -> Registration:
    """Write a registration of a resident straight to the table."""
    row = Registration(
        resident_id=resident.id,
        author_id=author.id,
        client_id=uuid.uuid4().hex,
        entered_via="staff",
        **places_of(resident),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_employment_registration_and_its_end(app, woman, reviewer):
    resident, _ = woman
    uscc = make_credit_code()
    row = registration(
        resident,
        reviewer,
        kind="employment",
        status="ended",
        number="E3410022026000001",
        employment_kind="employed",
        employer_name="黄山测试茶业有限公司",
        employer_uscc=uscc.lower(),
        contract_type="open_ended",
        started_on=date(2026, 3, 2),
        accepted_on=date(2026, 3, 5),
        ended_on=date(2026, 9, 30),
        ending_reason="left_job",
    )
    data = records.build(note("employment_registration", f"person:{resident.id}", row.id, "close"))
    assert data["table"] == "DY13" and data["person"]["gender"] == "2"
    assert (data["registration_number"], data["registered_on"]) == ("E3410022026000001", "20260305")
    assert (data["employment_kind"], data["contract_type"], data["started_on"]) == ("1", "2", "20260302")
    assert data["employer_credit_code"] == uscc  # normalised to upper case
    assert (data["ended_on"], data["ending_reason"]) == ("20260930", "31")
    assert data["registering_admin_division_code"] == "341002"


def test_unemployment_registration(app, woman, reviewer):
    resident, _ = woman
    row = registration(
        resident,
        reviewer,
        kind="unemployment",
        status="accepted",
        number="U3410022026000001",
        left_on=date(2026, 1, 31),
        last_employer_name="屯溪某酒店",
        accepted_on=date(2026, 2, 10),
        valid_until=date(2026, 8, 9),
        wants_training=True,
    )
    data = records.build(note("unemployment_registration", f"person:{resident.id}", row.id))
    assert data["table"] == "DY14"
    assert (data["left_on"], data["registered_on"], data["valid_until"]) == (
        "20260131",
        "20260210",
        "20260809",
    )
    assert data["last_employer_credit_code"] is None and data["ending_reason"] is None


def test_key_group_certification(app, woman, reviewer):
    resident, _ = woman
    row = Certification(
        resident_id=resident.id,
        key_group="college_graduate",
        graduation_year=2025,
        status="certified",
        source="staff",
        author_id=reviewer.id,
        client_id=uuid.uuid4().hex,
        reviewer_id=reviewer.id,
        decided_at=datetime(2026, 4, 1, 2, 0),
        valid_from=date(2026, 4, 1),
        valid_until=date(2027, 6, 30),
        **places_of(resident),
    )
    db.session.add(row)
    db.session.commit()
    data = records.build(note("key_group", f"person:{resident.id}", row.id))
    assert (data["table"], data["group"], data["certified"]) == ("DY16", "03", True)
    assert (data["certified_on"], data["valid_from"], data["valid_until"]) == (
        "20260401",
        "20260401",
        "20270630",
    )


def claim(version, author, **fields) -> Claim:
    """Write a paid claim straight to the table."""
    row = Claim(
        policy_id=version.policy_id,
        policy_version_id=version.id,
        period="once",
        status="paid",
        channel="counter",
        author_id=author.id,
        client_id=uuid.uuid4().hex,
        approved_fen=150050,
        decided_at=datetime(2026, 5, 1, 1, 0),
        paid_at=datetime(2026, 5, 20, 17, 30),  # 01:30 on the 21st in Huangshan
        payment_reference="PAY-1",
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_policy_enjoyment_of_a_person_and_of_an_employer(app, woman, reviewer, make_employer):
    resident, id_number = woman
    version = make_version(reviewer.id)
    paid = claim(
        version, reviewer, subject_key=f"r{resident.id}", resident_id=resident.id, **places_of(resident)
    )
    data = records.build(note("policy_enjoyment", f"person:{resident.id}", paid.id))
    assert data["table"] == "DY17" and data["person"]["id_number"] == id_number
    assert (data["policy_code"], data["document_number"]) == (version.policy.code, version.document_number)
    assert (data["amount"], data["approved_on"], data["paid_on"]) == ("1500.50", "20260501", "20260521")
    employer, _ = make_employer()
    paid = claim(version, reviewer, subject_key=f"e{employer.id}", employer_id=employer.id)
    data = records.build(note("policy_enjoyment", f"employer:{employer.id}", paid.id))
    assert "person" not in data and data["employer"]["credit_code"] == employer.credit_code


def test_employer_and_job(app, make_employer, make_job):
    employer, headers = make_employer()
    data = records.build(note("employer", f"employer:{employer.id}", employer.id))
    assert data["table"] == "DY31"
    assert (data["credit_code"], data["industry"], data["size"]) == (employer.credit_code, "C", "3")
    job_id = make_job(headers, education="senior_high", headcount=3)
    data = records.build(note("job", f"job:{job_id}", job_id))
    assert (data["table"], data["occupation"], data["job_kind"]) == ("job_post", "6-02", "1")
    assert (data["education"], data["headcount"], data["wage_unit"]) == ("60", 3, "1")
    assert (data["employer_credit_code"], data["status"]) == (employer.credit_code, "published")
    assert len(data["published_at"]) == 14 and data["closed_at"] is None


def test_a_job_open_to_any_education_sends_none(app, make_employer, make_job):
    _, headers = make_employer()
    job_id = make_job(headers, education="none")
    assert records.build(note("job", f"job:{job_id}", job_id))["education"] is None


def test_records_that_cannot_be_built_say_why(app, make_resident, reviewer, make_employer):
    resident = make_resident()
    change_id = resident.status_changes[-1].id
    with pytest.raises(NotBuildable) as gone:
        records.build(note("unemployment_registration", f"person:{resident.id}", 999999))
    assert gone.value.code == "source_gone"
    resident.id_number_enc = resident.id_number_hmac = resident.id_number_hint = None
    db.session.commit()
    with pytest.raises(NotBuildable) as missing:
        records.build(note("person_status", f"person:{resident.id}", change_id))
    assert missing.value.code == "id_number_missing"
    resident.name = None  # anonymised (services/people/erasure.py)
    db.session.commit()
    with pytest.raises(NotBuildable) as erased:
        records.build(note("person_status", f"person:{resident.id}", change_id))
    assert erased.value.code == "person_erased"
    assert str(resident.id) in str(erased.value)
    employer, _ = make_employer()
    employer.credit_code = "91341002MA0000000X"  # a wrong check character
    db.session.commit()
    with pytest.raises(NotBuildable) as bad:
        records.build(note("employer", f"employer:{employer.id}", employer.id))
    assert bad.value.code == "credit_code_invalid"
