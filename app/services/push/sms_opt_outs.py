"""SMS opt-outs: a phone that asked for no more SMS, by the resident's setting or an unsubscribe reply.

Kept by the phone's keyed hash (SmsOptOut), so a reply, which comes from a phone, and people
without an account (entered by staff) are covered alike. The resident's own setting in the
mini-program switches it both ways; a reply only ever switches it off.
"""

import re
import unicodedata

import sqlalchemy as sa

from app.common.crypto import lookup_hash
from app.common.upsert import insert_ignoring_duplicates
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Resident, SmsOptOut, utcnow

# Replies that mean "no more": the carriers' and providers' usual unsubscribe words.
UNSUBSCRIBE = frozenset(
    {"TD", "T", "N", "R", "QX", "STOP", "UNSUBSCRIBE", "退订", "退", "取消", "拒收", "0000"}
)


def opted_out(phone_hmacs: list[str]) -> set[str]:
    """Return which of these phones asked for no more SMS."""
    if not phone_hmacs:
        return set()
    return set(
        db.session.scalars(sa.select(SmsOptOut.phone_hmac).where(SmsOptOut.phone_hmac.in_(phone_hmacs)))
    )


def _phone_hmac_of(account_id: int) -> str | None:
    """Return the phone hash of an account's ledger row (None: no row, or no phone)."""
    return db.session.scalar(sa.select(Resident.phone_hmac).where(Resident.account_id == account_id))


def sms_enabled(account_id: int) -> bool:
    """Tell whether SMS may reach this account's person (False: opted out; True too without a phone)."""
    digest = _phone_hmac_of(account_id)
    return digest is None or digest not in opted_out([digest])


def set_sms_enabled(account_id: int, enabled: bool) -> None:
    """Switch SMS on or off for the account's phone (switching on also undoes an unsubscribe reply)."""
    digest = _phone_hmac_of(account_id)
    if digest is None:
        raise ValidationFailed("sms_enabled", "No phone is on record to switch SMS for.", code="no_phone")
    if enabled:
        db.session.execute(sa.delete(SmsOptOut).where(SmsOptOut.phone_hmac == digest))
    else:
        insert_ignoring_duplicates(
            db.session, SmsOptOut, {"phone_hmac": digest, "source": "resident", "created_at": utcnow()}
        )


def is_unsubscribe(text: str) -> bool:
    """Tell whether a reply's text asks for no more SMS (case, width and punctuation ignored)."""
    value = unicodedata.normalize("NFKC", text or "").upper()
    return re.sub(r"[\s\W_]+", "", value) in UNSUBSCRIBE


def opt_out_phone(phone: str, source: str) -> None:
    """Record that a phone (11 digits) asked for no more SMS; a repeat changes nothing."""
    digest = lookup_hash(phone, "phone")
    insert_ignoring_duplicates(
        db.session, SmsOptOut, {"phone_hmac": digest, "source": source, "created_at": utcnow()}
    )
