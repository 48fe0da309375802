"""Circle filings (报市局备案): a district defines and files its circles, the city accepts or returns them."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    Circle,
    CircleMembership,
    Community,
    Employer,
    Household,
    Job,
    Resident,
    Station,
    Township,
    Visit,
)
from app.services.programme.memberships import apply_due
from tests.programme.supervision_support import door_visit, household_with_phone

TUNXI = ("district_admin", "district", "341002000000")


def _community(code: str) -> Community:
    return db.session.scalar(sa.select(Community).where(Community.code == code))


def _define(client, headers, **values):
    body = {"name": "昱中就业圈", "key": "yuzhong", "community_codes": ["341002002001"], **values}
    return client.post("/api/v1/circle-filings", json=body, headers=headers)


def test_a_new_circle_is_defined_filed_and_accepted_taking_effect_at_once(
    client, staff_headers, make_resident, make_employer, make_job, make_staff
):
    _, district = staff_headers(*TUNXI)
    _, city = staff_headers("city_admin", "city", "341000000000")
    resident = make_resident(community_code="341002002001")
    old_circle = _community("341002002001").circle_id
    employer, employer_headers = make_employer(community_code="341002002001")
    job_id = make_job(employer_headers)
    worker = make_staff("grid_worker", "community", "341002002001")
    visit = door_visit(household_with_phone("341002002001", "13600009999"), worker.id, local_day())
    created = _define(client, district, client_id="filing-1")
    assert created.status_code == 201, created.get_json()
    filing = created.get_json()
    assert filing["status"] == "draft" and filing["circle"]["status"] == "draft"
    assert _define(client, district, client_id="filing-1").get_json()["id"] == filing["id"]
    # Nothing moves before the city accepts it.
    assert _community("341002002001").circle_id == old_circle
    no_date = client.post(f"/api/v1/circle-filings/{filing['id']}/file", headers=district)
    assert no_date.status_code == 422 and no_date.get_json()["error"]["code"] == "effective_from_required"
    edited = client.patch(
        f"/api/v1/circle-filings/{filing['id']}",
        json={"effective_from": local_day().isoformat()},
        headers=district,
    )
    assert edited.status_code == 200
    filed = client.post(f"/api/v1/circle-filings/{filing['id']}/file", headers=district)
    assert filed.status_code == 200 and filed.get_json()["status"] == "filed"
    # Only the city admin decides, never the district itself.
    own = client.post(f"/api/v1/circle-filings/{filing['id']}/accept", headers=district)
    assert own.status_code == 403
    accepted = client.post(f"/api/v1/circle-filings/{filing['id']}/accept", headers=city)
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "applied"
    circle_id = filing["circle"]["id"]
    db.session.expire_all()
    assert db.session.get(Circle, circle_id).status == "active"
    assert _community("341002002001").circle_id == circle_id
    assert db.session.get(Resident, resident.id).circle_id == circle_id
    # What is there now follows the community; what was done there keeps its circle.
    assert db.session.get(Household, visit.household_id).circle_id == circle_id
    assert db.session.get(Employer, employer.id).circle_id == circle_id
    assert db.session.get(Job, job_id).circle_id == circle_id
    assert db.session.get(Visit, visit.id).circle_id == old_circle
    history = client.get("/api/v1/communities/341002002001/circle-history", headers=district).get_json()
    spans = [(m["circle"]["code"], m["valid_from"], m["valid_to"]) for m in history["memberships"]]
    yesterday = (local_day() - timedelta(days=1)).isoformat()
    assert spans == [
        ("341002-chengzhong", "2023-01-01", yesterday),
        ("341002-yuzhong", local_day().isoformat(), None),
    ]
    twice = client.post(f"/api/v1/circle-filings/{filing['id']}/accept", headers=city)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "filing_status_conflict"


def test_the_city_returns_a_filing_with_a_reason_and_the_district_files_it_again(client, staff_headers):
    _, district = staff_headers(*TUNXI)
    _, city = staff_headers("city_admin", "city", "341000000000")
    later = (local_day() + timedelta(days=10)).isoformat()
    filing = _define(client, district, effective_from=later).get_json()
    client.post(f"/api/v1/circle-filings/{filing['id']}/file", headers=district)
    no_reason = client.post(
        f"/api/v1/circle-filings/{filing['id']}/return", json={"reason": ""}, headers=city
    )
    assert no_reason.status_code == 422
    returned = client.post(
        f"/api/v1/circle-filings/{filing['id']}/return", json={"reason": "服务站未列明"}, headers=city
    )
    assert returned.get_json()["status"] == "returned" and returned.get_json()["reason"] == "服务站未列明"
    refiled = client.post(f"/api/v1/circle-filings/{filing['id']}/file", headers=district)
    assert refiled.get_json()["status"] == "filed" and refiled.get_json()["reason"] is None
    accepted = client.post(f"/api/v1/circle-filings/{filing['id']}/accept", headers=city).get_json()
    # Accepted for a later day: it waits for its day, then the daily task applies it.
    assert accepted["status"] == "accepted" and _community("341002002001").circle_id != filing["circle"]["id"]
    assert apply_due(local_day()) == 0
    assert apply_due(local_day() + timedelta(days=10)) == 1
    assert _community("341002002001").circle_id == filing["circle"]["id"]
    assert apply_due(local_day() + timedelta(days=11)) == 0  # applied once


def test_coverage_rules_district_and_one_circle_at_a_time(client, staff_headers, make_staff):
    _, district = staff_headers(*TUNXI)
    _, huangshan = staff_headers("district_admin", "district", "341003000000")
    foreign = _define(client, district, community_codes=["341003100001"])
    assert foreign.status_code == 422 and foreign.get_json()["error"]["code"] == "place_out_of_district"
    foreign_township = _define(client, district, township_codes=["341003100000"])
    assert foreign_township.get_json()["error"]["code"] == "place_out_of_district"
    twice = _define(client, district, township_codes=["341002002000"], community_codes=["341002002001"])
    assert twice.get_json()["error"]["code"] == "place_listed_twice"
    first = _define(client, district, effective_from=local_day().isoformat()).get_json()
    client.post(f"/api/v1/circle-filings/{first['id']}/file", headers=district)
    # While the first waits for the city, the community is spoken for.
    second = _define(client, district, key="yuzhong2", name="昱中二圈")
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "community_in_two_circles"
    empty = _define(
        client, district, key="empty", name="空圈", community_codes=[], effective_from=local_day().isoformat()
    )
    empty_filed = client.post(f"/api/v1/circle-filings/{empty.get_json()['id']}/file", headers=district)
    assert empty_filed.get_json()["error"]["code"] == "filing_empty"
    # Another district's admin neither reads nor files it.
    assert client.get(f"/api/v1/circle-filings/{first['id']}", headers=huangshan).status_code == 404
    assert client.post(f"/api/v1/circle-filings/{first['id']}/withdraw", headers=huangshan).status_code == 404
    withdrawn = client.post(f"/api/v1/circle-filings/{first['id']}/withdraw", headers=district)
    assert withdrawn.get_json()["status"] == "withdrawn"
    past = _define(
        client,
        district,
        key="past",
        name="过去圈",
        effective_from=(local_day() - timedelta(days=1)).isoformat(),
    )
    filed_past = client.post(f"/api/v1/circle-filings/{past.get_json()['id']}/file", headers=district)
    assert filed_past.get_json()["error"]["code"] == "effective_from_past"


def test_revising_a_pilot_circle_moves_townships_and_stations_and_retires_the_emptied_one(
    client, staff_headers, make_operator
):
    _, district = staff_headers(*TUNXI)
    _, city = staff_headers("city_admin", "city", "341000000000")
    operator = make_operator(name="城东运营", district="341003")  # named on the circle only
    station = client.post(
        "/api/v1/stations",
        json={"name": "城中服务站", "circle": "341002-chengzhong", "lat": 29.716, "lng": 118.318},
        headers=city,
    ).get_json()
    # 城东 takes all of 城中 (昱中 and 老街): 城中 is left empty and retired.
    body = {
        "circle": "341002-chengdong",
        "name": "城东城中就业圈",
        "township_codes": ["341002001000", "341002100000", "341002002000", "341002004000"],
        "station_ids": [station["id"]],
        "centre_lat": 29.72,
        "centre_lng": 118.33,
        "effective_from": local_day().isoformat(),
    }
    filing = client.post("/api/v1/circle-filings", json=body, headers=district)
    assert filing.status_code == 201, filing.get_json()
    filing_id = filing.get_json()["id"]
    suspended_operator = client.patch(
        f"/api/v1/circle-filings/{filing_id}", json={"operator_id": operator.id}, headers=district
    )
    assert suspended_operator.status_code == 200
    again = client.post("/api/v1/circle-filings", json={**body, "name": "又一版"}, headers=district)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "filing_open"
    client.post(f"/api/v1/circle-filings/{filing_id}/file", headers=district)
    assert (
        client.post(f"/api/v1/circle-filings/{filing_id}/accept", headers=city).get_json()["status"]
        == "applied"
    )
    db.session.expire_all()
    chengdong = db.session.scalar(sa.select(Circle).where(Circle.key == "chengdong"))
    chengzhong = db.session.scalar(sa.select(Circle).where(Circle.key == "chengzhong"))
    assert chengdong.name == "城东城中就业圈" and chengdong.operator_id == operator.id
    assert (chengzhong.status, chengzhong.retired_on) == ("retired", local_day())
    assert db.session.get(Station, station["id"]).circle_id == chengdong.id
    assert (
        db.session.scalar(sa.select(Township.circle_id).where(Township.code == "341002004000"))
        == chengdong.id
    )
    history = client.get(f"/api/v1/circles/{chengzhong.id}/history", headers=district).get_json()
    assert {m["community"]["code"] for m in history["memberships"]} == {
        "341002002001",
        "341002002002",
        "341002004001",
    }
    assert all(m["valid_to"] is not None for m in history["memberships"])
    open_rows = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CircleMembership)
        .where(CircleMembership.circle_id == chengdong.id, CircleMembership.valid_to.is_(None))
    )
    assert open_rows == 4
    _, supervisor = staff_headers("supervisor", "circle", "341002-chengxi")
    assert client.get(f"/api/v1/circles/{chengzhong.id}/history", headers=supervisor).status_code == 404


def test_seeded_communities_have_their_circle_history_from_the_rollout(places):
    rows = db.session.execute(sa.select(CircleMembership.valid_from, CircleMembership.valid_to)).all()
    assert rows and all(row == (date(2023, 1, 1), None) for row in rows)


def test_the_task_applies_a_filing_whose_day_has_come_once(client, staff_headers):
    from app.models import CircleFiling
    from app.tasks.programme import apply_filings

    _, district = staff_headers(*TUNXI)
    _, city = staff_headers("city_admin", "city", "341000000000")
    later = (local_day() + timedelta(days=3)).isoformat()
    filing = _define(client, district, effective_from=later).get_json()
    client.post(f"/api/v1/circle-filings/{filing['id']}/file", headers=district)
    client.post(f"/api/v1/circle-filings/{filing['id']}/accept", headers=city)
    assert apply_filings() == {"applied": 0}
    row = db.session.get(CircleFiling, filing["id"])
    row.effective_from = local_day()  # its day has come
    db.session.commit()
    assert apply_filings() == {"applied": 1}
    assert apply_filings() == {"applied": 0}
    assert _community("341002002001").circle_id == filing["circle"]["id"]
