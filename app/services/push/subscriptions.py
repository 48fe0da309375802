"""Subscriptions: what each person agreed to receive (subscribe-message quotas) and their push settings."""

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common.upsert import insert_ignoring_duplicates
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Account, PushPreference, PushQuota, SubscriptionReport, utcnow
from app.services.push.sms_opt_outs import set_sms_enabled, sms_enabled
from app.services.push.templates import by_template_id, template

ANSWERS = ("accept", "reject", "ban", "filter")


def _quota(account_id: int, key: str) -> PushQuota:
    """Return a person's quota row of a template, locked; made first if missing.

    Inserted with "ignore duplicates" before the lock: two first reports at once would
    otherwise both lock a missing row (a gap lock on MariaDB) and deadlock on the insert.
    """
    values = {
        "account_id": account_id,
        "template_key": key,
        "status": "reject",
        "remaining": 0,
        "updated_at": utcnow(),
    }
    insert_ignoring_duplicates(db.session, PushQuota, values)
    return db.session.get(PushQuota, (account_id, key), with_for_update=True, populate_existing=True)


def record_subscriptions(account: Account, client_id: str, results: dict) -> dict:
    """Record what wx.requestSubscribeMessage answered; each one-time "accept" adds one send.

    The mini-program passes the answer on as it is (with its errMsg key, ignored). A report
    is applied once per client_id, so a retried request adds nothing.
    """
    ignored = [key for key, answer in results.items() if by_template_id(key) is None or answer not in ANSWERS]
    if db.session.get(SubscriptionReport, (account.id, client_id)) is None:
        db.session.add(SubscriptionReport(account_id=account.id, client_id=client_id))
        try:
            db.session.flush()
        except IntegrityError:  # the same report, a moment ago
            db.session.rollback()
            return {"ignored": ignored, **subscriptions(account)}
        for template_id, answer in results.items():
            key = by_template_id(template_id)
            if key is None or answer not in ANSWERS:
                continue
            row = _quota(account.id, key)
            row.status = "reject" if answer == "filter" else answer
            if answer == "accept" and template(key)["kind"] == "one_time":
                row.remaining += 1
            elif answer == "ban":
                row.remaining = 0
        db.session.commit()
    return {"ignored": ignored, **subscriptions(account)}


def preferences(account_id: int) -> dict:
    """Return a person's push settings, defaults filled in."""
    return settings_of(db.session.get(PushPreference, account_id))


def settings_of(row: PushPreference | None) -> dict:
    """Return the push settings a preference row says, the defaults where it says nothing."""
    config = current_app.config
    return {
        "disabled_kinds": sorted(row.disabled_kinds or []) if row else [],
        "daily_cap": row.daily_cap if row and row.daily_cap is not None else config["PUSH_DAILY_CAP"],
        "quiet_start": row.quiet_start if row and row.quiet_start else config["PUSH_QUIET_START"],
        "quiet_end": row.quiet_end if row and row.quiet_end else config["PUSH_QUIET_END"],
    }


def subscriptions(account: Account) -> dict:
    """Return each template with what the person agreed to, and their preferences."""
    rows = {
        row.template_key: row
        for row in db.session.scalars(sa.select(PushQuota).where(PushQuota.account_id == account.id))
    }
    items = []
    for key, settings in current_app.config["PUSH_TEMPLATES"].items():
        row = rows.get(key)
        items.append(
            {
                "key": key,
                "template_id": settings["template_id"],
                "kind": settings["kind"],
                "status": row.status if row else None,
                "remaining": row.remaining if row and settings["kind"] == "one_time" else None,
                "can_send": can_send(settings["kind"], row),
            }
        )
    return {
        "templates": items,
        "preferences": {**preferences(account.id), "sms_enabled": sms_enabled(account.id)},
    }


def can_send(kind: str, row: PushQuota | None) -> bool:
    """Tell whether a quota row allows a send: one left (one-time), or a standing yes (long-term)."""
    if row is None:
        return False
    return row.remaining > 0 if kind == "one_time" else row.status == "accept"


def _hhmm(value: str, field: str) -> str:
    if not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise ValidationFailed(field, "Give a time as HH:MM.", code="invalid_time")
    hours, minutes = (int(part) for part in value.split(":"))
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValidationFailed(field, "Give a time as HH:MM.", code="invalid_time")
    return f"{hours:02d}:{minutes:02d}"


def update_preferences(account: Account, values: dict) -> dict:
    """Change a person's push settings (kinds off, daily cap, quiet hours, SMS on or off)."""
    row = db.session.get(PushPreference, account.id)
    if row is None:
        row = PushPreference(account_id=account.id, disabled_kinds=[])
        db.session.add(row)
    if "disabled_kinds" in values:
        unknown = set(values["disabled_kinds"]) - set(current_app.config["PUSH_TEMPLATES"])
        if unknown:
            raise ValidationFailed("disabled_kinds", f"Unknown kinds: {', '.join(sorted(unknown))}.")
        row.disabled_kinds = sorted(set(values["disabled_kinds"]))
    if "daily_cap" in values:
        row.daily_cap = values["daily_cap"]
    for name in ("quiet_start", "quiet_end"):
        if name in values:
            setattr(row, name, _hhmm(values[name], name) if values[name] else None)
    if "sms_enabled" in values:
        set_sms_enabled(account.id, values["sms_enabled"])
    db.session.commit()
    return subscriptions(account)


def receivers(account_ids: list[int], key: str) -> dict[int, dict]:
    """Return, with their settings, the accounts that may receive `key`: active, opted in, with quota."""
    kind = template(key)["kind"]
    quotas = {
        row.account_id: row
        for row in db.session.scalars(
            sa.select(PushQuota).where(PushQuota.account_id.in_(account_ids), PushQuota.template_key == key)
        )
    }
    prefs_rows = {
        row.account_id: row
        for row in db.session.scalars(
            sa.select(PushPreference).where(PushPreference.account_id.in_(account_ids))
        )
    }
    active = set(
        db.session.scalars(
            sa.select(Account.id).where(
                Account.id.in_(account_ids), Account.is_active.is_(True), Account.openid.is_not(None)
            )
        )
    )
    found = {}
    for account_id in account_ids:
        settings = settings_of(prefs_rows.get(account_id))
        if (
            account_id in active
            and can_send(kind, quotas.get(account_id))
            and key not in settings["disabled_kinds"]
        ):
            found[account_id] = settings
    return found


def purge_subscription_reports(older_than_days: int = 7) -> int:
    """Forget the client ids of subscription reports once no phone would retry them."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(sa.delete(SubscriptionReport).where(SubscriptionReport.created_at < cutoff))
    db.session.commit()
    return result.rowcount
