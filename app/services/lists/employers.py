"""Employers to verify (用人单位核验): pending ones first by default, oldest registration first."""

import sqlalchemy as sa

from app.common.crypto import decrypt
from app.models import Employer, EmployerSize, EmployerStatus, Role
from app.services.jobs.employers import VERIFY_ROLES
from app.services.lists.base import (
    PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    local_time,
    masked,
    place_clause,
    place_name,
)
from app.services.lists.labels import choices, label
from app.services.people.scoping import scoped


class Employers(Listing):
    """The employers in the actor's place; verifiers work the pending ones, supervisors look on."""

    name = "employers"
    title = "用人单位核验"
    roles = VERIFY_ROLES | {Role.supervisor}
    model = Employer
    columns = (
        Column("id", "编号"),
        Column("name", "单位名称"),
        Column("credit_code", "统一社会信用代码"),
        Column("size", "规模"),
        Column("industry", "行业"),
        Column("contact_name", "联系人", personal="name"),
        Column("contact_phone", "联系电话", personal="phone"),
        Column("address", "经营地址"),
        Column("community", "社区/村"),
        Column("township", "街道/乡镇"),
        Column("licence", "营业执照"),
        Column("status", "核验状态"),
        Column("claimed", "微信认领"),
        Column("decision_reason", "核验意见"),
        Column("created_at", "注册时间"),
        Column("decided_at", "核验时间"),
    )
    filters = (
        Filter(
            "status", "核验状态", "choice", choices("employer_status", set(EmployerStatus)), default="pending"
        ),
        Filter("size", "规模", "choice", choices("employer_size", set(EmployerSize))),
        Filter("claimed", "微信认领", "choice", (("yes", "已认领"), ("no", "待认领"))),
        Filter("place", "地区", "place", PLACE_LEVELS),
        Filter("q", "单位名称/信用代码", "text"),
    )
    sorts = {
        "created": Employer.created_at,
        "name": Employer.name,
        "decided": Employer.decided_at,
        "id": Employer.id,
    }
    default_sort = "created"

    def select(self, actor, filters: dict):
        """Return the employers in the actor's place, filtered."""
        statement = scoped(sa.select(Employer), Employer, actor)
        if "status" in filters:
            statement = statement.where(Employer.status == filters["status"])
        if "size" in filters:
            statement = statement.where(Employer.size == filters["size"])
        if "claimed" in filters:
            claimed = Employer.account_id.is_not(None)
            statement = statement.where(claimed if filters["claimed"] == "yes" else ~claimed)
        if "place" in filters:
            statement = statement.where(place_clause(Employer, filters["place"]))
        if "q" in filters:
            q = filters["q"]
            statement = statement.where(
                sa.or_(Employer.credit_code == q.upper(), Employer.name.contains(q, autoescape=True))
            )
        return statement

    def row(self, obj: Employer, reveal) -> dict:
        """Return one employer as shown."""
        return {
            "id": obj.id,
            "name": obj.name,
            "credit_code": obj.credit_code,
            "size": label("employer_size", obj.size),
            "industry": label("job_category", obj.industry),
            "contact_name": masked(reveal, "name", obj.contact_name),
            "contact_phone": masked(
                reveal,
                "phone",
                None,
                obj.contact_phone_hint,
                lambda: decrypt(obj.contact_phone_enc, "phone") if obj.contact_phone_enc else None,
            ),
            "address": obj.address,
            "community": place_name("community", obj.community_id),
            "township": place_name("township", obj.township_id),
            "licence": "已上传" if obj.licence_file else "未上传",
            "status": label("employer_status", obj.status),
            "status_code": obj.status,
            # A business staff registered in the field has no WeChat account until it claims it.
            "claimed": "已认领" if obj.account_id is not None else "待认领",
            "claimed_code": "yes" if obj.account_id is not None else "no",
            "decision_reason": obj.decision_reason,
            "created_at": local_time(obj.created_at),
            "decided_at": local_time(obj.decided_at),
        }


LISTING = Employers()
