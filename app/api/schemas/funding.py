"""Schemas of populations and the funding calculator (购买服务费用)."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import UtcDateTime
from app.api.schemas.compliance import OperatorNameSchema
from app.api.schemas.progress import PlaceRefSchema

RATE = validate.Range(min=0, max=1_000_000)
PEOPLE = validate.Range(min=0, max=100_000_000)


class PopulationRowSchema(ma.Schema):
    """One figure entered for a place."""

    id = ma.fields.Integer(required=True)
    population = ma.fields.Integer(required=True)
    urban_population = ma.fields.Integer(allow_none=True)
    source = ma.fields.String(required=True)
    as_of = ma.fields.Date(required=True)
    created_at = UtcDateTime(required=True)


class PopulationSchema(PopulationRowSchema):
    """A figure as entered, with its place."""

    place = ma.fields.Nested(PlaceRefSchema, required=True)


class PlacePopulationSchema(ma.Schema):
    """A place's population in force (the newest entered, else the seed's) and its history."""

    place = ma.fields.Nested(PlaceRefSchema, required=True)
    population = ma.fields.Integer(allow_none=True)
    urban_population = ma.fields.Integer(allow_none=True)
    source = ma.fields.String(allow_none=True, metadata={"description": "种子数据: the seed's figure"})
    as_of = ma.fields.Date(allow_none=True)
    entered = ma.fields.Boolean(metadata={"description": "Entered by the city admin (else the seed's)"})
    history = ma.fields.List(ma.fields.Nested(PopulationRowSchema), required=True)


class PopulationListSchema(ma.Schema):
    """The populations of my place."""

    items = ma.fields.List(ma.fields.Nested(PlacePopulationSchema), required=True)


class PopulationInputSchema(ma.Schema):
    """A population figure for a place, with its source and date."""

    place_kind = ma.fields.String(
        required=True, validate=validate.OneOf(["city", "district", "township", "community"])
    )
    place_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))
    population = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=100_000_000))
    urban_population = ma.fields.Integer(allow_none=True, validate=PEOPLE)
    source = ma.fields.String(
        required=True,
        validate=validate.Length(min=2, max=128),
        metadata={"description": "第七次全国人口普查, a yearbook ..."},
    )
    as_of = ma.fields.Date(required=True, metadata={"description": "The day the figure is of"})


class FundingQuerySchema(ma.Schema):
    """The year, months of service and any what-if (nothing is written)."""

    year = ma.fields.Integer(validate=validate.Range(min=2020, max=2100))
    from_month = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=12))
    to_month = ma.fields.Integer(load_default=12, validate=validate.Range(min=1, max=12))
    service_yuan_per_10k = ma.fields.Integer(validate=RATE, metadata={"description": "What-if service rate"})
    supervision_yuan_per_10k = ma.fields.Integer(
        validate=RATE, metadata={"description": "What-if supervision rate"}
    )
    cap_yuan_per_10k = ma.fields.Integer(validate=RATE, metadata={"description": "What-if cap"})
    population = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=64)),
        validate=validate.Length(max=200),
        metadata={
            "description": "What-if populations: city:<code>=1400000, district:341002=300000, "
            "community:<code>=6000"
        },
    )
    coverage = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=64)),
        validate=validate.Length(max=200),
        metadata={"description": "What-if covered population per circle: circle:341002-chengzhong=60000"},
    )


class FundingRatesSchema(ma.Schema):
    """The rates used, yuan per 10,000 people a year."""

    service_yuan_per_10k = ma.fields.Integer(required=True)
    supervision_yuan_per_10k = ma.fields.Integer(required=True)
    cap_yuan_per_10k = ma.fields.Integer(required=True)


class CircleFeeSchema(ma.Schema):
    """A circle's covered population and fee."""

    circle = ma.fields.Nested(PlaceRefSchema, required=True)
    district = ma.fields.Nested(PlaceRefSchema, required=True)
    population = ma.fields.Integer(allow_none=True)
    population_source = ma.fields.String(
        required=True, metadata={"description": "communities, district_share or what_if"}
    )
    unknown_communities = ma.fields.Integer(required=True)
    fee_fen = ma.fields.Integer(required=True)
    fee_yuan = ma.fields.String(required=True)


class OperatorFeeSchema(ma.Schema):
    """What an operator is paid for the circles it answered for (none: months no operator did)."""

    operator = ma.fields.Nested(OperatorNameSchema, allow_none=True)
    circles = ma.fields.List(ma.fields.String(), required=True)
    fee_fen = ma.fields.Integer(required=True)
    fee_yuan = ma.fields.String(required=True)


class DistrictFeeSchema(ma.Schema):
    """A district's population, covered population, service fee and cap."""

    district = ma.fields.Nested(PlaceRefSchema, required=True)
    population = ma.fields.Integer(allow_none=True)
    urban_population = ma.fields.Integer(allow_none=True)
    source = ma.fields.String(allow_none=True)
    circles = ma.fields.Integer(required=True)
    covered_population = ma.fields.Integer(required=True)
    service_fee_fen = ma.fields.Integer(required=True)
    service_fee_yuan = ma.fields.String(required=True)
    cap_fen = ma.fields.Integer(required=True)
    cap_yuan = ma.fields.String(required=True)
    over_cap = ma.fields.Boolean(required=True)


class CityFeeSchema(ma.Schema):
    """The city's service and supervision fees against the cap."""

    city = ma.fields.Nested(PlaceRefSchema, required=True)
    population = ma.fields.Integer(allow_none=True)
    urban_population = ma.fields.Integer(allow_none=True)
    source = ma.fields.String(allow_none=True)
    service_fee_fen = ma.fields.Integer(required=True)
    service_fee_yuan = ma.fields.String(required=True)
    supervision_fee_fen = ma.fields.Integer(required=True)
    supervision_fee_yuan = ma.fields.String(required=True)
    total_fen = ma.fields.Integer(required=True)
    total_yuan = ma.fields.String(required=True)
    cap_fen = ma.fields.Integer(required=True)
    cap_yuan = ma.fields.String(required=True)
    over_cap = ma.fields.Boolean(required=True)


class FundingSchema(ma.Schema):
    """The fees of a year's months of service: per circle, operator, district and (city admin) the city."""

    year = ma.fields.Integer(required=True)
    from_month = ma.fields.Integer(required=True)
    to_month = ma.fields.Integer(required=True)
    months = ma.fields.Integer(required=True)
    rates = ma.fields.Nested(FundingRatesSchema, required=True)
    what_if = ma.fields.Boolean(required=True)
    circles = ma.fields.List(ma.fields.Nested(CircleFeeSchema), required=True)
    operators = ma.fields.List(ma.fields.Nested(OperatorFeeSchema), required=True)
    districts = ma.fields.List(ma.fields.Nested(DistrictFeeSchema), required=True)
    city = ma.fields.Nested(CityFeeSchema, allow_none=True)
