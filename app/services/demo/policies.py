"""Demo policies (示例政策), the people they find, and claims at every stage of review.

The six illustrative policies of app/data/demo_policies.json (marked is_demo and "示例" in their
titles; made-up document numbers and amounts) belong to 屯溪区: the district's demo admin
writes and submits them through the catalogue, and the city's demo admin publishes them (a
second admin, as catalogue.py requires). Their people (demo/policy_people.py) live in
昱中街道演示社区二: some qualify, some miss by one condition (near misses the mini-program
explains). Ten claims, entered at the counter by the township's demo admin (and one by the
demo's housekeeping company, with the hires it rests on) and moved on by the real review steps,
stand at every stage: one overdue, one in its public notice with an objection. Matching runs for
these people and that employer only. Policies are found by code and claims by client id, so a
second run adds nothing.
"""

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Account, Claim, ClaimStatus, Employer, Policy, utcnow
from app.services.demo.policy_people import demo_policy_people
from app.services.policies import catalogue, claim_intake, claim_review, matching

DEMO_POLICIES = Path(__file__).resolve().parents[2] / "data" / "demo_policies.json"
AUTHOR = "demo-district-admin"  # writes and submits; for a 屯溪区 policy, the district's manager
PUBLISHER = "demo-city-admin"  # the second manager, who publishes
COUNTER = "demo-township-admin"  # enters the claims at the counter and accepts them
FIRST_REVIEWER = "demo-station-staff"  # the first review is someone other than who accepted
DISTRICT_REVIEWER = "demo-district-admin"  # second review, notice, approval, payment
EMPLOYER_OPENID = "demo-employer-4"  # 黄山演示家政服务公司 (housekeeping): the employer policies'
BANK = {"bank_name": "演示农商银行屯溪支行", "bank_account": "6222000000000000"}
S = ClaimStatus


# (claimant, policy code, the stage the claim is brought to)
CLAIMS = (
    ("林峰", "DEMO-JNPX", S.submitted),
    ("黄丹", "DEMO-JNPX", S.accepted),
    ("许亮", "DEMO-JNPX", S.first_reviewed),
    ("冯霞", "DEMO-JNPX", S.second_reviewed),
    ("郑丽", "DEMO-LHSB", S.in_notice),
    ("马超", "DEMO-YCCY", S.approved),
    ("周敏", "DEMO-QZCY", S.paid),
    ("曹宇", "DEMO-JNPX", S.returned),
    ("邓洁", "DEMO-JNPX", S.rejected),
)
EMPLOYER_CLAIM = ("DEMO-XNJY", ("董梅", "袁刚"))
# The path to each stage, as the review steps go.
PATH = (S.accepted, S.first_reviewed, S.second_reviewed, S.in_notice, S.approved, S.paid)


def _account(username: str) -> Account | None:
    return db.session.scalar(sa.select(Account).where(Account.username == username))


def load_policies() -> list[dict]:
    """Return the demo policies as the JSON file describes them."""
    return json.loads(DEMO_POLICIES.read_text(encoding="utf-8"))["policies"]


# ---- the policies ---------------------------------------------------------------------------------


def demo_policies(author: Account, publisher: Account) -> int:
    """Write, submit and publish the demo policies that are missing; return how many (each step commits)."""
    added = 0
    for spec in load_policies():
        if db.session.scalar(sa.select(Policy.id).where(Policy.code == spec["code"])) is not None:
            continue
        values = {key: value for key, value in spec.items() if key != "_note"}
        version, _ = catalogue.create_policy(author, {**values, "is_demo": True}, None)
        catalogue.submit(author, version.policy_id, None)
        catalogue.publish(publisher, version.policy_id, None)
        added += 1
    return added


# ---- the claims -----------------------------------------------------------------------------------


def _known(author: Account, client_id: str) -> bool:
    return (
        db.session.scalar(
            sa.select(Claim.id).where(Claim.author_id == author.id, Claim.client_id == client_id)
        )
        is not None
    )


def _bring_to(claim_id: int, stage: S, staff: dict, number: int) -> None:
    """Move a submitted claim on through the real review steps until it stands at `stage`."""
    counter, first, district = staff["counter"], staff["first"], staff["district"]
    if stage == S.returned:
        claim_review.accept(counter, claim_id, {"note": "材料齐全"}, None)
        claim_review.return_claim(counter, claim_id, {"reason": "请补充职业技能等级证书复印件"}, None)
        return
    if stage == S.rejected:
        claim_review.reject(counter, claim_id, {"reason": "培训机构不在目录内，不符合补贴条件"}, None)
        return
    for step in PATH[: PATH.index(stage) + 1] if stage in PATH else ():
        if step == S.accepted:
            claim_review.accept(counter, claim_id, {"note": "材料齐全，予以受理"}, None)
        elif step == S.first_reviewed:
            claim_review.first_review(first, claim_id, {"note": "初审通过"}, None)
        elif step == S.second_reviewed:
            claim_review.second_review(district, claim_id, {"note": "复核通过"}, None)
        elif step == S.in_notice:
            claim_review.publicise(district, claim_id, {"note": "在社区公示栏及小程序公示"}, None)
            if stage == S.in_notice:
                values = {"text": "反映申请人已在外地享受同类补贴（示例）", "raised_by": "匿名群众"}
                claim_review.object_to(counter, claim_id, values, None)
                return
            # The notice ran its days before the demo: it ended yesterday, so approval may follow.
            claim = db.session.get(Claim, claim_id)
            days = max(claim.notice_until - claim.notice_from, timedelta(0))
            claim.notice_until = local_day() - timedelta(days=1)
            claim.notice_from = claim.notice_until - days
            db.session.commit()
        elif step == S.approved:
            claim_review.approve(district, claim_id, {"note": "公示无异议，予以核准"}, None)
        elif step == S.paid:
            claim_review.pay(district, claim_id, {"payment_reference": f"DEMO-PAY-{number:04d}"}, None)


def demo_claims(people: dict[str, int], employer: Employer | None) -> int:
    """Make the demo claims that are missing and bring each to its stage; return how many were made."""
    staff = {
        "counter": _account(COUNTER),
        "first": _account(FIRST_REVIEWER),
        "district": _account(DISTRICT_REVIEWER),
    }
    if None in staff.values():
        return 0
    codes = dict(db.session.execute(sa.select(Policy.code, Policy.id)).all())
    added = 0
    for number, (name, code, stage) in enumerate(CLAIMS, start=1):
        client_id = f"demo-policy-claim-{number}"
        if _known(staff["counter"], client_id) or code not in codes or name not in people:
            continue
        values = {
            "client_id": client_id,
            "resident_id": people[name],
            "policy_id": codes[code],
            "confirmed": True,
            "account_holder": name,
            **BANK,
            "bank_account": BANK["bank_account"][:-2] + f"{number:02d}",
        }
        claim, _ = claim_intake.make_claim(staff["counter"], values, None)
        db.session.commit()
        _bring_to(claim.id, stage, staff, number)
        if stage == S.submitted:
            # Entered a week ago and not yet accepted: the queue flags it overdue.
            row = db.session.get(Claim, claim.id)
            row.submitted_at = utcnow() - timedelta(days=7)
            row.stage_due_on = local_day() - timedelta(days=2)
            db.session.commit()
        added += 1
    added += _employer_claim(people, employer, codes)
    return added


def _employer_claim(people: dict[str, int], employer: Employer | None, codes: dict) -> int:
    """Make the employer's claim of 吸纳就业补贴 with the two hires it rests on (submitted)."""
    code, hires = EMPLOYER_CLAIM
    account = db.session.get(Account, employer.account_id) if employer and employer.account_id else None
    if account is None or code not in codes or _known(account, "demo-policy-employer-claim"):
        return 0
    values = {
        "client_id": "demo-policy-employer-claim",
        "policy_id": codes[code],
        "confirmed": True,
        "account_holder": employer.name,
        "bank_name": BANK["bank_name"],
        "bank_account": "6222000000009901",
        "hires": [people[name] for name in hires if name in people],
    }
    claim_intake.make_claim(account, values, None)
    db.session.commit()
    return 1


def create_demo_policies() -> dict:
    """Load the demo policies, their people and claims (what is missing); return how many were added."""
    author, publisher = _account(AUTHOR), _account(PUBLISHER)
    if author is None or publisher is None:
        return {"policies": 0, "policy_people": 0, "claims": 0}
    employer = db.session.scalar(
        sa.select(Employer)
        .join(Account, Account.id == Employer.account_id)
        .where(Account.openid == EMPLOYER_OPENID)
    )
    people, new_people = demo_policy_people(author, employer)
    policies = demo_policies(author, publisher)
    if new_people or policies:
        # Only the demo's own people and employer: publishing already matched the ledger inline
        # when jobs run inline; with a worker, these few must still be matched before claiming.
        matching.match_residents(sorted(people.values()))
        if employer is not None:
            matching.match_employers([employer.id])
        db.session.commit()
    return {"policies": policies, "policy_people": new_people, "claims": demo_claims(people, employer)}
