"""Work queues: what staff do from a list's rows, each a POST (CSRF) calling one service.

Reviewing jobs (approve, or reject with a reason; also how a reported job is cleared or taken
down), verifying employers, and switching staff accounts off and on. Each action goes back to
the list it came from (its `next`, with the filters kept) with a flash message in Chinese; a
refusal about something outside the user's place or role is its own 404/403 page, and nothing
changes. `row_actions` says which buttons a row offers: only what the role may do and the row's
state allows; the service still decides. Assigning grid workers and creating staff accounts
have pages of their own (grid_workers.py, staff.py); an unclaimed employer's "发放认领码" and the
employer visits' "生成岗位草稿" are answered in employer_visits.py.
"""

from dataclasses import dataclass

from flask import request, url_for

from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done
from app.errors import APIError, ValidationFailed
from app.models import Account, EmployerStatus, JobStatus, Role
from app.services import lists
from app.services.grid.assignment import ASSIGN_ROLES
from app.services.jobs import employers, posts
from app.services.jobs.employer_visits import RECORD_ROLES as VISIT_RECORDERS
from app.services.jobs.employers import VERIFY_ROLES
from app.services.jobs.posts import REVIEW_ROLES
from app.services.people import staff
from app.services.people.staff import CREATABLE_ROLES

REVIEW_DECISIONS = ("approved", "rejected")
VERIFY_DECISIONS = (EmployerStatus.verified.value, EmployerStatus.rejected.value)


@dataclass(frozen=True)
class RowAction:
    """One button (or link) on a row: a POST form to `url` with hidden `fields`, or a GET link.

    `reason` labels a required text box (the reason the service records and the other side sees).
    """

    label: str
    url: str
    fields: tuple = ()
    reason: str | None = None
    style: str = ""
    confirm: str | None = None
    method: str = "post"
    testid: str = ""


def list_url(name: str) -> str:
    """Return a list page's address (where an action goes back to when it came from nowhere)."""
    return url_for("console.list_page", name=name)


# ---- which buttons a row offers ------------------------------------------------------------------


def _job_actions(actor: Account, row: dict) -> list[RowAction]:
    """Approve or reject a job pending review (operators and station staff)."""
    if actor.role not in REVIEW_ROLES or row.get("status_code") != JobStatus.pending_review:
        return []
    url = url_for("console.review_job", job_id=row["id"])
    return [
        RowAction("通过", url, (("decision", "approved"),), testid=f"approve-{row['id']}"),
        RowAction(
            "驳回",
            url,
            (("decision", "rejected"),),
            reason="驳回原因（用人单位可见）",
            style="danger",
            testid=f"reject-{row['id']}",
        ),
    ]


def _report_actions(actor: Account, row: dict) -> list[RowAction]:
    """Clear an open report by reviewing its job, once the reports have sent the job back to review."""
    pending = row.get("job_status_code") == JobStatus.pending_review
    if actor.role not in REVIEW_ROLES or row.get("state_code") != "open" or not pending:
        return []
    url = url_for("console.review_job", job_id=row["job_id"])
    return [
        RowAction(
            "举报不实，恢复发布",
            url,
            (("decision", "approved"),),
            confirm="确认举报不实并恢复发布该岗位吗？该岗位的待处理举报将一并结案。",
            testid=f"restore-{row['id']}",
        ),
        RowAction(
            "举报属实，下架退回",
            url,
            (("decision", "rejected"),),
            reason="下架原因（用人单位可见）",
            style="danger",
            testid=f"take-down-{row['id']}",
        ),
    ]


def _employer_actions(actor: Account, row: dict) -> list[RowAction]:
    """Verify an employer, or refuse (or withdraw) its verification with a reason."""
    if actor.role not in VERIFY_ROLES:
        return []
    url = url_for("console.verify_employer", employer_id=row["id"])
    status, actions = row.get("status_code"), []
    if status != EmployerStatus.verified:
        actions.append(RowAction("核验通过", url, (("decision", "verified"),), testid=f"verify-{row['id']}"))
    if status != EmployerStatus.rejected:
        actions.append(
            RowAction(
                "不予通过" if status == EmployerStatus.pending else "撤销核验",
                url,
                (("decision", "rejected"),),
                reason="原因（用人单位可见）",
                style="danger",
                testid=f"refuse-{row['id']}",
            )
        )
    return actions


def _claim_code_actions(actor: Account, row: dict) -> list[RowAction]:
    """Issue a new claim code to a business staff registered that has not claimed it yet."""
    if actor.role not in VISIT_RECORDERS or row.get("claimed_code") != "no":
        return []
    url = url_for("console.issue_employer_claim_code", employer_id=row["id"])
    confirm = "发放新的认领码后，原认领码立即失效。确定发放吗？"
    return [
        RowAction("发放认领码", url, style="secondary", confirm=confirm, testid=f"claim-code-{row['id']}")
    ]


def _employer_row_actions(actor: Account, row: dict) -> list[RowAction]:
    """An employer row's actions: verifying it, and a claim code while nobody has claimed it."""
    return _employer_actions(actor, row) + _claim_code_actions(actor, row)


def _grid_worker_actions(actor: Account, row: dict) -> list[RowAction]:
    """Open a grid worker's communities to assign or unassign them."""
    if actor.role not in ASSIGN_ROLES:
        return []
    url = url_for("console.grid_worker_communities", account_id=row["id"])
    return [RowAction("分配社区", url, method="get", testid=f"communities-{row['id']}")]


def _staff_actions(actor: Account, row: dict) -> list[RowAction]:
    """Switch an account the actor manages off or on (never their own)."""
    if row["id"] == actor.id or row.get("role_code") not in CREATABLE_ROLES.get(Role(actor.role), ()):
        return []
    url = url_for("console.set_staff_active", account_id=row["id"])
    if row.get("active_code") == "yes":
        return [
            RowAction(
                "停用",
                url,
                (("active", "0"),),
                style="danger",
                confirm=f"确定停用账号 {row['username']} 吗？其所有登录将立即失效。",
                testid=f"disable-{row['id']}",
            )
        ]
    return [RowAction("启用", url, (("active", "1"),), style="secondary", testid=f"enable-{row['id']}")]


def _resident_actions(actor: Account, row: dict) -> list[RowAction]:
    """Reveal a resident's full ID number and phone (audited, with a reason) to roles that may."""
    if not lists.may_reveal(actor):
        return []
    return [
        RowAction(
            "查看完整信息",
            url_for("console.reveal_resident", resident_id=row["id"]),
            reason="查看原因（记入审计日志）",
            style="secondary",
            testid=f"reveal-{row['id']}",
        )
    ]


def _certification_actions(actor: Account, row: dict) -> list[RowAction]:
    """Open a certification: its evidence, and the forms to certify or reject it (certifications.py)."""
    url = url_for("console.certification_page", certification_id=row["id"])
    pending = row.get("status_code") == "pending" and actor.role != Role.supervisor
    return [RowAction("审核" if pending else "查看", url, method="get", testid=f"open-{row['id']}")]


ROW_ACTIONS = {
    "jobs": _job_actions,
    "job_reports": _report_actions,
    "employers": _employer_row_actions,
    "grid_workers": _grid_worker_actions,
    "staff_accounts": _staff_actions,
    "residents": _resident_actions,
    "certifications": _certification_actions,
}


# Links above a list's table (a GET RowAction each), by list name: filled by the page modules that
# own the forms (counter.py: "柜台办理" on registrations and certifications).
LIST_LINKS: dict = {}


def list_links(name: str, actor: Account) -> list[RowAction]:
    """Return the links a list page offers this actor above its table."""
    builder = LIST_LINKS.get(name)
    return builder(actor) if builder else []


def row_actions(name: str, actor: Account, row: dict) -> list[RowAction]:
    """Return the actions one row of a list offers this actor."""
    builder = ROW_ACTIONS.get(name)
    return builder(actor, row) if builder else []


# ---- the actions ---------------------------------------------------------------------------------


def _choice(field: str, allowed: tuple) -> str:
    """Return a form field that must be one of `allowed`, or 422 on it."""
    value = request.form.get(field, "")
    if value not in allowed:
        raise ValidationFailed(field, f"Choose one of: {', '.join(allowed)}.", code="invalid_input")
    return value


def _reason() -> str | None:
    """Return the form's reason, trimmed (None when blank: the service says when one is needed)."""
    return (request.form.get("reason") or "").strip()[:200] or None


@bp.post("/jobs/<int:job_id>/review")
@console_login_required()
def review_job(job_id: int):
    """Approve (publish) or reject (back to the employer, with a reason) a job pending review."""
    try:
        decision = _choice("decision", REVIEW_DECISIONS)
        job = posts.review(current_staff(), job_id, decision, _reason(), client_ip())
    except APIError as error:
        return action_refused(error, list_url("jobs"))
    if decision == "approved":
        return done(f"已通过岗位「{job.title}」，岗位已发布。", list_url("jobs"))
    return done(f"已驳回岗位「{job.title}」，已退回用人单位修改。", list_url("jobs"))


@bp.post("/employers/<int:employer_id>/verify")
@console_login_required()
def verify_employer(employer_id: int):
    """Verify an employer, or refuse its verification with a reason."""
    try:
        decision = _choice("decision", VERIFY_DECISIONS)
        employer = employers.verify(current_staff(), employer_id, decision, _reason(), client_ip())
    except APIError as error:
        return action_refused(error, list_url("employers"))
    if decision == EmployerStatus.verified:
        return done(f"已核验通过「{employer.name}」。", list_url("employers"))
    return done(f"「{employer.name}」核验未通过，原因已告知用人单位。", list_url("employers"))


@bp.post("/staff/<int:account_id>/active")
@console_login_required()
def set_staff_active(account_id: int):
    """Switch a staff account the actor manages off (its sessions and tokens end) or back on."""
    try:
        active = _choice("active", ("0", "1")) == "1"
        account = staff.update_staff(current_staff(), account_id, {"is_active": active}, client_ip())
    except APIError as error:
        return action_refused(error, list_url("staff_accounts"))
    verb = "启用" if active else "停用"
    return done(f"已{verb}账号 {account.username}。", list_url("staff_accounts"))
