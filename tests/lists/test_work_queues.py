"""Work queues: employers to verify, jobs to review, fake-job reports, zero-employment cases, households."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errors import APIError
from app.extensions import db
from app.models import Job, JobReport, ZeroEmploymentCase, utcnow
from app.services import lists
from tests.support import assign_directly, make_household

CITY, CHENGZHONG, YUZHONG, YUDONG = "341000000000", "341002-chengzhong", "341002002000", "341002001000"
# Points near 昱中一社区 (circle 城中) and 黄山区一村 (district 黄山区).
IN_YUZHONG, IN_HUANGSHAN = (29.7160, 118.3180), (30.2700, 118.1400)


def refused(call) -> APIError:
    """Run a call that must fail and return its error."""
    with pytest.raises(APIError) as caught:
        call()
    return caught.value


# --- employers to verify -----------------------------------------------------------------------------


def test_employers_to_verify_are_the_pending_ones_of_the_place_oldest_first(make_staff, make_employer):
    first, _ = make_employer(name="甲茶业有限公司", verified=False)
    second, _ = make_employer(name="乙餐饮有限公司", verified=False)
    make_employer(name="丙已核验公司", verified=True)
    make_employer(name="丁黄山区公司", verified=False, lat=IN_HUANGSHAN[0], lng=IN_HUANGSHAN[1])
    operator = make_staff("operator", "circle", CHENGZHONG)

    queue = lists.page("employers", operator)
    everything = lists.page("employers", operator, {"status": ""})
    verified = lists.page("employers", operator, {"status": "verified"})

    assert [row["name"] for row in queue.items] == ["甲茶业有限公司", "乙餐饮有限公司"]
    assert {row["status"] for row in queue.items} == {"待核验"}
    assert {row["name"] for row in everything.items} == {"甲茶业有限公司", "乙餐饮有限公司", "丙已核验公司"}
    assert [row["status_code"] for row in verified.items] == ["verified"]
    row = queue.items[0]
    assert row["contact_phone"] == "139****0000" and row["contact_name"] == "王经理"
    assert (row["size"], row["industry"], row["licence"]) == ("小型(10–99人)", "茶叶加工", "未上传")
    assert lists.describe_filters("employers", {}) == [("核验状态", "待核验")]
    # An export reveals the contact in full only when asked, to a role that may.
    township_admin = make_staff("township_admin", "township", YUZHONG)
    revealed = next(r for r in lists.stream("employers", township_admin, reveal=True) if r["id"] == first.id)
    assert revealed["contact_phone"] == "13955550000"
    masked = next(r for r in lists.stream("employers", township_admin) if r["id"] == second.id)
    assert (masked["contact_phone"], masked["contact_name"]) == ("139****0000", "王**")


def test_employers_search_by_name_or_credit_code(make_staff, make_employer):
    tea, _ = make_employer(name="黄山毛峰茶业", verified=False)
    make_employer(name="屯溪餐饮", verified=False)
    operator = make_staff("operator", "circle", CHENGZHONG)

    assert [r["name"] for r in lists.page("employers", operator, {"q": "毛峰"}).items] == ["黄山毛峰茶业"]
    assert [r["id"] for r in lists.page("employers", operator, {"q": tea.credit_code.lower()}).items] == [
        tea.id
    ]


def test_grid_workers_have_no_employer_queue(make_staff, places):
    worker = make_staff("grid_worker", "community", "341002002001")

    error = refused(lambda: lists.page("employers", worker))

    assert (error.status, error.code) == (403, "role_forbidden")
    assert "employers" not in lists.names(worker) and "residents" in lists.names(worker)


# --- jobs to review and reports ----------------------------------------------------------------------


@pytest.fixture
def employer(make_employer):
    """A verified employer in 昱中 and its headers."""
    return make_employer()


def set_status(job_id: int, status: str, submitted_minutes_ago: int = 0) -> None:
    """Put a job into a status, as if submitted some minutes ago."""
    job = db.session.get(Job, job_id)
    job.status, job.submitted_at = status, utcnow() - timedelta(minutes=submitted_minutes_ago)
    db.session.commit()


def test_jobs_to_review_wait_longest_first_and_show_codes_for_the_buttons(make_staff, employer, make_job):
    _, headers = employer
    older, newer = (
        make_job(headers, publish=False, title="老岗位"),
        make_job(headers, publish=False, title="新岗位"),
    )
    live = make_job(headers, title="已发布岗位")
    set_status(older, "pending_review", 30)
    set_status(newer, "pending_review", 5)
    reviewer = make_staff("station_staff", "township", YUZHONG)
    elsewhere = make_staff("station_staff", "township", YUDONG)

    queue = lists.page("jobs", reviewer)

    assert [row["id"] for row in queue.items] == [older, newer]
    assert {(row["status"], row["status_code"]) for row in queue.items} == {("待审核", "pending_review")}
    assert (
        queue.items[0]["wage"] == "3000–4500 元/月" and queue.items[0]["employer"] == "黄山测试茶业有限公司"
    )
    assert [row["id"] for row in lists.page("jobs", reviewer, {"status": "published"}).items] == [live]
    assert [row["id"] for row in lists.page("jobs", reviewer, {"q": "老"}).items] == [older]
    assert lists.page("jobs", reviewer, sort="-submitted").items[0]["id"] == newer
    assert lists.page("jobs", elsewhere).total == 0


def test_reports_come_open_first_newest_first_and_only_in_the_place(
    make_staff, employer, make_employer, make_job
):
    _, headers = employer
    _, far_headers = make_employer(name="黄山区公司", lat=IN_HUANGSHAN[0], lng=IN_HUANGSHAN[1])
    job, far_job = make_job(headers, title="可疑岗位"), make_job(far_headers, title="远方岗位")
    reporters = [make_staff("grid_worker", "community", "341002002001") for _ in range(4)]
    now = utcnow()
    rows = [
        JobReport(
            job_id=job, account_id=reporters[0].id, reason="收押金", created_at=now - timedelta(hours=3)
        ),
        JobReport(job_id=job, account_id=reporters[1].id, reason="已处理", created_at=now, cleared_at=now),
        JobReport(
            job_id=job, account_id=reporters[2].id, reason="虚假薪资", created_at=now - timedelta(hours=1)
        ),
        JobReport(job_id=far_job, account_id=reporters[3].id, reason="远方举报", created_at=now),
    ]
    db.session.add_all(rows)
    db.session.commit()
    operator = make_staff("operator", "circle", CHENGZHONG)
    city = make_staff("city_admin", "city", CITY)

    open_queue = lists.page("job_reports", operator)
    everything = lists.page("job_reports", operator, {"state": ""})

    assert [row["reason"] for row in open_queue.items] == ["虚假薪资", "收押金"]
    assert [row["reason"] for row in everything.items] == ["虚假薪资", "收押金", "已处理"]
    assert everything.items[-1]["state"] == "已处理" and open_queue.items[0]["job_title"] == "可疑岗位"
    assert lists.count("job_reports", city) == 3
    streamed = [row["reason"] for row in lists.stream("job_reports", city, {"state": ""})]
    assert streamed == ["远方举报", "虚假薪资", "已处理", "收押金"]  # the last written first


# --- zero-employment cases and households --------------------------------------------------------------


def test_open_cases_come_oldest_first_with_days_open(make_staff, places):
    old = make_household("341002002001", [("甲", "unemployed", "19800101"), ("乙", "unemployed", "19820101")])
    new = make_household("341002002002", [("丙", "unemployed", "19800101")])
    elsewhere = make_household("341002001001", [("丁", "unemployed", "19800101")])
    cases = {case.household_id: case for case in db.session.scalars(sa.select(ZeroEmploymentCase))}
    cases[old.id].opened_at = utcnow() - timedelta(days=40)
    cases[new.id].opened_at = utcnow() - timedelta(days=2)
    db.session.commit()
    admin = make_staff("township_admin", "township", YUZHONG)
    worker = make_staff("grid_worker", "township", YUZHONG)
    assign_directly(worker, ["341002002002"])

    page = lists.page("zero_employment_cases", admin)

    assert [row["household_key"] for row in page.items] == [old.key, new.key]
    assert [row["days_open"] for row in page.items] == [40, 2]
    assert page.items[0]["head"] == "甲" and page.items[0]["state_code"] == "open"
    assert [row["household_key"] for row in lists.page("zero_employment_cases", worker).items] == [new.key]
    assert elsewhere.key not in {row["household_key"] for row in page.items}
    assert lists.page("zero_employment_cases", admin, {"state": "cleared"}).total == 0


def test_households_list_with_head_size_and_masked_address(make_staff, places):
    household = make_household("341002002001", [("户主甲", "employed", None), ("成员乙", "student", None)])
    make_household("341002001001", [("别处", "employed", None)])
    admin = make_staff("township_admin", "township", YUZHONG)

    (row,) = lists.page("households", admin).items
    (streamed,) = lists.stream("households", admin)

    assert (row["key"], row["head"], row["members"], row["zero_employment"]) == (
        household.key,
        "户主甲",
        2,
        "否",
    )
    assert row["address"].endswith("****") and row["address"] != household.address
    assert streamed["head"] == "户**"
    assert lists.page("households", admin, {"q": household.key}).total == 1
    assert lists.page("households", admin, {"zero_employment": "yes"}).total == 0
