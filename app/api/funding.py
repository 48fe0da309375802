"""Populations and the funding calculator (购买服务费用), with what-if and Excel."""

from app.api.json_body import Blueprint
from app.api.schemas.common import file_doc
from app.api.schemas.funding import (
    FundingQuerySchema,
    FundingSchema,
    PopulationInputSchema,
    PopulationListSchema,
    PopulationSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.common.files import attachment
from app.models import Role
from app.services.exports.writers import XLSX, xlsx_sheet
from app.services.programme import funding, funding_export, populations

URL_PREFIX = ""
blp = Blueprint(
    "funding",
    __name__,
    description="Populations and the funding calculator (购买服务费用), with what-if and Excel",
)


@blp.get("/populations")
@auth_required(*populations.READ_ROLES)
@blp.response(200, PopulationListSchema)
def list_populations():
    """List the city's and districts' populations in force in my place, with their history."""
    return {"items": populations.list_populations(current_account())}


@blp.post("/populations")
@auth_required(Role.city_admin)
@blp.arguments(PopulationInputSchema)
@blp.response(201, PopulationSchema)
@blp.alt_response(200, schema=PopulationSchema, description="The same figure was in force: nothing written")
def set_population(values):
    """Enter a place's population with its source and date (city admin; the newest is in force; audited)."""
    row, created = populations.set_population(current_account(), values, client_ip())
    return row, 201 if created else 200


@blp.get("/funding")
@auth_required(*funding.READ_ROLES)
@blp.arguments(FundingQuerySchema, location="query")
@blp.response(200, FundingSchema)
def calculate(args):
    """Compute the fees per circle, operator, district and city (what-if: nothing written)."""
    return funding.calculate(current_account(), args)


@blp.get("/funding/export")
@auth_required(*funding.READ_ROLES)
@blp.arguments(FundingQuerySchema, location="query")
@blp.doc(**file_doc((XLSX,)))
def export(args):
    """Download the calculator's result (Excel), as GET /funding answers it."""
    account = current_account()
    result = funding.calculate(account, args)
    data = xlsx_sheet(
        title="就业圈购买服务费用测算",
        place=funding_export.place_text(result),
        filters=funding_export.filters_text(result),
        exported_by=account.username or str(account.id),
        headers=funding_export.COLUMNS,
        rows=funding_export.rows(result),
    )
    return attachment(data, XLSX, f"funding-{result['year']}.xlsx")
