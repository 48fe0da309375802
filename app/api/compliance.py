"""Compliance with the plan's standing rules, gaps with since-when, weekly digests."""

from app.api.json_body import Blueprint
from app.api.schemas.compliance import (
    ComplianceCheckSchema,
    ComplianceDigestListSchema,
    ComplianceGapPageSchema,
    ComplianceGapQuerySchema,
    ComplianceGapSchema,
    ComplianceProgressQuerySchema,
    ComplianceProgressSchema,
)
from app.auth import auth_required, current_account
from app.services.programme import compliance, compliance_digest, compliance_gaps
from app.services.programme.compliance_gaps import READ_ROLES, RUN_ROLES

URL_PREFIX = ""
blp = Blueprint(
    "compliance",
    __name__,
    description="Compliance with the plan's standing rules, gaps with since-when, weekly digests",
)


@blp.get("/compliance/gaps")
@auth_required(*READ_ROLES)
@blp.arguments(ComplianceGapQuerySchema, location="query")
@blp.response(200, ComplianceGapPageSchema)
def list_gaps(args):
    """List the gaps in my place (?status=open by default), longest-standing first."""
    return compliance_gaps.list_gaps(current_account(), args)


@blp.get("/compliance/gaps/<int:compliance_gap_id>")
@auth_required(*READ_ROLES)
@blp.response(200, ComplianceGapSchema)
def get_gap(compliance_gap_id):
    """Return one gap in my place with its figures and since-when (404 outside it)."""
    return compliance_gaps.get_gap(current_account(), compliance_gap_id)


@blp.get("/compliance/circles")
@auth_required(*READ_ROLES)
@blp.arguments(ComplianceProgressQuerySchema, location="query")
@blp.response(200, ComplianceProgressSchema)
def circle_progress(args):
    """Show each circle of my place: this month's visit days (pro-rated) and quarter's coverage."""
    return compliance_gaps.circle_progress(current_account(), args.get("as_of"))


@blp.post("/compliance/refresh")
@auth_required(*RUN_ROLES)
@blp.response(200, ComplianceCheckSchema)
def run_check():
    """Check every rule now (as the hourly task does) and return what opened and closed; audited."""
    return compliance.check_compliance(actor=current_account())


@blp.get("/compliance/digests")
@auth_required(*READ_ROLES)
@blp.response(200, ComplianceDigestListSchema)
def my_digests():
    """List the weekly digests sent to me, newest first."""
    return {"items": compliance_digest.my_digests(current_account())}
