"""Jobs to review (岗位审核): pending review by default, the least credible employers' first.

The queue's default order puts the jobs of employers with the lowest credibility (and those not
rated yet) first, the longest waiting first among equals: they are the ones to read closely, and a
reviewer working the queue top-down reaches them fresh (docs/PROGRAMME.md, "Employer credibility").
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.models import STAFF_ROLES, Employer, Job, JobCategory, JobKind, JobStatus, Role
from app.services.lists.base import (
    PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    local_time,
    place_clause,
    place_name,
    yes_no,
)
from app.services.lists.labels import choices, label
from app.services.people.scoping import scoped

# The employer's credibility score (employers.credibility_score), -1 when never computed.
CREDIBILITY = sa.func.coalesce(
    sa.select(Employer.credibility_score).where(Employer.id == Job.employer_id).scalar_subquery(), -1
)
# Reviewers (jobs.posts.REVIEW_ROLES) work the queue; admins and the supervisor look on. Grid
# workers recommend live jobs from the board, not from the review queue.
JOB_LIST_ROLES = STAFF_ROLES - {Role.grid_worker}


def wage(job: Job) -> str | None:
    """Show a job's wage range with its unit: 3000–4500 元/月."""
    if job.wage_min is None and job.wage_max is None:
        return None
    low, high = job.wage_min, job.wage_max
    amount = f"{low}–{high}" if low is not None and high is not None and low != high else str(low or high)
    return f"{amount} {label('wage_unit', job.wage_unit)}"


class Jobs(Listing):
    """The job posts in the actor's place, for review."""

    name = "jobs"
    title = "岗位审核"
    roles = JOB_LIST_ROLES
    model = Job
    columns = (
        Column("id", "编号"),
        Column("title", "岗位名称"),
        Column("employer", "用人单位"),
        Column("category", "岗位类别"),
        Column("kind", "用工形式"),
        Column("wage", "薪资"),
        Column("headcount", "招聘人数"),
        Column("community", "社区/村"),
        Column("township", "街道/乡镇"),
        Column("status", "状态"),
        Column("credibility", "单位信用分"),
        Column("open_reports", "待处理举报"),
        Column("hidden_by_reports", "因举报下架"),
        Column("submitted_at", "提交时间"),
        Column("valid_until", "有效期至"),
        Column("review_reason", "审核意见"),
    )
    filters = (
        Filter("status", "状态", "choice", choices("job_status", set(JobStatus)), default="pending_review"),
        Filter("category", "岗位类别", "choice", choices("job_category", set(JobCategory))),
        Filter("kind", "用工形式", "choice", choices("job_kind", set(JobKind))),
        Filter("place", "地区", "place", PLACE_LEVELS),
        Filter("q", "岗位名称/单位名称", "text"),
    )
    sorts = {
        "credibility": (CREDIBILITY, Job.submitted_at),
        "submitted": Job.submitted_at,
        "reports": Job.open_reports,
        "valid_until": Job.valid_until,
        "title": Job.title,
        "id": Job.id,
    }
    default_sort = "credibility"
    options = (selectinload(Job.employer),)

    def select(self, actor, filters: dict):
        """Return the jobs in the actor's place, filtered."""
        statement = scoped(sa.select(Job), Job, actor)
        for name in ("status", "category", "kind"):
            if name in filters:
                statement = statement.where(getattr(Job, name) == filters[name])
        if "place" in filters:
            statement = statement.where(place_clause(Job, filters["place"]))
        if "q" in filters:
            q = filters["q"]
            statement = statement.where(
                sa.or_(
                    Job.title.contains(q, autoescape=True),
                    Job.employer_id.in_(
                        sa.select(Employer.id).where(Employer.name.contains(q, autoescape=True))
                    ),
                )
            )
        return statement

    def row(self, obj: Job, reveal) -> dict:
        """Return one job as shown."""
        return {
            "id": obj.id,
            "title": obj.title,
            "employer": obj.employer.name,
            "employer_id": obj.employer_id,
            "category": label("job_category", obj.category),
            "kind": label("job_kind", obj.kind),
            "wage": wage(obj),
            "headcount": obj.headcount,
            "community": place_name("community", obj.community_id),
            "township": place_name("township", obj.township_id),
            "status": label("job_status", obj.status),
            "status_code": obj.status,
            "credibility": obj.employer.credibility_score,
            "open_reports": obj.open_reports,
            "hidden_by_reports": yes_no(obj.hidden_by_reports),
            "submitted_at": local_time(obj.submitted_at),
            "valid_until": local_time(obj.valid_until),
            "review_reason": obj.review_reason,
        }


LISTING = Jobs()
