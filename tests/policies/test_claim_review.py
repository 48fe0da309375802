"""A claim's stages: each transition, who may take it and where, wrong stages, returns, objections, files."""

# The fixtures come from claims_support (imported by name), so each test's argument shadows the import.
# ruff: noqa: F811

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import AuditEvent, Claim, Push
from app.queues import enqueue
from tests.conftest import make_id_number
from tests.policies.claims_support import (  # noqa: F401  (fixtures)
    CLAIMS,
    ELSEWHERE,
    RECORD_TEMPLATE,
    author,
    claim_body,
    claimant,
    client_id,
    crew,
    make_match,
    make_version,
    record_pushes,
    step,
)
from tests.push.sms_helpers import give_phone
from tests.support import error_of, grant, messages

PDF = b"%PDF-1.4\n% a certificate\n"


@pytest.fixture
def submitted(client, author, claimant):
    """A resident's submitted claim: (claim id, resident id, account id, headers, version)."""
    resident_id, account_id, headers = claimant()
    version = make_version(author.id, notice_days=7)
    match = make_match(version, resident_id)
    response = client.post(CLAIMS, json=claim_body(match.id), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], resident_id, account_id, headers, version


def to_notice(client, crew, claim_id):
    """Take a claim through acceptance, both reviews and into its public notice."""
    for who, name in (("station", "accept"), ("township", "first-review")):
        assert step(client, crew[who][1], claim_id, name).status_code == 200
    for name in ("second-review", "publicise"):
        response = step(client, crew["district"][1], claim_id, name)
        assert response.status_code == 200, response.get_json()
    return response.get_json()


def end_notice(claim_id):
    """Move a claim's public notice into the past, as if its days had run."""
    claim = db.session.get(Claim, claim_id)
    claim.notice_from -= timedelta(days=8)
    claim.notice_until -= timedelta(days=8)
    db.session.commit()


def test_a_claim_goes_through_every_stage_to_paid(client, submitted, crew):
    claim_id, _, account_id, headers, _ = submitted

    accepted = step(client, crew["station"][1], claim_id, "accept", {"note": "材料齐全"})
    first = step(client, crew["township"][1], claim_id, "first-review", {"note": "初审通过"})
    second = step(client, crew["district"][1], claim_id, "second-review")
    notice = step(client, crew["district"][1], claim_id, "publicise")
    early = step(client, crew["district"][1], claim_id, "approve")
    end_notice(claim_id)
    approved = step(client, crew["district"][1], claim_id, "approve")
    paid = step(client, crew["district"][1], claim_id, "pay", {"payment_reference": "FIN-2026-0001"})

    assert [r.status_code for r in (accepted, first, second, notice)] == [200] * 4
    assert accepted.get_json()["stage_due_on"] == (local_day() + timedelta(days=10)).isoformat()
    assert notice.get_json()["status"] == "in_notice"
    assert notice.get_json()["notice_from"] == local_day().isoformat()
    assert notice.get_json()["notice_until"] == (local_day() + timedelta(days=6)).isoformat()
    assert (early.status_code, error_of(early)["code"]) == (409, "notice_running")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["approved_fen"] == 100000
    assert paid.get_json()["status"] == "paid"
    assert paid.get_json()["payment_reference"] == "FIN-2026-0001"
    mine = client.get(f"{CLAIMS}/{claim_id}", headers=headers).get_json()
    assert [e["to_status"] for e in mine["events"]] == [
        "submitted",
        "accepted",
        "first_reviewed",
        "second_reviewed",
        "in_notice",
        "approved",
        "paid",
    ]
    assert mine["events"][1]["note"] == "材料齐全"
    assert record_pushes(account_id) == [
        f"claim:{claim_id}:accepted:1",
        f"claim:{claim_id}:approved:1",
        f"claim:{claim_id}:paid:1",
    ]
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.startswith("claim.")))
    assert {"claim.create", "claim.accept", "claim.approve", "claim.pay"} <= set(actions)


def test_a_step_repeated_by_its_reviewer_answers_where_it_is(client, submitted, crew):
    claim_id = submitted[0]

    first = step(client, crew["station"][1], claim_id, "accept")
    again = step(client, crew["station"][1], claim_id, "accept")

    assert (first.status_code, again.status_code) == (200, 200)
    assert len(again.get_json()["events"]) == 2


def test_a_step_at_the_wrong_stage_is_409_with_the_status(client, submitted, crew):
    claim_id = submitted[0]

    approve = step(client, crew["district"][1], claim_id, "approve")
    pay = step(client, crew["district"][1], claim_id, "pay", {"payment_reference": "X-1"})
    first = step(client, crew["township"][1], claim_id, "first-review")

    for response in (approve, pay, first):
        assert response.status_code == 409
        assert error_of(response)["code"] == "wrong_stage"
        assert error_of(response)["fields"] == {"status": ["submitted"]}


def test_each_stage_is_for_its_role(client, submitted, crew):
    claim_id, _, _, headers, _ = submitted

    by_district = step(client, crew["district"][1], claim_id, "accept")
    by_supervisor = step(client, crew["supervisor"][1], claim_id, "accept")
    by_resident = step(client, headers, claim_id, "accept")
    step(client, crew["station"][1], claim_id, "accept")
    second_by_township = step(client, crew["township"][1], claim_id, "second-review")

    assert (by_district.status_code, error_of(by_district)["code"]) == (403, "role_forbidden")
    assert by_supervisor.status_code == 403
    assert by_resident.status_code == 403
    assert second_by_township.status_code == 403


def test_the_first_review_is_not_made_by_whoever_accepted(client, submitted, crew):
    claim_id = submitted[0]
    step(client, crew["station"][1], claim_id, "accept")

    same = step(client, crew["station"][1], claim_id, "first-review")
    other = step(client, crew["station2"][1], claim_id, "first-review")

    assert (same.status_code, error_of(same)["code"]) == (403, "same_reviewer")
    assert other.status_code == 200


def test_reviewers_outside_the_place_get_404(client, submitted, crew):
    claim_id = submitted[0]

    far_accept = step(client, crew["far_station"][1], claim_id, "accept")
    far_read = client.get(f"{CLAIMS}/{claim_id}", headers=crew["far_district"][1])
    step(client, crew["station"][1], claim_id, "accept")
    step(client, crew["township"][1], claim_id, "first-review")
    far_review = step(client, crew["far_district"][1], claim_id, "second-review")

    assert far_accept.status_code == 404
    assert far_read.status_code == 404
    assert far_review.status_code == 404
    assert error_of(far_review)["code"] == "claim_not_found"


def test_a_returned_claim_gets_its_files_and_is_resubmitted(client, submitted, crew):
    claim_id, _, account_id, headers, _ = submitted
    step(client, crew["station"][1], claim_id, "accept")

    returned = step(client, crew["township"][1], claim_id, "return", {"reason": "请补充离职证明"})
    upload = client.post(
        f"{CLAIMS}/{claim_id}/attachments",
        data={"file": (io.BytesIO(PDF), "离职证明.pdf"), "material": "离职证明"},
        headers=headers,
        content_type="multipart/form-data",
    )
    resubmitted = step(client, headers, claim_id, "resubmit", {"note": "已补充"})

    assert returned.get_json()["status"] == "returned"
    assert returned.get_json()["reason"] == "请补充离职证明"
    assert upload.status_code == 201, upload.get_json()
    assert upload.get_json()["material"] == "离职证明"
    assert resubmitted.get_json()["status"] == "submitted"
    assert resubmitted.get_json()["reason"] is None
    assert [a["name"] for a in resubmitted.get_json()["attachments"]] == ["离职证明.pdf"]
    assert f"claim:{claim_id}:returned:1" in record_pushes(account_id)
    # Accepted again, by the station: the second round is a new step.
    assert step(client, crew["station"][1], claim_id, "accept").get_json()["status"] == "accepted"


def test_a_rejected_claim_is_closed_with_its_reason(client, submitted, crew):
    claim_id, _, account_id, headers, _ = submitted

    rejected = step(client, crew["station"][1], claim_id, "reject", {"reason": "不符合申领条件"})
    after = step(client, crew["station"][1], claim_id, "accept")
    no_reason = step(client, crew["station"][1], claim_id, "reject", {})

    assert rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["reason"] == "不符合申领条件"
    assert db.session.get(Claim, claim_id).open_key is None
    assert (after.status_code, error_of(after)["code"]) == (409, "wrong_stage")
    assert no_reason.status_code == 422
    assert record_pushes(account_id) == [f"claim:{claim_id}:rejected:1"]


def test_the_claimant_withdraws_before_approval(client, submitted, crew):
    claim_id, _, _, headers, _ = submitted

    withdrawn = step(client, headers, claim_id, "withdraw")
    staff = step(client, crew["station"][1], claim_id, "withdraw")

    assert withdrawn.get_json()["status"] == "withdrawn"
    assert staff.status_code == 403  # staff withdraw only a claim they entered


def test_an_upheld_objection_rejects_the_claim(client, submitted, crew):
    claim_id, _, account_id, _, _ = submitted
    to_notice(client, crew, claim_id)

    objection = client.post(
        f"{CLAIMS}/{claim_id}/objections",
        json={"text": "申领人已在外地就业", "raised_by": "村民"},
        headers=crew["station"][1],
    )
    blocked = None
    end_notice(claim_id)
    blocked = step(client, crew["district"][1], claim_id, "approve")
    objection_id = objection.get_json()["id"]
    upheld = client.post(
        f"{CLAIMS}/{claim_id}/objections/{objection_id}/resolve",
        json={"decision": "upheld", "resolution": "核实属实"},
        headers=crew["district"][1],
    )

    assert objection.status_code == 201, objection.get_json()
    assert (blocked.status_code, error_of(blocked)["code"]) == (409, "objection_open")
    assert upheld.status_code == 200, upheld.get_json()
    assert upheld.get_json()["status"] == "rejected"
    assert upheld.get_json()["objections"][0]["status"] == "upheld"
    assert f"claim:{claim_id}:rejected:1" in record_pushes(account_id)


def test_a_dismissed_objection_lets_the_claim_be_approved(client, submitted, crew):
    claim_id = submitted[0]
    to_notice(client, crew, claim_id)
    objection = client.post(
        f"{CLAIMS}/{claim_id}/objections", json={"text": "有异议"}, headers=crew["township"][1]
    )
    before_notice = step(client, crew["district"][1], claim_id, "second-review")

    dismissed = client.post(
        f"{CLAIMS}/{claim_id}/objections/{objection.get_json()['id']}/resolve",
        json={"decision": "dismissed", "resolution": "经核实不属实"},
        headers=crew["district"][1],
    )
    end_notice(claim_id)
    approved = step(client, crew["district"][1], claim_id, "approve")

    assert (before_notice.status_code, error_of(before_notice)["code"]) == (409, "wrong_stage")
    assert dismissed.get_json()["status"] == "in_notice"
    assert approved.get_json()["status"] == "approved"


def test_an_objection_outside_the_notice_is_409(client, submitted, crew):
    response = client.post(
        f"{CLAIMS}/{submitted[0]}/objections", json={"text": "有异议"}, headers=crew["station"][1]
    )

    assert (response.status_code, error_of(response)["code"]) == (409, "wrong_stage")


def test_approval_freezes_the_amount_a_later_policy_change_does_not_move(client, submitted, crew, author):
    claim_id, _, _, headers, version = submitted
    to_notice(client, crew, claim_id)
    end_notice(claim_id)
    assert step(client, crew["district"][1], claim_id, "approve").get_json()["approved_fen"] == 100000

    # A new version pays more; and the old one's text changed in place (it should not, but even so).
    make_version(author.id, benefit={"kind": "fixed", "amount": 3000}, policy=version.policy)
    version.benefit = {"kind": "fixed", "amount": 5000}
    db.session.commit()

    body = client.get(f"{CLAIMS}/{claim_id}", headers=headers).get_json()
    assert body["approved_fen"] == 100000


def test_the_approval_reaches_the_claimant_by_sms_first_the_other_steps_by_wechat(
    app, client, submitted, crew, fake_sms, monkeypatch
):
    # Sent at once whatever the hour the suite runs (quiet hours have their own tests).
    monkeypatch.setitem(app.config, "PUSH_QUIET_START", "00:00")
    monkeypatch.setitem(app.config, "PUSH_QUIET_END", "00:00")
    claim_id, resident_id, account_id, _, _ = submitted
    give_phone(resident_id, "13812340077")
    to_notice(client, crew, claim_id)
    end_notice(claim_id)

    assert step(client, crew["district"][1], claim_id, "approve").status_code == 200

    rows = db.session.execute(
        sa.select(Push.object_id, Push.channel, Push.status)
        .where(Push.account_id == account_id, Push.kind == "record_update")
        .order_by(Push.id)
    ).all()
    approved = [row for row in rows if ":approved:" in row.object_id]
    assert [(row.channel, row.status) for row in approved] == [("sms", "sent")]
    assert {row.channel for row in rows if row not in approved} == {"wechat"}
    assert [sms["params"]["result"] for sms in fake_sms.sent()] == ["已核准"]


def test_files_are_read_by_the_claimant_and_reviewers_in_place_audited(client, submitted, crew):
    claim_id, _, _, headers, _ = submitted
    upload = client.post(
        f"{CLAIMS}/{claim_id}/attachments",
        data={"file": (io.BytesIO(PDF), "证明.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    wrong_type = client.post(
        f"{CLAIMS}/{claim_id}/attachments",
        data={"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    url = f"{CLAIMS}/{claim_id}/attachments/{upload.get_json()['id']}"

    bodies = {}
    for who, who_headers in (
        ("own", headers),
        ("staff", crew["township"][1]),
        ("far", crew["far_station"][1]),
    ):
        response = client.get(url, headers=who_headers)
        bodies[who] = (response.status_code, response.data if response.status_code == 200 else None)
        response.close()  # a download holds its file open until closed

    assert wrong_type.status_code == 415
    assert bodies == {"own": (200, PDF), "staff": (200, PDF), "far": (404, None)}
    reads = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "claim.attachment_read")
    ).all()
    assert [event.actor_id for event in reads] == [crew["township"][0].id]


def test_the_queue_shows_staff_their_place_with_overdue_flags(client, submitted, crew, claimant, author):
    claim_id = submitted[0]
    far_id, _, far_headers = claimant(community=ELSEWHERE)
    far_match = make_match(make_version(author.id), far_id)
    client.post(CLAIMS, json=claim_body(far_match.id), headers=far_headers)
    claim = db.session.get(Claim, claim_id)
    claim.stage_due_on = local_day() - timedelta(days=1)
    db.session.commit()

    queue = client.get(CLAIMS, query_string={"status": "submitted"}, headers=crew["station"][1]).get_json()
    overdue = client.get(CLAIMS, query_string={"overdue": "true"}, headers=crew["station"][1]).get_json()
    read = client.get(f"{CLAIMS}/{claim_id}", headers=crew["station"][1])

    assert [item["id"] for item in queue["items"]] == [claim_id]
    assert queue["items"][0]["overdue"] is True
    assert [item["id"] for item in overdue["items"]] == [claim_id]
    assert read.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "claim.read")) == 1


def test_the_daily_run_counts_overdue_stages_and_ended_notices(
    app, client, submitted, crew, claimant, author
):
    claim_id = submitted[0]
    to_notice(client, crew, claim_id)
    end_notice(claim_id)
    late_id, _, late_headers = claimant()
    late_match = make_match(make_version(author.id), late_id)
    late = client.post(CLAIMS, json=claim_body(late_match.id), headers=late_headers).get_json()["id"]
    db.session.get(Claim, late).stage_due_on = local_day() - timedelta(days=2)
    db.session.commit()

    job = enqueue("claims.run_daily")

    assert job.return_value() == {"overdue": {"submitted": 1}, "notices_ready": 1, "notices_held": 0}
    claim = db.session.get(Claim, claim_id)
    db.session.refresh(claim)
    assert claim.status == "in_notice"  # nothing moves by itself


def test_the_person_gets_the_outcomes_on_wechat(app, client, author, wechat_login, fake_wechat, places, crew):
    app.config["PUSH_QUIET_START"] = app.config["PUSH_QUIET_END"] = "00:00"  # whatever the hour
    body, headers, codes = wechat_login()
    profile = {"name": "推送测试", "id_number": make_id_number(), "community_code": "341002002001"}
    resident_id = client.patch("/api/v1/me", json=profile, headers=headers).get_json()["id"]
    results = {RECORD_TEMPLATE: "accept", "errMsg": "ok"}
    client.post(
        "/api/v1/me/subscriptions", json={"client_id": client_id(), "results": results}, headers=headers
    )
    grant(fake_wechat, codes["openid"], RECORD_TEMPLATE)  # a standing yes on the phone
    match = make_match(make_version(author.id, title="灵活就业社会保险补贴"), resident_id)
    claim_id = client.post(CLAIMS, json=claim_body(match.id), headers=headers).get_json()["id"]

    step(client, crew["station"][1], claim_id, "accept")
    step(client, crew["township"][1], claim_id, "return", {"reason": "缺少参保证明"})

    sent = messages(fake_wechat, codes["openid"])
    assert [m["data"]["phrase2"]["value"] for m in sent] == ["已受理", "请补充材料"]
    assert {m["data"]["thing1"]["value"] for m in sent} == {"灵活就业社会保险补贴"}
    assert {m["page"] for m in sent} == {"pages/claims/index"}
