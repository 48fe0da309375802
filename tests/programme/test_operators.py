"""Operators (运营机构) and contracts: the register, contracts per district or circle, who reads which."""

from datetime import date

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Account, AuditEvent, OperatorContract
from app.services.programme.responsibility import operator_of_circle
from tests.conftest import make_credit_code


def _circle_id(key: str) -> int:
    from app.models import Circle

    return db.session.scalar(sa.select(Circle.id).where(Circle.key == key))


def _new_operator(client, headers, **extra):
    body = {
        "name": "黄山市就业服务有限公司",
        "credit_code": make_credit_code(),
        "contact_phone": "13900001234",
    }
    response = client.post("/api/v1/operators", json={**body, **extra}, headers=headers)
    return response


def test_city_admin_enters_an_operator_once_with_a_checked_credit_code(client, staff_headers):
    _, city = staff_headers("city_admin", "city", "341000000000")
    code = make_credit_code()
    first = _new_operator(client, city, credit_code=code)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["contact_phone"] == "139****1234" and "13900001234" not in first.get_data(as_text=True)
    again = _new_operator(client, city, credit_code=code.lower())
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    bad = _new_operator(client, city, credit_code=code[:17] + ("0" if code[17] != "0" else "1"))
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_credit_code"
    _, district = staff_headers("district_admin", "district", "341002000000")
    refused = _new_operator(client, district)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "role_forbidden"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "operator.create")
        )
        == 1
    )


def test_contracts_by_district_admin_and_who_reads_the_operator(client, staff_headers):
    _, city = staff_headers("city_admin", "city", "341000000000")
    operator_id = _new_operator(client, city).get_json()["id"]
    _, tunxi = staff_headers("district_admin", "district", "341002000000")
    _, huangshan = staff_headers("district_admin", "district", "341003000000")
    # Before a contract, a district admin does not see the operator.
    assert client.get(f"/api/v1/operators/{operator_id}", headers=tunxi).status_code == 404
    year = local_day().year
    body = {
        "operator_id": operator_id,
        "circle": "341002-chengzhong",
        "starts_on": f"{year}-01-01",
        "ends_on": f"{year}-12-31",
        "population_served": 40000,
        "fee_fen": 40000 * 80,
        "reference": "HS-2026-001",
        "client_id": "contract-1",
    }
    created = client.post("/api/v1/operator-contracts", json=body, headers=tunxi)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["fee_yuan"] == "32000.00"
    retried = client.post("/api/v1/operator-contracts", json=body, headers=tunxi)
    assert retried.status_code == 200 and retried.get_json()["id"] == created.get_json()["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OperatorContract)) == 1
    # Another district's admin may not contract for 屯溪, nor see the operator.
    other = client.post(
        "/api/v1/operator-contracts", json={**body, "client_id": "contract-2"}, headers=huangshan
    )
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "scope_outside_yours"
    assert client.get(f"/api/v1/operators/{operator_id}", headers=huangshan).status_code == 404
    seen = client.get(f"/api/v1/operators/{operator_id}", headers=tunxi).get_json()
    assert [c["key"] for c in seen["circles"]] == ["chengzhong"]
    assert operator_of_circle(_circle_id("chengzhong"), local_day()) == operator_id
    reversed_period = client.post(
        "/api/v1/operator-contracts",
        json={**body, "client_id": "contract-3", "ends_on": f"{year - 1}-12-31"},
        headers=tunxi,
    )
    assert reversed_period.get_json()["error"]["code"] == "period_reversed"


def test_ending_a_contract_early_takes_the_circle_from_the_operator(client, staff_headers, make_operator):
    operator = make_operator(circle_key="chengzhong")
    contract_id = db.session.scalar(
        sa.select(OperatorContract.id).where(OperatorContract.operator_id == operator.id)
    )
    _, tunxi = staff_headers("district_admin", "district", "341002000000")
    no_reason = client.post(
        f"/api/v1/operator-contracts/{contract_id}/end", json={"reason": ""}, headers=tunxi
    )
    assert no_reason.status_code == 422
    future = client.post(
        f"/api/v1/operator-contracts/{contract_id}/end",
        json={"reason": "服务不达标", "last_day": date(local_day().year, 12, 30).isoformat()},
        headers=tunxi,
    )
    if local_day() < date(local_day().year, 12, 30):
        assert future.get_json()["error"]["code"] == "last_day_out_of_period"
    ended = client.post(
        f"/api/v1/operator-contracts/{contract_id}/end", json={"reason": "服务不达标"}, headers=tunxi
    )
    assert ended.status_code == 200 and ended.get_json()["status"] == "ended"
    assert ended.get_json()["ended_reason"] == "服务不达标"
    twice = client.post(
        f"/api/v1/operator-contracts/{contract_id}/end", json={"reason": "再次"}, headers=tunxi
    )
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "contract_not_active"


def test_an_operator_account_reads_only_its_own_operator(client, make_staff, login, make_operator):
    mine = make_staff("operator", "circle", "341002-chengzhong")
    own = make_operator(circle_key="chengzhong", staff=[mine])
    other = make_operator(circle_key="chengdong")
    headers = login(mine.username)
    assert client.get(f"/api/v1/operators/{own.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/operators/{other.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/operators", headers=headers).get_json()
    assert [o["id"] for o in listed["items"]] == [own.id]
    staff = client.get(f"/api/v1/operators/{own.id}", headers=headers).get_json()["staff"]
    assert [s["username"] for s in staff] == [mine.username]


def test_a_circle_supervisor_reads_the_operators_of_its_circle(client, staff_headers, make_operator):
    district_wide = make_operator(name="全区运营机构")
    chengdong = make_operator(circle_key="chengdong")
    _, supervisor = staff_headers("supervisor", "circle", "341002-chengzhong")
    ids = [o["id"] for o in client.get("/api/v1/operators", headers=supervisor).get_json()["items"]]
    assert ids == [district_wide.id]
    assert client.get(f"/api/v1/operators/{chengdong.id}", headers=supervisor).status_code == 404
    _, grid = staff_headers("grid_worker", "township", "341002002000")
    assert client.get("/api/v1/operators", headers=grid).status_code == 403


def test_staff_accounts_belong_to_an_operator_with_an_employment_type(client, staff_headers, make_operator):
    operator = make_operator(circle_key="chengzhong")
    elsewhere = make_operator(district="341003")
    _, tunxi = staff_headers("district_admin", "district", "341002000000")
    body = {
        "username": "op-staff-1",
        "password": "Correct-horse-9",
        "role": "station_staff",
        "scope": {"kind": "circle", "code": "341002-chengzhong"},
        "operator_id": operator.id,
        "employment_type": "full_time",
    }
    created = client.post("/api/v1/staff", json=body, headers=tunxi)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["operator_id"] == operator.id
    account = db.session.get(Account, created.get_json()["id"])
    assert (account.operator_id, account.employment_type) == (operator.id, "full_time")
    wrong = client.post(
        "/api/v1/staff", json={**body, "username": "op-staff-2", "operator_id": elsewhere.id}, headers=tunxi
    )
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "operator_not_contracted_here"
    bad_type = client.post(
        "/api/v1/staff", json={**body, "username": "op-staff-3", "employment_type": "seasonal"}, headers=tunxi
    )
    assert bad_type.status_code == 422
    changed = client.patch(
        f"/api/v1/staff/{account.id}", json={"employment_type": "part_time"}, headers=tunxi
    )
    assert changed.status_code == 200 and changed.get_json()["employment_type"] == "part_time"


def test_training_hours_are_summed_per_operator(client, staff_headers, make_operator):
    from tests.stations.test_training import STAFF_HOURS, scan, training

    _, organiser = staff_headers("district_admin", "district", "341002000000")
    worker, worker_headers = staff_headers("grid_worker", "township", "341002002000")
    station, _ = staff_headers("station_staff", "circle", "341002-chengzhong")
    staff_headers("grid_worker", "community", "341002002001")  # of no operator
    operator = make_operator(name="城中运营", circle_key="chengzhong", staff=[worker, station])
    two_hours = training(client, organiser, credit_hours=2, topic="platform_use")
    assert scan(client, worker_headers, two_hours["id"]).status_code == 201
    report = client.get(STAFF_HOURS, headers=organiser).get_json()
    rows = {
        row["operator_id"]: (row["operator_name"], row["staff"], row["trained"], row["hours"])
        for row in report["by_operator"]
    }
    assert rows[operator.id] == ("城中运营", 2, 1, 2.0)
    assert rows[None][0] is None and rows[None][1] >= 1
    assert report["by_operator"][-1]["operator_id"] is None
