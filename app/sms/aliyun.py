"""Alibaba Cloud SMS (dysmsapi 2017-05-25) through its official SDK: one SendSms, its answer mapped.

The SDK is imported here only, when an SMS goes this way. Credentials come from the environment
(ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET, read into the config); the endpoint is SMS_API_BASE when
set (the fake gateway), else dysmsapi.aliyuncs.com over HTTPS.
"""

import re

from flask import current_app

from app.sms import SmsResult, template_param_json

DEFAULT_HOST = "dysmsapi.aliyuncs.com"
# Codes of a SendSms answer worth trying again later: flow control, the provider busy.
RETRY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isp.SYSTEM_ERROR",
        "isp.RAM_PERMISSION_DENY",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
    }
)
# A read that timed out or a connection dropped mid-answer: the request went out, the SMS may be sent.
UNSURE = re.compile(r"read timed out|ReadTimeout|Connection aborted|RemoteDisconnected", re.IGNORECASE)


def _client(endpoint):
    """Build the SDK client for the configured endpoint and credentials."""
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import models as open_api_models

    config = current_app.config
    host, scheme = endpoint(DEFAULT_HOST)
    timeout_ms = int(config["SMS_TIMEOUT_SECONDS"] * 1000)
    return Client(
        open_api_models.Config(
            access_key_id=config["ALIBABA_CLOUD_ACCESS_KEY_ID"],
            access_key_secret=config["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            endpoint=host,
            protocol=scheme,
            connect_timeout=timeout_ms,
            read_timeout=timeout_ms,
        )
    )


def send(phone: str, template: dict, params: dict, out_id: str, endpoint) -> SmsResult:
    """Send one SMS through SendSms and say what became of it."""
    from alibabacloud_dysmsapi20170525 import models as sms_models
    from alibabacloud_tea_util import models as util_models

    request = sms_models.SendSmsRequest(
        phone_numbers=phone,
        sign_name=current_app.config["SMS_SIGN_NAME"],
        template_code=template["aliyun"],
        template_param=template_param_json(params),
        out_id=out_id,
    )
    # No retries inside the SDK: a second try of a request that went out could send twice.
    runtime = util_models.RuntimeOptions(autoretry=False, max_attempts=0)
    try:
        answer = _client(endpoint).send_sms_with_options(request, runtime)
    except Exception as exc:  # the SDK raises one family for HTTP errors, another for the network
        return _failure(exc)
    body = answer.body
    code = getattr(body, "code", None)
    if code == "OK" and getattr(body, "biz_id", None):
        return SmsResult(SmsResult.SENT, msgid=body.biz_id)
    if code is None:
        return SmsResult(SmsResult.UNKNOWN, error="unusable answer from Alibaba Cloud: outcome unknown")
    error = f"{code} {getattr(body, 'message', '') or ''}".strip()
    return SmsResult(SmsResult.RETRY if code in RETRY_CODES else SmsResult.REFUSED, error=error)


def _failure(exc: Exception) -> SmsResult:
    """Map an exception of the SDK: an HTTP error answer (with a code), a timeout, no connection."""
    code = getattr(exc, "code", None)
    status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
    if code and status:  # the provider answered with an error
        error = f"{code} {getattr(exc, 'message', '')}".strip()
        if (
            code in RETRY_CODES
            or (isinstance(status, int) and status >= 500)
            or str(code).startswith("Throttling")
        ):
            return SmsResult(SmsResult.RETRY, error=error)
        return SmsResult(SmsResult.REFUSED, error=error)
    # The SDK wraps the network's exception; its text (which holds the URL, so the phone number)
    # is read here only and never kept.
    inner = getattr(exc, "inner_exception", None)
    if UNSURE.search(str(getattr(inner, "message", "") or exc)):
        return SmsResult(SmsResult.UNKNOWN, error="timeout: outcome unknown, not resent")
    return SmsResult(SmsResult.RETRY, error=f"network: {exc.__class__.__name__}")
