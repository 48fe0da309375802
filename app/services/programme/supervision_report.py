"""The monthly supervision report (监理月报): one row per operator, as the Excel file shows it.

The rows are the month's operator KPIs (programme/operator_kpis.py) over the reader's place, in
the columns below; exporting is audited with the month and the count of rows.
"""

from datetime import date

from app.models import Account
from app.services.people import audit
from app.services.people.places import describe_place
from app.services.programme.operator_kpis import kpis

# The columns, in order: (key, Chinese header).
COLUMNS = (
    ("operator_name", "运营机构"),
    ("circles", "负责就业圈数"),
    ("visit_days_min", "最少走访天数"),
    ("circles_on_visit_target", "走访天数达标圈数"),
    ("coverage_percent", "本季度走访覆盖率(%)"),
    ("calls_drawn", "抽查样本数"),
    ("calls_made", "已拨打"),
    ("calls_reached", "已接通"),
    ("calls_confirmed", "服务属实"),
    ("calls_correct", "信息准确"),
    ("satisfaction_mean", "满意度均值"),
    ("findings_raised", "本月新增问题"),
    ("findings_open", "待整改"),
    ("findings_overdue", "逾期未整改"),
    ("findings_answered", "已反馈待销号"),
    ("findings_closed", "已销号"),
    ("registrations_handled", "办理登记数"),
    ("claims_handled", "办理申领数"),
)


def rows(actor: Account, month: date, ip: str | None = None) -> list[dict]:
    """Return the report's rows for the month over the reader's place; audited."""
    figures = kpis(actor, month)
    found = [{**row, "coverage_percent": row["coverage"]["percent"]} for row in figures["items"]]
    audit.commit(
        "supervision_report.export",
        actor=actor,
        ip=ip,
        detail={"month": figures["month"], "count": len(found)},
    )
    return found


def place_name(actor: Account) -> str:
    """Return the name of the reader's place (for the file's title block)."""
    place = describe_place(actor.scope_kind, actor.scope_id)
    return place["name"] if place else ""
