"""The services' refusals in the console user's words, and how a console action answers one.

Services speak English with a stable `code` (as the API does); the console says the same thing in
Chinese, by that code. A refusal that leaves the user where they were (a reason missing, a job
already reviewed) goes back to the page as a flash message; one about something the user may not
see or do (404 outside their place, 403 their role) is an error page of its own status.
"""

from flask import current_app, flash, jsonify, redirect, request

from app.console import error_page, wants_json
from app.console.auth import safe_next
from app.errors import APIError

# By the services' error codes; {minimum} is the password length the config asks for.
MESSAGES = {
    "role_forbidden": "您的角色不能进行此操作。",
    "list_not_found": "没有这个名单。",
    "job_not_found": "没有找到该岗位（或不在您的管辖范围内）。",
    "employer_not_found": "没有找到该用人单位（或不在您的管辖范围内）。",
    "resident_not_found": "没有找到该居民（或不在您的管辖范围内）。",
    "staff_not_found": "没有找到该工作人员账号（或不在您的管理范围内）。",
    "export_not_found": "没有找到该导出任务。",
    "job_status_conflict": "该岗位当前不在待审核状态（可能已被他人处理），请刷新后查看。",
    "employer_not_verified": "该岗位的用人单位尚未通过核验，不能发布。请先核验用人单位。",
    "reason_required": "请填写原因（将告知对方）。",
    "licence_missing": "该用人单位尚未上传营业执照，不能核验通过。",
    "not_a_grid_worker": "该账号不是网格员。",
    "community_out_of_scope": "该社区不在您或该网格员的管辖范围内。",
    "unknown_community": "没有这个社区/村编码。",
    "role_not_assignable": "您不能创建或管理该角色的账号。",
    "scope_outside_yours": "该地区不在您的管辖范围内。",
    "invalid_username": "用户名须为 3–64 位小写字母、数字或 . _ -，并以字母或数字开头。",
    "password_too_short": "密码至少需要 {minimum} 位。",
    "scope_kind_not_allowed": "该角色不能设在这一级地区。",
    "unknown_place": "没有这个地区编码。",
    "username_taken": "该用户名已被使用。",
    "self_change_forbidden": "不能停用或更改自己的账号，请联系其他管理员。",
    "reveal_forbidden": "您的角色只能查看脱敏后的个人信息。",
    "invalid_sort": "不支持的排序方式。",
    "invalid_choice": "筛选条件的取值无效。",
    "invalid_date": "日期格式应为 年-月-日（例如 2026-01-31）。",
    "invalid_place": "该地区层级不适用于此名单。",
    "text_too_long": "搜索内容过长（最多 64 个字）。",
    "invalid_format": "导出格式只能是 Excel（xlsx）或 CSV。",
    "export_not_ready": "文件尚未生成（或生成失败），暂不能下载。",
    "export_expired": "下载链接已过期，文件已删除，请重新导出。",
    "account_inactive": "账号已停用。",
    "invalid_page": "页码无效。",
    "reason_missing": "请填写原因（至少 2 个字，最多 200 个字）。",
    "invalid_input": "输入有误，请检查后重试。",
    "passwords_differ": "两次输入的密码不一致。",
}
# What an unknown code of each status says.
BY_STATUS = {
    403: "您无权进行此操作。",
    404: "没有找到（或不在您的管辖范围内）。",
    409: "操作与当前状态冲突，请刷新后重试。",
    422: "输入有误，请检查后重试。",
}


def say(error: APIError, field_labels: dict | None = None) -> str:
    """Say a service's refusal in Chinese; name the form field it is about when it has a label."""
    template = MESSAGES.get(error.code) or BY_STATUS.get(error.status, "操作未成功，请重试。")
    message = template.format(minimum=current_app.config.get("PASSWORD_MIN_LENGTH", 8))
    label = (field_labels or {}).get(error.field or "")
    return f"「{label}」：{message}" if label else message


def refused(error: APIError, field_labels: dict | None = None):
    """Answer a refusal with an error page of its status (the JSON envelope for fetch/htmx)."""
    return error_page(error.status, say(error, field_labels), error.code, error.headers)


def back_to(default: str) -> str:
    """Return where an action goes back to: the form's `next` (a console address) or `default`."""
    return safe_next(request.form.get("next")) or default


def done(message: str, default: str):
    """Flash a success and go back to the page the action came from (303: GET it again)."""
    if wants_json():
        return jsonify({"message": message})
    flash(message, "success")
    return redirect(back_to(default), 303)


def action_refused(error: APIError, default: str):
    """Answer a refused action: 403/404 as a page (nothing seen, nothing changed), else a flash back."""
    if error.status in (403, 404) or wants_json():
        return refused(error)
    flash(say(error), "error")
    return redirect(back_to(default), 303)
