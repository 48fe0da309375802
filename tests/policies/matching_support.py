"""Helpers of the matching tests: policies published through the catalogue, residents in the ledger."""

import itertools
from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Push, Resident
from app.models.policy_matches import PolicyMatch
from app.services.people.personal_data import set_id_number
from app.services.people.places import community_by_code
from app.services.people.residents import set_community
from app.services.people.status import record_status
from app.services.policies import catalogue
from tests.conftest import make_id_number

_codes = itertools.count(1)

# 登记失业的人 aged 16–60: the shape of a common subsidy.
REGISTERED_UNEMPLOYED = {
    "and": [
        {"==": [{"var": "employment_status"}, "unemployed_registered"]},
        {">=": [{"var": "age"}, 16]},
        {"<=": [{"var": "age"}, 60]},
    ]
}
FLEXIBLE = {"and": [{"==": [{"var": "employment_status"}, "flexible"]}, {"<=": [{"var": "age"}, 60]}]}


def birth_for(age: int) -> str:
    """Return a YYYYMMDD birth date for someone `age` years old today (their birthday months ago)."""
    today = local_day()
    return f"{today.year - age}0101" if today >= date(today.year, 1, 2) else f"{today.year - age - 1}0101"


def admins(make_staff) -> tuple:
    """Return two city admins: an author and the second person who publishes."""
    return make_staff("city_admin", "city", "341000000000"), make_staff("city_admin", "city", "341000000000")


def publish(
    author,
    publisher,
    rule: dict,
    benefit: dict | None = None,
    title: str = "一次性求职创业补贴",
    place_codes: list | None = None,
    claim_deadline: dict | None = None,
    hints: dict | None = None,
    subject: str = "person",
    policy_id: int | None = None,
) -> int:
    """Create (or edit) a policy, submit it and publish it as a second admin; return the version id.

    Publishing enqueues policies.match_version, which the synchronous test queue runs at once.
    """
    values = {
        "subject": subject,
        "code": f"T-M{next(_codes)}",
        "title": title,
        "document_number": "黄人社〔2026〕1号",
        "issuer": "黄山市人力资源和社会保障局",
        "summary": title,
        "effective_from": (local_day() - timedelta(days=10)).isoformat(),
        "benefit": benefit or {"kind": "fixed", "amount": 1000},
        "claim_deadline": claim_deadline if claim_deadline is not None else {"within_days": 90},
        "rule": rule,
        "hints": hints or {},
        "place_codes": place_codes or [],
    }
    if policy_id is None:
        version, _ = catalogue.create_policy(author, values, None)
        policy_id = version.policy_id
    else:
        values.pop("subject"), values.pop("code")
        catalogue.edit(author, policy_id, values, None)
    catalogue.submit(author, policy_id, None)
    return catalogue.publish(publisher, policy_id, None).id


def resident(community: str = "341002002001", status: str = "unemployed", age: int = 30, account_id=None):
    """Write a resident of `age` with `status` into the ledger (no WeChat unless `account_id`); commit."""
    person = (
        db.session.scalar(sa.select(Resident).where(Resident.account_id == account_id))
        if account_id
        else None
    )
    if person is None:
        person = Resident(name="测试居民", account_id=account_id)
        db.session.add(person)
    set_id_number(person, make_id_number(birth=birth_for(age)))
    set_community(person, community_by_code(community))
    record_status(person, status, "staff")
    db.session.commit()
    return person


def set_status(resident_id: int, status: str) -> None:
    """Change a resident's status as staff would (one transaction, committed)."""
    record_status(db.session.get(Resident, resident_id), status, "staff")
    db.session.commit()


def matches(*where) -> list[PolicyMatch]:
    """Return the matches, oldest first (a fresh read)."""
    db.session.commit()
    return list(db.session.scalars(sa.select(PolicyMatch).where(*where).order_by(PolicyMatch.id)))


def match_set() -> set[tuple]:
    """Return every match as (subject, version, status): what both paths must agree on."""
    db.session.commit()
    return set(
        db.session.execute(
            sa.select(PolicyMatch.subject_key, PolicyMatch.policy_version_id, PolicyMatch.status)
        ).all()
    )


def policy_pushes(account_id: int | None = None) -> list[Push]:
    """Return the policy_notice pushes (of one account)."""
    db.session.commit()
    where = [Push.kind == "policy_notice"] + ([Push.account_id == account_id] if account_id else [])
    return list(db.session.scalars(sa.select(Push).where(*where).order_by(Push.id)))
