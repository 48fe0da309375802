"""The Chinese names the dashboards show for codes (statuses, groups, purposes, outcomes, templates)."""

from app.models import (
    ApplicationStatus,
    EmployerSize,
    EmploymentStatus,
    KeyGroup,
    Purpose,
    PushStatus,
    ScopeKind,
    ServeOutcome,
)

PLACE_KINDS = {
    ScopeKind.city: "市",
    ScopeKind.district: "区县",
    ScopeKind.circle: "就业圈",
    ScopeKind.township: "街道/乡镇",
    ScopeKind.community: "社区/村",
}
OUTSIDE_CIRCLE = "圈外街道/乡镇"

SECTIONS = {
    "people": "人员就业",
    "zero_employment": "零就业家庭",
    "grid": "网格走访",
    "jobs": "岗位招聘",
    "stations": "服务站",
    "push": "消息推送",
}

STATUSES = {
    EmploymentStatus.employed: "就业",
    EmploymentStatus.flexible: "灵活就业",
    EmploymentStatus.unemployed_registered: "登记失业",
    EmploymentStatus.unemployed: "未就业(未登记)",
    EmploymentStatus.student: "在校学生",
    EmploymentStatus.retired: "退休",
    EmploymentStatus.not_in_labour_force: "非劳动力",
    "unknown": "未知",
}
KEY_GROUPS = {group: group.label for group in KeyGroup}
FLOWS = {
    "became_unemployed": "新增失业",
    "re_employed": "失业再就业",
    "registered_unemployed": "新增登记失业",
}

PURPOSES = {
    Purpose.consult: "咨询",
    Purpose.job_seeking: "求职",
    Purpose.registration: "就业/失业登记",
    Purpose.policy: "政策咨询",
    Purpose.claim: "补贴申领",
    Purpose.training: "培训",
    Purpose.event: "活动",
    Purpose.other: "其他",
}
OUTCOMES = {
    ServeOutcome.recommended_jobs: "推荐岗位",
    ServeOutcome.registered: "业务登记",
    ServeOutcome.claim_started: "政策申领",
    ServeOutcome.referred_to_training: "转介培训",
    ServeOutcome.follow_up_needed: "需跟进",
    ServeOutcome.nothing: "无",
    "none": "未记录结果",
}
# Outcomes that did something for the visitor (the funnel's last step).
HELPED = (
    ServeOutcome.recommended_jobs,
    ServeOutcome.registered,
    ServeOutcome.claim_started,
    ServeOutcome.referred_to_training,
)
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

EMPLOYER_SIZES = {
    EmployerSize.micro: "微型(<10人)",
    EmployerSize.small: "小型(10–99人)",
    EmployerSize.medium: "中型(100–299人)",
    EmployerSize.large: "大型(≥300人)",
    "unknown": "未填规模",
}
APPLICATION_STATUSES = {ApplicationStatus.interview: "面试", ApplicationStatus.hired: "录用"}
NO_CIRCLE = "未划入就业圈"

PUSH_STATUSES = {
    PushStatus.pending: "待发送",
    PushStatus.scheduled: "定时待发",
    PushStatus.sending: "发送中",
    PushStatus.sent: "已发送",
    PushStatus.skipped: "未发送",
    PushStatus.failed: "发送失败",
}
SKIP_REASONS = {
    "no_quota": "无订阅额度",
    "opted_out": "已关闭此类消息",
    "daily_cap": "超过每日上限",
    "job_not_live": "岗位已下线",
    "no_wechat_account": "无微信账号",
    "no_phone": "无手机号（短信）",
    "sms_opted_out": "已退订短信",
    "sms_daily_limit": "超过短信每日上限",
    "other": "其他原因",
}
TEMPLATES = {
    "job_match": "岗位推荐",
    "application_update": "投递进展",
    "checkin_followup": "来访跟进",
    "visit_notice": "走访通知",
    "policy_notice": "政策通知",
}


def name_of(names: dict, key) -> str:
    """Return the Chinese name of a code, or the code itself when it has none."""
    return names.get(key, str(key))
