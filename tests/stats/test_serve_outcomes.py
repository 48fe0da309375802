"""Coded outcomes at the counter, and follow-ups opened and closed: what the station funnel counts."""

import pytest

from app.common.clock import local_day
from app.extensions import db
from app.models import CheckIn
from tests.stats.conftest import CHENGZHONG, CITY, add_check_in, get_section, make_station
from tests.support import error_of

CHECK_INS = "/api/v1/check-ins"


@pytest.fixture
def counter(client, staff):
    """A station of 城中 with two visitors waiting today, and its staff's headers."""
    _, city = staff("city_admin", CITY)
    station = make_station(client, city)
    waiting = [add_check_in(station, local_day(), 9).id, add_check_in(station, local_day(), 9).id]
    _, headers = staff("station_staff", CHENGZHONG)
    return waiting, headers


def serve(client, headers, check_in_id, status=200, **values):
    response = client.patch(f"{CHECK_INS}/{check_in_id}", json=values, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_a_coded_outcome_marks_the_visit_served(client, counter):
    (first, _), headers = counter

    body = serve(client, headers, first, outcome="recommended_jobs", outcome_note="推荐了两个茶厂岗位")

    assert body["outcome"] == "recommended_jobs" and body["served_at"] is not None
    assert body["follow_up"] is False and body["follow_up_closed_at"] is None
    row = db.session.get(CheckIn, first)
    assert (row.outcome, row.outcome_note) == ("recommended_jobs", "推荐了两个茶厂岗位")


def test_an_older_client_serves_without_an_outcome(client, counter):
    (first, _), headers = counter

    body = serve(client, headers, first, served=True, follow_up=False)

    assert body["served_at"] is not None and body["outcome"] is None


def test_follow_up_needed_opens_a_follow_up_that_staff_close(client, counter):
    (first, _), headers = counter

    opened = serve(client, headers, first, outcome="follow_up_needed")
    assert opened["follow_up"] is True and opened["follow_up_closed_at"] is None

    closed = serve(client, headers, first, follow_up_closed=True)
    assert closed["follow_up_closed_at"] is not None
    again = serve(client, headers, first, follow_up_closed=True)
    assert again["follow_up_closed_at"] == closed["follow_up_closed_at"]  # the first closing stays

    reopened = serve(client, headers, first, follow_up_closed=False)
    assert reopened["follow_up_closed_at"] is None and reopened["follow_up"] is True


def test_closing_a_follow_up_that_is_not_there_is_409(client, counter):
    (first, _), headers = counter
    serve(client, headers, first, outcome="nothing")

    body = serve(client, headers, first, status=409, follow_up_closed=True)

    assert (body["error"]["code"], body["error"]["field"]) == ("no_follow_up", "follow_up_closed")
    assert db.session.get(CheckIn, first).follow_up_closed_at is None


def test_an_unknown_outcome_is_422(client, counter):
    (first, _), headers = counter

    response = client.patch(f"{CHECK_INS}/{first}", json={"outcome": "hired_on_the_spot"}, headers=headers)

    assert response.status_code == 422
    assert error_of(response)["field"] == "outcome"
    assert db.session.get(CheckIn, first).served_at is None


def test_taking_served_back_clears_the_outcome(client, counter):
    (first, _), headers = counter
    serve(client, headers, first, outcome="registered")

    body = serve(client, headers, first, served=False)

    assert (body["served_at"], body["outcome"]) == (None, None)
    cleared = serve(client, headers, first, outcome="claim_started")
    assert serve(client, headers, first, outcome=None)["outcome"] is None
    assert cleared["served_at"] is not None


def test_the_funnel_counts_what_staff_recorded(client, staff, counter):
    (first, second), headers = counter
    serve(client, headers, first, outcome="follow_up_needed")
    serve(client, headers, second, outcome="referred_to_training")
    _, city = staff("city_admin", CITY)

    body = get_section(client, city, "stations")

    assert [step["value"] for step in body["funnel"]] == [2, 2, 2, 1]
    assert body["figures"]["follow_ups_open"] == 1
    serve(client, headers, first, follow_up_closed=True)
    assert get_section(client, city, "stations")["figures"]["follow_ups_open_all"] == 0
