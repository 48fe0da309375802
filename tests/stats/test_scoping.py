"""The drill-down and its scope: each level sees its place and below, nothing beside or above it (404)."""

import pytest

from app.errors import NotFound
from app.services.stats import places
from tests.stats.conftest import (
    CHENGDONG,
    CHENGZHONG,
    CITY,
    HUANGSHAN_DISTRICT,
    LAOJIE,
    STATS,
    TUNXI,
    VILLAGE,
    YD1,
    YUZHONG,
    YZ1,
    get_section,
    path,
)
from tests.support import assign_directly, error_of


def drill(client, headers, place=None, status=200):
    """GET /stats/places (at ?place=) and return the body."""
    query = {"place": place} if place else {}
    response = client.get(f"{STATS}/places", query_string=query, headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def names(places_: list[dict]) -> list[str]:
    return [p["name"] for p in places_]


def test_a_city_admin_drills_from_the_city_to_a_community(client, staff):
    _, headers = staff("city_admin", CITY)

    city = drill(client, headers)
    assert city["place"] == city["root"] and city["place"]["kind"] == "city"
    assert names(city["children"])[:2] == ["屯溪区", "黄山区"] and len(city["children"]) == 7
    assert [s["name"] for s in city["sections"]] == [
        "people",
        "zero_employment",
        "grid",
        "jobs",
        "stations",
        "push",
    ]

    tunxi = drill(client, headers, path(TUNXI))
    assert [c["kind"] for c in tunxi["children"]][:6] == ["circle"] * 6
    assert "城中就业圈" in names(tunxi["children"])
    assert names(tunxi["breadcrumbs"]) == ["黄山市", "屯溪区"]

    circle = drill(client, headers, path(CHENGZHONG))
    assert names(circle["children"]) == ["昱中街道", "老街街道"]
    township = drill(client, headers, path(YUZHONG))
    assert names(township["children"]) == ["昱中一社区", "昱中二社区"]
    community = drill(client, headers, f"community:{YZ1}")
    assert community["children"] == []
    assert names(community["breadcrumbs"]) == ["黄山市", "屯溪区", "城中就业圈", "昱中街道", "昱中一社区"]
    assert community["breadcrumbs"][-1]["path"] == f"community:{YZ1}"


def test_a_township_outside_every_circle_hangs_under_its_district(client, staff):
    _, headers = staff("city_admin", CITY)

    district = drill(client, headers, path(HUANGSHAN_DISTRICT))

    assert district["children"], "黄山区 has townships"
    assert {c["kind"] for c in district["children"]} == {"township"}
    assert {c["group"] for c in district["children"]} == {"outside_circle"}
    village = drill(client, headers, f"community:{VILLAGE}")
    assert [p["kind"] for p in village["breadcrumbs"]] == ["city", "district", "township", "community"]


def test_breadcrumbs_start_at_the_callers_own_place(client, staff):
    _, headers = staff("township_admin", YUZHONG)

    home = drill(client, headers)
    assert home["place"]["path"] == path(YUZHONG)
    assert names(home["breadcrumbs"]) == ["昱中街道"]
    below = drill(client, headers, f"community:{YZ1}")
    assert names(below["breadcrumbs"]) == ["昱中街道", "昱中一社区"]
    assert [s["name"] for s in below["sections"]] == [
        "people",
        "zero_employment",
        "grid",
        "jobs",
        "stations",
        "push",
    ]


@pytest.mark.parametrize(
    ("role", "scope", "outside"),
    [
        ("township_admin", YUZHONG, LAOJIE),  # the next township
        ("township_admin", YUZHONG, ("community", YD1)),  # a community of another circle
        ("township_admin", YUZHONG, CHENGZHONG),  # its own circle: above it
        ("township_admin", YUZHONG, TUNXI),
        ("township_admin", YUZHONG, CITY),
        ("operator", CHENGZHONG, CHENGDONG),
        ("operator", CHENGZHONG, ("township", "341002001000")),
        ("supervisor", CHENGZHONG, TUNXI),
        ("district_admin", HUANGSHAN_DISTRICT, TUNXI),
        ("district_admin", HUANGSHAN_DISTRICT, ("community", YZ1)),
        ("station_staff", CHENGZHONG, CHENGDONG),
    ],
)
def test_drill_down_beyond_the_scope_is_404(client, staff, role, scope, outside):
    _, headers = staff(role, scope)

    assert drill(client, headers, path(outside), status=404)["error"]["code"] == "place_not_found"
    section = "stations" if role == "station_staff" else "people"
    body = get_section(client, headers, section, place=path(outside), status=404)
    assert body["error"]["code"] == "place_not_found"


def test_an_unknown_or_malformed_place(client, staff):
    _, headers = staff("city_admin", CITY)

    assert get_section(client, headers, "people", place="township:341002999000", status=404)["error"][
        "code"
    ] == ("place_not_found")
    for bad in ("township", "planet:1", "township:", "district:34100200000O!"):
        error = get_section(client, headers, "people", place=bad, status=422)["error"]
        assert (error["code"], error["field"]) == ("invalid_place", "place")


def test_who_sees_which_section(client, staff, make_staff, login):
    worker = make_staff("grid_worker", "community", YZ1)
    assign_directly(worker, [YZ1])
    grid_worker = login(worker.username)
    _, station = staff("station_staff", CHENGZHONG)

    assert [s["name"] for s in drill(client, station)["sections"]] == ["jobs", "stations"]
    get_section(client, station, "stations")
    get_section(client, station, "jobs")
    for name in ("people", "zero-employment", "grid", "push"):
        assert get_section(client, station, name, status=403)["error"]["code"] == "role_forbidden"
    # Grid workers have their own progress (/grid/progress), no statistics.
    assert error_of(client.get(f"{STATS}/places", headers=grid_worker))["code"] == "role_forbidden"
    for name in ("people", "zero-employment", "grid", "jobs", "stations", "push"):
        assert get_section(client, grid_worker, name, status=403)["error"]["code"] == "role_forbidden"
    assert client.get(f"{STATS}/people").status_code == 401


def test_resolve_and_children_as_services(app, make_staff):
    admin = make_staff("district_admin", "district", TUNXI[1])

    circle = places.resolve(admin, "circle", CHENGZHONG[1])
    assert (circle.kind, circle.code, circle.name, circle.path) == (
        "circle",
        CHENGZHONG[1],
        "城中就业圈",
        path(CHENGZHONG),
    )
    assert [p.name for p in places.breadcrumbs(admin, circle)] == ["屯溪区", "城中就业圈"]
    assert places.root(admin).path == path(TUNXI)
    with pytest.raises(NotFound) as refused:
        places.resolve(admin, "district", HUANGSHAN_DISTRICT[1])
    assert refused.value.code == "place_not_found"
