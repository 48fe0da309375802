"""The dashboards in a real browser: sign in with TOTP, charts drawn with their series, drill down two levels.

Headless Chromium (tests/console/browser.py) against the test's own app on a free port; without
Chromium, chromedriver or the vendored ECharts the tests skip and say why. Screenshots of every
section go to test-artifacts/console/.
"""

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import PASSWORD
from tests.console.browser import require_vendor
from tests.console.conftest import TOTP_SECRET, enrol_totp, fresh_code
from tests.console.dashboard_world import CITY, build_world

SECTIONS = ["people", "zero_employment", "grid", "jobs", "stations", "push"]
# What each section's charts are, and the series one of them must carry.
EXPECTED = {
    "people": ("people-status-trend", {"就业", "灵活就业", "登记失业"}),
    "zero_employment": ("zero-employment-trend", {"月末零就业家庭", "新增", "清零"}),
    "grid": ("grid-workers", {"本月走访天数", "截至当日应走访"}),
    "jobs": ("jobs-by-size", {"本月发布岗位", "在招岗位", "本月录用"}),
    "stations": ("stations-funnel", {"服务漏斗"}),
    "push": ("push-by-template", {"已发送", "无订阅额度未发", "发送失败"}),
}
SERIES = """
const chart = window.consoleCharts[arguments[0]];
if (!chart) return null;
return chart.getOption().series.map(s => ({name: s.name, type: s.type, data: s.data}));
"""


def wait_until(browser, condition, seconds: float = 15):
    """Wait for a condition of the page (a callable of the driver) and return its value."""
    return WebDriverWait(browser, seconds).until(condition)


def ready(browser) -> None:
    """Wait until console.js has run and every chart on the page is drawn (or said it could not be)."""
    wait_until(browser, lambda d: d.execute_script("return document.documentElement.dataset.consoleReady"))
    drawn = browser.execute_script(
        "return [...document.querySelectorAll('[data-chart]')].map(el => "
        "[el.id, el.dataset.chartReady || null, el.dataset.chartError || null])"
    )
    assert drawn, "no chart on the page"
    assert all(ok == "1" and error is None for _, ok, error in drawn), drawn


def full_shot(browser, name: str) -> None:
    """Save a screenshot of the whole page (the window made as tall as the page for it)."""
    width, height = browser.get_window_size()["width"], browser.get_window_size()["height"]
    tall = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(max(tall, height), 12000))
    try:
        browser.shot(name)
    finally:
        browser.set_window_size(width, height)


def crumbs(browser) -> list[str]:
    """Return the breadcrumbs' names, top first."""
    return [li.text for li in browser.find_elements(By.CSS_SELECTOR, "[data-testid=breadcrumbs] li")]


def sign_in(browser, account) -> None:
    """Sign in through the real pages: password, then a TOTP code."""
    browser.go("/console/login")
    browser.find_element(By.ID, "username").send_keys(account.username)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=sign-in]").click()
    code = wait_until(browser, lambda d: d.find_element(By.ID, "code"))
    code.send_keys(fresh_code(account, TOTP_SECRET))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=verify]").click()
    wait_until(browser, lambda d: "/console/dashboard" in d.current_url)


@pytest.fixture
def city_admin(make_staff, make_resident):
    """The world of the dashboard tests, and a city administrator with TOTP."""
    require_vendor()
    world = build_world(make_staff, make_resident)
    account = make_staff("city_admin", "city", CITY, username="city-admin")
    enrol_totp(account)
    return world, account


def test_the_city_admin_sees_every_section_charted_and_drills_down_two_levels(browser, city_admin):
    world, account = city_admin
    sign_in(browser, account)
    ready(browser)
    assert crumbs(browser) == ["黄山市"]

    for section in SECTIONS:
        browser.go(f"/console/dashboard?section={section}&month={world.last}")
        ready(browser)
        chart_id, names = EXPECTED[section]
        series = browser.execute_script(SERIES, chart_id)
        assert series is not None, f"{chart_id} was not drawn"
        assert names <= {s["name"] for s in series}, series
        # Drawn on a canvas, with its table below it.
        assert browser.find_elements(By.CSS_SELECTOR, f"#{chart_id} canvas")
        assert browser.find_elements(By.CSS_SELECTOR, f"#{chart_id}-block table.chart-table")
        full_shot(browser, f"dashboard-city-{section}")

    browser.go(f"/console/dashboard?section=people&month={world.last}")
    ready(browser)
    people = {s["name"]: s["data"] for s in browser.execute_script(SERIES, "people-status-trend")}
    assert people["就业"][-1] == 67 and people["灵活就业"][-1] == 5
    by_child = {s["name"]: s["data"] for s in browser.execute_script(SERIES, "people-children")}
    assert by_child["就业"][:2] == [65, 7]

    # Drill down: city -> district -> circle, by clicking the places' names.
    browser.find_element(By.CSS_SELECTOR, "[data-testid=drill-down]").find_element(
        By.LINK_TEXT, "屯溪区"
    ).click()
    wait_until(browser, lambda d: crumbs(d) == ["黄山市", "屯溪区"])
    ready(browser)
    district = {s["name"]: s["data"] for s in browser.execute_script(SERIES, "people-children")}
    assert district["就业"][:2] == [45, 20]  # 城中, 城东
    full_shot(browser, "dashboard-district-people")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=drill-down]").find_element(
        By.LINK_TEXT, "城中就业圈"
    ).click()
    wait_until(browser, lambda d: crumbs(d) == ["黄山市", "屯溪区", "城中就业圈"])
    ready(browser)
    circle = {s["name"]: s["data"] for s in browser.execute_script(SERIES, "people-children")}
    assert circle["就业"] == [45, 0]  # 昱中, 老街
    assert f"month={world.last}" in browser.current_url and "section=people" in browser.current_url
    full_shot(browser, "dashboard-circle-people")

    # The breadcrumbs lead back up.
    browser.find_element(By.CSS_SELECTOR, "[data-testid=breadcrumbs]").find_element(
        By.LINK_TEXT, "黄山市"
    ).click()
    wait_until(browser, lambda d: crumbs(d) == ["黄山市"])


def test_the_stations_map_and_heatmap_are_drawn_without_tiles(browser, city_admin):
    world, account = city_admin
    sign_in(browser, account)

    browser.go(f"/console/dashboard?section=stations&month={world.last}")
    ready(browser)

    points = {s["name"]: s["data"] for s in browser.execute_script(SERIES, "stations-map")}
    assert [p["name"] for p in points["服务站"]] == ["昱中服务站"]
    assert len(points["社区/村"]) == 5
    heat = browser.execute_script(SERIES, "stations-heat")
    assert heat[0]["type"] == "heatmap" and heat[0]["data"][0][2] == 4
    # Nothing was asked of another host (no tiles, no CDN).
    hosts = browser.execute_script(
        "return [...new Set(performance.getEntriesByType('resource').map(e => new URL(e.name).host))]"
    )
    assert hosts == [f"127.0.0.1:{browser.server.port}"]
    browser.execute_script("document.getElementById('stations-map-section').scrollIntoView()")
    browser.shot("dashboard-city-stations-map")


def test_the_grid_progress_page_highlights_workers_behind_plan(browser, city_admin):
    world, account = city_admin
    sign_in(browser, account)

    last_day = world.this_month - timedelta(days=1)
    browser.go(f"/console/grid/progress?as_of={last_day.isoformat()}")
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=grid-progress]"))

    rows = browser.find_elements(By.CSS_SELECTOR, "#workers tbody tr")
    assert [row.find_element(By.TAG_NAME, "td").text for row in rows] == ["网格员乙", "网格员甲"]
    behind = rows[0].find_element(By.CSS_SELECTOR, "td.behind")
    assert behind.value_of_css_property("background-color") != rows[1].find_element(
        By.TAG_NAME, "td"
    ).value_of_css_property("background-color")
    full_shot(browser, "grid-progress")
