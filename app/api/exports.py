"""Exports: a list as Excel or CSV, written now or by a task; its status; its download."""

from app.api.downloads import send_stored
from app.api.json_body import Blueprint
from app.api.schemas.common import file_doc
from app.api.schemas.exports import DownloadArgsSchema, ExportRequestSchema, ExportSchema
from app.auth import client_ip, current_account, staff_required
from app.services.exports import downloads, jobs
from app.services.exports.writers import CSV, XLSX

URL_PREFIX = "/exports"
blp = Blueprint("exports", __name__, description="Exports of lists (Excel, CSV)")


@blp.post("")
@staff_required
@blp.arguments(ExportRequestSchema)
@blp.response(201, ExportSchema)
def create(args):
    """Export a list with its page's filters; large ones run as a task (poll the export for its link)."""
    return jobs.export_listing(
        current_account(), args["source"], args["filters"], args["format"], args["reveal"], client_ip()
    )


@blp.get("/<int:export_id>")
@staff_required
@blp.response(200, ExportSchema)
def get(export_id):
    """Return one of my exports: its progress, then its download link until it expires."""
    return jobs.job_status(current_account(), export_id)


@blp.get("/<int:export_id>/download")
@staff_required
@blp.arguments(DownloadArgsSchema, location="query")
@blp.doc(**file_doc((XLSX, CSV)))
def download(args, export_id):
    """Download my export's file with its link (404 for anyone else, 410 once the link expired)."""
    return send_stored(downloads.open_download(current_account(), export_id, args["token"], client_ip()))
