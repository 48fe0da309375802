"""In a real browser (headless Chromium): approve a job from the review queue, download list exports.

Downloads land in a folder of the test's own: Chromium is told so through the DevTools protocol
(`Browser.setDownloadBehavior`, what the download.default_directory preference sets), since the
browser of the run is started once for every test. Screenshots: test-artifacts/console/.
"""

import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from app.extensions import db
from app.models import ExportJob, Job
from app.services.exports import jobs
from tests.conftest import PASSWORD
from tests.console.conftest import TOTP_SECRET, enrol_totp, fresh_code
from tests.console.lists_support import CITY, YUZHONG_1

WAIT = 15


def wait_for(browser, locator, seconds=WAIT):
    """Wait until an element is present and return it."""
    return WebDriverWait(browser, seconds).until(ec.presence_of_element_located(locator))


def by_testid(name: str) -> tuple[str, str]:
    """Return the locator of an element by its data-testid."""
    return By.CSS_SELECTOR, f'[data-testid="{name}"]'


def sign_in(browser, account, totp_secret=None) -> None:
    """Sign in through the pages: the password, then the authenticator's code when one is due."""
    browser.go("/console/login")
    wait_for(browser, (By.ID, "username")).send_keys(account.username)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(*by_testid("sign-in")).click()
    if totp_secret:
        wait_for(browser, (By.ID, "code")).send_keys(fresh_code(account, totp_secret))
        browser.find_element(*by_testid("verify")).click()
    wait_for(browser, by_testid("user"))


@pytest.fixture
def downloads(browser, tmp_path):
    """Send the browser's downloads to a folder of this test (and back to the default after)."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(folder), "eventsEnabled": True},
    )
    yield folder
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})


def downloaded(folder: Path, suffix: str, seconds: float = WAIT) -> Path:
    """Wait for a finished download with this suffix in `folder` and return it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [path for path in folder.iterdir() if path.suffix == suffix]
        if done and not any(path.suffix == ".crdownload" for path in folder.iterdir()):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def sheet_rows(path: Path) -> list[list]:
    """Read a downloaded workbook's rows."""
    with path.open("rb") as file:
        sheet = load_workbook(file).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_an_operator_approves_a_job_in_the_review_queue_and_it_leaves(
    browser, client, make_staff, make_employer, make_job
):
    _, employer = make_employer(name="黄山浏览器茶业")
    job_id = make_job(employer, publish=False, title="浏览器测试岗位")
    assert client.post(f"/api/v1/jobs/{job_id}/submit", headers=employer).status_code == 200
    operator = make_staff("operator", "circle", "341002-chengzhong", username="browser-op")

    sign_in(browser, operator)
    browser.go("/console/lists/jobs")
    approve = wait_for(browser, by_testid(f"approve-{job_id}"))
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{job_id}"]')
    assert "浏览器测试岗位" in row.text and "待审核" in row.text
    browser.shot("queue-jobs")
    approve.click()

    flash = wait_for(browser, (By.CSS_SELECTOR, ".flash-success"))
    assert "已通过岗位「浏览器测试岗位」" in flash.text
    assert browser.find_elements(By.CSS_SELECTOR, f'tr[data-id="{job_id}"]') == []
    assert "/console/lists/jobs" in browser.current_url
    browser.shot("queue-job-approved")
    db.session.commit()  # see what the browser's requests wrote
    assert db.session.get(Job, job_id).status == "published"


def test_a_city_admin_signs_in_with_totp_and_downloads_an_excel_export_of_a_list(
    browser, downloads, make_staff, make_resident
):
    for name in ("浏览器居民甲", "浏览器居民乙"):
        make_resident(YUZHONG_1, name=name, status="unemployed")
    make_resident(YUZHONG_1, name="浏览器居民丙", status="employed")
    admin = make_staff("city_admin", "city", CITY, username="browser-city")
    enrol_totp(admin)

    sign_in(browser, admin, TOTP_SECRET)
    browser.go("/console/lists/residents?employment_status=unemployed")
    wait_for(browser, by_testid("list-table"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "tbody tr[data-id]")) == 2
    browser.shot("list-residents")
    browser.find_element(*by_testid("export-xlsx")).click()

    rows = sheet_rows(downloaded(downloads, ".xlsx"))

    assert rows[0][0] == "居民台账" and rows[2][0] == "筛选条件：就业状态：未就业"
    header = next(index for index, row in enumerate(rows) if row[0] == "编号")
    assert rows[header][:3] == ["编号", "姓名", "性别"]
    data = [row for row in rows[header + 1 :] if row[0] is not None]
    assert len(data) == 2 and all("*" in row[rows[header].index("身份证号")] for row in data)


def test_a_large_exports_page_shows_its_progress_then_its_link(browser, downloads, make_staff, make_resident):
    for index in range(3):
        make_resident(YUZHONG_1, name=f"大批居民{index}")
    admin = make_staff("township_admin", "township", "341002002000", username="browser-township")
    job = jobs.queue_export(admin, "residents", {}, "xlsx", False, None, enqueue=False)

    sign_in(browser, admin)
    browser.go(f"/console/exports/{job.id}")
    status = wait_for(browser, by_testid("export-status"))
    assert status.text == "排队中"
    assert not browser.find_element(By.CSS_SELECTOR, '[data-field="download"]').is_displayed()
    browser.shot("export-queued")

    jobs.run_export(job.id)  # the worker writes it; the page finds out by itself within 2 s

    link = WebDriverWait(browser, WAIT).until(ec.visibility_of_element_located(by_testid("export-download")))
    assert status.text == "已完成"
    assert "链接有效至" in browser.find_element(By.CSS_SELECTOR, ".download").text
    browser.shot("export-ready")
    link.click()

    rows = sheet_rows(downloaded(downloads, ".xlsx"))
    assert rows[0][0] == "居民台账" and any(row[0] == "行数：3" for row in rows)
    db.session.commit()
    assert db.session.get(ExportJob, job.id).status == "done"
