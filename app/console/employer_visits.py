"""Employers met in the field (走访经营实体): the form to record a visit or call, and "生成岗位草稿".

The lists themselves are the listings `employer_visits` and `hiring_needs` at /console/lists/…
(filters, paging and exports from there). The form names the employer by its credit code and
carries a client_id made when it was drawn, so a double submit records one visit; up to
POSITIONS positions are typed in rows. A row of either list with open needs offers "生成岗位草稿"
(jobs/hiring_needs.py `make_drafts`), registered here in work_queues.ROW_ACTIONS.

Businesses without WeChat: "登记经营实体" registers one in a community the user works on
(jobs/employer_claims.py) and shows its one-time claim code on the answer page, once (it is
stored hashed); "发放认领码" on an unclaimed employer's row (work_queues.py) shows a new one.
"""

import uuid
from datetime import date

from flask import render_template, request, url_for

from app.common.clock import local_day
from app.console import bp, error_page
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, say
from app.console.work_queues import ROW_ACTIONS, RowAction, list_url
from app.errors import APIError, ValidationFailed
from app.models import (
    Account,
    EmployerProblem,
    EmployerSize,
    EmployerVisitChannel,
    JobCategory,
    SubsidyKind,
    WageUnit,
)
from app.services.jobs import employer_claims, employer_visits, hiring_needs
from app.services.jobs.employer_visits import RECORD_ROLES
from app.services.lists.base import local_time
from app.services.lists.labels import LABELS

# Position rows the form offers (a visit with more positions records the rest through the API).
POSITIONS = 3
FIELD_LABELS = {
    "credit_code": "统一社会信用代码",
    "employer_id": "经营实体",
    "channel": "方式",
    "visited_on": "走访日期",
    "follow_up_on": "跟进日期",
    "met_name": "接洽人",
    "met_title": "职务",
    "problem_notes": "困难说明",
    "follow_up": "跟进事项",
    **{
        f"needs.{i}.{key}": f"岗位{i + 1}{text}"
        for i in range(POSITIONS)
        for key, text in (
            ("title", "名称"),
            ("headcount", "人数"),
            ("wage_min", "最低薪资"),
            ("wage_max", "最高薪资"),
            ("deadline", "截止日期"),
        )
    },
}


def _date(name: str, required: bool = False) -> date | None:
    """Return a date field (YYYY-MM-DD), or 422 on it."""
    raw = request.form.get(name, "").strip()
    if not raw:
        if required:
            raise ValidationFailed(name, "Give a date.", code="invalid_date")
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(name, "Give a date as YYYY-MM-DD.", code="invalid_date") from None


def _number(name: str) -> int | None:
    """Return a whole-number field (blank: none), or 422 on it."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 7:
        raise ValidationFailed(name, "Give a whole number.", code="invalid_input")
    return int(raw)


def _text(name: str, limit: int) -> str | None:
    return request.form.get(name, "").strip()[:limit] or None


def _choice(name: str, allowed) -> str:
    value = request.form.get(name, "")
    if value not in {item.value for item in allowed}:
        raise ValidationFailed(name, "Choose one.", code="invalid_choice")
    return value


def _needs() -> list[dict]:
    """Return the typed positions (a row without a title is left out)."""
    needs = []
    for index in range(POSITIONS):
        prefix = f"needs.{index}."
        title = _text(prefix + "title", 64)
        if title is None:
            continue
        if len(title) < 2:
            raise ValidationFailed(prefix + "title", "At least 2 characters.", code="invalid_input")
        skills = [
            s.strip()[:20] for s in (request.form.get(prefix + "skills") or "").replace("，", ",").split(",")
        ]
        needs.append(
            {
                "title": title,
                "category": _choice(prefix + "category", JobCategory),
                "headcount": max(_number(prefix + "headcount") or 1, 1),
                "wage_min": _number(prefix + "wage_min"),
                "wage_max": _number(prefix + "wage_max"),
                "wage_unit": _choice(prefix + "wage_unit", WageUnit),
                "skills": [s for s in skills if s][:20],
                "deadline": _date(prefix + "deadline"),
            }
        )
    return needs


def _typed(actor: Account) -> dict:
    """Return the visit the form describes, as the service takes it."""
    form = request.form
    employer = employer_visits.employer_by_credit_code(actor, form.get("credit_code", ""))
    return {
        "client_id": (form.get("client_id") or "")[:64].lower() or uuid.uuid4().hex,
        "employer_id": employer.id,
        "channel": _choice("channel", EmployerVisitChannel),
        "visited_on": _date("visited_on", required=True),
        "met_name": _text("met_name", 64),
        "met_title": _text("met_title", 64),
        "needs": _needs(),
        "problems": [p for p in form.getlist("problems") if p in set(EmployerProblem)],
        "problem_notes": _text("problem_notes", 1000),
        "subsidy_interest": [s for s in form.getlist("subsidy_interest") if s in set(SubsidyKind)],
        "follow_up": _text("follow_up", 500),
        "follow_up_on": _date("follow_up_on"),
    }


def _form(values: dict, error: str | None = None, status: int = 200):
    """Render the form with what was typed (a fresh client_id when there is none)."""
    page = render_template(
        "console/employer_visit_form.html",
        values=values,
        client_id=values.get("client_id") or uuid.uuid4().hex,
        positions=range(POSITIONS),
        labels=LABELS,
        error=error,
    )
    return page, status


@bp.get("/employer-visits/new")
@console_login_required()
def new_employer_visit():
    """Show the form to record a visit or phone call to an employer, with its hiring needs."""
    if current_staff().role not in RECORD_ROLES:
        return error_page(403, "您的角色不能录入走访记录。", "role_forbidden")
    return _form({"visited_on": local_day().isoformat(), "channel": "visit"})


@bp.post("/employer-visits")
@console_login_required()
def record_employer_visit():
    """Record the visit the form describes; back to the visit list with a message."""
    actor = current_staff()
    if actor.role not in RECORD_ROLES:
        return error_page(403, "您的角色不能录入走访记录。", "role_forbidden")
    form = request.form.to_dict(flat=True) | {
        "problems": request.form.getlist("problems"),
        "subsidy_interest": request.form.getlist("subsidy_interest"),
    }
    try:
        visit, created = employer_visits.record_visit(actor, _typed(actor), client_ip())
    except APIError as error:
        if error.status == 403:
            return error_page(403, say(error), error.code)
        return _form(form, say(error, FIELD_LABELS), error.status)
    verb = "已录入" if created else "该走访记录此前已录入"
    needs = f"，用工需求 {len(visit.needs)} 个岗位" if visit.needs else ""
    return done(f"{verb}对「{visit.employer.name}」的走访{needs}。", list_url("employer_visits"))


@bp.post("/employer-visits/<int:employer_visit_id>/job-drafts")
@console_login_required()
def make_job_drafts(employer_visit_id: int):
    """Turn a visit's hiring needs into draft job posts of the employer (made before: not again)."""
    try:
        result = hiring_needs.make_drafts(current_staff(), employer_visit_id, client_ip())
    except APIError as error:
        return action_refused(error, list_url("employer_visits"))
    made = result["created"]
    if made:
        return done(f"已生成 {made} 个岗位草稿，待用人单位完善并提交审核。", list_url("employer_visits"))
    return done("这些用工需求此前已生成岗位草稿，未重复生成。", list_url("employer_visits"))


def _drafts_action(actor: Account, visit_id: int, testid: str) -> list[RowAction]:
    if actor.role not in RECORD_ROLES:
        return []
    url = url_for("console.make_job_drafts", employer_visit_id=visit_id)
    return [RowAction("生成岗位草稿", url, style="secondary", testid=testid)]


def _visit_actions(actor: Account, row: dict) -> list[RowAction]:
    """Offer "生成岗位草稿" on a visit with open hiring needs."""
    if row.get("open_needs_code") != "yes":
        return []
    return _drafts_action(actor, row["id"], f"drafts-{row['id']}")


def _need_actions(actor: Account, row: dict) -> list[RowAction]:
    """Offer "生成岗位草稿" (of the whole visit) on an open hiring need."""
    if row.get("state_code") != "open":
        return []
    return _drafts_action(actor, row["visit_id"], f"need-drafts-{row['id']}")


ROW_ACTIONS.update({"employer_visits": _visit_actions, "hiring_needs": _need_actions})


# ---- businesses registered in the field, and their claim codes ------------------------------------

EMPLOYER_LABELS = {
    "name": "单位名称",
    "credit_code": "统一社会信用代码",
    "community_code": "所在社区/村编码",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "address": "经营地址",
    "client_id": "表单",
}


def _employer_typed() -> dict:
    """Return the business the form describes, as the service takes it."""
    form = request.form
    name = _text("name", 128)
    if name is None or len(name) < 2:
        raise ValidationFailed("name", "At least 2 characters.", code="invalid_input")
    industry, size = form.get("industry") or None, form.get("size") or None
    if industry is not None and industry not in set(JobCategory):
        raise ValidationFailed("industry", "Choose one.", code="invalid_choice")
    if size is not None and size not in set(EmployerSize):
        raise ValidationFailed("size", "Choose one.", code="invalid_choice")
    return {
        "client_id": (form.get("client_id") or "")[:64].lower() or uuid.uuid4().hex,
        "name": name,
        "credit_code": form.get("credit_code", ""),
        "community_code": form.get("community_code", "").strip(),
        "contact_name": _text("contact_name", 64),
        "contact_phone": _text("contact_phone", 32),
        "industry": industry,
        "size": size,
        "address": _text("address", 255),
    }


def _employer_form(values: dict, error: str | None = None, status: int = 200):
    page = render_template(
        "console/field_employer_form.html",
        values=values,
        client_id=values.get("client_id") or uuid.uuid4().hex,
        labels=LABELS,
        error=error,
    )
    return page, status


def _claim_code_page(employer, code: str, expires_at, registered: bool):
    """Show the one-time claim code (this page only: it is stored hashed)."""
    return render_template(
        "console/employer_claim_code.html",
        employer=employer,
        code=code,
        expires_at=local_time(expires_at),
        registered=registered,
    )


@bp.get("/employers/field-new")
@console_login_required()
def new_field_employer():
    """Show the form to register a business met in the field that has no WeChat account yet."""
    if current_staff().role not in RECORD_ROLES:
        return error_page(403, "您的角色不能登记经营实体。", "role_forbidden")
    return _employer_form({})


@bp.post("/employers/field")
@console_login_required()
def register_field_employer():
    """Register the business the form describes; show its one-time claim code."""
    actor = current_staff()
    if actor.role not in RECORD_ROLES:
        return error_page(403, "您的角色不能登记经营实体。", "role_forbidden")
    form = request.form.to_dict(flat=True)
    try:
        employer, code, expires_at, _ = employer_claims.register_in_field(
            actor, _employer_typed(), client_ip()
        )
    except APIError as error:
        return _employer_form(form, say(error, EMPLOYER_LABELS), error.status)
    return _claim_code_page(employer, code, expires_at, True)


@bp.post("/employers/<int:employer_id>/claim-code")
@console_login_required()
def issue_employer_claim_code(employer_id: int):
    """Issue a new claim code to an unclaimed business in the actor's reach; show it once."""
    try:
        employer, code, expires_at = employer_claims.issue_claim_code(
            current_staff(), employer_id, client_ip()
        )
    except APIError as error:
        return action_refused(error, list_url("employers"))
    return _claim_code_page(employer, code, expires_at, False)
