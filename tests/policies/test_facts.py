"""The facts gathered from the ledger: one resident's, an employer's, and in bulk in bounded queries."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.models import (
    Application,
    Certification,
    Household,
    Registration,
    Resident,
    ResidentKeyGroup,
    Resume,
    StatusChange,
)
from app.services.policies import facts, ledger_facts
from tests.conftest import make_id_number

TODAY = date(2026, 12, 5)


@pytest.fixture
def reviewer(make_staff):
    return make_staff("district_admin", "district", "341002000000")


def certify(resident, group, reviewer, since, until=None, graduation_year=None):
    """Certify a key group on evidence, as a reviewer would."""
    certification = Certification(
        resident_id=resident.id,
        key_group=group,
        graduation_year=graduation_year,
        status="certified",
        source="staff",
        author_id=reviewer.id,
        client_id=f"cert-{resident.id}-{group}",
        reviewer_id=reviewer.id,
        valid_from=since,
        valid_until=until,
    )
    db.session.add(certification)
    db.session.flush()
    db.session.add(
        ResidentKeyGroup(
            resident_id=resident.id,
            key_group=group,
            since=since,
            until=until,
            source="staff",
            verified_by_id=reviewer.id,
            certification_id=certification.id,
        )
    )


def register(resident, kind, author, **fields):
    """Write an accepted registration of a kind."""
    registration = Registration(
        kind=kind,
        status=fields.pop("status", "accepted"),
        resident_id=resident.id,
        author_id=author.id,
        client_id=f"reg-{resident.id}-{kind}-{fields.get('employer_id')}",
        entered_via="staff",
        **fields,
    )
    db.session.add(registration)
    return registration


def test_a_resident_s_facts(make_resident, reviewer):
    resident = make_resident(id_number=make_id_number("19901205"), key_groups=["veteran"])
    certify(resident, "disabled", reviewer, since=date(2026, 1, 1))
    certify(resident, "college_graduate", reviewer, since=date(2025, 7, 1), graduation_year=2025)
    certify(
        resident, "poverty_alleviated", reviewer, since=date(2020, 1, 1), until=date(2026, 12, 4)
    )  # ended
    register(resident, "unemployment", reviewer, accepted_on=date(2026, 11, 5), valid_until=date(2027, 5, 5))
    household = Household(key="H1", zero_employment_since=date(2026, 10, 1))
    db.session.add(household)
    db.session.flush()
    resident.household_id = household.id
    db.session.add(Resident(name="家人", household_id=household.id))
    db.session.add(Resume(resident_id=resident.id, education="bachelor"))
    # The ledger wrote the group and the status "today" (the wall clock): move them before TODAY.
    db.session.execute(
        sa.update(ResidentKeyGroup).where(ResidentKeyGroup.since > TODAY).values(since=date(2026, 1, 1))
    )
    db.session.execute(
        sa.update(StatusChange)
        .where(StatusChange.resident_id == resident.id)
        .values(occurred_at=datetime(2026, 9, 1))
    )
    db.session.commit()

    found = ledger_facts.person_facts([resident.id], TODAY)[resident.id]
    assert found["age"] == 36  # born 5 December 1990: a birthday today counts
    assert found["gender"] in ("male", "female")
    assert found["employment_status"] == "unemployed"
    assert found["status_days"] == (TODAY - date(2026, 9, 1)).days
    assert found["unemployment_registered"] is True
    assert found["unemployment_registered_days"] == 30
    assert found["employment_registered"] is False and found["employment_kind"] is None
    assert found["key_groups"] == ["college_graduate", "disabled"]  # certified, in force
    assert found["declared_key_groups"] == ["veteran"]  # set without evidence
    assert found["zero_employment_household"] is True and found["household_size"] == 2
    assert found["education"] == "bachelor"
    assert found["graduation_year"] == 2025 and found["years_since_graduation"] == 1
    assert (found["district_code"], found["township_code"], found["community_code"]) == (
        "341002000000",
        "341002002000",
        "341002002001",
    )
    assert found["hired_days"] is None and found["hires_count"] == 0
    assert set(found) == set(facts.SUBJECT_FACTS["person"])


def test_facts_follow_the_day_asked_about(make_resident, reviewer):
    resident = make_resident(id_number=make_id_number("20101205"))
    certify(resident, "disabled", reviewer, since=date(2026, 12, 6))  # starts tomorrow
    register(resident, "unemployment", reviewer, accepted_on=date(2026, 11, 5), valid_until=date(2026, 12, 4))
    household = Household(key="H2", zero_employment_since=date(2026, 12, 6))
    db.session.add(household)
    db.session.flush()
    resident.household_id = household.id
    db.session.commit()
    today = ledger_facts.person_facts([resident.id], TODAY)[resident.id]
    assert today["age"] == 16  # turns 16 today
    assert ledger_facts.person_facts([resident.id], TODAY - timedelta(days=1))[resident.id]["age"] == 15
    assert today["key_groups"] == [] and today["zero_employment_household"] is False
    assert today["unemployment_registered"] is False  # lapsed yesterday
    later = ledger_facts.person_facts([resident.id], date(2026, 12, 6))[resident.id]
    assert later["key_groups"] == ["disabled"] and later["zero_employment_household"] is True


def test_employment_registration_and_hires(make_resident, make_employer, make_job, reviewer):
    employer, employer_headers = make_employer()
    job_id = make_job(employer_headers)
    resident = make_resident(status="employed")
    register(
        resident,
        "employment",
        reviewer,
        employment_kind="flexible",
        started_on=date(2026, 11, 25),
        employer_id=employer.id,
    )
    db.session.add(
        Application(
            job_id=job_id,
            resident_id=resident.id,
            employer_id=employer.id,
            status="hired",
            status_changed_at=datetime(2026, 11, 20, 2),
        )
    )
    db.session.commit()
    found = ledger_facts.person_facts([resident.id], TODAY)[resident.id]
    assert found["employment_registered"] is True and found["employment_kind"] == "flexible"
    assert found["employment_registered_days"] == 10
    assert found["hired_days"] == 15 and found["hires_count"] == 1


def test_an_employer_s_facts(make_resident, make_employer, reviewer):
    employer, _ = make_employer()
    disabled = make_resident(status="employed")
    certify(disabled, "disabled", reviewer, since=date(2026, 1, 1))
    certified_later = make_resident(status="employed")
    certify(certified_later, "veteran", reviewer, since=date(2026, 11, 1))  # after their first day
    plain = make_resident(status="employed")
    old = make_resident(status="employed")
    register(disabled, "employment", reviewer, employer_id=employer.id, started_on=date(2026, 6, 1))
    register(certified_later, "employment", reviewer, employer_id=employer.id, started_on=date(2026, 3, 1))
    register(
        plain, "employment", reviewer, employer_id=employer.id, started_on=date(2026, 2, 1), status="ended"
    )
    register(
        old, "employment", reviewer, employer_id=employer.id, started_on=date(2025, 12, 5)
    )  # 365 days ago
    db.session.commit()
    found = ledger_facts.employer_facts([employer.id], TODAY)[employer.id]
    assert found == {
        "employer_status": "verified",
        "size": "small",
        "industry": "tea_processing",
        "verified": True,
        "hires_12m": 3,
        "key_group_hires_12m": 1,
        "hires_by_key_group": {"disabled": 1},
        "insured_staff": None,
        "district_code": "341002000000",
    }


def test_a_bulk_call_issues_a_bounded_number_of_queries(app, make_resident, reviewer):
    people = [make_resident(phone=None) for _ in range(200)]
    for person in people[::3]:
        certify(person, "disabled", reviewer, since=date(2026, 1, 1))
        register(person, "unemployment", reviewer, accepted_on=date(2026, 11, 1))
    db.session.commit()
    ids = [person.id for person in people]
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def run(chosen, only=None):
        statements.clear()
        db.session.expire_all()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            found = ledger_facts.person_facts(chosen, TODAY, only=only)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return found, len(statements)

    found, many = run(ids)
    _, few = run(ids[:5])
    assert len(found) == 200 and sum(1 for f in found.values() if f["key_groups"] == ["disabled"]) == 67
    assert many == few <= 12, many  # the same handful of grouped queries, whatever the number of people
    original = ledger_facts.CHUNK
    ledger_facts.CHUNK = 50  # four chunks: four times the handful, never one per person
    try:
        _, chunked = run(ids)
    finally:
        ledger_facts.CHUNK = original
    assert chunked <= 4 * few

    # The batch asks only for what its rules read: the same values, fewer queries.
    narrow, narrow_count = run(ids, only={"age", "key_groups"})
    assert narrow_count < many
    person = ids[0]
    assert set(narrow[person]) == {"age", "key_groups", "district_code", "township_code", "community_code"}
    assert all(narrow[i]["key_groups"] == found[i]["key_groups"] for i in ids)
    assert all(narrow[i]["age"] == found[i]["age"] for i in ids)


def test_unknown_ids_are_left_out(make_resident):
    assert ledger_facts.person_facts([987654], TODAY) == {}
    assert ledger_facts.employer_facts([987654], TODAY) == {}


def test_answers_become_facts():
    answered = facts.answers_to_facts(
        {
            "age": 30,
            "key_groups": ["disabled", "disabled"],
            "unemployment_registered": True,
            "graduation_year": 2024,
        },
        "person",
        TODAY,
    )
    assert answered["age"] == 30 and answered["key_groups"] == ["disabled"]
    assert answered["years_since_graduation"] == 2
    assert answered["zero_employment_household"] is False and answered["education"] is None


@pytest.mark.parametrize(
    ("answers", "field", "code"),
    [
        ({"salary": 1}, "answers.salary", "unknown_fact"),
        ({"hires_12m": 1}, "answers.hires_12m", "unknown_fact"),
        ({"age": "30"}, "answers.age", "invalid_answer"),
        ({"age": -1}, "answers.age", "invalid_answer"),
        ({"age": True}, "answers.age", "invalid_answer"),
        ({"unemployment_registered": "yes"}, "answers.unemployment_registered", "invalid_answer"),
        ({"key_groups": ["astronaut"]}, "answers.key_groups", "invalid_answer"),
        ({"employment_status": "asleep"}, "answers.employment_status", "invalid_answer"),
    ],
)
def test_bad_answers_are_refused_naming_the_answer(answers, field, code):
    with pytest.raises(ValidationFailed) as refused:
        facts.answers_to_facts(answers, "person", TODAY)
    assert refused.value.field == field and refused.value.code == code
