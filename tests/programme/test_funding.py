"""The funding calculator: fees per circle, operator, district and city; rates, populations, months, cap."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, OperatorContract, PlacePopulation
from tests.support import count, error_of

FUNDING, POPULATIONS = "/api/v1/funding", "/api/v1/populations"
YEAR = date.today().year
TUNXI = "341002000000"
# The test communities' populations: 城中 has 昱中一 6,000, 昱中二 5,000 and 老街一 4,000; 城东 昱东一 7,000.
CHENGZHONG, CHENGDONG = 15000, 7000
# 屯溪区's 七普 figure, from the seed; its four other circles have no community figures.
TUNXI_PEOPLE = 291188


@pytest.fixture
def city(staff_headers, places):
    """The city admin: (account, headers)."""
    return staff_headers("city_admin", "city", "341000000000")


def calculate(client, headers, **query) -> dict:
    """GET the calculator and return its body."""
    response = client.get(FUNDING, query_string={"year": YEAR, **query}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def circle(body: dict, code: str) -> dict:
    """Return one circle's row."""
    return next(row for row in body["circles"] if row["circle"]["code"] == code)


def test_a_circle_is_paid_the_service_rate_for_its_communities_people(client, city):
    body = calculate(client, city[1])

    chengzhong = circle(body, "341002-chengzhong")
    # 8,000 yuan × 15,000 ÷ 10,000 = 12,000 yuan a year.
    assert (chengzhong["population"], chengzhong["population_source"]) == (CHENGZHONG, "communities")
    assert (chengzhong["fee_fen"], chengzhong["fee_yuan"]) == (1_200_000, "12000.00")
    # The four circles without a community figure share what 屯溪区 leaves over, equally.
    shared = circle(body, "341002-gaoxin")
    assert shared["population_source"] == "district_share"
    assert shared["population"] == (TUNXI_PEOPLE - CHENGZHONG - CHENGDONG) // 4
    tunxi = next(row for row in body["districts"] if row["district"]["code"] == TUNXI)
    assert tunxi["covered_population"] == TUNXI_PEOPLE
    assert tunxi["service_fee_fen"] == sum(row["fee_fen"] for row in body["circles"])
    # The city: supervision at 2,000 per 10,000 of 1,330,565 people; within the cap.
    assert body["city"]["supervision_fee_fen"] == 26_611_300
    assert body["city"]["total_fen"] == tunxi["service_fee_fen"] + 26_611_300
    assert body["city"]["over_cap"] is False and body["what_if"] is False
    assert body["rates"] == {
        "service_yuan_per_10k": 8000,
        "supervision_yuan_per_10k": 2000,
        "cap_yuan_per_10k": 10000,
    }


def test_a_rate_change_moves_every_fee_and_writes_nothing(client, city):
    before = count(PlacePopulation)

    body = calculate(client, city[1], service_yuan_per_10k=10000, supervision_yuan_per_10k=0)

    assert circle(body, "341002-chengzhong")["fee_fen"] == 1_500_000
    assert body["city"]["supervision_fee_fen"] == 0 and body["what_if"] is True
    assert count(PlacePopulation) == before


def test_months_of_service_pro_rate_the_fee_to_the_fen(client, city):
    body = calculate(client, city[1], from_month=1, to_month=5)

    # 城东: 8,000 × 0.7 × 5/12 = 2,333.333… yuan, rounded to the fen.
    assert circle(body, "341002-chengdong")["fee_yuan"] == "2333.33"
    assert circle(body, "341002-chengzhong")["fee_fen"] == 500_000 and body["months"] == 5
    bad = client.get(FUNDING, query_string={"from_month": 6, "to_month": 5}, headers=city[1])
    assert bad.status_code == 422 and error_of(bad)["field"] == "to_month"


def test_a_population_entered_by_the_city_admin_is_in_force_and_audited(client, city, staff_headers):
    admin, headers = city
    figure = {
        "place_kind": "community",
        "place_code": "341002002001",
        "population": 7000,
        "source": "第七次全国人口普查",
        "as_of": "2020-11-01",
    }

    created = client.post(POPULATIONS, json=figure, headers=headers)
    again = client.post(POPULATIONS, json=figure, headers=headers)

    assert created.status_code == 201 and again.status_code == 200
    assert count(PlacePopulation) == 1
    assert count(AuditEvent, AuditEvent.action == "population.set", AuditEvent.actor_id == admin.id) == 1
    # 城中 now 16,000 people: 12,800 yuan.
    assert circle(calculate(client, headers), "341002-chengzhong")["fee_fen"] == 1_280_000
    _, district = staff_headers("district_admin", "district", TUNXI)
    refused = client.post(POPULATIONS, json=figure, headers=district)
    assert refused.status_code == 403 and error_of(refused)["code"] == "role_forbidden"


def test_the_newest_figure_is_in_force_and_the_older_are_history(client, city):
    _, headers = city
    for people, day in ((1_330_565, "2020-11-01"), (1_320_000, "2024-12-31")):
        body = {"place_kind": "city", "place_code": "341000000000", "population": people}
        body.update(urban_population=800_000, source="黄山统计年鉴", as_of=day)
        assert client.post(POPULATIONS, json=body, headers=headers).status_code == 201

    listed = client.get(POPULATIONS, headers=headers).get_json()["items"]

    city_row = next(row for row in listed if row["place"]["kind"] == "city")
    assert (city_row["population"], city_row["entered"]) == (1_320_000, True)
    assert [row["population"] for row in city_row["history"]] == [1_320_000, 1_330_565]
    tunxi = next(row for row in listed if row["place"]["code"] == TUNXI)
    assert (tunxi["population"], tunxi["source"]) == (TUNXI_PEOPLE, "种子数据")
    # The cap counts the urban people: 10,000 yuan × 80 = 800,000 yuan.
    assert calculate(client, headers)["city"]["cap_fen"] == 80_000_000


def test_a_bad_population_is_refused_on_its_field(client, city):
    _, headers = city
    body = {
        "place_kind": "district",
        "place_code": TUNXI,
        "population": 100,
        "source": "年鉴",
        "as_of": "2024-01-01",
    }

    urban = client.post(POPULATIONS, json={**body, "urban_population": 101}, headers=headers)
    unknown = client.post(POPULATIONS, json={**body, "place_code": "349999000000"}, headers=headers)

    assert urban.status_code == 422 and error_of(urban)["code"] == "urban_above_total"
    assert unknown.status_code == 422 and error_of(unknown)["code"] == "unknown_place"
    assert count(PlacePopulation) == 0


def test_what_if_populations_and_coverage_override_without_writing(client, city):
    body = calculate(
        client,
        city[1],
        population=["community:341002001001=10000", "district:341002=300000"],
        coverage=["circle:341002-chengzhong=20000"],
    )

    assert circle(body, "341002-chengdong")["population"] == 10000
    assert (
        circle(body, "341002-chengzhong")["population"],
        circle(body, "341002-chengzhong")["population_source"],
    ) == (
        20000,
        "what_if",
    )
    assert circle(body, "341002-gaoxin")["population"] == (300000 - 30000) // 4
    assert count(PlacePopulation) == 0
    bad = client.get(FUNDING, query_string={"coverage": ["township:1=5"]}, headers=city[1])
    assert bad.status_code == 422 and error_of(bad)["code"] == "invalid_override"


def test_the_cap_is_flagged_when_exceeded(client, city):
    within = calculate(client, city[1], cap_yuan_per_10k=10000)
    over = calculate(client, city[1], cap_yuan_per_10k=2000)

    assert within["city"]["over_cap"] is False
    # Supervision alone is 2,000 per 10,000: with the service fee on top the total is over.
    assert over["city"]["over_cap"] is True
    assert next(d for d in over["districts"] if d["district"]["code"] == TUNXI)["over_cap"] is True


def test_an_operator_is_paid_for_the_months_it_answers_for(client, city, make_operator):
    first = make_operator(name="甲运营", circle_key="chengzhong")
    second = make_operator(name="乙运营", circle_key="chengzhong")
    contracts = {c.operator_id: c for c in db.session.scalars(sa.select(OperatorContract))}
    contracts[first.id].ends_on = date(YEAR, 6, 30)
    contracts[second.id].starts_on = date(YEAR, 7, 1)
    db.session.commit()

    body = calculate(client, city[1])

    paid = {(row["operator"] or {}).get("name"): row for row in body["operators"]}
    assert paid["甲运营"]["fee_fen"] == paid["乙运营"]["fee_fen"] == 600_000
    assert paid["甲运营"]["circles"] == ["341002-chengzhong"]
    # The circles no operator answers for are listed apart.
    assert paid[None]["fee_fen"] == sum(row["fee_fen"] for row in body["circles"]) - 1_200_000


def test_a_district_admin_reads_its_district_only_and_others_are_refused(client, staff_headers, places):
    _, tunxi = staff_headers("district_admin", "district", TUNXI)
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")

    body = calculate(client, tunxi)

    assert [row["district"]["code"] for row in body["districts"]] == [TUNXI] and body["city"] is None
    assert client.get(FUNDING, headers=operator).status_code == 403
    assert client.get(POPULATIONS, headers=operator).status_code == 403


def test_the_result_exports_as_excel(client, city):
    response = client.get(f"{FUNDING}/export", query_string={"year": YEAR}, headers=city[1])

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.data[:2] == b"PK"
