"""Phone spot-checks (电话抽查): a reproducible sample of an operator's month, the call list, the calls."""

import base64
import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.common.clock import local_day, month_start
from app.extensions import db
from app.models import AuditEvent, Finding, OperatorContract, SpotCheck, SpotCheckSample
from app.services.programme.spot_checks import draw_ids, seed_of
from tests.programme.supervision_support import (
    CHENGDONG,
    CHENGZHONG,
    cover_last_month,
    decided_registration,
    door_visit,
    draw,
    last_month,
    visited_households,
)
from tests.support import count, error_of

CALLS = "/api/v1/spot-checks"


@pytest.fixture
def work(make_operator, make_staff, places):
    """城中's operator with last month's door visits: 12 households in 城中, and others that do not count."""
    worker = make_staff("grid_worker", "circle", "341002-chengzhong")
    operator = make_operator(circle_key="chengzhong", staff=[worker])
    cover_last_month(operator)
    counted = visited_households(CHENGZHONG, worker.id, 12)
    # Not the operator's: a household of 城东, a phone call in 城中, a door visit this month.
    door_visit(visited_households(CHENGDONG, worker.id, 1, first=50)[0], worker.id, last_month())
    door_visit(counted[0], worker.id, last_month() + timedelta(days=3), channel="phone")
    door_visit(counted[1], worker.id, local_day())
    return operator, worker, counted


@pytest.fixture
def supervisor(staff_headers):
    """The 屯溪区 supervisor: (account, headers)."""
    return staff_headers("supervisor", "district", "341002000000")


def test_a_sample_is_reproducible_and_drawn_once(client, work, supervisor):
    operator, _, households = work
    _, headers = supervisor

    first = draw(client, headers, operator.id, size=5)
    again = draw(client, headers, operator.id, size=5)

    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    sample = db.session.get(SpotCheckSample, body["id"])
    assert body["seed"] == seed_of(last_month(), operator.id, "visit", sample.district_id)
    assert body["population"] == 12 and body["size"] == 5 and len(body["calls"]) == 5
    drawn = draw_ids(body["seed"], [h.id for h in households], 5)
    assert [call["household_id"] for call in body["calls"]] == drawn
    assert [call["position"] for call in body["calls"]] == [1, 2, 3, 4, 5]
    assert again.status_code == 200 and again.get_json()["calls"] == body["calls"]
    assert count(SpotCheckSample) == 1 and count(SpotCheck) == 5
    # Drawn afresh from the same month's data, it is the same list.
    db.session.execute(sa.delete(SpotCheck))
    db.session.execute(sa.delete(SpotCheckSample))
    db.session.commit()
    redrawn = draw(client, headers, operator.id, size=5).get_json()
    assert [call["object_id"] for call in redrawn["calls"]] == [call["object_id"] for call in body["calls"]]


def test_the_seed_is_a_keyed_hash_of_the_key_and_the_draw_ignores_the_order_given(app):
    month = last_month()
    seed = seed_of(month, 7, "visit", 3)

    assert seed == seed_of(month, 7, "visit", 3)  # the same every time on this deployment
    # Not the plain hash an operator could compute: the data key is in it.
    assert seed != hashlib.sha256(f"{month:%Y-%m}:7:visit:3".encode()).hexdigest()
    ours = app.config["DATA_KEY"]
    app.config["DATA_KEY"] = base64.b64encode(b"another deployment's 32-byte key").decode()
    try:
        assert seed_of(month, 7, "visit", 3) != seed
    finally:
        app.config["DATA_KEY"] = ours
    assert draw_ids(seed, [5, 1, 9, 3, 7], 3) == draw_ids(seed, [9, 7, 5, 3, 1, 1], 3)
    assert draw_ids(seed, [1, 2], 10) in ([1, 2], [2, 1])
    assert seed_of(month, 7, "claim", 3) != seed


def test_the_sample_holds_the_operators_circles_and_days_only(client, work, supervisor, make_operator):
    operator, _, households = work
    _, headers = supervisor
    # From the month's 7th day a newer contract gives the circle to another operator.
    successor = make_operator(circle_key="chengzhong")
    contract = db.session.scalar(
        sa.select(OperatorContract).where(OperatorContract.operator_id == successor.id)
    )
    contract.starts_on = last_month() + timedelta(days=6)
    db.session.commit()

    body = draw(client, headers, operator.id, size=20).get_json()

    assert body["population"] == 6  # days 0..5 of the month: households 0..5
    assert sorted(call["household_id"] for call in body["calls"]) == sorted(h.id for h in households[:6])
    assert draw(client, headers, successor.id, size=20).get_json()["population"] == 6


def test_a_registration_sample_rings_the_registered_resident(
    client, work, supervisor, make_resident, make_staff
):
    operator, _, _ = work
    _, headers = supervisor
    reviewer = make_staff("station_staff", "circle", "341002-chengzhong")
    resident = make_resident(community_code=CHENGZHONG, name="王小明", phone="13912340000")
    registration = decided_registration(resident, reviewer.id, last_month() + timedelta(days=2))

    body = draw(client, headers, operator.id, kind="registration").get_json()

    assert body["population"] == 1
    [call] = body["calls"]
    assert (call["object_id"], call["resident_id"]) == (registration.id, resident.id)
    assert call["handled_by"] == reviewer.username and call["subject"].startswith("失业登记")
    assert call["resident_name"] != "王小明" and call["phone_hint"] == "139****0000"


def test_what_cannot_be_drawn(client, work, supervisor, make_operator, staff_headers):
    operator, _, _ = work
    _, headers = supervisor
    idle = make_operator(district="341003")
    _, circle_headers = staff_headers("supervisor", "circle", "341002-chengzhong")
    _, admin_headers = staff_headers("district_admin", "district", "341002000000")
    _, city_headers = staff_headers("supervisor", "city", "341000000000")

    this_month = draw(client, headers, operator.id, month=month_start(local_day()))
    nothing = draw(client, headers, operator.id, kind="claim")
    small = draw(client, circle_headers, operator.id)
    admin = draw(client, admin_headers, operator.id)
    no_district = draw(client, city_headers, operator.id)
    other_district = draw(client, headers, operator.id, district_code="341003")
    idle_here = draw(client, city_headers, idle.id, district_code="341003")
    too_big = draw(client, headers, operator.id, size=101)
    no_such = draw(client, headers, 999999)

    assert (this_month.status_code, error_of(this_month)["code"]) == (409, "month_not_over")
    assert (nothing.status_code, error_of(nothing)["code"]) == (409, "nothing_to_sample")
    assert (small.status_code, error_of(small)["code"]) == (403, "district_scope_required")
    assert (admin.status_code, error_of(admin)["code"]) == (403, "role_forbidden")
    assert (no_district.status_code, error_of(no_district)["code"]) == (422, "district_required")
    assert (other_district.status_code, error_of(other_district)["code"]) == (404, "district_not_found")
    assert (idle_here.status_code, error_of(idle_here)["code"]) == (409, "nothing_to_sample")
    assert too_big.status_code == 422 and error_of(too_big)["field"] == "size"
    assert (no_such.status_code, error_of(no_such)["code"]) == (404, "operator_not_found")
    assert count(SpotCheckSample) == 0


def test_a_city_supervisor_draws_for_a_named_district(client, work, staff_headers):
    operator, _, _ = work
    _, headers = staff_headers("supervisor", "city", "341000000000")

    response = draw(client, headers, operator.id, district_code="341002", size=3)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["district"]["name"] == "屯溪区"


def test_the_call_list_is_masked_and_a_reveal_is_audited(client, work, supervisor, staff_headers):
    operator, _, _ = work
    account, headers = supervisor
    sample = draw(client, headers, operator.id, size=3).get_json()
    call = sample["calls"][0]
    _, admin_headers = staff_headers("district_admin", "district", "341002000000")
    _, other_headers = staff_headers("supervisor", "district", "341003000000")

    listed = client.get(f"/api/v1/spot-check-samples/{sample['id']}", headers=admin_headers)
    revealed = client.post(f"{CALLS}/{call['id']}/reveal", headers=headers)
    refused = client.post(f"{CALLS}/{call['id']}/reveal", headers=admin_headers)
    elsewhere = client.get(f"{CALLS}/{call['id']}", headers=other_headers)

    assert listed.status_code == 200
    assert "1370000" not in listed.get_data(as_text=True)  # no full phone anywhere in the list
    assert call["phone_hint"].startswith("137****")
    assert revealed.status_code == 200 and revealed.get_json()["phone"].startswith("1370000")
    assert revealed.get_json()["phone"][-4:] == call["phone_hint"][-4:]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "spot_check.reveal"))
    assert (event.actor_id, event.object_type, event.object_id) == (
        account.id,
        "resident",
        str(call["resident_id"]),
    )
    assert event.detail["spot_check_id"] == call["id"] and event.circle_id is not None
    assert (refused.status_code, error_of(refused)["code"]) == (403, "reveal_forbidden")
    assert (elsewhere.status_code, error_of(elsewhere)["code"]) == (404, "spot_check_not_found")
    assert count(AuditEvent, AuditEvent.action == "spot_check.reveal") == 1


def test_recording_calls_and_the_finding_a_discrepancy_raises(client, app, work, supervisor):
    operator, _, _ = work
    _, headers = supervisor
    calls = draw(client, headers, operator.id, size=4).get_json()["calls"]
    url = [f"{CALLS}/{call['id']}/call" for call in calls]
    happy = {"reached": True, "visit_confirmed": True, "data_correct": True, "satisfaction": 3}

    missing = client.post(url[0], json={"reached": True, "visit_confirmed": True}, headers=headers)
    answers_unreached = client.post(url[0], json={"reached": False, "satisfaction": 4}, headers=headers)
    too_high = client.post(url[0], json={**happy, "satisfaction": 6}, headers=headers)
    unreached = client.post(url[0], json={"reached": False, "note": "无人接听"}, headers=headers)
    reached_later = client.post(url[0], json=happy, headers=headers)
    retried = client.post(url[0], json=happy, headers=headers)
    changed = client.post(url[0], json={**happy, "satisfaction": 5}, headers=headers)
    unhappy = client.post(url[1], json={**happy, "satisfaction": 2}, headers=headers)
    unconfirmed = client.post(
        url[2], json={**happy, "visit_confirmed": False, "note": "说没人来过"}, headers=headers
    )
    again = client.post(
        url[2], json={**happy, "visit_confirmed": False, "note": "说没人来过"}, headers=headers
    )

    assert (missing.status_code, error_of(missing)["code"]) == (422, "call_answers_required")
    assert error_of(missing)["field"] == "data_correct"
    assert (answers_unreached.status_code, error_of(answers_unreached)["code"]) == (422, "not_reached")
    assert too_high.status_code == 422 and error_of(too_high)["field"] == "satisfaction"
    assert unreached.status_code == 200 and unreached.get_json()["reached"] is False
    assert reached_later.status_code == 200 and reached_later.get_json()["satisfaction"] == 3
    assert retried.status_code == 200
    assert (changed.status_code, error_of(changed)["code"]) == (409, "call_already_recorded")
    # Satisfaction 3 is no discrepancy; 2 is, and so is a visit the resident does not confirm.
    assert reached_later.get_json()["finding_id"] is None
    assert unhappy.get_json()["finding_status"] == "open"
    assert again.status_code == 200 and again.get_json()["finding_id"] == unconfirmed.get_json()["finding_id"]
    assert count(Finding) == 2
    finding = db.session.get(Finding, unconfirmed.get_json()["finding_id"])
    assert finding.operator_id == operator.id and finding.circle_id == calls[2]["circle_id"]
    assert finding.due_on == local_day() + timedelta(days=app.config["FINDING_DUE_DAYS"])
    assert "居民未确认上门走访" in finding.detail and "说没人来过" in finding.detail


def test_the_samples_list_is_the_readers_district(client, work, supervisor, staff_headers):
    operator, _, _ = work
    _, headers = supervisor
    draw(client, headers, operator.id, size=2)
    _, other_headers = staff_headers("district_admin", "district", "341003000000")
    _, grid_headers = staff_headers("grid_worker", "circle", "341002-chengzhong")

    mine = client.get("/api/v1/spot-check-samples", headers=headers).get_json()
    other = client.get("/api/v1/spot-check-samples", headers=other_headers).get_json()
    grid = client.get("/api/v1/spot-check-samples", headers=grid_headers)

    assert mine["total"] == 1 and mine["items"][0]["calls_total"] == 2
    assert other["total"] == 0
    assert grid.status_code == 403


def test_a_reveal_shows_in_the_audit_log_of_the_residents_place_only(client, work, supervisor, staff_headers):
    operator, _, _ = work
    _, headers = supervisor
    call = draw(client, headers, operator.id, size=1).get_json()["calls"][0]
    client.post(f"{CALLS}/{call['id']}/reveal", headers=headers)
    _, zhong = staff_headers("supervisor", "circle", "341002-chengzhong")
    _, dong = staff_headers("supervisor", "circle", "341002-chengdong")

    def reveals(reader) -> int:
        query = {"action": "spot_check.reveal", "per_page": 100}
        return client.get("/api/v1/audit-events", query_string=query, headers=reader).get_json()["total"]

    assert (reveals(headers), reveals(zhong), reveals(dong)) == (1, 1, 0)


def test_the_sample_size_defaults_to_the_setting(client, app, work, supervisor):
    operator, _, _ = work
    _, headers = supervisor
    app.config["SPOT_CHECK_SAMPLE_SIZE"] = 4

    body = draw(client, headers, operator.id).get_json()

    assert (body["size"], len(body["calls"]), body["population"]) == (4, 4, 12)
