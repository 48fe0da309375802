"""The provincial exchange for the city administration (resends) and the supervisor (reads)."""

from app.api.json_body import Blueprint
from app.api.schemas.exchange import (
    DeadLetterPageSchema,
    DeadLetterQuerySchema,
    ExchangeRecordSchema,
    ExchangeSummarySchema,
    ReconciliationQuerySchema,
    ReconciliationSchema,
    ResendCodeSchema,
    ResendCountSchema,
    ResendSchema,
)
from app.api.schemas.key_group_lists import (
    KeyGroupListReportSchema,
    ListEntrySchema,
    ResolveListEntrySchema,
)
from app.auth import auth_required, client_ip, current_account
from app.services.exchange import key_group_lists, monitor, reconcile

URL_PREFIX = "/exchange"
blp = Blueprint("exchange", __name__, description="The provincial exchange: its outbox and dead letters")


@blp.get("/summary")
@auth_required(*monitor.READ_ROLES)
@blp.response(200, ExchangeSummarySchema)
def summary():
    """Count the records by status and type, the dead ones by code; the oldest unsent one's age."""
    return monitor.summary(current_account())


@blp.get("/dead-letters")
@auth_required(*monitor.READ_ROLES)
@blp.arguments(DeadLetterQuerySchema, location="query")
@blp.response(200, DeadLetterPageSchema)
def dead_letters(args):
    """List the records the province refused, or that failed too long, with their code and reason."""
    return monitor.dead_letters(current_account(), **args)


@blp.post("/records/<int:exchange_record_id>/resend")
@auth_required(*monitor.RESEND_ROLES)
@blp.arguments(ResendSchema)
@blp.response(200, ExchangeRecordSchema)
def resend(args, exchange_record_id):
    """Send a dead record again after a fix (one not dead is returned as it is)."""
    return monitor.resend(current_account(), exchange_record_id, args["note"], client_ip())


@blp.post("/dead-letters/resend")
@auth_required(*monitor.RESEND_ROLES)
@blp.arguments(ResendCodeSchema)
@blp.response(200, ResendCountSchema)
def resend_code(args):
    """Send again every dead record of one code (the cause fixed for all of them)."""
    return {"resent": monitor.resend_code(current_account(), args["code"], args["note"], client_ip())}


@blp.get("/reconciliations")
@auth_required(*monitor.READ_ROLES)
@blp.arguments(ReconciliationQuerySchema, location="query")
@blp.response(200, ReconciliationSchema)
def reconciliations(args):
    """Show a day's reconciliation with the province (default yesterday): counts and differing keys."""
    return reconcile.reconciliations(current_account(), args["day"])


@blp.get("/key-group-lists")
@auth_required(*key_group_lists.REPORT_ROLES)
@blp.response(200, KeyGroupListReportSchema)
def key_group_list_report():
    """Count the province's key-group lists by outcome in your place; list the unmatched entries, masked."""
    return key_group_lists.report(current_account())


@blp.post("/key-group-lists/entries/<int:province_list_entry_id>/resolve")
@auth_required(*key_group_lists.RESOLVE_ROLES)
@blp.arguments(ResolveListEntrySchema)
@blp.response(200, ListEntrySchema)
def resolve_list_entry(args, province_list_entry_id):
    """Close a checklist task of a list: the person added to the ledger (linked), or not here (a note)."""
    return key_group_lists.resolve(current_account(), province_list_entry_id, args)
