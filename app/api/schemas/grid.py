"""Schemas of the grid wing: households, the import, assignment, checklist, visits, cases, snapshots."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import (
    AwareInputDateTime,
    ClientId,
    Id,
    Latitude,
    Longitude,
    PageArgsSchema,
    UtcDateTime,
    one_of,
    page_schema,
    place_field,
)
from app.common.identity import mask_address
from app.models import EmploymentStatus, KeyGroup, NeedKind, VisitChannel, VisitOutcome


class KeyGroupPeriodSchema(ma.Schema):
    """A key group with its period, source and verifying staff."""

    key_group = ma.fields.String(required=True)
    since = ma.fields.Date(allow_none=True, metadata={"description": "First day; never after today"})
    until = ma.fields.Date(
        allow_none=True, metadata={"description": "Last day (null: open); never before `since`"}
    )
    source = ma.fields.String(allow_none=True)
    verified_by_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The reviewer who certified it (null: not certified)"}
    )
    certified = ma.fields.Boolean(metadata={"description": "Certified on evidence (a certification)"})
    certification_id = ma.fields.Integer(allow_none=True)


class MemberSchema(ma.Schema):
    """A household member as grid workers see them (ID number and phone masked)."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)
    id_number = ma.fields.String(attribute="id_number_hint", allow_none=True)
    phone = ma.fields.String(attribute="phone_hint", allow_none=True)
    gender = ma.fields.String(allow_none=True)
    age = ma.fields.Function(lambda r: r.age(), allow_none=True, metadata={"type": "integer"})
    is_household_head = ma.fields.Boolean(required=True)
    employment_status = ma.fields.String(allow_none=True)
    key_groups = ma.fields.List(ma.fields.String())
    key_group_periods = ma.fields.List(
        ma.fields.Nested(KeyGroupPeriodSchema),
        attribute="key_group_rows",
        metadata={"description": "Current and ended"},
    )


class HouseholdSchema(ma.Schema):
    """A household in a list (address to street level)."""

    id = ma.fields.Integer(required=True)
    key = ma.fields.String(allow_none=True)
    address = ma.fields.Function(
        lambda h: mask_address(h.address), allow_none=True, metadata={"type": "string"}
    )
    community = place_field("community", "community_id")
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    zero_employment = ma.fields.Function(
        lambda h: h.zero_employment_since is not None, metadata={"type": "boolean"}
    )
    zero_employment_since = ma.fields.Date(allow_none=True)
    members = ma.fields.List(ma.fields.Nested(MemberSchema), required=True)


class HouseholdDetailSchema(HouseholdSchema):
    """One household, with its full address."""

    address = ma.fields.String(allow_none=True)


class HouseholdQuerySchema(PageArgsSchema):
    """Filters of the household list."""

    community = ma.fields.String(validate=validate.Regexp(r"^\d{12}$"))
    zero_employment = ma.fields.Boolean()


class ImportErrorSchema(ma.Schema):
    """Why one cell of a row was refused."""

    column = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class RejectedRowSchema(ma.Schema):
    """A row left out of the import."""

    line = ma.fields.Integer(required=True, metadata={"description": "Line in the file, the header being 1"})
    errors = ma.fields.List(ma.fields.Nested(ImportErrorSchema), required=True)


class ImportConflictSchema(ma.Schema):
    """A cell of an imported row not written: the resident entered their own value (docs/GRID.md)."""

    line = ma.fields.Integer(required=True, metadata={"description": "Line in the file, the header being 1"})
    resident_id = ma.fields.Integer(required=True)
    column = ma.fields.String(required=True, metadata={"description": "name, phone or address"})
    code = ma.fields.String(required=True, metadata={"description": "self_entered_kept"})
    message = ma.fields.String(required=True)


class ImportReportSchema(ma.Schema):
    """What an import did."""

    imported = ma.fields.Integer(required=True, metadata={"description": "New residents"})
    updated = ma.fields.Integer(
        required=True, metadata={"description": "Known residents (same ID number) changed"}
    )
    unchanged = ma.fields.Integer(required=True)
    households_created = ma.fields.Integer(required=True)
    rejected = ma.fields.List(ma.fields.Nested(RejectedRowSchema), required=True)
    conflicts = ma.fields.List(
        ma.fields.Nested(ImportConflictSchema),
        required=True,
        metadata={"description": "Cells kept as the resident entered them, for staff to settle"},
    )


class TemplateArgsSchema(ma.Schema):
    """?format= of the template download."""

    format = ma.fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))


class CommunityCodesSchema(ma.Schema):
    """The communities a grid worker works on."""

    community_codes = ma.fields.List(
        ma.fields.String(validate=validate.Regexp(r"^\d{12}$")),
        required=True,
        validate=validate.Length(max=200),
    )


class CommunityRefSchema(ma.Schema):
    """A community by code and name."""

    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class AssignedSchema(ma.Schema):
    """A grid worker's communities."""

    account_id = ma.fields.Integer(required=True)
    communities = ma.fields.List(ma.fields.Nested(CommunityRefSchema), required=True)


class ChecklistArgsSchema(ma.Schema):
    """Where the worker stands, and how many stops to plan."""

    lat = Latitude()
    lng = Longitude()
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class LastVisitSchema(ma.Schema):
    """A household's latest visit or contact, whatever its channel."""

    id = ma.fields.Integer(required=True)
    visited_at = UtcDateTime(required=True)
    outcome = ma.fields.String(required=True)
    channel = ma.fields.String(
        required=True,
        metadata={"description": "door, phone, station or online: only a met door visit covers a household"},
    )
    worker_id = ma.fields.Integer(required=True)


class ChecklistItemSchema(ma.Schema):
    """A stop on the route: the household (full address: the worker walks there)."""

    household = ma.fields.Nested(HouseholdDetailSchema, required=True)
    distance_m = ma.fields.Float(
        allow_none=True, metadata={"description": "From the previous stop (or the start)"}
    )
    last_visit = ma.fields.Nested(
        LastVisitSchema,
        allow_none=True,
        metadata={"description": "The latest visit of any channel (a household only called stays here)"},
    )


class NeedSchema(ma.Schema):
    """An open follow-up recorded on a visit."""

    id = ma.fields.Integer(attribute="need.id", required=True)
    kind = ma.fields.String(attribute="need.kind", required=True)
    household_id = ma.fields.Integer(attribute="need.household_id", required=True)
    visit_id = ma.fields.Integer(attribute="need.visit_id", allow_none=True)
    created_at = UtcDateTime(attribute="need.created_at", required=True)
    resident = ma.fields.Function(
        lambda row: (
            None if row["resident"] is None else {"id": row["resident"].id, "name": row["resident"].name}
        ),
        allow_none=True,
        metadata={"type": "object"},
    )


class PlacementTaskSchema(ma.Schema):
    """A placement follow-up nobody answered in time: phone the person or call at the door."""

    id = ma.fields.Integer(attribute="follow_up.id", required=True)
    stage_days = ma.fields.Integer(attribute="follow_up.stage_days", required=True)
    employer_name = ma.fields.String(attribute="follow_up.employer_name", allow_none=True)
    started_on = ma.fields.Date(attribute="follow_up.started_on", required=True)
    due_on = ma.fields.Date(attribute="follow_up.due_on", required=True)
    task_at = UtcDateTime(attribute="follow_up.task_at", allow_none=True)
    resident = ma.fields.Function(
        lambda row: (
            None
            if row["resident"] is None
            else {
                "id": row["resident"].id,
                "name": row["resident"].name,
                "phone_hint": row["resident"].phone_hint,
            }
        ),
        allow_none=True,
        metadata={"type": "object"},
    )


class ProvinceListTaskSchema(ma.Schema):
    """Someone on a key-group list of the province not in the ledger: visit, then add or note not here."""

    id = ma.fields.Integer(required=True)
    list_id = ma.fields.String(required=True)
    key_group = ma.fields.String(required=True)
    name = ma.fields.String(allow_none=True)
    id_number_hint = ma.fields.String(allow_none=True, metadata={"description": "Masked"})
    address = ma.fields.String(allow_none=True, metadata={"description": "Full: the worker walks there"})
    community_code = ma.fields.String(allow_none=True)
    since = ma.fields.Date(allow_none=True)
    until = ma.fields.Date(allow_none=True)
    created_at = UtcDateTime(required=True)


class ChecklistSchema(ma.Schema):
    """Households not yet met at the door this quarter, as a walking route, and open follow-ups."""

    quarter_start = ma.fields.Date(required=True)
    remaining = ma.fields.Integer(
        required=True, metadata={"description": "Households still to meet at the door this quarter"}
    )
    items = ma.fields.List(ma.fields.Nested(ChecklistItemSchema), required=True)
    follow_ups = ma.fields.List(ma.fields.Nested(NeedSchema), required=True)
    placement_tasks = ma.fields.List(
        ma.fields.Nested(PlacementTaskSchema),
        required=True,
        metadata={"description": "Placement follow-ups to answer by phone or at the door"},
    )
    province_list_tasks = ma.fields.List(
        ma.fields.Nested(ProvinceListTaskSchema),
        required=True,
        metadata={"description": "People on the province's key-group lists to find and add (or note)"},
    )


class ClosedNeedSchema(ma.Schema):
    """A follow-up after closing."""

    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    closed_at = UtcDateTime(allow_none=True)
    closed_by_id = ma.fields.Integer(allow_none=True)


class MemberUpdateSchema(ma.Schema):
    """What the worker learnt about one member."""

    resident_id = Id(required=True)
    employment_status = ma.fields.String(validate=one_of(EmploymentStatus))
    key_groups = ma.fields.List(ma.fields.String(validate=one_of(KeyGroup)))
    needs = ma.fields.List(ma.fields.String(validate=one_of(NeedKind)), validate=validate.Length(max=5))


class VisitInputSchema(ma.Schema):
    """One visit from the phone's queue."""

    client_id = ClientId(required=True)
    visited_at = AwareInputDateTime(
        required=True,
        metadata={
            "description": "The phone's clock, with its offset: not in the future (VISIT_FUTURE_MINUTES of "
            "slack), at most VISIT_MAX_AGE_DAYS (45) days old"
        },
    )
    household_id = Id(required=True)
    lat = Latitude(allow_none=True)
    lng = Longitude(allow_none=True)
    outcome = ma.fields.String(required=True, validate=one_of(VisitOutcome))
    channel = ma.fields.String(
        load_default=VisitChannel.door.value,
        validate=one_of(VisitChannel),
        metadata={
            "description": "door (上门走访, the default: a phone's queue from before channels sends none), "
            "phone (电话访谈), station (到站) or online (线上); only door visits count toward door-to-door "
            "coverage and visit days, and only a door visit's lat/lng is kept"
        },
    )
    members = ma.fields.List(ma.fields.Nested(MemberUpdateSchema), validate=validate.Length(max=30))
    notes = ma.fields.String(allow_none=True, validate=validate.Length(max=1000))


class VisitBatchSchema(ma.Schema):
    """A batch of visits (each item checked on its own, so one bad item refuses only itself)."""

    visits = ma.fields.List(
        ma.fields.Raw(metadata={"type": "object", "description": "See VisitInput"}), required=True
    )


class VisitResultSchema(ma.Schema):
    """What became of one item of the batch."""

    index = ma.fields.Integer(required=True)
    client_id = ma.fields.String(allow_none=True)
    result = ma.fields.String(required=True, metadata={"description": "applied, duplicate or rejected"})
    visit_id = ma.fields.Integer()
    status_changes = ma.fields.Integer()
    stale_updates = ma.fields.Integer(
        metadata={
            "description": "Members whose status and key groups predate the ledger's latest change (skipped)"
        }
    )
    error = ma.fields.Dict()


class VisitResultsSchema(ma.Schema):
    """One result per item, in order."""

    results = ma.fields.List(ma.fields.Nested(VisitResultSchema), required=True)


class StatusChangeRowSchema(ma.Schema):
    """One change in a resident's status history."""

    id = ma.fields.Integer(required=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(required=True)
    source = ma.fields.String(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String(allow_none=True)
    occurred_at = UtcDateTime(required=True)


class StatusHistorySchema(ma.Schema):
    """A resident's status history, oldest first, and their key-group periods."""

    resident_id = ma.fields.Integer(attribute="id", required=True)
    employment_status = ma.fields.String(allow_none=True)
    changes = ma.fields.List(
        ma.fields.Nested(StatusChangeRowSchema), attribute="status_changes", required=True
    )
    key_groups = ma.fields.List(
        ma.fields.Nested(KeyGroupPeriodSchema), attribute="key_group_rows", required=True
    )


HouseholdPageSchema = page_schema(HouseholdSchema, "HouseholdPageSchema")
