"""The working list (who qualifies and has not claimed, in my place) and a resident's own policies."""

from datetime import timedelta

import pytest

from app.common.clock import local_day
from app.extensions import db
from app.models import PolicyMatch
from app.services.policies import matching
from tests.policies.matching_support import REGISTERED_UNEMPLOYED, admins, matches, publish, resident
from tests.support import assign_directly

WORKING_LIST = "/api/v1/policies/working-list"
MY_POLICIES = "/api/v1/me/policies"
ME = "/api/v1/me"
HERE, ELSEWHERE = "341002002001", "341002001001"  # 昱中一社区 (城中), 昱东一社区 (城东)


@pytest.fixture
def two_admins(make_staff, places):
    return admins(make_staff)


def test_grid_workers_see_their_communities_people_soonest_deadline_first(client, staff_headers, two_admins):
    mine = resident(community=HERE, status="unemployed_registered", age=30)
    theirs = resident(community=ELSEWHERE, status="unemployed_registered", age=30)
    later = publish(
        *two_admins, REGISTERED_UNEMPLOYED, title="九十天内申领", claim_deadline={"within_days": 90}
    )
    sooner = publish(
        *two_admins, REGISTERED_UNEMPLOYED, title="三十天内申领", claim_deadline={"within_days": 30}
    )
    worker, headers = staff_headers("grid_worker", "township", "341002002000")
    assign_directly(worker, [HERE])

    response = client.get(WORKING_LIST, headers=headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == 2 and body["page"] == 1
    assert [item["policy_version_id"] for item in body["items"]] == [sooner, later]
    item = body["items"][0]
    assert item["resident_id"] == mine.id and item["policy_title"] == "三十天内申领"
    assert item["amount_fen"] == 100_000 and item["claim_deadline"]
    assert any("登记失业" in reason for reason in item["reasons"])
    assert "*" in item["id_number_hint"] and len(item["id_number_hint"]) == 18  # masked, never the number
    assert theirs.id not in {i["resident_id"] for i in body["items"]}

    # Another community's grid worker and the other township's staff do not see this person.
    other, other_headers = staff_headers("grid_worker", "township", "341002001000")
    assign_directly(other, [ELSEWHERE])
    seen = client.get(WORKING_LIST, headers=other_headers).get_json()["items"]
    assert {i["resident_id"] for i in seen} == {theirs.id}
    _, township = staff_headers("township_admin", "township", "341002001000")
    assert {i["resident_id"] for i in client.get(WORKING_LIST, headers=township).get_json()["items"]} == {
        theirs.id
    }


def test_a_match_past_its_claim_deadline_leaves_the_list(client, staff_headers, two_admins):
    person = resident(community=HERE, status="unemployed_registered", age=30)
    version = publish(*two_admins, REGISTERED_UNEMPLOYED, claim_deadline={"within_days": 30})
    _, headers = staff_headers("township_admin", "township", "341002002000")
    assert [i["resident_id"] for i in client.get(WORKING_LIST, headers=headers).get_json()["items"]] == [
        person.id
    ]

    (match,) = matches(PolicyMatch.resident_id == person.id, PolicyMatch.policy_version_id == version)
    match.claim_deadline = local_day() - timedelta(days=1)
    db.session.commit()

    assert client.get(WORKING_LIST, headers=headers).get_json()["total"] == 0


def test_claimed_and_lapsed_matches_leave_the_list_and_paging_and_filter_work(
    client, staff_headers, two_admins
):
    people = [resident(community=HERE, status="unemployed_registered", age=30) for _ in range(3)]
    first = publish(*two_admins, REGISTERED_UNEMPLOYED)
    second = publish(*two_admins, REGISTERED_UNEMPLOYED, title="另一项补贴")
    _, headers = staff_headers("township_admin", "township", "341002002000")
    assert client.get(WORKING_LIST, headers=headers).get_json()["total"] == 6

    claimed = next(m for m in matches() if m.resident_id == people[0].id and m.policy_version_id == first)
    matching.mark_claimed(claimed)
    db.session.commit()
    page = client.get(WORKING_LIST, query_string={"per_page": 2, "page": 3}, headers=headers).get_json()
    assert (page["total"], len(page["items"])) == (5, 1)
    policy_id = matches()[-1].policy_id
    only = client.get(WORKING_LIST, query_string={"policy_id": policy_id}, headers=headers).get_json()
    assert {i["policy_version_id"] for i in only["items"]} == {second} and only["total"] == 3


def test_only_people_facing_staff_use_the_list(client, staff_headers, wechat_login):
    _, supervisor = staff_headers("supervisor", "city", "341000000000")
    refused = client.get(WORKING_LIST, headers=supervisor)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "role_not_allowed"
    _, resident_headers, _ = wechat_login()
    assert client.get(WORKING_LIST, headers=resident_headers).status_code == 403
    assert client.get(WORKING_LIST).status_code == 401


def test_my_policies_show_my_matches_and_what_i_miss_for_a_near_one(client, wechat_login, two_admins):
    body, headers, _ = wechat_login()
    assert client.patch(ME, json={"community_code": HERE}, headers=headers).status_code == 200
    me = resident(status="unemployed", age=30, account_id=body["account"]["id"])
    publish(*two_admins, {"and": [{">=": [{"var": "age"}, 16]}]}, title="人人有份")
    publish(
        *two_admins,
        REGISTERED_UNEMPLOYED,
        title="需先登记",
        hints={"employment_status": "需先办理失业登记"},
    )
    publish(
        *two_admins, {"and": [{">=": [{"var": "age"}, 70]}, {"==": [{"var": "gender"}, "x"]}]}, title="差得远"
    )

    response = client.get(MY_POLICIES, headers=headers)

    assert response.status_code == 200, response.get_json()
    mine = response.get_json()
    (match,) = mine["matches"]
    assert (match["title"], match["status"], match["amount_fen"]) == ("人人有份", "qualified", 100_000)
    assert match["claim_deadline"] and match["trace"][0]["held"] is True and match["claim_status"] is None
    (near,) = mine["near_misses"]
    assert near["title"] == "需先登记" and near["missing"] == ["需先办理失业登记"]
    assert [item["held"] for item in near["trace"]] == [False, True, True]
    assert me.id == matches()[0].resident_id


def test_my_policies_are_for_residents(client, staff_headers):
    _, headers = staff_headers("township_admin", "township", "341002002000")
    assert client.get(MY_POLICIES, headers=headers).status_code == 403


def test_my_data_copy_holds_my_matches_and_deleting_me_removes_those_not_claimed(
    client, wechat_login, two_admins
):
    body, headers, _ = wechat_login()
    client.patch(ME, json={"community_code": HERE}, headers=headers)
    me = resident(status="unemployed_registered", age=30, account_id=body["account"]["id"])
    publish(*two_admins, REGISTERED_UNEMPLOYED)

    copy = client.get("/api/v1/me/data", headers=headers).get_json()["sections"]["policy_matches"]
    assert [(m["resident_id"], m["status"]) for m in copy] == [(me.id, "qualified")]
    assert copy[0]["trace"] and copy[0]["facts"]["employment_status"] == "unemployed_registered"

    assert client.post("/api/v1/me/deletion-request", headers=headers).status_code == 202
    assert matches() == []
