"""Jobs: posts published, open and expired in a month, applications, interviews and hires, reports.

Per circle, per employer size (micro and small firms are the plan's priority) and per child place.
Month-bounded indexed reads: jobs by published_at, by (status, valid_until); applications by
created_at and by (status, status_changed_at); open reports (a small table). A job's place is
where the job is; an application counts at its job's place.
"""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    Circle,
    District,
    Employer,
    EmployerSize,
    Job,
    JobReport,
    JobStatus,
    visible_clause,
)
from app.services.stats import labels
from app.services.stats.base import Grouping, chart, in_place, ratio, table, window
from app.services.stats.places import PlaceRef, ref

FIGURES = {
    "published": "本月发布岗位",
    "open": "在招岗位",
    "open_positions": "在招人数",
    "expired": "本月到期岗位",
    "applications": "本月投递",
    "interviews": "本月进入面试",
    "hires": "本月录用",
    "priority_share": "小微企业在招岗位占比",
    "reports_open": "待处理举报",
    "reported_jobs": "被举报岗位",
    "reports_received": "本月收到举报",
}
COUNTS = ("published", "open", "open_positions", "expired", "applications", "interviews", "hires")
COUNT_COLUMNS = [(name, FIGURES[name]) for name in COUNTS]
PRIORITY_SIZES = (EmployerSize.micro, EmployerSize.small)


def jobs(actor: Account, place: PlaceRef, month: date) -> dict:
    """Return a place's job figures for a month, per circle, per employer size and per child place."""
    span = window(month)
    grouping = Grouping(place)
    # The posts are grouped per employer first, then each employer's size joined in: MariaDB then
    # reads the posts once instead of all employers and going into jobs per employer (165 → 80 ms).
    keys = [
        *grouping.columns(Job),
        Job.circle_id.label("job_circle_id"),
        Job.employer_id.label("employer_id"),
    ]
    if span.current:
        open_now = visible_clause(span.now)
    else:  # live at the month's end, as far as the post's dates tell
        open_now = sa.and_(
            Job.published_at < span.end_utc,
            Job.valid_until >= span.end_utc,
            sa.or_(Job.closed_at.is_(None), Job.closed_at >= span.end_utc),
            Job.status.in_([JobStatus.published, JobStatus.closed, JobStatus.expired]),
        )
    published = sa.and_(Job.published_at >= span.start_utc, Job.published_at < span.end_utc)
    expired = sa.and_(
        Job.status == JobStatus.expired, Job.valid_until >= span.start_utc, Job.valid_until < span.end_utc
    )
    found: list[tuple[str, object, int]] = []  # (figure, row, n)
    # One pass over the posts that count in any figure (at city scale, the ~50,000 open ones).
    posts = (
        sa.select(
            *keys,
            _count(published).label("n_published"),
            _count(open_now).label("n_open"),
            _count(open_now, Job.headcount).label("n_open_positions"),
            _count(expired).label("n_expired"),
        )
        .where(in_place(Job, place), sa.or_(published, open_now, expired))
        .group_by(*keys)
    )
    counted = ("published", "open", "open_positions", "expired")
    for row in db.session.execute(_by_size(posts, grouping, counted)):
        for figure, n in zip(counted, row[-4:], strict=True):
            found.append((figure, row, int(n or 0)))
    # Applications: three index ranges (created_at; status with status_changed_at) beat one scan.
    # (Here joining employers directly is faster: the month's applications drive the plan.)
    size = sa.func.coalesce(Employer.size, "unknown").label("size")
    application_keys = [*keys[:-1], size]
    applications = (
        sa.select(*application_keys, sa.func.count())
        .select_from(Application)
        .join(Job, Job.id == Application.job_id)
        .join(Employer, Employer.id == Job.employer_id)
        .where(in_place(Job, place))
        .group_by(*application_keys)
    )
    changed = (Application.status_changed_at >= span.start_utc, Application.status_changed_at < span.end_utc)
    for figure, conditions in (
        ("applications", (Application.created_at >= span.start_utc, Application.created_at < span.end_utc)),
        ("interviews", (Application.status == ApplicationStatus.interview, *changed)),
        ("hires", (Application.status == ApplicationStatus.hired, *changed)),
    ):
        for row in db.session.execute(applications.where(*conditions)):
            found.append((figure, row, row[-1]))
    totals, by_circle, by_size, per_child = _empty(), {}, {}, {}
    for figure, row, n in found:
        totals[figure] += n
        by_circle.setdefault(row.job_circle_id, _empty())[figure] += n
        by_size.setdefault(row.size, _empty())[figure] += n
        key = grouping.key(row)
        if key is not None:
            per_child.setdefault(key, _empty())[figure] += n
    reports = _reports(place, span)
    priority_open = sum(by_size.get(s, _empty())["open"] for s in PRIORITY_SIZES)
    figures = {**totals, "priority_share": ratio(priority_open, totals["open"]), **reports}
    size_rows = [
        {"key": key, "name": name, **by_size.get(key, _empty()), "priority": key in PRIORITY_SIZES}
        for key, name in labels.EMPLOYER_SIZES.items()
    ]
    circle_rows = _circle_rows(by_circle)
    child_rows = grouping.rows(per_child, _empty())
    return {
        "section": "jobs",
        "place": place.as_dict(),
        "month": span.label,
        "live": span.current,
        "figures": figures,
        "labels": FIGURES,
        "series": {
            "by_size": chart(
                [r["name"] for r in size_rows],
                [
                    (name, FIGURES[name], [r[name] for r in size_rows])
                    for name in ("published", "open", "hires")
                ],
            ),
            "by_circle": chart(
                [r["place"] for r in circle_rows],
                [
                    (name, FIGURES[name], [r[name] for r in circle_rows])
                    for name in ("published", "open", "hires")
                ],
            ),
            "pipeline": chart(
                [FIGURES[name] for name in ("applications", "interviews", "hires")],
                [("count", "人次", [totals[name] for name in ("applications", "interviews", "hires")])],
            ),
        },
        "tables": {
            "by_circle": table([("place", "就业圈"), *COUNT_COLUMNS], circle_rows),
            "by_size": table([("name", "企业规模"), *COUNT_COLUMNS], size_rows),
            "children": table([("place", "地点"), *COUNT_COLUMNS], child_rows),
        },
    }


def _empty() -> dict:
    return dict.fromkeys(COUNTS, 0)


def _by_size(grouped, grouping: Grouping, counted: tuple[str, ...]):
    """Return `grouped` (counts n_<figure> per place and employer) summed per place and employer size."""
    inner = grouped.subquery()
    keys = [*(inner.c[name] for name in grouping.names), inner.c.job_circle_id]
    size = sa.func.coalesce(Employer.size, "unknown").label("size")
    return (
        sa.select(*keys, size, *(sa.func.sum(inner.c[f"n_{name}"]) for name in counted))
        .join(Employer, Employer.id == inner.c.employer_id)
        .group_by(*keys, size)
    )


def _count(condition, value=1):
    """Return SUM(value) over the rows meeting `condition` (a conditional count)."""
    return sa.func.sum(sa.case((condition, value), else_=0))


def _circle_rows(by_circle: dict) -> list[dict]:
    """Return a row per circle with jobs (by circle id), the jobs outside every circle last."""
    circles = db.session.scalars(
        sa.select(Circle)
        .join(District)
        .where(Circle.id.in_([i for i in by_circle if i is not None]))
        .order_by(Circle.id)
    )
    rows = []
    for circle in circles:
        place = ref("circle", circle)
        rows.append({"place": place.name, "path": place.path, **by_circle[circle.id]})
    if None in by_circle:
        rows.append({"place": labels.NO_CIRCLE, "path": None, **by_circle[None]})
    return rows


def _reports(place: PlaceRef, span) -> dict:
    """Count reports still open (and the jobs they name) and those received in the month, in the place."""
    open_reports, reported_jobs = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(JobReport.job_id)))
        .join(Job, Job.id == JobReport.job_id)
        .where(in_place(Job, place), JobReport.cleared_at.is_(None))
    ).one()
    received = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(JobReport)
        .join(Job, Job.id == JobReport.job_id)
        .where(
            in_place(Job, place), JobReport.created_at >= span.start_utc, JobReport.created_at < span.end_utc
        )
    )
    return {"reports_open": open_reports, "reported_jobs": reported_jobs, "reports_received": received}
