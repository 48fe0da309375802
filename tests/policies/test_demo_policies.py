"""The demo's policies (`flask dev-setup`): six illustrative ones, who they find, claims at each stage."""

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Account, Claim, ClaimObjection, Policy, PolicyMatch, PolicyVersion, Resident
from app.services.demo import policies as demo
from app.services.policies import facts, ledger_facts, rules
from tests.support import count

DEMO_PASSWORD = "demo-password-for-tests"
TABLES = (Policy, PolicyVersion, PolicyMatch, Claim, ClaimObjection, Resident)


def dev_setup(app, runner) -> str:
    """Run `flask dev-setup` as `make run` does; return its output."""
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD=DEMO_PASSWORD)
    result = runner.invoke(args=["dev-setup"])
    assert result.exit_code == 0, result.output
    return result.output


def resident_id(name: str) -> int:
    return db.session.scalar(sa.select(Resident.id).where(Resident.name == name).order_by(Resident.id.desc()))


def policy(code: str) -> Policy:
    return db.session.scalar(sa.select(Policy).where(Policy.code == code))


def test_the_demo_loads_six_illustrative_policies_published_by_a_second_admin(app, runner):
    output = dev_setup(app, runner)

    assert "6 policies, 15 policy people, 10 claims" in output
    loaded = db.session.scalars(sa.select(Policy).order_by(Policy.code)).all()
    assert len(loaded) == 6 and all(p.is_demo for p in loaded)
    assert {p.subject for p in loaded} == {"person", "employer"}
    author = db.session.scalar(sa.select(Account.id).where(Account.username == demo.AUTHOR))
    publisher = db.session.scalar(sa.select(Account.id).where(Account.username == demo.PUBLISHER))
    for row in loaded:
        (version,) = row.versions
        assert version.status == "published" and "示例" in version.title
        assert version.document_number.startswith("示例〔2026〕")
        assert (version.author_id, version.published_by_id) == (author, publisher)
        assert version.rule_facts and set(version.rule_facts) <= set(facts.FACTS)
    titles = {p.versions[0].title for p in loaded}
    assert {"一次性求职创业补贴（示例）", "吸纳就业补贴（示例）", "公益性岗位补贴（示例）"} <= titles


def test_the_demo_people_match_nearly_match_and_claim_at_every_stage(app, runner):
    dev_setup(app, runner)

    def qualified(name: str, code: str) -> bool:
        return (
            count(
                PolicyMatch,
                PolicyMatch.resident_id == resident_id(name),
                PolicyMatch.policy_id == policy(code).id,
                PolicyMatch.status.in_(["qualified", "claimed"]),
            )
            == 1
        )

    # Who qualifies (a match recorded, with its trace).
    for name, code in (
        ("周敏", "DEMO-QZCY"),
        ("郑丽", "DEMO-LHSB"),
        ("马超", "DEMO-YCCY"),
        ("彭涛", "DEMO-JNPX"),
    ):
        assert qualified(name, code), (name, code)
    # Who misses by one condition: no match, and the rule says what is missing in plain Chinese.
    for name, code, missing in (
        ("吴磊", "DEMO-QZCY", "需先办理失业登记"),
        ("孙浩", "DEMO-LHSB", "就业困难人员"),
        ("何静", "DEMO-YCCY", "6 个月"),
    ):
        assert not qualified(name, code), (name, code)
        version = policy(code).versions[0]
        person = ledger_facts.person_facts([resident_id(name)])[resident_id(name)]
        result = rules.evaluate(version.rule, person, version.hints)
        assert result.near_miss and len(result.missing) == 1 and missing in result.missing[0], result.missing

    # Claims at every stage, one overdue, an objection in the notice, an employer's with its hires.
    statuses = sorted(db.session.scalars(sa.select(Claim.status).where(Claim.resident_id.is_not(None))))
    assert statuses == sorted(
        ["submitted", "accepted", "first_reviewed", "second_reviewed", "in_notice", "approved", "paid"]
        + ["returned", "rejected"]
    )
    in_notice = db.session.scalar(sa.select(Claim).where(Claim.status == "in_notice"))
    assert [o.status for o in in_notice.objections] == ["open"]
    paid = db.session.scalar(sa.select(Claim).where(Claim.status == "paid"))
    assert paid.approved_fen == 100000 and paid.payment_reference.startswith("DEMO-PAY-")
    assert [e.to_status for e in paid.events] == [
        "submitted",
        "accepted",
        "first_reviewed",
        "second_reviewed",
        "in_notice",
        "approved",
        "paid",
    ]
    overdue = db.session.scalar(
        sa.select(Claim).where(Claim.status == "submitted", Claim.resident_id.is_not(None))
    )
    assert overdue.stage_due_on < local_day()
    employer_claim = db.session.scalar(sa.select(Claim).where(Claim.employer_id.is_not(None)))
    assert employer_claim.status == "submitted" and employer_claim.channel == "employer"
    assert sorted(h.resident_id for h in employer_claim.hires) == sorted(
        [resident_id("董梅"), resident_id("袁刚")]
    )
    assert employer_claim.estimated_fen == 200000  # two key-group hires × 1,000 元
    employer_policies = {policy("DEMO-XNJY").id, policy("DEMO-GYGW").id}
    matched = db.session.scalars(
        sa.select(PolicyMatch.policy_id).where(PolicyMatch.employer_id == employer_claim.employer_id)
    )
    assert set(matched) == employer_policies  # a housekeeping company that hired key-group people
    # Who qualifies and has not claimed is left for the working list (彭涛; 周敏 for training too).
    assert count(PolicyMatch, PolicyMatch.status == "qualified", PolicyMatch.resident_id.is_not(None)) >= 2


def test_the_demo_run_twice_adds_nothing(app, runner):
    dev_setup(app, runner)
    before = {model.__tablename__: count(model) for model in TABLES}
    claims = [(c.id, c.status, c.updated_at) for c in db.session.scalars(sa.select(Claim).order_by(Claim.id))]
    db.session.commit()

    again = dev_setup(app, runner)

    assert "0 policies, 0 policy people, 0 claims" in again
    assert {model.__tablename__: count(model) for model in TABLES} == before
    assert [
        (c.id, c.status, c.updated_at) for c in db.session.scalars(sa.select(Claim).order_by(Claim.id))
    ] == claims
