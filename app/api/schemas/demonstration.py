"""Schemas of the demonstration selection (示范社区评选): criteria, rankings, confirmation."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import UtcDateTime, one_of
from app.models import RankingStatus
from app.services.programme.demonstration_criteria import KEYS

YEAR = validate.Range(min=2000, max=2100)


class DemonstrationYearSchema(ma.Schema):
    """The year asked about."""

    year = ma.fields.Integer(required=True, validate=YEAR)


class DemonstrationRankingQuerySchema(ma.Schema):
    """Filters of the rankings list."""

    year = ma.fields.Integer(validate=YEAR)


class DemonstrationCriterionSchema(ma.Schema):
    """One criterion of a year: its weight and whether it counts."""

    key = ma.fields.String(required=True, validate=validate.OneOf(KEYS))
    name = ma.fields.String(dump_only=True)
    weight = ma.fields.Float(validate=validate.Range(min=0, max=100))
    enabled = ma.fields.Boolean()
    default_weight = ma.fields.Float(dump_only=True)


class DemonstrationCriteriaInputSchema(ma.Schema):
    """The year's criteria to set (those left out keep their weight)."""

    year = ma.fields.Integer(required=True, validate=YEAR)
    criteria = ma.fields.List(
        ma.fields.Nested(DemonstrationCriterionSchema), required=True, validate=validate.Length(min=1, max=20)
    )


class DemonstrationComputeSchema(ma.Schema):
    """Which ranking to compute: a year, and a district (by code) or the city."""

    year = ma.fields.Integer(required=True, validate=YEAR)
    place_kind = ma.fields.String(required=True, validate=validate.OneOf(["district", "city"]))
    place_code = ma.fields.String(
        validate=validate.Length(min=1, max=12),
        metadata={"description": "The district's code; none for the city"},
    )


class DemonstrationConfirmSchema(ma.Schema):
    """The list: the top N eligible communities (default DEMONSTRATION_TOP_N), or those named."""

    top_n = ma.fields.Integer(validate=validate.Range(min=1, max=500))
    community_codes = ma.fields.List(
        ma.fields.String(validate=validate.Regexp(r"^\d{12}$")), validate=validate.Length(min=1, max=500)
    )


class DemonstrationPublishSchema(ma.Schema):
    """How long the notice of the list shows (default 30 days)."""

    valid_until = ma.fields.Date(metadata={"description": "The notice's last day; default 30 days on"})


class DemonstrationCriterionScoreSchema(ma.Schema):
    """One community's figure on one criterion."""

    key = ma.fields.String()
    name = ma.fields.String()
    value = ma.fields.Float(allow_none=True)
    score = ma.fields.Float(
        allow_none=True, metadata={"description": "0..100; null: no data (weight renormalised)"}
    )
    weighted = ma.fields.Float(allow_none=True)
    evidence = ma.fields.String()


class DemonstrationCommunitySchema(ma.Schema):
    """A community as a ranking names it."""

    code = ma.fields.String()
    name = ma.fields.String()


class DemonstrationScoreSchema(ma.Schema):
    """One community's place in a ranking."""

    position = ma.fields.Integer()
    community = ma.fields.Nested(DemonstrationCommunitySchema)
    total = ma.fields.Float()
    selected = ma.fields.Boolean()
    eligible = ma.fields.Boolean(metadata={"description": "False: data for less than 60% of the weight"})
    coverage = ma.fields.Float(allow_none=True)
    criteria = ma.fields.List(ma.fields.Nested(DemonstrationCriterionScoreSchema))


class DemonstrationPlaceSchema(ma.Schema):
    """The ranking's place."""

    kind = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()


class DemonstrationWeightSchema(ma.Schema):
    """A criterion as the ranking was computed with it."""

    key = ma.fields.String()
    name = ma.fields.String()
    weight = ma.fields.Float()


class DemonstrationRankingSchema(ma.Schema):
    """A year's ranking of a district or the city, with its scores when one ranking is asked for."""

    id = ma.fields.Integer()
    year = ma.fields.Integer()
    place = ma.fields.Nested(DemonstrationPlaceSchema)
    status = ma.fields.String(validate=one_of(RankingStatus))
    criteria = ma.fields.List(ma.fields.Nested(DemonstrationWeightSchema))
    computed_at = UtcDateTime(allow_none=True)
    selected_count = ma.fields.Integer()
    confirmed_at = UtcDateTime(allow_none=True)
    notice_id = ma.fields.Integer(allow_none=True)
    scores = ma.fields.List(ma.fields.Nested(DemonstrationScoreSchema))
