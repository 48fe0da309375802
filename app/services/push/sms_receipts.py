"""What SMS providers push back: delivery receipts (recorded on the push) and replies (unsubscribes).

Each provider posts in its own format (Alibaba Cloud: SmsReport and SmsUp, JSON arrays; Tencent
Cloud: a status callback array and a reply object); the API checks the callback token and hands
the body here. A receipt finds its push by the provider's message id (BizId, SerialNo); a
repeated receipt writes the same again. Phones in a body are hashed or dropped, never kept.
"""

from datetime import UTC, datetime

import sqlalchemy as sa

from app.common import clock
from app.common.identity import normalise_phone
from app.errors import APIError
from app.extensions import db
from app.models import Push, PushChannel, SmsReceipt, utcnow
from app.services.push.sms_opt_outs import is_unsubscribe, opt_out_phone

PROVIDERS = ("aliyun", "tencent")


def _local_time(text) -> datetime:
    """Read a provider's "YYYY-MM-DD HH:MM:SS" (the city's clock) as naive UTC; now when unreadable."""
    try:
        local = datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=clock.zone())
    except ValueError:
        return utcnow()
    return local.astimezone(UTC).replace(tzinfo=None)


def _items(body, provider: str) -> list[dict]:
    """Return the body's entries: a list (a single object, Tencent's reply, becomes one)."""
    items = body if isinstance(body, list) else [body]
    if not all(isinstance(item, dict) for item in items):
        raise APIError(400, "bad_callback", f"Not a {provider} callback body.")
    return items


def _receipt(item: dict, provider: str) -> tuple[str, bool, str, datetime]:
    """Read one receipt: (message id, delivered, the provider's code, when)."""
    if provider == "aliyun":
        delivered = item.get("success") in (True, "true")
        return (
            str(item.get("biz_id") or ""),
            delivered,
            str(item.get("err_code") or ""),
            item.get("report_time"),
        )
    delivered = item.get("report_status") == "SUCCESS"
    return str(item.get("sid") or ""), delivered, str(item.get("errmsg") or ""), item.get("user_receive_time")


def record_receipts(provider: str, body) -> int:
    """Record delivery receipts on their pushes; return how many pushes they named."""
    found = 0
    for item in _items(body, provider):
        msgid, delivered, code, at = _receipt(item, provider)
        if not msgid:
            continue
        result = db.session.execute(
            sa.update(Push)
            .where(Push.msgid == msgid[:64], Push.channel == PushChannel.sms.value)
            .values(
                receipt=(SmsReceipt.delivered if delivered else SmsReceipt.undelivered).value,
                receipt_error=None if delivered else code[:64],
                delivered_at=_local_time(at) if delivered else None,
            )
            .execution_options(synchronize_session=False)
        )
        found += result.rowcount
    db.session.commit()
    return found


def record_replies(provider: str, body) -> int:
    """Act on people's replies: an unsubscribe word opts the phone out; return how many did."""
    opted = 0
    for item in _items(body, provider):
        phone = item.get("phone_number") if provider == "aliyun" else item.get("mobile")
        text = item.get("content") if provider == "aliyun" else item.get("text")
        if not is_unsubscribe(str(text or "")):
            continue
        try:
            number = normalise_phone(str(phone or ""))
        except APIError:  # not a mainland mobile: nothing of ours to opt out
            continue
        opt_out_phone(number, "reply")
        opted += 1
    db.session.commit()
    return opted
