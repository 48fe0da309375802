"""Creating a staff account (新建工作人员账号) within the actor's place, from a form.

The form offers the roles the actor may give (people/staff.py CREATABLE_ROLES) and starts at the
actor's own place; people/staff.py `create_staff` decides the rest (a place inside the actor's,
a level the role may have, the password's length, a free username). A refusal shows the form
again with what was typed (never the password) and the reason in Chinese.
"""

from flask import render_template, request, url_for

from app.console import bp, error_page
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import done, say
from app.errors import APIError, ValidationFailed
from app.models import Account, Role, ScopeKind
from app.services.people import staff
from app.services.people.staff import CREATABLE_ROLES, ROLE_SCOPE_KINDS

FIELD_LABELS = {
    "username": "用户名",
    "display_name": "姓名",
    "role": "角色",
    "scope.kind": "地区层级",
    "scope.code": "地区编码",
    "scope": "所属地区",
    "password": "初始密码",
    "password2": "确认密码",
    "operator_id": "所属运营机构",
    "employment_type": "用工方式",
}
EMPLOYMENT_TYPES = {"full_time": "专职", "part_time": "兼职"}
SCOPE_LABELS = {
    ScopeKind.community: "社区/村",
    ScopeKind.township: "街道/乡镇",
    ScopeKind.circle: "就业圈",
    ScopeKind.district: "区县",
    ScopeKind.city: "市",
}


def _roles(actor: Account) -> list[Role]:
    """Return the roles the actor may give, in the order of the Role enum."""
    creatable = CREATABLE_ROLES.get(Role(actor.role), set())
    return [role for role in Role if role in creatable]


def _form(actor: Account, values: dict, error: str | None = None, status: int = 200):
    """Render the form with `values` (what was typed) and an error."""
    roles = _roles(actor)
    kinds = {
        role.value: [SCOPE_LABELS[kind] for kind in ScopeKind if kind in ROLE_SCOPE_KINDS[role]]
        for role in roles
    }
    page = render_template(
        "console/staff_form.html",
        roles=roles,
        role_kinds=kinds,
        scope_labels=SCOPE_LABELS,
        values=values,
        error=error,
        employment_types=EMPLOYMENT_TYPES,
    )
    return page, status


def _typed() -> dict:
    """Return what the form holds, as the service takes it (the password apart)."""
    form = request.form
    return {
        "username": form.get("username", "").strip(),
        "display_name": form.get("display_name", "").strip() or None,
        "role": form.get("role", ""),
        "scope": {"kind": form.get("scope_kind", ""), "code": form.get("scope_code", "").strip()},
        "operator_id": form.get("operator_id", "").strip() or None,
        "employment_type": form.get("employment_type") or None,
    }


def _check_typed(values: dict) -> None:
    """Check what the service cannot read at all: a role given, the password typed twice alike."""
    if values["role"] not in {role.value for role in Role}:
        raise ValidationFailed("role", "Choose a role.", code="invalid_input")
    operator = values["operator_id"]
    if operator is not None and not (operator.isdigit() and len(operator) < 19):
        raise ValidationFailed("operator_id", "An operator's number.", code="invalid_input")
    if values["employment_type"] not in (None, *EMPLOYMENT_TYPES):
        raise ValidationFailed("employment_type", "Choose from the list.", code="invalid_input")
    if request.form.get("password", "") != request.form.get("password2", ""):
        raise ValidationFailed("password2", "The passwords differ.", code="passwords_differ")


@bp.get("/staff/new")
@console_login_required()
def new_staff():
    """Show the form for a new staff account, starting at the actor's own place."""
    actor = current_staff()
    if not _roles(actor):
        return error_page(403, "您的角色不能创建工作人员账号。", "role_forbidden")
    return _form(actor, {})


@bp.post("/staff")
@console_login_required()
def create_staff():
    """Create the staff account the form describes, inside the actor's place."""
    actor = current_staff()
    values = _typed()
    try:
        _check_typed(values)
        given = {**values, "password": request.form.get("password", "")}
        if values["operator_id"] is None:
            given.pop("operator_id")  # an operator's account then gives its own
        else:
            given["operator_id"] = int(values["operator_id"])
        account = staff.create_staff(actor, given, client_ip())
    except APIError as error:
        return _form(actor, values, say(error, FIELD_LABELS), error.status)
    role = Role(account.role).label
    return done(
        f"已创建账号 {account.username}（{role}），请将初始密码告知本人。",
        url_for("console.list_page", name="staff_accounts"),
    )
