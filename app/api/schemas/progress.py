"""Schemas of a grid worker's progress and of the officials' view of it (GET /grid/progress)."""

import marshmallow as ma

from app.api.schemas.common import UtcDateTime
from app.api.schemas.grid import CommunityRefSchema


class ProgressArgsSchema(ma.Schema):
    """?as_of= (default today) of the progress figures."""

    as_of = ma.fields.Date()


class MonthProgressSchema(ma.Schema):
    """Visit days (distinct local days with at least one door visit) this month."""

    visit_days = ma.fields.Integer(required=True)
    target = ma.fields.Integer(required=True)
    expected_by_now = ma.fields.Integer(
        required=True, metadata={"description": "floor(target × day of month ÷ days in month)"}
    )
    on_track = ma.fields.Boolean(required=True)


CONTACTED = "Households met this quarter only by phone, at the station or online: not covered, shown apart"


class CoverageSchema(ma.Schema):
    """One community's households met at the door this quarter, and the attempts."""

    community = ma.fields.Nested(lambda: CommunityRefSchema(), allow_none=True)
    households = ma.fields.Integer(required=True)
    met = ma.fields.Integer(
        required=True, metadata={"description": "Households met at the door (上门走访) this quarter"}
    )
    coverage = ma.fields.Float(required=True)
    target = ma.fields.Float(required=True)
    not_home = ma.fields.Integer(required=True)
    refused = ma.fields.Integer(required=True)
    moved = ma.fields.Integer(
        required=True, metadata={"description": "Households whose latest visit found them moved: not counted"}
    )
    contacted = ma.fields.Integer(required=True, metadata={"description": CONTACTED})


class QuarterProgressSchema(ma.Schema):
    """This quarter's coverage per community."""

    start = ma.fields.Date(required=True)
    communities = ma.fields.List(ma.fields.Nested(CoverageSchema), required=True)


class PlaceRefSchema(ma.Schema):
    """A place, briefly."""

    kind = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class WorkerProgressSchema(ma.Schema):
    """One grid worker's visit days this month, against the pro-rated target."""

    account_id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)
    communities = ma.fields.List(ma.fields.Nested(CommunityRefSchema), required=True)
    visit_days = ma.fields.Integer(required=True)
    target = ma.fields.Integer(required=True)
    expected_by_now = ma.fields.Integer(required=True)
    behind = ma.fields.Boolean(required=True, metadata={"description": "Fewer visit days than due by now"})


class CircleCoverageSchema(ma.Schema):
    """A circle's coverage this quarter, its communities summed (circle null: outside every circle)."""

    circle = ma.fields.Nested(CommunityRefSchema, allow_none=True, metadata={"description": "Code and name"})
    communities = ma.fields.Integer(required=True)
    households = ma.fields.Integer(required=True)
    met = ma.fields.Integer(required=True)
    coverage = ma.fields.Float(required=True)
    not_home = ma.fields.Integer(required=True)
    refused = ma.fields.Integer(required=True)
    moved = ma.fields.Integer(required=True)
    contacted = ma.fields.Integer(required=True, metadata={"description": CONTACTED})


class ProgressSchema(ma.Schema):
    """Visit days this month against the target, and coverage this quarter per community.

    Grid workers get as_of, month and quarter (their own, live); officials, operators and
    supervisors also place, workers, circles and coverage_as_of, with quarter.communities
    over their place from the ledger snapshot.
    """

    as_of = ma.fields.Date(required=True)
    month = ma.fields.Nested(
        MonthProgressSchema, required=True, metadata={"description": "The caller's own visit days"}
    )
    quarter = ma.fields.Nested(QuarterProgressSchema, required=True)
    place = ma.fields.Nested(PlaceRefSchema, metadata={"description": "Officials: the place the rows cover"})
    coverage_as_of = UtcDateTime(
        allow_none=True,
        metadata={"description": "Officials: when the coverage's snapshot was written (null: none yet)"},
    )
    workers = ma.fields.List(
        ma.fields.Nested(WorkerProgressSchema),
        metadata={"description": "Officials: the place's grid workers, behind plan first"},
    )
    circles = ma.fields.List(ma.fields.Nested(CircleCoverageSchema), metadata={"description": "Officials"})
