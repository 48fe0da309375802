"""Placement follow-ups: asked at day 90 and 180 once, unanswered to the grid, answers update the ledger."""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import PlacementFollowUp, Push, Resident, StatusChange
from app.services.placements import schedule
from tests.placements.conftest import MINE, STAFF, run_after
from tests.support import assign_directly, error_of, messages


def follow_ups(resident_id: int) -> list[PlacementFollowUp]:
    """Return a resident's follow-ups by stage."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(PlacementFollowUp)
            .where(PlacementFollowUp.resident_id == resident_id)
            .order_by(PlacementFollowUp.stage_days)
        )
    )


def answer(client, headers, follow_up_id, url=MINE, **body):
    """Post an answer; return the response."""
    return client.post(f"{url}/{follow_up_id}/answer", json=body, headers=headers)


def test_a_hire_is_asked_at_day_90_and_at_day_180_once_each(client, person, hire, fake_wechat):
    resident_id, headers, openid = person()
    hire(headers)

    assert run_after(0)["scheduled"] == 2
    assert run_after(1)["scheduled"] == 0  # a second run (a restart) writes nothing new
    first, second = follow_ups(resident_id)
    assert (first.stage_days, first.due_on, first.source_type) == (
        90,
        local_day() + timedelta(days=90),
        "hire",
    )
    assert (second.stage_days, second.status) == (180, "scheduled")
    assert first.employer_name == "黄山测试茶业有限公司" and first.job_kind == "regular"

    assert run_after(89)["asked"] == 0
    assert messages(fake_wechat, openid) == []
    assert run_after(90)["asked"] == 1
    assert run_after(90)["asked"] == 0  # the same day again: never asked twice
    assert run_after(91)["asked"] == 0
    sent = messages(fake_wechat, openid)
    assert [m["data"]["thing2"]["value"] for m in sent] == ["入职3个月回访：是否仍在岗"]
    assert sent[0]["page"] == f"pages/placement/index?id={first.id}"
    assert follow_ups(resident_id)[0].status == "asked"

    mine = client.get(MINE, headers=headers)
    assert [item["id"] for item in mine.get_json()["items"]] == [first.id]  # the 180-day one not yet
    assert answer(client, headers, first.id, answer="still_employed").status_code == 200
    assert follow_ups(resident_id)[0].answer_channel == "self"

    assert run_after(180)["asked"] == 1
    assert run_after(180)["asked"] == 0
    assert [m["data"]["thing2"]["value"] for m in messages(fake_wechat, openid)] == [
        "入职3个月回访：是否仍在岗",
        "入职6个月回访：是否仍在岗",
    ]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Push).where(Push.kind == "placement_followup")
        )
        == 2
    )


def test_no_answer_in_7_days_puts_a_task_on_the_grid_worker_s_checklist(
    client, person, hire, make_staff, login
):
    resident_id, headers, _ = person()
    hire(headers)
    worker = make_staff("grid_worker", "community", "341002002001")
    assign_directly(worker, ["341002002001"])
    worker_headers = login(worker.username)

    run_after(90)
    assert run_after(96)["to_grid"] == 0  # six days without an answer: still waiting
    assert run_after(97)["to_grid"] == 1
    assert run_after(97)["to_grid"] == 0
    task = follow_ups(resident_id)[0]
    assert task.status == "task"

    checklist = client.get("/api/v1/grid/checklist", headers=worker_headers).get_json()
    assert [(t["id"], t["stage_days"], t["resident"]["name"]) for t in checklist["placement_tasks"]] == [
        (task.id, 90, "回访人")
    ]
    assert "phone" not in checklist["placement_tasks"][0]["resident"]  # only the masked hint

    recorded = answer(client, worker_headers, task.id, url=STAFF, answer="still_employed", channel="door")
    assert recorded.status_code == 200, recorded.get_json()
    assert (recorded.get_json()["status"], recorded.get_json()["answer_channel"]) == ("answered", "door")
    checklist = client.get("/api/v1/grid/checklist", headers=worker_headers).get_json()
    assert checklist["placement_tasks"] == []


def test_someone_who_cannot_be_messaged_goes_to_the_grid_at_once(client, person, hire):
    resident_id, headers, _ = person(reachable=False)
    hire(headers)

    counts = run_after(90)
    assert (counts["asked"], counts["to_grid"]) == (1, 1)
    assert follow_ups(resident_id)[0].status == "task"
    assert db.session.scalars(sa.select(Push).where(Push.kind == "placement_followup")).all() == []


def test_left_updates_the_ledger_and_stops_the_6_month_follow_up(client, person, hire, fake_wechat):
    resident_id, headers, openid = person()
    hire(headers)
    run_after(90)
    first = follow_ups(resident_id)[0]
    assert db.session.get(Resident, resident_id).employment_status == "employed"

    left = answer(
        client, headers, first.id, answer="left", left_reason="wages", left_on=local_day().isoformat()
    )
    assert left.status_code == 200, left.get_json()
    assert (left.get_json()["answer"], left.get_json()["left_reason"]) == ("left", "wages")
    db.session.expire_all()
    assert db.session.get(Resident, resident_id).employment_status == "unemployed"
    change = db.session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.resident_id == resident_id)
        .order_by(StatusChange.id.desc())
    ).first()
    assert (change.to_status, change.source, change.note) == (
        "unemployed",
        "self",
        "稳岗回访：已离职（薪酬不满意）",
    )
    later = follow_ups(resident_id)[1]
    assert (later.status, later.stop_reason) == ("stopped", "left_earlier")

    assert run_after(180)["asked"] == 0
    assert len(messages(fake_wechat, openid)) == 1
    # The same answer again is a retried tap: 200, nothing changes; another answer is refused.
    again = answer(
        client, headers, first.id, answer="left", left_reason="wages", left_on=local_day().isoformat()
    )
    assert again.status_code == 200
    other = answer(client, headers, first.id, answer="still_employed")
    assert other.status_code == 409 and error_of(other)["code"] == "placement_already_answered"


def test_left_for_a_better_job_keeps_the_person_employed_and_stops_the_6_month_follow_up(
    client, person, hire
):
    resident_id, headers, _ = person()
    hire(headers)
    run_after(90)
    first, later = follow_ups(resident_id)

    left = answer(
        client, headers, first.id, answer="left", left_reason="better_job", left_on=local_day().isoformat()
    )

    assert left.status_code == 200, left.get_json()
    db.session.expire_all()
    assert db.session.get(Resident, resident_id).employment_status == "employed"  # working elsewhere
    assert (db.session.get(type(later), later.id).status, later.stop_reason) == ("stopped", "left_earlier")


def test_an_employment_registration_is_followed_up_and_ends_when_the_person_left(
    client, person, staff_headers
):
    resident_id, headers, _ = person()
    desk = staff_headers("station_staff", "circle", "341002-chengzhong")[1]
    entered = client.post(
        "/api/v1/me/registrations/employment",
        json={
            "client_id": "placement-flexible-1",
            "started_on": local_day().isoformat(),
            "employment_kind": "flexible",
            "work_description": "网约车司机",
        },
        headers=headers,
    )
    assert entered.status_code == 201, entered.get_json()
    registration_id = entered.get_json()["id"]
    accepted = client.post(f"/api/v1/registrations/{registration_id}/accept", json={}, headers=desk)
    assert accepted.status_code == 200, accepted.get_json()

    run_after(90)
    first = follow_ups(resident_id)[0]
    assert (first.source_type, first.source_id, first.status, first.job_kind) == (
        "employment_registration",
        registration_id,
        "asked",
        None,
    )
    left = answer(
        client, headers, first.id, answer="left", left_reason="family", left_on=local_day().isoformat()
    )
    assert left.status_code == 200, left.get_json()
    registration = client.get(f"/api/v1/me/registrations/{registration_id}", headers=headers).get_json()
    assert (registration["status"], registration["ending_reason"]) == ("ended", "left_job")
    db.session.expire_all()
    assert db.session.get(Resident, resident_id).employment_status == "unemployed"


def test_a_registration_entered_from_a_hire_is_one_placement(
    client, person, hire, make_employer, staff_headers
):
    resident_id, headers, _ = person()
    employer = make_employer()
    application_id, _ = hire(headers, employer)
    body = {
        "client_id": "placement-from-hire",
        "started_on": local_day().isoformat(),
        "application_id": application_id,
    }
    entered = client.post("/api/v1/registrations/employment", json=body, headers=employer[1])
    assert entered.status_code == 201, entered.get_json()
    registration_id = entered.get_json()["id"]
    confirmed = client.post(f"/api/v1/me/registrations/{registration_id}/confirm", json={}, headers=headers)
    assert confirmed.status_code == 200, confirmed.get_json()
    desk = staff_headers("station_staff", "circle", "341002-chengzhong")[1]
    accepted = client.post(f"/api/v1/registrations/{registration_id}/accept", json={}, headers=desk)
    assert accepted.get_json()["status"] == "accepted"

    assert schedule.schedule() == 2
    assert schedule.schedule() == 0
    assert [(f.source_type, f.source_id) for f in follow_ups(resident_id)] == [("hire", application_id)] * 2


def test_bad_answers_are_refused_with_their_field(client, person, hire, staff_headers, login, make_staff):
    resident_id, headers, _ = person()
    hire(headers)
    run_after(90)
    first = follow_ups(resident_id)[0]
    today = local_day()

    cases = [
        ({"answer": "left", "left_on": today.isoformat()}, "left_reason", "left_reason_required"),
        ({"answer": "left", "left_reason": "wages"}, "left_on", "left_on_required"),
        (
            {"answer": "left", "left_reason": "wages", "left_on": (today + timedelta(days=1)).isoformat()},
            "left_on",
            "left_on_in_future",
        ),
        (
            {"answer": "left", "left_reason": "wages", "left_on": (today - timedelta(days=1)).isoformat()},
            "left_on",
            "left_on_before_start",
        ),
    ]
    for body, field, code in cases:
        response = answer(client, headers, first.id, **body)
        assert response.status_code == 422, (body, response.get_json())
        assert (error_of(response)["field"], error_of(response)["code"]) == (field, code)
    assert answer(client, headers, first.id, answer="maybe").status_code == 422
    assert follow_ups(resident_id)[0].status == "asked"

    # The 180-day one is not asked yet: not mine to see; someone else's: 404 too.
    later = follow_ups(resident_id)[1]
    assert answer(client, headers, later.id, answer="still_employed").status_code == 404
    _, stranger, _ = person()
    response = answer(client, stranger, first.id, answer="still_employed")
    assert response.status_code == 404 and error_of(response)["code"] == "placement_follow_up_not_found"

    # Staff: outside their place 404; a supervisor watches only.
    _, elsewhere = staff_headers("township_admin", "township", "341002001000")
    assert answer(client, elsewhere, first.id, url=STAFF, answer="still_employed").status_code == 404
    _, supervisor = staff_headers("supervisor", "circle", "341002-chengzhong")
    refused = answer(client, supervisor, first.id, url=STAFF, answer="still_employed")
    assert refused.status_code == 403 and error_of(refused)["code"] == "role_forbidden"
    _, desk = staff_headers("station_staff", "circle", "341002-chengzhong")
    listed = client.get(STAFF, query_string={"status": "asked"}, headers=desk).get_json()
    assert [item["id"] for item in listed["items"]] == [first.id]
    assert listed["items"][0]["resident"]["name"] == "回访人"
    assert client.get(STAFF, headers=elsewhere).get_json()["items"] == []


def test_a_follow_up_of_someone_erased_is_stopped_not_asked(client, person, hire):
    resident_id, headers, _ = person()
    hire(headers)
    resident = db.session.get(Resident, resident_id)
    # What an erasure leaves of a ledger record (services/people/erasure.py): no name, login or phone.
    resident.name = resident.account_id = resident.phone_enc = resident.phone_hmac = None
    db.session.commit()

    counts = run_after(90)
    assert (counts["asked"], counts["stopped"], counts["to_grid"]) == (0, 1, 0)
    first = follow_ups(resident_id)[0]
    assert (first.status, first.stop_reason) == ("stopped", "erased")


def test_staff_hearing_left_stops_the_question_already_asked_at_6_months(client, person, hire, staff_headers):
    resident_id, headers, _ = person()
    hire(headers)
    run_after(90)
    run_after(97)  # unanswered: a grid task
    run_after(180)  # the 6-month question goes out all the same
    first, second = follow_ups(resident_id)
    assert (first.status, second.status) == ("task", "asked")

    _, desk = staff_headers("station_staff", "circle", "341002-chengzhong")
    body = {
        "answer": "left",
        "left_reason": "distance",
        "left_on": local_day().isoformat(),
        "channel": "station",
    }
    assert answer(client, desk, first.id, url=STAFF, **body).status_code == 200
    change = db.session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.resident_id == resident_id)
        .order_by(StatusChange.id.desc())
    ).first()
    assert (change.to_status, change.source) == ("unemployed", "staff")

    late = answer(client, headers, second.id, answer="still_employed")
    assert late.status_code == 409 and error_of(late)["code"] == "placement_stopped"
    mine = client.get(MINE, headers=headers).get_json()["items"]
    assert [(item["stage_days"], item["status"], item["stop_reason"]) for item in mine] == [
        (180, "stopped", "left_earlier"),
        (90, "answered", None),
    ]


def test_the_daily_run_is_a_scheduled_task_that_finds_todays_hires(person, hire):
    from app.queues import TASKS, enqueue
    from app.tasks.maintenance import SCHEDULE

    assert ("placements.run_daily", 24 * 3600) in SCHEDULE and TASKS[
        "placements.run_daily"
    ].queue == "default"
    resident_id, headers, _ = person()
    hire(headers)
    enqueue("placements.run_daily")  # inline in tests, as the cron's worker runs it
    assert [(f.stage_days, f.status) for f in follow_ups(resident_id)] == [
        (90, "scheduled"),
        (180, "scheduled"),
    ]
