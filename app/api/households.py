"""Households and the ledger import."""

from flask import Response, request

from app.api.json_body import Blueprint
from app.api.schemas.common import UPLOAD_DOC
from app.api.schemas.grid import (
    HouseholdDetailSchema,
    HouseholdPageSchema,
    HouseholdQuerySchema,
    ImportReportSchema,
    TemplateArgsSchema,
)
from app.auth import client_ip, current_account, staff_required
from app.common import files
from app.services.grid import household_import, households, ledger_file

URL_PREFIX = ""
blp = Blueprint("households", __name__, description="Households and the ledger import")

SPREADSHEET_DOC = {
    "responses": {
        "200": {
            "description": "The template",
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    }
}


@blp.post("/imports/households")
@staff_required
@blp.doc(**UPLOAD_DOC)
@blp.response(200, ImportReportSchema)
def import_households():
    """Import residents and households from CSV or XLSX (one row per resident; see the template).

    Good rows go in, bad rows are reported with line, column and reason; a re-import updates.
    """
    upload = request.files.get("file")
    data = files.read_spreadsheet(upload)
    return household_import.import_households(current_account(), data, upload.filename, client_ip())


@blp.get("/imports/households/template")
@staff_required
@blp.arguments(TemplateArgsSchema, location="query")
@blp.doc(**SPREADSHEET_DOC)
def template(args):
    """Download the import template (XLSX, or CSV with ?format=csv)."""
    data, content_type, name = ledger_file.template(args["format"])
    return Response(
        data, content_type=content_type, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@blp.get("/households")
@staff_required
@blp.arguments(HouseholdQuerySchema, location="query")
@blp.response(200, HouseholdPageSchema)
def list_households(args):
    """List the households I work on (grid workers: their communities), with members."""
    return households.list_households(current_account(), **args)


@blp.get("/households/<int:household_id>")
@staff_required
@blp.response(200, HouseholdDetailSchema)
def get_household(household_id):
    """Return one household I work on, with its full address."""
    return households.get_household(current_account(), household_id)
