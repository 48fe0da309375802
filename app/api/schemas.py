"""Schemas for accounts and residents, shared by the auth, me, staff and residents blueprints."""

import marshmallow as ma
from marshmallow import validate

from app.api.common import UtcDateTime
from app.models import EmploymentStatus, KeyGroup, Role, ScopeKind, StatusSource
from app.models.jobs import JobCategory, JobKind
from app.services.personal_data import mask_address
from app.services.places import describe_place
from app.services.residents import age_of

CODE_12 = validate.Regexp(r"^\d{12}$", error="A place code has 12 digits.")


class PlaceRefSchema(ma.Schema):
    """A place named by kind, code and name."""

    kind = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class AccountSchema(ma.Schema):
    """An account as its owner sees it."""

    id = ma.fields.Integer(required=True)
    role = ma.fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    username = ma.fields.String(allow_none=True)
    display_name = ma.fields.String(allow_none=True)
    scope = ma.fields.Method("get_scope", allow_none=True, metadata={"type": "object"})

    def get_scope(self, account):
        """Describe the staff account's place."""
        return describe_place(account.scope_kind, account.scope_id)


class StaffSchema(AccountSchema):
    """A staff account as an administrator sees it."""

    is_active = ma.fields.Boolean(required=True)
    locked_until = UtcDateTime(allow_none=True)
    last_login_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime(required=True)


class TokenSchema(ma.Schema):
    """A freshly issued bearer token."""

    token = ma.fields.String(required=True)
    expires_at = UtcDateTime(required=True)
    account = ma.fields.Nested(AccountSchema, required=True)
    is_new = ma.fields.Boolean(metadata={"description": "First WeChat login of this user"})


class StatusChangeSchema(ma.Schema):
    """One entry of a resident's employment-status history."""

    id = ma.fields.Integer()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    source = ma.fields.String(validate=validate.OneOf([s.value for s in StatusSource]))
    note = ma.fields.String(allow_none=True)
    occurred_at = UtcDateTime()


class ResidentSchema(ma.Schema):
    """A resident in a staff list; ID number and phone are always masked."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)
    id_number = ma.fields.String(
        attribute="id_number_hint", allow_none=True, metadata={"description": "Masked: first 4 and last 4"}
    )
    phone = ma.fields.String(
        attribute="phone_hint", allow_none=True, metadata={"description": "Masked: 138****5678"}
    )
    gender = ma.fields.String(allow_none=True)
    age = ma.fields.Function(lambda r: age_of(r), allow_none=True, metadata={"type": "integer"})
    community = ma.fields.Function(
        lambda r: describe_place("community", r.community_id), allow_none=True, metadata={"type": "object"}
    )
    household_id = ma.fields.Integer(allow_none=True)
    home_address = ma.fields.Function(
        lambda r: mask_address(r.home_address),
        allow_none=True,
        metadata={"type": "string", "description": "In lists: street level only, house number hidden"},
    )
    employment_status = ma.fields.String(allow_none=True)
    key_groups = ma.fields.List(ma.fields.String())
    updated_at = UtcDateTime()


class ResidentDetailSchema(ResidentSchema):
    """One resident for staff, with full home address, seeker preferences and status history."""

    home_address = ma.fields.String(allow_none=True)

    home_lat = ma.fields.Float(allow_none=True)
    home_lng = ma.fields.Float(allow_none=True)
    seek_kinds = ma.fields.List(ma.fields.String(), allow_none=True)
    seek_categories = ma.fields.List(ma.fields.String(), allow_none=True)
    seek_wage_min = ma.fields.Integer(allow_none=True)
    seek_radius_m = ma.fields.Integer(allow_none=True)
    status_changes = ma.fields.List(ma.fields.Nested(StatusChangeSchema))


class ProfileSchema(ResidentDetailSchema):
    """The resident's own profile (personal data masked here too)."""

    birth_date = ma.fields.Date(allow_none=True)
    phone_bound = ma.fields.Function(lambda r: r.phone_enc is not None, metadata={"type": "boolean"})


class ProfileUpdateSchema(ma.Schema):
    """What a resident may change about themselves."""

    name = ma.fields.String(validate=validate.Length(min=1, max=64))
    id_number = ma.fields.String(validate=validate.Length(min=1, max=32))
    home_address = ma.fields.String(allow_none=True, validate=validate.Length(max=255))
    # Judged by services.geo.check_point: inside China, and a swapped pair named as such.
    home_lat = ma.fields.Float(allow_none=True, metadata={"description": "GCJ-02"})
    home_lng = ma.fields.Float(allow_none=True)
    community_code = ma.fields.String(allow_none=True, validate=CODE_12)
    employment_status = ma.fields.String(validate=validate.OneOf([s.value for s in EmploymentStatus]))
    key_groups = ma.fields.List(ma.fields.String(validate=validate.OneOf([k.value for k in KeyGroup])))
    seek_kinds = ma.fields.List(
        ma.fields.String(validate=validate.OneOf([k.value for k in JobKind])), allow_none=True
    )
    seek_categories = ma.fields.List(
        ma.fields.String(validate=validate.OneOf([c.value for c in JobCategory])), allow_none=True
    )
    seek_wage_min = ma.fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    seek_radius_m = ma.fields.Integer(allow_none=True, validate=validate.Range(min=100, max=50_000))


class ScopeInputSchema(ma.Schema):
    """A place given by kind and code (a circle's code is e.g. 341002-chengzhong)."""

    kind = ma.fields.String(required=True, validate=validate.OneOf([k.value for k in ScopeKind]))
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
