"""Grid work: assignments, the checklist, progress, visit batches, zero-employment cases, the ledger."""

from flask_smorest import Blueprint

from app.api.common import page_schema
from app.api.grid_schemas import (
    ActionInputSchema,
    ActionSchema,
    AssignedSchema,
    CaseQuerySchema,
    CaseSchema,
    ChecklistArgsSchema,
    ChecklistSchema,
    ClosedNeedSchema,
    CommunityCodesSchema,
    ProgressArgsSchema,
    ProgressSchema,
    SnapshotArgsSchema,
    SnapshotsSchema,
    StatusHistorySchema,
    VisitBatchSchema,
    VisitInputSchema,
    VisitResultsSchema,
)
from app.auth import auth_required, client_ip, current_account, staff_required
from app.models import Role
from app.services import grid, ledger, zero_employment
from app.services.places import community_by_code

URL_PREFIX = ""
blp = Blueprint("grid", __name__, description="Grid work, zero-employment households and the ledger")

CasePageSchema = page_schema(CaseSchema, "CasePageSchema")


def _assigned(account_id: int, communities) -> dict:
    return {"account_id": account_id, "communities": [{"code": c.code, "name": c.name} for c in communities]}


@blp.put("/grid-workers/<int:account_id>/communities")
@staff_required
@blp.arguments(CommunityCodesSchema)
@blp.response(200, AssignedSchema)
def set_communities(args, account_id):
    """Assign a grid worker to exactly these communities (operators and admins, in scope)."""
    communities = grid.set_communities(current_account(), account_id, args["community_codes"], client_ip())
    return _assigned(account_id, communities)


@blp.get("/grid-workers/<int:account_id>/communities")
@staff_required
@blp.response(200, AssignedSchema)
def get_communities(account_id):
    """Return a grid worker's communities (a grid worker may read their own)."""
    return _assigned(account_id, grid.get_communities(current_account(), account_id))


@blp.get("/grid/checklist")
@auth_required(Role.grid_worker, Role.operator)
@blp.arguments(ChecklistArgsSchema, location="query")
@blp.response(200, ChecklistSchema)
def checklist(args):
    """My households not yet met this quarter, as a walking route from where I stand, and open follow-ups."""
    return grid.checklist(current_account(), args.get("lat"), args.get("lng"), args["limit"])


@blp.get("/grid/progress")
@auth_required(Role.grid_worker, Role.operator)
@blp.arguments(ProgressArgsSchema, location="query")
@blp.response(200, ProgressSchema)
def progress(args):
    """My visit days this month against the target, and this quarter's coverage per community."""
    return grid.progress(current_account(), args.get("as_of"))


@blp.post("/grid/visits")
@auth_required(Role.grid_worker, Role.operator)
@blp.arguments(VisitBatchSchema)
@blp.response(200, VisitResultsSchema)
def visits(args):
    """Send a batch of visits from the phone's offline queue; each is applied, duplicate or rejected."""
    return {"results": grid.record_visits(current_account(), args["visits"], VisitInputSchema())}


@blp.post("/grid/needs/<int:need_id>/close")
@staff_required
@blp.response(200, ClosedNeedSchema)
def close_need(need_id):
    """Close a follow-up that has been dealt with."""
    return grid.close_need(current_account(), need_id)


@blp.get("/residents/<int:resident_id>/status-history")
@staff_required
@blp.response(200, StatusHistorySchema)
def status_history(resident_id):
    """A resident's employment-status history and key-group periods (staff in scope)."""
    return grid.status_history(current_account(), resident_id)


def _case_out(case):
    case.days_open = zero_employment.days_open(case)
    return case


@blp.get("/zero-employment-households")
@staff_required
@blp.arguments(CaseQuerySchema, location="query")
@blp.response(200, CasePageSchema)
def list_cases(args):
    """Zero-employment households in my place, longest open first, with days open."""
    community_id = community_by_code(args["community"], "community").id if args.get("community") else None
    items, total = zero_employment.list_cases(
        current_account(), args["page"], args["per_page"], args["open"], community_id
    )
    return {
        "items": [_case_out(c) for c in items],
        "page": args["page"],
        "per_page": args["per_page"],
        "total": total,
    }


@blp.get("/zero-employment-households/<int:case_id>")
@staff_required
@blp.response(200, CaseSchema)
def get_case(case_id):
    """One zero-employment case with the help given."""
    return _case_out(zero_employment.get_case(current_account(), case_id))


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
def snapshots(args):
    """Monthly ledger counts over my place (or one community), for trends."""
    return {"items": ledger.trend(current_account(), **args)}
