"""The SMS side of a push: who may get one, the per-phone limit, and the send itself.

send.py decides the channel of each push at send time (docs/PUSH.md, "Channels: WeChat and
SMS") and calls here for the SMS: the template allows it (its `sms` mode), the person's ledger
row has a phone, the phone has not opted out (SmsOptOut), and the phone's day has room
(SMS_DAILY_PER_PHONE). The phone is decrypted in `deliver` only, for the provider's call, and
is never logged nor written to the push.
"""

import sqlalchemy as sa
from flask import current_app

from app import sms
from app.common.crypto import decrypt
from app.extensions import db
from app.models import Push, PushChannel, PushStatus, Resident
from app.services.push.sms_opt_outs import opted_out
from app.services.push.templates import template


def mode(kind: str) -> str:
    """Return a template's SMS mode: off, fallback (when WeChat cannot) or first (SMS before WeChat)."""
    if current_app.config["SMS_PROVIDER"] == "none" or kind not in current_app.config["SMS_TEMPLATES"]:
        return "off"  # no SMS provider, or no approved SMS template for the kind
    return template(kind).get("sms", "off")


def _resident(push: Push) -> Resident | None:
    """Return the ledger row of the push's person: by its resident id, else by its account."""
    if push.resident_id is not None:
        return db.session.get(Resident, push.resident_id)
    if push.account_id is None:
        return None
    return db.session.scalar(sa.select(Resident).where(Resident.account_id == push.account_id))


def blocker(push: Push) -> tuple[str | None, Resident | None]:
    """Return why this push cannot go by SMS (None when it can), and the person's ledger row."""
    if mode(push.kind) == "off":
        return "sms_off", None
    resident = _resident(push)
    if resident is None or not resident.phone_enc or not resident.phone_hmac:
        return "no_phone", resident
    if opted_out([resident.phone_hmac]):
        return "sms_opted_out", resident
    return None, resident


def over_phone_limit(push: Push, resident: Resident) -> bool:
    """Tell whether the phone already had its SMS_DAILY_PER_PHONE messages on the push's day.

    Counted by phone, not by person: two ledger rows may share a number (a family's phone).
    """
    same_phone = sa.select(Resident.id).where(Resident.phone_hmac == resident.phone_hmac)
    sent = db.session.scalar(
        sa.select(sa.func.count()).where(
            Push.resident_id.in_(same_phone),
            Push.channel == PushChannel.sms.value,
            Push.day == push.day,
            Push.id != push.id,
            Push.status.in_([PushStatus.sent.value, PushStatus.sending.value]),
        )
    )
    return sent >= current_app.config["SMS_DAILY_PER_PHONE"]


def message(push: Push, resident: Resident) -> tuple[int, bytes, str, dict]:
    """Read what the send needs before its commit expires the rows: ids, the sealed phone, the variables."""
    fields = template_fields(push.kind)
    params = {name: (push.data.get(key) or {}).get("value", "") for name, key in fields.items()}
    return push.id, resident.phone_enc, push.kind, params


def template_fields(kind: str) -> dict:
    """Return an SMS template's variables in order: name -> the push data's field."""
    return current_app.config["SMS_TEMPLATES"][kind]["params"]


def deliver(prepared: tuple[int, bytes, str, dict]) -> sms.SmsResult:
    """Send the prepared SMS; the phone is opened here, for the provider, and dropped."""
    push_id, phone_enc, kind, params = prepared
    return sms.send(decrypt(phone_enc, "phone"), kind, params, str(push_id))


def cost_fen(result: sms.SmsResult) -> int:
    """Return what a sent SMS costs: its parts at SMS_PRICE_FEN each."""
    return result.segments * current_app.config["SMS_PRICE_FEN"]
