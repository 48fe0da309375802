"""Demonstration communities (示范社区评选): criteria, a ranking with evidence, the list confirmed,
frozen, published as a notice and exported; scoping of every step."""

import io
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    AuditEvent,
    DemonstrationRanking,
    Household,
    Notice,
    Resident,
    Visit,
)
from app.services.people.places import community_by_code, place_columns
from app.services.programme import demonstration_criteria as criteria

CRITERIA = "/api/v1/demonstration/criteria"
RANKINGS = "/api/v1/demonstration/rankings"
YUZHONG1, YUZHONG2, LAOJIE, YUDONG = "341002002001", "341002002002", "341002004001", "341002001001"
YEAR = date.today().year - 1  # a finished year: every month and quarter of it is over


def household(code: str, status: str | None = "employed", visited: date | None = None) -> Household:
    """Write a household of one member with `status`, door-visited on `visited` if given."""
    community = community_by_code(code)
    row = Household(key=f"D-{uuid.uuid4().hex[:10]}", **place_columns(community))
    db.session.add(row)
    db.session.flush()
    db.session.add(Resident(name="成员", household=row, employment_status=status, **place_columns(community)))
    if visited is not None:
        door_visit(row, visited)
    db.session.commit()
    return row


def door_visit(row: Household, day: date) -> None:
    """Write one door visit to the household on `day`, by the test's grid worker."""
    db.session.add(
        Visit(
            worker_id=WORKER["id"],
            client_id=uuid.uuid4().hex,
            household_id=row.id,
            visited_at=datetime.combine(day, time(2)),
            visit_day=day,
            outcome="met",
            channel="door",
            community_id=row.community_id,
            township_id=row.township_id,
            circle_id=row.circle_id,
            district_id=row.district_id,
            city_id=row.city_id,
        )
    )


WORKER: dict = {}


@pytest.fixture(autouse=True)
def worker(make_staff):
    """The grid worker whose door visits the tests write."""
    WORKER["id"] = make_staff("grid_worker", "township", "341002002000").id


@pytest.fixture
def city(staff_headers):
    """The city admin: (account, headers)."""
    return staff_headers("city_admin", "city", "341000000000")


@pytest.fixture
def tunxi(staff_headers):
    """屯溪区's admin: (account, headers)."""
    return staff_headers("district_admin", "district", "341002000000")


@pytest.fixture
def two_criteria(client, city):
    """The year judged on data quality and fake-job reports alone, half each."""
    items = [
        {"key": key, "enabled": key in ("data_quality", "fake_jobs"), "weight": 50} for key in criteria.KEYS
    ]
    response = client.put(CRITERIA, json={"year": YEAR, "criteria": items}, headers=city[1])
    assert response.status_code == 200, response.get_json()


def compute(client, headers, kind="district", code="341002", year=YEAR):
    """Ask for a ranking; return the response."""
    body = {"year": year, "place_kind": kind, **({"place_code": code} if code else {})}
    return client.post(RANKINGS, json=body, headers=headers)


# ---- criteria ---------------------------------------------------------------------------------


def test_the_catalogue_s_defaults_until_the_city_sets_weights(client, city, tunxi):
    shown = client.get(CRITERIA, query_string={"year": YEAR}, headers=tunxi[1]).get_json()
    assert [c["key"] for c in shown] == list(criteria.KEYS)
    assert sum(c["weight"] for c in shown) == 100 and all(c["enabled"] for c in shown)
    changed = client.put(
        CRITERIA,
        json={"year": YEAR, "criteria": [{"key": "fake_jobs", "weight": 20, "enabled": False}]},
        headers=city[1],
    )
    assert changed.status_code == 200, changed.get_json()
    fake = next(c for c in changed.get_json() if c["key"] == "fake_jobs")
    assert (fake["weight"], fake["enabled"], fake["default_weight"]) == (20, False, 5)
    assert db.session.query(AuditEvent).filter_by(action="demonstration.criteria").count() == 1


def test_only_the_city_sets_criteria_and_never_all_off(client, city, tunxi):
    body = {"year": YEAR, "criteria": [{"key": "fake_jobs", "weight": 1}]}
    refused = client.put(CRITERIA, json=body, headers=tunxi[1])
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "role_forbidden"
    unknown = client.put(CRITERIA, json={"year": YEAR, "criteria": [{"key": "luck"}]}, headers=city[1])
    assert unknown.status_code == 422
    off = [{"key": key, "enabled": False} for key in criteria.KEYS]
    none = client.put(CRITERIA, json={"year": YEAR, "criteria": off}, headers=city[1])
    assert none.status_code == 422 and none.get_json()["error"]["code"] == "no_criteria"
    future = client.get(CRITERIA, query_string={"year": local_day().year + 1}, headers=city[1])
    assert future.status_code == 422 and future.get_json()["error"]["code"] == "year_out_of_range"


# ---- the criteria at their boundaries ----------------------------------------------------------------


def test_a_month_counts_from_the_tenth_door_visit_day(app, places, make_resident):
    ten, nine = household(YUZHONG1), household(YUZHONG2)
    march = date(YEAR, 3, 1)
    for day in range(10):
        door_visit(ten, march + timedelta(days=day))
    for day in range(9):
        door_visit(nine, march + timedelta(days=day))
    db.session.commit()
    period = criteria.Period(date(YEAR, 1, 1), date(YEAR, 12, 31))
    found = criteria.visit_days([ten.community_id, nine.community_id], period)
    assert found[ten.community_id].score == round(100 / 12, 1)
    assert found[nine.community_id].score == 0
    assert found[ten.community_id].evidence == "12个月中1个月入户走访达10天"


def test_coverage_averages_the_quarters_and_a_community_without_households_has_no_data(app, places):
    seen, unseen = household(YUZHONG1, visited=date(YEAR, 2, 1)), household(YUZHONG1)
    period = criteria.Period(date(YEAR, 1, 1), date(YEAR, 12, 31))
    found = criteria.quarter_coverage([seen.community_id, community_by_code(LAOJIE).id], period)
    assert found[seen.community_id].value == round((0.5 + 0 + 0 + 0) / 4, 3)
    assert community_by_code(LAOJIE).id not in found  # no household: left out, not zero
    assert unseen.id


# ---- a ranking ----------------------------------------------------------------------------------


def test_a_district_ranking_orders_by_total_with_evidence(client, tunxi, two_criteria):
    household(YUZHONG1, visited=date(YEAR, 5, 1))  # status known, visited: 100 on data quality
    household(YUZHONG2, status=None, visited=date(YEAR, 5, 1))  # status unknown: 0
    # 老街一 has no household: data for half the weight only, so it ranks last and is not eligible.
    response = compute(client, tunxi[1])
    assert response.status_code == 200, response.get_json()
    ranking = response.get_json()
    assert ranking["status"] == "computed" and ranking["place"]["code"] == "341002000000"
    order = [s["community"]["code"] for s in ranking["scores"]]
    assert order[0] == YUZHONG1 and order[1] == YUZHONG2  # the eligible ones, best first
    first = ranking["scores"][0]
    assert first["total"] == 100 and first["eligible"] is True
    quality = next(c for c in first["criteria"] if c["key"] == "data_quality")
    assert quality["evidence"] == "1户中状态未知0户、一年未走访0户"
    by_code = {s["community"]["code"]: s for s in ranking["scores"]}
    assert by_code[YUZHONG2]["total"] == 50
    assert by_code[LAOJIE]["eligible"] is False and by_code[LAOJIE]["coverage"] == 0.5
    assert {s["community"]["code"] for s in ranking["scores"]} == {YUZHONG1, YUZHONG2, LAOJIE, YUDONG}


def test_scoping_of_rankings(client, tunxi, staff_headers, two_criteria):
    ranking_id = compute(client, tunxi[1]).get_json()["id"]
    _, huangshan = staff_headers("district_admin", "district", "341003000000")
    assert client.get(f"{RANKINGS}/{ranking_id}", headers=huangshan).status_code == 404
    assert client.get(RANKINGS, headers=huangshan).get_json() == []
    other = compute(client, huangshan, code="341002")
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "role_forbidden"
    assert compute(client, tunxi[1], kind="city", code=None).status_code == 403
    _, station = staff_headers("station_staff", "circle", "341002-chengzhong")
    refused = client.get(f"{RANKINGS}/{ranking_id}", headers=station)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "role_forbidden"
    assert [r["id"] for r in client.get(RANKINGS, headers=tunxi[1]).get_json()] == [ranking_id]


def test_the_city_confirms_the_top_n_and_the_ranking_is_frozen(client, city, tunxi, two_criteria):
    household(YUZHONG1, visited=date(YEAR, 5, 1))
    ranking_id = compute(client, tunxi[1]).get_json()["id"]
    url = f"{RANKINGS}/{ranking_id}"
    refused = client.post(f"{url}/confirm", json={"top_n": 1}, headers=tunxi[1])
    assert refused.status_code == 403
    early = client.post(f"{url}/publish", json={}, headers=city[1])
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "ranking_not_confirmed"
    confirmed = client.post(f"{url}/confirm", json={"top_n": 1}, headers=city[1])
    assert confirmed.status_code == 200, confirmed.get_json()
    body = confirmed.get_json()
    assert body["status"] == "confirmed" and body["selected_count"] == 1
    assert [s["community"]["code"] for s in body["scores"] if s["selected"]] == [YUZHONG1]
    again = client.post(f"{url}/confirm", json={"top_n": 1}, headers=city[1])
    assert again.status_code == 200  # the same list again: a retry
    changed = client.post(f"{url}/confirm", json={"community_codes": [LAOJIE]}, headers=city[1])
    assert changed.status_code == 409 and changed.get_json()["error"]["code"] == "ranking_frozen"
    frozen = compute(client, tunxi[1])
    assert frozen.status_code == 409 and frozen.get_json()["error"]["code"] == "ranking_frozen"


def test_the_city_names_the_communities_it_selects(client, city, tunxi, two_criteria):
    ranking_id = compute(client, tunxi[1]).get_json()["id"]
    url = f"{RANKINGS}/{ranking_id}/confirm"
    # No household anywhere: no community has data enough for "top N"; the city names them.
    empty = client.post(url, json={"top_n": 3}, headers=city[1])
    assert empty.status_code == 409 and empty.get_json()["error"]["code"] == "ranking_empty"
    outside = client.post(url, json={"community_codes": ["341003100001"]}, headers=city[1])
    assert outside.status_code == 422 and outside.get_json()["error"]["code"] == "community_not_ranked"
    chosen = client.post(url, json={"community_codes": [LAOJIE, YUDONG]}, headers=city[1]).get_json()
    assert {s["community"]["code"] for s in chosen["scores"] if s["selected"]} == {LAOJIE, YUDONG}


def test_publishing_writes_one_notice_naming_the_list(client, city, tunxi, two_criteria):
    household(YUZHONG1, visited=date(YEAR, 5, 1))
    ranking_id = compute(client, tunxi[1]).get_json()["id"]
    client.post(f"{RANKINGS}/{ranking_id}/confirm", json={"top_n": 1}, headers=city[1])
    past = (local_day() - timedelta(days=1)).isoformat()
    ended = client.post(f"{RANKINGS}/{ranking_id}/publish", json={"valid_until": past}, headers=city[1])
    assert ended.status_code == 422 and ended.get_json()["error"]["code"] == "notice_already_ended"
    published = client.post(f"{RANKINGS}/{ranking_id}/publish", json={}, headers=city[1])
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["status"] == "published"
    notice = db.session.get(Notice, published.get_json()["notice_id"])
    assert notice.status == "published" and notice.place_kind == "district" and notice.audience == "staff"
    assert "昱中一社区" in notice.body and str(YEAR) in notice.title
    again = client.post(f"{RANKINGS}/{ranking_id}/publish", json={}, headers=city[1])
    assert again.get_json()["notice_id"] == notice.id
    assert db.session.query(Notice).count() == 1
    # The district's staff find it among the notices for them.
    mine = client.get("/api/v1/notices/mine", headers=tunxi[1]).get_json()
    assert [item["id"] for item in mine["items"]] == [notice.id]


def test_a_city_ranking_covers_every_district(client, city, two_criteria):
    response = compute(client, city[1], kind="city", code=None)
    assert response.status_code == 200, response.get_json()
    codes = {s["community"]["code"] for s in response.get_json()["scores"]}
    assert {YUZHONG1, "341003100001"} <= codes


def test_the_export_lists_every_community_with_its_evidence(client, tunxi, two_criteria):
    household(YUZHONG1, visited=date(YEAR, 5, 1))
    ranking_id = compute(client, tunxi[1]).get_json()["id"]
    response = client.get(f"{RANKINGS}/{ranking_id}/export", headers=tunxi[1])
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[0] == "名次")
    assert rows[header + 1][1] == YUZHONG1 and "数据质量依据" in rows[header]
    assert len([r for r in rows[header + 1 :] if r[0] is not None]) == 4
    assert db.session.query(AuditEvent).filter_by(action="demonstration.export").count() == 1
    assert db.session.get(DemonstrationRanking, ranking_id).status == "computed"
