"""Reports of fake jobs (虚假岗位举报): open ones first, newest first; placed where the job is.

Who reported stays out of the list: staff judge the job, not the resident who flagged it.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.models import Job, JobReport
from app.services.lists.base import (
    PLACE_LEVELS,
    Column,
    Filter,
    Listing,
    local_time,
    place_clause,
    place_name,
    since_clause,
)
from app.services.lists.jobs import JOB_LIST_ROLES
from app.services.lists.labels import choices, label
from app.services.people.scoping import scope_clause


class JobReports(Listing):
    """The reports of jobs in the actor's place."""

    name = "job_reports"
    title = "岗位举报"
    roles = JOB_LIST_ROLES
    model = JobReport
    columns = (
        Column("id", "编号"),
        Column("job_id", "岗位编号"),
        Column("job_title", "岗位名称"),
        Column("employer", "用人单位"),
        Column("reason", "举报理由"),
        Column("created_at", "举报时间"),
        Column("state", "处理状态"),
        Column("cleared_at", "处理时间"),
        Column("job_status", "岗位状态"),
        Column("open_reports", "该岗位待处理举报"),
        Column("township", "街道/乡镇"),
    )
    filters = (
        Filter("state", "处理状态", "choice", choices("report_state"), default="open"),
        Filter("place", "地区", "place", PLACE_LEVELS),
        Filter("since", "举报日期起", "date"),
        Filter("until", "举报日期止", "date"),
        Filter("q", "岗位名称", "text"),
    )
    sorts = {
        # Open reports first, the newest of each first.
        "open": (sa.case((JobReport.cleared_at.is_(None), 0), else_=1), JobReport.id.desc()),
        "created": JobReport.created_at,
        "id": JobReport.id,
    }
    default_sort = "open"
    options = (selectinload(Job.employer),)
    newest_first = True

    def key_of(self, obj) -> tuple:
        """Return the report's id (rows here are (report, job) pairs)."""
        return (obj.JobReport.id,)

    def select(self, actor, filters: dict):
        """Return (report, job) pairs of the jobs in the actor's place, filtered."""
        statement = (
            sa.select(JobReport, Job).join(Job, Job.id == JobReport.job_id).where(scope_clause(Job, actor))
        )
        if "state" in filters:
            cleared = JobReport.cleared_at
            statement = statement.where(
                cleared.is_(None) if filters["state"] == "open" else cleared.is_not(None)
            )
        if "place" in filters:
            statement = statement.where(place_clause(Job, filters["place"]))
        statement = statement.where(*since_clause(JobReport.created_at, filters))
        if "q" in filters:
            statement = statement.where(Job.title.contains(filters["q"], autoescape=True))
        return statement

    def row(self, obj, reveal) -> dict:
        """Return one report as shown."""
        report, job = obj.JobReport, obj.Job
        state = "open" if report.cleared_at is None else "cleared"
        return {
            "id": report.id,
            "job_id": job.id,
            "job_title": job.title,
            "employer": job.employer.name,
            "reason": report.reason,
            "created_at": local_time(report.created_at),
            "state": label("report_state", state),
            "state_code": state,
            "cleared_at": local_time(report.cleared_at),
            "job_status": label("job_status", job.status),
            "job_status_code": job.status,
            "open_reports": job.open_reports,
            "township": place_name("township", job.township_id),
        }


LISTING = JobReports()
