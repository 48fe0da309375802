"""Schemas of the ledger's monthly snapshots (grid wing): the trend over the caller's place."""

import marshmallow as ma
from marshmallow import validate


class SnapshotArgsSchema(ma.Schema):
    """?from=&to=&community= of the ledger trend (months as YYYY-MM; default the last 12)."""

    # Patterns documented only: the service checks them (422 `invalid_month`).
    month_from = ma.fields.String(
        data_key="from",
        metadata={
            "description": "YYYY-MM; default 11 months before `to`; not after `to` (`invalid_month_range`)",
            "pattern": r"^[1-9]\d{3}-(0[1-9]|1[0-2])$",
        },
    )
    month_to = ma.fields.String(
        data_key="to",
        metadata={"description": "YYYY-MM; default this month", "pattern": r"^[1-9]\d{3}-(0[1-9]|1[0-2])$"},
    )
    community = ma.fields.String(validate=validate.Regexp(r"^\d{12}$"))


class SnapshotSchema(ma.Schema):
    """One month's ledger counts over the caller's place."""

    month = ma.fields.String(required=True)
    communities = ma.fields.Integer(required=True)
    residents = ma.fields.Integer(required=True)
    households = ma.fields.Integer(required=True)
    zero_employment_households = ma.fields.Integer(required=True)
    by_status = ma.fields.Dict(required=True)
    by_key_group = ma.fields.Dict(required=True)


class SnapshotsSchema(ma.Schema):
    """Months in order."""

    items = ma.fields.List(ma.fields.Nested(SnapshotSchema), required=True)
