"""API blueprints, each a feature: parse with a schema, call one service, dump."""

from flask import Flask

from app.extensions import ApiWithErrors


def register_blueprints(app: Flask, api: ApiWithErrors) -> None:
    """Register every blueprint on the app and its OpenAPI document."""
    from app.api import (
        applications,
        audit,
        auth,
        check_ins,
        employers,
        events,
        grid,
        health,
        households,
        jobs,
        me,
        places,
        push,
        residents,
        resumes,
        staff,
        stations,
    )

    modules = (auth, me, residents, staff, places, audit, employers, jobs, resumes, applications)
    modules += (stations, check_ins, events, households, grid, push)
    for module in modules:
        api.register_blueprint(module.blp, url_prefix="/api/v1" + module.URL_PREFIX)
    # Checked item by item rather than as the request body (one bad visit must not refuse the
    # batch), so the visit's own schema is added to the document by hand.
    from app.api.schemas.grid import VisitInputSchema

    api.spec.components.schema("VisitInput", schema=VisitInputSchema)
    app.register_blueprint(health.bp)
    from app import pages

    app.register_blueprint(pages.bp)
