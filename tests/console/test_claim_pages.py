"""Benefit claims in the console (app/console/claims.py): the queues, a claim's page, its review steps.

Staff of the claim's place see the counts by stage and the claim's page (why it qualified, the
facts, the steps so far); each stage's role gets its button, and pressing it moves the claim as
the API's step would; a return needs its note; supervisors look on without buttons; other roles
get a 403 page, staff elsewhere a 404. District admins download the payment roster. Every code
the policies wing raises has its Chinese sentence.
"""

import re
from pathlib import Path

import sqlalchemy as sa

from app.console.messages import MESSAGES
from app.extensions import db
from app.models import AuditEvent, Claim
from tests.conftest import ME, make_id_number
from tests.console.lists_support import flash_after, page_of, post_action, sign_in_as
from tests.policies.claims_support import HOME, claim_body, make_match, make_version

QUEUE = "/console/claims"
WING = Path(__file__).resolve().parents[2] / "app" / "services" / "policies"


def submitted_claim(client, wechat_login, make_staff) -> int:
    """Make a resident of 昱中一社区 claim a policy they match (through the API); return the claim's id."""
    author = make_staff("city_admin", "city", "341000000000", username="policy-author")
    version = make_version(author.id, title="一次性求职创业补贴（测试）")
    _, headers, _ = wechat_login()
    profile = {"name": "申领人甲", "id_number": make_id_number("19900101"), "community_code": HOME}
    me = client.patch(ME, json=profile, headers=headers)
    assert me.status_code == 200, me.get_json()
    match = make_match(version, me.get_json()["id"])
    made = client.post("/api/v1/claims", json=claim_body(match.id), headers=headers)
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def status_of(claim_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Claim, claim_id).status


def test_station_staff_accept_a_claim_from_its_page(client, console_staff, wechat_login, make_staff):
    claim_id = submitted_claim(client, wechat_login, make_staff)
    first = sign_in_as(client, console_staff, "station_staff")

    queue = page_of(client, QUEUE)
    assert 'data-testid="count-submitted">1<' in queue and "申领人甲" in queue
    assert "一次性求职创业补贴（测试）" in queue and "待遇申领" in queue  # the row and the nav entry
    page = page_of(client, f"{QUEUE}/{claim_id}")
    assert "为什么符合" in page and "6228 **** **** 8901" in page
    assert "年龄" in page and "35岁" in page and "未就业" in page  # the facts, in words
    assert 'data-testid="step-accept"' in page and 'data-testid="step-first_review"' not in page
    accepted = post_action(client, page, f"{QUEUE}/{claim_id}/accept", note="材料齐全")
    page = flash_after(client, accepted)
    assert "已受理，进入初审" in page and status_of(claim_id) == "accepted"
    assert "待受理 → 待初审" in page and "材料齐全" in page  # the step and its note in the record
    # Whoever accepted does not also make the first review: no button for them.
    assert 'data-testid="step-first_review"' not in page
    assert first.id in {e.actor_id for e in db.session.get(Claim, claim_id).events}

    sign_in_as(client, console_staff, "station_staff")
    page = page_of(client, f"{QUEUE}/{claim_id}")
    assert 'data-testid="step-first_review"' in page
    flash_after(client, post_action(client, page, f"{QUEUE}/{claim_id}/first-review"))
    assert status_of(claim_id) == "first_reviewed"


def test_a_return_needs_its_note_and_a_wrong_stage_is_refused_in_chinese(
    client, console_staff, wechat_login, make_staff
):
    claim_id = submitted_claim(client, wechat_login, make_staff)
    sign_in_as(client, console_staff, "township_admin")
    page = page_of(client, f"{QUEUE}/{claim_id}")

    no_note = post_action(client, page, f"{QUEUE}/{claim_id}/return", note="")
    assert "请填写原因" in flash_after(client, no_note) and status_of(claim_id) == "submitted"
    too_early = post_action(client, page, f"{QUEUE}/{claim_id}/second-review")
    assert too_early.status_code == 403  # the district reviews second: not this role
    returned = post_action(client, page, f"{QUEUE}/{claim_id}/return", note="请补充毕业证书")
    assert "已退回补充材料" in flash_after(client, returned) and status_of(claim_id) == "returned"
    again = post_action(client, page, f"{QUEUE}/{claim_id}/accept")
    assert "不在这一环节" in flash_after(client, again) and status_of(claim_id) == "returned"


def test_who_sees_the_claim_pages(client, console_staff, wechat_login, make_staff):
    claim_id = submitted_claim(client, wechat_login, make_staff)
    sign_in_as(client, console_staff, "supervisor")
    page = page_of(client, f"{QUEUE}/{claim_id}")
    assert "为什么符合" in page and 'data-testid="steps"' not in page
    refused = post_action(client, page, f"{QUEUE}/{claim_id}/accept")
    assert refused.status_code == 403 and status_of(claim_id) == "submitted"

    sign_in_as(client, console_staff, "grid_worker")
    assert client.get(QUEUE).status_code == 403
    assert client.get(f"{QUEUE}/{claim_id}").status_code == 403
    sign_in_as(client, console_staff, "station_staff", ("circle", "341002-chengdong"))
    assert client.get(f"{QUEUE}/{claim_id}").status_code == 404
    assert "申领人甲" not in page_of(client, QUEUE)
    html = page_of(client, "/console/account")
    assert 'data-testid="roster"' not in page_of(client, QUEUE)
    forged = post_action(client, html, f"{QUEUE}/{claim_id}/accept")
    assert forged.status_code == 404 and status_of(claim_id) == "submitted"


def test_the_district_admin_takes_a_claim_to_paid_and_downloads_the_roster(
    client, console_staff, wechat_login, make_staff
):
    claim_id = submitted_claim(client, wechat_login, make_staff)
    claim = db.session.get(Claim, claim_id)
    # The first stages are the township's (their own tests are the API's): start at 复核.
    claim.status = "first_reviewed"
    db.session.commit()
    sign_in_as(client, console_staff, "district_admin")
    page = page_of(client, f"{QUEUE}/{claim_id}")
    flash_after(client, post_action(client, page, f"{QUEUE}/{claim_id}/second-review", note="复核通过"))
    page = flash_after(client, post_action(client, page, f"{QUEUE}/{claim_id}/publicise"))
    assert status_of(claim_id) == "in_notice" and "公示中" in page
    early = post_action(client, page, f"{QUEUE}/{claim_id}/approve")
    assert "公示期尚未结束" in flash_after(client, early) and status_of(claim_id) == "in_notice"

    objected = post_action(
        client, page, f"{QUEUE}/{claim_id}/object", note="反映已在外地领取", raised_by="群众"
    )
    page = flash_after(client, objected)
    assert "反映已在外地领取" in page and 'data-testid="resolve-' in page
    objection_id = int(re.search(r'data-testid="resolve-(\d+)"', page).group(1))
    dismissed = post_action(
        client,
        page,
        f"{QUEUE}/{claim_id}/resolve-objection",
        objection_id=str(objection_id),
        decision="dismissed",
        note="经核实不属实",
    )
    page = flash_after(client, dismissed)
    assert "异议不成立" in page and status_of(claim_id) == "in_notice"

    claim = db.session.get(Claim, claim_id)
    claim.notice_until = claim.notice_from = claim.notice_from.replace(year=claim.notice_from.year - 1)
    db.session.commit()
    page = flash_after(client, post_action(client, page, f"{QUEUE}/{claim_id}/approve"))
    assert status_of(claim_id) == "approved" and "1000.00 元" in page

    queue = page_of(client, f"{QUEUE}?status=approved")
    assert 'data-testid="roster"' in queue
    roster = post_action(client, queue, f"{QUEUE}/roster")
    assert roster.status_code == 200
    assert roster.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert roster.data[:2] == b"PK"
    roster.close()
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "claim.roster")) == 1

    no_reference = post_action(client, queue, f"{QUEUE}/{claim_id}/pay")
    assert "请填写发放凭证号" in flash_after(client, no_reference)
    paid = post_action(client, queue, f"{QUEUE}/{claim_id}/pay", payment_reference="FIN-2026-001")
    assert "已登记发放" in flash_after(client, paid) and status_of(claim_id) == "paid"


def test_every_code_the_policies_wing_raises_has_its_chinese_sentence():
    source = "\n".join(path.read_text(encoding="utf-8") for path in WING.glob("*.py"))
    raised = set(re.findall(r'code="([a-z_]+)"', source))
    raised |= set(re.findall(r'(?:Conflict|Forbidden|NotFound)\(\s*"([a-z_]+)"', source))
    # ValidationFailed(field, message, "code") with the code as the third argument.
    raised |= set(re.findall(r'ValidationFailed\(\s*"[a-z_]+",\s*(?:f?"[^"]*"\s*)+,\s*"([a-z_]+)"', source))
    # Codes held in a variable (set_bank_account), the default, and what the console itself raises.
    raised |= {"bank_required", "holder_required", "validation_error", "claim_not_found"}
    raised |= {"reason_missing", "payment_reference_required", "invalid_choice", "invalid_input"}
    # What the services they call raise: scoping, files (app/common/files.py).
    raised |= {"resident_not_found", "role_forbidden", "file_missing", "file_empty", "file_too_large"}
    raised |= {"file_type_not_allowed", "file_has_macros"}
    assert {"rule_invalid", "second_person_required", "wrong_stage", "claim_exists"} <= raised
    assert sorted(raised - set(MESSAGES)) == []


def test_the_demo_claims_fill_the_district_queues(app, runner, client, console_staff):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD="demo-password-for-tests")
    result = runner.invoke(args=["dev-setup"])
    assert result.exit_code == 0, result.output
    sign_in_as(client, console_staff, "district_admin")

    queue = page_of(client, QUEUE)
    counts = dict(re.findall(r'data-testid="count-(\w+)">(\d+)<', queue))
    assert counts == {
        "submitted": "2",  # a resident's (overdue) and the employer's
        "accepted": "1",
        "first_reviewed": "1",
        "second_reviewed": "1",
        "in_notice": "1",
        "approved": "1",
        "returned": "1",
        "paid": "1",
        "rejected": "1",
    }
    assert 'data-testid="late-submitted">超期 1<' in queue
    employer_claim = db.session.scalar(sa.select(Claim).where(Claim.employer_id.is_not(None)))
    page = page_of(client, f"{QUEUE}/{employer_claim.id}")
    assert "黄山演示家政服务公司" in page and "吸纳就业补贴（示例）" in page and "2000.00 元" in page
    assert "就业困难人员" in page and "残疾人" in page  # the hires' certified key groups
    notice = db.session.scalar(sa.select(Claim).where(Claim.status == "in_notice"))
    page = page_of(client, f"{QUEUE}/{notice.id}")
    assert "反映申请人已在外地享受同类补贴" in page and 'data-testid="step-approve"' in page
