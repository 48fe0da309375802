"""Chinese labels of the codes lists show (就业状态, 岗位状态, …), for pages, filters and Excel.

Rows keep the code beside the label where a page acts on it (`<key>_code`); an unknown code is
shown as itself rather than hidden.
"""

from app.models import KeyGroup

LABELS: dict[str, dict[str, str]] = {
    "employment_status": {
        "employed": "就业",
        "flexible": "灵活就业",
        "unemployed_registered": "登记失业",
        "unemployed": "未就业",
        "student": "在校学生",
        "retired": "退休",
        "not_in_labour_force": "非劳动力",
    },
    "key_group": {group.value: group.label for group in KeyGroup},
    "gender": {"male": "男", "female": "女"},
    "job_status": {
        "draft": "草稿",
        "pending_review": "待审核",
        "published": "已发布",
        "closed": "已关闭",
        "expired": "已过期",
    },
    "job_kind": {
        "regular": "全职",
        "part_time": "兼职",
        "gig": "零工",
        "public_welfare": "公益性岗位",
        "internship": "就业见习",
    },
    "job_category": {
        "tourism_hotel": "旅游酒店",
        "catering": "餐饮",
        "retail": "零售",
        "tea_processing": "茶叶加工",
        "manufacturing": "制造",
        "logistics_delivery": "物流配送",
        "construction": "建筑",
        "housekeeping": "家政",
        "security_cleaning": "保安保洁",
        "care": "护理照护",
        "education": "教育",
        "office": "文员行政",
        "it": "信息技术",
        "other": "其他",
    },
    "wage_unit": {"month": "元/月", "day": "元/天", "hour": "元/小时"},
    "employer_status": {"pending": "待核验", "verified": "已核验", "rejected": "未通过"},
    "employer_size": {
        "micro": "微型(<10人)",
        "small": "小型(10–99人)",
        "medium": "中型(100–299人)",
        "large": "大型(≥300人)",
    },
    "purpose": {
        "consult": "咨询",
        "job_seeking": "求职",
        "registration": "就业/失业登记",
        "policy": "政策咨询",
        "claim": "补贴申领",
        "training": "培训",
        "event": "活动",
        "other": "其他",
    },
    "check_in_via": {"printed": "站点二维码", "rotating": "现场动态码", "event": "活动动态码"},
    # The coded outcome of serving a visitor (stations' ServeOutcome).
    "serve_outcome": {
        "recommended_jobs": "推荐岗位",
        "registered": "业务登记",
        "claim_started": "政策申领",
        "referred_to_training": "转介培训",
        "follow_up_needed": "需跟进",
        "nothing": "无",
    },
    "role": {
        "resident": "居民",
        "employer": "用人单位",
        "grid_worker": "网格员",
        "station_staff": "服务站工作人员",
        "operator": "运营机构",
        "township_admin": "街道/乡镇人社",
        "district_admin": "区县人社",
        "city_admin": "市人社局",
        "supervisor": "第三方监理",
    },
    "scope_kind": {
        "community": "社区/村",
        "township": "街道/乡镇",
        "circle": "就业圈",
        "district": "区县",
        "city": "市",
    },
    "audit_outcome": {
        "success": "成功",
        "failure": "失败",
        "denied": "拒绝",
        "alert": "告警",
        "pending": "待二次验证",
        "locked": "已锁定",
        # How a console session ended (console.session_end).
        "idle": "空闲超时",
        "expired": "已到期",
        "disabled": "账号停用",
        "revoked": "已注销",
    },
    "case_state": {"open": "帮扶中", "cleared": "已清零"},
    "report_state": {"open": "待处理", "cleared": "已处理"},
    "certification_status": {
        "pending": "待审核",
        "certified": "已认定",
        "rejected": "未通过",
        "expired": "已过期",
    },
    "certification_source": {"self": "本人申请", "staff": "窗口代录"},
    "active": {"yes": "启用", "no": "停用"},
    "yes_no": {"yes": "是", "no": "否"},
    "employer_visit_channel": {"visit": "上门走访", "phone": "电话访谈"},
    "employer_problem": {
        "recruitment": "招工难",
        "skills": "技能不匹配",
        "turnover": "员工流失",
        "funding": "资金困难",
        "policy": "政策不了解",
        "training": "培训需求",
        "other": "其他",
    },
    "subsidy_kind": {
        "social_insurance": "社会保险补贴",
        "job_subsidy": "吸纳就业补贴",
        "training": "职业培训补贴",
        "internship": "就业见习补贴",
        "startup_loan": "创业担保贷款",
        "job_stabilisation": "稳岗返还",
    },
    "hiring_need_state": {"open": "待处理", "drafted": "已生成岗位草稿", "expired": "已过截止日期"},
}


def label(kind: str, code: str | None) -> str | None:
    """Return the Chinese label of a code (the code itself when it has none)."""
    if code is None:
        return None
    return LABELS[kind].get(code, code)


def choices(kind: str, only=None) -> tuple[tuple[str, str], ...]:
    """Return (code, label) pairs for a choice filter, optionally only the codes in `only`."""
    return tuple((code, text) for code, text in LABELS[kind].items() if only is None or code in only)
