"""Schemas of the statistics: the place and month asked for, the drill-down, and each section's answer.

Every section answers with the same frame (section, place, month, live, figures with their
Chinese labels, series ready for charts, tables with Chinese headers) and a few blocks of its own.
"""

import marshmallow as ma

from app.services.stats import grid, jobs, people, push, stations, zero_employment

MONTH_PATTERN = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$"
PLACE_PATTERN = r"^(city|district|circle|township|community):[0-9A-Za-z_-]{1,60}$"


def number(**kwargs) -> ma.fields.Raw:
    """A figure: an integer or a decimal, null where there is no data."""
    metadata = {"type": "number", "nullable": True, **kwargs.pop("metadata", {})}
    return ma.fields.Raw(allow_none=True, metadata=metadata, **kwargs)


class PlaceArgsSchema(ma.Schema):
    """?place= of the drill-down."""

    # Patterns documented only: the service checks them (422 `invalid_place`, `invalid_month`).
    place = ma.fields.String(
        metadata={
            "description": "kind:code, e.g. district:341002000000 or circle:341002-chengzhong; default "
            "my place. 404 place_not_found when unknown or outside my place",
            "pattern": PLACE_PATTERN,
        }
    )


class SectionArgsSchema(PlaceArgsSchema):
    """?place=&month= of a section."""

    month = ma.fields.String(
        metadata={"description": "YYYY-MM; default this month; not a future one", "pattern": MONTH_PATTERN}
    )


class PlaceSchema(ma.Schema):
    """A place of the drill-down."""

    kind = ma.fields.String(
        required=True, metadata={"description": "city, district, circle, township, community"}
    )
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    path = ma.fields.String(required=True, metadata={"description": "kind:code, the value of ?place="})
    group = ma.fields.String(
        metadata={"description": "outside_circle: a township in no circle, listed under its district"}
    )


class SectionRefSchema(ma.Schema):
    """A section the caller may see."""

    name = ma.fields.String(required=True)
    title = ma.fields.String(required=True)


class PlacesSchema(ma.Schema):
    """The drill-down at a place: it, the way down from my place, the places one level down."""

    place = ma.fields.Nested(PlaceSchema, required=True)
    kind_name = ma.fields.String(required=True)
    root = ma.fields.Nested(PlaceSchema, required=True, metadata={"description": "My own place"})
    breadcrumbs = ma.fields.List(ma.fields.Nested(PlaceSchema), required=True)
    children = ma.fields.List(ma.fields.Nested(PlaceSchema), required=True)
    sections = ma.fields.List(ma.fields.Nested(SectionRefSchema), required=True)


class TableSchema(ma.Schema):
    """A table: [key, 中文表头] columns and rows keyed by them (rows may carry more, e.g. path)."""

    columns = ma.fields.List(ma.fields.List(ma.fields.String()), required=True)
    rows = ma.fields.List(ma.fields.Dict(), required=True)


class SeriesSchema(ma.Schema):
    """One series of a chart."""

    key = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    data = ma.fields.List(number(), required=True)


class ChartSchema(ma.Schema):
    """A chart along categories (months, places, bands): x and one series per line or bar."""

    x = ma.fields.List(ma.fields.String(), required=True)
    series = ma.fields.List(ma.fields.Nested(SeriesSchema), required=True)


class ItemSchema(ma.Schema):
    """A named value (a pie slice, a funnel step)."""

    key = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    value = number(required=True)


class HeatSchema(ma.Schema):
    """Visits per weekday and local hour (ECharts heatmap: data as [hour, weekday, count])."""

    x = ma.fields.List(ma.fields.String(), required=True)
    y = ma.fields.List(ma.fields.String(), required=True)
    data = ma.fields.List(ma.fields.List(ma.fields.Integer()), required=True)
    max = ma.fields.Integer(required=True)
    grid = ma.fields.List(
        ma.fields.List(ma.fields.Integer()), required=True, metadata={"description": "[weekday][hour]"}
    )


def _block(name: str, keys, field) -> type[ma.Schema]:
    """Return a schema of named fields of one kind (a section's figures, charts or tables)."""
    return ma.Schema.from_dict({key: field(key) for key in keys}, name=name)


def _figures(name: str, figures: dict) -> type[ma.Schema]:
    return _block(name, figures, lambda key: number(required=True, metadata={"description": figures[key]}))


def _charts(name: str, keys) -> type[ma.Schema]:
    return _block(name, keys, lambda key: ma.fields.Nested(ChartSchema, required=True))


def _tables(name: str, keys) -> type[ma.Schema]:
    return _block(name, keys, lambda key: ma.fields.Nested(TableSchema, required=True))


class SectionSchema(ma.Schema):
    """What every section answers."""

    section = ma.fields.String(required=True)
    place = ma.fields.Nested(PlaceSchema, required=True)
    month = ma.fields.String(required=True, metadata={"description": "YYYY-MM"})
    live = ma.fields.Boolean(required=True, metadata={"description": "The month is the current one"})
    labels = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={"description": "Figures' names"},
    )


class PeopleSchema(SectionSchema):
    """Residents by status and key group, the month's movements, 12 months from the ledger snapshots."""

    as_of = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "When the month's snapshot was written (UTC)"},
    )
    missing_months = ma.fields.List(ma.fields.String(), required=True)
    figures = ma.fields.Nested(_figures("PeopleFiguresSchema", people.FIGURES), required=True)
    by_status = ma.fields.List(ma.fields.Nested(ItemSchema), required=True)
    by_key_group = ma.fields.List(ma.fields.Nested(ItemSchema), required=True)
    series = ma.fields.Nested(
        _charts("PeopleSeriesSchema", ("status_trend", "flows_trend", "residents_trend", "key_groups")),
        required=True,
    )
    tables = ma.fields.Nested(
        _tables("PeopleTablesSchema", ("children", "by_status", "by_key_group", "trend")), required=True
    )


class ZeroEmploymentSchema(SectionSchema):
    """Zero-employment cases: open, opened, cleared, days open, the oldest, 12 months."""

    figures = ma.fields.Nested(
        _figures("ZeroEmploymentFiguresSchema", zero_employment.FIGURES), required=True
    )
    days_open = ma.fields.List(ma.fields.Nested(ItemSchema), required=True)
    series = ma.fields.Nested(_charts("ZeroEmploymentSeriesSchema", ("trend", "days_open")), required=True)
    tables = ma.fields.Nested(
        _tables("ZeroEmploymentTablesSchema", ("children", "oldest", "days_open", "trend")), required=True
    )


class GridStatsSchema(SectionSchema):
    """Grid workers' visit days against the plan, the quarter's coverage per community and circle."""

    as_of = ma.fields.String(required=True, metadata={"description": "The day visit days are counted to"})
    coverage_as_of = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "When the coverage's snapshot was written (UTC)"},
    )
    figures = ma.fields.Nested(_figures("GridFiguresSchema", grid.FIGURES), required=True)
    series = ma.fields.Nested(
        _charts("GridSeriesSchema", ("visit_days", "behind", "coverage_by_child")), required=True
    )
    tables = ma.fields.Nested(
        _tables("GridTablesSchema", ("workers", "communities", "circles", "children")), required=True
    )


class JobsStatsSchema(SectionSchema):
    """Jobs published, open, expired; applications, interviews, hires; reports; per circle and size."""

    figures = ma.fields.Nested(_figures("JobsFiguresSchema", jobs.FIGURES), required=True)
    series = ma.fields.Nested(
        _charts("JobsSeriesSchema", ("by_size", "by_circle", "pipeline")), required=True
    )
    tables = ma.fields.Nested(
        _tables("JobsTablesSchema", ("by_circle", "by_size", "children")), required=True
    )


class StationsStatsSchema(SectionSchema):
    """The station funnel: check-ins by purpose, served, coded outcome; waits; follow-ups; when."""

    figures = ma.fields.Nested(_figures("StationsFiguresSchema", stations.FIGURES), required=True)
    funnel = ma.fields.List(ma.fields.Nested(ItemSchema), required=True)
    by_outcome = ma.fields.List(ma.fields.Nested(ItemSchema), required=True)
    heat = ma.fields.Nested(HeatSchema, required=True)
    series = ma.fields.Nested(
        _charts("StationsSeriesSchema", ("by_purpose", "waits", "by_station")), required=True
    )
    tables = ma.fields.Nested(
        _tables("StationsTablesSchema", ("by_purpose", "by_outcome", "stations", "heat", "waits")),
        required=True,
    )


class PushStatsSchema(SectionSchema):
    """Pushes sent, refused for want of quota, skipped, failed; per template and day."""

    figures = ma.fields.Nested(_figures("PushFiguresSchema", push.FIGURES), required=True)
    series = ma.fields.Nested(_charts("PushSeriesSchema", ("by_template", "daily")), required=True)
    tables = ma.fields.Nested(
        _tables("PushTablesSchema", ("by_template", "skip_reasons", "daily")), required=True
    )
