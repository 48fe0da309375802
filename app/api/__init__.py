"""API blueprints, each a feature: parse with a schema, call one service, dump."""

from flask import Flask
from werkzeug.routing import IntegerConverter

from app.api.schemas.common import ID_MAX
from app.extensions import ApiWithErrors


def decimal_at_most(bound: int) -> str:
    """Return a regex of the decimal numbers 1 … bound, written without leading zeros."""
    digits = str(bound)
    shorter = f"[1-9]\\d{{0,{len(digits) - 2}}}" if len(digits) > 1 else ""
    # As long as the bound: its first i digits, then a smaller digit, then any digits.
    same = [digits]
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            same.append(f"{digits[:i]}[{low}-{int(digit) - 1}]" + (f"\\d{{{rest}}}" if rest else ""))
    return "|".join(([shorter] if shorter else []) + same)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a row id, 1 … 2^63−1 (MariaDB's BIGINT); any other number is a 404.

    Every integer in our URLs is an id, so this replaces werkzeug's `int` rather than adding a
    name each route would have to remember: an id past BIGINT never reaches a query (where SQLite
    raised OverflowError and MariaDB an out-of-range error, both a 500). The bound is in the regex,
    not only in to_python: werkzeug picks a route by its regex and method first, so a value refused
    later would answer a 405 on a path where another method has a route.
    """

    regex = f"(?:{decimal_at_most(ID_MAX)})"

    def __init__(self, map, fixed_digits=0, min=1, max=ID_MAX, signed=False):  # noqa: A002  (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def id_parameter_schema(converter: IdConverter) -> dict:
    """Document an id path parameter: a 64-bit integer from 1."""
    return {"type": "integer", "format": "int64", "minimum": converter.min, "maximum": converter.max}


def register_blueprints(app: Flask, api: ApiWithErrors) -> None:
    """Register every blueprint on the app and its OpenAPI document."""
    # Before any rule is added: a rule takes its converter from the map when it is added.
    app.url_map.converters["int"] = IdConverter
    api.register_converter(IdConverter, id_parameter_schema)
    from app.api import (
        applications,
        audit,
        auth,
        certifications,
        check_ins,
        consents,
        employer_visits,
        employers,
        events,
        exports,
        grid,
        health,
        households,
        jobs,
        me,
        places,
        push,
        registrations,
        residents,
        resumes,
        staff,
        stations,
        stats,
    )

    modules = (auth, me, residents, staff, places, audit, employers, jobs, resumes, applications)
    modules += (stations, check_ins, events, households, grid, push, stats)
    modules += (exports,)
    modules += (registrations,)
    modules += (employer_visits,)
    modules += (certifications,)
    modules += (consents,)
    from app.api import policies, policy_matches

    modules += (policies, policy_matches)
    from app.api import claims

    modules += (claims,)
    from app.api import notices

    modules += (notices,)
    from app.api import placements

    modules += (placements,)
    from app.api import exchange

    modules += (exchange,)
    from app.api import (
        circle_filings,
        compliance,
        demonstration,
        funding,
        operators,
        progress_reports,
        supervision,
    )

    modules += (operators, circle_filings, compliance, funding, supervision, progress_reports, demonstration)
    for module in modules:
        api.register_blueprint(module.blp, url_prefix="/api/v1" + module.URL_PREFIX)
    # Checked item by item rather than as the request body (one bad visit must not refuse the
    # batch), so the visit's own schema is added to the document by hand.
    from app.api.schemas.grid import VisitInputSchema

    api.spec.components.schema("VisitInput", schema=VisitInputSchema)
    app.register_blueprint(health.bp)
    from app import pages

    app.register_blueprint(pages.bp)
