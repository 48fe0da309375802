"""Work queues: reviewing jobs and reports, verifying employers; CSRF on every console action."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, AuditEvent, Employer, GridAssignment, Job, JobReport
from tests.console.lists_support import (
    YUZHONG,
    YUZHONG_1,
    cells,
    flash_after,
    new_account,
    page_of,
    post_action,
    sign_in_as,
)
from tests.support import count

IN_YUDONG = {"lat": 29.7230, "lng": 118.3390}  # 昱东 (circle 城东)


def pending_job(client, make_employer, make_job, title="茶叶分拣工", **where) -> int:
    """Create a job of a verified employer and submit it for review; return its id."""
    _, headers = make_employer(name=f"{title}单位", **where)
    job_id = make_job(headers, publish=False, title=title)
    submitted = client.post(f"/api/v1/jobs/{job_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.get_json()
    return job_id


# ---- jobs to review -------------------------------------------------------------------------------


def test_an_operator_approves_a_job_from_the_queue_and_it_goes_live(
    client, console_staff, make_employer, make_job
):
    job_id = pending_job(client, make_employer, make_job)
    sign_in_as(client, console_staff, "operator")
    queue = page_of(client, "/console/lists/jobs")
    assert cells(queue, "title") == ["茶叶分拣工"] and f'data-testid="approve-{job_id}"' in queue
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404  # not public while pending

    response = post_action(
        client, queue, f"/console/jobs/{job_id}/review", decision="approved", next="/console/lists/jobs?q="
    )

    assert response.location == "/console/lists/jobs?q="
    after = flash_after(client, response)
    assert "已通过岗位「茶叶分拣工」，岗位已发布。" in after
    assert cells(after, "title") == []  # it left the queue
    assert db.session.get(Job, job_id).status == "published"
    public = client.get(f"/api/v1/jobs/{job_id}")
    assert public.status_code == 200 and public.get_json()["status"] == "published"
    published = page_of(client, "/console/lists/jobs?status=published")
    assert cells(published, "title") == ["茶叶分拣工"] and cells(published, "status") == ["已发布"]


def test_rejecting_a_job_needs_a_reason_which_the_employer_then_reads(
    client, console_staff, make_employer, make_job
):
    job_id = pending_job(client, make_employer, make_job)
    sign_in_as(client, console_staff, "operator")
    queue = page_of(client, "/console/lists/jobs")

    without = post_action(client, queue, f"/console/jobs/{job_id}/review", decision="rejected", reason="  ")
    assert "请填写原因" in flash_after(client, without)
    assert db.session.get(Job, job_id).status == "pending_review"

    rejected = post_action(
        client, queue, f"/console/jobs/{job_id}/review", decision="rejected", reason="薪资写明税前"
    )
    assert "已驳回岗位「茶叶分拣工」" in flash_after(client, rejected)
    job = db.session.get(Job, job_id)
    assert job.status == "draft" and job.review_reason == "薪资写明税前"


def test_a_city_admin_sees_the_queue_but_reviewing_is_not_theirs(
    client, console_staff, make_employer, make_job
):
    job_id = pending_job(client, make_employer, make_job)
    sign_in_as(client, console_staff, "city_admin")
    queue = page_of(client, "/console/lists/jobs")
    assert cells(queue, "title") == ["茶叶分拣工"] and "approve-" not in queue

    response = post_action(client, queue, f"/console/jobs/{job_id}/review", decision="approved")

    assert response.status_code == 403 and "您的角色不能进行此操作" in response.get_data(as_text=True)
    assert db.session.get(Job, job_id).status == "pending_review"


def test_reviewing_a_job_outside_the_place_is_a_404_and_changes_nothing(
    client, console_staff, make_employer, make_job
):
    outside = pending_job(client, make_employer, make_job, title="城东岗位", **IN_YUDONG)
    sign_in_as(client, console_staff, "operator")
    queue = page_of(client, "/console/lists/jobs")
    assert "城东岗位" not in queue

    response = post_action(client, queue, f"/console/jobs/{outside}/review", decision="approved")

    assert response.status_code == 404 and "没有找到该岗位" in response.get_data(as_text=True)
    assert db.session.get(Job, outside).status == "pending_review"


def test_a_decision_that_is_neither_approve_nor_reject_changes_nothing(
    client, console_staff, make_employer, make_job
):
    job_id = pending_job(client, make_employer, make_job)
    sign_in_as(client, console_staff, "operator")
    queue = page_of(client, "/console/lists/jobs")

    response = post_action(client, queue, f"/console/jobs/{job_id}/review", decision="published")

    assert "输入有误" in flash_after(client, response)
    assert db.session.get(Job, job_id).status == "pending_review"


# ---- fake-job reports -----------------------------------------------------------------------------


def reported_job(app, client, make_employer, make_job, wechat_login) -> int:
    """Publish a job and have one resident report it (one report hides it here); return its id."""
    app.config["JOB_REPORTS_TO_HIDE"] = 1
    _, headers = make_employer(name="可疑单位")
    job_id = make_job(headers, title="高薪打字员")
    _, resident, _ = wechat_login()
    reported = client.post(
        f"/api/v1/jobs/{job_id}/reports", json={"reason": "要求先交押金"}, headers=resident
    )
    assert reported.status_code == 201, reported.get_json()
    return job_id


def test_a_reported_job_is_restored_from_the_reports_queue_and_its_reports_close(
    app, client, console_staff, make_employer, make_job, wechat_login
):
    job_id = reported_job(app, client, make_employer, make_job, wechat_login)
    report_id = db.session.scalar(sa.select(JobReport.id))
    sign_in_as(client, console_staff, "station_staff")
    queue = page_of(client, "/console/lists/job_reports")
    assert cells(queue, "job_title") == ["高薪打字员"] and cells(queue, "reason") == ["要求先交押金"]

    response = post_action(client, queue, f"/console/jobs/{job_id}/review", decision="approved")

    after = flash_after(client, response)
    assert "已通过岗位「高薪打字员」" in after and cells(after, "job_title") == []
    assert db.session.get(JobReport, report_id).cleared_at is not None
    job = db.session.get(Job, job_id)
    assert job.status == "published" and job.open_reports == 0 and not job.hidden_by_reports


def test_a_reported_job_is_taken_down_with_a_reason(
    app, client, console_staff, make_employer, make_job, wechat_login
):
    job_id = reported_job(app, client, make_employer, make_job, wechat_login)
    sign_in_as(client, console_staff, "operator")
    queue = page_of(client, "/console/lists/job_reports")
    assert 'data-testid="take-down-' in queue

    response = post_action(
        client, queue, f"/console/jobs/{job_id}/review", decision="rejected", reason="举报属实：收取押金"
    )

    assert "已驳回岗位「高薪打字员」" in flash_after(client, response)
    job = db.session.get(Job, job_id)
    assert job.status == "draft" and job.review_reason == "举报属实：收取押金"
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404


# ---- employers to verify --------------------------------------------------------------------------


def employer_to_verify(make_employer, name="待核验茶业有限公司", licence=True, **where) -> Employer:
    """Register an employer awaiting verification (with a licence file unless told)."""
    employer, _ = make_employer(name=name, verified=False, **where)
    if licence:
        employer.licence_file = "licences/test.png"
        employer.licence_content_type = "image/png"
        db.session.commit()
    return employer


def test_verifying_an_employer_takes_it_off_the_queue(client, console_staff, make_employer):
    employer = employer_to_verify(make_employer)
    sign_in_as(client, console_staff, "township_admin")
    queue = page_of(client, "/console/lists/employers")
    assert cells(queue, "name") == ["待核验茶业有限公司"]
    assert "13955550000" not in queue and cells(queue, "contact_phone") == ["139****0000"]

    response = post_action(client, queue, f"/console/employers/{employer.id}/verify", decision="verified")

    after = flash_after(client, response)
    assert "已核验通过「待核验茶业有限公司」" in after and cells(after, "name") == []
    db.session.refresh(employer)
    assert employer.status == "verified" and employer.decided_at is not None
    assert cells(page_of(client, "/console/lists/employers?status=verified"), "status") == ["已核验"]


def test_refusing_an_employer_needs_a_reason_and_a_licence_is_needed_to_verify(
    client, console_staff, make_employer
):
    employer = employer_to_verify(make_employer, licence=False)
    sign_in_as(client, console_staff, "operator")
    queue = page_of(client, "/console/lists/employers")

    no_licence = post_action(client, queue, f"/console/employers/{employer.id}/verify", decision="verified")
    assert "尚未上传营业执照" in flash_after(client, no_licence)
    no_reason = post_action(client, queue, f"/console/employers/{employer.id}/verify", decision="rejected")
    assert "请填写原因" in flash_after(client, no_reason)
    db.session.refresh(employer)
    assert employer.status == "pending"

    refused = post_action(
        client, queue, f"/console/employers/{employer.id}/verify", decision="rejected", reason="执照已过期"
    )

    assert "核验未通过" in flash_after(client, refused)
    db.session.refresh(employer)
    assert employer.status == "rejected" and employer.decision_reason == "执照已过期"


def test_verifying_an_employer_outside_the_place_is_a_404(client, console_staff, make_employer):
    outside = employer_to_verify(make_employer, name="城东公司", **IN_YUDONG)
    sign_in_as(client, console_staff, "township_admin")
    queue = page_of(client, "/console/lists/employers")

    response = post_action(client, queue, f"/console/employers/{outside.id}/verify", decision="verified")

    assert response.status_code == 404
    db.session.refresh(outside)
    assert outside.status == "pending"


# ---- CSRF -------------------------------------------------------------------------------------------


@pytest.fixture
def world(app, client, make_employer, make_job, make_staff, make_resident):
    """One of each thing the actions change, in 昱中, and the state each action would change."""
    job_id = pending_job(client, make_employer, make_job)
    employer = employer_to_verify(make_employer)
    worker = make_staff("grid_worker", "township", YUZHONG, username="csrf-worker")
    resident = make_resident(YUZHONG_1)
    return {"job": job_id, "employer": employer.id, "worker": worker.id, "resident": resident.id}


def snapshot(world) -> tuple:
    """Return what any action would change: statuses, assignments, accounts, audit events, exports."""
    from app.models import ExportJob

    db.session.expire_all()
    return (
        db.session.get(Job, world["job"]).status,
        db.session.get(Employer, world["employer"]).status,
        db.session.get(Account, world["worker"]).is_active,
        count(GridAssignment),
        count(Account),
        count(AuditEvent, AuditEvent.action.notlike("console.%")),
        count(ExportJob),
    )


ACTIONS = [
    ("/console/jobs/{job}/review", {"decision": "approved"}),
    ("/console/jobs/{job}/review", {"decision": "rejected", "reason": "不合规"}),
    ("/console/employers/{employer}/verify", {"decision": "verified"}),
    ("/console/grid-workers/{worker}/communities", {"codes": YUZHONG_1}),
    ("/console/staff/{worker}/active", {"active": "0"}),
    ("/console/staff", new_account()),
    ("/console/lists/residents/{resident}/reveal", {"reason": "核对身份"}),
    ("/console/lists/residents/export?format=xlsx", {}),
]


@pytest.mark.parametrize(
    ("path", "fields"), ACTIONS, ids=[f"{p.split('/')[2]}-{i}" for i, (p, _) in enumerate(ACTIONS)]
)
def test_every_action_without_a_csrf_token_is_refused_and_changes_nothing(
    client, console_staff, world, path, fields
):
    sign_in_as(client, console_staff, "township_admin" if "review" not in path else "operator")
    before = snapshot(world)

    missing = client.post(path.format(**world), data=fields)
    forged = client.post(path.format(**world), data={**fields, "csrf_token": "not-the-token"})

    for response in (missing, forged):
        assert response.status_code == 400
        assert "CSRF" in response.get_data(as_text=True)
    assert snapshot(world) == before
