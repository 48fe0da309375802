"""Demo supervision: a month of spot-checks with a finding, and districts' progress reports.

Last month (a month that is over): the demo supervisor (屯溪区) draws the demo operator's sample
of door visits through the real service, rings the first calls (one resident unreached, one
unhappy: a finding the demo operator has answered, waiting to be closed), and 屯溪区 files its
report of the month; 黄山区 has a draft. The operator is found through demo-operator's account
(its operator_id), else the operator with a contract in 屯溪区; none (the operators' demo not
run): nothing is added. A second run finds the sample, the calls and the reports and adds nothing.
"""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day, month_start
from app.errors import APIError
from app.extensions import db
from app.models import (
    Account,
    District,
    OperatorContract,
    ProgressReport,
    ReportStatus,
    SpotCheckSample,
)
from app.services.programme import findings, progress_reports, spot_check_calls, spot_checks

TUNXI, HUANGSHAN = "341002000000", "341003000000"
# The first calls of the sample, as rung: (reached, confirmed, correct, satisfaction, note).
CALLS = (
    (True, True, True, 5, "居民表示网格员每月都来，很满意"),
    (True, True, True, 4, None),
    (False, None, None, None, "两次拨打无人接听"),
    (True, True, False, 2, "居民称家中已有人就业，台账仍为未就业"),
)
ANSWER = "已安排网格员再次上门核实，台账已更正为就业，并对网格员进行了提醒。"
REPORT_TEXT = {
    "problems": "个别社区上门走访天数不足，老旧小区白天家中无人的住户较多。",
    "good_practice": "城中就业圈推行“早市招聘”，在菜市场设流动服务点，当月带动就业十余人。",
    "next_steps": "调整走访时间至傍晚和周末；对未达标社区逐一督办。",
}


def _account(username: str) -> Account | None:
    """Return a demo account by username."""
    return db.session.scalar(sa.select(Account).where(Account.username == username))


def _operator_id() -> int | None:
    """Return the demo operator's id: demo-operator's, else the one with a contract in 屯溪区."""
    account = _account("demo-operator")
    if account is not None and account.operator_id:
        return account.operator_id
    return db.session.scalar(
        sa.select(OperatorContract.operator_id)
        .join(District, District.id == OperatorContract.district_id)
        .where(District.code == TUNXI)
        .order_by(OperatorContract.id)
    )


def _spot_checks(supervisor: Account, operator_id: int, month) -> dict:
    """Draw last month's sample of door visits and ring its first calls; return what was added."""
    existing = db.session.scalar(
        sa.select(SpotCheckSample.id).where(
            SpotCheckSample.month == month,
            SpotCheckSample.operator_id == operator_id,
            SpotCheckSample.kind == "visit",
        )
    )
    if existing is not None:
        return {}
    values = {"month": month, "operator_id": operator_id, "kind": "visit", "size": 8}
    try:
        sample, _ = spot_checks.draw(supervisor, values, None)
    except APIError:  # no door visits of the operator that month: nothing to check
        db.session.rollback()
        return {}
    added = {"spot_check_samples": 1, "spot_check_calls": 0, "findings": 0}
    for call, (reached, confirmed, correct, satisfaction, note) in zip(sample["calls"], CALLS, strict=False):
        outcome = {
            "reached": reached,
            "visit_confirmed": confirmed,
            "data_correct": correct,
            "satisfaction": satisfaction,
            "note": note,
        }
        recorded = spot_check_calls.record_call(supervisor, call["id"], outcome, None)
        added["spot_check_calls"] += 1
        if recorded["finding_id"]:
            added["findings"] += 1
            manager = _account("demo-operator")
            if manager is not None and manager.operator_id == operator_id:
                findings.answer(manager, recorded["finding_id"], ANSWER, None)
    return added


def _reports(month) -> dict:
    """File 屯溪区's report of the month and start 黄山区's; return what was added."""
    added = {}
    admin = _account("demo-district-admin")
    tunxi = db.session.scalar(sa.select(District).where(District.code == TUNXI))
    if admin is not None and tunxi is not None and not _report_exists(tunxi.id, month):
        report, _ = progress_reports.create(admin, {"month": month, **REPORT_TEXT}, None)
        progress_reports.file(admin, report["id"], None)
        added["progress_reports_filed"] = 1
    huangshan = db.session.scalar(sa.select(District).where(District.code == HUANGSHAN))
    if huangshan is not None and not _report_exists(huangshan.id, month):
        # No demo account administers 黄山区: its draft is written as its admin would have started it.
        db.session.add(
            ProgressReport(
                district_id=huangshan.id,
                city_id=huangshan.city_id,
                month=month,
                status=ReportStatus.draft.value,
                indicators={},
                problems="部分村网格员为兼职，走访时间难以保证。",
            )
        )
        db.session.commit()
        added["progress_reports_draft"] = 1
    return added


def _report_exists(district_id: int, month) -> bool:
    """Tell whether the district's report of the month is written."""
    return (
        db.session.scalar(
            sa.select(ProgressReport.id).where(
                ProgressReport.district_id == district_id, ProgressReport.month == month
            )
        )
        is not None
    )


def demo_supervision() -> dict:
    """Add what is missing; return what was added."""
    operator_id = _operator_id()
    supervisor = _account("demo-supervisor")
    if operator_id is None or supervisor is None:
        return {}
    month = month_start(month_start(local_day()) - timedelta(days=1))
    added = _spot_checks(supervisor, operator_id, month)
    added.update(_reports(month))
    return {key: value for key, value in added.items() if value}
