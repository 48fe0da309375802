"""Push: what a person agreed to receive, their settings, the pushes staff can follow, SMS callbacks."""

import hmac

from flask import current_app, request

from app.api.json_body import Blueprint
from app.api.schemas.push import (
    SMS_CALLBACK_BODY,
    PreferencesSchema,
    PushCountsArgsSchema,
    PushCountsSchema,
    PushPageSchema,
    PushQuerySchema,
    SmsCallbackAnswerSchema,
    SubscriptionReportSchema,
    SubscriptionsSchema,
)
from app.auth import auth_required, current_account, staff_required
from app.errors import Forbidden, NotFound
from app.models import Role
from app.services.push import history, sms_receipts, subscriptions

URL_PREFIX = ""
blp = Blueprint("push", __name__, description="Subscribe messages: subscriptions, preferences, pushes")


@blp.get("/me/subscriptions")
@auth_required(Role.resident, Role.employer)
@blp.response(200, SubscriptionsSchema)
def get_subscriptions():
    """My subscriptions (one-time sends left, long-term yes/no) and push settings."""
    return subscriptions.subscriptions(current_account())


@blp.post("/me/subscriptions")
@auth_required(Role.resident, Role.employer)
@blp.arguments(SubscriptionReportSchema)
@blp.response(200, SubscriptionsSchema)
def report_subscriptions(args):
    """Report what wx.requestSubscribeMessage answered; each one-time accept adds one send."""
    return subscriptions.record_subscriptions(current_account(), args["client_id"], args["results"])


@blp.patch("/me/push-preferences")
@auth_required(Role.resident, Role.employer)
@blp.arguments(PreferencesSchema)
@blp.response(200, SubscriptionsSchema)
def update_preferences(values):
    """Switch kinds of push off, set the daily cap of job pushes and the quiet hours."""
    return subscriptions.update_preferences(current_account(), values)


@blp.get("/pushes")
@staff_required
@blp.arguments(PushQuerySchema, location="query")
@blp.response(200, PushPageSchema)
def list_pushes(args):
    """Pushes to people in my place, newest first (failed ones keep their last error)."""
    return history.list_pushes(current_account(), **args)


@blp.get("/pushes/counts")
@staff_required
@blp.arguments(PushCountsArgsSchema, location="query")
@blp.response(200, PushCountsSchema)
def counts(args):
    """Pushes per day, kind and status in my place."""
    return {"items": history.daily_counts(current_account(), **args)}


# What each provider posts to which of our URLs, and the answer it expects.
CALLBACKS = {"report": sms_receipts.record_receipts, "reply": sms_receipts.record_replies}
ANSWERS = {"aliyun": {"code": 0, "msg": "成功"}, "tencent": {"result": 0, "errmsg": "OK"}}


@blp.post("/sms/callbacks/<provider>/<what>")
@blp.doc(requestBody=SMS_CALLBACK_BODY, security=[])
@blp.response(200, SmsCallbackAnswerSchema)
def sms_callback(provider, what):
    """A provider's push: delivery receipts (`report`) or replies (`reply`); ?token= SMS_CALLBACK_TOKEN."""
    if provider not in ANSWERS or what not in CALLBACKS:
        raise NotFound("not_found", "No such SMS callback.")
    token = current_app.config["SMS_CALLBACK_TOKEN"]
    given = request.args.get("token", "")
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise Forbidden("sms_callback_token", "The SMS callback token is missing or wrong.")
    CALLBACKS[what](provider, request.get_json(force=True, silent=False))
    return ANSWERS[provider]
