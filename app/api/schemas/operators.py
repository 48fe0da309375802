"""Schemas of operators (运营机构) and their contracts (服务合同)."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import ClientId, Id, PageArgsSchema, UtcDateTime, one_of, page_schema
from app.models import ContractStatus, OperatorStatus

REASON = validate.Length(min=2, max=200)
PLACE_CODE = validate.Length(min=1, max=32)


class OperatorCreateSchema(ma.Schema):
    """A new operator in the city's register."""

    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=128))
    credit_code = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "统一社会信用代码 (18 characters, check character verified)"},
    )
    contact_name = ma.fields.String(allow_none=True, validate=validate.Length(max=64))
    contact_phone = ma.fields.String(
        allow_none=True, validate=validate.Length(max=20), metadata={"description": "A mainland mobile"}
    )


class OperatorEditSchema(ma.Schema):
    """Changes to an operator: any of these."""

    name = ma.fields.String(validate=validate.Length(min=2, max=128))
    contact_name = ma.fields.String(allow_none=True, validate=validate.Length(max=64))
    contact_phone = ma.fields.String(allow_none=True, validate=validate.Length(max=20))
    status = ma.fields.String(
        validate=one_of(OperatorStatus), metadata={"description": "active or suspended (暂停)"}
    )


class OperatorQuerySchema(PageArgsSchema):
    """?status= filters the operators list."""

    status = ma.fields.String(validate=one_of(OperatorStatus))


class OperatorStaffSchema(ma.Schema):
    """A staff account of an operator."""

    id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String(allow_none=True)
    role = ma.fields.String()
    employment_type = ma.fields.String(allow_none=True, metadata={"description": "full_time or part_time"})
    is_active = ma.fields.Boolean()


class OperatorCircleSchema(ma.Schema):
    """A circle the operator answers for today."""

    id = ma.fields.Integer()
    key = ma.fields.String()
    name = ma.fields.String()


class OperatorSchema(ma.Schema):
    """An operator as shown (its contact phone masked); one alone also with its staff and circles."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    credit_code = ma.fields.String()
    contact_name = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True, metadata={"description": "Masked"})
    status = ma.fields.String()
    created_at = UtcDateTime()
    staff = ma.fields.List(ma.fields.Nested(OperatorStaffSchema))
    circles = ma.fields.List(ma.fields.Nested(OperatorCircleSchema))


OperatorPageSchema = page_schema(OperatorSchema, "OperatorPageSchema")


class ContractCreateSchema(ma.Schema):
    """A new contract: for a district (its code) or one circle (its code), over a period."""

    operator_id = Id(required=True)
    district = ma.fields.String(
        validate=PLACE_CODE, metadata={"description": "The district's code (required without circle)"}
    )
    circle = ma.fields.String(
        validate=PLACE_CODE, metadata={"description": "A circle's code (<district short code>-<key>)"}
    )
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True, metadata={"description": "The contract's last day"})
    population_served = ma.fields.Integer(allow_none=True, validate=validate.Range(min=0, max=10_000_000))
    fee_fen = ma.fields.Integer(
        allow_none=True,
        validate=validate.Range(min=0, max=10**13),
        metadata={"description": "The fee for the whole period, in fen (分)"},
    )
    reference = ma.fields.String(
        allow_none=True, validate=validate.Length(max=64), metadata={"description": "合同编号"}
    )
    client_id = ClientId(
        load_default=None, metadata={"description": "Idempotency key: a retry returns the first"}
    )


class ContractEndSchema(ma.Schema):
    """Ending a contract early: the reason, and its last day (default today; not in the future)."""

    reason = ma.fields.String(required=True, validate=REASON)
    last_day = ma.fields.Date(load_default=None)


class ContractQuerySchema(PageArgsSchema):
    """?operator_id=, ?status= filter the contracts list."""

    operator_id = Id()
    status = ma.fields.String(validate=one_of(ContractStatus))


class ContractPlaceSchema(ma.Schema):
    """A place by code and name."""

    code = ma.fields.String()
    name = ma.fields.String()


class ContractSchema(ma.Schema):
    """A contract as shown: its operator, place, period, population and fee (fen and yuan)."""

    id = ma.fields.Integer(required=True)
    operator_id = ma.fields.Integer()
    operator_name = ma.fields.String()
    district = ma.fields.Nested(ContractPlaceSchema)
    circle = ma.fields.Nested(ContractPlaceSchema, allow_none=True)
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    population_served = ma.fields.Integer(allow_none=True)
    fee_fen = ma.fields.Integer(allow_none=True)
    fee_yuan = ma.fields.String(
        allow_none=True, metadata={"description": "The fee in yuan, as a decimal string"}
    )
    reference = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    ended_reason = ma.fields.String(allow_none=True)
    ended_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


ContractPageSchema = page_schema(ContractSchema, "ContractPageSchema")
