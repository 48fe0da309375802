"""The audit log, read-only, for the city administration and the supervisor."""

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.common import PageArgsSchema, UtcDateTime, page_schema
from app.auth import auth_required
from app.models import Role
from app.services import audit

URL_PREFIX = "/audit-events"
blp = Blueprint("audit", __name__, description="Audit events (append-only)")


class AuditQuerySchema(PageArgsSchema):
    """Filters of the audit log; `action` ending in '.' matches a prefix (e.g. 'auth.')."""

    action = ma.fields.String(validate=validate.Length(max=64))
    actor_id = ma.fields.Integer()
    object_type = ma.fields.String(validate=validate.Length(max=32))
    object_id = ma.fields.String(validate=validate.Length(max=64))
    since = ma.fields.DateTime()
    until = ma.fields.DateTime()


class AuditEventSchema(ma.Schema):
    """One audit event."""

    id = ma.fields.Integer(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    actor_label = ma.fields.String(allow_none=True)
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(allow_none=True)
    object_id = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(required=True)
    ip = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict(allow_none=True)
    created_at = UtcDateTime(required=True)


AuditPageSchema = page_schema(AuditEventSchema, "AuditPageSchema")


@blp.get("")
@auth_required(Role.city_admin, Role.supervisor)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_events(args):
    """List audit events, newest first."""
    items, total = audit.list_events(**args)
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}
