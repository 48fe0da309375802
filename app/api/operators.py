"""Operators (运营机构) and their contracts; staff accounts belong to them."""

from app.api.json_body import Blueprint
from app.api.schemas.operators import (
    ContractCreateSchema,
    ContractEndSchema,
    ContractPageSchema,
    ContractQuerySchema,
    ContractSchema,
    OperatorCreateSchema,
    OperatorEditSchema,
    OperatorPageSchema,
    OperatorQuerySchema,
    OperatorSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.errors import ErrorSchema
from app.models import Role
from app.services.programme import contracts, operators
from app.services.programme.operators import READ_ROLES

URL_PREFIX = ""
blp = Blueprint(
    "operators",
    __name__,
    description="Operators (运营机构) and their contracts; staff accounts belong to them",
)
CONTRACT_WRITERS = tuple(contracts.WRITE_ROLES)


@blp.get("/operators")
@auth_required(*READ_ROLES)
@blp.arguments(OperatorQuerySchema, location="query")
@blp.response(200, OperatorPageSchema)
def list_operators(args):
    """List the operators I may read (city: all; district: contracted there; operator: my own)."""
    return operators.list_operators(current_account(), args)


@blp.post("/operators")
@auth_required(Role.city_admin)
@blp.arguments(OperatorCreateSchema)
@blp.response(201, OperatorSchema)
@blp.alt_response(200, schema=OperatorSchema, description="Entered before (same credit code): the operator")
def create_operator(values):
    """Enter an operator in the city's register (422 invalid_credit_code)."""
    operator, created = operators.create_operator(current_account(), values, client_ip())
    return operator, 201 if created else 200


@blp.get("/operators/<int:operator_id>")
@auth_required(*READ_ROLES)
@blp.response(200, OperatorSchema)
def get_operator(operator_id):
    """Open an operator I may read, with its staff and the circles it answers for today."""
    return operators.get_operator(current_account(), operator_id)


@blp.patch("/operators/<int:operator_id>")
@auth_required(Role.city_admin)
@blp.arguments(OperatorEditSchema)
@blp.response(200, OperatorSchema)
def edit_operator(values, operator_id):
    """Change an operator's name, contact or status (suspended: no new contracts or circles)."""
    return operators.edit_operator(current_account(), operator_id, values, client_ip())


@blp.get("/operator-contracts")
@auth_required(*READ_ROLES)
@blp.arguments(ContractQuerySchema, location="query")
@blp.response(200, ContractPageSchema)
def list_contracts(args):
    """List the contracts of my place (an operator: its own), newest period first."""
    return contracts.list_contracts(current_account(), args)


@blp.post("/operator-contracts")
@auth_required(*CONTRACT_WRITERS)
@blp.arguments(ContractCreateSchema)
@blp.response(201, ContractSchema)
@blp.alt_response(200, schema=ContractSchema, description="Sent before with this client_id: the contract")
@blp.alt_response(409, schema=ErrorSchema, description="`operator_suspended`")
def create_contract(values):
    """Record an operator's contract for a district (its admin, or the city) or one of its circles."""
    contract, created = contracts.create_contract(current_account(), values, client_ip())
    return contract, 201 if created else 200


@blp.get("/operator-contracts/<int:contract_id>")
@auth_required(*READ_ROLES)
@blp.response(200, ContractSchema)
def get_contract(contract_id):
    """Open a contract of my place."""
    return contracts.get_contract(current_account(), contract_id)


@blp.post("/operator-contracts/<int:contract_id>/end")
@auth_required(*CONTRACT_WRITERS)
@blp.arguments(ContractEndSchema)
@blp.response(200, ContractSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`contract_not_active`: ended already")
def end_contract(values, contract_id):
    """End a contract early, with the reason (its last day: today or earlier)."""
    return contracts.end_contract(current_account(), contract_id, values, client_ip())
