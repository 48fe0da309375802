"""Findings (问题): raised from a call or by hand, answered by the operator, closed or reopened."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import AuditEvent, Finding
from tests.programme.supervision_support import (
    CHENGZHONG,
    FINDINGS,
    cover_last_month,
    draw,
    visited_households,
)
from tests.support import count, error_of

TUNXI = "341002000000"
UNHAPPY = {"reached": True, "visit_confirmed": True, "data_correct": False, "satisfaction": 4}


@pytest.fixture
def setting(make_operator, make_staff, login, places):
    """城中's operator (with a manager account), a rival operator, the 屯溪区 supervisor; headers by who."""
    worker = make_staff("grid_worker", "circle", "341002-chengzhong")
    manager = make_staff("operator", "circle", "341002-chengzhong")
    rival_manager = make_staff("operator", "circle", "341002-chengdong")
    operator = make_operator(circle_key="chengzhong", staff=[worker, manager])
    rival = make_operator(circle_key="chengdong", staff=[rival_manager])
    cover_last_month(operator)
    visited_households(CHENGZHONG, worker.id, 3)
    supervisor = make_staff("supervisor", "district", TUNXI)
    return {
        "operator": operator,
        "rival": rival,
        "supervisor": login(supervisor.username),
        "manager": login(manager.username),
        "rival_manager": login(rival_manager.username),
    }


def raised(client, setting) -> dict:
    """Draw last month's sample and record a call that finds wrong data; return the finding."""
    calls = draw(client, setting["supervisor"], setting["operator"].id, size=1).get_json()["calls"]
    call = client.post(
        f"/api/v1/spot-checks/{calls[0]['id']}/call", json=UNHAPPY, headers=setting["supervisor"]
    )
    return client.get(f"{FINDINGS}/{call.get_json()['finding_id']}", headers=setting["supervisor"]).get_json()


def test_a_findings_life(client, app, setting):
    finding = raised(client, setting)
    url = f"{FINDINGS}/{finding['id']}"

    closed_early = client.post(f"{url}/close", json={}, headers=setting["supervisor"])
    by_rival = client.post(f"{url}/answer", json={"answer": "已整改"}, headers=setting["rival_manager"])
    by_supervisor = client.post(f"{url}/answer", json={"answer": "已整改"}, headers=setting["supervisor"])
    answered = client.post(
        f"{url}/answer", json={"answer": "已上门核实并更正台账"}, headers=setting["manager"]
    )
    answered_twice = client.post(f"{url}/answer", json={"answer": "再次反馈"}, headers=setting["manager"])
    reopened = client.post(f"{url}/reopen", json={"reason": "台账仍未更正"}, headers=setting["supervisor"])
    answered_again = client.post(
        f"{url}/answer", json={"answer": "已更正，附照片"}, headers=setting["manager"]
    )
    closed = client.post(f"{url}/close", json={"note": "核实无误，销号"}, headers=setting["supervisor"])

    assert finding["status"] == "open" and finding["operator_id"] == setting["operator"].id
    told = client.get("/api/v1/notices/mine", headers=setting["manager"]).get_json()["items"]
    assert [notice["title"] for notice in told] == [f"监理整改通知：{finding['title']}"]
    assert client.get("/api/v1/notices/mine", headers=setting["rival_manager"]).get_json()["items"] == []
    assert finding["due_on"] == (local_day() + timedelta(days=app.config["FINDING_DUE_DAYS"])).isoformat()
    assert (closed_early.status_code, error_of(closed_early)["code"]) == (409, "finding_status_conflict")
    assert (by_rival.status_code, error_of(by_rival)["code"]) == (404, "finding_not_found")
    assert by_supervisor.status_code == 403
    assert answered.status_code == 200 and answered.get_json()["status"] == "answered"
    assert (answered_twice.status_code, error_of(answered_twice)["code"]) == (409, "finding_status_conflict")
    assert reopened.get_json()["status"] == "open"
    assert answered_again.get_json()["answer"] == "已更正，附照片"
    body = closed.get_json()
    assert body["status"] == "closed" and body["closing_note"] == "核实无误，销号" and not body["overdue"]
    assert [step["action"] for step in body["history"]] == ["raise", "answer", "reopen", "answer", "close"]
    assert body["history"][2]["text"] == "台账仍未更正"
    assert count(AuditEvent, AuditEvent.object_type == "finding") == 5


def test_reopening_needs_a_reason_and_sets_a_new_deadline(client, setting):
    finding = raised(client, setting)
    url = f"{FINDINGS}/{finding['id']}"
    client.post(f"{url}/answer", json={"answer": "已整改完毕"}, headers=setting["manager"])
    row = db.session.get(Finding, finding["id"])
    row.due_on = local_day() - timedelta(days=30)
    db.session.commit()

    no_reason = client.post(f"{url}/reopen", json={"reason": " "}, headers=setting["supervisor"])
    reopened = client.post(f"{url}/reopen", json={"reason": "未见整改"}, headers=setting["supervisor"])

    assert no_reason.status_code == 422
    assert reopened.get_json()["due_on"] == finding["due_on"]  # FINDING_DUE_DAYS from today, again
    assert not reopened.get_json()["overdue"]


def test_an_unanswered_finding_past_its_day_is_overdue(client, setting):
    finding = raised(client, setting)
    row = db.session.get(Finding, finding["id"])
    row.due_on = local_day() - timedelta(days=1)
    db.session.commit()

    shown = client.get(f"{FINDINGS}/{finding['id']}", headers=setting["manager"]).get_json()
    overdue = client.get(FINDINGS, query_string={"overdue": "true"}, headers=setting["supervisor"]).get_json()
    row.due_on = local_day()
    db.session.commit()
    due_today = client.get(
        FINDINGS, query_string={"overdue": "true"}, headers=setting["supervisor"]
    ).get_json()

    assert shown["overdue"] is True
    assert [item["id"] for item in overdue["items"]] == [finding["id"]]
    assert due_today["total"] == 0


def test_a_finding_raised_by_hand(client, setting, staff_headers):
    body = {"circle_code": "341002-chengzhong", "title": "服务站未按时开放", "client_id": "finding-by-hand-1"}

    made = client.post(FINDINGS, json=body, headers=setting["supervisor"])
    retried = client.post(FINDINGS, json=body, headers=setting["supervisor"])
    past = client.post(
        FINDINGS,
        json={**body, "client_id": None, "due_on": (local_day() - timedelta(days=1)).isoformat()},
        headers=setting["supervisor"],
    )
    _, huangshan = staff_headers("supervisor", "district", "341003000000")
    outside = client.post(FINDINGS, json={**body, "client_id": None}, headers=huangshan)
    _, admin = staff_headers("district_admin", "district", TUNXI)
    by_admin = client.post(FINDINGS, json={**body, "client_id": None}, headers=admin)

    assert made.status_code == 201, made.get_json()
    assert made.get_json()["operator_id"] == setting["operator"].id  # the circle's operator today
    assert made.get_json()["circle"]["name"] == "城中就业圈"
    assert retried.status_code == 200 and retried.get_json()["id"] == made.get_json()["id"]
    assert (past.status_code, error_of(past)["code"]) == (422, "due_in_past")
    assert (outside.status_code, error_of(outside)["code"]) == (404, "circle_not_found")
    assert by_admin.status_code == 403
    assert count(Finding) == 1


def test_who_reads_which_findings(client, setting, staff_headers):
    finding = raised(client, setting)
    by_hand = client.post(
        FINDINGS,
        json={"circle_code": "341002-chengdong", "title": "城东问题", "operator_id": setting["rival"].id},
        headers=setting["supervisor"],
    ).get_json()
    _, chengdong_supervisor = staff_headers("supervisor", "circle", "341002-chengdong")
    _, admin = staff_headers("district_admin", "district", TUNXI)
    _, station = staff_headers("station_staff", "circle", "341002-chengzhong")

    def ids(headers):
        return {item["id"] for item in client.get(FINDINGS, headers=headers).get_json()["items"]}

    assert ids(setting["manager"]) == {finding["id"]}
    assert ids(setting["rival_manager"]) == {by_hand["id"]}
    assert ids(chengdong_supervisor) == {by_hand["id"]}
    assert ids(admin) == {finding["id"], by_hand["id"]}
    assert client.get(f"{FINDINGS}/{finding['id']}", headers=chengdong_supervisor).status_code == 404
    assert client.get(FINDINGS, headers=station).status_code == 403
    closed_elsewhere = client.post(f"{FINDINGS}/{finding['id']}/close", json={}, headers=chengdong_supervisor)
    assert closed_elsewhere.status_code == 404
    assert db.session.scalar(sa.select(Finding.status).where(Finding.id == finding["id"])) == "open"
