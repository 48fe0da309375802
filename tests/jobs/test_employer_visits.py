"""Employers met in the field: visits and calls with hiring needs, scoping, lists, draft jobs of the needs."""

import uuid
from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import AuditEvent, Community, EmployerVisit, HiringNeed, Job
from app.services import lists
from tests.support import assign_directly, count, error_of

VISITS = "/api/v1/employer-visits"
NEEDS = "/api/v1/employer-visits/hiring-needs"
CHENGZHONG = ("station_staff", "circle", "341002-chengzhong")
CHENGDONG = ("operator", "circle", "341002-chengdong")


def need(**fields):
    """Return one position of a hiring need."""
    return {
        "title": "茶叶分拣工",
        "category": "tea_processing",
        "headcount": 3,
        "wage_min": 3000,
        "wage_max": 4500,
        "skills": ["分拣", "包装"],
        "deadline": (local_day() + timedelta(days=20)).isoformat(),
        **fields,
    }


def visit_body(employer_id, **fields):
    """Return a visit with two positions, interested in the social-insurance subsidy."""
    return {
        "client_id": uuid.uuid4().hex,
        "employer_id": employer_id,
        "channel": "visit",
        "visited_on": local_day().isoformat(),
        "met_name": "程经理",
        "met_title": "人事主管",
        "needs": [
            need(),
            need(title="包装工", category="manufacturing", wage_unit="day", wage_min=150, wage_max=180),
        ],
        "problems": ["recruitment", "skills", "recruitment"],
        "problem_notes": "旺季招工难，缺熟练工",
        "subsidy_interest": ["social_insurance", "training"],
        "follow_up": "下周推送求职者",
        "follow_up_on": (local_day() + timedelta(days=7)).isoformat(),
        **fields,
    }


def record(client, headers, employer_id, **fields):
    """POST a visit and return the response."""
    return client.post(VISITS, json=visit_body(employer_id, **fields), headers=headers)


def test_staff_record_a_visit_with_its_hiring_needs_and_it_is_audited(client, staff_headers, make_employer):
    employer, _ = make_employer()
    staff, headers = staff_headers(*CHENGZHONG)

    response = record(client, headers, employer.id)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["employer"] == {
        "id": employer.id,
        "name": employer.name,
        "credit_code": employer.credit_code,
        "claimed": True,
    }
    assert body["channel"] == "visit" and body["met_name"] == "程经理" and body["staff_id"] == staff.id
    assert body["problems"] == ["recruitment", "skills"]  # repeats dropped
    assert body["subsidy_interest"] == ["social_insurance", "training"]
    assert [(n["title"], n["headcount"], n["wage_unit"], n["state"]) for n in body["needs"]] == [
        ("茶叶分拣工", 3, "month", "open"),
        ("包装工", 3, "day", "open"),
    ]
    visit = db.session.get(EmployerVisit, body["id"])
    assert (visit.community_id, visit.circle_id) == (employer.community_id, employer.circle_id)
    assert (
        count(HiringNeed, HiringNeed.visit_id == visit.id, HiringNeed.community_id == employer.community_id)
        == 2
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "employer_visit.record"))
    assert event.actor_id == staff.id and event.object_id == str(visit.id)
    assert event.detail == {"employer_id": employer.id, "channel": "visit", "needs": 2}
    assert client.get(f"{VISITS}/{visit.id}", headers=headers).get_json()["needs"][1]["title"] == "包装工"


def test_a_phone_call_without_needs_and_a_retry_are_one_visit(client, staff_headers, make_employer):
    employer, _ = make_employer()
    _, headers = staff_headers(*CHENGZHONG)
    body = visit_body(employer.id, channel="phone", needs=[], subsidy_interest=[])

    first = client.post(VISITS, json=body, headers=headers)
    again = client.post(VISITS, json={**body, "client_id": body["client_id"].upper()}, headers=headers)

    assert first.status_code == 201 and again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert first.get_json()["channel"] == "phone" and first.get_json()["needs"] == []
    assert count(EmployerVisit) == 1
    assert count(AuditEvent, AuditEvent.action == "employer_visit.record") == 1


def test_employers_and_visits_outside_my_area_are_404_and_a_supervisor_only_reads(
    client, staff_headers, make_staff, login, make_employer
):
    employer, _ = make_employer()
    _, inside = staff_headers(*CHENGZHONG)
    visit_id = record(client, inside, employer.id).get_json()["id"]
    _, outside = staff_headers(*CHENGDONG)

    refused = record(client, outside, employer.id)
    assert refused.status_code == 404 and error_of(refused)["code"] == "employer_not_found"
    for response in (
        client.get(f"{VISITS}/{visit_id}", headers=outside),
        client.post(f"{VISITS}/{visit_id}/job-drafts", headers=outside),
    ):
        assert response.status_code == 404 and error_of(response)["code"] == "employer_visit_not_found"
    assert client.get(VISITS, headers=outside).get_json()["total"] == 0
    assert client.get(NEEDS, headers=outside).get_json()["total"] == 0

    _, supervisor = staff_headers("supervisor", "circle", "341002-chengzhong")
    assert client.get(f"{VISITS}/{visit_id}", headers=supervisor).status_code == 200
    for response in (
        record(client, supervisor, employer.id),
        client.post(f"{VISITS}/{visit_id}/job-drafts", headers=supervisor),
    ):
        assert response.status_code == 403 and error_of(response)["code"] == "role_forbidden"

    # A grid worker records visits to the employers of the communities assigned to them.
    worker = make_staff("grid_worker", "township", "341002002000")
    worker_headers = login(worker.username)
    assert record(client, worker_headers, employer.id).status_code == 404
    assign_directly(worker, [db.session.get(Community, employer.community_id).code])
    assert record(client, worker_headers, employer.id).status_code == 201
    assert count(EmployerVisit) == 2


def test_a_visit_in_the_future_a_reversed_wage_range_or_a_past_deadline_is_refused(
    client, staff_headers, make_employer
):
    employer, _ = make_employer()
    _, headers = staff_headers(*CHENGZHONG)
    tomorrow = (local_day() + timedelta(days=1)).isoformat()
    yesterday = (local_day() - timedelta(days=1)).isoformat()
    cases = [
        ({"visited_on": tomorrow}, "visited_on", "visited_on_in_future"),
        ({"needs": [need(wage_min=5000, wage_max=3000)]}, "needs.0.wage_max", "wage_range_invalid"),
        ({"needs": [need(), need(deadline=yesterday)]}, "needs.1.deadline", "deadline_passed"),
        ({"follow_up_on": yesterday}, "follow_up_on", "follow_up_before_visit"),
    ]
    for fields, field, code in cases:
        response = record(client, headers, employer.id, **fields)
        assert response.status_code == 422, (fields, response.get_json())
        assert error_of(response)["code"] == code and field in error_of(response)["fields"]
    bad = record(client, headers, employer.id, channel="door", problems=["weather"])
    assert bad.status_code == 422 and {"channel", "problems.0"} <= set(error_of(bad)["fields"])
    assert count(EmployerVisit) == 0 and count(HiringNeed) == 0


def test_hiring_needs_become_draft_jobs_of_the_employer_once(client, staff_headers, make_employer):
    employer, employer_headers = make_employer()
    staff, headers = staff_headers(*CHENGZHONG)
    visit_id = record(client, headers, employer.id).get_json()["id"]

    made = client.post(f"{VISITS}/{visit_id}/job-drafts", headers=headers)

    assert made.status_code == 200, made.get_json()
    body = made.get_json()
    assert body["created"] == 2 and body["visit_id"] == visit_id
    assert [(j["title"], j["status"], j["headcount"]) for j in body["jobs"]] == [
        ("茶叶分拣工", "draft", 3),
        ("包装工", "draft", 3),
    ]
    jobs = list(db.session.scalars(sa.select(Job).order_by(Job.id)))
    assert [job.employer_id for job in jobs] == [employer.id, employer.id]
    assert (
        jobs[0].skills == ["分拣", "包装"] and jobs[1].wage_unit == "day" and jobs[1].monthly_wage_max == 3915
    )
    needs = list(db.session.scalars(sa.select(HiringNeed).order_by(HiringNeed.id)))
    assert [n.job_id for n in needs] == [job.id for job in jobs] and needs[0].drafted_by_id == staff.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "hiring_need.draft_jobs"))
    assert event.detail == {"employer_id": employer.id, "job_ids": [job.id for job in jobs]}

    again = client.post(f"{VISITS}/{visit_id}/job-drafts", headers=headers)
    assert again.status_code == 200 and again.get_json()["created"] == 0
    assert [j["id"] for j in again.get_json()["jobs"]] == [job.id for job in jobs]
    assert count(Job) == 2 and count(AuditEvent, AuditEvent.action == "hiring_need.draft_jobs") == 1

    # The employer finds them among its own drafts, to edit, submit and publish.
    own = client.get("/api/v1/jobs/managed?status=draft", headers=employer_headers)
    assert own.status_code == 200, own.get_json()
    assert sorted(item["id"] for item in own.get_json()["items"]) == [job.id for job in jobs]
    visit = client.get(f"{VISITS}/{visit_id}", headers=headers).get_json()
    assert [n["state"] for n in visit["needs"]] == ["drafted", "drafted"]

    no_needs = record(client, headers, employer.id, needs=[]).get_json()["id"]
    empty = client.post(f"{VISITS}/{no_needs}/job-drafts", headers=headers)
    assert empty.status_code == 409 and error_of(empty)["code"] == "no_hiring_needs"


def test_the_lists_filter_by_place_days_channel_open_needs_and_subsidy(client, staff_headers, make_employer):
    employer, _ = make_employer()
    other, _ = make_employer(name="黄山老街餐饮有限公司", lat=29.7080, lng=118.3040)
    _, headers = staff_headers(*CHENGZHONG)
    last_week = (local_day() - timedelta(days=7)).isoformat()
    with_needs = record(client, headers, employer.id).get_json()["id"]
    call = record(
        client,
        headers,
        other.id,
        channel="phone",
        needs=[],
        subsidy_interest=["job_subsidy"],
        visited_on=last_week,
    ).get_json()["id"]
    drafted = record(client, headers, employer.id, needs=[need(title="拣茶工")]).get_json()["id"]
    assert client.post(f"{VISITS}/{drafted}/job-drafts", headers=headers).status_code == 200

    def ids(**query):
        response = client.get(VISITS, query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids() == [drafted, with_needs, call]  # newest day first
    assert ids(channel="phone") == [call]
    assert ids(has_open_needs="true") == [with_needs]
    assert ids(has_open_needs="false") == [drafted, call]
    assert ids(subsidy="social_insurance") == [drafted, with_needs]
    assert ids(subsidy="job_subsidy") == [call]
    assert ids(since=local_day().isoformat()) == [drafted, with_needs]
    assert ids(until=last_week) == [call]
    assert ids(q=other.credit_code) == [call]
    code = db.session.get(Community, employer.community_id).code
    assert set(ids(place=f"community:{code}")) >= {drafted, with_needs}
    unknown = client.get(VISITS, query_string={"place": "township:999999999999"}, headers=headers)
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "unknown_place"

    def needs(**query):
        response = client.get(NEEDS, query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [(item["title"], item["state"]) for item in response.get_json()["items"]]

    assert sorted(needs(state="open")) == [("包装工", "open"), ("茶叶分拣工", "open")]
    assert needs(state="drafted") == [("拣茶工", "drafted")]
    assert needs(category="manufacturing") == [("包装工", "open")]
    item = client.get(NEEDS, query_string={"state": "drafted"}, headers=headers).get_json()["items"][0]
    assert item["employer"]["id"] == employer.id and item["visited_on"] == local_day().isoformat()


def test_the_console_listings_stream_every_row_for_an_export(client, staff_headers, make_employer):
    employer, _ = make_employer()
    staff, headers = staff_headers(*CHENGZHONG)
    first = record(client, headers, employer.id).get_json()["id"]
    second = record(client, headers, employer.id, channel="phone", needs=[]).get_json()["id"]

    visits = list(lists.stream("employer_visits", staff, {}, reveal=True))
    needs = list(lists.stream("hiring_needs", staff, {"state": ""}))

    assert [row["id"] for row in visits] == [second, first]  # newest first
    assert visits[1]["channel"] == "上门走访" and visits[1]["met_name"] == "程经理"
    assert visits[1]["needs"] == "茶叶分拣工×3；包装工×3" and visits[1]["open_needs"] == 2
    assert visits[1]["subsidy_interest"] == "社会保险补贴、职业培训补贴"
    assert [row["title"] for row in needs] == ["茶叶分拣工", "包装工"]
    assert needs[1]["wage"] == "150–180 元/天" and needs[0]["state"] == "待处理"
    masked = lists.page("employer_visits", staff).items[1]
    assert masked["met_name"] == "程经理"  # names show on a page, as the API's staff lists do
