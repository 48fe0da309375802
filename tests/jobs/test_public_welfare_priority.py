"""Who comes first for a public-welfare job: the ledger core's zero-employment flag, key groups of today."""

from datetime import timedelta

import pytest

from app.common.clock import local_day
from app.extensions import db
from app.models import Household, Resident
from app.services.people import status as ledger_core
from app.services.people.places import community_by_code
from app.services.people.residents import set_community
from app.services.people.status import record_status, set_key_groups
from tests.support import make_household

YZ1 = "341002002001"
NEAR = (29.7165, 118.3185)


@pytest.fixture
def boss(make_employer):
    """A verified employer: (Employer, headers)."""
    return make_employer()


@pytest.fixture
def station(staff_headers):
    """Station staff of the circle: they see the candidates' ids and priority."""
    return staff_headers("station_staff", "circle", "341002-chengzhong")[1]


def join_household(resident_id: int, household: Household, status: str) -> None:
    """Move a seeker into a household with a status, and recompute the household as a change would."""
    resident = db.session.get(Resident, resident_id)
    resident.household_id = household.id
    record_status(resident, status, "staff", recompute_household=False)
    db.session.flush()
    ledger_core.recompute(household.id, "staff")
    db.session.commit()


def priorities(client, job_id: int, headers) -> dict[int, bool]:
    """Return {resident id: priority} of a job's candidates, as staff see them."""
    response = client.get(f"/api/v1/jobs/{job_id}/candidates", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {item["resident_id"]: item["priority"] for item in response.get_json()["items"]}


def seeker_in_yz1(make_seeker, name: str) -> int:
    """Return the resident id of a new seeker near the job who lives in 昱中一社区 (staff's place)."""
    resident_id = make_seeker(name, *NEAR).resident_id
    set_community(db.session.get(Resident, resident_id), community_by_code(YZ1))
    db.session.commit()
    return resident_id


def aged(years: int):
    """Return a birth date `years` (and a month) ago."""
    today = local_day()
    return today.replace(year=today.year - years) - timedelta(days=30)


def test_priority_follows_the_ledgers_zero_employment_flag_and_nothing_else(
    client, boss, make_job, make_seeker, station
):
    # Nobody of known working age able to work: not a zero-employment household by the rule.
    not_zero = make_household(YZ1, [("老王", "retired", aged(70))])
    # A 40-year-old unemployed: a zero-employment household.
    zero = make_household(YZ1, [("老李", "unemployed", aged(40))])
    in_not_zero = seeker_in_yz1(make_seeker, "甲")
    in_zero = seeker_in_yz1(make_seeker, "乙")
    join_household(in_not_zero, not_zero, "unemployed")  # of unknown age: no ID number
    join_household(in_zero, zero, "unemployed")
    assert db.session.get(Household, not_zero.id).zero_employment_since is None
    assert db.session.get(Household, zero.id).zero_employment_since is not None
    welfare = make_job(boss[1], title="公益性保洁岗", kind="public_welfare", category="security_cleaning")

    assert priorities(client, welfare, station) == {in_not_zero: False, in_zero: True}


def test_a_hard_to_employ_period_that_ended_gives_no_priority(client, boss, make_job, make_seeker, station):
    ended = seeker_in_yz1(make_seeker, "甲")
    current = seeker_in_yz1(make_seeker, "乙")
    for resident_id in (ended, current):
        set_key_groups(db.session.get(Resident, resident_id), ["hard_to_employ"])
    db.session.commit()
    row = db.session.get(Resident, ended).key_group_rows[0]
    row.since, row.until = local_day() - timedelta(days=400), local_day() - timedelta(days=30)
    db.session.commit()
    welfare = make_job(boss[1], title="公益性保洁岗", kind="public_welfare", category="security_cleaning")

    assert priorities(client, welfare, station) == {ended: False, current: True}
