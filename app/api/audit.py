"""The audit log, read-only, for the city administration and the supervisor (their place's events)."""

from app.api.json_body import Blueprint
from app.api.schemas.people import AuditPageSchema, AuditQuerySchema
from app.auth import auth_required, current_account
from app.services.people import audit

URL_PREFIX = "/audit-events"
blp = Blueprint("audit", __name__, description="Audit events (append-only)")


@blp.get("")
@auth_required(*audit.READ_ROLES)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_events(args):
    """List the audit events of the caller's place (all of them at city level), newest first."""
    return audit.list_events(current_account(), **args)
