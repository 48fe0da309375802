"""Nearby job search: distance order, radius, filters, paging, COUNT widening and the SQL fallback.

Every test runs twice, once answered by the job board (each process's in-memory copy) and once
by Redis GEO and SQL (the board switched off, as recommendations search), except the tests of
the GEO path's own workings (`geo_internals`): they change the database behind the index's back,
which only that path re-checks per request.

Points are GCJ-02 around Tunxi; offsets are laid out in metres from CENTER (0.001° of latitude
is about 111 m, 0.001° of longitude about 96.6 m here), and distances are checked against
app.services.geo.distance_m.
"""

import math
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.common import geo
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Job, utcnow
from app.services.jobs.posts import monthly
from app.services.jobs.search import geo_index
from app.services.people import seekers
from tests.support import CENTER, SEARCH, found, offset, search, set_job


def error_of(response) -> dict:
    """Return a 422 response's error envelope."""
    assert response.status_code == 422, response.get_json()
    return response.get_json()["error"]


def break_redis(app) -> None:
    """Point the app at a Redis nobody listens on (fails fast, no retries)."""
    app.extensions["redis"] = redis.Redis(
        host="127.0.0.1", port=9, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )


def in_geo_set(app, job_id: int, key: str = geo_index.JOBS_ALL) -> bool:
    """Tell whether the job's id is a member of a GEO set."""
    return app.extensions["redis"].zscore(key, job_id) is not None


def pytest_generate_tests(metafunc):
    """Run each test on both search paths, or on the GEO path alone when marked geo_internals."""
    if "search_path" in metafunc.fixturenames:
        internals = metafunc.definition.get_closest_marker("geo_internals") is not None
        metafunc.parametrize("search_path", ["geo"] if internals else ["board", "geo"], indirect=True)


@pytest.fixture(autouse=True)
def search_path(request, app):
    """Answer searches from the job board ("board") or from Redis GEO and SQL ("geo")."""
    app.config["JOB_BOARD"] = request.param == "board"
    return request.param


geo_internals = pytest.mark.geo_internals


@pytest.fixture
def boss(make_employer):
    """Return the headers of one verified employer at CENTER."""
    _, headers = make_employer()
    return headers


@pytest.fixture
def rings(boss, make_job):
    """Four jobs at about 300 m, 1 km, 2.5 km and 3.5 km from CENTER, each in another direction."""
    spots = {
        "300m": offset(north_m=300),
        "1km": offset(east_m=1000),
        "2.5km": offset(north_m=-2500),
        "3.5km": offset(east_m=-3500),
    }
    return {
        name: (make_job(boss, title=f"岗位{name}", **point), point["lat"], point["lng"])
        for name, point in spots.items()
    }


# ---- distance and radius --------------------------------------------------------------------


def test_default_radius_finds_the_nearest_three_nearest_first(client, rings):
    response = search(client)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [item["job"]["id"] for item in body["items"]] == [rings[n][0] for n in ("300m", "1km", "2.5km")]
    assert body["radius_m"] == 3000
    assert body["center"] == {"lat": CENTER[0], "lng": CENTER[1]}
    assert (body["page"], body["per_page"], body["has_more"]) == (1, 20, False)
    for item, name in zip(body["items"], ("300m", "1km", "2.5km"), strict=True):
        _, lat, lng = rings[name]
        assert abs(item["distance_m"] - geo.distance_m(*CENTER, lat, lng)) <= 2
    assert [round(item["distance_m"], -2) for item in body["items"]] == [300, 1000, 2500]


def test_a_4_km_radius_reaches_the_fourth_job(client, rings):
    assert found(client, radius_m=4000) == [rings[n][0] for n in ("300m", "1km", "2.5km", "3.5km")]


def test_a_small_radius_keeps_only_the_nearest(client, rings):
    assert found(client, radius_m=500) == [rings["300m"][0]]


@pytest.mark.parametrize("radius", [99, 50001])
def test_radius_outside_100_m_to_50_km_is_422(client, radius):
    assert error_of(search(client, radius_m=radius))["field"] == "radius_m"


def test_more_than_100_per_page_is_422(client):
    assert error_of(search(client, per_page=101))["field"] == "per_page"


@pytest.mark.parametrize(("page", "per_page"), [(11, 100), (51, 20)])
def test_paging_past_the_nearest_1000_is_422(client, page, per_page):
    assert error_of(search(client, page=page, per_page=per_page))["field"] == "page"


def test_paging_up_to_exactly_1000_results_is_allowed(client, rings):
    response = search(client, page=10, per_page=100)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"] == []


# ---- filters --------------------------------------------------------------------------------


@geo_internals
def test_kind_filter_reads_the_kinds_own_geo_set(app, client, boss, make_job):
    regular = make_job(boss, kind="regular", **offset(north_m=100))
    gig = make_job(boss, kind="gig", **offset(north_m=200))
    part_time = make_job(boss, kind="part_time", **offset(north_m=300))
    assert in_geo_set(app, gig, geo_index.jobs_key("gig"))
    assert not in_geo_set(app, regular, geo_index.jobs_key("gig"))

    assert found(client, kind="gig") == [gig]
    assert found(client, kind="part_time") == [part_time]
    assert found(client, kind="internship") == []
    # Taken out of the all-kinds set only, the gig job is still found by kind: its own set answers.
    app.extensions["redis"].zrem(geo_index.JOBS_ALL, gig)
    assert found(client, kind="gig") == [gig]
    assert found(client) == [regular, part_time]


def test_an_unknown_kind_or_category_is_422(client):
    assert error_of(search(client, kind="slavery"))["field"] == "kind"
    assert error_of(search(client, category="nope"))["field"] == "category"


def test_category_filter(client, boss, make_job):
    tea = make_job(boss, category="tea_processing", **offset(north_m=400))
    make_job(boss, category="catering", **offset(north_m=100))
    tea_far = make_job(boss, category="tea_processing", **offset(east_m=2000))
    assert found(client, category="tea_processing") == [tea, tea_far]
    assert found(client, category="care") == []


def test_monthly_equivalents_of_day_and_hour_wages():
    assert monthly(200, "day") == 4350
    assert monthly(25, "hour") == 4350
    assert monthly(4000, "month") == 4000
    assert monthly(None, "day") is None


def test_wage_min_compares_monthly_equivalents(client, boss, make_job):
    month_4000 = make_job(boss, wage_min=3000, wage_max=4000, **offset(north_m=100))
    day_200 = make_job(boss, wage_min=150, wage_max=200, wage_unit="day", **offset(north_m=200))
    hour_25 = make_job(boss, wage_min=20, wage_max=25, wage_unit="hour", **offset(north_m=300))
    month_6000 = make_job(boss, wage_min=5000, wage_max=6000, **offset(north_m=400))
    only_min = make_job(boss, wage_min=4500, wage_max=None, **offset(north_m=500))

    assert found(client, wage_min=4000) == [month_4000, day_200, hour_25, month_6000, only_min]
    assert found(client, wage_min=4350) == [day_200, hour_25, month_6000, only_min]
    assert found(client, wage_min=4351) == [month_6000, only_min]
    assert found(client, wage_min=6001) == []


def test_q_matches_title_or_description(client, boss, make_job):
    by_title = make_job(boss, title="夜班保安", category="security_cleaning", **offset(north_m=100))
    by_description = make_job(
        boss, title="仓库管理员", description="需要上夜班，包住宿", **offset(north_m=200)
    )
    make_job(boss, title="白班收银员", description="朝九晚五", **offset(north_m=300))
    assert found(client, q="夜班") == [by_title, by_description]
    assert found(client, q="收银") == [found(client, q="白班")[0]]
    assert found(client, q="程序员") == []


def test_percent_and_underscore_in_q_are_literal(client, boss, make_job):
    percent = make_job(boss, title="销售 提成100%", **offset(north_m=100))
    underscore = make_job(boss, title="code_review 助理", **offset(north_m=200))
    make_job(boss, title="销售 提成1000元", description="codexreview", **offset(north_m=300))
    assert found(client, q="%") == [percent]
    assert found(client, q="100%") == [percent]
    assert found(client, q="e_r") == [underscore]


def test_filters_combine(client, boss, make_job):
    wanted = make_job(
        boss, kind="part_time", category="catering", title="周末服务员", wage_max=5000, **offset(east_m=500)
    )
    make_job(
        boss, kind="regular", category="catering", title="周末服务员", wage_max=5000, **offset(east_m=100)
    )
    make_job(
        boss, kind="part_time", category="retail", title="周末服务员", wage_max=5000, **offset(east_m=200)
    )
    make_job(
        boss, kind="part_time", category="catering", title="周末服务员", wage_max=3500, **offset(east_m=300)
    )
    make_job(boss, kind="part_time", category="catering", title="厨师", wage_max=5000, **offset(east_m=400))
    params = {"kind": "part_time", "category": "catering", "q": "服务员", "wage_min": 4000}
    assert found(client, **params) == [wanted]


def test_newest_orders_by_refreshed_at(client, boss, make_job):
    near = make_job(boss, **offset(north_m=100))
    middle = make_job(boss, **offset(north_m=1000))
    far = make_job(boss, **offset(north_m=2000))
    outside = make_job(boss, **offset(north_m=3500))
    now = utcnow().replace(microsecond=0)
    for job_id, hours_ago in ((near, 3), (middle, 1), (far, 0), (outside, 0)):
        set_job(job_id, refreshed_at=now - timedelta(hours=hours_ago))

    response = search(client, sort="newest")
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert [item["job"]["id"] for item in items] == [far, middle, near]
    assert abs(items[0]["distance_m"] - 2000) <= 2
    assert found(client) == [near, middle, far]


def test_unknown_sort_is_422(client):
    assert error_of(search(client, sort="cheapest"))["field"] == "sort"


# ---- paging ---------------------------------------------------------------------------------


@pytest.fixture
def five_in_a_row(boss, make_job):
    """Five jobs due north of CENTER, 200 m apart (nearest first)."""
    return [make_job(boss, **offset(north_m=200 * (n + 1))) for n in range(5)]


@pytest.mark.parametrize("sort", ["distance", "newest"])
def test_pages_continue_without_repeats_and_has_more_tells_the_end(client, five_in_a_row, sort):
    now = utcnow().replace(microsecond=0)
    for n, job_id in enumerate(five_in_a_row):
        set_job(job_id, refreshed_at=now - timedelta(hours=n))
    pages = []
    for page in (1, 2, 3, 4):
        response = search(client, per_page=2, page=page, sort=sort)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append(([item["job"]["id"] for item in body["items"]], body["has_more"]))
    a, b, c, d, e = five_in_a_row
    assert pages == [([a, b], True), ([c, d], True), ([e], False), ([], False)]


def test_has_more_is_false_when_a_page_ends_exactly_at_the_last_job(client, five_in_a_row):
    response = search(client, per_page=5)
    assert response.get_json()["has_more"] is False
    assert len(response.get_json()["items"]) == 5
    assert search(client, per_page=4).get_json()["has_more"] is True


# ---- COUNT widening -------------------------------------------------------------------------


@geo_internals
def test_sparse_category_is_found_behind_many_nearer_jobs(app, client, boss, make_job, monkeypatch):
    catering = [
        make_job(boss, category="catering", title=f"服务员{n}", **offset(north_m=50 + 10 * n))
        for n in range(30)
    ]
    tea = [
        make_job(boss, category="tea_processing", **offset(east_m=1500)),
        make_job(boss, category="tea_processing", **offset(east_m=-2500)),
    ]
    counts = []
    original = geo_index.search_jobs

    def spy(lat, lng, radius_m, kind, count):
        counts.append(count)
        return original(lat, lng, radius_m, kind, count)

    monkeypatch.setattr(geo_index, "search_jobs", spy)

    first = search(client, category="tea_processing", per_page=1).get_json()
    assert ([item["job"]["id"] for item in first["items"]], first["has_more"]) == ([tea[0]], True)
    assert len(counts) > 1 and counts == sorted(counts), counts  # it had to widen
    second = search(client, category="tea_processing", per_page=1, page=2).get_json()
    assert ([item["job"]["id"] for item in second["items"]], second["has_more"]) == ([tea[1]], False)
    assert found(client, category="tea_processing") == tea
    assert found(client, category="catering", per_page=100) == catering


@geo_internals
def test_stale_index_entries_do_not_fill_a_page(app, client, boss, make_job):
    closed = [make_job(boss, **offset(north_m=20 + 10 * n)) for n in range(25)]
    live = make_job(boss, **offset(north_m=1000))
    for job_id in closed:
        set_job(job_id, status="closed")
    assert all(in_geo_set(app, job_id) for job_id in closed)
    response = search(client, per_page=1)
    assert [item["job"]["id"] for item in response.get_json()["items"]] == [live]
    assert response.get_json()["has_more"] is False


# ---- hidden, expired, closed ----------------------------------------------------------------


@pytest.fixture
def hidden_and_live(app, boss, make_job):
    """A live job plus a closed, an expired, a pending_review and a draft one, all nearer and all
    still in the GEO sets (the database was changed behind the index's back)."""
    live = make_job(boss, **offset(north_m=900))
    closed = make_job(boss, **offset(north_m=100))
    expired = make_job(boss, **offset(north_m=200))
    pending = make_job(boss, **offset(north_m=300))
    draft = make_job(boss, **offset(north_m=400))
    set_job(closed, status="closed", closed_at=utcnow())
    set_job(expired, valid_until=utcnow() - timedelta(minutes=1))
    set_job(pending, status="pending_review")
    set_job(draft, status="draft")
    hidden = [closed, expired, pending, draft]
    for job_id in hidden:
        assert in_geo_set(app, job_id) and in_geo_set(app, job_id, geo_index.jobs_key("regular"))
    return live, hidden


@geo_internals
@pytest.mark.parametrize("params", [{}, {"kind": "regular"}, {"category": "tea_processing"}, {"q": "茶叶"}])
def test_hidden_jobs_do_not_appear_though_still_indexed(client, hidden_and_live, params):
    live, _ = hidden_and_live
    assert found(client, **params) == [live]


def test_hidden_jobs_do_not_appear_from_sql_either(app, client, hidden_and_live):
    live, _ = hidden_and_live
    break_redis(app)
    assert found(client) == [live]
    assert found(client, sort="newest") == [live]


def test_closing_through_the_api_takes_the_job_out_of_the_index(app, client, boss, make_job):
    job_id = make_job(boss, **offset(north_m=100))
    assert client.post(f"/api/v1/jobs/{job_id}/close", headers=boss).status_code == 200
    assert not in_geo_set(app, job_id)
    assert found(client) == []


@geo_internals
def test_a_stale_index_position_does_not_put_a_far_job_in_the_circle(app, client, boss, make_job):
    # The job moved 10 km away while Redis was unreachable (sync_job only logs), so the GEO sets
    # still hold its old spot at CENTER. The database is the truth: it is not within 3 km.
    job_id = make_job(boss, **offset(north_m=50))
    moved = offset(north_m=10_000)
    set_job(job_id, lat=moved["lat"], lng=moved["lng"])
    assert in_geo_set(app, job_id)

    response = search(client)
    assert response.get_json()["items"] == [], "a job 10 km away is listed within 3 km"
    break_redis(app)
    assert found(client) == []


# ---- Redis down: the same answers from SQL --------------------------------------------------


@pytest.fixture
def mixed(boss, make_job):
    """Twelve jobs of varied kind, category, wage, text, distance and freshness around CENTER."""
    specs = [
        (150, 0, "regular", "catering", 4000, "month", "服务员"),
        (0, 420, "gig", "catering", 180, "day", "临时帮厨"),
        (-700, 0, "regular", "tea_processing", 5000, "month", "茶叶分拣工"),
        (0, -950, "part_time", "retail", 25, "hour", "收银员 兼职"),
        (1300, 400, "regular", "tea_processing", 3800, "month", "茶叶包装工"),
        (-1600, -300, "gig", "construction", 300, "day", "泥瓦工"),
        (500, -2100, "public_welfare", "security_cleaning", 2200, "month", "公益保洁员"),
        (-2400, 800, "regular", "catering", 6000, "month", "厨师长"),
        (2700, 0, "part_time", "catering", 20, "hour", "周末服务员"),
        (0, 2900, "regular", "logistics_delivery", 7000, "month", "快递分拣"),
        (3300, 0, "regular", "catering", 5000, "month", "服务员 远"),
        (0, -3800, "gig", "tea_processing", 200, "day", "采茶工"),
    ]
    now = utcnow().replace(microsecond=0)
    ids = []
    for n, (north, east, kind, category, wage, unit, title) in enumerate(specs):
        job_id = make_job(
            boss,
            kind=kind,
            category=category,
            wage_min=wage,
            wage_max=wage,
            wage_unit=unit,
            title=title,
            **offset(north_m=north, east_m=east),
        )
        # Freshness unrelated to distance: 7 hours apart modulo 12.
        set_job(job_id, refreshed_at=now - timedelta(hours=(7 * n) % 12))
        ids.append(job_id)
    return ids


REDIS_DOWN_QUERIES = [
    {},
    {"radius_m": 5000},
    {"radius_m": 1000},
    {"kind": "gig", "radius_m": 5000},
    {"category": "catering"},
    {"category": "tea_processing", "radius_m": 5000},
    {"wage_min": 4350},
    {"q": "服务员", "radius_m": 5000},
    {"kind": "regular", "category": "catering", "wage_min": 4500, "radius_m": 5000},
    {"per_page": 3, "page": 2},
    {"sort": "newest"},
    {"sort": "newest", "radius_m": 5000, "kind": "regular"},
    {"sort": "newest", "per_page": 4, "page": 2},
]


def _outcome(response) -> tuple[list[int], list[int], bool]:
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return (
        [item["job"]["id"] for item in body["items"]],
        [item["distance_m"] for item in body["items"]],
        body["has_more"],
    )


def test_redis_down_gives_the_same_results_from_sql(app, client, mixed, caplog):
    with_redis = [_outcome(search(client, **params)) for params in REDIS_DOWN_QUERIES]
    assert with_redis[0][0] == mixed[:10]  # the twelve lie nearest first; ten within 3 km
    assert with_redis[1][0] == mixed
    assert "GEO index unavailable" not in caplog.text
    break_redis(app)
    without = [_outcome(search(client, **params)) for params in REDIS_DOWN_QUERIES]
    assert "GEO index unavailable" in caplog.text

    for params, (up_ids, up_metres, up_more), (ids, metres, more) in zip(
        REDIS_DOWN_QUERIES, with_redis, without, strict=True
    ):
        assert up_ids, f"{params} should find something"
        assert (ids, more) == (up_ids, up_more), params
        assert all(abs(a - b) <= 1 for a, b in zip(up_metres, metres, strict=True)), (
            params,
            up_metres,
            metres,
        )


def test_redis_down_search_matches_distances_of_geo(app, client, rings):
    break_redis(app)
    response = search(client, radius_m=4000)
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert [item["job"]["id"] for item in items] == [rings[n][0] for n in ("300m", "1km", "2.5km", "3.5km")]
    for item, name in zip(items, ("300m", "1km", "2.5km", "3.5km"), strict=True):
        _, lat, lng = rings[name]
        assert abs(item["distance_m"] - geo.distance_m(*CENTER, lat, lng)) <= 1


# ---- the point searched from ----------------------------------------------------------------


def test_a_resident_with_a_home_searches_from_home(client, wechat_login, rings):
    _, resident, _ = wechat_login()
    home = offset(east_m=1000)  # right at the 1 km job
    patched = client.patch(
        "/api/v1/me", json={"home_lat": home["lat"], "home_lng": home["lng"]}, headers=resident
    )
    assert patched.status_code == 200, patched.get_json()

    response = search(client, headers=resident, point=None)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["center"] == {"lat": home["lat"], "lng": home["lng"]}
    items = body["items"]
    assert items[0]["job"]["id"] == rings["1km"][0]
    assert items[0]["distance_m"] <= 1
    # A point given in the request wins over home.
    assert found(client, headers=resident)[0] == rings["300m"][0]


def test_anonymous_search_without_a_point_is_location_required(client):
    error = error_of(search(client, point=None))
    assert (error["code"], error["field"]) == ("location_required", "lat")


def test_a_resident_without_a_home_must_send_a_point(client, wechat_login):
    _, resident, _ = wechat_login()
    assert error_of(search(client, headers=resident, point=None))["code"] == "location_required"


def test_an_employer_without_a_point_is_location_required(client, boss):
    # The employer's business location is not a home to search from.
    assert error_of(search(client, headers=boss, point=None))["code"] == "location_required"


@pytest.mark.parametrize("bad", ["nan", "inf", "abc"])
def test_a_non_number_coordinate_is_422(client, bad):
    assert error_of(client.get(SEARCH, query_string={"lat": bad, "lng": CENTER[1]}))["field"] == "lat"


def test_lat_without_lng_is_422_naming_lng(client):
    response = client.get(SEARCH, query_string={"lat": CENTER[0]})
    assert error_of(response)["field"] == "lng"


def test_swapped_lat_and_lng_are_named_as_swapped(client):
    error = error_of(search(client, point=(118.3, 29.7)))
    assert (error["code"], error["field"]) == ("coordinates_swapped", "lat")


@pytest.mark.parametrize(
    ("point", "field"),
    [((35.68, 139.69), "lng"), ((1.29, 103.85), "lat"), ((29.7, 60.0), "lng"), ((-29.7, 118.3), "lat")],
)
def test_a_point_outside_china_is_422(client, point, field):
    error = error_of(search(client, point=point))
    assert (error["code"], error["field"]) == ("coordinates_out_of_range", field)


# ---- rebuilding the index -------------------------------------------------------------------


def test_search_rebuilds_an_index_that_redis_lost(app, client, rings):
    everything = found(client, radius_m=4000)
    app.extensions["redis"].flushdb()  # a Redis restart without persistence

    assert found(client, radius_m=4000) == everything
    assert app.extensions["redis"].exists("geo:ready")
    assert app.extensions["redis"].zcard("geo:jobs:all") == 4


def test_while_another_process_rebuilds_search_answers_from_sql(app, client, rings):
    everything = found(client, radius_m=4000)
    app.extensions["redis"].flushdb()
    app.extensions["redis"].set("geo:rebuild-lock", "1")

    assert found(client, radius_m=4000) == everything
    assert not app.extensions["redis"].exists("geo:jobs:all")


@geo_internals
def test_rebuild_command_restores_search_after_the_sets_are_emptied(app, client, runner, rings):
    everything = found(client, radius_m=4000)
    for kind in ("all", "regular", "part_time", "gig", "public_welfare", "internship"):
        app.extensions["redis"].delete(f"geo:jobs:{kind}")
    assert found(client, radius_m=4000) == []  # an empty set is not a Redis failure

    db.session.commit()
    result = runner.invoke(args=["rebuild-geo-index"])
    assert result.exit_code == 0, result.output
    assert "GEO index rebuilt: 4 jobs, 0 seekers" in result.output
    assert found(client, radius_m=4000) == everything
    assert found(client, radius_m=4000, kind="regular") == everything


def _seeker(client, wechat_login, open_to_work=True, home=True, resume=True) -> None:
    _, headers, _ = wechat_login()
    if home:
        point = offset(north_m=500)
        response = client.patch(
            "/api/v1/me", json={"home_lat": point["lat"], "home_lng": point["lng"]}, headers=headers
        )
        assert response.status_code == 200, response.get_json()
    if resume:
        response = client.put("/api/v1/me/resume", json={"open_to_work": open_to_work}, headers=headers)
        assert response.status_code == 200, response.get_json()


def test_rebuild_counts_live_jobs_and_seekers(app, client, wechat_login, boss, make_job):
    live = [
        make_job(boss, kind=kind, **offset(north_m=100 * n)) for n, kind in enumerate(("regular", "gig"), 1)
    ]
    make_job(boss, publish=False, **offset(north_m=300))  # a draft
    closed = make_job(boss, **offset(north_m=400))
    expired = make_job(boss, **offset(north_m=500))
    set_job(closed, status="closed")
    set_job(expired, valid_until=utcnow() - timedelta(minutes=1))
    _seeker(client, wechat_login)
    _seeker(client, wechat_login)
    _seeker(client, wechat_login, open_to_work=False)
    _seeker(client, wechat_login, resume=False)
    _seeker(client, wechat_login, home=False)
    connection = app.extensions["redis"]
    assert connection.zcard(seekers.SEEKERS) == 2
    connection.flushdb()
    connection.geoadd(geo_index.jobs_key("gig"), (118.0, 29.0, 999999))  # junk the rebuild must drop

    db.session.commit()
    assert geo_index.rebuild() == {"jobs": 2, "seekers": 2}
    assert sorted(int(m) for m in connection.zrange(geo_index.JOBS_ALL, 0, -1)) == live
    assert [int(m) for m in connection.zrange(geo_index.jobs_key("gig"), 0, -1)] == [live[1]]
    assert connection.zcard(geo_index.jobs_key("internship")) == 0
    assert connection.zcard(seekers.SEEKERS) == 2
    assert not connection.keys("*:rebuild")
    assert found(client) == live


def test_rebuild_of_an_empty_database_empties_the_index(app, client, boss, make_job):
    job_id = make_job(boss, **offset(north_m=100))
    db.session.execute(sa.update(Job).values(status="closed"))
    db.session.commit()
    assert in_geo_set(app, job_id)
    assert geo_index.rebuild() == {"jobs": 0, "seekers": 0}
    assert app.extensions["redis"].exists(geo_index.JOBS_ALL, seekers.SEEKERS) == 0


# ---- app.services.geo -----------------------------------------------------------------------


def test_check_point_accepts_points_in_china_and_no_point():
    geo.check_point(*CENTER)
    geo.check_point(None, None)
    geo.check_point(53.5, 135.0)


@pytest.mark.parametrize(
    ("lat", "lng", "code", "field"),
    [
        (118.3, 29.7, "coordinates_swapped", "lat"),
        (35.68, 139.69, "coordinates_out_of_range", "lng"),
        (0.0, 0.0, "coordinates_out_of_range", "lat"),
        (math.nan, 118.3, "invalid_coordinates", "lat"),
        (29.7, math.inf, "invalid_coordinates", "lat"),
        (29.7, None, "validation_error", "lng"),
        (None, 118.3, "validation_error", "lat"),
    ],
)
def test_check_point_rejects(lat, lng, code, field):
    with pytest.raises(ValidationFailed) as caught:
        geo.check_point(lat, lng)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_check_point_prefixes_the_field():
    with pytest.raises(ValidationFailed) as caught:
        geo.check_point(118.3, 29.7, prefix="home_")
    assert caught.value.field == "home_lat"


def test_distance_of_one_degree_of_latitude_is_about_111_2_km():
    assert geo.distance_m(29.0, 118.0, 30.0, 118.0) == pytest.approx(111_226, abs=5)
    assert geo.distance_m(*CENTER, *CENTER) == 0


def test_distance_along_a_parallel_shrinks_with_cos_latitude():
    expected = 0.001 * geo.METRES_PER_DEGREE_LAT * math.cos(math.radians(CENTER[0]))
    assert geo.distance_m(CENTER[0], 118.318, CENTER[0], 118.319) == pytest.approx(expected, rel=1e-4)
    assert expected == pytest.approx(96.6, abs=0.1)


def test_distance_is_symmetric_and_matches_the_offsets():
    point = offset(north_m=1200, east_m=-1600)
    there = geo.distance_m(*CENTER, point["lat"], point["lng"])
    assert there == pytest.approx(2000, abs=1)
    assert geo.distance_m(point["lat"], point["lng"], *CENTER) == pytest.approx(there)


@pytest.mark.parametrize("radius", [100, 3000, 50000])
def test_bounding_box_contains_the_circle(radius):
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(*CENTER, radius)
    assert min_lat < CENTER[0] < max_lat and min_lng < CENTER[1] < max_lng
    for bearing in range(0, 360, 5):
        rad = math.radians(bearing)
        # Just inside the circle, every way round: inside the box.
        edge = offset(north_m=0.999 * radius * math.cos(rad), east_m=0.999 * radius * math.sin(rad))
        assert geo.distance_m(*CENTER, edge["lat"], edge["lng"]) <= radius
        assert min_lat <= edge["lat"] <= max_lat and min_lng <= edge["lng"] <= max_lng
    # And not absurdly larger: the box's half-sides are the radius (within 1 %).
    assert geo.distance_m(min_lat, CENTER[1], *CENTER) == pytest.approx(radius, rel=0.01)
    assert geo.distance_m(CENTER[0], max_lng, *CENTER) == pytest.approx(radius, rel=0.01)


def test_planar_distance_agrees_with_haversine_within_the_search_radius(app):
    point = offset(north_m=-2000, east_m=2000)
    expression = geo.planar_sq_distance(sa.literal(point["lat"]), sa.literal(point["lng"]), *CENTER)
    planar = math.sqrt(db.session.scalar(sa.select(expression)))
    assert planar == pytest.approx(geo.distance_m(*CENTER, point["lat"], point["lng"]), abs=1)


def test_a_job_published_while_the_index_rebuilds_is_not_lost(app, client, rings, monkeypatch):
    late = rings["300m"][0]
    job = db.session.get(Job, late)
    job.updated_at = utcnow() + timedelta(seconds=5)  # changed after the rebuild read the table
    db.session.commit()
    fill = geo_index._fill

    def fill_without_the_late_job(connection, rows, keys_of):
        fill(connection, [row for row in rows if getattr(row, "id", None) != late], keys_of)

    monkeypatch.setattr(geo_index, "_fill", fill_without_the_late_job)
    geo_index.rebuild()

    assert app.extensions["redis"].zscore("geo:jobs:all", str(late)) is not None
    assert late in found(client, radius_m=4000)
