"""Schemas of the people wing: logins, accounts and staff, residents and profiles, places, the audit log."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import (
    Id,
    Latitude,
    Longitude,
    PageArgsSchema,
    UtcDateTime,
    page_schema,
    place_field,
)
from app.common.identity import mask_address
from app.models import STAFF_ROLES, EmploymentStatus, EmploymentType, KeyGroup, Role, ScopeKind, StatusSource
from app.models.jobs import JobCategory, JobKind
from app.services.people.personal_data import REVEALABLE_FIELDS
from app.services.people.places import describe_place

CODE_12 = validate.Regexp(r"^\d{12}$", error="A place code has 12 digits.")
STAFF_ROLE_NAMES = sorted(r.value for r in STAFF_ROLES)
EMPLOYMENT_TYPES = [t.value for t in EmploymentType]


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
    operator_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The operator (运营机构) it works for"}
    )
    employment_type = ma.fields.String(allow_none=True, metadata={"description": "full_time or part_time"})


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
    age = ma.fields.Function(lambda r: r.age(), allow_none=True, metadata={"type": "integer"})
    community = place_field("community", "community_id")
    household_id = ma.fields.Integer(allow_none=True)
    home_address = ma.fields.Function(
        lambda r: mask_address(r.home_address),
        allow_none=True,
        metadata={"type": "string", "description": "In lists: street level only, house number hidden"},
    )
    employment_status = ma.fields.String(allow_none=True)
    key_groups = ma.fields.List(ma.fields.String())
    updated_at = UtcDateTime()


class CertifierSchema(ma.Schema):
    """Who certified: a staff member's display name and role (no personal data)."""

    name = ma.fields.Function(lambda a: a.display_name or a.username, metadata={"type": "string"})
    role = ma.fields.String(required=True)
    role_label = ma.fields.Function(lambda a: Role(a.role).label, metadata={"type": "string"})


class KeyGroupMembershipSchema(ma.Schema):
    """One key group of a resident: its period, and whether (by whom, on what) it was certified."""

    key_group = ma.fields.String(required=True)
    since = ma.fields.Date(allow_none=True)
    until = ma.fields.Date(allow_none=True, metadata={"description": "Last day (null: open)"})
    current = ma.fields.Function(lambda row: row.is_current(), metadata={"type": "boolean"})
    source = ma.fields.String(allow_none=True)
    certified = ma.fields.Boolean(
        required=True,
        metadata={"description": "Certified by a reviewer on evidence (a set-by-hand group is not)"},
    )
    certified_by = ma.fields.Nested(CertifierSchema, attribute="verified_by", allow_none=True)
    certification_id = ma.fields.Integer(allow_none=True)
    registration_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "The unemployment registration 登记失业人员 rests on"},
    )


class ResidentDetailSchema(ResidentSchema):
    """One resident for staff, with full home address, seeker preferences and status history."""

    home_address = ma.fields.String(allow_none=True)
    key_group_periods = ma.fields.List(
        ma.fields.Nested(KeyGroupMembershipSchema),
        attribute="key_group_rows",
        metadata={"description": "Every key group, current and ended, with who certified it"},
    )

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
    # Judged by common.geo.check_point: inside China, and a swapped pair named as such.
    home_lat = Latitude(allow_none=True)
    home_lng = Longitude(allow_none=True)
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


class LoginSchema(ma.Schema):
    """Staff credentials, with the second factor's code for an account that has TOTP on."""

    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    totp_code = ma.fields.String(
        load_only=True,
        validate=validate.Regexp(
            r"^(?:[0-9]{6,8}|[A-Za-z0-9]{5}[- ]?[A-Za-z0-9]{5})$",
            error="A code from the authenticator app (6 digits) or a recovery code (xxxxx-xxxxx).",
        ),
        metadata={
            "description": "Required once the account has TOTP on (enrolled in the console): the "
            "authenticator app's current code, or an unused recovery code. Ignored otherwise."
        },
    )


class WeChatCodeSchema(ma.Schema):
    """A one-time code from wx.login (or from a getPhoneNumber button)."""

    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))


class ResidentQuerySchema(PageArgsSchema):
    """Filters of the resident list."""

    community = ma.fields.String(validate=CODE_12)
    status = ma.fields.String(validate=validate.OneOf([s.value for s in EmploymentStatus]))
    key_group = ma.fields.String(validate=validate.OneOf([k.value for k in KeyGroup]))


class RevealSchema(ma.Schema):
    """What to reveal and why (the reason goes into the audit log)."""

    fields = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(REVEALABLE_FIELDS)),
        load_default=list(REVEALABLE_FIELDS),
    )
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class RevealedSchema(ma.Schema):
    """The full values, for the fields asked for."""

    id = ma.fields.Integer(required=True)
    id_number = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)


class StaffCreateSchema(ma.Schema):
    """A new staff account."""

    username = ma.fields.String(required=True, validate=validate.Length(min=3, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    display_name = ma.fields.String(validate=validate.Length(max=64))
    role = ma.fields.String(required=True, validate=validate.OneOf(STAFF_ROLE_NAMES))
    scope = ma.fields.Nested(ScopeInputSchema, required=True)
    operator_id = Id(
        allow_none=True, metadata={"description": "The operator it works for (contracted in its district)"}
    )
    employment_type = ma.fields.String(
        allow_none=True, validate=validate.OneOf(EMPLOYMENT_TYPES), metadata={"description": "专职/兼职"}
    )


class StaffUpdateSchema(ma.Schema):
    """Changes to a staff account; role, scope and active flag changes are audited."""

    display_name = ma.fields.String(validate=validate.Length(max=64))
    password = ma.fields.String(load_only=True, validate=validate.Length(max=256))
    role = ma.fields.String(validate=validate.OneOf(STAFF_ROLE_NAMES))
    scope = ma.fields.Nested(ScopeInputSchema)
    is_active = ma.fields.Boolean()
    # True removes a lost authenticator (TOTP secret and recovery codes); the person enrols again.
    reset_second_factor = ma.fields.Boolean()
    operator_id = Id(allow_none=True, metadata={"description": "The operator it works for; null: none"})
    employment_type = ma.fields.String(allow_none=True, validate=validate.OneOf(EMPLOYMENT_TYPES))


class StaffQuerySchema(PageArgsSchema):
    """Filters of the staff list."""

    role = ma.fields.String(validate=validate.OneOf(STAFF_ROLE_NAMES))


class TownshipSchema(ma.Schema):
    """A township in a circle."""

    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)


class AreaSchema(ma.Schema):
    """A named area of a circle without a statistical code (e.g. 九龙园区)."""

    name = ma.fields.String(required=True)
    note = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)


class CircleSchema(ma.Schema):
    """An employment circle with its townships."""

    code = ma.fields.Function(lambda c: f"{c.district.short_code}-{c.key}", required=True)
    key = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    district = ma.fields.Function(
        lambda c: {"code": c.district.code, "name": c.district.name}, metadata={"type": "object"}
    )
    note = ma.fields.String(allow_none=True)
    townships = ma.fields.List(ma.fields.Nested(TownshipSchema))
    extra_areas = ma.fields.List(ma.fields.Nested(AreaSchema))


class CircleQuerySchema(ma.Schema):
    """Which district's circles (default: every circle)."""

    district = ma.fields.String(validate=validate.Regexp(r"^\d{6}(\d{6})?$"))


class CommunityQuerySchema(ma.Schema):
    """Which township's communities."""

    township = ma.fields.String(required=True, validate=CODE_12)


class CommunitySchema(ma.Schema):
    """A community or village."""

    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)


class AuditQuerySchema(PageArgsSchema):
    """Filters of the audit log; `action` ending in '.' matches a prefix (e.g. 'auth.')."""

    action = ma.fields.String(validate=validate.Length(max=64))
    actor_id = Id()
    object_type = ma.fields.String(validate=validate.Length(max=32))
    object_id = ma.fields.String(validate=validate.Length(max=64))
    since = ma.fields.DateTime(metadata={"description": "From this moment on (included)"})
    until = ma.fields.DateTime(metadata={"description": "Before this moment; before `since`: nothing"})


class AuditEventSchema(ma.Schema):
    """One audit event."""

    id = ma.fields.Integer(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    actor_label = ma.fields.String(allow_none=True)
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(allow_none=True)
    object_id = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(required=True)
    ip = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict(allow_none=True)
    created_at = UtcDateTime(required=True)


ResidentPageSchema = page_schema(ResidentSchema, "ResidentPageSchema")
StaffPageSchema = page_schema(StaffSchema, "StaffPageSchema")
AuditPageSchema = page_schema(AuditEventSchema, "AuditPageSchema")
