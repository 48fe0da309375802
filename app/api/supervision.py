"""Supervision (监理): phone spot-checks, findings, operator KPIs, the monthly report."""

from app.api.json_body import Blueprint
from app.api.schemas.common import file_doc
from app.api.schemas.supervision import (
    CallInputSchema,
    CallSchema,
    FindingAnswerSchema,
    FindingCloseSchema,
    FindingCreateSchema,
    FindingPageSchema,
    FindingQuerySchema,
    FindingReopenSchema,
    FindingSchema,
    MonthQuerySchema,
    OperatorKpisSchema,
    RevealedPhoneSchema,
    RevealInputSchema,
    SampleDrawSchema,
    SamplePageSchema,
    SampleQuerySchema,
    SampleWithCallsSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.common.files import attachment
from app.errors import ErrorSchema
from app.models import Role
from app.services.exports.writers import XLSX, xlsx_sheet
from app.services.programme import findings, operator_kpis, spot_check_calls, spot_checks, supervision_report
from app.services.programme.supervision_scope import FINDING_READERS, SAMPLE_READERS

URL_PREFIX = ""
blp = Blueprint(
    "supervision",
    __name__,
    description="Supervision (监理): phone spot-checks, findings, operator KPIs, the monthly report",
)
FINDING_STEP = {
    "schema": ErrorSchema,
    "description": "`finding_status_conflict`: not in a status this step takes",
}


@blp.post("/spot-check-samples")
@auth_required(Role.supervisor)
@blp.arguments(SampleDrawSchema)
@blp.response(201, SampleWithCallsSchema)
@blp.alt_response(200, schema=SampleWithCallsSchema, description="Drawn before: the same sample")
@blp.alt_response(409, schema=ErrorSchema, description="`month_not_over`, `nothing_to_sample`")
def draw_sample(values):
    """Draw a reproducible sample of an operator's month in a district (403 district_scope_required)."""
    sample, created = spot_checks.draw(current_account(), values, client_ip())
    return sample, 201 if created else 200


@blp.get("/spot-check-samples")
@auth_required(*SAMPLE_READERS)
@blp.arguments(SampleQuerySchema, location="query")
@blp.response(200, SamplePageSchema)
def list_samples(args):
    """List the samples of my district or city, newest month first."""
    return spot_checks.list_samples(current_account(), args)


@blp.get("/spot-check-samples/<int:spot_check_sample_id>")
@auth_required(*SAMPLE_READERS)
@blp.response(200, SampleWithCallsSchema)
def get_sample(spot_check_sample_id):
    """Return a sample with its call list (masked names, addresses, phones)."""
    return spot_checks.sample_view(current_account(), spot_check_sample_id)


@blp.get("/spot-checks/<int:spot_check_id>")
@auth_required(*SAMPLE_READERS)
@blp.response(200, CallSchema)
def get_call(spot_check_id):
    """Return one call of a sample."""
    return spot_check_calls.get_call(current_account(), spot_check_id)


@blp.post("/spot-checks/<int:spot_check_id>/reveal")
@auth_required(*SAMPLE_READERS)
@blp.arguments(RevealInputSchema)
@blp.response(200, RevealedPhoneSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`no_phone`: nobody to ring")
def reveal_phone(values, spot_check_id):
    """Reveal the full phone of a call to the supervisor ringing it (audited; 403 reveal_forbidden)."""
    return spot_check_calls.reveal_phone(current_account(), spot_check_id, client_ip(), values.get("reason"))


@blp.post("/spot-checks/<int:spot_check_id>/call")
@auth_required(*SAMPLE_READERS)
@blp.arguments(CallInputSchema)
@blp.response(200, CallSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`call_already_recorded`")
def record_call(values, spot_check_id):
    """Record a call's outcome (422 call_answers_required, not_reached); a discrepancy raises a finding."""
    return spot_check_calls.record_call(current_account(), spot_check_id, values, client_ip())


@blp.get("/findings")
@auth_required(*FINDING_READERS)
@blp.arguments(FindingQuerySchema, location="query")
@blp.response(200, FindingPageSchema)
def list_findings(args):
    """List the findings I see (an operator: its own), due first."""
    return findings.list_findings(current_account(), args)


@blp.post("/findings")
@auth_required(Role.supervisor)
@blp.arguments(FindingCreateSchema)
@blp.response(201, FindingSchema)
@blp.alt_response(200, schema=FindingSchema, description="Sent before with this client_id: the first finding")
def create_finding(values):
    """Raise a finding by hand about a circle in my place (422 operator_required, due_in_past)."""
    finding, created = findings.create(current_account(), values, client_ip())
    return finding, 201 if created else 200


@blp.get("/findings/<int:finding_id>")
@auth_required(*FINDING_READERS)
@blp.response(200, FindingSchema)
def get_finding(finding_id):
    """Return a finding with its steps."""
    return findings.get(current_account(), finding_id)


@blp.post("/findings/<int:finding_id>/answer")
@auth_required(Role.operator)
@blp.arguments(FindingAnswerSchema)
@blp.response(200, FindingSchema)
@blp.alt_response(409, **FINDING_STEP)
def answer_finding(values, finding_id):
    """Answer an open finding of my operator."""
    return findings.answer(current_account(), finding_id, values["answer"], client_ip())


@blp.post("/findings/<int:finding_id>/close")
@auth_required(Role.supervisor)
@blp.arguments(FindingCloseSchema)
@blp.response(200, FindingSchema)
@blp.alt_response(409, **FINDING_STEP)
def close_finding(values, finding_id):
    """Close (销号) an answered finding."""
    return findings.close(current_account(), finding_id, values.get("note"), client_ip())


@blp.post("/findings/<int:finding_id>/reopen")
@auth_required(Role.supervisor)
@blp.arguments(FindingReopenSchema)
@blp.response(200, FindingSchema)
@blp.alt_response(409, **FINDING_STEP)
def reopen_finding(values, finding_id):
    """Reopen an answered or closed finding with the reason (a new deadline)."""
    return findings.reopen(current_account(), finding_id, values["reason"], client_ip())


@blp.get("/operator-kpis")
@auth_required(*FINDING_READERS)
@blp.arguments(MonthQuerySchema, location="query")
@blp.response(200, OperatorKpisSchema)
def get_operator_kpis(args):
    """Return the month's figures per operator over my place (an operator: its own)."""
    return operator_kpis.kpis(current_account(), args["month"])


@blp.get("/supervision-report")
@auth_required(*FINDING_READERS)
@blp.arguments(MonthQuerySchema, location="query")
@blp.doc(**file_doc((XLSX,)))
def export_supervision_report(args):
    """Download the month's supervision report (Excel): a row per operator over my place; audited."""
    return report_download(current_account(), args["month"], client_ip())


def report_download(account, month, ip):
    """Return the Excel file of the month's supervision report over the account's place (API and console)."""
    rows = supervision_report.rows(account, month, ip)
    data = xlsx_sheet(
        title=f"监理月报（{month:%Y年%m月}）",
        place=supervision_report.place_name(account),
        filters=f"{month:%Y-%m}",
        exported_by=account.username or str(account.id),
        headers=[title for _, title in supervision_report.COLUMNS],
        rows=([row[key] for key, _ in supervision_report.COLUMNS] for row in rows),
    )
    return attachment(data, XLSX, f"supervision-{month:%Y%m}.xlsx")
