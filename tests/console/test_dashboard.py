"""The dashboards: each role's sections at its own place, drill-down within scope, the charts' series.

The figures come from tests/console/dashboard_world.py (last month, a closed month); the chart
options are read from the JSON each chart carries in the page, as console.js reads them.
"""

import re

import pytest

from tests.console.conftest import csrf_token
from tests.console.dashboard_world import (
    CHENGDONG,
    CHENGZHONG,
    CITY,
    GANTANG,
    HUANGSHAN_DISTRICT,
    LAOJIE,
    SECRET_ID,
    SECRET_PHONE,
    STATION_POINT,
    TUNXI,
    VILLAGE,
    YUZHONG,
    YUZHONG_1,
    add_grid_workers,
    build_world,
    charts_of,
    crumbs_of,
    drill_links,
    series_of,
    tabs_of,
)
from tests.exports.files import read_csv

SECTIONS = ["people", "zero_employment", "grid", "jobs", "stations", "push"]
DISTRICTS = ["屯溪区", "黄山区", "徽州区", "歙县", "休宁县", "黟县", "祁门县"]


@pytest.fixture
def world(make_staff, make_resident):
    """The small world of the dashboard tests."""
    return build_world(make_staff, make_resident)


def page(client, url: str, status: int = 200) -> str:
    """GET a console page, assert its status, return its HTML."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.location)
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "kind", "code", "root", "sections"),
    [
        ("city_admin", "city", CITY, "黄山市", SECTIONS),
        ("district_admin", "district", TUNXI, "屯溪区", SECTIONS),
        ("township_admin", "township", YUZHONG, "昱中街道", SECTIONS),
        ("operator", "circle", CHENGZHONG, "城中就业圈", SECTIONS),
        ("supervisor", "city", CITY, "黄山市", SECTIONS),
        ("supervisor", "circle", CHENGDONG, "城东就业圈", SECTIONS),
        ("station_staff", "circle", CHENGZHONG, "城中就业圈", ["jobs", "stations"]),
    ],
)
def test_each_role_opens_the_sections_it_may_see_at_its_own_place(
    client, console_staff, world, role, kind, code, root, sections
):
    console_staff(role, kind, code)

    first = page(client, "/console/dashboard")

    assert crumbs_of(first) == [root]
    assert tabs_of(first) == sections
    assert f'data-section="{sections[0]}"' in first  # the first section the role may see
    for name in sections:
        shown = page(client, f"/console/dashboard?section={name}&month={world.last}")
        assert f'<div class="dashboard" data-section="{name}"' in shown
        assert f'data-month="{world.last}"' in shown
        assert charts_of(shown), f"{name}: no chart on the page"
        assert 'data-testid="export-xlsx"' in shown and 'data-testid="export-csv"' in shown
    for name in set(SECTIONS) - set(sections):
        refused = page(client, f"/console/dashboard?section={name}", 403)
        assert "无权访问" in refused


def test_the_console_home_opens_the_dashboard(client, console_staff, world):
    console_staff("operator", "circle", CHENGZHONG)

    response = client.get("/console/")

    assert response.status_code == 302 and response.location == "/console/dashboard"


def test_a_grid_worker_is_refused_and_a_stranger_is_sent_to_sign_in(client, console_staff, world):
    assert client.get("/console/dashboard").location.startswith("/console/login")
    assert client.get(f"/console/dashboard/city/{CITY}").location.startswith("/console/login")

    console_staff("grid_worker", "community", YUZHONG_1)

    assert "无权访问" in page(client, "/console/dashboard", 403)
    assert "无权访问" in page(client, f"/console/dashboard/community/{YUZHONG_1}", 403)


def test_the_city_admin_drills_down_from_the_city_to_a_community(client, console_staff, world):
    console_staff("city_admin", "city", CITY)

    city = page(client, f"/console/dashboard?section=people&month={world.last}")
    links = drill_links(city)
    assert list(links) == DISTRICTS
    district = page(client, links["屯溪区"])
    assert crumbs_of(district) == ["黄山市", "屯溪区"]
    assert f"month={world.last}" in links["屯溪区"] and "section=people" in links["屯溪区"]
    circles = drill_links(district)
    assert list(circles)[:2] == ["城中就业圈", "城东就业圈"]
    circle = page(client, circles["城中就业圈"])
    assert crumbs_of(circle) == ["黄山市", "屯溪区", "城中就业圈"]
    assert list(drill_links(circle)) == ["昱中街道", "老街街道"]
    township = page(client, drill_links(circle)["昱中街道"])
    assert crumbs_of(township) == ["黄山市", "屯溪区", "城中就业圈", "昱中街道"]
    community = page(client, drill_links(township)["昱中一社区"])
    assert crumbs_of(community) == ["黄山市", "屯溪区", "城中就业圈", "昱中街道", "昱中一社区"]
    assert "这是最下一级地点" in community
    # A district's townships outside every circle hang under it, marked so.
    other = page(
        client, f"/console/dashboard/district/{HUANGSHAN_DISTRICT}?section=people&month={world.last}"
    )
    assert "甘棠镇（圈外）" in other
    village = page(client, f"/console/dashboard/township/{GANTANG}?section=people&month={world.last}")
    assert crumbs_of(village) == ["黄山市", "黄山区", "甘棠镇"]
    assert "黄山区一村" in drill_links(village)


def test_a_township_admin_sees_no_other_township_and_drill_down_beyond_is_404(client, console_staff, world):
    console_staff("township_admin", "township", YUZHONG)

    own = page(client, f"/console/dashboard?section=people&month={world.last}")

    assert crumbs_of(own) == ["昱中街道"]
    assert list(drill_links(own)) == ["昱中一社区", "昱中二社区"]
    assert "老街" not in own and "昱东" not in own and "屯溪区" not in own
    people = series_of(charts_of(own)["people-children"])
    assert people == {"就业": [45, 0], "未就业": [10, 0]}  # 昱中一社区 only
    below = page(client, f"/console/dashboard/community/{YUZHONG_1}?section=grid&month={world.last}")
    assert crumbs_of(below) == ["昱中街道", "昱中一社区"]
    for beyond in (
        f"/console/dashboard/township/{LAOJIE}",
        f"/console/dashboard/circle/{CHENGZHONG}",
        f"/console/dashboard/district/{TUNXI}",
        f"/console/dashboard/city/{CITY}",
        f"/console/dashboard/community/{VILLAGE}",
        "/console/dashboard/community/341002004001?section=people",
        "/console/dashboard/township/999999999999",
    ):
        refused = page(client, beyond, 404)
        assert "页面不存在" in refused and "昱中一社区" not in refused


def test_an_operator_sees_their_circle_only(client, console_staff, world):
    console_staff("operator", "circle", CHENGZHONG)

    own = page(client, f"/console/dashboard?section=grid&month={world.last}")

    assert crumbs_of(own) == ["城中就业圈"]
    assert list(drill_links(own)) == ["昱中街道", "老街街道"]
    township = page(client, drill_links(own)["昱中街道"])
    assert crumbs_of(township) == ["城中就业圈", "昱中街道"]
    page(client, f"/console/dashboard/circle/{CHENGDONG}", 404)
    page(client, "/console/dashboard/community/341002001001", 404)


def test_a_district_admin_cannot_open_another_district(client, console_staff, world):
    console_staff("district_admin", "district", HUANGSHAN_DISTRICT)

    own = page(client, f"/console/dashboard?section=people&month={world.last}")

    assert crumbs_of(own) == ["黄山区"]
    assert series_of(charts_of(own)["people-status-trend"])["就业"][-1] == 7
    page(client, f"/console/dashboard/district/{TUNXI}", 404)
    page(client, f"/console/dashboard/circle/{CHENGZHONG}", 404)


def test_the_people_charts_carry_the_snapshots_figures(client, console_staff, world):
    console_staff("city_admin", "city", CITY)

    shown = page(client, f"/console/dashboard?section=people&month={world.last}")
    charts = charts_of(shown)

    trend = charts["people-status-trend"]
    assert trend["xAxis"]["data"][-1] == world.last and len(trend["xAxis"]["data"]) == 12
    statuses = series_of(trend)
    assert {"就业", "灵活就业", "登记失业", "未就业(未登记)", "在校学生"} <= set(statuses)
    assert statuses["就业"][-1] == 67 and statuses["灵活就业"][-1] == 5 and statuses["登记失业"][-1] == 4
    assert statuses["就业"][-2] is None  # no snapshot the month before: a gap, not a zero
    by_child = charts["people-children"]
    assert by_child["xAxis"]["data"] == DISTRICTS
    assert all(series.get("stack") == "status" for series in by_child["series"])
    assert series_of(by_child) == {"就业": [65, 7, 0, 0, 0, 0, 0], "未就业": [13, 1, 0, 0, 0, 0, 0]}
    key_groups = charts["people-by-key-group"]
    assert dict(zip(key_groups["xAxis"]["data"], key_groups["series"][0]["data"], strict=True))["农民工"] == 4
    assert series_of(charts["people-flows-trend"])["新增失业"][-1] == 3
    assert charts["people-by-status"]["series"][0]["type"] == "pie"
    # Every chart has its table below it, the drill-down's with links.
    assert "<caption>近12个月各就业状态人数（数据表）</caption>" in shown
    assert '<a href="/console/dashboard/district/341002000000?section=people&amp;month=' in shown
    # This month: live figures, one more employed per community.
    now = series_of(charts_of(page(client, "/console/dashboard?section=people"))["people-status-trend"])
    assert now["就业"][-2:] == [67, 70]


def test_the_zero_employment_section_shows_the_trend_days_open_and_oldest_cases(client, console_staff, world):
    console_staff("district_admin", "district", TUNXI)

    shown = page(client, "/console/dashboard?section=zero_employment")
    charts = charts_of(shown)

    assert series_of(charts["zero-employment-trend"])["月末零就业家庭"][-1] == 2  # the snapshot's
    bands = charts["zero-employment-days-open"]
    assert dict(zip(bands["xAxis"]["data"], bands["series"][0]["data"], strict=True))["31–90天"] == 1
    assert "未清零时间最长的家庭" in shown and "昱中一社区" in shown and ">45<" in shown
    assert "零就业户主" not in shown  # no names


def test_the_grid_section_shows_visit_days_against_the_target_and_coverage(client, console_staff, world):
    console_staff("city_admin", "city", CITY)

    shown = page(client, f"/console/dashboard/circle/{CHENGZHONG}?section=grid&month={world.last}")
    charts = charts_of(shown)

    workers = charts["grid-workers"]
    assert workers["xAxis"]["data"] == ["网格员乙", "网格员甲"]  # behind plan first
    assert series_of(workers) == {"本月走访天数": [0, 10], "截至当日应走访": [10, 10]}
    assert workers["series"][0]["markLine"]["data"] == [{"name": "月目标", "yAxis": 10}]
    assert series_of(charts["grid-visit-days"])["网格员人数"] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert series_of(charts["grid-children"]) == {"本季覆盖率": [42.9, 0.0]}  # 12 of 28 in 昱中
    # Behind plan highlighted; coverage coloured (a heat table).
    assert '<td class="behind">网格员乙</td>' in shown
    assert '<td class="heat-2">42.9%</td>' in shown
    assert "各社区/村本季走访覆盖率" in shown


def test_the_jobs_section_counts_this_months_jobs_by_circle_and_size(
    client, console_staff, world, make_employer, make_job
):
    _, employer = make_employer(name="黄山微型茶业", size="micro")
    make_job(employer)
    console_staff("operator", "circle", CHENGZHONG)

    charts = charts_of(page(client, "/console/dashboard?section=jobs"))

    by_size = charts["jobs-by-size"]
    published = dict(zip(by_size["xAxis"]["data"], series_of(by_size)["本月发布岗位"], strict=True))
    assert published["微型(<10人)"] == 1 and published["小型(10–99人)"] == 0
    by_circle = charts["jobs-by-circle"]
    assert by_circle["xAxis"]["data"] == ["城中就业圈"]
    assert series_of(by_circle)["在招岗位"] == [1]
    assert series_of(charts["jobs-pipeline"]) == {"人次": [0, 0, 0]}


def test_the_stations_section_draws_the_funnel_waits_heatmap_and_map(client, console_staff, world):
    console_staff("station_staff", "circle", CHENGZHONG)

    shown = page(client, f"/console/dashboard?section=stations&month={world.last}")
    charts = charts_of(shown)

    funnel = charts["stations-funnel"]["series"][0]
    assert funnel["type"] == "funnel"
    assert [(step["name"], step["value"]) for step in funnel["data"]][:3] == [
        ("来访签到", 4),
        ("已服务", 3),
        ("已记录结果", 3),
    ]
    purposes = series_of(charts["stations-by-purpose"])
    assert purposes["推荐岗位"][1] == 2 and purposes["未服务"][0] == 1
    assert series_of(charts["stations-waits"])["已服务人次"] == [0, 3, 0, 0, 0, 0]
    assert "中位数 10 分钟，90分位 10 分钟" in shown
    heat = charts["stations-heat"]["series"][0]
    weekday = world.last_month.replace(day=10).weekday()
    assert heat["type"] == "heatmap" and heat["data"] == [[10, weekday, 4]]
    points = charts["stations-map"]
    assert points["xAxis"]["type"] == "value" and points["yAxis"]["type"] == "value"
    stations = {s["name"]: s["data"] for s in points["series"]}
    assert stations["服务站"] == [{"name": "昱中服务站", "value": [STATION_POINT[1], STATION_POINT[0]]}]
    assert {p["name"] for p in stations["社区/村"]} == {"昱中一社区", "昱中二社区", "老街一社区"}
    assert "tile" not in str(points) and "bmap" not in points and "geo" not in points


def test_the_push_section_stacks_each_templates_outcomes(client, console_staff, world):
    console_staff("supervisor", "city", CITY)

    charts = charts_of(page(client, f"/console/dashboard?section=push&month={world.last}"))

    by_template = charts["push-by-template"]
    assert by_template["xAxis"]["data"][:2] == ["岗位推荐", "投递进展"]
    outcomes = series_of(by_template)
    assert outcomes["已发送"][:2] == [3, 1]
    assert outcomes["无订阅额度未发"][:2] == [1, 0] and outcomes["发送失败"][:2] == [1, 0]
    assert {series["stack"] for series in by_template["series"]} == {"outcome"}


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("section=nothing", 422, "输入有误"),
        ("month=2026-13", 422, "输入有误"),
        ("month=2999-01", 422, "输入有误"),
    ],
)
def test_bad_input_is_answered_in_a_page(client, console_staff, world, query, status, says):
    console_staff("city_admin", "city", CITY)

    assert says in page(client, f"/console/dashboard?{query}", status)


def test_an_unknown_place_kind_is_a_404_page(client, console_staff, world):
    console_staff("city_admin", "city", CITY)

    assert "页面不存在" in page(client, "/console/dashboard/planet/341002000000", 404)


def test_no_page_shows_a_full_id_number_or_phone(client, console_staff, world):
    console_staff("city_admin", "city", CITY)

    for name in SECTIONS:
        for place in ("", f"/community/{YUZHONG_1}"):
            for month in (world.last, world.this):
                shown = page(client, f"/console/dashboard{place}?section={name}&month={month}")
                assert SECRET_ID not in shown and SECRET_PHONE not in shown
                assert "隐私居民" not in shown
    progress = page(client, "/console/grid/progress")
    assert SECRET_ID not in progress and SECRET_PHONE not in progress


def test_the_workers_chart_names_the_furthest_behind_when_there_are_many(
    client, console_staff, world, monkeypatch
):
    from app.console import sections

    monkeypatch.setattr(sections, "WORKERS_CHARTED", 1)
    console_staff("operator", "circle", CHENGZHONG)

    shown = page(client, f"/console/dashboard?section=grid&month={world.last}")

    assert charts_of(shown)["grid-workers"]["xAxis"]["data"] == ["网格员乙"]
    assert "图中列出前 1 名。" in shown and "网格员甲" in shown  # the table lists both


def rows_in(page_html: str, block_id: str) -> list[str]:
    """Return the <tr> bodies of the table of one dashboard block (e.g. grid-workers)."""
    block = re.search(rf'id="{block_id}-block">(.*?)</figure>', page_html, re.S)
    assert block, f"no block {block_id}"
    return re.findall(r"<tr>(.*?)</tr>", block.group(1).split("<tbody>")[1], re.S)


def test_a_long_table_shows_its_first_rows_and_the_export_holds_them_all(
    client, console_staff, make_staff, world
):
    from app.console.sections import PAGE_ROWS

    extra = add_grid_workers(make_staff, PAGE_ROWS + 3)  # 55 workers, 54 behind plan
    console_staff("operator", "circle", CHENGZHONG)

    shown = page(client, f"/console/dashboard?section=grid&month={world.last}")

    rows = rows_in(shown, "grid-workers")
    assert len(rows) == PAGE_ROWS
    assert "behind" in rows[0] and all("网格员甲" not in row for row in rows)  # on plan: last, cut off
    assert f"共 {PAGE_ROWS + 5} 行，仅显示前 {PAGE_ROWS} 行 — 完整表格请导出 Excel/CSV" in shown
    assert len(charts_of(shown)["grid-workers"]["xAxis"]["data"]) == PAGE_ROWS + 5  # the chart: up to 60
    assert len(drill_links(shown)) == 2  # the drill-down stays whole (and no note on short tables)
    assert shown.count('data-testid="rows-more"') == 1
    response = client.post(
        f"/console/dashboard/circle/{CHENGZHONG}/export",
        query_string={"section": "grid", "table": "workers", "format": "csv", "month": world.last},
        data={"csrf_token": csrf_token(client, "/console/dashboard")},
    )
    exported = read_csv(response.get_data())
    response.close()  # let the file go
    assert response.status_code == 200
    names = [row[0] for row in exported.rows]
    assert len(names) == PAGE_ROWS + 5 and names[-1] == "网格员甲" and set(extra) <= set(names)


def test_first_rows_cuts_a_table_and_says_how_many_it_had():
    from app.console.sections import PAGE_ROWS, first_rows, more_note

    table = {"columns": [["n", "序号"]], "rows": [{"n": n} for n in range(PAGE_ROWS + 1)]}

    cut, total = first_rows(table)

    assert [row["n"] for row in cut["rows"]] == list(range(PAGE_ROWS)) and total == PAGE_ROWS + 1
    assert table["rows"][-1] == {"n": PAGE_ROWS}  # the table given is left whole
    assert first_rows(table, 100) == (table, PAGE_ROWS + 1)
    assert more_note(PAGE_ROWS, PAGE_ROWS) is None
    assert more_note(7, 5, "见接口") == "共 7 行，仅显示前 5 行 — 见接口"
