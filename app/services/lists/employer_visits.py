"""Employer visits (走访经营实体) and their open hiring needs (用工需求), newest visit first."""

from datetime import date

from sqlalchemy.orm import selectinload

from app.common.clock import local_day
from app.models import EmployerVisit, HiringNeed, JobCategory, SubsidyKind
from app.services.jobs.employer_visits import READ_ROLES, visits_statement
from app.services.jobs.hiring_needs import needs_statement
from app.services.lists.base import (
    PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    day,
    local_time,
    masked,
    place_name,
    staff_names,
)
from app.services.lists.jobs import wage
from app.services.lists.labels import choices, label


def _labels(kind: str, codes: list | None) -> str | None:
    """Show a list of codes as their labels, joined with 、."""
    return "、".join(label(kind, code) for code in codes) if codes else None


def _open_needs(visit: EmployerVisit, today: date) -> int:
    return sum(1 for need in visit.needs if need.state(today) == "open")


class EmployerVisits(Listing):
    """The visits and calls to employers in the actor's reach (a grid worker: their communities)."""

    name = "employer_visits"
    title = "走访经营实体"
    roles = READ_ROLES
    model = EmployerVisit
    columns = (
        Column("id", "编号"),
        Column("visited_on", "走访日期"),
        Column("channel", "方式"),
        Column("employer", "经营实体"),
        Column("credit_code", "统一社会信用代码"),
        Column("met_name", "接洽人", personal="name"),
        Column("met_title", "职务"),
        Column("needs", "用工需求"),
        Column("open_needs", "待处理需求"),
        Column("problems", "存在困难"),
        Column("problem_notes", "困难说明"),
        Column("subsidy_interest", "补贴意向"),
        Column("follow_up", "跟进事项"),
        Column("follow_up_on", "跟进日期"),
        Column("staff", "走访人"),
        Column("community", "社区/村"),
        Column("township", "街道/乡镇"),
        Column("created_at", "录入时间"),
    )
    filters = (
        Filter("channel", "方式", "choice", choices("employer_visit_channel")),
        Filter("has_open_needs", "有待处理需求", "choice", choices("yes_no")),
        Filter("subsidy", "补贴意向", "choice", choices("subsidy_kind", set(SubsidyKind))),
        Filter("place", "地区", "place", PLACE_LEVELS),
        Filter("since", "走访日期起", "date"),
        Filter("until", "走访日期止", "date"),
        Filter("q", "单位名称/信用代码", "text"),
    )
    sorts = {"visited": (EmployerVisit.visited_on,), "created": EmployerVisit.id}
    default_sort = "-visited"
    options = (selectinload(EmployerVisit.needs), selectinload(EmployerVisit.employer))
    newest_first = True

    def select(self, actor, filters: dict):
        """Return the visits in the actor's reach, filtered (the API's own filters)."""
        if "has_open_needs" in filters:
            filters = {**filters, "has_open_needs": filters["has_open_needs"] == "yes"}
        return visits_statement(actor, filters)

    def rows(self, objs: list, reveal) -> list[dict]:
        """Return the rows, with the batch's staff names read in one query."""
        names, today = staff_names(obj.staff_id for obj in objs), local_day()
        return [self.row(obj, reveal, names, today) for obj in objs]

    def row(self, obj: EmployerVisit, reveal, names=None, today=None) -> dict:
        """Return one visit as shown."""
        names = names if names is not None else staff_names([obj.staff_id])
        today = today or local_day()
        open_needs = _open_needs(obj, today)
        return {
            "id": obj.id,
            "visited_on": day(obj.visited_on),
            "channel": label("employer_visit_channel", obj.channel),
            "employer": obj.employer.name,
            "credit_code": obj.employer.credit_code,
            "met_name": masked(reveal, "name", obj.met_name),
            "met_title": obj.met_title,
            "needs": "；".join(f"{need.title}×{need.headcount}" for need in obj.needs) or None,
            "open_needs": open_needs,
            "open_needs_code": "yes" if open_needs else "no",
            "problems": _labels("employer_problem", obj.problems),
            "problem_notes": obj.problem_notes,
            "subsidy_interest": _labels("subsidy_kind", obj.subsidy_interest),
            "follow_up": obj.follow_up,
            "follow_up_on": day(obj.follow_up_on),
            "staff": names.get(obj.staff_id),
            "community": place_name("community", obj.community_id),
            "township": place_name("township", obj.township_id),
            "created_at": local_time(obj.created_at),
        }


class HiringNeeds(Listing):
    """The hiring needs on visits in the actor's reach: open ones by default, soonest deadline first."""

    name = "hiring_needs"
    title = "用工需求"
    roles = READ_ROLES
    model = HiringNeed
    columns = (
        Column("id", "编号"),
        Column("title", "岗位名称"),
        Column("employer", "经营实体"),
        Column("category", "岗位类别"),
        Column("kind", "用工形式"),
        Column("headcount", "人数"),
        Column("wage", "薪资"),
        Column("skills", "技能要求"),
        Column("deadline", "截止日期"),
        Column("visited_on", "走访日期"),
        Column("state", "状态"),
        Column("job_id", "岗位草稿编号"),
        Column("community", "社区/村"),
        Column("township", "街道/乡镇"),
    )
    filters = (
        Filter("state", "状态", "choice", choices("hiring_need_state"), default="open"),
        Filter("category", "岗位类别", "choice", choices("job_category", set(JobCategory))),
        Filter("place", "地区", "place", PLACE_LEVELS),
        Filter("since", "走访日期起", "date"),
        Filter("until", "走访日期止", "date"),
    )
    sorts = {"deadline": (HiringNeed.deadline.is_(None), HiringNeed.deadline), "id": HiringNeed.id}
    default_sort = "deadline"
    options = (selectinload(HiringNeed.employer), selectinload(HiringNeed.visit))

    def select(self, actor, filters: dict):
        """Return the hiring needs in the actor's reach, filtered (the API's own filters)."""
        return needs_statement(actor, filters)

    def rows(self, objs: list, reveal) -> list[dict]:
        """Return the rows, judged on one day."""
        today = local_day()
        return [self.row(obj, reveal, today) for obj in objs]

    def row(self, obj: HiringNeed, reveal, today=None) -> dict:
        """Return one hiring need as shown."""
        state = obj.state(today or local_day())
        return {
            "id": obj.id,
            "title": obj.title,
            "employer": obj.employer.name,
            "category": label("job_category", obj.category),
            "kind": label("job_kind", obj.kind),
            "headcount": obj.headcount,
            "wage": wage(obj),
            "skills": "、".join(obj.skills) if obj.skills else None,
            "deadline": day(obj.deadline),
            "visited_on": day(obj.visit.visited_on),
            "state": label("hiring_need_state", state.value),
            "state_code": state.value,
            "visit_id": obj.visit_id,
            "job_id": obj.job_id,
            "community": place_name("community", obj.community_id),
            "township": place_name("township", obj.township_id),
        }


VISITS = EmployerVisits()
NEEDS = HiringNeeds()
