"""The audit log, read-only, for the city administration and the supervisor."""

from app.api.json_body import Blueprint
from app.api.schemas.people import AuditPageSchema, AuditQuerySchema
from app.auth import auth_required
from app.models import Role
from app.services.people import audit

URL_PREFIX = "/audit-events"
blp = Blueprint("audit", __name__, description="Audit events (append-only)")


@blp.get("")
@auth_required(Role.city_admin, Role.supervisor)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_events(args):
    """List audit events, newest first."""
    return audit.list_events(**args)
