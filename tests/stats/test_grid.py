"""Grid work: visit days per worker against the plan's 10, quarterly coverage per community and circle,
in the statistics and in /grid/progress, now open to officials and supervisors."""

from datetime import timedelta

import pytest

from app.common.clock import month_end
from app.services.grid import snapshots
from app.services.stats.base import label
from tests.stats.conftest import (
    CHENGZHONG,
    CITY,
    LAOJIE,
    LJ1,
    YUZHONG,
    YZ1,
    YZ2,
    add_visit,
    get_section,
    last_month,
    rows_by,
)
from tests.support import assign_directly, make_household

PROGRESS = "/api/v1/grid/progress"


@pytest.fixture
def work(places, make_staff, login):
    """Last month: 昱中一's worker visited on 10 days, 昱中二's on 3, 老街一's on none; then its snapshot."""
    month = last_month()
    homes = {
        code: [make_household(code, [(f"户{i}", "employed", "19800101")]) for i in range(n)]
        for code, n in ((YZ1, 4), (YZ2, 2), (LJ1, 2))
    }
    workers = {}
    for code, scope in ((YZ1, YUZHONG), (YZ2, YUZHONG), (LJ1, LAOJIE)):
        worker = make_staff("grid_worker", *scope)
        assign_directly(worker, [code])
        workers[code] = worker
    first, second, third, moved = homes[YZ1]
    for day in range(10):
        add_visit(workers[YZ1].id, (first, second, third)[day % 2], month + timedelta(days=day))
    add_visit(workers[YZ1].id, moved, month + timedelta(days=2), outcome="moved")
    add_visit(workers[YZ1].id, third, month + timedelta(days=3), outcome="not_home")
    for day in range(3):
        add_visit(workers[YZ2].id, homes[YZ2][0], month + timedelta(days=day))
    snapshots.snapshot(label(month))
    return {"workers": workers, "headers": {code: login(w.username) for code, w in workers.items()}}


def test_visit_days_per_worker_against_the_plan(client, staff, work):
    _, headers = staff("township_admin", YUZHONG)

    body = get_section(client, headers, "grid", month=label(last_month()))

    rows = rows_by(body["tables"]["workers"], "account_id")
    first, second = work["workers"][YZ1], work["workers"][YZ2]
    assert set(rows) == {first.id, second.id}  # 老街's worker is not 昱中's
    assert (rows[first.id]["visit_days"], rows[first.id]["behind"]) == (10, False)
    assert (rows[second.id]["visit_days"], rows[second.id]["behind"], rows[second.id]["behind_label"]) == (
        3,
        True,
        "落后",
    )
    assert rows[second.id]["communities"] == "昱中二社区" and rows[second.id]["expected_by_now"] == 10
    assert body["tables"]["workers"]["rows"][0]["account_id"] == second.id  # behind plan first
    figures = body["figures"]
    assert (figures["workers"], figures["behind"], figures["target"], figures["expected_by_now"]) == (
        2,
        1,
        10,
        10,
    )
    assert (
        body["series"]["visit_days"]["series"][0]["data"][3] == 1
        and body["series"]["visit_days"]["x"][-1] == "10天及以上"
    )
    assert body["as_of"] == month_end(last_month()).isoformat() and body["live"] is False


def test_quarterly_coverage_per_community_circle_and_child(client, staff, work):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "grid", place=f"circle:{CHENGZHONG[1]}", month=label(last_month()))

    communities = rows_by(body["tables"]["communities"])
    # 昱中一: four households, one moved away (not due), two of the other three met.
    assert {
        k: communities["昱中一社区"][k] for k in ("households", "met", "coverage", "moved", "not_home")
    } == {
        "households": 3,
        "met": 2,
        "coverage": round(2 / 3, 4),
        "moved": 1,
        "not_home": 1,
    }
    assert (communities["昱中二社区"]["met"], communities["老街一社区"]["coverage"]) == (1, 0.0)
    assert body["tables"]["communities"]["rows"][0]["place"] == "老街一社区"  # lowest coverage first
    townships = rows_by(body["tables"]["children"])
    assert (townships["昱中街道"]["households"], townships["昱中街道"]["met"]) == (5, 3)
    [circle] = body["tables"]["circles"]["rows"]
    assert (circle["place"], circle["households"], circle["met"]) == ("城中就业圈", 7, 3)
    assert (body["figures"]["coverage"], body["figures"]["workers"], body["figures"]["behind"]) == (
        round(3 / 7, 4),
        3,
        2,
    )
    assert body["coverage_as_of"] is not None


def test_progress_is_open_to_officials_with_a_row_per_worker(client, staff, work):
    as_of = month_end(last_month()).isoformat()
    _, township = staff("township_admin", YUZHONG)
    _, supervisor = staff("supervisor", CHENGZHONG)

    body = client.get(PROGRESS, query_string={"as_of": as_of}, headers=township).get_json()

    assert body["place"] == {"kind": "township", "code": YUZHONG[1], "name": "昱中街道"}
    workers = {row["account_id"]: row for row in body["workers"]}
    assert (workers[work["workers"][YZ1].id]["visit_days"], workers[work["workers"][YZ2].id]["behind"]) == (
        10,
        True,
    )
    assert {row["community"]["code"] for row in body["quarter"]["communities"]} == {YZ1, YZ2}
    assert body["month"]["visit_days"] == 0  # the admin's own
    assert body["coverage_as_of"] is not None

    wide = client.get(PROGRESS, query_string={"as_of": as_of}, headers=supervisor)
    assert wide.status_code == 200, wide.get_json()
    wide = wide.get_json()
    assert len(wide["workers"]) == 3 and [w["visit_days"] for w in wide["workers"]] == [0, 3, 10]
    [circle] = wide["circles"]
    assert (circle["circle"]["name"], circle["communities"], circle["households"], circle["met"]) == (
        "城中就业圈",
        3,
        7,
        3,
    )


def test_a_grid_worker_keeps_their_own_progress(client, work):
    as_of = month_end(last_month()).isoformat()

    body = client.get(PROGRESS, query_string={"as_of": as_of}, headers=work["headers"][YZ1]).get_json()

    assert set(body) == {"as_of", "month", "quarter"}
    assert body["month"]["visit_days"] == 10
    [row] = body["quarter"]["communities"]
    assert (row["community"]["code"], row["households"], row["met"], row["moved"]) == (YZ1, 3, 2, 1)


def test_station_staff_see_no_progress(client, staff, work):
    _, headers = staff("station_staff", CHENGZHONG)

    assert client.get(PROGRESS, headers=headers).status_code == 403
