"""Console: an employer visit recorded from its form (CSRF), the visit and need lists, drafts from a row."""

import re
from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import AuditEvent, Employer, EmployerVisit, HiringNeed, Job
from tests.conftest import make_credit_code
from tests.console.conftest import csrf_from
from tests.console.lists_support import cells, flash_after, page_of, post_action, sign_in_as
from tests.support import count

NEW = "/console/employer-visits/new"


def visit_form(credit_code: str, **fields) -> dict:
    """Return the form of a visit with one position, interested in the training subsidy."""
    return {
        "client_id": "console-visit-0001",
        "credit_code": credit_code,
        "channel": "visit",
        "visited_on": local_day().isoformat(),
        "met_name": "程经理",
        "met_title": "店长",
        "needs.0.title": "茶艺师",
        "needs.0.category": "tea_processing",
        "needs.0.headcount": "2",
        "needs.0.wage_min": "3500",
        "needs.0.wage_max": "5000",
        "needs.0.wage_unit": "month",
        "needs.0.skills": "茶艺，接待",
        "needs.0.deadline": (local_day() + timedelta(days=30)).isoformat(),
        "needs.1.title": "",
        "needs.1.category": "tea_processing",
        "needs.1.wage_unit": "month",
        "problems": ["recruitment", "training"],
        "subsidy_interest": ["training"],
        "follow_up": "推荐培训班",
        **fields,
    }


def test_staff_record_a_visit_from_the_form_and_make_drafts_from_the_list(
    client, console_staff, make_employer
):
    employer, _ = make_employer()
    staff = sign_in_as(client, console_staff, "station_staff")
    form_page = page_of(client, NEW)
    assert 'name="client_id"' in form_page and "录入走访经营实体" in form_page
    assert "/console/employer-visits/new" in page_of(client, "/console/account")  # the nav entry

    response = post_action(client, form_page, "/console/employer-visits", **visit_form(employer.credit_code))

    after = flash_after(client, response)
    assert f"已录入对「{employer.name}」的走访，用工需求 1 个岗位。" in after
    visit = db.session.scalar(sa.select(EmployerVisit))
    assert visit.staff_id == staff.id and visit.problems == ["recruitment", "training"]
    assert visit.subsidy_interest == ["training"]
    need = db.session.scalar(sa.select(HiringNeed))
    assert (need.title, need.headcount, need.skills) == ("茶艺师", 2, ["茶艺", "接待"])
    assert count(AuditEvent, AuditEvent.action == "employer_visit.record") == 1
    assert cells(after, "employer") == [employer.name] and cells(after, "channel") == ["上门走访"]
    assert cells(after, "subsidy_interest") == ["职业培训补贴"]

    # The same form sent twice records one visit.
    again = post_action(client, form_page, "/console/employer-visits", **visit_form(employer.credit_code))
    assert "该走访记录此前已录入" in flash_after(client, again) and count(EmployerVisit) == 1

    needs_page = page_of(client, "/console/lists/hiring_needs")
    assert cells(needs_page, "title") == ["茶艺师"] and cells(needs_page, "state") == ["待处理"]
    assert f'data-testid="need-drafts-{need.id}"' in needs_page
    visits_page = page_of(client, "/console/lists/employer_visits?has_open_needs=yes")
    assert f'data-testid="drafts-{visit.id}"' in visits_page

    made = post_action(client, visits_page, f"/console/employer-visits/{visit.id}/job-drafts")
    landed = flash_after(client, made)
    assert "已生成 1 个岗位草稿" in landed
    job = db.session.scalar(sa.select(Job))
    assert (job.title, job.status, job.employer_id) == ("茶艺师", "draft", employer.id)
    twice = post_action(client, landed, f"/console/employer-visits/{visit.id}/job-drafts")
    assert "未重复生成" in flash_after(client, twice) and count(Job) == 1
    assert cells(page_of(client, "/console/lists/hiring_needs?state=drafted"), "job_id") == [str(job.id)]

    assert page_of(client, "/console/lists/employer_visits/export?format=csv")  # exports as every list does


def test_the_form_refuses_a_post_without_csrf_and_shows_mistakes(client, console_staff, make_employer):
    employer, _ = make_employer()
    sign_in_as(client, console_staff, "station_staff")

    no_token = client.post("/console/employer-visits", data=visit_form(employer.credit_code))
    assert no_token.status_code == 400 and count(EmployerVisit) == 0

    form_page = page_of(client, NEW)
    future = (local_day() + timedelta(days=2)).isoformat()
    bad = post_action(
        client, form_page, "/console/employer-visits", **visit_form(employer.credit_code, visited_on=future)
    )
    assert bad.status_code == 422 and "走访日期不能晚于今天" in bad.get_data(as_text=True)
    unknown = post_action(client, form_page, "/console/employer-visits", **visit_form("91341002MA0000001X"))
    assert unknown.status_code == 422 and "统一社会信用代码有误" in unknown.get_data(as_text=True)
    assert 'value="程经理"' in unknown.get_data(as_text=True)  # what was typed stays
    assert count(EmployerVisit) == 0


def test_a_supervisor_reads_the_lists_but_records_nothing(client, console_staff, make_employer):
    sign_in_as(client, console_staff, "supervisor")
    assert page_of(client, NEW, 403)
    page = page_of(client, "/console/lists/employer_visits")
    refused = client.post(
        "/console/employer-visits", data={"csrf_token": csrf_from(page), "credit_code": "x"}
    )
    assert refused.status_code == 403 and count(EmployerVisit) == 0


def test_staff_register_a_business_in_the_field_and_reissue_its_claim_code(
    client, console_staff, wechat_login
):
    sign_in_as(client, console_staff, "station_staff")
    form_page = page_of(client, "/console/employers/field-new")
    assert "/console/employers/field-new" in form_page  # the nav entry
    form = {
        "client_id": "console-field-0001",
        "name": "屯溪区程记茶庄",
        "credit_code": make_credit_code(),
        "community_code": "341002002001",
        "contact_name": "程老板",
        "contact_phone": "13955551111",
        "industry": "tea_processing",
        "size": "micro",
        "address": "屯溪区昱中路18号",
    }

    shown = post_action(client, form_page, "/console/employers/field", **form)

    assert shown.status_code == 200, shown.get_data(as_text=True)[:500]
    code = re.search(r'data-testid="claim-code"><strong>([A-Z0-9]{8})<', shown.get_data(as_text=True)).group(
        1
    )
    employer = db.session.scalar(sa.select(Employer))
    assert employer.account_id is None and employer.name == "屯溪区程记茶庄"
    bad = post_action(
        client, form_page, "/console/employers/field", **{**form, "client_id": "console-field-0002"}
    )
    assert bad.status_code == 409 and "统一社会信用代码" in bad.get_data(as_text=True)

    queue = page_of(client, "/console/lists/employers")
    assert cells(queue, "claimed") == ["待认领"] and f'data-testid="claim-code-{employer.id}"' in queue
    again = post_action(client, queue, f"/console/employers/{employer.id}/claim-code")
    assert again.status_code == 200 and "原认领码已失效" in again.get_data(as_text=True)
    new_code = re.search(r"<strong>([A-Z0-9]{8})<", again.get_data(as_text=True)).group(1)

    _, owner, _ = wechat_login()
    claim = {"credit_code": employer.credit_code, "claim_code": code}
    assert client.post("/api/v1/employers/claim", json=claim, headers=owner).status_code == 422
    claim["claim_code"] = new_code
    assert client.post("/api/v1/employers/claim", json=claim, headers=owner).status_code == 200
    assert cells(page_of(client, "/console/lists/employers?status="), "claimed") == ["已认领"]
    assert cells(page_of(client, "/console/lists/employers?status=&claimed=no"), "claimed") == []
