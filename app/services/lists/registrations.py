"""Registrations (失业登记 / 就业登记): the review queue by default (submitted, oldest first)."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.models import (
    ContractType,
    EmploymentKind,
    EndingReason,
    EnteredVia,
    FollowUpChannel,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Resident,
)
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
    yes_no,
)
from app.services.people.scoping import scoped
from app.services.registrations.records import READ_ROLES

# The Chinese of this listing's codes (kept here: only registrations use them).
LABELS = {
    "kind": {RegistrationKind.unemployment: "失业登记", RegistrationKind.employment: "就业登记"},
    "status": {
        RegistrationStatus.pending_confirmation: "待本人确认",
        RegistrationStatus.submitted: "待审核",
        RegistrationStatus.accepted: "已受理",
        RegistrationStatus.rejected: "未通过",
        RegistrationStatus.withdrawn: "已撤回",
        RegistrationStatus.ended: "已终止",
    },
    "entered_via": {
        EnteredVia.resident: "本人申请",
        EnteredVia.staff: "窗口代办",
        EnteredVia.employer: "单位登记",
    },
    "employment_kind": {
        EmploymentKind.employed: "单位就业",
        EmploymentKind.self_employed: "个体经营",
        EmploymentKind.flexible: "灵活就业",
    },
    "contract_type": {
        ContractType.fixed_term: "固定期限",
        ContractType.open_ended: "无固定期限",
        ContractType.task_based: "以完成一定任务为期限",
        ContractType.part_time: "非全日制",
        ContractType.labour_service: "劳务协议",
        ContractType.none: "无合同",
    },
    "channel": {
        FollowUpChannel.self: "本人小程序确认",
        FollowUpChannel.phone: "电话",
        FollowUpChannel.station: "到站",
        FollowUpChannel.visit: "上门",
    },
    "ending_reason": {
        EndingReason.hired: "经平台录用",
        EndingReason.registered_employed: "已就业登记",
        EndingReason.status_changed: "就业状态变更",
        EndingReason.no_follow_up: "逾期未联系",
        EndingReason.withdrawn: "本人注销",
        EndingReason.staff_ended: "工作人员注销",
        EndingReason.left_job: "离职",
    },
}


def text(kind: str, code: str | None) -> str | None:
    """Return the Chinese of one of this listing's codes (the code itself when it has none)."""
    return None if code is None else LABELS[kind].get(code, code)


def pairs(kind: str) -> tuple:
    """Return (code, 中文) pairs of a choice filter."""
    return tuple((code.value, label) for code, label in LABELS[kind].items())


class Registrations(Listing):
    """The registrations placed in the actor's place."""

    name = "registrations"
    title = "失业/就业登记"
    roles = READ_ROLES
    model = Registration
    columns = (
        Column("id", "编号"),
        Column("number", "登记编号"),
        Column("kind", "登记类型"),
        Column("resident", "姓名", "name"),
        Column("status", "状态"),
        Column("entered_via", "办理方式"),
        Column("community", "社区/村"),
        Column("township", "街道/乡镇"),
        Column("left_on", "离职日期"),
        Column("reason_for_leaving", "失业原因"),
        Column("wants_training", "愿意培训"),
        Column("employment_kind", "就业形式"),
        Column("employer", "单位"),
        Column("contract_type", "合同类型"),
        Column("started_on", "入职日期"),
        Column("submitted_at", "提交时间"),
        Column("valid_until", "有效期至"),
        Column("ended_on", "终止日期"),
        Column("ending_reason", "终止原因"),
        Column("review_note", "审核意见"),
    )
    filters = (
        Filter("status", "状态", "choice", pairs("status"), default=RegistrationStatus.submitted.value),
        Filter("kind", "登记类型", "choice", pairs("kind")),
        Filter("entered_via", "办理方式", "choice", pairs("entered_via")),
        Filter("place", "地区", "place", PLACE_LEVELS),
        Filter("q", "姓名/登记编号", "text"),
    )
    sorts = {
        "submitted": (Registration.submitted_at, Registration.id),
        "valid_until": Registration.valid_until,
        "id": Registration.id,
    }
    default_sort = "submitted"
    options = (selectinload(Registration.resident),)

    def select(self, actor, filters: dict):
        """Return the registrations in the actor's place, filtered."""
        statement = scoped(sa.select(Registration), Registration, actor)
        for name in ("status", "kind", "entered_via"):
            if name in filters:
                statement = statement.where(getattr(Registration, name) == filters[name])
        if "place" in filters:
            statement = statement.where(place_clause(Registration, filters["place"]))
        if "q" in filters:
            q = filters["q"]
            named = sa.select(Resident.id).where(Resident.name.contains(q, autoescape=True))
            statement = statement.where(
                sa.or_(Registration.number.contains(q, autoescape=True), Registration.resident_id.in_(named))
            )
        return statement

    def row(self, obj: Registration, reveal) -> dict:
        """Return one registration as shown."""
        return {
            "id": obj.id,
            "number": obj.number,
            "kind": text("kind", obj.kind),
            "kind_code": obj.kind,
            "resident": masked(reveal, "name", obj.resident.name),
            "status": text("status", obj.status),
            "status_code": obj.status,
            "entered_via": text("entered_via", obj.entered_via),
            "community": place_name("community", obj.community_id),
            "township": place_name("township", obj.township_id),
            "left_on": day(obj.left_on),
            "reason_for_leaving": obj.reason_for_leaving,
            "wants_training": yes_no(obj.wants_training),
            "employment_kind": text("employment_kind", obj.employment_kind),
            "employer": obj.employer_name,
            "contract_type": text("contract_type", obj.contract_type),
            "started_on": day(obj.started_on),
            "submitted_at": local_time(obj.submitted_at),
            "valid_until": day(obj.valid_until),
            "ended_on": day(obj.ended_on),
            "ending_reason": text("ending_reason", obj.ending_reason),
            "review_note": obj.review_note,
        }


LISTING = Registrations()
