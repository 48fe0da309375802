"""The payment roster (发放花名册): a district's approved claims, as a finance office needs them.

Only masked values leave the server: the ID number's and the bank account's hints. The payment
is made by the finance system from the encrypted record (a later issue may add an audited full
export). Every roster is audited with how many rows it held.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.common.clock import local_day
from app.errors import Forbidden
from app.extensions import db
from app.models import Account, Claim, ClaimStatus, District, Role
from app.services.people import audit
from app.services.people.scoping import scoped

# The columns, in order: (key, Chinese header).
COLUMNS = (
    ("claim_id", "申领编号"),
    ("name", "姓名/单位"),
    ("id_number", "身份证号(脱敏)/信用代码"),
    ("bank_name", "开户银行"),
    ("account_holder", "账户名"),
    ("bank_account", "银行账号(脱敏)"),
    ("amount_yuan", "金额(元)"),
    ("policy_title", "政策名称"),
    ("document_number", "政策文号"),
    ("approved_on", "核准日期"),
)


def rows(actor: Account, filters: dict, ip: str | None = None) -> list[dict]:
    """Return the approved (not yet paid) claims of the district admin's district, oldest first; audited."""
    if actor.role != Role.district_admin:
        raise Forbidden("role_forbidden", "The district admin exports the payment roster.")
    statement = scoped(sa.select(Claim), Claim, actor).where(Claim.status == ClaimStatus.approved.value)
    if filters.get("policy_id") is not None:
        statement = statement.where(Claim.policy_id == filters["policy_id"])
    claims = db.session.scalars(
        statement.order_by(Claim.decided_at, Claim.id).options(
            selectinload(Claim.version), selectinload(Claim.resident), selectinload(Claim.employer)
        )
    )
    found = [row_of(claim) for claim in claims]
    audit.commit(
        "claim.roster",
        actor=actor,
        ip=ip,
        detail={"count": len(found), "policy_id": filters.get("policy_id")},
    )
    return found


def row_of(claim: Claim) -> dict:
    """Return one claim's roster row (masked ID number and bank account, the amount in yuan)."""
    if claim.resident is not None:
        name, number = claim.resident.name, claim.resident.id_number_hint
    else:
        name, number = claim.employer.name, claim.employer.credit_code
    amount = claim.approved_fen if claim.approved_fen is not None else 0
    return {
        "claim_id": claim.id,
        "name": name,
        "id_number": number,
        "bank_name": claim.bank_name,
        "account_holder": claim.account_holder,
        "bank_account": claim.bank_account_hint,
        "amount_yuan": f"{amount // 100}.{amount % 100:02d}",
        "policy_title": claim.version.title,
        "document_number": claim.version.document_number,
        "approved_on": local_day(claim.decided_at).isoformat() if claim.decided_at else None,
    }


def place_name(actor: Account) -> str:
    """Return the name of the district whose roster it is (for the file's title block)."""
    district = db.session.get(District, actor.scope_id)
    return district.name if district is not None else ""
