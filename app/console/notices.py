"""Notices (信息发布) in the console: the list in my place by status, one notice, the write form, the review.

The same services as the API (services/notices/): the list is `reading.managed_list`, a notice's
page `reading.read`; writing (save as draft, or save and submit), publishing, returning with a
reason and withdrawing are POSTs (CSRF) that come back with a flash message. Outside the user's
place: a 404 page, nothing changes.
"""

import uuid
from datetime import date, timedelta

from flask import render_template, request, url_for

from app.api.downloads import send_stored
from app.common.clock import local_day
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError, ValidationFailed
from app.models import STAFF_ROLES, NoticeStatus
from app.models.accounts import ROLE_LABELS
from app.models.residents import KEY_GROUP_LABELS
from app.services.notices import attachments, reading, workflow
from app.services.notices.rules import AUTHOR_ROLES

STATUS_TEXT = {
    NoticeStatus.draft: "草稿",
    NoticeStatus.in_review: "待审核",
    NoticeStatus.returned: "已退回",
    NoticeStatus.published: "已发布",
    NoticeStatus.withdrawn: "已撤回",
}
AUDIENCE_TEXT = {
    "residents": "全体居民",
    "seekers": "求职者",
    "key_group": "重点群体",
    "employers": "用人单位",
    "staff": "工作人员",
}
PLACE_KIND_TEXT = {
    "community": "社区/村",
    "township": "街道/乡镇",
    "circle": "就业圈",
    "district": "区县",
    "city": "市",
}


def _page_url(notice_id: int) -> str:
    """Return a notice's page."""
    return url_for("console.notice_page", notice_id=notice_id)


def audience_text(notice: dict) -> str:
    """Say a notice's audience in Chinese, with its group or role."""
    text = AUDIENCE_TEXT.get(notice["audience"], notice["audience"])
    value = notice.get("audience_value")
    if notice["audience"] == "key_group" and value:
        return f"{text}：{KEY_GROUP_LABELS.get(value, value)}"
    if notice["audience"] == "staff":
        return f"{text}：{ROLE_LABELS.get(value, value)}" if value else f"{text}（全部岗位）"
    return text


def _form_values() -> dict:
    """Read the write form into the service's values (dates and ids parsed, 422 on the field)."""
    form = request.form
    values = {name: (form.get(name) or "").strip() for name in ("title", "body", "place_kind", "place_code")}
    values["audience"] = form.get("audience") or "residents"
    values["audience_value"] = (form.get("audience_value") or "").strip() or None
    for name in ("valid_from", "valid_until"):
        try:
            values[name] = date.fromisoformat((form.get(name) or "").strip())
        except ValueError:
            raise ValidationFailed(name, "A date is YYYY-MM-DD.", code="invalid_date") from None
    for name in ("event_id", "policy_id"):
        raw = (form.get(name) or "").strip()
        if raw and not raw.isdigit():
            raise ValidationFailed(name, "An id is a number.", code="invalid_input")
        values[name] = int(raw) if raw else None
    values["push"] = form.get("push") == "1"
    # The page's own key: a double submit (or a resent form) makes one draft.
    values["client_id"] = (form.get("client_id") or "").strip()[:64] or None
    for name, (low, high) in {"title": (2, 80), "body": (2, 5000)}.items():
        if not low <= len(values[name]) <= high:
            raise ValidationFailed(name, f"{low}–{high} characters.", code="invalid_input")
    if values["place_kind"] not in PLACE_KIND_TEXT or values["audience"] not in AUDIENCE_TEXT:
        raise ValidationFailed("place_code", "Choose from the list.", code="invalid_choice")
    return values


@bp.get("/notices")
@console_login_required(*STAFF_ROLES)
def notices_page():
    """List the notices in my place, newest first, by status (others' drafts left out)."""
    status = request.args.get("status") or None
    if status not in (None, *STATUS_TEXT):
        status = None
    try:
        page_number = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page_number = 1
    actor = current_staff()
    page = reading.managed_list(actor, {"status": status, "page": page_number, "per_page": 20})
    today = local_day()
    return render_template(
        "console/notices.html",
        page=page,
        for_me=reading.for_me(actor, {"page": 1, "per_page": 10}),
        status=status,
        status_text=STATUS_TEXT,
        audience_text=audience_text,
        may_write=actor.role in AUTHOR_ROLES,
        page_url=lambda number: url_for("console.notices_page", status=status, page=number),
        today=today.isoformat(),
        week=(today + timedelta(days=7)).isoformat(),
        place_kinds=PLACE_KIND_TEXT,
        audiences=AUDIENCE_TEXT,
        form_key=uuid.uuid4().hex,
    )


@bp.post("/notices")
@console_login_required(*AUTHOR_ROLES)
def create_notice():
    """Write a notice from the form: saved as a draft, or (submit=1) sent for review at once."""
    actor = current_staff()
    back = url_for("console.notices_page")
    try:
        notice, _ = workflow.create(actor, _form_values(), client_ip())
        if request.form.get("submit") == "1":
            workflow.submit(actor, notice["id"], client_ip())
    except APIError as error:
        return action_refused(error, back)
    message = "已提交审核。" if request.form.get("submit") == "1" else "已保存草稿。"
    return done(message, _page_url(notice["id"]))


@bp.get("/notices/<int:notice_id>")
@console_login_required(*STAFF_ROLES)
def notice_page(notice_id: int):
    """Show one notice with its file and the steps the viewer may take (submit, publish, return, withdraw)."""
    actor = current_staff()
    try:
        notice = reading.read(actor, notice_id)
    except APIError as error:
        return refused(error)
    mine = notice["author_id"] == actor.id
    return render_template(
        "console/notice.html",
        notice=notice,
        status_text=STATUS_TEXT,
        audience_text=audience_text(notice),
        may_submit=mine and notice["status"] in (NoticeStatus.draft, NoticeStatus.returned),
        may_review=notice["may_review"] and notice["status"] == NoticeStatus.in_review,
        may_withdraw=(mine or notice["may_review"]) and notice["status"] == NoticeStatus.published,
    )


@bp.get("/notices/<int:notice_id>/attachment")
@console_login_required(*STAFF_ROLES)
def notice_attachment(notice_id: int):
    """Download a notice's file."""
    try:
        stored = attachments.attachment_file(current_staff(), notice_id)
    except APIError as error:
        return refused(error)
    return send_stored(stored)


@bp.post("/notices/<int:notice_id>/submit")
@console_login_required(*AUTHOR_ROLES)
def submit_notice(notice_id: int):
    """Send my draft or returned notice for review."""
    try:
        workflow.submit(current_staff(), notice_id, client_ip())
    except APIError as error:
        return action_refused(error, _page_url(notice_id))
    return done("已提交审核，等待另一位管理员发布。", _page_url(notice_id))


@bp.post("/notices/<int:notice_id>/publish")
@console_login_required(*AUTHOR_ROLES)
def publish_notice(notice_id: int):
    """Publish a notice in review (an admin over its place, not its author)."""
    try:
        notice = workflow.publish(current_staff(), notice_id, request.form.get("note") or None, client_ip())
    except APIError as error:
        return action_refused(error, _page_url(notice_id))
    return done("已发布。" + ("将推送给符合条件的居民。" if notice["push"] else ""), _page_url(notice_id))


@bp.post("/notices/<int:notice_id>/return")
@console_login_required(*AUTHOR_ROLES)
def return_notice_page(notice_id: int):
    """Return a notice in review to its author with the form's reason."""
    try:
        workflow.return_notice(current_staff(), notice_id, request.form.get("reason") or "", client_ip())
    except APIError as error:
        return action_refused(error, _page_url(notice_id))
    return done("已退回作者修改，原因已记录。", _page_url(notice_id))


@bp.post("/notices/<int:notice_id>/withdraw")
@console_login_required(*AUTHOR_ROLES)
def withdraw_notice(notice_id: int):
    """Withdraw a published notice with the form's reason."""
    try:
        workflow.withdraw(current_staff(), notice_id, request.form.get("reason") or "", client_ip())
    except APIError as error:
        return action_refused(error, _page_url(notice_id))
    return done("已撤回。", _page_url(notice_id))
