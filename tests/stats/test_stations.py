"""The station funnel: check-ins by purpose → served → coded outcome, waits, follow-ups, busy hours."""

from datetime import timedelta

import pytest

from app.services.stats.base import label
from app.services.stats.stations import percentile
from tests.stats.conftest import (
    CHENGZHONG,
    CITY,
    add_check_in,
    get_section,
    last_month,
    make_station,
    rows_by,
)


@pytest.fixture
def visits(client, staff):
    """Last month at 城中's station: seven visits of every kind; at 城东's: one."""
    _, city = staff("city_admin", CITY)
    near, far = (
        make_station(client, city),
        make_station(client, city, "341002-chengdong", 29.7230, 118.3390, "昱东服务站"),
    )
    day = last_month() + timedelta(days=2)
    add_check_in(near, day, 9, "job_seeking", 5, "recommended_jobs")
    add_check_in(near, day, 9, "job_seeking", 15, "follow_up_needed", follow_up=True)
    add_check_in(near, day, 10, "registration", 30, "registered")
    add_check_in(near, day, 10, "claim", 60)  # served before outcomes were coded
    add_check_in(near, day, 14, "consult")
    add_check_in(near, day, 19, "other", queued=False)  # after hours
    add_check_in(near, day, 9, "training", 10, "referred_to_training", follow_up=True, closed=True)
    add_check_in(far, day, 11, "job_seeking", 20, "nothing")
    return {"near": near, "far": far, "day": day}


def test_the_funnel_from_check_in_to_outcome(client, staff, visits):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "stations", month=label(last_month()))

    figures = body["figures"]
    assert (figures["check_ins"], figures["served"], figures["with_outcome"], figures["helped"]) == (
        8,
        6,
        5,
        3,
    )
    assert (figures["out_of_hours"], figures["served_rate"]) == (1, 0.75)
    assert (figures["follow_ups"], figures["follow_ups_closed"], figures["follow_ups_open"]) == (2, 1, 1)
    assert figures["follow_ups_open_all"] == 1
    assert [step["value"] for step in body["funnel"]] == [8, 6, 5, 3]
    outcomes = {item["key"]: item["value"] for item in body["by_outcome"]}
    assert outcomes == {
        "recommended_jobs": 1,
        "registered": 1,
        "claim_started": 0,
        "referred_to_training": 1,
        "follow_up_needed": 1,
        "nothing": 1,
        "none": 1,
    }
    purposes = rows_by(body["tables"]["by_purpose"], "key")
    assert (purposes["job_seeking"]["check_ins"], purposes["job_seeking"]["served"]) == (3, 3)
    assert (purposes["job_seeking"]["recommended_jobs"], purposes["consult"]["served"]) == (1, 0)
    assert purposes["claim"]["none"] == 1 and purposes["consult"]["none"] == 0


def test_time_to_serve_median_and_p90(client, staff, visits):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "stations", month=label(last_month()))

    # Served after 5, 10, 15, 20, 30 and 60 minutes.
    assert (body["figures"]["median_wait_minutes"], body["figures"]["p90_wait_minutes"]) == (15, 60)
    bands = {row["name"]: row["value"] for row in body["tables"]["waits"]["rows"]}
    assert bands == {
        "5分钟内": 1,
        "5–15分钟": 2,
        "15–30分钟": 2,
        "30–60分钟": 1,
        "1–2小时": 0,
        "2小时以上": 0,
    }
    stations = rows_by(body["tables"]["stations"], "name")
    near = stations["昱中服务站"]
    assert (near["check_ins"], near["served"], near["median_wait_minutes"], near["p90_wait_minutes"]) == (
        7,
        5,
        15,
        60,
    )
    assert (near["follow_ups_open_all"], stations["昱东服务站"]["median_wait_minutes"]) == (1, 20)
    assert body["tables"]["stations"]["rows"][0]["name"] == "昱中服务站"  # busiest first


def test_visits_per_weekday_and_local_hour(client, staff, visits):
    _, headers = staff("city_admin", CITY)

    heat = get_section(client, headers, "stations", month=label(last_month()))["heat"]

    weekday = visits["day"].weekday()  # Monday 0
    assert heat["grid"][weekday][9] == 3 and heat["grid"][weekday][10] == 2 and heat["grid"][weekday][19] == 1
    assert [9, weekday, 3] in heat["data"] and heat["max"] == 3
    assert heat["y"][0] == "周一" and heat["x"][9] == "9时"
    assert sum(sum(row) for row in heat["grid"]) == 8


def test_a_circle_sees_only_its_stations_and_station_staff_see_the_funnel(client, staff, visits):
    _, operator = staff("operator", CHENGZHONG)
    _, counter = staff("station_staff", CHENGZHONG)

    for headers in (operator, counter):
        body = get_section(client, headers, "stations", month=label(last_month()))
        assert body["figures"]["check_ins"] == 7
        assert [row["name"] for row in body["tables"]["stations"]["rows"]] == ["昱中服务站"]


def test_this_month_without_visits_is_zeros(client, staff, visits):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "stations")

    assert body["figures"]["check_ins"] == 0 and body["figures"]["median_wait_minutes"] is None
    assert body["figures"]["follow_ups_open_all"] == 1  # the open follow-up is still open, whenever it began


def test_percentile_of_a_minute_histogram():
    assert percentile({}, 0.5) is None
    assert percentile({3: 1}, 0.9) == 3
    assert percentile({1: 5, 2: 5}, 0.5) == 1 and percentile({1: 5, 2: 5}, 0.51) == 2
