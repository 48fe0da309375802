"""The policy-matching benchmark at a tiny scale: its six policies publish, and the three runs agree."""

from bench.scenario_policy_match import POLICIES, measure
from tests.support import new_household


def test_the_scenario_matches_a_tiny_ledger_and_its_second_daily_run_writes_nothing(app, places, make_staff):
    make_staff("city_admin", "city", "341000000000")
    # A zero-employment household: two of working age, not working (零就业家庭), one of them registered.
    new_household("341002002001", [("unemployed_registered", "19850101"), ("unemployed", "19900101")])
    new_household("341002002001", [("flexible", "19800101"), ("employed", "19820101")])

    figures = measure()
    again = measure()  # a rerun clears its own policies first

    assert figures["residents"] == 4 and figures["policies"] == len(POLICIES)
    by_policy = figures["matches_by_policy"]
    assert by_policy["JNPX"] == 2 and by_policy["LJYJT"] == 2  # training; the zero-employment household
    assert figures["match_all"]["inserted"] == sum(by_policy.values()) - figures["match_version"]["inserted"]
    assert figures["match_all_again"]["inserted"] == 0 and figures["match_all_again"]["lapsed"] == 0
    assert again["matches_by_policy"] == by_policy
