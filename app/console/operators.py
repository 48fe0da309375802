"""Operators (运营机构) and their contracts; staff accounts belong to them (console page).

The same services as the API (services/programme/operators.py, contracts.py): the register of
operators the viewer reads, one operator with its staff, circles and contracts; the city admin
enters operators, the city or district admin records a contract and ends one early with a reason.
Outside the viewer's reach: a 404 page, nothing changes.
"""

import uuid
from datetime import date

from flask import render_template, request, url_for

from app.console import bp
from app.console.auth import client_ip, console_login_required, current_staff
from app.console.messages import action_refused, done, refused
from app.errors import APIError, ValidationFailed
from app.models import Role
from app.services.programme import contracts, operators

STATUS_TEXT = {"active": "正常", "suspended": "暂停", "ended": "已终止"}
EMPLOYMENT_TEXT = {"full_time": "专职", "part_time": "兼职"}


def _date(name: str, required: bool = True) -> date | None:
    """Read a date field of the form (422 invalid_date on the field)."""
    raw = (request.form.get(name) or "").strip()
    if not raw and not required:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(name, "A date is YYYY-MM-DD.", code="invalid_date") from None


def _number(name: str) -> int | None:
    """Read an optional whole number of the form (422 invalid_input)."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 13:
        raise ValidationFailed(name, "A whole number.", code="invalid_input")
    return int(raw)


def _fee_fen() -> int | None:
    """Read the fee typed in yuan (up to two decimals) as fen: money is never a float."""
    raw = (request.form.get("fee_yuan") or "").strip()
    if not raw:
        return None
    whole, _, cents = raw.partition(".")
    if not whole.isdigit() or len(whole) > 11 or not (cents == "" or (cents.isdigit() and len(cents) <= 2)):
        raise ValidationFailed("fee_yuan", "An amount in yuan, e.g. 80000.00.", code="invalid_input")
    return int(whole) * 100 + int((cents or "0").ljust(2, "0"))


@bp.get("/operators")
@console_login_required(*operators.READ_ROLES)
def operators_page():
    """List the operators the viewer reads, with the forms the viewer may use."""
    actor = current_staff()
    try:
        page_number = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page_number = 1
    page = operators.list_operators(actor, {"page": page_number, "per_page": 20})
    return render_template(
        "console/operators.html",
        page=page,
        status_text=STATUS_TEXT,
        page_url=lambda number: url_for("console.operators_page", page=number),
        may_enter=actor.role == Role.city_admin,
        may_contract=actor.role in contracts.WRITE_ROLES,
        form_key=uuid.uuid4().hex,
    )


@bp.post("/operators")
@console_login_required(Role.city_admin)
def create_operator_page():
    """Enter an operator from the form."""
    values = {
        name: (request.form.get(name) or "").strip() for name in ("name", "credit_code", "contact_name")
    }
    values["contact_phone"] = (request.form.get("contact_phone") or "").strip() or None
    try:
        if not 2 <= len(values["name"]) <= 128:
            raise ValidationFailed("name", "2–128 characters.", code="invalid_input")
        operator, created = operators.create_operator(current_staff(), values, client_ip())
    except APIError as error:
        return action_refused(error, url_for("console.operators_page"))
    message = "已登记运营机构。" if created else "该统一社会信用代码已登记，已打开原机构。"
    return done(message, url_for("console.operator_page", operator_id=operator["id"]))


@bp.get("/operators/<int:operator_id>")
@console_login_required(*operators.READ_ROLES)
def operator_page(operator_id: int):
    """Show one operator: its staff, the circles it answers for today, its contracts."""
    actor = current_staff()
    try:
        operator = operators.get_operator(actor, operator_id)
    except APIError as error:
        return refused(error)
    listed = contracts.list_contracts(actor, {"operator_id": operator_id, "page": 1, "per_page": 100})
    return render_template(
        "console/operator.html",
        operator=operator,
        contracts=listed.items,
        status_text=STATUS_TEXT,
        employment_text=EMPLOYMENT_TEXT,
        role_text={role.value: role.label for role in Role},
        may_end=actor.role in contracts.WRITE_ROLES,
    )


@bp.post("/operator-contracts")
@console_login_required(*contracts.WRITE_ROLES)
def create_contract_page():
    """Record a contract from the form (a district's, or one circle's)."""
    back = url_for("console.operators_page")
    try:
        values = {
            "operator_id": _number("operator_id"),
            "district": (request.form.get("district") or "").strip() or None,
            "circle": (request.form.get("circle") or "").strip() or None,
            "starts_on": _date("starts_on"),
            "ends_on": _date("ends_on"),
            "population_served": _number("population_served"),
            "fee_fen": _fee_fen(),
            "reference": (request.form.get("reference") or "").strip()[:64] or None,
            # The page's own key: a double submit makes one contract.
            "client_id": (request.form.get("client_id") or "").strip()[:64] or None,
        }
        if values["operator_id"] is None:
            raise ValidationFailed("operator_id", "Choose the operator.", code="operator_not_found")
        contract, _ = contracts.create_contract(current_staff(), values, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("已登记服务合同。", url_for("console.operator_page", operator_id=contract["operator_id"]))


@bp.post("/operator-contracts/<int:contract_id>/end")
@console_login_required(*contracts.WRITE_ROLES)
def end_contract_page(contract_id: int):
    """End a contract early with the form's reason (and last day, default today)."""
    actor = current_staff()
    try:
        contract = contracts.get_contract(actor, contract_id)
    except APIError as error:
        return refused(error)
    back = url_for("console.operator_page", operator_id=contract["operator_id"])
    try:
        values = {"reason": request.form.get("reason") or "", "last_day": _date("last_day", required=False)}
        contracts.end_contract(actor, contract_id, values, client_ip())
    except APIError as error:
        return action_refused(error, back)
    return done("合同已终止，原因已记录。", back)
