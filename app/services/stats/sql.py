"""The statistics' SQL beyond the plain: minutes between moments, weekdays, hours, numbers inside JSON text.

SQLite (the embedded mode and tests) and MySQL/MariaDB/TiDB spell the first three differently:
each is a small SQL construct compiled per dialect, so the sections' queries stay portable.
"""

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

MYSQL = ("mysql", "mariadb")


class minutes_between(FunctionElement):  # noqa: N801  (used like sa.func.*)
    """Whole minutes from a first moment to a second (truncated)."""

    type = sa.Integer()
    inherit_cache = True
    name = "minutes_between"


class weekday_of(FunctionElement):  # noqa: N801
    """A day's weekday, 0 = Sunday … 6 = Saturday."""

    type = sa.Integer()
    inherit_cache = True
    name = "weekday_of"


class hour_of(FunctionElement):  # noqa: N801
    """A moment's hour, 0 … 23 (of the stored, UTC, clock)."""

    type = sa.Integer()
    inherit_cache = True
    name = "hour_of"


@compiles(minutes_between)
def _minutes_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    # julianday's float, nudged up so a whole 5 minutes is not truncated to 4.
    days = f"julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})"
    return f"CAST(({days}) * 1440 + 0.000001 AS INTEGER)"


@compiles(weekday_of)
def _weekday_sqlite(element, compiler, **kw):
    return f"CAST(strftime('%w', {compiler.process(list(element.clauses)[0], **kw)}) AS INTEGER)"


@compiles(hour_of)
def _hour_sqlite(element, compiler, **kw):
    return f"CAST(strftime('%H', {compiler.process(list(element.clauses)[0], **kw)}) AS INTEGER)"


for _dialect in MYSQL:

    @compiles(minutes_between, _dialect)
    def _minutes_mysql(element, compiler, **kw):
        start, end = list(element.clauses)
        return f"TIMESTAMPDIFF(MINUTE, {compiler.process(start, **kw)}, {compiler.process(end, **kw)})"

    @compiles(weekday_of, _dialect)
    def _weekday_mysql(element, compiler, **kw):
        return f"(DAYOFWEEK({compiler.process(list(element.clauses)[0], **kw)}) - 1)"

    @compiles(hour_of, _dialect)
    def _hour_mysql(element, compiler, **kw):
        return f"HOUR({compiler.process(list(element.clauses)[0], **kw)})"


def json_number(column, key: str):
    """Return a number stored under `key` of a JSON-text column (NULL when absent).

    json_extract is spelt alike in SQLite, MySQL, MariaDB and TiDB; the database reads the
    JSON, so a section sums thousands of snapshot rows without sending them to Python.
    """
    return sa.func.json_extract(column, f"$.{key}")


def json_sum(column, key: str):
    """Return SUM of a JSON-text column's number under `key` (0 when none)."""
    return sa.func.coalesce(sa.func.sum(json_number(column, key)), 0)
