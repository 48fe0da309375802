"""Scenario 8: policies find people (政策找人) over the whole generated ledger.

Runs in-process, as the RQ worker runs `policies.match_version` / `policies.match_all`. Six
policies shaped like the common ones (the demo's shapes, defined here, marked BENCH-) are
written published straight into the catalogue; then it times, on a fresh connection each:
1. match_version of the first (一次性求职创业补贴): one version over every resident;
2. match_all: the six at once over every resident (one facts gathering per chunk);
3. match_all again: the steady state of the daily run (nothing new to write or push).
Target: each at most 60 s at Huangshan scale (1.33 million residents). The rules read what the
generator fills in (status, key groups as listed, ages, households, résumés), declared or
certified, so the figures include real matches; the evaluations figure is the memo's misses.
"""

import time
from datetime import date, timedelta

import sqlalchemy as sa

from bench.common import bench_app, scenario_main, summary_row, write_result

TARGET_SECONDS = 60
CODE_PREFIX = "BENCH-"


def _group(name: str) -> dict:
    """A condition: in the key group, certified or as listed in the ledger."""
    return {"or": [{"in": [name, {"var": "key_groups"}]}, {"in": [name, {"var": "declared_key_groups"}]}]}


# (code, title, benefit, claim deadline, rule): the six shapes of the demo.
POLICIES = (
    (
        "QZCY",
        "一次性求职创业补贴",
        {"kind": "fixed", "amount": 1000},
        {"within_days": 90},
        {
            "and": [
                _group("college_graduate"),
                {"in": [{"var": "employment_status"}, ["unemployed_registered", "unemployed"]]},
                {">=": [{"var": "age"}, 16]},
            ]
        },
    ),
    (
        "LHSB",
        "灵活就业社会保险补贴",
        {"kind": "monthly", "amount_per_month": 300, "max_months": 36},
        {"within_days": 180},
        {
            "and": [
                {"==": [{"var": "employment_status"}, "flexible"]},
                {
                    "or": [
                        _group("hard_to_employ"),
                        _group("flexible_worker"),
                        _group("college_graduate"),
                    ]
                },
                {"<=": [{"var": "age"}, 60]},
            ]
        },
    ),
    (
        "YCCY",
        "一次性创业补贴",
        {"kind": "fixed", "amount": 5000},
        {"within_days": 365},
        {
            "and": [
                {"in": [{"var": "employment_status"}, ["employed", "flexible"]]},
                {"or": [_group("returning_migrant"), _group("veteran"), _group("college_graduate")]},
                {">=": [{"var": "age"}, 18]},
            ]
        },
    ),
    (
        "JNPX",
        "职业技能培训补贴",
        {"kind": "fixed", "amount": 1500},
        {"within_days": 120},
        {
            "and": [
                {"in": [{"var": "employment_status"}, ["unemployed_registered", "unemployed"]]},
                {">=": [{"var": "age"}, 16]},
                {"<=": [{"var": "age"}, 60]},
            ]
        },
    ),
    (
        "LJYJT",
        "零就业家庭就业援助补贴",
        {"kind": "fixed", "amount": 2000},
        {"within_days": 60},
        {
            "and": [
                {"==": [{"var": "zero_employment_household"}, True]},
                {">=": [{"var": "age"}, 16]},
                {"<=": [{"var": "age"}, 59]},
            ]
        },
    ),
    (
        "GYGW",
        "就业困难人员公益性岗位补贴",
        {"kind": "monthly", "amount_per_month": 1200, "max_months": 36},
        {"by": (date.today() + timedelta(days=365)).isoformat()},
        {
            "and": [
                _group("hard_to_employ"),
                {"in": [{"var": "employment_status"}, ["unemployed_registered", "unemployed", "employed"]]},
                {"<=": [{"var": "age"}, 59]},
            ]
        },
    ),
)


def clear() -> None:
    """Delete the scenario's earlier policies, their matches and pushes (a rerun starts clean)."""
    from app.extensions import db
    from app.models import Push
    from app.models.policies import Policy, PolicyVersion
    from app.models.policy_matches import PolicyMatch

    ids = list(db.session.scalars(sa.select(Policy.id).where(Policy.code.like(f"{CODE_PREFIX}%"))))
    if not ids:
        return
    versions = list(db.session.scalars(sa.select(PolicyVersion.id).where(PolicyVersion.policy_id.in_(ids))))
    db.session.execute(
        sa.delete(Push).where(
            Push.object_type == "policy_version", Push.object_id.in_([str(v) for v in versions])
        )
    )
    db.session.execute(sa.delete(PolicyMatch).where(PolicyMatch.policy_id.in_(ids)))
    db.session.execute(sa.delete(PolicyVersion).where(PolicyVersion.policy_id.in_(ids)))
    db.session.execute(sa.delete(Policy).where(Policy.id.in_(ids)))
    db.session.commit()


def publish(today: date) -> list[int]:
    """Write the six policies, each with one published version in force; return the version ids."""
    from app.extensions import db
    from app.models import Account, City, Role
    from app.models.policies import Policy, PolicyVersion
    from app.services.policies import benefits, rules

    author = db.session.scalar(sa.select(Account.id).where(Account.role == Role.city_admin).limit(1))
    author = author or db.session.scalar(sa.select(Account.id).order_by(Account.id).limit(1))
    city = db.session.scalar(sa.select(City.id).order_by(City.id).limit(1))
    ids = []
    for code, title, benefit, deadline, rule in POLICIES:
        policy = Policy(
            code=CODE_PREFIX + code, subject="person", city_id=city, created_by_id=author, is_demo=True
        )
        version = PolicyVersion(
            policy=policy,
            number=1,
            status="published",
            title=title,
            document_number="（基准测试）",
            issuer="基准测试",
            summary=f"基准测试用的{title}",
            place_codes=[],
            effective_from=today - timedelta(days=30),
            benefit=benefits.check(benefit, "person"),
            claim_deadline=deadline,
            rule=rule,
            rule_facts=rules.check(rule),
            author_id=author,
            published_by_id=author,
        )
        db.session.add_all([policy, version])
        db.session.flush()
        ids.append(version.id)
    db.session.commit()
    return ids


def timed(call) -> tuple[float, dict]:
    """Run one matching call on a fresh session; return its seconds and counts."""
    from app.extensions import db

    db.session.remove()
    started = time.perf_counter()
    counts = call()
    return round(time.perf_counter() - started, 2), counts


def measure(today: date | None = None) -> dict:
    """Publish the six and time the three runs (inside an app context); return the figures."""
    from app.common.clock import local_day
    from app.extensions import db
    from app.models import Resident
    from app.models.policy_matches import PolicyMatch
    from app.services.policies import matching

    today = today or local_day()
    clear()
    versions = publish(today)
    first_seconds, first = timed(lambda: matching.match_version(versions[0], today))
    all_seconds, everything = timed(lambda: matching.match_all(today))
    again_seconds, again = timed(lambda: matching.match_all(today))
    residents = db.session.scalar(sa.select(sa.func.count()).select_from(Resident))
    by_policy = dict(
        db.session.execute(
            sa.select(PolicyMatch.policy_version_id, sa.func.count())
            .where(PolicyMatch.policy_version_id.in_(versions))
            .group_by(PolicyMatch.policy_version_id)
        ).all()
    )
    return {
        "residents": residents,
        "policies": len(versions),
        "match_version": {"seconds": first_seconds, **first},
        "match_all": {"seconds": all_seconds, **everything["person"]},
        "match_all_again": {"seconds": again_seconds, **again["person"]},
        "matches_by_policy": {
            code: by_policy.get(v, 0) for (code, *_), v in zip(POLICIES, versions, strict=True)
        },
    }


def run(scale: str = "tunxi", quick: bool = False) -> dict:
    """Time the matching runs over the generated ledger; write the result."""
    app = bench_app()  # first: the app's config reads the benchmark's environment on import
    with app.app_context():
        figures = measure()
    slowest = max(figures[name]["seconds"] for name in ("match_version", "match_all", "match_all_again"))
    return write_result(
        "policy_match",
        {
            "scale": scale,
            "via": "in-process (services.policies.matching, as the RQ tasks run it)",
            **figures,
            "target_seconds": TARGET_SECONDS,
            "meets_target": slowest <= TARGET_SECONDS,
        },
    )


def summary(result: dict) -> list[dict]:
    """Return this scenario's rows for make bench's table: figure, value, unit, target, met."""
    target = f"<= {result.get('target_seconds', TARGET_SECONDS)}"
    return [
        summary_row(label, result[key]["seconds"], "s", target, result[key]["seconds"] <= TARGET_SECONDS)
        for key, label in (
            ("match_version", "one policy over every resident"),
            ("match_all", "every policy at once"),
            ("match_all_again", "every policy again (the daily run)"),
        )
    ]


if __name__ == "__main__":
    scenario_main(run, __doc__)
