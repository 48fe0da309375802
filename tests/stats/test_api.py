"""The statistics API: months, the cache (and answering without Redis), the document, each official's view."""

import json
from datetime import timedelta

import pytest

from app.extensions import RedisUnavailable, get_redis
from app.services.grid import snapshots
from app.services.stats import cache
from app.services.stats.base import label
from tests.stats.conftest import (
    CHENGZHONG,
    CITY,
    STATS,
    TUNXI,
    YUZHONG,
    YZ1,
    get_section,
    last_month,
    this_month,
)

SECTIONS = ("people", "zero-employment", "grid", "jobs", "stations", "push")


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("city_admin", CITY),
        ("district_admin", TUNXI),
        ("operator", CHENGZHONG),
        ("supervisor", CITY),
        ("supervisor", CHENGZHONG),
        ("township_admin", YUZHONG),
    ],
)
def test_every_section_answers_each_official_at_home(client, staff, make_resident, role, scope):
    make_resident(YZ1)
    snapshots.snapshot()
    _, headers = staff(role, scope)

    for name in SECTIONS:
        body = get_section(client, headers, name)
        assert body["place"]["path"] == f"{scope[0]}:{scope[1]}"
        assert body["month"] == label(this_month()) and body["live"] is True
        assert set(body["labels"]) == set(body["figures"])
        for table in body["tables"].values():
            assert all(len(column) == 2 for column in table["columns"])


@pytest.mark.parametrize("month", ["2026-13", "26-01", "2026-1", "0000-01", "yesterday"])
def test_a_bad_month_is_422(client, staff, places, month):
    _, headers = staff("city_admin", CITY)

    error = get_section(client, headers, "people", month=month, status=422)["error"]

    assert (error["code"], error["field"]) == ("invalid_month", "month")


def test_a_future_month_is_422_and_a_past_one_answers(client, staff, places):
    _, headers = staff("city_admin", CITY)
    future = (this_month() + timedelta(days=40)).strftime("%Y-%m")
    assert get_section(client, headers, "jobs", month=future, status=422)["error"]["code"] == "future_month"
    assert get_section(client, headers, "jobs", month=label(last_month()))["live"] is False


def test_answers_are_cached_per_place_and_month(app, client, staff, make_resident):
    app.config["STATS_CACHE_SECONDS"] = 60
    _, headers = staff("city_admin", CITY)
    make_resident(YZ1)
    snapshots.snapshot()
    assert get_section(client, headers, "people")["figures"]["residents"] == 1

    make_resident(YZ1)
    snapshots.snapshot()

    assert get_section(client, headers, "people")["figures"]["residents"] == 1  # kept for 60 s
    assert get_section(client, headers, "people", place=f"township:{YUZHONG[1]}")["figures"]["residents"] == 2
    key = next(iter(get_redis().scan_iter("stats:*:people:city:*")))
    assert key.decode().endswith(label(this_month())) and 60 < get_redis().ttl(key) <= 600
    app.config["STATS_CACHE_SECONDS"] = 0
    assert get_section(client, headers, "people")["figures"]["residents"] == 2


def age(key: str, seconds: float) -> None:
    """Make a cached entry `seconds` older than it is."""
    entry = json.loads(get_redis().get(key))
    entry["at"] -= seconds
    get_redis().set(key, json.dumps(entry))


def test_stale_figures_are_refreshed_by_one_request_while_others_answer_them(
    app, client, staff, make_resident
):
    app.config["STATS_CACHE_SECONDS"] = 60
    _, headers = staff("city_admin", CITY)
    make_resident(YZ1)
    snapshots.snapshot()
    get_section(client, headers, "people")
    key = next(iter(get_redis().scan_iter("stats:*:people:city:*"))).decode()
    make_resident(YZ1)
    snapshots.snapshot()
    age(key, 61)

    # Another request holds the refresh: this one answers the previous figures at once.
    get_redis().set(f"{key}:lock", "another request", ex=30)
    assert get_section(client, headers, "people")["figures"]["residents"] == 1
    # The refresh done (its lock gone), the next request past the minute computes anew.
    get_redis().delete(f"{key}:lock")
    assert get_section(client, headers, "people")["figures"]["residents"] == 2
    assert get_redis().get(f"{key}:lock") is None


def test_without_redis_the_figures_are_computed(app, client, staff, make_resident, monkeypatch):
    app.config["STATS_CACHE_SECONDS"] = 60
    _, headers = staff("city_admin", CITY)
    make_resident(YZ1)
    snapshots.snapshot()

    def down():
        raise RedisUnavailable("Redis failed moments ago")

    class Down:
        get = set = staticmethod(lambda *args, **kwargs: down())

    monkeypatch.setattr(cache, "get_redis", lambda: Down())

    assert get_section(client, headers, "people")["figures"]["residents"] == 1
    assert get_section(client, headers, "stations")["figures"]["check_ins"] == 0


def test_the_document_describes_every_statistic(client):
    document = client.get("/api/v1/openapi.json").get_json()

    for name in ("places", *SECTIONS):
        operation = document["paths"][f"{STATS}/{name}"]["get"]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert {p["name"] for p in operation["parameters"]} >= {"place"}
    people = document["components"]["schemas"]["People"]
    assert {"figures", "series", "tables", "as_of"} <= set(people["properties"])
    figures = document["components"]["schemas"]["PeopleFigures"]["properties"]
    assert figures["residents"]["description"] == "居民"
