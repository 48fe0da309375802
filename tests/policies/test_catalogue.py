"""The policy catalogue: drafts, versions, two-person publication, withdrawal, reading, validation."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, PolicyVersion
from tests.policies.policy_support import POLICIES, policy_body, publish_policy, record_matching

CITY = ("city", "341000000000")
TUNXI = ("district", "341002000000")
HUANGSHAN_QU = ("district", "341003000000")


@pytest.fixture
def matching(monkeypatch):
    return record_matching(monkeypatch)


@pytest.fixture
def admins(staff_headers):
    """Two city admins, the 屯溪 district admin, the 黄山区 district admin, an operator."""
    return {
        "city": staff_headers("city_admin", *CITY),
        "city2": staff_headers("city_admin", *CITY),
        "tunxi": staff_headers("district_admin", *TUNXI),
        "tunxi2": staff_headers("district_admin", *TUNXI),
        "huangshan": staff_headers("district_admin", *HUANGSHAN_QU),
        "operator": staff_headers("operator", "circle", "341002-chengzhong"),
    }


def headers(admins, who):
    return admins[who][1]


def test_a_city_admin_creates_a_draft(client, admins, matching):
    response = client.post(POLICIES, json=policy_body(code="HS-QZCY"), headers=headers(admins, "city"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["code"] == "HS-QZCY" and body["status"] == "draft" and body["number"] == 1
    assert body["district_code"] is None
    assert body["rule_facts"] == ["age", "unemployment_registered"]
    assert body["benefit_text"] == "一次性 1,000 元"
    assert [v["status"] for v in body["versions"]] == ["draft"]
    # A retry (same code, same author, still a draft) returns it; anyone else's is a clash.
    again = client.post(POLICIES, json=policy_body(code="HS-QZCY"), headers=headers(admins, "city"))
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    taken = client.post(POLICIES, json=policy_body(code="HS-QZCY"), headers=headers(admins, "city2"))
    assert taken.status_code == 409 and taken.get_json()["error"]["field"] == "code"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "policy.create")) == 1
    assert matching == []


def test_a_draft_is_seen_only_by_its_managers(client, admins, wechat_login):
    created = client.post(
        POLICIES, json=policy_body(district_code="341002000000"), headers=headers(admins, "tunxi")
    )
    assert created.status_code == 201, created.get_json()
    policy_id = created.get_json()["id"]
    assert created.get_json()["district_code"] == "341002000000"
    _, resident, _ = wechat_login()
    for who in (None, resident, headers(admins, "huangshan"), headers(admins, "operator")):
        assert client.get(f"{POLICIES}/{policy_id}", headers=who).status_code == 404
    for who in ("tunxi2", "city"):
        assert client.get(f"{POLICIES}/{policy_id}", headers=headers(admins, who)).status_code == 200
    assert client.get(POLICIES).get_json()["items"] == []


def test_a_district_admin_writes_only_their_district_s_policies(client, admins):
    city_policy = client.post(POLICIES, json=policy_body(), headers=headers(admins, "tunxi"))
    assert city_policy.status_code == 201 and city_policy.get_json()["district_code"] == "341002000000"
    other = client.post(
        POLICIES, json=policy_body(district_code="341003000000"), headers=headers(admins, "tunxi")
    )
    assert other.status_code == 422 and other.get_json()["error"]["field"] == "district_code"
    refused = client.post(POLICIES, json=policy_body(), headers=headers(admins, "operator"))
    assert refused.status_code == 403


def test_publication_needs_a_second_admin_in_scope(client, admins, matching):
    created = client.post(
        POLICIES, json=policy_body(district_code="341002000000"), headers=headers(admins, "tunxi")
    )
    policy_id = created.get_json()["id"]
    publish = f"{POLICIES}/{policy_id}/publish"
    # Not submitted yet.
    assert client.post(publish, json={}, headers=headers(admins, "tunxi2")).status_code == 409
    assert client.post(f"{POLICIES}/{policy_id}/submit", headers=headers(admins, "tunxi")).status_code == 200
    # The author may not publish their own version.
    by_author = client.post(publish, json={}, headers=headers(admins, "tunxi"))
    assert by_author.status_code == 403
    assert by_author.get_json()["error"]["code"] == "second_person_required"
    # Another district's admin cannot even see it.
    assert client.post(publish, json={}, headers=headers(admins, "huangshan")).status_code == 404
    assert client.post(publish, json={}, headers=headers(admins, "operator")).status_code == 403
    assert matching == []
    # The second admin of the district publishes.
    published = client.post(publish, json={"note": "已审核"}, headers=headers(admins, "tunxi2"))
    assert published.status_code == 200, published.get_json()
    body = published.get_json()
    assert body["status"] == "published" and body["number"] == 1
    assert matching == [body["version_id"]]
    assert client.get(f"{POLICIES}/{policy_id}").get_json()["status"] == "published"  # public now
    events = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("policy.%"))).all()
    assert sorted(events) == ["policy.create", "policy.publish", "policy.submit"]


def test_a_city_admin_publishes_a_district_policy_and_a_district_admin_no_city_policy(
    client, admins, matching
):
    district = client.post(
        POLICIES, json=policy_body(district_code="341002000000"), headers=headers(admins, "tunxi")
    )
    policy_id = district.get_json()["id"]
    client.post(f"{POLICIES}/{policy_id}/submit", headers=headers(admins, "tunxi"))
    assert (
        client.post(f"{POLICIES}/{policy_id}/publish", json={}, headers=headers(admins, "city")).status_code
        == 200
    )
    city = client.post(POLICIES, json=policy_body(), headers=headers(admins, "city"))
    city_id = city.get_json()["id"]
    client.post(f"{POLICIES}/{city_id}/submit", headers=headers(admins, "city"))
    assert (
        client.post(f"{POLICIES}/{city_id}/publish", json={}, headers=headers(admins, "tunxi")).status_code
        == 404
    )
    assert (
        client.post(f"{POLICIES}/{city_id}/publish", json={}, headers=headers(admins, "city2")).status_code
        == 200
    )


def test_editing_a_published_policy_makes_version_2(client, admins, matching):
    first = publish_policy(client, headers(admins, "city"), headers(admins, "city2"))
    policy_id = first["id"]
    edited = client.patch(
        f"{POLICIES}/{policy_id}/draft",
        json={"benefit": {"kind": "fixed", "amount": 1500}},
        headers=headers(admins, "city2"),
    )
    assert edited.status_code == 200, edited.get_json()
    body = edited.get_json()
    assert body["number"] == 2 and body["status"] == "draft" and body["benefit_text"] == "一次性 1,500 元"
    assert body["title"] == first["title"] and body["rule"] == first["rule"]  # copied from version 1
    # The public still sees version 1 until version 2 is published.
    public = client.get(f"{POLICIES}/{policy_id}").get_json()
    assert public["number"] == 1 and public["benefit"] == {"kind": "fixed", "amount": 1000}
    assert public["versions"] is None
    # A second edit changes the same draft.
    again = client.patch(
        f"{POLICIES}/{policy_id}/draft", json={"notice_days": 5}, headers=headers(admins, "city2")
    )
    assert again.get_json()["number"] == 2 and again.get_json()["notice_days"] == 5
    client.post(f"{POLICIES}/{policy_id}/submit", headers=headers(admins, "city2"))
    # city2 edited version 2: city2 is its author and may not publish it; city may.
    assert (
        client.post(f"{POLICIES}/{policy_id}/publish", json={}, headers=headers(admins, "city2")).status_code
        == 403
    )
    published = client.post(f"{POLICIES}/{policy_id}/publish", json={}, headers=headers(admins, "city"))
    assert published.status_code == 200
    versions = client.get(f"{POLICIES}/{policy_id}/versions", headers=headers(admins, "city")).get_json()[
        "items"
    ]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "superseded"), (2, "published")]
    assert versions[0]["ended_at"] is not None
    assert matching == [versions[0]["version_id"], versions[1]["version_id"]]
    assert client.get(f"{POLICIES}/{policy_id}").get_json()["benefit"] == {"kind": "fixed", "amount": 1500}


def test_withdraw_stops_the_policy(client, admins, matching):
    published = publish_policy(client, headers(admins, "city"), headers(admins, "city2"))
    policy_id = published["id"]
    assert len(client.get(POLICIES).get_json()["items"]) == 1
    refused = client.post(f"{POLICIES}/{policy_id}/withdraw", json={}, headers=headers(admins, "city"))
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "reason"
    withdrawn = client.post(
        f"{POLICIES}/{policy_id}/withdraw", json={"reason": "政策到期"}, headers=headers(admins, "city")
    )
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert matching == [published["version_id"], published["version_id"]]
    assert client.get(POLICIES).get_json()["items"] == []
    assert client.get(f"{POLICIES}/{policy_id}").status_code == 404  # nothing published any more
    again = client.post(
        f"{POLICIES}/{policy_id}/withdraw", json={"reason": "再次"}, headers=headers(admins, "city")
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_published"


def test_the_public_list_filters_by_subject_and_district(client, admins, matching):
    city, city2 = headers(admins, "city"), headers(admins, "city2")
    publish_policy(client, city, city2)
    publish_policy(client, city, city2, district_code="341003000000", title="黄山区补贴")
    employer_rule = {">=": [{"var": "hires_12m"}, 1]}
    publish_policy(
        client, city, city2, subject="employer", rule=employer_rule, hints={}, title="吸纳就业补贴"
    )
    publish_policy(client, city, city2, title="未生效", effective_from="2030-01-01", effective_until=None)

    def titles(query):
        return sorted(p["title"] for p in client.get(POLICIES, query_string=query).get_json()["items"])

    assert titles({}) == ["一次性求职创业补贴", "吸纳就业补贴", "黄山区补贴"]
    assert titles({"subject": "employer"}) == ["吸纳就业补贴"]
    assert titles({"subject": "person", "district_code": "341002000000"}) == ["一次性求职创业补贴"]
    assert client.get(POLICIES, query_string={"subject": "nobody"}).status_code == 422


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"title": ""}, "title", None),
        ({"rule": {"log": ["x"]}}, "rule", "rule_invalid"),
        ({"rule": {">=": [{"var": "salary"}, 1]}}, "rule", "rule_invalid"),
        ({"rule": {">=": [{"var": "hires_12m"}, 1]}}, "rule", "rule_invalid"),  # an employer's fact
        ({"benefit": {"kind": "fixed", "amount": -5}}, "benefit", "benefit_invalid"),
        ({"place_codes": ["341099000000"]}, "place_codes", "unknown_place"),
        (
            {"effective_from": "2026-06-01", "effective_until": "2026-05-31"},
            "effective_until",
            "dates_out_of_order",
        ),
        ({"claim_deadline": {"within_days": 0}}, "claim_deadline.within_days", None),
        ({"claim_period": "weekly"}, "claim_period", None),
        ({"notice_days": 31}, "notice_days", None),
        ({"materials": ["身份证", ""]}, "materials.1", None),
        ({"hints": {"salary": "需…"}}, "hints", "unknown_fact"),
    ],
)
def test_every_field_is_checked(client, admins, fields, field, code):
    response = client.post(POLICIES, json=policy_body(**fields), headers=headers(admins, "city"))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field or field in (error["fields"] or {}), error
    if code:
        assert error["code"] == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 0


def test_place_codes_must_lie_inside_the_owner_s_place(client, admins):
    inside = client.post(
        POLICIES,
        json=policy_body(district_code="341002000000", place_codes=["341002002000", "341002002001"]),
        headers=headers(admins, "tunxi"),
    )
    assert inside.status_code == 201, inside.get_json()
    outside = client.post(
        POLICIES, json=policy_body(place_codes=["341003100000"]), headers=headers(admins, "tunxi")
    )
    assert outside.status_code == 422 and outside.get_json()["error"]["code"] == "unknown_place"


def test_the_fact_catalogue_is_public(client):
    response = client.get(f"{POLICIES}/facts")
    assert response.status_code == 200
    facts = {fact["name"]: fact for fact in response.get_json()["facts"]}
    assert facts["age"]["label"] == "年龄" and facts["age"]["unit"] == "岁"
    assert facts["unemployment_registered"]["missing_hint"] == "需先办理失业登记"
    assert facts["insured_staff"]["verified"] is False
    assert "log" not in response.get_json()["operators"] and "in" in response.get_json()["operators"]
    employer = client.get(f"{POLICIES}/facts", query_string={"subject": "employer"}).get_json()["facts"]
    assert {fact["name"] for fact in employer} >= {"hires_12m", "insured_staff", "district_code"}
    assert "age" not in {fact["name"] for fact in employer}
    assert all(fact["subject"] == "employer" for fact in employer)
