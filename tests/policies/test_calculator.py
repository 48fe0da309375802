"""The policy calculator: anonymous answers store nothing; logged in, my own facts."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Registration, Resident
from tests.policies.policy_support import POLICIES, policy_body, publish_policy, record_matching

EVALUATE = f"{POLICIES}/evaluate"
YOUNG_UNEMPLOYED = {
    "and": [
        {">=": [{"var": "age"}, 16]},
        {"<=": [{"var": "age"}, 60]},
        {"==": [{"var": "unemployment_registered"}, True]},
    ]
}


@pytest.fixture
def catalogue(client, staff_headers, monkeypatch):
    """Publish three person policies and one employer policy (valid from 2026-01-01)."""
    record_matching(monkeypatch)
    _, city = staff_headers("city_admin", "city", "341000000000")
    _, city2 = staff_headers("city_admin", "city", "341000000000")
    published = {
        "job_seeking": publish_policy(client, city, city2, rule=YOUNG_UNEMPLOYED),
        "disabled": publish_policy(
            client,
            city,
            city2,
            title="残疾人就业补贴",
            rule={"in": ["disabled", {"var": "key_groups"}]},
            benefit={"kind": "monthly", "amount_per_month": 500, "max_months": 12},
            hints={},
        ),
        "elsewhere": publish_policy(
            client, city, city2, title="黄山区补贴", district_code="341003000000", rule=YOUNG_UNEMPLOYED
        ),
        "hiring": publish_policy(
            client,
            city,
            city2,
            subject="employer",
            title="吸纳就业补贴",
            rule={"and": [{">=": [{"var": "hires_12m"}, 1]}, {">=": [{"var": "insured_staff"}, 1]}]},
            benefit={"kind": "formula", "expression": {"*": [{"var": "hires_12m"}, 2000]}},
            hints={},
        ),
    }
    return published


def row_counts() -> dict:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_anonymous_answers_store_nothing(client, catalogue):
    before = row_counts()
    response = client.post(
        EVALUATE,
        json={"answers": {"age": 35, "unemployment_registered": True, "district_code": "341002000000"}},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert row_counts() == before  # no audit row, no match, nothing
    assert body["used_my_facts"] is False and body["subject"] == "person"
    titles = [(p["title"], p["qualified"], p["near_miss"]) for p in body["policies"]]
    # 黄山区's policy does not apply in 屯溪; the qualified one first, then the near miss.
    assert titles == [("一次性求职创业补贴", True, False), ("残疾人就业补贴", False, True)]
    first, second = body["policies"]
    assert first["amount_fen"] == 100_000 and first["missing"] == []
    assert first["claim_deadline"] is not None
    assert [item["text"] for item in first["trace"]] == [
        "年龄 ≥ 16岁（实际 35岁）",
        "年龄 ≤ 60岁（实际 35岁）",
        "已办理失业登记（实际 是）",
    ]
    assert second["missing"] == ["需经认定属于残疾人"] and second["amount_fen"] == 600_000
    assert body["qualified_total_fen"] == 100_000


def test_best_value_first(client, catalogue):
    body = client.post(
        EVALUATE, json={"answers": {"age": 35, "unemployment_registered": True, "key_groups": ["disabled"]}}
    ).get_json()
    # No place answered: every policy is shown; the 6,000 yuan one comes before the 1,000 yuan ones.
    assert [p["title"] for p in body["policies"]][0] == "残疾人就业补贴"
    assert all(p["qualified"] for p in body["policies"])
    assert body["qualified_total_fen"] == 600_000 + 2 * 100_000


def test_missing_answers_show_what_is_missing(client, catalogue):
    body = client.post(EVALUATE, json={"answers": {"district_code": "341002000000"}}).get_json()
    job_seeking = next(p for p in body["policies"] if p["title"] == "一次性求职创业补贴")
    assert not job_seeking["qualified"] and not job_seeking["near_miss"]
    assert job_seeking["missing"] == [
        "需满足：年龄 ≥ 16岁",
        "需满足：年龄 ≤ 60岁",
        "请到社区就业服务站办理失业登记",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": {"salary": 3}}, "answers.salary"),
        ({"answers": {"age": "old"}}, "answers.age"),
        ({"subject": "cat"}, "subject"),
        ({"answers": [1, 2]}, "answers"),
        ({"use_my_facts": True}, "use_my_facts"),  # anonymous
    ],
)
def test_bad_questions_are_422_naming_the_field(client, catalogue, body, field):
    response = client.post(EVALUATE, json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field or field in (error["fields"] or {})


def test_a_logged_in_resident_uses_their_own_facts(client, catalogue, make_seeker, make_staff):
    seeker = make_seeker()
    resident = db.session.get(Resident, seeker.resident_id)
    resident.birth_date = date(1990, 1, 1)
    reviewer = make_staff("district_admin", "district", "341002000000")
    db.session.add(
        Registration(
            kind="unemployment",
            status="accepted",
            resident_id=resident.id,
            author_id=reviewer.id,
            client_id="calc-unemployment",
            entered_via="staff",
            accepted_on=local_day(),
        )
    )
    db.session.commit()
    before = row_counts()
    response = client.post(
        EVALUATE, json={"use_my_facts": True, "answers": {"age": 99}}, headers=seeker.headers
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert row_counts() == before
    assert body["used_my_facts"] is True
    assert (
        body["facts"]["unemployment_registered"] is True and body["facts"]["age"] >= 36
    )  # the ledger's, not 99
    job_seeking = next(p for p in body["policies"] if p["title"] == "一次性求职创业补贴")
    assert job_seeking["qualified"]
    # Without use_my_facts the answers alone count.
    anonymous_like = client.post(EVALUATE, json={"answers": {"age": 99}}, headers=seeker.headers).get_json()
    assert not any(p["qualified"] for p in anonymous_like["policies"])


def test_my_facts_need_consent(client, catalogue, wechat_login):
    _, headers, _ = wechat_login(consent=False)
    response = client.post(EVALUATE, json={"use_my_facts": True}, headers=headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "consent_required"


def test_an_employer_uses_its_own_facts_and_declares_insured_staff(
    client, catalogue, make_employer, make_resident
):
    employer, headers = make_employer()
    hired = make_resident(status="employed")
    db.session.add(
        Registration(
            kind="employment",
            status="accepted",
            resident_id=hired.id,
            author_id=employer.account_id,
            client_id="calc-employment",
            entered_via="employer",
            employer_id=employer.id,
            started_on=local_day(),
        )
    )
    db.session.commit()
    response = client.post(
        EVALUATE,
        json={"subject": "employer", "use_my_facts": True, "answers": {"insured_staff": 8}},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["facts"]["hires_12m"] == 1 and body["facts"]["insured_staff"] == 8
    assert [(p["title"], p["qualified"], p["amount_fen"]) for p in body["policies"]] == [
        ("吸纳就业补贴", True, 200_000)
    ]
    # A resident's facts are not an employer's.
    mismatch = client.post(EVALUATE, json={"subject": "person", "use_my_facts": True}, headers=headers)
    assert mismatch.status_code == 422


def test_staff_have_no_facts_of_their_own(client, catalogue, staff_headers):
    _, headers = staff_headers("operator", "circle", "341002-chengzhong")
    assert client.post(EVALUATE, json={"use_my_facts": True}, headers=headers).status_code == 403
    assert client.post(EVALUATE, json={"answers": {"age": 30}}, headers=headers).status_code == 200


def test_a_policy_not_yet_in_force_is_not_offered(client, staff_headers, monkeypatch):
    record_matching(monkeypatch)
    _, city = staff_headers("city_admin", "city", "341000000000")
    _, city2 = staff_headers("city_admin", "city", "341000000000")
    publish_policy(client, city, city2, effective_from="2099-01-01", effective_until=None)
    body = client.post(EVALUATE, json={"answers": {"age": 30, "unemployment_registered": True}}).get_json()
    assert body["policies"] == []
    assert policy_body()["title"]  # the helper's body is what the catalogue published
