"""The console's left navigation: which entries each role sees, as data other pages extend.

Roles mirror the services that decide (a list's own roles in app/services/lists win when they
differ: the page refuses, the link just would not be offered). To add a page: append a NavItem.
"""

from dataclasses import dataclass

from app.models import STAFF_ROLES, Account, Role
from app.services.jobs.employer_visits import READ_ROLES as VISIT_READERS
from app.services.jobs.employer_visits import RECORD_ROLES as VISIT_RECORDERS
from app.services.jobs.employers import VERIFY_ROLES
from app.services.jobs.posts import REVIEW_ROLES
from app.services.people.staff import CREATABLE_ROLES
from app.services.policies.catalogue import MANAGER_ROLES as POLICY_MANAGERS
from app.services.policies.claims import READ_ROLES as CLAIM_READERS
from app.services.policies.working_list import ROLES as WORKING_LIST_ROLES
from app.services.programme.circle_filings import READ_ROLES as FILING_READERS
from app.services.programme.compliance_gaps import READ_ROLES as COMPLIANCE_READERS
from app.services.programme.funding import READ_ROLES as FUNDING_READERS
from app.services.programme.operators import READ_ROLES as OPERATOR_READERS
from app.services.programme.progress_reports import READERS as REPORT_READERS
from app.services.programme.supervision_scope import FINDING_READERS as SUPERVISION_READERS
from app.services.registrations.certifications import READ_ROLES as CERTIFICATION_READERS
from app.services.registrations.certifications import REVIEW_ROLES as CERTIFICATION_REVIEWERS
from app.services.registrations.records import READ_ROLES as REGISTRATION_READERS
from app.services.registrations.records import REVIEW_ROLES as REGISTRATION_REVIEWERS
from app.services.stations.queue import SERVE_ROLES
from app.services.stations.training import REPORT_ROLES as TRAINING_READERS

OFFICIALS = frozenset({Role.city_admin, Role.district_admin, Role.township_admin})
WATCHERS = OFFICIALS | {Role.operator, Role.supervisor}
AUDIT_READERS = frozenset({Role.city_admin, Role.supervisor})  # as GET /api/v1/audit-events
RANKERS = frozenset({Role.city_admin, Role.district_admin})  # as services/programme/demonstration.py


@dataclass(frozen=True)
class NavItem:
    """One link of the left navigation."""

    label: str
    url: str
    roles: frozenset
    group: str = ""  # the heading it sits under ("" for the top entries)


NAV: list[NavItem] = [
    NavItem("数据看板", "/console/dashboard", WATCHERS | {Role.station_staff}),
    NavItem("网格工作", "/console/grid/progress", WATCHERS | {Role.grid_worker}),
    NavItem("居民", "/console/lists/residents", WATCHERS | {Role.grid_worker, Role.station_staff}, "名单"),
    NavItem("住户", "/console/lists/households", WATCHERS | {Role.grid_worker}, "名单"),
    NavItem("零就业家庭", "/console/lists/zero_employment_cases", WATCHERS | {Role.grid_worker}, "名单"),
    NavItem("待审核企业", "/console/lists/employers", VERIFY_ROLES, "待办"),
    NavItem("岗位审核", "/console/lists/jobs", REVIEW_ROLES, "待办"),
    NavItem("虚假岗位举报", "/console/lists/job_reports", REVIEW_ROLES, "待办"),
    NavItem("失业/就业登记", "/console/lists/registrations", REGISTRATION_READERS, "待办"),
    NavItem("重点群体认定", "/console/lists/certifications", CERTIFICATION_READERS, "待办"),
    # Entering at the counter: the roles both registrations and certifications let enter.
    NavItem("柜台办理", "/console/counter", REGISTRATION_REVIEWERS & CERTIFICATION_REVIEWERS, "待办"),
    NavItem("待遇申领", "/console/claims", CLAIM_READERS, "政策与待遇"),
    NavItem("政策找人", "/console/working-list", WORKING_LIST_ROLES, "政策与待遇"),
    NavItem("政策库", "/console/policies", frozenset(POLICY_MANAGERS), "政策与待遇"),
    NavItem("通知公告", "/console/notices", STAFF_ROLES, "服务与人员"),
    NavItem("稳岗回访", "/console/retention", WATCHERS | {Role.station_staff}, "服务与人员"),
    NavItem("服务站", "/console/lists/stations", WATCHERS | {Role.station_staff}, "服务与人员"),
    NavItem("来访跟进", "/console/follow-ups", SERVE_ROLES, "服务与人员"),
    NavItem("工作人员培训", "/console/training", TRAINING_READERS, "服务与人员"),
    NavItem("网格员", "/console/lists/grid_workers", WATCHERS, "服务与人员"),
    NavItem("工作人员账号", "/console/lists/staff_accounts", frozenset(CREATABLE_ROLES), "服务与人员"),
    NavItem("审计日志", "/console/lists/audit_events", AUDIT_READERS, "服务与人员"),
    # The provincial exchange's outbox and dead letters (console/exchange.py): as /api/v1/exchange.
    NavItem("省级数据交换", "/console/exchange", AUDIT_READERS, "服务与人员"),
    NavItem("走访经营实体", "/console/lists/employer_visits", VISIT_READERS, "走访经营实体"),
    NavItem("用工需求", "/console/lists/hiring_needs", VISIT_READERS, "走访经营实体"),
    NavItem("录入走访", "/console/employer-visits/new", VISIT_RECORDERS, "走访经营实体"),
    NavItem("登记经营实体", "/console/employers/field-new", VISIT_RECORDERS, "走访经营实体"),
    # Operators and circle filings (console/operators.py, console/circle_filings.py).
    NavItem("运营机构", "/console/operators", OPERATOR_READERS, "项目管理"),
    NavItem("就业圈备案", "/console/circle-filings", FILING_READERS, "项目管理"),
    # Compliance and funding (console/compliance.py, console/funding.py).
    NavItem("达标检查", "/console/compliance", COMPLIANCE_READERS, "项目管理"),
    NavItem("经费测算", "/console/funding", FUNDING_READERS, "项目管理"),
    # Supervision and progress reports (console/supervision.py, console/progress_reports.py).
    NavItem("监理抽查", "/console/supervision", SUPERVISION_READERS, "项目管理"),
    NavItem("工作进展月报", "/console/progress-reports", REPORT_READERS, "项目管理"),
    # Demonstration communities (console/demonstration.py): the district and city admins.
    NavItem("示范社区评选", "/console/demonstration", RANKERS, "项目管理"),
    # The RQ queues, workers and failed jobs (console/queues.py): the city administration.
    NavItem("任务队列", "/console/queues", frozenset({Role.city_admin}), "服务与人员"),
]


def nav_for(account: Account) -> list[NavItem]:
    """Return the entries `account`'s role may open, in order."""
    if account.role not in STAFF_ROLES:
        return []
    return [item for item in NAV if account.role in item.roles]


def nav_groups(account: Account) -> list[tuple[str, list[NavItem]]]:
    """Return the role's entries grouped under their headings, in first-seen order."""
    groups: dict[str, list[NavItem]] = {}
    for item in nav_for(account):
        groups.setdefault(item.group, []).append(item)
    return list(groups.items())
