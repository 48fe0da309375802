"""The provincial exchange (省级数据交换): how the outbox stands, its dead letters, resending after a fix.

The figures and actions of /api/v1/exchange (services/exchange/monitor.py): the city
administration and the supervisor read, the city administration resends.
"""

from datetime import date

from flask import render_template, request, url_for

from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError
from app.models import Role
from app.services.exchange import key_group_lists, monitor, reconcile

PER_PAGE = 50
TYPE_TEXT = {
    "person_status": "就业失业状态",
    "employment_registration": "就业登记",
    "unemployment_registration": "失业登记",
    "key_group": "重点群体认定",
    "policy_enjoyment": "政策享受",
    "job": "岗位",
    "employer": "用人单位",
}
STATUS_TEXT = {"pending": "待发送", "sending": "发送中", "sent": "已送达", "dead": "发送失败"}


@bp.get("/exchange")
@console_login_required(*monitor.READ_ROLES)
def exchange_page():
    """Show the exchange's counts, a day's reconciliation (?day=), its dead letters and resend buttons."""
    actor = current_staff()
    code = request.args.get("code", "").strip()[:32] or None
    try:
        page = max(1, min(int(request.args.get("page", "1")), 100000))
    except ValueError:
        page = 1
    try:
        asked = request.args.get("day", "").strip()[:10]
        day = date.fromisoformat(asked) if asked else None
    except ValueError:
        day = None  # a mistyped day shows yesterday's
    try:
        summary = monitor.summary(actor)
        letters = monitor.dead_letters(actor, page, PER_PAGE, code=code)
        reconciliation = reconcile.reconciliations(actor, day)
        # The province's key-group lists: for those who read the report (the supervisor does not).
        lists = key_group_lists.report(actor) if Role(actor.role) in key_group_lists.REPORT_ROLES else None
    except APIError as error:
        return refused(error)
    return render_template(
        "console/exchange.html",
        summary=summary,
        letters=letters,
        reconciliation=reconciliation,
        lists=lists,
        code=code,
        may_resend=Role(actor.role) in monitor.RESEND_ROLES,
        type_text=TYPE_TEXT,
        status_text=STATUS_TEXT,
        page_url=lambda number: url_for("console.exchange_page", page=number, code=code),
    )


@bp.post("/exchange/records/<int:exchange_record_id>/resend")
@console_login_required(*monitor.RESEND_ROLES)
def resend_exchange_record(exchange_record_id: int):
    """Send one dead record again (after a fix)."""
    back = url_for("console.exchange_page")
    try:
        monitor.resend(current_staff(), exchange_record_id, request.form.get("note") or None, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("已重新排队发送。", back)


@bp.post("/exchange/resend")
@console_login_required(*monitor.RESEND_ROLES)
def resend_exchange_code():
    """Send again every dead record of the form's code."""
    back = url_for("console.exchange_page")
    code = request.form.get("code", "").strip()[:32]
    if not code:
        return done("请选择要重发的失败代码。", back)
    try:
        count = monitor.resend_code(current_staff(), code, request.form.get("note") or None, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done(f"已重新排队发送 {count} 条。", back)
