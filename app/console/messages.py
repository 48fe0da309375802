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
    "no_follow_up": "该来访没有未关闭的跟进事项（可能已被他人关闭），请刷新后查看。",
    "check_in_not_found": "没有找到该来访记录（或不在您的管辖范围内）。",
    "invalid_year": "请填写有效的年份，如 2026。",
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
    # Retention (稳岗回访, console/retention.py).
    "invalid_group": "请选择按用人单位、就业圈或岗位类型分组。",
    "invalid_period": "起始日期晚于结束日期。",
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
    "certification_not_found": "没有找到该认定申请（或不在您的管辖范围内）。",
    "certification_decided": "该认定申请已审核（可能已被他人处理），请刷新后查看。",
    # The provincial exchange (console/exchange.py).
    "exchange_record_not_found": "没有找到该上报记录。",
    "evidence_missing": "尚无证明材料，不能认定。",
    "certificate_expired": "证明已过有效期，不能认定。",
    "period_reversed": "有效期的结束日期不能早于开始日期。",
    "valid_from_in_future": "有效期开始日期不能晚于今天。",
    "file_not_found": "没有找到该文件。",
    "file_missing": "请选择要上传的文件。",
    "file_empty": "文件是空的。",
    "file_too_large": "文件过大。",
    "file_type_not_allowed": "只能上传 PDF、Word、JPG 或 PNG 文件（按文件内容判断）。",
    "file_has_macros": "该 Word 文件含有宏，请另存为普通文档或 PDF。",
    "too_many_files": "证明材料已达上限，请先删除一份。",
    "employer_visit_not_found": "没有找到该走访记录（或不在您的管辖范围内）。",
    "invalid_credit_code": "统一社会信用代码有误（18 位，请核对营业执照）。",
    "visited_on_in_future": "走访日期不能晚于今天。",
    "follow_up_before_visit": "跟进日期不能早于走访日期。",
    "wage_range_invalid": "最高薪资不能低于最低薪资。",
    "deadline_passed": "截止日期已过。",
    "no_hiring_needs": "该走访没有记录用工需求。",
    "location_required": "该用人单位尚无位置，请先补充其经营地点。",
    # Registrations and certifications (app/services/registrations/), as the counter meets them.
    "registration_not_found": "没有找到该登记（或不在您的管辖范围内）。",
    "resident_required": "请先选择要办理的居民。",
    "birth_date_unknown": "该居民尚未登记身份证号，无法核对年龄，请先补充身份证号。",
    "not_working_age": "该居民不在法定劳动年龄内，不能办理失业登记。",
    "community_required": "该居民尚未选择所在社区/村，请先补充后再办理。",
    "currently_employed": "台账显示该居民正在就业，请先办理离职登记（就业登记终止）后再办理失业登记。",
    "registration_open": "该居民已有一笔同类登记正在办理或有效，不能重复登记。",
    "left_on_in_future": "离职日期不能晚于今天。",
    "invalid_card_number": "就业创业证编号应为 6–32 位字母或数字。",
    "started_on_in_future": "入职日期不能晚于今天。",
    "employer_required": "单位就业须填写单位名称。",
    "employment_kind_not_self": "本人只能登记个体经营或灵活就业；单位就业由用人单位或工作人员登记。",
    "application_required": "请选择已录用的求职申请。",
    "application_not_found": "没有找到该求职申请。",
    "application_not_hired": "该求职申请尚未标记为录用，请先标记录用后再办理就业登记。",
    "not_awaiting_confirmation": "该登记已不在待确认状态（可能已确认或已上传签字登记表），请刷新后查看。",
    "not_submitted": "只有待审核的登记才能受理或不予受理，请刷新后查看。",
    "no_signed_form": "该登记没有上传签字登记表。",
    "not_employment": "只有就业登记才能办理离职。",
    "registration_in_effect": "该就业登记已生效，请办理离职登记，不能撤回。",
    "registration_not_in_effect": "该登记尚未生效或已终止，不能进行此操作。",
    "withdraw_instead": "失业登记由本人在小程序中申请注销。",
    "not_yours": "只有本人或录入该登记的人员可以撤回。",
    "ended_on_required": "请填写离职日期。",
    "ended_on_in_future": "离职日期不能晚于今天。",
    "ended_before_start": "离职日期不能早于入职日期。",
    "certification_open": "该居民已有一笔同类认定正在审核，请勿重复录入。",
    "key_group_not_certifiable": "登记失业和长期失业不需申请认定：分别由失业登记和系统规则确定。",
    "graduation_year_required": "高校毕业生须填写毕业年份。",
    "graduation_year_in_future": "毕业年份不能晚于今年。",
    # Policies, matching and claims (app/services/policies/), as the catalogue and claim pages meet them.
    "validation_error": "输入有误，请检查后重试。",
    "rule_invalid": "享受条件规则有误：须为 JsonLogic 对象，只能使用列出的事实和运算符。",
    "benefit_invalid": "补贴标准有误：须为定额、按月或公式三种之一，金额以元计。",
    "unknown_fact": "提示中含有未列出的事实名称。",
    "unknown_district": "没有这个区县编码（或不在本市）。",
    "not_in_scope": "该政策不在您的管理范围内：市级政策由市级管理员、区县政策由该区县或市级管理员管理。",
    "policy_managers_only": "只有市级或区县管理员可以编写政策。",
    "policy_code_taken": "该政策编码已被使用，请换一个。",
    "policy_not_found": "没有找到该政策（或不在您的管理范围内）。",
    "policy_version_not_found": "没有找到该政策版本。",
    "dates_out_of_order": "失效日期不能早于生效日期。",
    "not_draft": "当前没有可提交的草稿（可能已提交），请刷新后查看。",
    "not_pending": "当前没有待发布的版本（可能已被他人发布或退回草稿），请刷新后查看。",
    "not_published": "该政策没有已发布的版本，无需撤回。",
    "second_person_required": "发布须由另一位有权限的管理员操作，作者本人不能发布。",
    "role_not_allowed": "您的角色不能查看政策找人名单。",
    "subject_mismatch": "本人的事实只能用于个人政策。",
    "login_required": "请先登录后再使用本人信息测算。",
    "no_facts_of_mine": "只有居民或用人单位本人可以用自己的信息测算。",
    "invalid_answer": "测算的回答有误，请检查后重试。",
    "claim_not_found": "没有找到该申领（或不在您的管辖范围内）。",
    "match_not_found": "没有找到该政策匹配记录。",
    "match_required": "请从符合条件的政策发起申领。",
    "match_not_qualified": "该匹配已不再符合条件（已失效或已申领）。",
    "not_qualified": "该居民（或单位）目前不符合该政策条件，或已申领过。",
    "policy_required": "请选择要申领的政策。",
    "claim_exists": "该政策本期已有一笔申领正在办理，不能重复申领。",
    "claim_deadline_passed": "该政策的申领期限已过。",
    "confirmation_required": "请先确认所列信息属实。",
    "bank_required": "请填写开户银行。",
    "holder_required": "请填写账户名。",
    "invalid_bank_account": "银行账号应为 12–30 位数字。",
    "hires_required": "请选择本次申领所依据的吸纳人员。",
    "hire_not_found": "所选人员在本单位没有已受理的就业登记。",
    "claim_decided": "该申领已办结，不能再补充材料。",
    "wrong_stage": "该申领当前不在这一环节（可能已被他人处理），请刷新后查看。",
    "same_reviewer": "初审须由受理人以外的工作人员办理。",
    "notice_running": "公示期尚未结束，公示期满后才能核准。",
    "objection_open": "尚有未处理的异议，请先处理异议。",
    "objection_not_found": "没有找到该异议。",
    "objection_resolved": "该异议已处理。",
    "payment_reference_required": "请填写发放凭证号。",
    # Notices (app/services/notices/), as the notices pages meet them.
    "notice_not_found": "没有找到该通知（或不在您的管辖范围内）。",
    "notice_status_conflict": "该通知当前状态不能进行此操作（可能已被他人处理），请刷新后查看。",
    "not_author": "只有通知的作者可以修改或提交。",
    "not_reviewer": "通知须由作者以外、管辖该范围的管理员审核或撤回。",
    "place_not_found": "没有这个发布范围编码。",
    "place_out_of_scope": "发布范围须在您的管辖范围内。",
    "audience_key_group_invalid": "请填写一个重点群体编码（如 veteran、college_graduate）。",
    "audience_role_invalid": "请填写一个工作人员岗位（如 grid_worker），或留空表示全部工作人员。",
    "audience_takes_no_value": "该对象不需要细分，请清空“对象细分”。",
    "notice_already_ended": "有效期已结束，请修改有效期。",
    "event_not_found": "没有找到该活动（或已取消）。",
    # Supervision (监理) and progress reports (console/supervision.py, console/progress_reports.py).
    "district_scope_required": "抽查样本由管辖整个区县（或全市）的人员查看和抽取。",
    "month_not_over": "该月尚未结束，月末后再操作。",
    "month_in_future": "该月份尚未开始。",
    "invalid_month": "月份格式应为 年-月（例如 2026-11）。",
    "district_required": "请填写要抽查的区县编码。",
    "district_not_found": "没有这个区县（或不在您的管辖范围内）。",
    "operator_not_found": "没有找到该运营机构。",
    "operator_required": "请指定该问题所属的运营机构（该就业圈目前没有负责的运营机构）。",
    "nothing_to_sample": "该运营机构当月在该区县没有可抽查的工作记录。",
    "spot_check_sample_not_found": "没有找到该抽查样本（或不在您的管辖范围内）。",
    "spot_check_not_found": "没有找到该抽查记录（或不在您的管辖范围内）。",
    "no_phone": "该居民没有登记电话，无法拨打。",
    "call_answers_required": "接通的电话须填写服务是否属实、信息是否准确和满意度。",
    "not_reached": "未接通的电话不填写回访结果。",
    "invalid_satisfaction": "满意度为 1–5 分。",
    "call_already_recorded": "该电话已接通并记录，不能修改。",
    "finding_not_found": "没有找到该整改事项（或不在您的管辖范围内）。",
    "finding_status_conflict": "该整改事项当前状态不能进行此操作（可能已被他人处理），请刷新后查看。",
    "circle_not_found": "没有这个就业圈（或不在您的管辖范围内）。",
    "due_in_past": "整改期限不能早于今天。",
    "client_id_in_use": "该请求编号已被他人使用，请刷新页面后重试。",
    "answer_required": "请填写整改情况（2–2000 字）。",
    "title_required": "请填写问题（2–128 字）。",
    "progress_report_not_found": "没有找到该月报（或不在您的管辖范围内）。",
    "report_status_conflict": "该月报当前状态不能进行此操作（可能已被他人处理），请刷新后查看。",
    "report_text_required": "请填写存在问题、典型经验和下步打算后再报送。",
    "comments_required": "请填写退回意见（2–2000 字）。",
    # Operators, contracts and circle filings (console/operators.py, console/circle_filings.py).
    "invalid_phone": "请填写 11 位手机号码（13–19 开头）。",
    "operator_suspended": "该运营机构已暂停，不能签订新合同或承接就业圈。",
    "operator_not_yours": "运营机构的账号只能添加本机构的工作人员。",
    "operator_not_contracted_here": "该运营机构在这个区县没有服务合同，不能为其添加工作人员。",
    "contract_not_found": "没有找到该服务合同（或不在您的管辖范围内）。",
    "contract_not_active": "该合同已终止。",
    "last_day_out_of_period": "终止日期须在合同期内、早于合同到期日，且不晚于今天。",
    "circle_filing_not_found": "没有找到该就业圈备案（或不在您的管辖范围内）。",
    "community_not_found": "没有这个社区/村（或不在您的管辖范围内）。",
    "place_out_of_district": "所列街道、社区或服务站须属于本区县。",
    "place_listed_twice": "同一地区重复列出（整街道已含其社区时不必再单列社区）。",
    "point_incomplete": "中心点请同时填写纬度和经度，或都不填。",
    "community_in_two_circles": "该社区已被另一个待生效的就业圈备案占用：同一时间只能属于一个就业圈。",
    "invalid_key": "新就业圈的标识须为 2–32 位小写字母、数字或 -，以字母开头。",
    "circle_key_taken": "本区县已有使用该标识的就业圈。",
    "filing_open": "该就业圈已有未完成的备案，请在原备案上修改。",
    "filing_status_conflict": "该备案当前状态不能进行此操作（可能已被他人处理），请刷新后查看。",
    "filing_empty": "就业圈至少要覆盖一个社区/村。",
    "effective_from_required": "请填写生效日期后再报备。",
    "effective_from_past": "生效日期不能早于今天。",
    # Compliance and funding (console/compliance.py, console/funding.py).
    "compliance_gap_not_found": "没有找到该未达标项（或不在您的管辖范围内）。",
    "urban_above_total": "城镇人口不能多于常住人口。",
    "invalid_override": "测算假设的写法为 层级:编码=人数，例如 district:341002=300000。",
    # Demonstration communities (console/demonstration.py).
    "demonstration_ranking_not_found": "没有找到该评选排名（或不在您的管辖范围内）。",
    "year_out_of_range": "评选年度须在 2023 年至今年之间。",
    "criterion_repeated": "同一指标只能填写一次。",
    "no_criteria": "至少要有一项计入且权重大于 0 的指标。",
    "criteria_changed": "指标刚被他人保存，请刷新后再改。",
    "ranking_frozen": "该排名的名单已确认，不再重新计算或更改。",
    "ranking_busy": "该排名正在计算，请稍后刷新。",
    "ranking_empty": "该排名没有数据充足、可按名次入选的社区，请直接指定入选社区。",
    "community_not_ranked": "所选社区不在该排名中。",
    "ranking_not_confirmed": "请先确认名单，再公布。",
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
