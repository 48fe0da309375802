"""Everything that talks to an SMS provider: one sender interface, an adapter per provider, the fake gateway.

Beside app.wechat: services call `send(phone, kind, params, out_id)` and get an `SmsResult`
saying what became of the message; the provider (SMS_PROVIDER: fake, aliyun or tencent) is
chosen by configuration, its SDK imported only when used. "fake" speaks Alibaba Cloud's wire
protocol to the local fake gateway (app/sms/fake.py) at SMS_API_BASE.

May import: app.models, app.common (and the providers' SDKs, lazily).
"""

import json
import logging
import re
from dataclasses import dataclass

from flask import current_app

log = logging.getLogger(__name__)
# A mainland mobile number anywhere in a text (a URL's query, an error).
PHONE = re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")


# urllib3 logs each request's URL at DEBUG, and Alibaba Cloud's SDK puts the number in its query.
class MaskPhones(logging.Filter):
    """Mask phone numbers in log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with every phone number masked; keep the record."""
        message = record.getMessage()
        if PHONE.search(message):
            record.msg, record.args = PHONE.sub("1**********", message), None
        return True


logging.getLogger("urllib3.connectionpool").addFilter(MaskPhones())

# An SMS of up to 70 characters is one; a longer one goes in parts of 67 (both providers' rule).
SINGLE_CHARS, PART_CHARS = 70, 67
# A template variable's longest value (Alibaba Cloud's limit for most variable types).
PARAM_CHARS = 35


@dataclass(frozen=True)
class SmsResult:
    """What became of one SMS: sent (with the provider's id), or why not, and whether to try again."""

    SENT = "sent"
    RETRY = "retry"  # not sent, worth trying again (throttled, busy, unreachable)
    REFUSED = "refused"  # not sent and never will be as it is (a bad number, template, signature)
    UNKNOWN = "unknown"  # perhaps sent (a read timeout, an unusable answer): never resend

    outcome: str
    msgid: str | None = None
    error: str | None = None  # a provider's code and message, never the phone number
    segments: int = 1


def segments_of(text: str) -> int:
    """Return how many billed parts an SMS of this text is."""
    length = len(text)
    return 1 if length <= SINGLE_CHARS else -(-length // PART_CHARS)


def settings(kind: str) -> dict | None:
    """Return the SMS template settings of a push kind, or None when it has no approved template."""
    return current_app.config["SMS_TEMPLATES"].get(kind)


def render(kind: str, params: dict) -> str:
    """Return the text an SMS of `kind` reads (sign included), to count its parts."""
    config = current_app.config
    text = settings(kind)["text"].format(**params)
    return f"【{config['SMS_SIGN_NAME']}】{text}"


def _endpoint(default_host: str) -> tuple[str, str]:
    """Return (host[:port], scheme) of the provider: SMS_API_BASE when set (the fake), else its own."""
    base = current_app.config["SMS_API_BASE"]
    if not base:
        return default_host, "https"
    scheme, _, rest = base.partition("://")
    return rest.strip("/"), scheme or "http"


def send(phone: str, kind: str, params: dict, out_id: str) -> SmsResult:
    """Send one SMS of `kind` to a mainland mobile number; never raises for the provider's reasons.

    `params` are the template's variables in the configured order; `out_id` (the push id) goes
    with the message so a provider's receipt can name it.
    """
    template = settings(kind)
    params = {name: str(value)[:PARAM_CHARS] for name, value in params.items()}
    segments = segments_of(render(kind, params))
    provider = current_app.config["SMS_PROVIDER"]
    if provider == "tencent":
        from app.sms import tencent as adapter
    else:  # aliyun, and the fake (Alibaba Cloud's protocol at SMS_API_BASE)
        from app.sms import aliyun as adapter
    try:
        result = adapter.send(phone, template, params, out_id, _endpoint)
    except Exception as exc:  # an SDK's surprise: the request may have gone out
        log.warning("SMS %s: %s", kind, exc.__class__.__name__)
        result = SmsResult(SmsResult.UNKNOWN, error=f"error: {exc.__class__.__name__}: outcome unknown")
    error = PHONE.sub("1**********", result.error)[:255] if result.error else None
    return SmsResult(result.outcome, result.msgid, error, segments)


def template_param_json(params: dict) -> str:
    """Return Alibaba Cloud's TemplateParam: the variables as a JSON object."""
    return json.dumps(params, ensure_ascii=False)
