"""Helpers of the claims tests: a published policy and a match written straight to the tables.

The catalogue and matching have their own tests; here a claim needs only a version in force and
a qualified match (as matching would have recorded it) to start from.
"""

import itertools
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    City,
    District,
    Policy,
    PolicyMatch,
    PolicyVersion,
    Push,
    Resident,
    utcnow,
)
from tests.conftest import ME, SUBSCRIPTIONS, make_id_number

CLAIMS = "/api/v1/claims"
RECORD_TEMPLATE = "tmpl-record-update"
BANK = {"bank_name": "黄山农商银行", "account_holder": "申领人", "bank_account": "6228 4800 1234 5678 901"}
TUNXI = "341002000000"
_codes = itertools.count(1)


def client_id() -> str:
    """Return a fresh idempotency key."""
    return uuid.uuid4().hex


def make_version(
    author_id: int,
    subject: str = "person",
    benefit: dict | None = None,
    rule_facts: tuple = ("age", "employment_status"),
    claim_deadline: dict | None = None,
    claim_period: str = "once",
    notice_days: int = 7,
    district_code: str | None = TUNXI,
    title: str = "一次性求职创业补贴",
    policy: Policy | None = None,
) -> PolicyVersion:
    """Write a published version in force (a new policy unless `policy` is given); return it."""
    if policy is None:
        city_id = db.session.scalar(sa.select(City.id).limit(1))
        district_id = (
            db.session.scalar(sa.select(District.id).where(District.code == district_code))
            if district_code
            else None
        )
        policy = Policy(
            code=f"T-{next(_codes)}-{uuid.uuid4().hex[:6]}",
            subject=subject,
            city_id=city_id,
            district_id=district_id,
            created_by_id=author_id,
        )
        db.session.add(policy)
        db.session.flush()
    number = len(policy.versions) + 1
    version = PolicyVersion(
        policy_id=policy.id,
        number=number,
        status="published",
        title=title,
        document_number=f"黄人社〔2026〕{number}号",
        issuer="黄山市人社局",
        effective_from=date.today() - timedelta(days=30),
        benefit=benefit or {"kind": "fixed", "amount": 1000},
        claim_deadline=claim_deadline or {},
        claim_period=claim_period,
        notice_days=notice_days,
        rule={"and": [{">=": [{"var": name}, 0]} for name in rule_facts]},
        rule_facts=list(rule_facts),
        author_id=author_id,
        published_by_id=author_id,
        published_at=utcnow(),
    )
    db.session.add(version)
    db.session.commit()
    return version


def make_match(
    version: PolicyVersion,
    resident_id: int | None = None,
    employer=None,
    facts: dict | None = None,
    claim_deadline: date | None = None,
    status: str = "qualified",
) -> PolicyMatch:
    """Write a match of a resident (or an employer) to a version, with a trace; return it."""
    if employer is not None:
        subject, key = employer, f"e{employer.id}"
    else:
        subject, key = db.session.get(Resident, resident_id), f"r{resident_id}"
    facts = facts if facts is not None else {"age": 35, "employment_status": "unemployed"}
    match = PolicyMatch(
        subject_key=key,
        resident_id=resident_id,
        employer_id=employer.id if employer is not None else None,
        policy_id=version.policy_id,
        policy_version_id=version.id,
        status=status,
        amount_fen=100000,
        trace=[
            {"condition": {">=": [{"var": n}, 0]}, "facts": {n: v}, "held": True, "text": n, "missing": None}
            for n, v in facts.items()
        ],
        facts=facts,
        matched_at=utcnow(),
        claim_deadline=claim_deadline,
        **{name: getattr(subject, name) for name in PLACE_COLUMN_NAMES},
    )
    db.session.add(match)
    db.session.commit()
    return match


def claim_body(match_id: int | None = None, **fields) -> dict:
    """Return a resident's claim body: the match, the confirmation, the bank account."""
    body = {"client_id": client_id(), "confirmed": True, **BANK, **fields}
    if match_id is not None:
        body["match_id"] = match_id
    return body


def record_pushes(account_id: int) -> list[str]:
    """Return the object keys of the record_update pushes made to an account, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Push.object_id)
            .where(Push.account_id == account_id, Push.kind == "record_update")
            .order_by(Push.id)
        )
    )


# ---- fixtures (the test modules import the ones they use) ------------------------------------------

HOME = "341002002001"  # 昱中一社区 (城中 circle, 屯溪区)
ELSEWHERE = "341002001001"  # 昱东一社区 (城东 circle): outside the 城中 staff's place


@pytest.fixture
def author(make_staff):
    """The city admin who wrote the test policies."""
    return make_staff("city_admin", "city", "341000000000", username="policy-author")


@pytest.fixture
def claimant(client, wechat_login, places):
    """Return a factory: claimant(community=HOME) -> (resident id, account id, headers).

    A resident logged in through WeChat, with a name, an ID number and a community, who said yes
    to record notices.
    """

    def factory(community=HOME, name="申领人"):
        body, headers, _ = wechat_login()
        profile = {"name": name, "id_number": make_id_number("19900101"), "community_code": community}
        response = client.patch(ME, json=profile, headers=headers)
        assert response.status_code == 200, response.get_json()
        results = {RECORD_TEMPLATE: "accept", "errMsg": "ok"}
        report = client.post(
            SUBSCRIPTIONS, json={"client_id": client_id(), "results": results}, headers=headers
        )
        assert report.status_code == 200, report.get_json()
        return response.get_json()["id"], body["account"]["id"], headers

    return factory


@pytest.fixture
def crew(staff_headers):
    """The reviewers of 昱中 and 屯溪, and outsiders: {name: (account, headers)}."""
    return {
        "station": staff_headers("station_staff", "circle", "341002-chengzhong"),
        "station2": staff_headers("station_staff", "circle", "341002-chengzhong"),
        "township": staff_headers("township_admin", "township", "341002002000"),
        "district": staff_headers("district_admin", "district", TUNXI),
        "far_station": staff_headers("station_staff", "circle", "341002-chengdong"),
        "far_district": staff_headers("district_admin", "district", "341003000000"),
        "supervisor": staff_headers("supervisor", "circle", "341002-chengzhong"),
    }


def step(client, headers, claim_id: int, name: str, body: dict | None = None):
    """POST one review step of a claim."""
    return client.post(f"{CLAIMS}/{claim_id}/{name}", json=body or {}, headers=headers)


def side_claim(resident_id: int, author_id: int) -> dict:
    """Write a claim of a resident in its public notice, with a file and an objection; return their ids.

    For the API-wide checks (the authorization matrix): every claim route has an object to aim at.
    """
    from app.common import files
    from app.models import Claim, ClaimAttachment, ClaimObjection

    version = make_version(author_id, title="矩阵补贴")
    match = make_match(version, resident_id, status="claimed")
    resident = db.session.get(Resident, resident_id)
    claim = Claim(
        subject_key=f"r{resident_id}",
        resident_id=resident_id,
        policy_id=version.policy_id,
        policy_version_id=version.id,
        match_id=match.id,
        period="once",
        open_key=f"r{resident_id}:{version.policy_id}:once",
        status="in_notice",
        channel="resident",
        author_id=resident.account_id or author_id,
        client_id=client_id(),
        notice_from=date.today(),
        notice_until=date.today() + timedelta(days=6),
        **{name: getattr(resident, name) for name in PLACE_COLUMN_NAMES},
    )
    storage_name = files.store("claims", b"%PDF-1.4\n% matrix\n", files.PDF)
    claim.attachments.append(
        ClaimAttachment(
            storage_name=storage_name,
            content_type=files.PDF.content_type,
            name="矩阵.pdf",
            size=17,
            uploaded_by_id=author_id,
        )
    )
    claim.objections.append(ClaimObjection(text="矩阵异议", recorded_by_id=author_id))
    db.session.add(claim)
    db.session.commit()
    return {
        "claim_id": claim.id,
        "attachment_id": claim.attachments[0].id,
        "objection_id": claim.objections[0].id,
    }
