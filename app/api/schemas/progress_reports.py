"""Schemas of progress reports (工作进展月报): writing, filing, the city's review, the overview."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import PageArgsSchema, UtcDateTime, one_of, page_schema
from app.api.schemas.supervision import Month, SupervisionPlaceSchema
from app.models import ReportStatus

TEXT = validate.Length(max=5000)


class ProgressReportTextSchema(ma.Schema):
    """The report's text: 存在问题, 典型经验, 下步打算 (all three needed to file)."""

    problems = ma.fields.String(allow_none=True, validate=TEXT, metadata={"description": "存在问题"})
    good_practice = ma.fields.String(allow_none=True, validate=TEXT, metadata={"description": "典型经验"})
    next_steps = ma.fields.String(allow_none=True, validate=TEXT, metadata={"description": "下步打算"})


class ProgressReportCreateSchema(ProgressReportTextSchema):
    """Start my district's report of a month (the month's report written before is returned)."""

    month = Month(required=True, metadata={"description": "YYYY-MM, not a future month"})


class ProgressReportCommentsSchema(ma.Schema):
    """The city's comments: required to return a report, optional to accept it."""

    comments = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))


class ProgressReportQuerySchema(PageArgsSchema):
    """?month=&status= of the reports list."""

    month = Month()
    status = ma.fields.String(validate=one_of(ReportStatus))


class ProgressIndicatorSchema(ma.Schema):
    """One indicator: its key, label and value (null where not counted)."""

    key = ma.fields.String()
    label = ma.fields.String()
    value = ma.fields.Raw(allow_none=True, metadata={"type": "number"})


class ProgressReportSchema(ma.Schema):
    """A district's report of a month: status, indicators (live until filed), text, the city's comments."""

    id = ma.fields.Integer(required=True)
    district = ma.fields.Nested(SupervisionPlaceSchema, allow_none=True)
    month = ma.fields.String(metadata={"description": "YYYY-MM"})
    status = ma.fields.String()
    status_text = ma.fields.String()
    indicators_live = ma.fields.Boolean(metadata={"description": "True until filed: counted now"})
    indicators = ma.fields.List(ma.fields.Nested(ProgressIndicatorSchema))
    problems = ma.fields.String(allow_none=True)
    good_practice = ma.fields.String(allow_none=True)
    next_steps = ma.fields.String(allow_none=True)
    comments = ma.fields.String(allow_none=True)
    times_filed = ma.fields.Integer()
    created_by_id = ma.fields.Integer(allow_none=True)
    filed_by_id = ma.fields.Integer(allow_none=True)
    filed_at = UtcDateTime(allow_none=True)
    decided_by_id = ma.fields.Integer(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


ProgressReportPageSchema = page_schema(ProgressReportSchema, "ProgressReportPageSchema")


class ProgressOverviewColumnSchema(ma.Schema):
    """An indicator column of the overview."""

    key = ma.fields.String()
    label = ma.fields.String()


class ProgressOverviewRowSchema(ma.Schema):
    """One district of the overview: its report's status and frozen indicators (none until filed)."""

    district = ma.fields.Nested(SupervisionPlaceSchema)
    report_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String(metadata={"description": "A report status, or missing"})
    status_text = ma.fields.String()
    filed_at = UtcDateTime(allow_none=True)
    times_filed = ma.fields.Integer()
    indicators = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True), allow_none=True
    )


class ProgressOverviewSchema(ma.Schema):
    """Every district of the city for a month, filed or not, side by side."""

    month = ma.fields.String()
    columns = ma.fields.List(ma.fields.Nested(ProgressOverviewColumnSchema))
    filed = ma.fields.Integer(metadata={"description": "Districts filed or accepted"})
    districts = ma.fields.List(ma.fields.Nested(ProgressOverviewRowSchema))


class ProgressOverviewQuerySchema(ma.Schema):
    """?month=YYYY-MM."""

    month = Month(required=True)
