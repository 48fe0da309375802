"""Schemas of the push wing: subscriptions and preferences, pushes, daily counts."""

import marshmallow as ma
from marshmallow import validate

from app.api.schemas.common import ClientId, PageArgsSchema, UtcDateTime, page_schema
from app.models import PushStatus

KINDS = ("job_match", "application_update", "checkin_followup", "visit_notice", "policy_notice")


class SubscriptionReportSchema(ma.Schema):
    """What wx.requestSubscribeMessage answered, passed on as it is."""

    client_id = ClientId(
        required=True, metadata={"description": "A client-made id: a retried report counts once"}
    )
    results = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={"description": "{template_id: accept|reject|ban|filter}; other keys (errMsg) are ignored"},
    )


class TemplateStateSchema(ma.Schema):
    """One template and what the person agreed to."""

    key = ma.fields.String(required=True)
    template_id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "one_time or long_term"})
    status = ma.fields.String(allow_none=True, metadata={"description": "accept, reject or ban"})
    remaining = ma.fields.Integer(allow_none=True, metadata={"description": "One-time sends left"})
    can_send = ma.fields.Boolean(required=True)


class PreferencesSchema(ma.Schema):
    """A person's push settings (times on the city's clock)."""

    disabled_kinds = ma.fields.List(ma.fields.String(validate=validate.OneOf(KINDS)))
    daily_cap = ma.fields.Integer(validate=validate.Range(min=0, max=20))
    # Patterns documented only: the service checks them (422 `invalid_time`), as it always has.
    quiet_start = ma.fields.String(
        allow_none=True, metadata={"example": "21:00", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$"}
    )
    quiet_end = ma.fields.String(
        allow_none=True, metadata={"example": "08:00", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d$"}
    )
    sms_enabled = ma.fields.Boolean(
        metadata={"description": "SMS may reach me (off: my phone opted out, as an unsubscribe reply does)"}
    )


class SubscriptionsSchema(ma.Schema):
    """Templates with their state, and the settings."""

    templates = ma.fields.List(ma.fields.Nested(TemplateStateSchema), required=True)
    preferences = ma.fields.Nested(PreferencesSchema, required=True)
    ignored = ma.fields.List(
        ma.fields.String(), metadata={"description": "Keys of the report not understood"}
    )


class PushSchema(ma.Schema):
    """One push."""

    id = ma.fields.Integer(required=True)
    account_id = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The recipient; null for operators and supervisors (docs/PUSH.md)"},
    )
    kind = ma.fields.String(required=True)
    object_type = ma.fields.String(required=True)
    object_id = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "What it is about; null for operators and supervisors unless a job"},
    )
    status = ma.fields.String(required=True)
    score = ma.fields.Float(allow_none=True)
    day = ma.fields.Date(required=True)
    send_after = UtcDateTime(required=True)
    attempts = ma.fields.Integer(required=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = UtcDateTime(required=True)
    sent_at = UtcDateTime(allow_none=True)
    channel = ma.fields.String(metadata={"description": "wechat or sms: the way it went (or is to go)"})
    receipt = ma.fields.String(allow_none=True, metadata={"description": "SMS: delivered or undelivered"})
    receipt_error = ma.fields.String(allow_none=True, metadata={"description": "SMS: the carrier's code"})
    cost_fen = ma.fields.Integer(allow_none=True, metadata={"description": "SMS: what it cost"})


class PushQuerySchema(PageArgsSchema):
    """Filters of the push list."""

    status = ma.fields.String(validate=validate.OneOf([s.value for s in PushStatus]))
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    day = ma.fields.Date(data_key="date", metadata={"description": "The city's day, YYYY-MM-DD"})


class PushCountsArgsSchema(ma.Schema):
    """?from=&to= (default the last 7 days)."""

    date_from = ma.fields.Date(
        data_key="from",
        metadata={"description": "Default: 6 days before `to`; not after `to`, at most 366 days in all"},
    )
    date_to = ma.fields.Date(data_key="to", metadata={"description": "Default: today (the city's day)"})


class PushCountSchema(ma.Schema):
    """Pushes of one kind and status on one day."""

    date = ma.fields.Date(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)


class PushCountsSchema(ma.Schema):
    """Counts per day, kind and status."""

    items = ma.fields.List(ma.fields.Nested(PushCountSchema), required=True)


PushPageSchema = page_schema(PushSchema, "PushPageSchema")


# A provider's callback body as it posts it: a JSON array (receipts, Alibaba Cloud's replies) or
# an object (a Tencent Cloud reply); read by the view, documented here.
SMS_CALLBACK_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"oneOf": [{"type": "array", "items": {"type": "object"}}, {"type": "object"}]}
        }
    },
}


class SmsCallbackAnswerSchema(ma.Schema):
    """The answer a provider expects: Alibaba Cloud reads code/msg, Tencent Cloud result/errmsg."""

    code = ma.fields.Integer()
    msg = ma.fields.String()
    result = ma.fields.Integer()
    errmsg = ma.fields.String()
