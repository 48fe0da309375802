"""The grid progress page: officials see their workers (behind plan first, highlighted) and coverage."""

import re
from datetime import timedelta

import pytest

from tests.console.conftest import fresh_code
from tests.console.dashboard_world import CHENGDONG, CHENGZHONG, CITY, YUDONG_1, add_grid_workers, build_world

PROGRESS = "/console/grid/progress"


@pytest.fixture
def world(make_staff, make_resident):
    """The small world of the dashboard tests (two workers of 昱中一社区, last month's visits)."""
    return build_world(make_staff, make_resident)


def last_day(world) -> str:
    """Return last month's last day (YYYY-MM-DD): the day its visit days are complete."""
    return (world.this_month - timedelta(days=1)).isoformat()


def rows_of(page: str, table_id: str) -> list[str]:
    """Return the <tr> bodies of one table of the page."""
    table = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', page, re.S)
    assert table, f"no table {table_id}"
    return re.findall(r"<tr>(.*?)</tr>", table.group(1).split("<tbody>")[1], re.S)


@pytest.mark.parametrize(
    ("role", "kind", "code"),
    [
        ("city_admin", "city", CITY),
        ("district_admin", "district", "341002000000"),
        ("township_admin", "township", "341002002000"),
        ("operator", "circle", CHENGZHONG),
        ("supervisor", "city", CITY),
    ],
)
def test_officials_see_each_worker_behind_plan_first_and_coverage(
    client, console_staff, world, role, kind, code
):
    console_staff(role, kind, code)

    response = client.get(f"{PROGRESS}?as_of={last_day(world)}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    workers = rows_of(page, "workers")
    assert len(workers) == 2
    assert '<td class="behind">网格员乙</td>' in workers[0] and '<td class="behind">落后</td>' in workers[0]
    assert "网格员甲" in workers[1] and "正常" in workers[1] and "behind" not in workers[1]
    assert re.search(r"<td>10</td>\s*<td>10</td>\s*<td>10</td>", workers[1])  # days, due, target
    assert '<div class="figure">1</div><div class="label">进度落后</div>' in page
    circle = next(row for row in rows_of(page, "circles") if "城中就业圈" in row)
    assert "城中就业圈" in circle and '<td class="heat-2">42.9%</td>' in circle
    community = next(row for row in rows_of(page, "communities") if "昱中一社区" in row)
    assert "<td>28</td>" in community and "<td>12</td>" in community
    assert 'href="/api/v1/grid/progress"' in page


def test_the_page_offers_the_grid_sections_tables_for_export(client, console_staff, world):
    console_staff("operator", "circle", CHENGZHONG)

    page = client.get(PROGRESS).get_data(as_text=True)

    for table in ("workers", "communities", "circles"):
        assert (
            f'action="/console/dashboard/circle/{CHENGZHONG}/export?section=grid&amp;table={table}&amp;format=xlsx"'
            in page
        )
    # A past day's figures are not the section's (this month to today): no buttons then.
    assert "export?section=grid" not in client.get(f"{PROGRESS}?as_of={last_day(world)}").get_data(
        as_text=True
    )


def test_an_operator_sees_only_their_circles_workers(client, console_staff, make_staff, world):
    from tests.support import assign_directly

    elsewhere = make_staff("grid_worker", "community", YUDONG_1, username="grid-bing")
    elsewhere.display_name = "网格员丙"
    assign_directly(elsewhere, [YUDONG_1])
    console_staff("operator", "circle", CHENGDONG)

    page = client.get(f"{PROGRESS}?as_of={last_day(world)}").get_data(as_text=True)

    assert [("网格员丙" in row) for row in rows_of(page, "workers")] == [True]
    assert "网格员甲" not in page and "网格员乙" not in page and "昱中一社区" not in page


def test_a_grid_worker_sees_their_own_month_and_communities(client, console_login, world):
    client.get("/console/login")
    response = console_login("grid-jia")
    assert response.status_code == 302

    page = client.get(f"{PROGRESS}?as_of={last_day(world)}").get_data(as_text=True)

    assert '<div class="figure">10</div><div class="label">我的本月走访天数</div>' in page
    assert 'id="workers"' not in page and "export?" not in page
    assert "昱中一社区" in rows_of(page, "communities")[0]


def test_station_staff_are_refused(client, console_staff, world):
    console_staff("station_staff", "circle", CHENGZHONG)

    response = client.get(PROGRESS)

    assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)


def test_a_bad_day_is_a_422_page(client, console_staff, world):
    console_staff("city_admin", "city", CITY)

    response = client.get(f"{PROGRESS}?as_of=2026-02-30")

    assert response.status_code == 422 and "日期格式应为 YYYY-MM-DD" in response.get_data(as_text=True)


def test_the_page_needs_a_signed_in_staff_member(client, world):
    response = client.get(PROGRESS)

    assert response.status_code == 302 and response.location.startswith("/console/login")


def test_the_page_shows_the_same_rows_as_the_api(client, console_staff, login, world):
    account, secret = console_staff("city_admin", "city", CITY)
    day = last_day(world)
    headers = login(account.username, totp_code=fresh_code(account, secret))  # TOTP is on: the API asks too

    api = client.get(f"/api/v1/grid/progress?as_of={day}", headers=headers).get_json()
    page = client.get(f"{PROGRESS}?as_of={day}").get_data(as_text=True)

    assert [w["name"] for w in api["workers"]] == ["网格员乙", "网格员甲"]
    assert [w["name"] in row for w, row in zip(api["workers"], rows_of(page, "workers"), strict=True)] == [
        True,
        True,
    ]
    names = [c["community"]["name"] for c in api["quarter"]["communities"]]
    rows = rows_of(page, "communities")
    assert len(rows) == len(names) == 3 and all(name in row for name, row in zip(names, rows, strict=True))


def test_many_workers_show_the_first_rows_with_the_total(client, console_staff, make_staff, world):
    from app.console.sections import PAGE_ROWS

    add_grid_workers(make_staff, PAGE_ROWS + 3)  # 55 workers, 54 behind plan
    console_staff("operator", "circle", CHENGZHONG)

    past = client.get(f"{PROGRESS}?as_of={last_day(world)}").get_data(as_text=True)
    today = client.get(PROGRESS).get_data(as_text=True)

    rows = rows_of(past, "workers")
    assert len(rows) == PAGE_ROWS and all('class="behind"' in row for row in rows)
    assert '<div class="figure">55</div><div class="label">网格员</div>' in past  # the cards count all
    assert '<div class="figure">54</div><div class="label">进度落后</div>' in past
    assert f"共 {PAGE_ROWS + 5} 行，仅显示前 {PAGE_ROWS} 行 — 完整数据见接口 GET /api/v1/grid/" in past
    assert f"共 {PAGE_ROWS + 5} 行，仅显示前 {PAGE_ROWS} 行 — 完整表格请导出 Excel/CSV" in today
    assert today.count('data-testid="rows-more"') == 1  # 3 communities, 1 circle: whole
