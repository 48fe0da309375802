"""Operators' contracts (服务合同): for a district or one of its circles, over a period; ended early.

Written by the city admin, or by the admin of the contract's district (for any operator in the
city's register: a district contracts whom it chose). A retried create with the same client id
is applied once. Ending early sets the last day and the reason; the period's natural end needs
no status change (responsibility.py reads the dates).
"""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import Account, Circle, ContractStatus, District, Operator, OperatorContract, Role, utcnow
from app.services.people import audit
from app.services.people.places import find_place
from app.services.programme.operators import check_active, contract_clause, require_role
from app.services.results import Page, paginate

WRITE_ROLES = frozenset({Role.city_admin, Role.district_admin})


def view(contract: OperatorContract) -> dict:
    """Return a contract as the API shows it (fee in fen and yuan)."""
    district = db.session.get(District, contract.district_id)
    circle = db.session.get(Circle, contract.circle_id) if contract.circle_id else None
    return {
        "id": contract.id,
        "operator_id": contract.operator_id,
        "operator_name": contract.operator.name,
        "district": {"code": district.code, "name": district.name},
        "circle": ({"code": f"{district.short_code}-{circle.key}", "name": circle.name} if circle else None),
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "population_served": contract.population_served,
        "fee_fen": contract.fee_fen,
        "fee_yuan": None
        if contract.fee_fen is None
        else f"{contract.fee_fen // 100}.{contract.fee_fen % 100:02d}",
        "reference": contract.reference,
        "status": contract.status,
        "ended_reason": contract.ended_reason,
        "ended_at": contract.ended_at,
        "created_at": contract.created_at,
    }


def _place(actor: Account, values: dict) -> tuple[District, Circle | None]:
    """Resolve the contract's district (and circle) and check the actor may contract there."""
    circle = None
    if values.get("circle"):
        circle = find_place("circle", values["circle"])
        if circle is None:
            raise ValidationFailed("circle", "No circle with this code.", code="unknown_place")
        district = db.session.get(District, circle.district_id)
        if values.get("district") and values["district"] not in (district.code, district.short_code):
            raise ValidationFailed(
                "circle", "The circle is not of that district.", code="place_out_of_district"
            )
    else:
        district = find_place("district", values.get("district") or "")
        if district is None:
            raise ValidationFailed("district", "No district with this code.", code="unknown_place")
    if actor.role == Role.district_admin and district.id != actor.scope_id:
        raise ValidationFailed(
            "district", "A district admin contracts for its own district.", code="scope_outside_yours"
        )
    return district, circle


def _by_client_id(client_id: str | None) -> OperatorContract | None:
    if not client_id:
        return None
    return db.session.scalar(sa.select(OperatorContract).where(OperatorContract.client_id == client_id))


def create_contract(actor: Account, values: dict, ip: str | None) -> tuple[dict, bool]:
    """Record an operator's contract for a district or one of its circles; return (it, created)."""
    require_role(actor, WRITE_ROLES, "write contracts")
    existing = _by_client_id(values.get("client_id"))
    if existing is not None:
        if (
            db.session.scalar(
                sa.select(OperatorContract.id).where(
                    OperatorContract.id == existing.id, contract_clause(actor)
                )
            )
            is None
        ):
            # Someone else's key: say nothing of their contract.
            raise Conflict("client_id_in_use", "This client_id was used for another contract.", "client_id")
        return view(existing), False
    operator = check_active(db.session.get(Operator, values["operator_id"]))
    district, circle = _place(actor, values)
    if values["ends_on"] < values["starts_on"]:
        raise ValidationFailed(
            "ends_on", "The contract must end on or after its first day.", code="period_reversed"
        )
    contract = OperatorContract(
        operator_id=operator.id,
        district_id=district.id,
        circle_id=circle.id if circle else None,
        starts_on=values["starts_on"],
        ends_on=values["ends_on"],
        population_served=values.get("population_served"),
        fee_fen=values.get("fee_fen"),
        reference=(values.get("reference") or "").strip() or None,
        status=ContractStatus.active.value,
        client_id=values.get("client_id"),
        created_by_id=actor.id,
    )
    db.session.add(contract)
    try:
        db.session.flush()
    except IntegrityError:  # the same retry racing its first try
        db.session.rollback()
        again = _by_client_id(values.get("client_id"))
        if again is None:
            raise
        return view(again), False
    audit.record(
        "operator_contract.create",
        actor=actor,
        object_type="operator_contract",
        object_id=contract.id,
        ip=ip,
        detail={
            "operator_id": operator.id,
            "district": district.code,
            "circle_id": contract.circle_id,
            "period": [contract.starts_on.isoformat(), contract.ends_on.isoformat()],
            "fee_fen": contract.fee_fen,
        },
    )
    db.session.commit()
    return view(contract), True


def get_readable(actor: Account, contract_id: int, for_update: bool = False) -> OperatorContract:
    """Load a contract the actor reads, or 404 contract_not_found."""
    require_role(
        actor, {Role.city_admin, Role.district_admin, Role.supervisor, Role.operator}, "read contracts"
    )
    statement = sa.select(OperatorContract).where(OperatorContract.id == contract_id, contract_clause(actor))
    if for_update:
        statement = statement.with_for_update()
    contract = db.session.scalar(statement)
    if contract is None:
        raise NotFound("contract_not_found", f"No contract {contract_id} that you may see.")
    return contract


def get_contract(actor: Account, contract_id: int) -> dict:
    """Return one contract the actor reads."""
    return view(get_readable(actor, contract_id))


def list_contracts(actor: Account, args: dict) -> Page:
    """List the contracts the actor reads, newest period first; ?operator_id=, ?status=."""
    require_role(
        actor, {Role.city_admin, Role.district_admin, Role.supervisor, Role.operator}, "read contracts"
    )
    statement = sa.select(OperatorContract).where(contract_clause(actor))
    if args.get("operator_id"):
        statement = statement.where(OperatorContract.operator_id == args["operator_id"])
    if args.get("status"):
        statement = statement.where(OperatorContract.status == args["status"])
    page = paginate(
        statement,
        args["page"],
        args["per_page"],
        order_by=(OperatorContract.starts_on.desc(), OperatorContract.id),
    )
    return Page([view(c) for c in page.items], page.page, page.per_page, page.total)


def end_contract(actor: Account, contract_id: int, values: dict, ip: str | None) -> dict:
    """End a contract early with the reason: its last day (default today, never a future day)."""
    require_role(actor, WRITE_ROLES, "end contracts")
    contract = get_readable(actor, contract_id, for_update=True)
    if contract.status != ContractStatus.active.value:
        raise Conflict("contract_not_active", "The contract has already been ended.")
    last_day = values.get("last_day") or local_day()
    # An ending records what happened: its last day cannot lie ahead (a planned end is agreed
    # in a new contract); the day before its start ends it before it ever ran. Responsibility
    # reads the moved end date, so the days it ran keep their operator.
    if (
        last_day < contract.starts_on - timedelta(days=1)
        or last_day >= contract.ends_on
        or last_day > local_day()
    ):
        raise ValidationFailed(
            "last_day",
            "Ending early means a last day before the contract's end.",
            code="last_day_out_of_period",
        )
    reason = (values.get("reason") or "").strip()
    if not 2 <= len(reason) <= 200:
        raise ValidationFailed("reason", "Give the reason (2–200 characters).", code="reason_required")
    contract.status = ContractStatus.ended.value
    contract.ends_on = last_day
    contract.ended_reason = reason
    contract.ended_at = utcnow()
    audit.record(
        "operator_contract.end",
        actor=actor,
        object_type="operator_contract",
        object_id=contract.id,
        ip=ip,
        detail={"last_day": last_day.isoformat(), "reason": reason},
    )
    db.session.commit()
    return view(contract)
