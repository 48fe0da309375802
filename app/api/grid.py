"""Grid work: assignments, the checklist, progress, visit batches, zero-employment cases, the ledger."""

from flask import jsonify

from app.api.json_body import Blueprint
from app.api.schemas.grid import (
    AssignedSchema,
    ChecklistArgsSchema,
    ChecklistSchema,
    ClosedNeedSchema,
    CommunityCodesSchema,
    StatusHistorySchema,
    VisitBatchSchema,
    VisitInputSchema,
    VisitResultsSchema,
)
from app.api.schemas.planned_visits import (
    PlannedVisitArgsSchema,
    PlannedVisitInputSchema,
    PlannedVisitPageSchema,
    PlannedVisitSchema,
    PlannedVisitUpdateSchema,
)
from app.api.schemas.progress import ProgressArgsSchema, ProgressSchema
from app.api.schemas.snapshots import SnapshotArgsSchema, SnapshotsSchema
from app.api.schemas.zero_employment import (
    ActionInputSchema,
    ActionSchema,
    CasePageSchema,
    CaseQuerySchema,
    CaseSchema,
)
from app.auth import auth_required, client_ip, current_account, staff_required
from app.models import Role
from app.services.grid import (
    assignment,
    checklist,
    planned_visits,
    progress,
    snapshots,
    visits,
    zero_employment,
)
from app.services.grid.progress import OFFICIAL_ROLES
from app.services.people import residents

URL_PREFIX = ""
blp = Blueprint("grid", __name__, description="Grid work, zero-employment households and the ledger")


@blp.put("/grid-workers/<int:account_id>/communities")
@staff_required
@blp.arguments(CommunityCodesSchema)
@blp.response(200, AssignedSchema)
def set_communities(args, account_id):
    """Assign a grid worker to exactly these communities (operators and admins, in scope)."""
    return assignment.set_communities(current_account(), account_id, args["community_codes"], client_ip())


@blp.get("/grid-workers/<int:account_id>/communities")
@staff_required
@blp.response(200, AssignedSchema)
def get_communities(account_id):
    """Return a grid worker's communities (a grid worker may read their own)."""
    return assignment.get_communities(current_account(), account_id)


@blp.get("/grid/checklist")
@auth_required(Role.grid_worker, Role.operator)
@blp.arguments(ChecklistArgsSchema, location="query")
@blp.response(200, ChecklistSchema)
def my_checklist(args):
    """My households not yet met this quarter, as a walking route from where I stand, and open follow-ups."""
    # The service writes ChecklistSchema's JSON itself (a dump of objects was half the time).
    return jsonify(checklist.checklist(current_account(), args.get("lat"), args.get("lng"), args["limit"]))


@blp.post("/grid/planned-visits")
@auth_required(*planned_visits.PLAN_ROLES)
@blp.arguments(PlannedVisitInputSchema)
@blp.response(201, PlannedVisitSchema)
@blp.alt_response(200, schema=PlannedVisitSchema, description="The same client_id again: the first plan")
def plan_visit(values):
    """Plan a visit to a household I work on; its members are told (visit_notice)."""
    row, created = planned_visits.plan(current_account(), values)
    return row, 201 if created else 200


@blp.get("/grid/planned-visits")
@auth_required(*planned_visits.PLAN_ROLES)
@blp.arguments(PlannedVisitArgsSchema, location="query")
@blp.response(200, PlannedVisitPageSchema)
def my_planned_visits(args):
    """List my planned visits, soonest first (?status=planned for those still to come)."""
    return planned_visits.list_mine(current_account(), args.get("status"), args["page"], args["per_page"])


@blp.patch("/grid/planned-visits/<int:planned_visit_id>")
@auth_required(*planned_visits.PLAN_ROLES)
@blp.arguments(PlannedVisitUpdateSchema)
@blp.response(200, PlannedVisitSchema)
def update_planned_visit(values, planned_visit_id):
    """Cancel one of my planned visits with status=cancelled (409 planned_visit_done once visited)."""
    return planned_visits.cancel(current_account(), planned_visit_id)


@blp.get("/grid/progress")
@auth_required(Role.grid_worker, *OFFICIAL_ROLES)
@blp.arguments(ProgressArgsSchema, location="query")
@blp.response(200, ProgressSchema)
def my_progress(args):
    """Visit days this month against the target, and this quarter's coverage per community.

    A grid worker gets their own. Officials, operators and supervisors also get their place's
    grid workers (visit days, pro-rated target, behind plan) and coverage per community and per
    circle, from the month's ledger snapshot (`coverage_as_of`).
    """
    return progress.progress(current_account(), args.get("as_of"))


@blp.post("/grid/visits")
@auth_required(Role.grid_worker, Role.operator)
@blp.arguments(VisitBatchSchema)
@blp.response(200, VisitResultsSchema)
def send_visits(args):
    """Send a batch of visits from the phone's offline queue; each is applied, duplicate or rejected."""
    return {"results": visits.record_visits(current_account(), args["visits"], VisitInputSchema())}


@blp.post("/grid/needs/<int:need_id>/close")
@staff_required
@blp.response(200, ClosedNeedSchema)
def close_need(need_id):
    """Close a follow-up that has been dealt with."""
    return checklist.close_need(current_account(), need_id)


@blp.get("/residents/<int:resident_id>/status-history")
@staff_required
@blp.response(200, StatusHistorySchema)
def status_history(resident_id):
    """A resident's employment-status history and key-group periods (staff in scope)."""
    return residents.get_resident(current_account(), resident_id)


@blp.get("/zero-employment-households")
@staff_required
@blp.arguments(CaseQuerySchema, location="query")
@blp.response(200, CasePageSchema)
def list_cases(args):
    """Zero-employment households in my place, longest open first, with days open."""
    return zero_employment.list_cases(
        current_account(), args["page"], args["per_page"], args["open"], args.get("community")
    )


@blp.get("/zero-employment-households/<int:case_id>")
@staff_required
@blp.response(200, CaseSchema)
def get_case(case_id):
    """One zero-employment case with the help given."""
    return zero_employment.get_case(current_account(), case_id)


@blp.post("/zero-employment-households/<int:case_id>/actions")
@staff_required
@blp.arguments(ActionInputSchema)
@blp.response(201, ActionSchema)
def add_action(values, case_id):
    """Record help given: a job recommended, training, a public-welfare placement."""
    return zero_employment.add_action(current_account(), case_id, values)


@blp.get("/ledger/snapshots")
@staff_required
@blp.arguments(SnapshotArgsSchema, location="query")
@blp.response(200, SnapshotsSchema)
def ledger_snapshots(args):
    """Monthly ledger counts over my place (or one community), for trends."""
    return {"items": snapshots.trend(current_account(), **args)}
