"""The policy catalogue (政策库) and the working list (政策找人) in the console.

The catalogue lists the policies the viewer manages (the city admin the city's and every
district's, a district admin the district's) with their version in force and the latest
version's status; a policy's page shows its versions, the rule in words (each condition
with the labels of the facts it reads) beside the raw JSON, and the steps the viewer may take:
edit a draft (editing a published version makes a new draft), submit, publish, withdraw.
Publishing is offered only to a second administrator in scope (never the version's author);
catalogue.py decides all of it and refuses otherwise. The rule and the benefit are typed as JSON
in textareas; the services check them and their refusals come back in Chinese beside the form.
The working list shows who qualifies and has not claimed, in the viewer's place, masked.
"""

import json

from flask import render_template, request, url_for

from app.common.clock import local_day
from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused, say
from app.errors import APIError, Forbidden, NotFound, ValidationFailed
from app.models import ClaimPeriod, PolicySubject, PolicyVersionStatus
from app.services.people import places
from app.services.policies import catalogue, facts, rules, working_list

# Who writes and publishes policies (catalogue.py: the city admin, a district admin for its district).
MANAGERS = tuple(catalogue.MANAGER_ROLES)

VERSION_STATUS = {
    PolicyVersionStatus.draft: "草稿",
    PolicyVersionStatus.pending: "待发布",
    PolicyVersionStatus.published: "已发布",
    PolicyVersionStatus.superseded: "已被新版本取代",
    PolicyVersionStatus.withdrawn: "已撤回",
}
SUBJECTS = {PolicySubject.person: "个人", PolicySubject.employer: "用人单位"}
PERIODS = {ClaimPeriod.once: "一次性", ClaimPeriod.yearly: "每年一次", ClaimPeriod.monthly: "按月"}
FIELD_LABELS = {
    "code": "政策编码",
    "subject": "享受对象",
    "title": "政策名称",
    "document_number": "文号",
    "issuer": "发文机关",
    "summary": "政策摘要",
    "place_codes": "适用地区",
    "effective_from": "生效日期",
    "effective_until": "失效日期",
    "benefit": "补贴标准（JSON）",
    "materials": "申领材料",
    "claim_deadline": "申领期限",
    "claim_period": "申领周期",
    "notice_days": "公示天数",
    "rule": "享受条件（JSON）",
    "hints": "未满足条件时的提示（JSON）",
    "district_code": "所属区县",
}


# ---- the rule in words ----------------------------------------------------------------------------


def rule_words(rule) -> list[str]:
    """Return the rule's top-level conditions in plain Chinese, as the trace will say them."""
    return [rules.formula_text(condition) for condition in rules.conditions(rule)]


def rule_facts(names: list[str]) -> list[dict]:
    """Return the facts a rule reads, with their labels and whether the ledger verifies them."""
    rows = []
    for name in names or []:
        fact = facts.FACTS.get(name)
        rows.append(
            {
                "name": name,
                "label": fact.label if fact else name,
                "unit": fact.unit if fact else None,
                "verified": bool(fact and fact.verified),
            }
        )
    return rows


def owner_name(district_code: str | None) -> str:
    """Say whose policy it is: 市级, or the district's name."""
    if not district_code:
        return "市级"
    place = places.find_place("district", district_code)
    return place.name if place is not None else district_code


def pretty(value) -> str:
    """Return JSON for a textarea or a <pre>, indented, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def steps(actor, shown: dict) -> dict:
    """Return which buttons the policy's latest version offers a manager (catalogue.py still decides).

    `shown["versions"]` is set only for a manager. 发布 is offered to a manager other than the
    version's author; 修改 to every manager (a published version's edit makes a new draft).
    """
    if shown.get("versions") is None:
        return {"edit": False, "submit": False, "publish": False, "withdraw": False, "manager": False}
    latest = shown["versions"][-1]
    published = any(v["status"] == PolicyVersionStatus.published for v in shown["versions"])
    return {
        "manager": True,
        "edit": True,
        "submit": latest["status"] == PolicyVersionStatus.draft,
        "publish": latest["status"] == PolicyVersionStatus.pending and latest["author_id"] != actor.id,
        "withdraw": published,
    }


# ---- the form -------------------------------------------------------------------------------------


def _json_field(name: str, default):
    """Return a textarea's JSON, or 422 on it (a blank box: `default`)."""
    text = (request.form.get(name) or "").strip()
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        code = {"rule": "rule_invalid", "benefit": "benefit_invalid"}.get(name, "invalid_input")
        raise ValidationFailed(name, "Not valid JSON.", code=code) from None


def _lines(name: str) -> list[str]:
    """Return a textarea's non-blank lines (materials, place codes)."""
    return [line.strip() for line in (request.form.get(name) or "").splitlines() if line.strip()]


def _typed() -> dict:
    """Return what the form holds as text (shown again when refused)."""
    return {name: request.form.get(name, "") for name in FIELD_LABELS}


def _values() -> dict:
    """Return the form's values as the catalogue takes them."""
    form = request.form
    deadline = {}
    if (form.get("within_days") or "").strip():
        try:
            deadline["within_days"] = int(form["within_days"])
        except ValueError:
            raise ValidationFailed(
                "claim_deadline", "A whole number of days.", code="invalid_input"
            ) from None
    if (form.get("deadline_by") or "").strip():
        deadline["by"] = form["deadline_by"].strip()
    try:
        notice_days = int(form.get("notice_days") or 7)
    except ValueError:
        raise ValidationFailed("notice_days", "A whole number of days.", code="invalid_input") from None
    return {
        "title": form.get("title", "").strip(),
        "document_number": form.get("document_number", "").strip() or None,
        "issuer": form.get("issuer", "").strip() or None,
        "summary": form.get("summary", "").strip() or None,
        "place_codes": _lines("place_codes"),
        "effective_from": form.get("effective_from", "").strip() or None,
        "effective_until": form.get("effective_until", "").strip() or None,
        "benefit": _json_field("benefit", None),
        "materials": _lines("materials"),
        "claim_deadline": deadline,
        "claim_period": form.get("claim_period", ClaimPeriod.once.value),
        "notice_days": notice_days,
        "rule": _json_field("rule", None),
        "hints": _json_field("hints", {}),
    }


def _version_form(shown: dict) -> dict:
    """Return a version's values (catalogue.view's dict) as the form shows them."""
    deadline = shown.get("claim_deadline") or {}
    return {
        "title": shown["title"],
        "document_number": shown.get("document_number") or "",
        "issuer": shown.get("issuer") or "",
        "summary": shown.get("summary") or "",
        "place_codes": "\n".join(shown.get("place_codes") or []),
        "effective_from": shown["effective_from"].isoformat() if shown.get("effective_from") else "",
        "effective_until": shown["effective_until"].isoformat() if shown.get("effective_until") else "",
        "benefit": pretty(shown["benefit"]),
        "materials": "\n".join(shown.get("materials") or []),
        "within_days": deadline.get("within_days", ""),
        "deadline_by": deadline.get("by", ""),
        "claim_period": shown["claim_period"],
        "notice_days": shown["notice_days"],
        "rule": pretty(shown["rule"]),
        "hints": pretty(shown.get("hints") or {}),
    }


def _form_page(values: dict, shown: dict | None = None, error: str | None = None, status: int = 200):
    """Render the create/edit form with what was typed and the refusal in Chinese."""
    page = render_template(
        "console/policy_form.html",
        values=values,
        policy=shown,
        error=error,
        subjects=SUBJECTS,
        periods=PERIODS,
        fact_rows=sorted(facts.FACTS.values(), key=lambda fact: (fact.subject != "person", fact.name)),
    )
    return page, status


# Refusals whose service message names the part of the JSON that is wrong: shown after the
# Chinese sentence, since the rule and the benefit are typed as JSON.
DETAILED = frozenset({"rule_invalid", "benefit_invalid", "validation_error", "unknown_fact", "unknown_place"})


def form_error(error: APIError) -> str:
    """Say a refusal of the form in Chinese, with the service's detail where it points into the JSON."""
    message = say(error, FIELD_LABELS)
    return f"{message}（详情：{error.message}）" if error.code in DETAILED else message


def _typed_all() -> dict:
    """Return everything the form holds as typed (shown again when refused)."""
    return {
        **_typed(),
        "within_days": request.form.get("within_days", ""),
        "deadline_by": request.form.get("deadline_by", ""),
    }


# ---- the pages ------------------------------------------------------------------------------------


def _policy_url(policy_id: int, version_id: int | None = None) -> str:
    args = {"version": version_id} if version_id else {}
    return url_for("console.policy_page", policy_id=policy_id, **args)


@bp.get("/policies")
@console_login_required(*MANAGERS)
def policy_catalogue():
    """List the policies the viewer manages: the latest version's number and status, and the one in force."""
    today = local_day()
    in_force = {
        version.policy_id: version.number
        for subject in PolicySubject
        for version in catalogue.published_versions(subject.value, today)
    }
    return render_template(
        "console/policies.html",
        rows=catalogue.managed_list(current_staff()),
        in_force=in_force,
        status_text=VERSION_STATUS,
        subjects=SUBJECTS,
        owner_name=owner_name,
    )


@bp.get("/policies/new")
@console_login_required(*MANAGERS)
def new_policy():
    """Show the form for a new policy (its first version, a draft)."""
    values = {
        "effective_from": local_day().isoformat(),
        "claim_period": ClaimPeriod.once.value,
        "notice_days": 7,
        "within_days": 90,
        "benefit": pretty({"kind": "fixed", "amount": 1000}),
        "rule": pretty(
            {"and": [{">=": [{"var": "age"}, 16]}, {"==": [{"var": "unemployment_registered"}, True]}]}
        ),
        "hints": "{}",
        "subject": PolicySubject.person.value,
    }
    return _form_page(values)


@bp.post("/policies")
@console_login_required(*MANAGERS)
def create_policy():
    """Create a policy and its first version as a draft, from the form."""
    typed = {
        **_typed_all(),
        "code": request.form.get("code", ""),
        "subject": request.form.get("subject", ""),
        "district_code": request.form.get("district_code", ""),
    }
    try:
        values = _values() | {
            "code": request.form.get("code", "").strip() or None,
            "subject": request.form.get("subject", ""),
            "district_code": request.form.get("district_code", "").strip() or None,
        }
        version, _created = catalogue.create_policy(current_staff(), values, client_ip())
    except APIError as error:
        return _form_page(typed, error=form_error(error), status=error.status)
    return done(
        f"已创建政策「{version.title}」（第 1 版草稿）。提交后由另一位管理员发布。",
        _policy_url(version.policy_id),
    )


def _shown(policy_id: int, version_id: int | None = None) -> dict:
    """Return the policy as the viewer may see it; a manager may ask for an earlier version."""
    actor = current_staff()
    shown = catalogue.get_policy(actor, policy_id)
    if version_id is None or version_id == shown["version_id"] or shown.get("versions") is None:
        return shown
    version = catalogue.get_version(version_id)
    if version.policy_id != policy_id:
        raise NotFound("policy_version_not_found", f"No version {version_id} of policy {policy_id}.")
    return catalogue.view(version.policy, version, with_versions=True)


@bp.get("/policies/<int:policy_id>")
@console_login_required(*MANAGERS)
def policy_page(policy_id: int):
    """Show a policy: its versions, the rule in words and as JSON, and the viewer's steps."""
    actor = current_staff()
    try:
        shown = _shown(policy_id, request.args.get("version", type=int))
    except APIError as error:
        return refused(error)
    latest_id = shown["versions"][-1]["version_id"] if shown.get("versions") else shown["version_id"]
    return render_template(
        "console/policy.html",
        p=shown,
        is_latest=shown["version_id"] == latest_id,
        status_text=VERSION_STATUS,
        subjects=SUBJECTS,
        periods=PERIODS,
        rule_words=rule_words(shown["rule"]),
        rule_facts=rule_facts(shown["rule_facts"]),
        rule_json=pretty(shown["rule"]),
        benefit_json=pretty(shown["benefit"]),
        steps=steps(actor, shown),
        owner=owner_name(shown.get("district_code")),
    )


@bp.get("/policies/<int:policy_id>/edit")
@console_login_required(*MANAGERS)
def edit_policy(policy_id: int):
    """Show the edit form filled with the latest version (a published one's edit saves a new draft)."""
    try:
        shown = catalogue.get_policy(current_staff(), policy_id)
        if shown.get("versions") is None:
            raise catalogue_forbidden()
    except APIError as error:
        return refused(error)
    return _form_page(_version_form(shown), shown)


def catalogue_forbidden() -> APIError:
    """Return the 403 of a policy the viewer reads but does not manage."""
    return Forbidden("not_in_scope", "Only the policy's city admin or district admin may change it.")


@bp.post("/policies/<int:policy_id>/edit")
@console_login_required(*MANAGERS)
def save_policy(policy_id: int):
    """Save the form to the draft (a published version's edit makes a new draft version)."""
    actor = current_staff()
    try:
        shown = catalogue.get_policy(actor, policy_id)
    except APIError as error:
        return refused(error)
    try:
        version = catalogue.edit(actor, policy_id, _values(), client_ip())
    except APIError as error:
        if error.status in (403, 404):
            return refused(error)
        return _form_page(_typed_all(), shown, form_error(error), error.status)
    return done(
        f"已保存第 {version.number} 版草稿。"
        + ("（原已发布版本在新版本发布前继续有效。）" if version.number > shown["number"] else ""),
        _policy_url(policy_id, version.id),
    )


def _step(policy_id: int, call, message: str):
    """Run one catalogue step on a policy's latest version and go back to its page with a flash."""
    try:
        call(current_staff(), policy_id, client_ip())
    except APIError as error:
        return action_refused(error, _policy_url(policy_id))
    return done(message, _policy_url(policy_id))


@bp.post("/policies/<int:policy_id>/submit")
@console_login_required(*MANAGERS)
def submit_policy(policy_id: int):
    """Submit the draft for publication by a second administrator."""
    return _step(policy_id, catalogue.submit, "已提交，待另一位管理员发布。")


@bp.post("/policies/<int:policy_id>/publish")
@console_login_required(*MANAGERS)
def publish_policy(policy_id: int):
    """Publish the pending version (a second administrator, never its author): matching starts at once."""
    return _step(
        policy_id, catalogue.publish, "已发布。系统正在匹配符合条件的人员，稍后可在“政策找人”中查看。"
    )


@bp.post("/policies/<int:policy_id>/withdraw")
@console_login_required(*MANAGERS)
def withdraw_policy(policy_id: int):
    """Withdraw the published version: the policy stops, its unclaimed matches lapse."""
    reason = (request.form.get("reason") or "").strip()[:200] or None

    def withdraw(actor, policy_id, ip):
        return catalogue.withdraw(actor, policy_id, ip, reason)

    return _step(policy_id, withdraw, "已撤回该政策，尚未申领的匹配已失效。")


# ---- the working list -----------------------------------------------------------------------------


@bp.get("/working-list")
@console_login_required(*working_list.ROLES)
def policy_working_list():
    """List who qualifies and has not claimed, in the viewer's place: reason, amount, deadline (masked)."""
    actor = current_staff()
    page = request.args.get("page", 1, type=int) or 1
    policy_id = request.args.get("policy_id", type=int)
    try:
        result = working_list.rows(actor, max(page, 1), 20, policy_id)
    except APIError as error:
        return refused(error)
    today = local_day()
    return render_template(
        "console/policy_working_list.html",
        result=result,
        policy_id=policy_id,
        today=today,
        days_left=lambda deadline: (deadline - today).days if deadline else None,
        page_url=lambda n: url_for(
            "console.policy_working_list", page=n, **({"policy_id": policy_id} if policy_id else {})
        ),
    )
