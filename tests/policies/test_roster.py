"""The payment roster: a district admin's Excel of approved claims, masked, audited with its count."""

# The fixtures come from claims_support (imported by name), so each test's argument shadows the import.
# ruff: noqa: F811

import io
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.models import AuditEvent, Claim, Resident
from tests.policies.claims_support import (  # noqa: F401  (fixtures)
    CLAIMS,
    author,
    claim_body,
    claimant,
    crew,
    make_match,
    make_version,
    step,
)
from tests.support import error_of

ROSTER = f"{CLAIMS}/roster"
HEADERS = [
    "申领编号",
    "姓名/单位",
    "身份证号(脱敏)/信用代码",
    "开户银行",
    "账户名",
    "银行账号(脱敏)",
    "金额(元)",
    "政策名称",
    "政策文号",
    "核准日期",
]


def approved_claim(client, crew, author, claimant, amount=1000) -> tuple[int, int]:
    """Take a fresh resident's claim to approved; return (claim id, resident id)."""
    resident_id, _, headers = claimant(name="王小明")
    match = make_match(make_version(author.id, benefit={"kind": "fixed", "amount": amount}), resident_id)
    claim_id = client.post(CLAIMS, json=claim_body(match.id), headers=headers).get_json()["id"]
    step(client, crew["station"][1], claim_id, "accept")
    step(client, crew["township"][1], claim_id, "first-review")
    step(client, crew["district"][1], claim_id, "second-review")
    step(client, crew["district"][1], claim_id, "publicise")
    claim = db.session.get(Claim, claim_id)
    claim.notice_until -= timedelta(days=10)
    db.session.commit()
    response = step(client, crew["district"][1], claim_id, "approve")
    assert response.status_code == 200, response.get_json()
    return claim_id, resident_id


def read(data: bytes) -> tuple[list, list, list]:
    """Read the roster back: its title block, headers and rows."""
    table = [
        [cell.value for cell in row] for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows()
    ]
    return [row[0] for row in table[:6]], table[7], table[8:]


def test_the_roster_lists_approved_claims_masked_and_is_audited(client, crew, author, claimant):
    claim_id, resident_id = approved_claim(client, crew, author, claimant, amount=1234.5)
    approved_claim(client, crew, author, claimant)
    pending_id, _, pending_headers = claimant()
    pending = make_match(make_version(author.id), pending_id)
    client.post(CLAIMS, json=claim_body(pending.id), headers=pending_headers)

    response = client.get(ROSTER, headers=crew["district"][1])

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    title, headers, rows = read(response.data)
    assert title[0] == "补贴发放花名册"
    assert headers == HEADERS
    assert len(rows) == 2
    first = dict(zip(headers, rows[0], strict=True))
    resident = db.session.get(Resident, resident_id)
    assert first["申领编号"] == claim_id
    assert first["姓名/单位"] == "王小明"
    assert first["身份证号(脱敏)/信用代码"] == resident.id_number_hint
    assert "*" in first["身份证号(脱敏)/信用代码"]
    assert first["银行账号(脱敏)"] == "6228 **** **** 8901"
    assert first["金额(元)"] == "1234.50"
    assert first["政策名称"] == "一次性求职创业补贴"
    assert first["政策文号"].startswith("黄人社")
    # The full account number never leaves the server.
    assert b"62284800123456789" not in response.data
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "claim.roster"))
    assert event.detail["count"] == 2
    assert event.actor_id == crew["district"][0].id


def test_the_roster_by_policy_and_only_for_the_district_admin(client, crew, author, claimant):
    claim_id, _ = approved_claim(client, crew, author, claimant)
    policy_id = db.session.get(Claim, claim_id).policy_id

    mine = client.get(ROSTER, query_string={"policy_id": policy_id}, headers=crew["district"][1])
    other = client.get(ROSTER, query_string={"policy_id": policy_id + 1000}, headers=crew["district"][1])
    far = client.get(ROSTER, headers=crew["far_district"][1])
    station = client.get(ROSTER, headers=crew["station"][1])

    assert len(read(mine.data)[2]) == 1
    assert read(other.data)[2] == []
    assert read(far.data)[2] == []  # another district's admin: none of these claims
    assert station.status_code == 403
    assert error_of(station)["code"] in ("role_forbidden", "forbidden")


def test_a_paid_claim_leaves_the_roster(client, crew, author, claimant):
    claim_id, _ = approved_claim(client, crew, author, claimant)

    step(client, crew["district"][1], claim_id, "pay", {"payment_reference": "FIN-1"})

    assert read(client.get(ROSTER, headers=crew["district"][1]).data)[2] == []
