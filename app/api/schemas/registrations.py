"""Schemas of registrations (失业登记 / 就业登记): entering, the steps, the lists, the view."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import ClientId, Id, PageArgsSchema, UtcDateTime, one_of, page_schema, place_field
from app.models import (
    ContractType,
    EmploymentKind,
    EndingReason,
    EnteredVia,
    FollowUpChannel,
    RegistrationKind,
    RegistrationStatus,
)

TEXT = validate.Length(min=1, max=200)
NAME = validate.Length(min=1, max=128)


class UnemploymentInputSchema(ma.Schema):
    """An unemployment registration (失业登记): the resident's own, or entered by staff (with resident_id)."""

    client_id = ClientId(
        required=True, metadata={"description": "Idempotency key: a retry returns the first"}
    )
    resident_id = Id(metadata={"description": "Staff only: the resident registered (in your place)"})
    reason_for_leaving = ma.fields.String(required=True, validate=TEXT, metadata={"description": "失业原因"})
    last_employer_name = ma.fields.String(
        allow_none=True, validate=NAME, metadata={"description": "原工作单位"}
    )
    last_employer_uscc = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "原单位统一社会信用代码 (optional; checked: 422 invalid_credit_code)"},
    )
    left_on = ma.fields.Date(required=True, metadata={"description": "离职日期 (not after today)"})
    wanted_work = ma.fields.String(allow_none=True, validate=TEXT, metadata={"description": "求职意向"})
    wants_training = ma.fields.Boolean(load_default=False, metadata={"description": "是否愿意参加培训"})
    employment_card_number = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "就业创业证编号, when the person has one (stored encrypted, shown masked)"},
    )


class EmploymentInputSchema(ma.Schema):
    """An employment registration (就业登记): by the resident (self-employed / flexible), the employer
    (application_id of a hired application) or staff (resident_id)."""

    client_id = ClientId(
        required=True, metadata={"description": "Idempotency key: a retry returns the first"}
    )
    resident_id = Id(metadata={"description": "Staff only: the resident registered (in your place)"})
    application_id = Id(metadata={"description": "Employer only: the hired application it registers"})
    employment_kind = ma.fields.String(
        load_default=EmploymentKind.employed.value,
        validate=one_of(EmploymentKind),
        metadata={"description": "employed (单位就业), self_employed (个体经营), flexible (灵活就业)"},
    )
    started_on = ma.fields.Date(required=True, metadata={"description": "入职/开始日期 (not after today)"})
    employer_id = Id(allow_none=True, metadata={"description": "Staff only: an employer on the platform"})
    employer_name = ma.fields.String(
        allow_none=True, validate=NAME, metadata={"description": "单位/字号名称"}
    )
    employer_uscc = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "统一社会信用代码 (checked)"},
    )
    contract_type = ma.fields.String(
        allow_none=True, validate=one_of(ContractType), metadata={"description": "合同类型"}
    )
    work_description = ma.fields.String(allow_none=True, validate=TEXT, metadata={"description": "从事工作"})


class RegistrationNoteSchema(ma.Schema):
    """An optional note with a step."""

    note = ma.fields.String(allow_none=True, validate=TEXT)


class RegistrationRejectSchema(ma.Schema):
    """Why a registration is rejected (the person reads it)."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class RegistrationFollowUpInputSchema(ma.Schema):
    """A follow-up: the person still looks for work (staff say how they were in touch)."""

    client_id = ClientId(
        required=True, metadata={"description": "Idempotency key: a retry records nothing new"}
    )
    channel = ma.fields.String(
        allow_none=True,
        validate=one_of(FollowUpChannel),
        metadata={"description": "Staff: phone, station or visit (default station); the resident's is self"},
    )
    note = ma.fields.String(allow_none=True, validate=TEXT)


class RegistrationEndSchema(ma.Schema):
    """The end of a registration in effect: an employment's end (离职: ended_on, reason), or staff
    ending an unemployment registration (reason)."""

    ended_on = ma.fields.Date(metadata={"description": "离职日期: required to end an employment"})
    reason = ma.fields.String(allow_none=True, validate=TEXT, metadata={"description": "离职原因 / 注销原因"})


class CardRevealSchema(ma.Schema):
    """Why the full card number is needed (audited)."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class RevealedCardSchema(ma.Schema):
    """A registration's full 就业创业证 number."""

    id = ma.fields.Integer(required=True)
    employment_card_number = ma.fields.String(allow_none=True)


class RegistrationQuerySchema(PageArgsSchema):
    """Filters of a registration list."""

    kind = ma.fields.String(validate=one_of(RegistrationKind))
    status = ma.fields.String(validate=one_of(RegistrationStatus))
    resident_id = Id(metadata={"description": "Staff: one resident's registrations"})


class RegistrationFollowUpSchema(ma.Schema):
    """One follow-up."""

    id = ma.fields.Integer(required=True)
    channel = ma.fields.String(validate=one_of(FollowUpChannel))
    note = ma.fields.String(allow_none=True)
    valid_until = ma.fields.Date()
    created_at = UtcDateTime()


class RegisteredPersonSchema(ma.Schema):
    """Who is registered (name only: ID number and phone stay on the resident's record)."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)


class RegistrationSchema(ma.Schema):
    """A registration, as its person, its employer and staff in place see it."""

    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, validate=one_of(RegistrationKind))
    status = ma.fields.String(
        required=True,
        validate=one_of(RegistrationStatus),
        metadata={"description": "pending_confirmation → submitted → accepted | rejected; withdrawn; ended"},
    )
    number = ma.fields.String(allow_none=True, metadata={"description": "登记编号, once accepted"})
    resident = ma.fields.Nested(RegisteredPersonSchema)
    entered_via = ma.fields.String(validate=one_of(EnteredVia))
    community = place_field("community", "community_id")
    # Unemployment.
    reason_for_leaving = ma.fields.String(allow_none=True)
    last_employer_name = ma.fields.String(allow_none=True)
    last_employer_uscc = ma.fields.String(allow_none=True)
    left_on = ma.fields.Date(allow_none=True)
    wanted_work = ma.fields.String(allow_none=True)
    wants_training = ma.fields.Boolean(allow_none=True)
    employment_card_number = ma.fields.String(
        attribute="card_number_hint",
        allow_none=True,
        metadata={"description": "Masked; staff reveal it (audited)"},
    )
    valid_until = ma.fields.Date(
        allow_none=True, metadata={"description": "In effect until (a follow-up moves it on)"}
    )
    # Employment.
    employment_kind = ma.fields.String(allow_none=True, validate=one_of(EmploymentKind))
    employer_id = ma.fields.Integer(allow_none=True)
    employer_name = ma.fields.String(allow_none=True)
    employer_uscc = ma.fields.String(allow_none=True)
    contract_type = ma.fields.String(allow_none=True, validate=one_of(ContractType))
    started_on = ma.fields.Date(allow_none=True)
    work_description = ma.fields.String(allow_none=True)
    application_id = ma.fields.Integer(allow_none=True)
    # The workflow.
    has_signed_form = ma.fields.Function(lambda r: bool(r.form_storage_name), metadata={"type": "boolean"})
    confirmed_by = ma.fields.String(allow_none=True, metadata={"description": "resident or signed_form"})
    confirmed_at = UtcDateTime(allow_none=True)
    submitted_at = UtcDateTime(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)
    review_note = ma.fields.String(allow_none=True, metadata={"description": "The reason of a rejection"})
    accepted_on = ma.fields.Date(allow_none=True)
    ended_on = ma.fields.Date(allow_none=True)
    ending_reason = ma.fields.String(allow_none=True, validate=one_of(EndingReason))
    ending_note = ma.fields.String(allow_none=True)
    follow_ups = ma.fields.List(ma.fields.Nested(RegistrationFollowUpSchema))
    created_at = UtcDateTime()


RegistrationPageSchema = page_schema(RegistrationSchema, "RegistrationPageSchema")
