"""Demonstration communities (示范社区评选): criteria, rankings, confirmation, export."""

from app.api.json_body import Blueprint
from app.api.schemas.common import file_doc
from app.api.schemas.demonstration import (
    DemonstrationComputeSchema,
    DemonstrationConfirmSchema,
    DemonstrationCriteriaInputSchema,
    DemonstrationCriterionSchema,
    DemonstrationPublishSchema,
    DemonstrationRankingQuerySchema,
    DemonstrationRankingSchema,
    DemonstrationYearSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.common.files import attachment
from app.errors import ErrorSchema
from app.models import Role
from app.services.exports.writers import XLSX, xlsx_sheet
from app.services.programme import demonstration, demonstration_reading

URL_PREFIX = ""
blp = Blueprint(
    "demonstration",
    __name__,
    description="Demonstration communities (示范社区评选): criteria, rankings, confirmation, export",
)
ADMINS = (Role.city_admin, Role.district_admin)
FROZEN = {"schema": ErrorSchema, "description": "`ranking_frozen`, `ranking_not_confirmed`, `ranking_empty`"}


@blp.get("/demonstration/criteria")
@auth_required(*ADMINS)
@blp.arguments(DemonstrationYearSchema, location="query")
@blp.response(200, DemonstrationCriterionSchema(many=True))
def list_criteria(args):
    """List the year's criteria with their weights (the catalogue's defaults until the city sets them)."""
    return demonstration.list_criteria(current_account(), args["year"])


@blp.put("/demonstration/criteria")
@auth_required(Role.city_admin)
@blp.arguments(DemonstrationCriteriaInputSchema)
@blp.response(200, DemonstrationCriterionSchema(many=True))
def set_criteria(values):
    """Set the year's criteria weights and which count (city admin); audited."""
    return demonstration.set_criteria(current_account(), values["year"], values["criteria"], client_ip())


@blp.get("/demonstration/rankings")
@auth_required(*ADMINS)
@blp.arguments(DemonstrationRankingQuerySchema, location="query")
@blp.response(200, DemonstrationRankingSchema(many=True))
def list_rankings(args):
    """List the rankings I read (a district admin its district's), newest year first, without scores."""
    return demonstration_reading.list_rankings(current_account(), args.get("year"))


@blp.post("/demonstration/rankings")
@auth_required(*ADMINS)
@blp.arguments(DemonstrationComputeSchema)
@blp.response(200, DemonstrationRankingSchema)
@blp.alt_response(409, **FROZEN)
def compute(values):
    """Compute (or recompute) a year's ranking of a district or the city; a confirmed one is frozen (409)."""
    return demonstration.compute(
        current_account(), values["year"], values["place_kind"], values.get("place_code"), client_ip()
    )


@blp.get("/demonstration/rankings/<int:demonstration_ranking_id>")
@auth_required(*ADMINS)
@blp.response(200, DemonstrationRankingSchema)
def get_ranking(demonstration_ranking_id):
    """Return a ranking with every community's scores and evidence."""
    return demonstration_reading.get_ranking(current_account(), demonstration_ranking_id)


@blp.post("/demonstration/rankings/<int:demonstration_ranking_id>/confirm")
@auth_required(*ADMINS)
@blp.arguments(DemonstrationConfirmSchema)
@blp.response(200, DemonstrationRankingSchema)
@blp.alt_response(409, **FROZEN)
def confirm(values, demonstration_ranking_id):
    """Fix the list (top N eligible, or the communities named) and freeze the ranking (city admin)."""
    return demonstration.confirm(
        current_account(),
        demonstration_ranking_id,
        values.get("top_n"),
        values.get("community_codes"),
        client_ip(),
    )


@blp.post("/demonstration/rankings/<int:demonstration_ranking_id>/publish")
@auth_required(*ADMINS)
@blp.arguments(DemonstrationPublishSchema)
@blp.response(200, DemonstrationRankingSchema)
@blp.alt_response(409, **FROZEN)
def publish(values, demonstration_ranking_id):
    """Publish a confirmed list as a notice to its place's staff (city admin); a retry changes nothing."""
    return demonstration.publish(
        current_account(), demonstration_ranking_id, client_ip(), values.get("valid_until")
    )


@blp.get("/demonstration/rankings/<int:demonstration_ranking_id>/export")
@auth_required(*ADMINS)
@blp.doc(**file_doc((XLSX,)))
def export_ranking(demonstration_ranking_id):
    """Download a ranking (Excel): each community's total, selection, and criteria scores with evidence."""
    account = current_account()
    ranking, headers, rows = demonstration_reading.export_rows(account, demonstration_ranking_id, client_ip())
    data = xlsx_sheet(
        title=f"{ranking['year']}年度示范社区评选",
        place=ranking["place"]["name"],
        filters=f"状态 {ranking['status']}",
        exported_by=account.username or str(account.id),
        headers=headers,
        rows=rows,
    )
    return attachment(data, XLSX, f"demonstration-{ranking['year']}-{ranking['place']['code']}.xlsx")
