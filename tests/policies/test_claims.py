"""Making a claim: from a match (免申即享 or declared), by an employer with its hires, at the counter."""

# The fixtures come from claims_support (imported by name), so each test's argument shadows the import.
# ruff: noqa: F811

import io
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.common.clock import local_day
from app.common.crypto import decrypt
from app.extensions import db
from app.models import (
    AuditEvent,
    Claim,
    ClaimAttachment,
    ClaimHire,
    ConsentRecord,
    PolicyMatch,
    Registration,
    Resident,
    ResidentKeyGroup,
)
from tests.policies.claims_support import (  # noqa: F401  (fixtures)
    CLAIMS,
    ELSEWHERE,
    author,
    claim_body,
    claimant,
    client_id,
    crew,
    make_match,
    make_version,
)
from tests.support import error_of


def test_a_resident_claims_from_a_verified_match_and_only_confirms(client, author, claimant):
    resident_id, _, headers = claimant()
    version = make_version(author.id)
    match = make_match(version, resident_id)

    response = client.post(CLAIMS, json=claim_body(match.id), headers=headers)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "submitted"
    assert body["all_verified"] is True  # 免申即享: every fact came from the ledger
    assert body["declared_facts"] == []
    assert body["facts"] == {"age": 35, "employment_status": "unemployed"}
    assert body["trace"][0]["held"] is True
    assert body["estimated_fen"] == 100000
    assert body["period"] == "once"
    assert body["bank_account"] == "6228 **** **** 8901"
    assert body["policy_title"] == "一次性求职创业补贴"
    assert body["stage_due_on"] == (local_day() + timedelta(days=5)).isoformat()
    assert body["overdue"] is False
    claim = db.session.get(Claim, body["id"])
    assert decrypt(claim.bank_account_enc, "bank_account") == "62284800123456789" + "01"
    assert db.session.get(PolicyMatch, match.id).status == "claimed"
    assert [e.to_status for e in claim.events] == ["submitted"]
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "claim.create"))
    mine = client.get(CLAIMS, headers=headers).get_json()
    assert [item["id"] for item in mine["items"]] == [body["id"]]


def test_declared_facts_are_listed_for_the_person_to_confirm(client, author, claimant):
    resident_id, _, headers = claimant()
    version = make_version(author.id, rule_facts=("age", "education"))
    match = make_match(version, resident_id, facts={"age": 22, "education": "bachelor"})

    body = client.post(CLAIMS, json=claim_body(match.id), headers=headers).get_json()

    assert body["all_verified"] is False
    assert body["declared_facts"] == ["education"]


def test_a_claim_needs_the_confirmation_and_a_valid_bank_account(client, author, claimant):
    resident_id, _, headers = claimant()
    match = make_match(make_version(author.id), resident_id)

    unconfirmed = client.post(CLAIMS, json=claim_body(match.id, confirmed=False), headers=headers)
    bad_account = client.post(
        CLAIMS, json=claim_body(match.id, bank_account="1234-abcd-5678"), headers=headers
    )

    assert error_of(unconfirmed)["code"] == "confirmation_required"
    assert unconfirmed.status_code == 422
    assert bad_account.status_code == 422
    assert error_of(bad_account)["code"] == "invalid_bank_account"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0


def test_a_retry_with_the_same_client_id_returns_the_first_claim(client, author, claimant):
    resident_id, _, headers = claimant()
    match = make_match(make_version(author.id), resident_id)
    body = claim_body(match.id)

    first = client.post(CLAIMS, json=body, headers=headers)
    again = client.post(CLAIMS, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 1


def test_a_second_claim_of_the_same_policy_and_period_is_409(client, author, claimant):
    resident_id, _, headers = claimant()
    match = make_match(make_version(author.id), resident_id)
    assert client.post(CLAIMS, json=claim_body(match.id), headers=headers).status_code == 201

    second = client.post(CLAIMS, json=claim_body(match.id), headers=headers)

    assert second.status_code == 409
    assert error_of(second)["code"] == "claim_exists"


def test_a_second_claim_that_slips_past_the_check_meets_the_unique_key(client, author, claimant, monkeypatch):
    # As when two requests race: the second does not see the first's row, the unique index does.
    from app.services.policies import claim_intake

    resident_id, _, headers = claimant()
    match = make_match(make_version(author.id), resident_id)
    assert client.post(CLAIMS, json=claim_body(match.id), headers=headers).status_code == 201
    monkeypatch.setattr(claim_intake, "live_claim", lambda key: None)

    second = client.post(CLAIMS, json=claim_body(match.id), headers=headers)

    assert (second.status_code, error_of(second)["code"]) == (409, "claim_exists")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 1


def test_two_claims_sent_at_once_make_one(app, client, author, claimant, backend):
    if backend != "real":
        pytest.skip("SQLite serialises writers; the concurrent variant runs on MariaDB")
    resident_id, _, headers = claimant()
    match_id = make_match(make_version(author.id), resident_id).id
    db.session.commit()
    barrier = threading.Barrier(4)
    statuses, failures = [], []

    def send():
        try:
            web = FlaskClient(app, app.response_class)
            barrier.wait()
            statuses.append(web.post(CLAIMS, json=claim_body(match_id), headers=headers).status_code)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures
    assert sorted(statuses) == [201, 409, 409, 409]
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 1


def test_a_rejected_claim_frees_the_period_and_a_yearly_policy_claims_once_a_year(client, author, claimant):
    resident_id, _, headers = claimant()
    version = make_version(author.id, claim_period="yearly")
    match = make_match(version, resident_id)

    body = client.post(CLAIMS, json=claim_body(match.id), headers=headers).get_json()

    assert body["period"] == str(date.today().year)
    claim = db.session.get(Claim, body["id"])
    claim.status, claim.open_key = "rejected", None
    db.session.commit()
    again = client.post(CLAIMS, json=claim_body(match.id), headers=headers)
    assert again.status_code == 201, again.get_json()


def test_a_claim_after_the_deadline_is_409(client, author, claimant):
    resident_id, _, headers = claimant()
    past = make_match(make_version(author.id), resident_id, claim_deadline=date.today() - timedelta(days=1))
    by_date = make_version(author.id, claim_deadline={"by": (date.today() - timedelta(days=2)).isoformat()})
    other = make_match(by_date, resident_id)

    late = client.post(CLAIMS, json=claim_body(past.id), headers=headers)
    closed = client.post(CLAIMS, json=claim_body(other.id), headers=headers)

    assert (late.status_code, error_of(late)["code"]) == (409, "claim_deadline_passed")
    assert (closed.status_code, error_of(closed)["code"]) == (409, "claim_deadline_passed")


def test_a_lapsed_or_someone_elses_match_is_refused(client, author, claimant):
    resident_id, _, headers = claimant()
    other_id, _, _ = claimant()
    version = make_version(author.id)
    lapsed = make_match(version, resident_id, status="lapsed")
    theirs = make_match(make_version(author.id), other_id)

    not_qualified = client.post(CLAIMS, json=claim_body(lapsed.id), headers=headers)
    not_mine = client.post(CLAIMS, json=claim_body(theirs.id), headers=headers)

    assert (not_qualified.status_code, error_of(not_qualified)["code"]) == (409, "not_qualified")
    assert not_mine.status_code == 404


def test_staff_enter_a_claim_at_the_counter_for_a_resident_in_their_place(client, author, claimant, crew):
    resident_id, _, headers = claimant()
    far_id, _, _ = claimant(community=ELSEWHERE)
    version = make_version(author.id)
    make_match(version, resident_id)
    make_match(version, far_id)
    counter = {"resident_id": resident_id, "policy_id": version.policy_id}

    made = client.post(CLAIMS, json=claim_body(**counter), headers=crew["station"][1])
    outside = client.post(
        CLAIMS, json=claim_body(resident_id=far_id, policy_id=version.policy_id), headers=crew["station"][1]
    )
    wrong_role = client.post(CLAIMS, json=claim_body(**counter), headers=crew["district"][1])

    assert made.status_code == 201, made.get_json()
    assert made.get_json()["channel"] == "counter"
    assert outside.status_code == 404
    assert wrong_role.status_code == 403
    assert error_of(wrong_role)["code"] == "role_forbidden"
    # The person sees the claim made for them.
    mine = client.get(CLAIMS, headers=headers).get_json()
    assert [item["id"] for item in mine["items"]] == [made.get_json()["id"]]


def test_counter_claim_without_a_match_is_not_qualified(client, author, claimant, crew):
    resident_id, _, _ = claimant()
    version = make_version(author.id)

    response = client.post(
        CLAIMS,
        json=claim_body(resident_id=resident_id, policy_id=version.policy_id),
        headers=crew["station"][1],
    )

    assert (response.status_code, error_of(response)["code"]) == (409, "not_qualified")


def hire(resident_id: int, employer_id: int, author_id: int) -> Registration:
    """Write an accepted employment registration of a resident at an employer."""
    from app.models import PLACE_COLUMN_NAMES, Resident

    resident = db.session.get(Resident, resident_id)
    row = Registration(
        kind="employment",
        resident_id=resident_id,
        employer_id=employer_id,
        status="accepted",
        author_id=author_id,
        client_id=client_id(),
        entered_via="employer",
        employment_kind="employed",
        started_on=date.today() - timedelta(days=40),
        **{name: getattr(resident, name) for name in PLACE_COLUMN_NAMES},
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_an_employer_claims_with_the_hires_it_rests_on(client, author, claimant, make_employer):
    employer, headers = make_employer()
    hired_id, _, _ = claimant()
    stranger_id, _, _ = claimant()
    registration = hire(hired_id, employer.id, author.id)
    db.session.add(
        ResidentKeyGroup(resident_id=hired_id, key_group="hard_to_employ", verified_by_id=author.id)
    )
    db.session.commit()
    version = make_version(
        author.id,
        subject="employer",
        rule_facts=("hires_12m",),
        title="吸纳就业补贴",
        benefit={"kind": "fixed", "amount": 2000},
    )
    make_match(version, employer=employer, facts={"hires_12m": 1})
    body = {"policy_id": version.policy_id, "hires": [hired_id]}

    wrong = client.post(
        CLAIMS, json=claim_body(policy_id=version.policy_id, hires=[stranger_id]), headers=headers
    )
    made = client.post(CLAIMS, json=claim_body(**body), headers=headers)

    assert wrong.status_code == 422
    assert error_of(wrong)["code"] == "hire_not_found"
    assert made.status_code == 201, made.get_json()
    claim = made.get_json()
    assert claim["channel"] == "employer"
    assert claim["employer"]["id"] == employer.id
    assert claim["hires"] == [
        {"resident_id": hired_id, "registration_id": registration.id, "key_groups": ["hard_to_employ"]}
    ]
    assert claim["estimated_fen"] == 200000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClaimHire)) == 1
    # The employer's list holds it; another resident's does not.
    listed = client.get(CLAIMS, headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [claim["id"]]


def test_an_employer_claim_needs_its_hires(client, author, make_employer):
    employer, headers = make_employer()
    version = make_version(author.id, subject="employer", rule_facts=("hires_12m",))
    make_match(version, employer=employer, facts={"hires_12m": 1})

    response = client.post(CLAIMS, json=claim_body(policy_id=version.policy_id), headers=headers)

    assert (response.status_code, error_of(response)["code"]) == (422, "hires_required")


def test_a_claim_without_consent_is_403_consent_required(client, author, claimant):
    resident_id, account_id, headers = claimant()
    match = make_match(make_version(author.id), resident_id)
    db.session.execute(sa.delete(ConsentRecord).where(ConsentRecord.account_id == account_id))
    db.session.commit()

    refused = client.post(CLAIMS, json=claim_body(match.id), headers=headers)

    assert (refused.status_code, error_of(refused)["code"]) == (403, "consent_required")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)) == 0


def test_my_data_copy_holds_my_claims_with_the_full_bank_account(client, author, claimant):
    resident_id, _, headers = claimant()
    match = make_match(make_version(author.id), resident_id)
    claim_id = client.post(CLAIMS, json=claim_body(match.id), headers=headers).get_json()["id"]

    copy = client.get("/api/v1/me/data", headers=headers)

    assert copy.status_code == 200, copy.get_json()
    claims = copy.get_json()["sections"]["claims"]
    assert [c["id"] for c in claims] == [claim_id]
    assert claims[0]["bank_account"] == "6228480012345678901"
    assert [e["to_status"] for e in claims[0]["events"]] == ["submitted"]


def test_erasure_withdraws_an_unsettled_claim_and_keeps_an_approved_one(client, author, claimant):
    from app.services.people import erasure

    resident_id, _, headers = claimant()
    match = make_match(make_version(author.id), resident_id)
    claim_id = client.post(CLAIMS, json=claim_body(match.id), headers=headers).get_json()["id"]
    uploaded = client.post(
        f"{CLAIMS}/{claim_id}/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4\n% proof\n"), "proof.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    resident = db.session.get(Resident, resident_id)
    assert erasure.is_ledger_record(resident) is False

    response = client.post("/api/v1/me/deletion-request", json={}, headers=headers)

    assert response.status_code in (200, 201, 202), response.get_json()
    claim = db.session.get(Claim, claim_id)
    db.session.refresh(claim)
    assert (claim.status, claim.open_key, claim.bank_account_enc) == ("withdrawn", None, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClaimAttachment)) == 0
    other_id, _, _ = claimant()
    approved = make_match(make_version(author.id), other_id)
    row = Claim(
        subject_key=f"r{other_id}",
        resident_id=other_id,
        policy_id=approved.policy_id,
        policy_version_id=approved.policy_version_id,
        period="once",
        status="approved",
        channel="resident",
        author_id=author.id,
        client_id=client_id(),
    )
    db.session.add(row)
    db.session.commit()
    assert erasure.is_ledger_record(db.session.get(Resident, other_id)) is True


def test_an_employer_account_without_a_business_sees_no_claims(client, author, claimant, wechat_login):
    from app.models import Account

    resident_id, _, headers = claimant()
    match = make_match(make_version(author.id), resident_id)
    assert client.post(CLAIMS, json=claim_body(match.id), headers=headers).status_code == 201
    body, employer_headers, _ = wechat_login()
    db.session.get(Account, body["account"]["id"]).role = "employer"
    db.session.commit()

    listed = client.get(CLAIMS, headers=employer_headers)

    assert listed.status_code == 200
    assert listed.get_json()["items"] == []
