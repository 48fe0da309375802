"""In a real browser (headless Chromium): sign in with TOTP, see the console, draw a chart, sign out."""

import pyotp
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from app.extensions import db
from app.models import AuditEvent
from tests.conftest import PASSWORD
from tests.console.browser import require_vendor
from tests.console.conftest import TOTP_SECRET, enrol_totp, fresh_code

CITY = "341000000000"


def wait_for(browser, locator, seconds=10):
    """Wait until an element is present and return it."""
    return WebDriverWait(browser, seconds).until(ec.presence_of_element_located(locator))


def sign_in_with_password(browser, username):
    """Fill and send the sign-in form."""
    browser.go("/console/login")
    wait_for(browser, (By.ID, "username")).send_keys(username)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, '[data-testid="sign-in"]').click()


def test_a_city_admin_signs_in_with_totp_sees_the_console_and_signs_out(browser, make_staff):
    admin = make_staff("city_admin", "city", CITY, username="city-browser")
    admin.display_name = "市局管理员"
    enrol_totp(admin)

    sign_in_with_password(browser, "city-browser")
    wait_for(browser, (By.ID, "code")).send_keys(fresh_code(admin, TOTP_SECRET))
    browser.shot("01-second-factor")
    browser.find_element(By.CSS_SELECTOR, '[data-testid="verify"]').click()

    user = wait_for(browser, (By.CSS_SELECTOR, '[data-testid="user"]'))
    assert user.text == "市局管理员"
    assert browser.find_element(By.CSS_SELECTOR, '[data-testid="role"]').text == "市人社局"
    assert browser.find_element(By.CSS_SELECTOR, '[data-testid="place"]').text == "黄山市"
    nav = browser.find_element(By.CSS_SELECTOR, "nav.sidenav").text
    assert "数据看板" in nav and "审计日志" in nav and "工作人员账号" in nav
    WebDriverWait(browser, 10).until(
        lambda b: b.execute_script("return document.documentElement.dataset.consoleReady") == "1"
    )
    browser.shot("02-signed-in")
    # The session cookie is out of reach of page scripts.
    assert "console_session" not in browser.execute_script("return document.cookie")
    assert browser.get_cookie("console_session")["httpOnly"] is True

    browser.find_element(By.CSS_SELECTOR, '[data-testid="sign-out"]').click()

    notice = wait_for(browser, (By.CSS_SELECTOR, '[data-testid="notice"]'))
    assert "您已安全退出" in notice.text
    browser.shot("03-signed-out")
    browser.go("/console/")
    assert "/console/login" in browser.current_url
    db.session.commit()
    done = [e.action for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]
    assert done[-3:] == ["console.login", "console.login", "console.logout"]


def test_a_new_district_admin_enrols_in_the_browser(browser, make_staff):
    make_staff("district_admin", "district", "341002000000", username="tunxi-browser")

    sign_in_with_password(browser, "tunxi-browser")
    secret = wait_for(browser, (By.CSS_SELECTOR, '[data-testid="totp-secret"]')).text
    qr = browser.find_element(By.CSS_SELECTOR, '[data-testid="totp-qr"]')
    assert qr.get_attribute("src").startswith("data:image/png;base64,")
    assert browser.execute_script("return arguments[0].naturalWidth", qr) > 0  # the CSP let it draw
    browser.shot("04-enrol")
    browser.find_element(By.ID, "code").send_keys(pyotp.TOTP(secret).now())
    browser.find_element(By.CSS_SELECTOR, '[data-testid="confirm-totp"]').click()

    codes = wait_for(browser, (By.CSS_SELECTOR, '[data-testid="recovery-codes"]'))
    assert len(codes.find_elements(By.TAG_NAME, "li")) == 10
    browser.shot("05-recovery-codes")
    browser.find_element(By.CSS_SELECTOR, '[data-testid="continue"]').click()
    assert wait_for(browser, (By.CSS_SELECTOR, '[data-testid="role"]')).text == "区县人社"


def test_the_chart_helper_draws_every_data_chart_with_the_vendored_echarts(browser, console_staff, client):
    require_vendor()
    browser.go("/console/login")
    WebDriverWait(browser, 10).until(
        lambda b: b.execute_script("return document.documentElement.dataset.consoleReady") == "1"
    )
    assert browser.execute_script("return typeof window.echarts") == "object"
    # A chart as _macros.html chart() writes it: the container and its JSON options beside it.
    options = {
        "xAxis": {"type": "category", "data": ["1月", "2月", "3月"]},
        "yAxis": {"type": "value"},
        "series": [{"name": "失业人数", "type": "line", "data": [12, 9, 7]}],
    }
    browser.execute_script(
        """
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend',
          '<div class="chart" id="trend" data-chart="trend-options" data-height="240"></div>' +
          '<script type="application/json" id="trend-options"></script>');
        document.getElementById('trend-options').textContent = JSON.stringify(arguments[0]);
        window.consoleDrawCharts(document);
        """,
        options,
    )

    series = browser.execute_script("return window.consoleCharts['trend'].getOption().series")

    assert series[0]["name"] == "失业人数" and series[0]["data"] == [12, 9, 7]
    assert browser.execute_script("return document.querySelector('#trend canvas') !== null")
    browser.shot("06-chart-helper")
