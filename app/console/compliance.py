"""Compliance with the plan's standing rules, gaps with since-when, weekly digests (console page).

GET /console/compliance shows what the API's compliance routes answer (the same services,
services/programme/compliance_gaps.py): each circle of the viewer's place this month and quarter
(visit days against the pro-rated target, behind flagged; coverage), then the gaps, open by
default, longest-standing first, with since-when. City and district admins may run a check now
(a POST with CSRF, flash message back).
"""

from flask import render_template, request, url_for

from app.console import bp
from app.console.auth import console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError
from app.models import ComplianceRule
from app.services.programme import compliance, compliance_digest, compliance_gaps
from app.services.programme.compliance_digest import RULE_TEXT
from app.services.programme.compliance_gaps import READ_ROLES, RUN_ROLES

STATUS_TEXT = {"open": "未达标（未关闭）", "closed": "已关闭", "all": "全部"}
CIRCLE_COLUMNS = [
    ["place", "就业圈"],
    ["operator", "运营机构"],
    ["stations", "服务站"],
    ["full_time_staff", "专职人员"],
    ["visit_days", "本月走访天数"],
    ["expected_by_now", "截至当日应走访"],
    ["behind_label", "进度"],
    ["coverage_text", "本季覆盖（已走访/应走访）"],
    ["open_gaps", "未达标项"],
]
GAP_COLUMNS = [
    ["rule_text", "未达标项"],
    ["place_text", "地区"],
    ["district_text", "区县"],
    ["operator", "运营机构"],
    ["period_text", "期间"],
    ["detail_text", "情况"],
    ["since", "起始时间"],
    ["days_open", "已持续（天）"],
    ["closed", "关闭时间"],
]


def detail_text(rule: str, detail: dict) -> str:
    """Say a gap's figures in the admins' words."""
    if rule == ComplianceRule.circle_visit_days:
        return f"上门走访 {detail.get('visit_days', 0)} 天 / 目标 {detail.get('target', 0)} 天"
    if rule == ComplianceRule.quarter_coverage:
        due, met = detail.get("households", 0), detail.get("met", 0)
        return f"应走访 {due} 户，已走访 {met} 户，未走访 {detail.get('unvisited', 0)} 户"
    if rule == ComplianceRule.community_officer:
        return "未配备网格员（就业专员）"
    if rule == ComplianceRule.circle_station:
        return "没有在用的服务站"
    return "没有专职工作人员（服务站工作人员或运营机构人员）"


def _gap_row(gap: dict) -> dict:
    return {
        "rule_text": RULE_TEXT.get(gap["rule"], gap["rule"]),
        "place_text": gap["place"]["name"] if gap["place"] else "—",
        "district_text": gap["district"]["name"] if gap["district"] else "—",
        "operator": gap["operator"]["name"] if gap["operator"] else "—",
        "period_text": gap["period"] or "长期",
        "detail_text": detail_text(gap["rule"], gap["detail"]),
        "since": gap["opened_at"],
        "days_open": gap["days_open"],
        "closed": gap["closed_at"] or "—",
    }


@bp.get("/compliance")
@console_login_required(*READ_ROLES)
def compliance_page():
    """Show my place's circles this month and quarter, and its compliance gaps with since-when."""
    actor = current_staff()
    status = request.args.get("status") if request.args.get("status") in STATUS_TEXT else "open"
    rule = request.args.get("rule") if request.args.get("rule") in RULE_TEXT else None
    try:
        page_number = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page_number = 1
    try:
        progress = compliance_gaps.circle_progress(actor)
        page = compliance_gaps.list_gaps(
            actor, {"status": status, "rule": rule, "page": page_number, "per_page": 50}
        )
    except APIError as error:
        return refused(error)
    circles = [
        {
            **row,
            "place": row["circle"]["name"],
            "operator": row["operator"]["name"] if row["operator"] else "—",
            "behind_label": {"text": "落后", "class": "behind"} if row["behind"] else "正常",
            "coverage_text": f"{row['met']}/{row['households']}",
        }
        for row in progress["circles"]
    ]
    return render_template(
        "console/compliance.html",
        progress=progress,
        circles={"columns": CIRCLE_COLUMNS, "rows": circles},
        gaps={"columns": GAP_COLUMNS, "rows": [_gap_row(gap) for gap in page.items]},
        page=page,
        page_url=lambda number: url_for("console.compliance_page", status=status, rule=rule, page=number),
        status=status,
        rule=rule,
        status_text=STATUS_TEXT,
        rule_text=RULE_TEXT,
        may_run=actor.role in RUN_ROLES,
        digests=compliance_digest.my_digests(actor, limit=4),
    )


@bp.post("/compliance/check")
@console_login_required(*RUN_ROLES)
def run_compliance_check():
    """Check every rule now and come back with what opened and closed."""
    back = url_for("console.compliance_page")
    try:
        counts = compliance.check_compliance(actor=current_staff())
    except APIError as error:
        return action_refused(error, back)
    return done(
        f"检查完成：新增 {counts['opened']} 项，关闭 {counts['closed']} 项，现有 {counts['open']} 项未达标。",
        back,
    )
