"""Policies find people: a publish matches the ledger, a change re-matches the person, lapses, claims stay."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models.policy_matches import MatchStatus, PolicyMatch
from app.services.policies import candidates, catalogue, matching
from tests.policies.matching_support import (
    FLEXIBLE,
    REGISTERED_UNEMPLOYED,
    admins,
    match_set,
    matches,
    publish,
    resident,
    set_status,
)


@pytest.fixture
def two_admins(make_staff, places):
    return admins(make_staff)


def test_publishing_a_version_matches_the_ledger_with_trace_amount_deadline_and_place(two_admins):
    registered = resident(status="unemployed_registered", age=30)
    old = resident(status="unemployed_registered", age=65)
    working = resident(status="employed", age=30)

    version_id = publish(*two_admins, REGISTERED_UNEMPLOYED, benefit={"kind": "fixed", "amount": 1000})

    (match,) = matches()
    assert (match.resident_id, match.policy_version_id, match.status) == (
        registered.id,
        version_id,
        "qualified",
    )
    assert match.subject_key == f"r{registered.id}"
    assert match.amount_fen == 100_000
    assert match.claim_deadline == local_day(match.matched_at) + timedelta(days=90)
    assert match.community_id == registered.community_id and match.district_id == registered.district_id
    assert match.facts == {"employment_status": "unemployed_registered", "age": 30}
    assert [item["held"] for item in match.trace] == [True, True, True]
    assert all(item["text"] for item in match.trace)
    assert {old.id, working.id}.isdisjoint({m.resident_id for m in matches()})


def test_a_status_change_matches_that_person_and_only_that_person(two_admins, monkeypatch):
    person = resident(status="unemployed", age=35)
    neighbour = resident(status="unemployed", age=35)
    publish(*two_admins, REGISTERED_UNEMPLOYED)
    assert matches() == []
    weighed = []
    real = matching._Run.chunk
    monkeypatch.setattr(matching._Run, "chunk", lambda run, ids: weighed.append(list(ids)) or real(run, ids))

    set_status(person.id, "unemployed_registered")

    assert weighed == [[person.id]]  # one task for the transaction, one person re-evaluated
    assert [(m.resident_id, m.status) for m in matches()] == [(person.id, "qualified")]
    assert neighbour.id not in {m.resident_id for m in matches()}


def test_a_person_who_no_longer_qualifies_lapses_and_qualifying_again_revives_the_match(two_admins):
    person = resident(status="unemployed_registered", age=40)
    publish(*two_admins, REGISTERED_UNEMPLOYED)
    (first,) = matches()

    set_status(person.id, "employed")
    (lapsed,) = matches()
    assert (lapsed.id, lapsed.status) == (first.id, "lapsed") and lapsed.lapsed_at is not None

    set_status(person.id, "unemployed_registered")
    (again,) = matches()
    assert (again.id, again.status, again.lapsed_at) == (first.id, "qualified", None)


def test_a_claimed_match_is_never_lapsed(two_admins):
    person = resident(status="unemployed_registered", age=40)
    publish(*two_admins, REGISTERED_UNEMPLOYED)
    (match,) = matches()
    matching.mark_claimed(match)
    db.session.commit()

    set_status(person.id, "employed")
    matching.match_all()

    assert [m.status for m in matches()] == ["claimed"]
    assert matching.current_match(f"r{person.id}", match.policy_id) is None  # claimed: not offered again


def test_mark_claimed_twice_is_a_conflict(two_admins):
    resident(status="unemployed_registered", age=40)
    publish(*two_admins, REGISTERED_UNEMPLOYED)
    (match,) = matches()
    matching.mark_claimed(match)
    db.session.commit()
    with pytest.raises(Exception) as refused:
        matching.mark_claimed(db.session.get(PolicyMatch, match.id))
    assert getattr(refused.value, "code", None) == "match_not_qualified"


def test_a_new_version_lapses_the_old_ones_matches_and_current_match_follows_it(two_admins):
    person = resident(status="unemployed_registered", age=40)
    first = publish(*two_admins, REGISTERED_UNEMPLOYED)
    policy_id = catalogue.get_version(first).policy_id
    assert matching.current_match(f"r{person.id}", policy_id).policy_version_id == first

    second = publish(
        *two_admins, REGISTERED_UNEMPLOYED, benefit={"kind": "fixed", "amount": 2000}, policy_id=policy_id
    )

    statuses = {m.policy_version_id: (m.status, m.amount_fen) for m in matches()}
    assert statuses == {first: ("lapsed", 100_000), second: ("qualified", 200_000)}
    assert matching.current_match(f"r{person.id}", policy_id).policy_version_id == second


def test_withdrawing_a_policy_lapses_its_matches(two_admins, make_staff):
    resident(status="unemployed_registered", age=40)
    author, publisher = two_admins
    version_id = publish(author, publisher, REGISTERED_UNEMPLOYED)
    catalogue.withdraw(publisher, catalogue.get_version(version_id).policy_id, None)
    assert [m.status for m in matches()] == ["lapsed"]


def test_the_place_filter_keeps_a_township_policy_to_its_township(two_admins):
    inside = resident(community="341002002001", status="flexible", age=30)  # 昱中街道
    outside = resident(community="341002001001", status="flexible", age=30)  # 昱东 (another township)
    publish(*two_admins, FLEXIBLE, place_codes=["341002002000"])
    assert {m.resident_id for m in matches()} == {inside.id}
    assert outside.id not in {m.resident_id for m in matches()}


def test_the_batch_and_the_incremental_path_give_the_same_matches(two_admins, monkeypatch):
    people = [
        resident(status=status, age=age)
        for status in ("unemployed_registered", "flexible", "employed", "unemployed")
        for age in (15, 30, 59, 61)
        for _twice in range(2)
    ]
    monkeypatch.setattr(matching, "CHUNK", 3)  # several chunks, a memo across them
    publish(*two_admins, REGISTERED_UNEMPLOYED)
    publish(*two_admins, FLEXIBLE, title="灵活就业社会保险补贴")
    batch = match_set()
    assert len(batch) == 10  # two each: registered aged 30 and 59; flexible aged 15, 30 and 59

    db.session.execute(sa.delete(PolicyMatch))
    db.session.commit()
    for person in people:
        matching.match_residents([person.id])
    assert match_set() == batch

    db.session.execute(sa.delete(PolicyMatch))
    db.session.commit()
    counts = matching.match_all()["person"]
    assert match_set() == batch
    # Of 32 people the prefilter lets through the 14 registered or flexible within the widened ages
    # (7 shapes of status and age), and the memo evaluates each shape once per policy.
    assert (counts["subjects"], counts["evaluations"], counts["inserted"]) == (14, 14, 10)

    again = matching.match_all()["person"]
    assert (again["inserted"], again["lapsed"]) == (0, 0) and match_set() == batch


def test_matching_again_changes_nothing_and_counts_no_new_match(two_admins):
    resident(status="unemployed_registered", age=30)
    version_id = publish(*two_admins, REGISTERED_UNEMPLOYED)
    before = [(m.id, m.matched_at, m.status) for m in matches()]
    assert matching.match_version(version_id)["inserted"] == 0
    assert [(m.id, m.matched_at, m.status) for m in matches()] == before
    assert all(m.status == MatchStatus.qualified for m in matches())


def test_the_prefilter_only_skips_people_who_cannot_qualify(two_admins, monkeypatch):
    today = local_day()
    conditions = [
        {"==": [{"var": "employment_status"}, "flexible"]},
        {"in": [{"var": "employment_status"}, ["employed", "flexible"]]},
        {">=": [{"var": "age"}, 16]},
        {"<": [60, {"var": "age"}]},
        {
            "or": [
                {"in": ["veteran", {"var": "key_groups"}]},
                {"in": ["veteran", {"var": "declared_key_groups"}]},
            ]
        },
        {"==": [{"var": "zero_employment_household"}, True]},
    ]
    assert all(candidates.clause(c, today) is not None for c in conditions)
    # A fact the residents table does not hold, an "or" with such a part: nothing derived.
    assert candidates.clause({">=": [{"var": "status_days"}, 30]}, today) is None
    assert (
        candidates.clause({"or": [conditions[0], {"==": [{"var": "education"}, "bachelor"]}]}, today) is None
    )

    everyone = [resident(status=s, age=30) for s in ("flexible", "employed", "student")]
    version_id = publish(*two_admins, {"and": [{"!=": [{"var": "employment_status"}, "student"]}]})
    counts = matching.match_version(version_id)
    assert counts["subjects"] == 3  # nothing derivable: the whole ledger is weighed
    assert {m.resident_id for m in matches()} == {everyone[0].id, everyone[1].id}


def test_one_transaction_changing_several_people_writes_one_rematch_and_a_rollback_none(two_admins):
    from app.models import OutboxTask, Resident
    from app.services.people.status import record_status

    first, second = resident(status="unemployed", age=30), resident(status="unemployed", age=40)
    publish(*two_admins, REGISTERED_UNEMPLOYED)
    before = db.session.scalar(sa.select(sa.func.max(OutboxTask.id)))

    for person in (first, second):
        record_status(db.session.get(Resident, person.id), "unemployed_registered", "staff")
    db.session.commit()

    (row,) = db.session.scalars(sa.select(OutboxTask).where(OutboxTask.id > before)).all()
    assert row.task == "policies.rematch_people"
    assert row.args == [sorted([first.id, second.id])] and row.enqueued_at is not None
    assert {m.resident_id for m in matches()} == {first.id, second.id}

    record_status(db.session.get(Resident, first.id), "employed", "staff")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).where(OutboxTask.id > before)) == 1
    assert [m.status for m in matches()] == ["qualified", "qualified"]


def test_a_household_losing_its_zero_employment_flag_re_matches_every_member(two_admins):
    from tests.support import new_household

    household = new_household("341002002001", [("unemployed", "19850101"), ("unemployed", "19900101")])
    first, second = (member.id for member in household.members)
    publish(
        *two_admins, {"and": [{"==": [{"var": "zero_employment_household"}, True]}]}, title="零就业家庭援助"
    )
    assert {(m.resident_id, m.status) for m in matches()} == {(first, "qualified"), (second, "qualified")}

    set_status(first, "employed")  # the household works again: the other member's fact moves too

    assert {(m.resident_id, m.status) for m in matches()} == {(first, "lapsed"), (second, "lapsed")}


def test_a_change_after_the_last_policy_ended_lapses_the_persons_match(two_admins):
    person = resident(status="unemployed_registered", age=40)
    version_id = publish(*two_admins, REGISTERED_UNEMPLOYED)
    version = catalogue.get_version(version_id)
    version.effective_until = local_day() - timedelta(days=1)  # ended yesterday: nothing in force
    db.session.commit()

    from app.models import KeyGroup, Resident
    from app.services.people.status import add_key_group

    # A change that leaves the rule holding (a key group added): the match lapses all the same.
    add_key_group(db.session.get(Resident, person.id), KeyGroup.veteran, "staff")
    db.session.commit()

    assert [m.status for m in matches()] == ["lapsed"]
