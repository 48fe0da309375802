"""Key-group certifications (重点群体认定): the review queue (pending first by default) and its export."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.common.clock import local_day
from app.models import Certification, CertificationStatus
from app.services.lists.base import (
    PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    day,
    local_time,
    masked,
    place_clause,
    place_name,
)
from app.services.lists.labels import choices, label
from app.services.people.scoping import scoped
from app.services.registrations.certifications import CERTIFIABLE, READ_ROLES

# "Expiring": certified ones whose validity ends within this many days.
EXPIRING = (("30", "30天内到期"), ("90", "90天内到期"))


class Certifications(Listing):
    """The certifications in the actor's place; reviewers open one to decide, supervisors look on."""

    name = "certifications"
    title = "重点群体认定"
    roles = READ_ROLES
    model = Certification
    columns = (
        Column("id", "编号"),
        Column("resident", "姓名", personal="name"),
        Column("key_group", "重点群体"),
        Column("graduation_year", "毕业年份"),
        Column("source", "来源"),
        Column("evidence", "证明材料"),
        Column("status", "状态"),
        Column("valid_from", "有效期起"),
        Column("valid_until", "有效期至"),
        Column("reason", "审核意见"),
        Column("community", "社区/村"),
        Column("township", "街道/乡镇"),
        Column("created_at", "申请时间"),
        Column("decided_at", "审核时间"),
    )
    filters = (
        Filter(
            "status",
            "状态",
            "choice",
            choices("certification_status", set(CertificationStatus)),
            default="pending",
        ),
        Filter("key_group", "重点群体", "choice", choices("key_group", set(CERTIFIABLE))),
        Filter("expiring", "即将到期", "choice", EXPIRING),
        Filter("place", "地区", "place", PLACE_LEVELS),
    )
    sorts = {
        "created": Certification.created_at,
        "valid_until": Certification.valid_until,
        "id": Certification.id,
    }
    default_sort = "created"
    options = (selectinload(Certification.resident), selectinload(Certification.evidence))

    def select(self, actor, filters: dict):
        """Return the certifications in the actor's place, filtered."""
        statement = scoped(sa.select(Certification), Certification, actor)
        if "status" in filters:
            statement = statement.where(Certification.status == filters["status"])
        if "key_group" in filters:
            statement = statement.where(Certification.key_group == filters["key_group"])
        if "expiring" in filters:
            today = local_day()
            statement = statement.where(
                Certification.status == CertificationStatus.certified,
                Certification.valid_until.between(today, today + timedelta(days=int(filters["expiring"]))),
            )
        if "place" in filters:
            statement = statement.where(place_clause(Certification, filters["place"]))
        return statement

    def row(self, obj: Certification, reveal) -> dict:
        """Return one certification as shown."""
        return {
            "id": obj.id,
            "resident": masked(reveal, "name", obj.resident.name),
            "key_group": label("key_group", obj.key_group),
            "graduation_year": obj.graduation_year,
            "source": label("certification_source", obj.source),
            "evidence": f"{len(obj.evidence)} 份",
            "status": label("certification_status", obj.status),
            "status_code": obj.status,
            "valid_from": day(obj.valid_from),
            "valid_until": day(obj.valid_until),
            "reason": obj.reason,
            "community": place_name("community", obj.community_id),
            "township": place_name("township", obj.township_id),
            "created_at": local_time(obj.created_at),
            "decided_at": local_time(obj.decided_at),
        }


LISTING = Certifications()
