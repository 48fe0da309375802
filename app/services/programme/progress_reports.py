"""Progress reports (工作进展月报): a district's monthly report to the city, and the city's review.

draft → filed → accepted, or filed → returned (with the city's comments) → filed again. One
report per district and month (the unique key: creating it again returns it). The district admin
writes the text (存在问题, 典型经验, 下步打算: all three needed to file) and files it once the
month is over; filing freezes the platform's indicators (programme/indicators.py) as they are
then, and each refiling freezes them afresh. Until filed, the report shows them live. The city
admin sees every district of the city for a month, filed or not, side by side.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day, month_start
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Account, District, ProgressReport, ReportStatus, Role, ScopeKind, utcnow
from app.services.people import audit
from app.services.people.places import describe_place
from app.services.programme.indicators import INDICATORS, indicators
from app.services.results import Page, paginate

S = ReportStatus
TEXT_FIELDS = ("problems", "good_practice", "next_steps")
STATUS_TEXT = {
    S.draft.value: "草稿",
    S.filed.value: "已报送",
    S.returned.value: "已退回",
    S.accepted.value: "已审阅",
    "missing": "未报送",
}
READERS = frozenset({Role.district_admin, Role.city_admin})


def _audit(action: str, actor: Account, report: ProgressReport, ip: str | None, **detail) -> None:
    """Record one step of a report (it commits with the change)."""
    audit.record(
        action,
        actor=actor,
        object_type="progress_report",
        object_id=report.id,
        ip=ip,
        detail={"status": report.status, "month": f"{report.month:%Y-%m}", **detail},
    )


def _require(actor: Account, *roles: Role) -> None:
    """Refuse a role outside `roles`, or an account not placed at its role's level."""
    if actor.role not in roles:
        raise Forbidden("role_forbidden", "Your role may not use this.")
    level = ScopeKind.district.value if actor.role == Role.district_admin else ScopeKind.city.value
    if actor.scope_kind != level or actor.scope_id is None:
        raise Forbidden("role_forbidden", "Your account is not placed at its role's level.")


def _clause(actor: Account):
    """Return the WHERE clause of the reports a reader sees: its district's, or its city's."""
    if actor.role == Role.district_admin:
        return ProgressReport.district_id == actor.scope_id
    return ProgressReport.city_id == actor.scope_id


def _report(actor: Account, report_id: int, for_update: bool = False) -> ProgressReport:
    """Load a report the reader sees, or 404."""
    _require(actor, *READERS)
    statement = sa.select(ProgressReport).where(ProgressReport.id == report_id, _clause(actor))
    report = db.session.scalar(statement.with_for_update() if for_update else statement)
    if report is None:
        raise NotFound("progress_report_not_found", f"No progress report {report_id} in your area.")
    return report


def indicator_rows(values: dict | None) -> list[dict]:
    """Return indicators as labelled rows in their order (None values where not counted)."""
    values = values or {}
    return [{"key": key, "label": label, "value": values.get(key)} for key, label in INDICATORS]


def view(report: ProgressReport) -> dict:
    """Return a report as shown: its fields, the district, and the indicators (live until filed)."""
    shown = {column.key: getattr(report, column.key) for column in ProgressReport.__table__.columns}
    live = report.status == S.draft.value
    values = indicators(report.district_id, report.month) if live else report.indicators
    return {
        **shown,
        "month": f"{report.month:%Y-%m}",
        "status_text": STATUS_TEXT[report.status],
        "district": describe_place("district", report.district_id),
        "indicators_live": live,
        "indicators": indicator_rows(values),
    }


def _existing(district_id: int, month: date) -> ProgressReport | None:
    """Return the district's report of the month, if written."""
    return db.session.scalar(
        sa.select(ProgressReport).where(
            ProgressReport.district_id == district_id, ProgressReport.month == month
        )
    )


def _set_text(report: ProgressReport, values: dict) -> None:
    """Set the report's text fields given (empty clears one)."""
    for name in TEXT_FIELDS:
        if name in values:
            setattr(report, name, (values[name] or "").strip() or None)


def create(actor: Account, values: dict, ip: str | None) -> tuple[dict, bool]:
    """Start my district's report of a month; the month's report written before is returned as it is."""
    _require(actor, Role.district_admin)
    month = month_start(values["month"])
    if month > local_day():
        raise ValidationFailed("month", "That month has not begun.", code="month_in_future")
    existing = _existing(actor.scope_id, month)
    if existing is not None:
        return view(existing), False
    district = db.session.get(District, actor.scope_id)
    report = ProgressReport(
        district_id=district.id,
        city_id=district.city_id,
        month=month,
        status=S.draft.value,
        indicators={},
        created_by_id=actor.id,
    )
    _set_text(report, values)
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError:  # the same month's report started twice at once: the unique key kept one
        db.session.rollback()
        return view(_existing(actor.scope_id, month)), False
    _audit("progress_report.create", actor, report, ip)
    db.session.commit()
    return view(report), True


def _editable(actor: Account, report_id: int) -> ProgressReport:
    """Load my district's report while it is a draft or returned, locked."""
    _require(actor, Role.district_admin)
    report = _report(actor, report_id, for_update=True)
    _status(report, S.draft, S.returned)
    return report


def _status(report: ProgressReport, *allowed: S) -> None:
    """Refuse a step from a status it does not start from (409 report_status_conflict)."""
    if report.status not in {status.value for status in allowed}:
        raise Conflict(
            "report_status_conflict",
            f"This step does not apply to a report that is {report.status}.",
            field="status",
        )


def edit(actor: Account, report_id: int, values: dict, ip: str | None) -> dict:
    """Change the text of my district's draft or returned report."""
    report = _editable(actor, report_id)
    _set_text(report, values)
    _audit("progress_report.edit", actor, report, ip, fields=sorted(values))
    db.session.commit()
    return view(report)


def file(actor: Account, report_id: int, ip: str | None, values: dict | None = None) -> dict:
    """File (报送) my district's report once its month is over, with any last text; its indicators freeze."""
    report = _editable(actor, report_id)
    _set_text(report, values or {})
    if report.month >= month_start(local_day()):
        raise Conflict("month_not_over", "A month's report is filed once the month is over.", field="month")
    for name in TEXT_FIELDS:
        if not getattr(report, name):
            raise ValidationFailed(
                name, "Write this part of the report before filing it.", code="report_text_required"
            )
    report.indicators = indicators(report.district_id, report.month)
    report.status = S.filed.value
    report.times_filed += 1
    report.filed_by_id, report.filed_at = actor.id, utcnow()
    _audit("progress_report.file", actor, report, ip, times_filed=report.times_filed)
    db.session.commit()
    return view(report)


def _deciding(actor: Account, report_id: int) -> ProgressReport:
    """Load a filed report of the city admin's city for its decision, locked."""
    _require(actor, Role.city_admin)
    report = _report(actor, report_id, for_update=True)
    _status(report, S.filed)
    report.decided_by_id, report.decided_at = actor.id, utcnow()
    return report


def return_report(actor: Account, report_id: int, comments: str, ip: str | None) -> dict:
    """Return a filed report to its district with the city's comments (the district changes and refiles)."""
    report = _deciding(actor, report_id)
    comments = (comments or "").strip()
    if not 2 <= len(comments) <= 2000:
        raise ValidationFailed(
            "comments", "Say what to change (2–2000 characters).", code="comments_required"
        )
    report.status, report.comments = S.returned.value, comments
    _audit("progress_report.return", actor, report, ip)
    db.session.commit()
    return view(report)


def accept(actor: Account, report_id: int, comments: str | None, ip: str | None) -> dict:
    """Accept (审阅) a filed report, with optional comments."""
    report = _deciding(actor, report_id)
    report.status = S.accepted.value
    report.comments = (comments or "").strip() or report.comments
    _audit("progress_report.accept", actor, report, ip)
    db.session.commit()
    return view(report)


def get(actor: Account, report_id: int) -> dict:
    """Return one report of the reader's district or city."""
    return view(_report(actor, report_id))


def list_reports(actor: Account, args: dict) -> Page:
    """Return one page of the reports the reader sees, newest month first, by ?month= and ?status=."""
    _require(actor, *READERS)
    statement = sa.select(ProgressReport).where(_clause(actor))
    if args.get("month"):
        statement = statement.where(ProgressReport.month == month_start(args["month"]))
    if args.get("status"):
        statement = statement.where(ProgressReport.status == args["status"])
    page = paginate(
        statement,
        args["page"],
        args["per_page"],
        order_by=(ProgressReport.month.desc(), ProgressReport.district_id),
    )
    page.items = [view(report) for report in page.items]
    return page


def overview(actor: Account, month: date) -> dict:
    """Return, for the city admin, every district of the city for a month: filed or not, side by side.

    A filed (returned, accepted) report shows its frozen indicators; a draft or a missing one none.
    """
    _require(actor, Role.city_admin)
    month = month_start(month)
    districts = db.session.scalars(
        sa.select(District).where(District.city_id == actor.scope_id).order_by(District.code)
    ).all()
    reports = {
        report.district_id: report
        for report in db.session.scalars(
            sa.select(ProgressReport).where(
                ProgressReport.city_id == actor.scope_id, ProgressReport.month == month
            )
        )
    }
    rows = []
    for district in districts:
        report = reports.get(district.id)
        status = report.status if report else "missing"
        frozen = report is not None and report.status != S.draft.value
        rows.append(
            {
                "district": describe_place("district", district.id),
                "report_id": report.id if report else None,
                "status": status,
                "status_text": STATUS_TEXT[status],
                "filed_at": report.filed_at if report else None,
                "times_filed": report.times_filed if report else 0,
                "indicators": report.indicators if frozen else None,
            }
        )
    return {
        "month": f"{month:%Y-%m}",
        "columns": [{"key": key, "label": label} for key, label in INDICATORS],
        "filed": sum(1 for row in rows if row["status"] in (S.filed.value, S.accepted.value)),
        "districts": rows,
    }
