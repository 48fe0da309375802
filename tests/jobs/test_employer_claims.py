"""Staff-registered employers and their claims: USCC checks, one-time codes, history kept after the claim."""

import uuid
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, AuditEvent, Employer, EmployerVisit, Job, utcnow
from tests.conftest import make_credit_code
from tests.support import assign_directly, count, error_of

EMPLOYERS = "/api/v1/employers"
FIELD = "/api/v1/employers/field-registrations"
CLAIM = "/api/v1/employers/claim"
VISITS = "/api/v1/employer-visits"
CHENGZHONG = ("station_staff", "circle", "341002-chengzhong")
YUZHONG_1 = "341002002001"  # a community of 昱中 township (circle 城中)
YUDONG_1 = "341002001001"  # a community of 昱东 township (circle 城东)


def field_body(**fields):
    """Return a field registration in 昱中 (a fresh credit code, no location)."""
    return {
        "client_id": uuid.uuid4().hex,
        "name": "屯溪区程记茶庄",
        "credit_code": make_credit_code(),
        "community_code": YUZHONG_1,
        "contact_name": "程老板",
        "contact_phone": "13955551111",
        "industry": "tea_processing",
        "size": "micro",
        "address": "屯溪区昱中路18号",
        **fields,
    }


def register_in_field(client, headers, **fields):
    """POST a field registration and return the response."""
    return client.post(FIELD, json=field_body(**fields), headers=headers)


def registered(client, staff_headers):
    """Register an employer in the field as 城中's station staff; return (body, staff headers)."""
    _, headers = staff_headers(*CHENGZHONG)
    response = register_in_field(client, headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json(), headers


def claim(client, headers, credit_code, code):
    """POST a claim and return the response."""
    return client.post(CLAIM, json={"credit_code": credit_code, "claim_code": code}, headers=headers)


def test_staff_register_a_business_without_wechat_and_get_a_claim_code(client, staff_headers):
    staff, headers = staff_headers(*CHENGZHONG)
    body = field_body()

    response = client.post(FIELD, json=body, headers=headers)

    assert response.status_code == 201, response.get_json()
    out = response.get_json()
    assert out["claimed"] is False and out["status"] == "pending"
    assert out["contact_phone"] == "139****1111" and out["community"]["code"] == YUZHONG_1
    assert len(out["claim_code"]) == 8 and out["claim_code_expires_at"]
    employer = db.session.get(Employer, out["id"])
    assert employer.account_id is None and employer.registered_by_id == staff.id
    assert employer.claim_code_hash and out["claim_code"] not in employer.claim_code_hash
    assert count(AuditEvent, AuditEvent.action == "employer.register_in_field") == 1

    # A retry (the answer was lost) is the same employer, with a new code.
    again = client.post(FIELD, json=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == out["id"]
    assert again.get_json()["claim_code"] != out["claim_code"]
    assert count(Employer) == 1


def test_a_bad_or_taken_credit_code_or_a_community_outside_my_area_is_refused(
    client, staff_headers, make_employer
):
    _, headers = staff_headers(*CHENGZHONG)
    bad = register_in_field(client, headers, credit_code="91341002MA0000001X")
    assert bad.status_code == 422 and error_of(bad)["code"] == "invalid_credit_code"

    employer, _ = make_employer()
    taken = register_in_field(client, headers, credit_code=employer.credit_code.lower())
    assert taken.status_code == 409 and error_of(taken)["code"] == "credit_code_taken"
    assert error_of(taken)["field"] == "credit_code"

    unclaimed = register_in_field(client, headers).get_json()["id"]
    listed = client.get(EMPLOYERS, query_string={"claimed": "false"}, headers=headers).get_json()["items"]
    assert [item["id"] for item in listed] == [unclaimed]
    listed = client.get(EMPLOYERS, query_string={"claimed": "true"}, headers=headers).get_json()["items"]
    assert [item["id"] for item in listed] == [employer.id]

    outside = register_in_field(client, headers, community_code=YUDONG_1)
    assert outside.status_code == 422 and error_of(outside)["code"] == "community_out_of_scope"
    assert count(Employer) == 2

    _, supervisor = staff_headers("supervisor", "circle", "341002-chengzhong")
    assert register_in_field(client, supervisor).status_code == 403


def test_the_business_claims_its_record_and_keeps_its_history(client, staff_headers, wechat_login):
    body, headers = registered(client, staff_headers)
    visit = client.post(
        VISITS,
        json={
            "client_id": uuid.uuid4().hex,
            "employer_id": body["id"],
            "channel": "visit",
            "visited_on": "2026-01-01",
            "needs": [{"title": "茶叶分拣工", "category": "tea_processing"}],
        },
        headers=headers,
    )
    assert visit.status_code == 201, visit.get_json()
    drafts = client.post(f"{VISITS}/{visit.get_json()['id']}/job-drafts", headers=headers)
    assert drafts.status_code == 200, drafts.get_json()  # the drafts wait for the owner
    job_id = drafts.get_json()["jobs"][0]["id"]
    account_body, owner, _ = wechat_login()

    # Registering the same business anew is pointed to the claim instead.
    again = client.post(
        EMPLOYERS,
        json={"name": "程记茶庄", "credit_code": body["credit_code"], "community_code": YUZHONG_1},
        headers=owner,
    )
    assert again.status_code == 409 and error_of(again)["code"] == "employer_claimable"

    response = claim(
        client, owner, body["credit_code"], f" {body['claim_code'][:4]}-{body['claim_code'][4:].lower()}"
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["id"] == body["id"] and response.get_json()["claimed"] is True
    employer = db.session.get(Employer, body["id"])
    assert employer.account_id == account_body["account"]["id"] and employer.claim_code_hash is None
    assert db.session.get(Account, employer.account_id).role == "employer"
    assert client.get(f"{EMPLOYERS}/me", headers=owner).get_json()["id"] == body["id"]
    mine = client.get("/api/v1/jobs/managed?status=draft", headers=owner).get_json()["items"]
    assert [job["id"] for job in mine] == [job_id]
    assert db.session.get(Job, job_id).employer_id == body["id"]
    assert count(EmployerVisit, EmployerVisit.employer_id == body["id"]) == 1
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "employer.claim", AuditEvent.outcome == "success")
    )
    assert event.actor_id == employer.account_id and event.object_id == str(body["id"])
    # Staff see it claimed, and cannot issue a code any more.
    reissue = client.post(f"{EMPLOYERS}/{body['id']}/claim-code", headers=headers)
    assert reissue.status_code == 409 and error_of(reissue)["code"] == "employer_already_claimed"


def test_a_used_code_cannot_be_used_again(client, staff_headers, wechat_login):
    body, _ = registered(client, staff_headers)
    _, first, _ = wechat_login()
    assert claim(client, first, body["credit_code"], body["claim_code"]).status_code == 200
    _, second, _ = wechat_login()

    reused = claim(client, second, body["credit_code"], body["claim_code"])

    assert reused.status_code == 409 and error_of(reused)["code"] == "employer_already_claimed"
    # The first owner cannot claim a second business either.
    other, _ = registered(client, staff_headers)
    twice = claim(client, first, other["credit_code"], other["claim_code"])
    assert twice.status_code == 409 and error_of(twice)["code"] == "employer_exists"


def test_wrong_codes_count_and_too_many_void_the_code(client, app, staff_headers, wechat_login):
    body, headers = registered(client, staff_headers)
    _, owner, _ = wechat_login()
    limit = app.config["EMPLOYER_CLAIM_MAX_ATTEMPTS"]
    for tries_left in range(limit - 1, -1, -1):
        wrong = claim(client, owner, body["credit_code"], "AAAAAAAA")
        assert wrong.status_code == 422 and error_of(wrong)["code"] == "claim_code_wrong"
        assert error_of(wrong)["field"] == "claim_code"
        assert (f"{tries_left} tries left" in error_of(wrong)["message"]) == (tries_left > 0)
    assert db.session.get(Employer, body["id"]).claim_attempts == limit

    void = claim(client, owner, body["credit_code"], body["claim_code"])
    assert void.status_code == 409 and error_of(void)["code"] == "claim_code_void"
    assert (
        count(AuditEvent, AuditEvent.action == "employer.claim", AuditEvent.outcome == "failure") == limit + 1
    )

    # Staff issue a new code: the old one stays dead, the new one works.
    new = client.post(f"{EMPLOYERS}/{body['id']}/claim-code", headers=headers)
    assert new.status_code == 200, new.get_json()
    assert claim(client, owner, body["credit_code"], body["claim_code"]).status_code == 422
    assert claim(client, owner, body["credit_code"], new.get_json()["claim_code"]).status_code == 200


def test_an_expired_code_and_an_unknown_business_are_refused(client, staff_headers, wechat_login):
    body, _ = registered(client, staff_headers)
    employer = db.session.get(Employer, body["id"])
    employer.claim_code_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    _, owner, _ = wechat_login()

    expired = claim(client, owner, body["credit_code"], body["claim_code"])

    assert expired.status_code == 422 and error_of(expired)["code"] == "claim_code_expired"
    unknown = claim(client, owner, make_credit_code(), body["claim_code"])
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "employer_not_found"
    bad = claim(client, owner, "123", body["claim_code"])
    assert bad.status_code == 422 and error_of(bad)["code"] == "invalid_credit_code"
    assert db.session.get(Employer, body["id"]).account_id is None


def test_staff_outside_the_area_cannot_issue_a_code_and_staff_cannot_claim(client, staff_headers):
    body, _ = registered(client, staff_headers)
    _, outside = staff_headers("operator", "circle", "341002-chengdong")
    refused = client.post(f"{EMPLOYERS}/{body['id']}/claim-code", headers=outside)
    assert refused.status_code == 404 and error_of(refused)["code"] == "employer_not_found"
    assert claim(client, outside, body["credit_code"], body["claim_code"]).status_code == 403


def test_a_grid_worker_registers_businesses_in_the_communities_assigned_to_them(client, make_staff, login):
    worker = make_staff("grid_worker", "township", "341002002000")
    assign_directly(worker, [YUZHONG_1])
    headers = login(worker.username)

    inside = register_in_field(client, headers)
    elsewhere = register_in_field(client, headers, community_code="341002002002")  # 昱中, not assigned

    assert inside.status_code == 201, inside.get_json()
    assert elsewhere.status_code == 422 and error_of(elsewhere)["code"] == "community_out_of_scope"
    reissued = client.post(f"{EMPLOYERS}/{inside.get_json()['id']}/claim-code", headers=headers)
    assert reissued.status_code == 200
    assert reissued.get_json()["claim_code"] != inside.get_json()["claim_code"]
