"""Operators (运营机构): the city's register of them, who reads which, and their staff.

The city admin enters and edits operators (one row per unified social credit code). Who reads
an operator: the city admin every one; a district admin those with a contract in its district;
a supervisor those with a contract over its place (a circle-scoped one: contracts for its circle
or its whole district); an operator account its own operator. Anyone else with a staff role who
asks for one they may not read gets a 404, as for anything outside their place.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.common.credit_code import parse_credit_code
from app.common.crypto import encrypt
from app.common.identity import mask_phone, normalise_phone
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    Circle,
    City,
    Operator,
    OperatorContract,
    OperatorStatus,
    Role,
    ScopeKind,
)
from app.services.people import audit
from app.services.programme.responsibility import circles_of_operator
from app.services.results import Page, paginate

READ_ROLES = frozenset({Role.city_admin, Role.district_admin, Role.supervisor, Role.operator})
EDIT_FIELDS = ("name", "contact_name", "status")


def require_role(actor: Account, roles, what: str) -> None:
    """Refuse (403 role_forbidden) a role not among `roles`."""
    if actor.role not in roles:
        raise Forbidden("role_forbidden", f"Your role may not {what}.")


def contract_clause(actor: Account):
    """Return the WHERE clause of the contracts whose place the actor watches (false: none).

    City level: all; a district (admin, supervisor or operator scoped there): the district's;
    a circle: its own circle's and its district's district-wide ones. An operator account reads
    its own operator's contracts only.
    """
    if actor.role not in READ_ROLES or actor.scope_kind is None or actor.scope_id is None:
        return sa.false()
    if actor.role == Role.operator:
        if actor.operator_id is None:
            return sa.false()
        return OperatorContract.operator_id == actor.operator_id
    kind = ScopeKind(actor.scope_kind)
    if kind is ScopeKind.city:
        return sa.true()
    if kind is ScopeKind.district:
        return OperatorContract.district_id == actor.scope_id
    if kind is ScopeKind.circle:
        circle = db.session.get(Circle, actor.scope_id)
        if circle is None:
            return sa.false()
        return sa.and_(
            OperatorContract.district_id == circle.district_id,
            sa.or_(OperatorContract.circle_id == circle.id, OperatorContract.circle_id.is_(None)),
        )
    return sa.false()


def operator_clause(actor: Account):
    """Return the WHERE clause of the operators the actor reads (the rule in this module's docstring)."""
    if actor.role == Role.operator:
        return Operator.id == actor.operator_id if actor.operator_id is not None else sa.false()
    if actor.role == Role.city_admin or (
        actor.role == Role.supervisor and actor.scope_kind == ScopeKind.city.value
    ):
        return sa.true() if actor.scope_kind is not None else sa.false()
    return Operator.id.in_(sa.select(OperatorContract.operator_id).where(contract_clause(actor)))


def get_readable(actor: Account, operator_id: int, for_update: bool = False) -> Operator:
    """Load an operator the actor reads, or 404 operator_not_found (403 for a role that reads none)."""
    require_role(actor, READ_ROLES, "read operators")
    statement = sa.select(Operator).where(Operator.id == operator_id, operator_clause(actor))
    if for_update:
        statement = statement.with_for_update()
    operator = db.session.scalar(statement)
    if operator is None:
        raise NotFound("operator_not_found", f"No operator {operator_id} that you may see.")
    return operator


def view(operator: Operator, detail: bool = False) -> dict:
    """Return an operator as the API shows it (the contact phone masked); with its staff and circles."""
    shown = {
        "id": operator.id,
        "name": operator.name,
        "credit_code": operator.credit_code,
        "contact_name": operator.contact_name,
        "contact_phone": operator.contact_phone_hint,
        "status": operator.status,
        "created_at": operator.created_at,
    }
    if detail:
        staff = db.session.scalars(
            sa.select(Account).where(Account.operator_id == operator.id).order_by(Account.id)
        ).all()
        shown["staff"] = [
            {
                "id": account.id,
                "username": account.username,
                "display_name": account.display_name,
                "role": account.role,
                "employment_type": account.employment_type,
                "is_active": account.is_active,
            }
            for account in staff
        ]
        circle_ids = circles_of_operator(operator.id, local_day())
        circles = db.session.scalars(sa.select(Circle).where(Circle.id.in_(circle_ids)).order_by(Circle.id))
        shown["circles"] = [{"id": c.id, "key": c.key, "name": c.name} for c in circles]
    return shown


def _contact_phone(operator: Operator, raw: str | None) -> None:
    """Store the contact phone encrypted with its mask (None clears it)."""
    if not raw:
        operator.contact_phone_enc, operator.contact_phone_hint = None, None
        return
    value = normalise_phone(raw, "contact_phone")
    operator.contact_phone_enc = encrypt(value, "phone")
    operator.contact_phone_hint = mask_phone(value)


def _by_code(credit_code: str) -> Operator | None:
    return db.session.scalar(sa.select(Operator).where(Operator.credit_code == credit_code))


def create_operator(actor: Account, values: dict, ip: str | None) -> tuple[dict, bool]:
    """Enter an operator in the city's register (city admin); return (it, created).

    The credit code is the natural key: entering the same organisation again returns the row
    already there, unchanged (a retried request makes one operator).
    """
    require_role(actor, {Role.city_admin}, "enter operators")
    credit_code = parse_credit_code(values["credit_code"])
    existing = _by_code(credit_code)
    if existing is not None:
        return view(existing, detail=True), False
    city_id = db.session.scalar(sa.select(City.id).order_by(City.id))
    operator = Operator(
        name=values["name"].strip(),
        credit_code=credit_code,
        city_id=city_id,
        contact_name=(values.get("contact_name") or "").strip() or None,
        status=OperatorStatus.active.value,
        created_by_id=actor.id,
    )
    _contact_phone(operator, values.get("contact_phone"))
    db.session.add(operator)
    try:
        db.session.flush()
    except IntegrityError:  # the same code entered at the same moment: the unique key kept one
        db.session.rollback()
        again = _by_code(credit_code)
        if again is None:
            raise
        return view(again, detail=True), False
    audit.record(
        "operator.create",
        actor=actor,
        object_type="operator",
        object_id=operator.id,
        ip=ip,
        detail={"name": operator.name, "credit_code": credit_code},
    )
    db.session.commit()
    return view(operator, detail=True), True


def edit_operator(actor: Account, operator_id: int, values: dict, ip: str | None) -> dict:
    """Change an operator's name, contact or status (city admin); suspended keeps its history."""
    require_role(actor, {Role.city_admin}, "edit operators")
    operator = get_readable(actor, operator_id, for_update=True)
    changes = {}
    for name in EDIT_FIELDS:
        if name in values and values[name] != getattr(operator, name):
            changes[name] = [getattr(operator, name), values[name]]
            setattr(operator, name, values[name])
    if "contact_phone" in values:
        _contact_phone(operator, values["contact_phone"])
        changes["contact_phone"] = "changed"
    if changes:
        audit.record(
            "operator.edit", actor=actor, object_type="operator", object_id=operator.id, ip=ip, detail=changes
        )
    db.session.commit()
    return view(operator, detail=True)


def get_operator(actor: Account, operator_id: int) -> dict:
    """Return one operator the actor reads, with its staff and the circles it answers for today."""
    return view(get_readable(actor, operator_id), detail=True)


def list_operators(actor: Account, args: dict) -> Page:
    """List the operators the actor reads, by name; ?status= filters."""
    require_role(actor, READ_ROLES, "read operators")
    statement = sa.select(Operator).where(operator_clause(actor))
    if args.get("status"):
        statement = statement.where(Operator.status == args["status"])
    page = paginate(statement, args["page"], args["per_page"], order_by=(Operator.name, Operator.id))
    return Page([view(o) for o in page.items], page.page, page.per_page, page.total)


def check_active(operator: Operator | None, field: str = "operator_id") -> Operator:
    """Refuse a missing (422 operator_not_found) or suspended (409 operator_suspended) operator."""
    if operator is None:
        raise ValidationFailed(field, "No such operator.", code="operator_not_found")
    if operator.status != OperatorStatus.active.value:
        raise Conflict("operator_suspended", "The operator is suspended: no new contracts or circles.", field)
    return operator
