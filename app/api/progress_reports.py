"""Districts' monthly progress reports to the city."""

from app.api.json_body import Blueprint
from app.api.schemas.progress_reports import (
    ProgressOverviewQuerySchema,
    ProgressOverviewSchema,
    ProgressReportCommentsSchema,
    ProgressReportCreateSchema,
    ProgressReportPageSchema,
    ProgressReportQuerySchema,
    ProgressReportSchema,
    ProgressReportTextSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.errors import ErrorSchema
from app.models import Role
from app.services.programme import progress_reports

URL_PREFIX = ""
blp = Blueprint(
    "progress_reports",
    __name__,
    description="Districts' monthly progress reports to the city",
)
READERS = (Role.district_admin, Role.city_admin)
WRONG_STATUS = {
    "schema": ErrorSchema,
    "description": "`report_status_conflict`: not in a status this step takes",
}


@blp.post("/progress-reports")
@auth_required(Role.district_admin)
@blp.arguments(ProgressReportCreateSchema)
@blp.response(201, ProgressReportSchema)
@blp.alt_response(
    200, schema=ProgressReportSchema, description="The month's report was started before: it, as it is"
)
def create_report(values):
    """Start my district's report of a month (422 month_in_future)."""
    report, created = progress_reports.create(current_account(), values, client_ip())
    return report, 201 if created else 200


@blp.get("/progress-reports")
@auth_required(*READERS)
@blp.arguments(ProgressReportQuerySchema, location="query")
@blp.response(200, ProgressReportPageSchema)
def list_reports(args):
    """List the reports of my district (a city admin: of every district), newest month first."""
    return progress_reports.list_reports(current_account(), args)


@blp.get("/progress-reports/overview")
@auth_required(Role.city_admin)
@blp.arguments(ProgressOverviewQuerySchema, location="query")
@blp.response(200, ProgressOverviewSchema)
def overview(args):
    """Show every district of the city for a month: who has filed, and their indicators side by side."""
    return progress_reports.overview(current_account(), args["month"])


@blp.get("/progress-reports/<int:progress_report_id>")
@auth_required(*READERS)
@blp.response(200, ProgressReportSchema)
def get_report(progress_report_id):
    """Return a report (its indicators counted live until it is filed)."""
    return progress_reports.get(current_account(), progress_report_id)


@blp.patch("/progress-reports/<int:progress_report_id>")
@auth_required(Role.district_admin)
@blp.arguments(ProgressReportTextSchema)
@blp.response(200, ProgressReportSchema)
@blp.alt_response(409, **WRONG_STATUS)
def edit_report(values, progress_report_id):
    """Change the text of my district's draft or returned report."""
    return progress_reports.edit(current_account(), progress_report_id, values, client_ip())


@blp.post("/progress-reports/<int:progress_report_id>/file")
@auth_required(Role.district_admin)
@blp.arguments(ProgressReportTextSchema)
@blp.response(200, ProgressReportSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`report_status_conflict`, `month_not_over`")
def file_report(values, progress_report_id):
    """File (报送) my district's report after its month, with any last text; its indicators freeze."""
    return progress_reports.file(current_account(), progress_report_id, client_ip(), values)


@blp.post("/progress-reports/<int:progress_report_id>/return")
@auth_required(Role.city_admin)
@blp.arguments(ProgressReportCommentsSchema)
@blp.response(200, ProgressReportSchema)
@blp.alt_response(409, **WRONG_STATUS)
def return_report(values, progress_report_id):
    """Return a filed report to its district with comments (422 comments_required)."""
    return progress_reports.return_report(
        current_account(), progress_report_id, values.get("comments"), client_ip()
    )


@blp.post("/progress-reports/<int:progress_report_id>/accept")
@auth_required(Role.city_admin)
@blp.arguments(ProgressReportCommentsSchema)
@blp.response(200, ProgressReportSchema)
@blp.alt_response(409, **WRONG_STATUS)
def accept_report(values, progress_report_id):
    """Accept (审阅) a filed report, with optional comments."""
    return progress_reports.accept(current_account(), progress_report_id, values.get("comments"), client_ip())
