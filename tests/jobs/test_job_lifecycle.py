"""A job's life cycle through the API: create, submit, review, search, edit, refresh, close, expire, report.

Each test asserts what a user notices: status codes and error codes, the job as its readers see it,
whether nearby search finds it, the rows and audit events left behind, and the Redis GEO index.
"""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Job, JobReport, utcnow
from app.services.jobs.search import geo_index
from tests.support import error_of

# A point about 140 m from the default job location (community 341002002001, circle chengzhong).
NEAR = {"lat": 29.7170, "lng": 118.3190}
# A point in circle 341002-chengdong (community 341002001001), about 2.2 km from NEAR.
CHENGDONG = {"lat": 29.7230, "lng": 118.3390}
JOB = {
    "title": "茶叶分拣工",
    "category": "tea_processing",
    "kind": "regular",
    "wage_min": 3000,
    "wage_max": 4500,
}


def found_ids(client, **params) -> list[int]:
    """Return the ids of the jobs nearby search finds around NEAR (anonymously)."""
    response = client.get("/api/v1/jobs", query_string={**NEAR, **params})
    assert response.status_code == 200, response.get_json()
    return [item["job"]["id"] for item in response.get_json()["items"]]


def in_geo_index(app, job_id: int) -> bool:
    """Tell whether the job is in the GEO set of all jobs."""
    return app.extensions["redis"].zscore(geo_index.JOBS_ALL, str(job_id)) is not None


def when(text: str) -> datetime:
    """Parse an API datetime into naive UTC, as the database holds it."""
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def actions_on(job_id: int) -> list[str]:
    """Return the audit actions recorded on a job, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_type == "job", AuditEvent.object_id == str(job_id))
            .order_by(AuditEvent.id)
        )
    )


def set_job(job_id: int, **values) -> None:
    """Write columns of a job straight into the database (time travel)."""
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


@pytest.fixture
def create(client):
    """Return a factory: create(headers, **fields) -> the POST /api/v1/jobs response."""

    def factory(headers, **fields):
        return client.post("/api/v1/jobs", json={**JOB, **fields}, headers=headers)

    return factory


@pytest.fixture
def reviewer(staff_headers):
    """Return the headers of station staff of circle chengzhong (the default job's circle)."""
    return staff_headers("station_staff", "circle", "341002-chengzhong")[1]


@pytest.fixture
def resident(wechat_login):
    """Return a factory: resident() -> headers of a fresh WeChat resident."""
    return lambda: wechat_login()[1]


# ---- 1. create ---------------------------------------------------------------------------------


def test_new_job_is_a_draft_at_the_employers_place_for_30_days(client, make_employer, create):
    employer, boss = make_employer()
    before = utcnow()

    response = create(boss, skills=[" 分拣 ", "分拣", "包装"])

    assert response.status_code == 201, response.get_json()
    job = response.get_json()
    assert job["status"] == "draft"
    assert (job["lat"], job["lng"]) == (employer.lat, employer.lng)
    assert job["community"]["code"] == "341002002001"
    assert (job["circle"]["kind"], job["circle"]["code"]) == ("circle", "341002-chengzhong")
    assert job["skills"] == ["分拣", "包装"]
    assert job["wage_unit"] == "month" and job["headcount"] == 1
    assert job["published_at"] is None and job["review_reason"] is None
    assert job["employer"] == {"id": employer.id, "name": employer.name, "verified": True}
    valid_until = when(job["valid_until"])
    assert before + timedelta(days=30) - timedelta(seconds=5) <= valid_until
    assert valid_until <= utcnow() + timedelta(days=30, seconds=5)
    assert actions_on(job["id"]) == ["job.create"]


def test_a_job_may_stand_elsewhere_than_its_employer(make_employer, create):
    _, boss = make_employer()

    job = create(boss, **CHENGDONG).get_json()

    assert job["community"]["code"] == "341002001001"
    assert job["circle"]["code"] == "341002-chengdong"


def test_an_unverified_employer_may_draft(make_employer, create):
    _, boss = make_employer(verified=False)
    response = create(boss)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["employer"]["verified"] is False


def test_wage_max_below_wage_min_is_refused(make_employer, create):
    _, boss = make_employer()
    response = create(boss, wage_min=5000, wage_max=4000)
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("wage_range_invalid", "wage_max")
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


@pytest.mark.parametrize(
    "offset", [timedelta(hours=-1), timedelta(days=181)], ids=["in-the-past", "over-180-days"]
)
def test_valid_until_outside_now_to_180_days_is_refused(make_employer, create, offset):
    _, boss = make_employer()
    response = create(boss, valid_until=(datetime.now(UTC) + offset).isoformat())
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("validation_error", "valid_until")


def test_valid_until_within_180_days_is_kept_and_read_as_utc(make_employer, create):
    _, boss = make_employer()
    # 08:00 in Beijing is 00:00 UTC.
    day = (datetime.now(UTC) + timedelta(days=100)).date()
    response = create(boss, valid_until=f"{day.isoformat()}T08:00:00+08:00")
    assert response.status_code == 201, response.get_json()
    assert when(response.get_json()["valid_until"]) == datetime(day.year, day.month, day.day)


def test_swapped_coordinates_are_named(make_employer, create):
    _, boss = make_employer()
    response = create(boss, lat=118.3180, lng=29.7160)
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("coordinates_swapped", "lat")


@pytest.mark.parametrize("field", ["category", "kind"])
def test_unknown_category_or_kind_is_refused_with_its_field(make_employer, create, field):
    _, boss = make_employer()
    response = create(boss, **{field: "astronaut"})
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert field in error["fields"]


def test_only_employers_create_jobs(client, resident, places):
    anonymous = client.post("/api/v1/jobs", json=JOB)
    assert anonymous.status_code == 401
    assert error_of(anonymous)["code"] == "auth_required"

    as_resident = client.post("/api/v1/jobs", json=JOB, headers=resident())
    assert as_resident.status_code == 403
    assert error_of(as_resident)["code"] == "role_forbidden"


def test_an_employer_cannot_see_or_touch_another_employers_draft(client, make_employer, create):
    _, owner = make_employer()
    _, other = make_employer(name="黄山另一家茶业有限公司")
    job_id = create(owner).get_json()["id"]

    for method, path, body in (
        ("get", "", None),
        ("patch", "", {"title": "被改掉的标题"}),
        ("post", "/submit", None),
        ("post", "/close", None),
        ("post", "/refresh", None),
    ):
        response = getattr(client, method)(f"/api/v1/jobs/{job_id}{path}", json=body, headers=other)
        assert response.status_code == 404, (method, path, response.get_json())
        assert error_of(response)["code"] == "job_not_found"

    job = db.session.get(Job, job_id)
    assert (job.status, job.title) == ("draft", JOB["title"])


# ---- 2. life cycle -----------------------------------------------------------------------------


def test_an_unverified_employer_cannot_submit(client, make_employer, create):
    _, boss = make_employer(verified=False)
    job_id = create(boss).get_json()["id"]

    response = client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss)

    assert response.status_code == 409
    assert error_of(response)["code"] == "employer_not_verified"
    assert db.session.get(Job, job_id).status == "draft"


def test_a_job_goes_from_draft_through_review_to_search_and_out_when_closed(
    app, client, make_employer, create, reviewer
):
    _, boss = make_employer()
    job_id = create(boss).get_json()["id"]

    submitted = client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss)
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "pending_review"
    # Submitting again while waiting changes nothing.
    assert client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss).get_json()["status"] == "pending_review"
    assert found_ids(client) == []
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404

    approved = client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=reviewer)
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert body["status"] == "published"
    assert body["published_at"] is not None and body["refreshed_at"] is not None
    assert found_ids(client) == [job_id]
    assert in_geo_index(app, job_id)
    public = client.get(f"/api/v1/jobs/{job_id}")
    assert public.status_code == 200 and public.get_json()["status"] == "published"

    closed = client.post(f"/api/v1/jobs/{job_id}/close", headers=boss)
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["status"] == "closed"
    assert found_ids(client) == []
    assert not in_geo_index(app, job_id)
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}", headers=boss).get_json()["status"] == "closed"
    # Closing twice is harmless.
    assert client.post(f"/api/v1/jobs/{job_id}/close", headers=boss).status_code == 200
    assert actions_on(job_id) == ["job.create", "job.submit", "job.review", "job.close"]


def test_illegal_moves_are_conflicts(client, make_employer, make_job, create, reviewer):
    _, boss = make_employer()
    draft = create(boss).get_json()["id"]
    closed = make_job(boss)
    assert client.post(f"/api/v1/jobs/{closed}/close", headers=boss).status_code == 200
    pending = create(boss).get_json()["id"]
    assert client.post(f"/api/v1/jobs/{pending}/submit", headers=boss).status_code == 200
    published = make_job(boss)

    for path, headers, body in (
        (f"{closed}/submit", boss, None),
        (f"{published}/submit", boss, None),
        (f"{draft}/review", reviewer, {"decision": "approved"}),
        (f"{published}/review", reviewer, {"decision": "approved"}),
        (f"{closed}/review", reviewer, {"decision": "rejected", "reason": "重复发布"}),
        (f"{draft}/refresh", boss, None),
        (f"{pending}/refresh", boss, None),
        (f"{closed}/refresh", boss, None),
    ):
        response = client.post(f"/api/v1/jobs/{path}", json=body, headers=headers)
        assert response.status_code == 409, (path, response.get_json())
        assert error_of(response)["code"] == "job_status_conflict"

    edit_closed = client.patch(f"/api/v1/jobs/{closed}", json={"title": "重新开放"}, headers=boss)
    assert edit_closed.status_code == 409
    assert error_of(edit_closed)["code"] == "job_status_conflict"
    statuses = dict(db.session.execute(sa.select(Job.id, Job.status)).all())
    assert statuses == {draft: "draft", closed: "closed", pending: "pending_review", published: "published"}


def test_a_rejection_needs_a_reason_the_employer_then_reads(client, make_employer, create, reviewer):
    _, boss = make_employer()
    job_id = create(boss).get_json()["id"]
    client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss)

    for body in ({"decision": "rejected"}, {"decision": "rejected", "reason": "   "}):
        refused = client.post(f"/api/v1/jobs/{job_id}/review", json=body, headers=reviewer)
        assert refused.status_code == 422
        assert (error_of(refused)["code"], error_of(refused)["field"]) == ("reason_required", "reason")
    assert db.session.get(Job, job_id).status == "pending_review"

    rejected = client.post(
        f"/api/v1/jobs/{job_id}/review",
        json={"decision": "rejected", "reason": "工资写明是否含社保"},
        headers=reviewer,
    )
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["status"] == "draft"

    mine = client.get(f"/api/v1/jobs/{job_id}", headers=boss).get_json()
    assert (mine["status"], mine["review_reason"]) == ("draft", "工资写明是否含社保")
    # The employer's list says why too (the mini-program's 岗位管理 reads no job twice).
    listed = client.get("/api/v1/jobs/managed", query_string={"status": "draft"}, headers=boss).get_json()
    assert [(row["id"], row["review_reason"]) for row in listed["items"]] == [(job_id, "工资写明是否含社保")]
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
    # Fixed and sent again, it can go through.
    assert (
        client.patch(f"/api/v1/jobs/{job_id}", json={"description": "含五险"}, headers=boss).status_code
        == 200
    )
    assert client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss).get_json()["status"] == "pending_review"
    approved = client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=reviewer)
    assert approved.get_json()["status"] == "published"
    assert approved.get_json()["review_reason"] is None


def test_editing_a_published_job_sends_it_back_to_review(app, client, make_employer, make_job, reviewer):
    _, boss = make_employer()
    job_id = make_job(boss)
    assert found_ids(client) == [job_id]

    edited = client.patch(
        f"/api/v1/jobs/{job_id}", json={"title": "茶叶包装工", "wage_max": 5000}, headers=boss
    )

    assert edited.status_code == 200, edited.get_json()
    assert (edited.get_json()["status"], edited.get_json()["title"]) == ("pending_review", "茶叶包装工")
    assert found_ids(client) == []
    assert not in_geo_index(app, job_id)
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "job.update"))
    assert event.detail == {"fields": ["title", "wage_max"], "back_to_review": True}

    client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=reviewer)
    hits = client.get("/api/v1/jobs", query_string=NEAR).get_json()["items"]
    assert [(h["job"]["id"], h["job"]["title"], h["job"]["wage_max"]) for h in hits] == [
        (job_id, "茶叶包装工", 5000)
    ]


def test_editing_a_job_checks_the_merged_wage_range(client, make_employer, make_job):
    _, boss = make_employer()
    job_id = make_job(boss)
    response = client.patch(f"/api/v1/jobs/{job_id}", json={"wage_max": 2000}, headers=boss)
    assert response.status_code == 422
    assert error_of(response)["code"] == "wage_range_invalid"
    assert db.session.get(Job, job_id).status == "published"
    assert found_ids(client) == [job_id]


def test_refresh_puts_a_job_on_top_of_newest_and_runs_it_longer(client, make_employer, make_job):
    _, boss = make_employer()
    older = make_job(boss, valid_until=(datetime.now(UTC) + timedelta(days=5)).isoformat())
    newer = make_job(boss, title="茶园采摘工")
    week_ago = utcnow() - timedelta(days=7)
    set_job(older, refreshed_at=week_ago, published_at=week_ago)
    set_job(newer, refreshed_at=utcnow() - timedelta(days=1))
    assert found_ids(client, sort="newest") == [newer, older]

    refreshed = client.post(f"/api/v1/jobs/{older}/refresh", headers=boss)

    assert refreshed.status_code == 200, refreshed.get_json()
    body = refreshed.get_json()
    assert body["status"] == "published"
    assert when(body["refreshed_at"]) > utcnow() - timedelta(minutes=1)
    assert when(body["valid_until"]) > utcnow() + timedelta(days=29)
    assert when(body["published_at"]) < utcnow() - timedelta(days=6)
    assert found_ids(client, sort="newest") == [older, newer]
    assert actions_on(older)[-1] == "job.refresh"


def test_refresh_revives_an_expired_job(app, client, make_employer, make_job):
    from app.services.jobs.posts import expire_jobs

    _, boss = make_employer()
    job_id = make_job(boss)
    set_job(job_id, valid_until=utcnow() - timedelta(hours=1))
    assert expire_jobs() == 1
    assert db.session.get(Job, job_id).status == "expired"

    revived = client.post(f"/api/v1/jobs/{job_id}/refresh", headers=boss)

    assert revived.status_code == 200, revived.get_json()
    assert revived.get_json()["status"] == "published"
    assert when(revived.get_json()["valid_until"]) > utcnow() + timedelta(days=29)
    assert found_ids(client) == [job_id]
    assert in_geo_index(app, job_id)


# ---- 3. review scoping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "scope_kind", "scope_code", "status", "code"),
    [
        ("operator", "circle", "341002-chengzhong", 200, None),
        ("station_staff", "circle", "341002-chengzhong", 200, None),
        ("station_staff", "township", "341002002000", 200, None),
        ("operator", "circle", "341002-chengdong", 404, "job_not_found"),
        ("grid_worker", "community", "341002002001", 403, "role_forbidden"),
        ("township_admin", "township", "341002002000", 403, "role_forbidden"),
    ],
)
def test_review_is_for_operators_and_station_staff_of_the_jobs_place(
    client, make_employer, create, staff_headers, role, scope_kind, scope_code, status, code
):
    _, boss = make_employer()
    job_id = create(boss).get_json()["id"]
    client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss)
    account, headers = staff_headers(role, scope_kind, scope_code)

    response = client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=headers)

    assert response.status_code == status, response.get_json()
    events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "job.review")))
    if code is None:
        assert response.get_json()["status"] == "published"
        assert [(e.actor_id, e.object_id, e.detail["decision"]) for e in events] == [
            (account.id, str(job_id), "approved")
        ]
    else:
        assert error_of(response)["code"] == code
        assert events == []
        assert db.session.get(Job, job_id).status == "pending_review"


def test_employers_and_residents_cannot_review(client, make_employer, create, resident):
    _, boss = make_employer()
    job_id = create(boss).get_json()["id"]
    client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss)
    for headers in (boss, resident()):
        response = client.post(
            f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=headers
        )
        assert response.status_code == 403
        assert error_of(response)["code"] == "role_forbidden"


def test_a_rejection_is_audited_with_its_reason(client, make_employer, create, reviewer):
    _, boss = make_employer()
    job_id = create(boss).get_json()["id"]
    client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss)
    client.post(
        f"/api/v1/jobs/{job_id}/review", json={"decision": "rejected", "reason": "缺地址"}, headers=reviewer
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "job.review"))
    assert event.detail == {"decision": "rejected", "reason": "缺地址"}


# ---- 4. expiry ---------------------------------------------------------------------------------


def test_a_job_past_its_end_is_hidden_before_expiry_runs(app, client, make_employer, make_job, resident):
    _, boss = make_employer()
    job_id = make_job(boss)
    live = make_job(boss, title="茶园采摘工")
    set_job(job_id, valid_until=utcnow() - timedelta(minutes=1))
    # Nothing has run yet: the row still says published and Redis still holds the job.
    assert db.session.get(Job, job_id).status == "published"
    assert in_geo_index(app, job_id)

    assert found_ids(client) == [live]
    assert found_ids(client, sort="newest") == [live]
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}/contact", headers=resident()).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}", headers=boss).status_code == 200


def test_expire_jobs_marks_jobs_past_their_end_expired_and_unindexes_them(
    app, client, make_employer, make_job
):
    from app.services.jobs.posts import expire_jobs

    _, boss = make_employer()
    old = make_job(boss)
    gig = make_job(boss, kind="gig")
    live = make_job(boss)
    draft = make_job(boss, publish=False)
    past = utcnow() - timedelta(minutes=1)
    for job_id in (old, gig, draft):
        set_job(job_id, valid_until=past)

    assert expire_jobs() == 2

    statuses = dict(db.session.execute(sa.select(Job.id, Job.status)).all())
    assert statuses == {old: "expired", gig: "expired", live: "published", draft: "draft"}
    redis = app.extensions["redis"]
    for job_id in (old, gig):
        assert redis.zscore("geo:jobs:all", str(job_id)) is None
        assert redis.zscore("geo:jobs:regular", str(job_id)) is None
        assert redis.zscore("geo:jobs:gig", str(job_id)) is None
    assert redis.zscore("geo:jobs:all", str(live)) is not None
    assert found_ids(client) == [live]
    assert expire_jobs() == 0


def test_expire_jobs_command_runs_the_expiry(app, runner, make_employer, make_job):
    _, boss = make_employer()
    job_id = make_job(boss)
    set_job(job_id, valid_until=utcnow() - timedelta(minutes=1))

    result = runner.invoke(args=["expire-jobs"])

    assert result.exit_code == 0, result.output
    assert "finished, 1 expired" in result.output
    db.session.commit()
    assert db.session.get(Job, job_id).status == "expired"
    assert app.extensions["redis"].zscore("geo:jobs:all", str(job_id)) is None


def test_cron_runs_expire_jobs_every_five_minutes(app):
    from app.tasks.maintenance import build_cron

    scheduler = build_cron(app.extensions["redis"])

    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    assert "app.tasks.maintenance.expire_jobs" in jobs
    expiry = jobs["app.tasks.maintenance.expire_jobs"]
    assert (expiry.interval, expiry.queue_name) == (300, "default")


# ---- 5. reports --------------------------------------------------------------------------------


def test_only_residents_report_jobs(client, make_employer, make_job):
    _, boss = make_employer()
    job_id = make_job(boss)
    anonymous = client.post(f"/api/v1/jobs/{job_id}/reports", json={"reason": "收取押金"})
    assert anonymous.status_code == 401
    as_employer = client.post(f"/api/v1/jobs/{job_id}/reports", json={"reason": "收取押金"}, headers=boss)
    assert as_employer.status_code == 403
    assert error_of(as_employer)["code"] == "role_forbidden"
    assert db.session.scalar(sa.select(sa.func.count(JobReport.id))) == 0


def test_a_report_needs_a_reason_and_a_live_job(client, make_employer, make_job, resident):
    _, boss = make_employer()
    draft = make_job(boss, publish=False)
    headers = resident()
    no_reason = client.post(f"/api/v1/jobs/{make_job(boss)}/reports", json={"reason": ""}, headers=headers)
    assert no_reason.status_code == 422
    assert error_of(no_reason)["field"] == "reason"
    on_draft = client.post(f"/api/v1/jobs/{draft}/reports", json={"reason": "收取押金"}, headers=headers)
    assert on_draft.status_code == 404
    assert error_of(on_draft)["code"] == "job_not_found"


def test_three_distinct_residents_hide_a_job_until_review(app, client, make_employer, make_job, resident):
    _, boss = make_employer()
    job_id = make_job(boss)
    first, second, third = resident(), resident(), resident()
    url = f"/api/v1/jobs/{job_id}/reports"

    one = client.post(url, json={"reason": "要求先交培训费"}, headers=first)
    assert one.status_code == 201, one.get_json()
    assert one.get_json()["job_id"] == job_id and one.get_json()["reason"] == "要求先交培训费"
    again = client.post(url, json={"reason": "再举报一次"}, headers=first)
    assert again.status_code == 200
    assert again.get_json()["id"] == one.get_json()["id"]
    assert again.get_json()["reason"] == "要求先交培训费"
    assert client.post(url, json={"reason": "电话打不通"}, headers=second).status_code == 201
    # Two distinct residents (one of them twice): still live.
    assert db.session.get(Job, job_id).open_reports == 2
    assert found_ids(client) == [job_id]

    assert client.post(url, json={"reason": "虚假招聘"}, headers=third).status_code == 201

    assert found_ids(client) == []
    assert not in_geo_index(app, job_id)
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
    mine = client.get(f"/api/v1/jobs/{job_id}", headers=boss).get_json()
    assert (mine["status"], mine["hidden_by_reports"]) == ("pending_review", True)
    # A hidden job takes no new reports.
    assert client.post(url, json={"reason": "虚假招聘"}, headers=resident()).status_code == 404
    events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "job.report")))
    assert [e.detail["hidden"] for e in events] == [False, False, True]


def test_review_republishes_a_reported_job_and_clears_the_count(
    client, make_employer, make_job, resident, reviewer
):
    _, boss = make_employer()
    job_id = make_job(boss)
    url = f"/api/v1/jobs/{job_id}/reports"
    for _ in range(3):
        assert client.post(url, json={"reason": "虚假招聘"}, headers=resident()).status_code == 201
    queue = client.get("/api/v1/jobs/managed", query_string={"status": "pending_review"}, headers=reviewer)
    assert [j["id"] for j in queue.get_json()["items"]] == [job_id]

    approved = client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=reviewer)

    assert approved.status_code == 200, approved.get_json()
    assert (approved.get_json()["status"], approved.get_json()["hidden_by_reports"]) == ("published", False)
    assert found_ids(client) == [job_id]
    assert db.session.get(Job, job_id).open_reports == 0
    assert all(r.cleared_at is not None for r in db.session.scalars(sa.select(JobReport)))

    # Fresh reports count from one: two more leave it live, the third hides it again.
    for _ in range(2):
        assert client.post(url, json={"reason": "又发现问题"}, headers=resident()).status_code == 201
    assert db.session.get(Job, job_id).open_reports == 2
    assert found_ids(client) == [job_id]
    assert client.post(url, json={"reason": "又发现问题"}, headers=resident()).status_code == 201
    assert found_ids(client) == []


def test_rejecting_a_reported_job_sends_it_to_the_employer_as_a_draft(
    client, make_employer, make_job, resident, reviewer
):
    _, boss = make_employer()
    job_id = make_job(boss)
    for _ in range(3):
        client.post(f"/api/v1/jobs/{job_id}/reports", json={"reason": "收取押金"}, headers=resident())

    rejected = client.post(
        f"/api/v1/jobs/{job_id}/review",
        json={"decision": "rejected", "reason": "不得收取押金"},
        headers=reviewer,
    )

    assert rejected.status_code == 200, rejected.get_json()
    body = rejected.get_json()
    assert (body["status"], body["review_reason"], body["hidden_by_reports"]) == (
        "draft",
        "不得收取押金",
        False,
    )
    assert found_ids(client) == []


# ---- 6. reading one job, and the employer's contact --------------------------------------------


def test_a_live_job_is_public_and_a_draft_only_for_its_owner_and_staff_in_scope(
    client, make_employer, make_job, staff_headers, resident, reviewer
):
    _, boss = make_employer()
    _, other_boss = make_employer(name="黄山另一家茶业有限公司")
    live = make_job(boss)
    draft = make_job(boss, publish=False)
    _, outsider = staff_headers("operator", "circle", "341002-chengdong")

    public = client.get(f"/api/v1/jobs/{live}")
    assert public.status_code == 200, public.get_json()
    assert public.get_json()["employer"]["verified"] is True
    assert "contact_phone" not in public.get_json()["employer"]
    for headers in (None, other_boss, resident(), outsider):
        response = client.get(f"/api/v1/jobs/{draft}", headers=headers)
        assert response.status_code == 404, headers
        assert error_of(response)["code"] == "job_not_found"
    for headers in (boss, reviewer):
        response = client.get(f"/api/v1/jobs/{draft}", headers=headers)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == "draft"
    assert client.get("/api/v1/jobs/999999").status_code == 404


def test_the_contact_is_for_residents_only_in_full_and_audited(client, make_employer, make_job, resident):
    employer, boss = make_employer()
    job_id = make_job(boss)
    draft = make_job(boss, publish=False)
    headers = resident()

    assert client.get(f"/api/v1/jobs/{job_id}/contact").status_code == 401
    as_employer = client.get(f"/api/v1/jobs/{job_id}/contact", headers=boss)
    assert as_employer.status_code == 403
    assert client.get(f"/api/v1/jobs/{draft}/contact", headers=headers).status_code == 404
    assert (
        db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "employer.contact_read")) is None
    )

    response = client.get(f"/api/v1/jobs/{job_id}/contact", headers=headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"job_id": job_id, "contact_name": "王经理", "contact_phone": "13955550000"}
    assert "no-store" in response.headers.get("Cache-Control", "")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "employer.contact_read"))
    assert (event.object_type, event.object_id, event.detail) == (
        "employer",
        str(employer.id),
        {"job_id": job_id},
    )
    assert event.actor_id is not None


# ---- 7. managed lists --------------------------------------------------------------------------


def test_an_employer_lists_only_its_own_jobs(client, make_employer, make_job):
    _, boss = make_employer()
    _, other_boss = make_employer(name="黄山另一家茶业有限公司")
    mine = [make_job(boss), make_job(boss, publish=False)]
    theirs = make_job(other_boss)

    page = client.get("/api/v1/jobs/managed", headers=boss).get_json()
    assert sorted(j["id"] for j in page["items"]) == sorted(mine)
    assert page["total"] == 2
    other_page = client.get("/api/v1/jobs/managed", headers=other_boss).get_json()
    assert [j["id"] for j in other_page["items"]] == [theirs]
    drafts = client.get("/api/v1/jobs/managed", query_string={"status": "draft"}, headers=boss).get_json()
    assert [j["id"] for j in drafts["items"]] == [mine[1]]


def test_staff_list_the_jobs_in_their_place_and_filter_by_status(
    client, make_employer, make_job, create, staff_headers, reviewer, resident
):
    _, boss = make_employer()
    _, east_boss = make_employer(name="黄山昱东物流有限公司", **CHENGDONG)
    published = make_job(boss)
    waiting = create(boss).get_json()["id"]
    client.post(f"/api/v1/jobs/{waiting}/submit", headers=boss)
    east = create(east_boss).get_json()["id"]
    client.post(f"/api/v1/jobs/{east}/submit", headers=east_boss)
    _, east_operator = staff_headers("operator", "circle", "341002-chengdong")

    everything = client.get("/api/v1/jobs/managed", headers=reviewer).get_json()
    assert sorted(j["id"] for j in everything["items"]) == sorted([published, waiting])
    queue = client.get("/api/v1/jobs/managed", query_string={"status": "pending_review"}, headers=reviewer)
    assert [j["id"] for j in queue.get_json()["items"]] == [waiting]
    assert queue.get_json()["total"] == 1
    east_queue = client.get(
        "/api/v1/jobs/managed", query_string={"status": "pending_review"}, headers=east_operator
    )
    assert [j["id"] for j in east_queue.get_json()["items"]] == [east]

    bad = client.get("/api/v1/jobs/managed", query_string={"status": "lost"}, headers=reviewer)
    assert bad.status_code == 422
    assert error_of(bad)["field"] == "status"
    assert client.get("/api/v1/jobs/managed", headers=resident()).status_code == 403
    assert client.get("/api/v1/jobs/managed").status_code == 401


# ---- 8. verification withdrawn -----------------------------------------------------------------


def test_withdrawn_verification_takes_the_employers_jobs_out_of_search(
    app, client, make_employer, make_job, reviewer
):
    employer, boss = make_employer()
    _, other_boss = make_employer(name="黄山另一家茶业有限公司")
    jobs = [make_job(boss), make_job(boss, kind="part_time")]
    draft = make_job(boss, publish=False)
    other = make_job(other_boss)
    assert sorted(found_ids(client)) == sorted([*jobs, other])

    no_reason = client.post(
        f"/api/v1/employers/{employer.id}/verify", json={"decision": "rejected"}, headers=reviewer
    )
    assert no_reason.status_code == 422
    assert error_of(no_reason)["code"] == "reason_required"
    withdrawn = client.post(
        f"/api/v1/employers/{employer.id}/verify",
        json={"decision": "rejected", "reason": "营业执照已注销"},
        headers=reviewer,
    )

    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["status"] == "rejected"
    assert found_ids(client) == [other]
    for job_id in jobs:
        assert not in_geo_index(app, job_id)
        assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
        assert client.get(f"/api/v1/jobs/{job_id}", headers=boss).get_json()["status"] == "pending_review"
    # Staff cannot put them back, nor can the employer, until the business is verified again.
    approve = client.post(f"/api/v1/jobs/{jobs[0]}/review", json={"decision": "approved"}, headers=reviewer)
    assert approve.status_code == 409
    assert error_of(approve)["code"] == "employer_not_verified"
    submit = client.post(f"/api/v1/jobs/{draft}/submit", headers=boss)
    assert submit.status_code == 409
    assert error_of(submit)["code"] == "employer_not_verified"
    assert found_ids(client) == [other]


def test_after_a_review_an_earlier_reporter_counts_again(client, make_employer, make_job, resident, reviewer):
    _, boss = make_employer()
    job_id = make_job(boss)
    url = f"/api/v1/jobs/{job_id}/reports"
    reporters = [resident() for _ in range(3)]
    first_ids = [client.post(url, json={"reason": "虚假招聘"}, headers=h).get_json()["id"] for h in reporters]
    client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=reviewer)

    again = client.post(url, json={"reason": "还在收押金"}, headers=reporters[0])

    assert again.status_code == 201
    assert again.get_json()["id"] == first_ids[0]
    assert again.get_json()["reason"] == "还在收押金"
    assert db.session.get(Job, job_id).open_reports == 1
    assert client.post(url, json={"reason": "重复"}, headers=reporters[0]).status_code == 200
    assert db.session.get(Job, job_id).open_reports == 1


def test_a_create_retried_with_its_client_id_makes_one_job(client, make_employer):
    _, boss = make_employer()
    body = {
        "title": "茶叶分拣工",
        "category": "tea_processing",
        "kind": "regular",
        "client_id": "c0ffee-0001",
    }

    first = client.post("/api/v1/jobs", json=body, headers=boss)
    again = client.post("/api/v1/jobs", json=body, headers=boss)
    other = client.post("/api/v1/jobs", json={**body, "client_id": "c0ffee-0002"}, headers=boss)

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.get_json()["id"] == first.get_json()["id"] != other.get_json()["id"]
    assert "client_id" not in first.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 2


def test_a_retried_review_returns_the_first_decision(client, make_employer, make_job, reviewer):
    _, boss = make_employer()
    approved_job = make_job(boss, publish=False)
    rejected_job = make_job(boss, publish=False)
    for job_id in (approved_job, rejected_job):
        client.post(f"/api/v1/jobs/{job_id}/submit", headers=boss)
    url = "/api/v1/jobs/{}/review"
    approve, reject = {"decision": "approved"}, {"decision": "rejected", "reason": "工资写清楚"}

    assert client.post(url.format(approved_job), json=approve, headers=reviewer).status_code == 200
    retried = client.post(url.format(approved_job), json=approve, headers=reviewer)
    assert (retried.status_code, retried.get_json()["status"]) == (200, "published")
    assert client.post(url.format(approved_job), json=reject, headers=reviewer).status_code == 409

    assert client.post(url.format(rejected_job), json=reject, headers=reviewer).status_code == 200
    retried = client.post(url.format(rejected_job), json=reject, headers=reviewer)
    assert (retried.status_code, retried.get_json()["status"]) == (200, "draft")
    reviews = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "job.review")).all()
    assert len(reviews) == 2


def test_the_job_detail_names_the_contact_to_residents_only_with_the_phone_masked(
    client, make_employer, make_job, resident
):
    _, boss = make_employer()
    job_id = make_job(boss)

    anonymous = client.get(f"/api/v1/jobs/{job_id}").get_json()
    as_owner = client.get(f"/api/v1/jobs/{job_id}", headers=boss).get_json()
    as_resident = client.get(f"/api/v1/jobs/{job_id}", headers=resident()).get_json()

    assert anonymous["contact"] is None and as_owner["contact"] is None
    assert as_resident["contact"] == {"name": "王经理", "phone": "139****0000"}
    assert (
        db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "employer.contact_read")) is None
    )
