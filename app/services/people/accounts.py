"""Accounts: staff password login (throttled by people/throttle.py), WeChat login, logout."""

import logging
from datetime import timedelta

import redis
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.common.crypto import encrypt, lookup_hash
from app.errors import APIError, Forbidden, ValidationFailed
from app.extensions import db
from app.models import Account, AuthToken, Resident, Role, utcnow
from app.services.people import audit, throttle
from app.services.people.tokens import issue_token
from app.wechat import wechat

log = logging.getLogger(__name__)


def hash_password(password: str) -> str:
    """Hash a password with the configured method (scrypt in production)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_new_password(password: str, field: str = "password") -> None:
    """Reject a password that is too short to resist guessing."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ValidationFailed(
            field, f"A password has at least {minimum} characters.", code="password_too_short"
        )


def _invalid_credentials() -> APIError:
    """The one answer to an unknown username and to a wrong password."""
    return APIError(401, "invalid_credentials", "Wrong username or password.")


# A throwaway hash per hashing method, checked when the username is unknown.
_DUMMY_HASHES: dict[str, str] = {}


def _spend_a_hash_check(password: str) -> None:
    """Check `password` against a throwaway hash, so an unknown username takes as long as a known one."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password("not-a-real-password")
    check_password_hash(_DUMMY_HASHES[method], password)


def _who(account: Account | None, username: str) -> dict:
    """Audit fields naming the account tried; an unknown name only by its keyed hash.

    What was typed as a username may be a password typed into the wrong field: never stored.
    """
    if account is not None:
        return {"actor": account, "object_type": "account", "object_id": account.id}
    detail = {"reason": "unknown_username", "username_hmac": username_hmac(username)}
    return {"actor_label": None, "detail": detail}


def username_hmac(username: str) -> str:
    """Return the keyed hash an unknown username is recorded by (the same name, the same hash)."""
    return lookup_hash(username, "login_username_typed")[:32]


def _audit_login(outcome: str, account: Account | None, username: str, ip: str | None, **detail) -> None:
    """Commit one auth.login event about `account` (None: an unknown username)."""
    fields = _who(account, username)
    fields["detail"] = {**fields.get("detail", {}), **detail} or None
    audit.commit("auth.login", outcome, ip=ip, **fields)


def login_staff(username: str, password: str, ip: str | None) -> tuple[Account, str, object]:
    """Check a staff password, throttled before the check; return (account, token, expiry).

    Unknown usernames go through the same windows, the same (dummy) hash check and the same
    answers as known ones, so nothing tells them apart.
    """
    name = username.strip().lower()
    account = db.session.scalar(sa.select(Account).where(Account.username == name))
    if account is not None and account.password_hash is None:
        account = None  # a resident's account: no password to check, like an unknown name
    try:
        slot = throttle.reserve(name, ip, account.password_hash if account is not None else None)
    except redis.RedisError as error:
        log.warning("login throttle: Redis unavailable (%s); counting failures on the account row", error)
        return _login_on_the_row(account, name, password, ip)
    if isinstance(slot, throttle.Refused):
        _audit_login("locked", account, name, ip, limit=slot.limit)
        raise _refused(slot)
    if account is None or not check_password_hash(account.password_hash, password):
        if account is None:
            _spend_a_hash_check(password)
        locked = slot.locks_pair()
        if account is not None and (locked or slot.locks_username()):
            seconds = slot.pair_retry_after if locked else slot.username_retry_after
            # For administrators to see in the staff list; enforced only while Redis is away.
            account.locked_until = utcnow() + timedelta(seconds=seconds)
            _alert_lockout(account, ip, "pair" if locked else "username", seconds)
        reason = {"reason": "wrong_password"} if account is not None else {}
        _audit_login("failure", account, name, ip, **reason, locked=locked)
        if locked:
            raise _locked(slot.pair_retry_after)
        raise _invalid_credentials()
    try:
        throttle.succeeded(slot)
    except redis.RedisError as error:
        # The slot then ages out of its window like a failure: no reason to refuse a right password.
        log.warning("login throttle: could not give back a slot (%s)", error)
    return _logged_in(account, ip)


def _logged_in(account: Account, ip: str | None) -> tuple[Account, str, object]:
    """Finish a login whose password was right: refuse a disabled account, else issue a token."""
    if not account.is_active:
        audit.commit(
            "auth.login",
            "denied",
            actor=account,
            object_type="account",
            object_id=account.id,
            ip=ip,
            detail={"reason": "disabled"},
        )
        raise Forbidden("account_disabled", "This account is disabled; ask your administrator.")
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = utcnow()
    token, expires_at = issue_token(account)
    audit.commit("auth.login", "success", actor=account, object_type="account", object_id=account.id, ip=ip)
    return account, token, expires_at


def _login_on_the_row(
    account: Account | None, name: str, password: str, ip: str | None
) -> tuple[Account, str, object]:
    """Without Redis: lock per account on its row (the old way), the attempt reserved in one UPDATE.

    No per-address or per-pair windows and no counting of unknown names until Redis is back: login
    keeps working and each account still gets at most LOGIN_MAX_FAILURES checks per lock period.
    """
    config = current_app.config
    if account is None:
        _spend_a_hash_check(password)
        _audit_login("failure", None, name, ip, locked=False, throttle="database")
        raise _invalid_credentials()
    now = utcnow()
    # Take the attempt before hashing, in one conditional UPDATE committed at once: of parallel
    # guesses only as many as the limit leaves room for get a row back.
    reserved = db.session.execute(
        sa.update(Account)
        .where(
            Account.id == account.id,
            Account.failed_logins < config["LOGIN_MAX_FAILURES"],
            sa.or_(Account.locked_until.is_(None), Account.locked_until <= now),
        )
        .values(failed_logins=Account.failed_logins + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not reserved:
        locked_until = account.locked_until
        remaining = (locked_until - now).total_seconds() if locked_until and locked_until > now else None
        _audit_login("locked", account, name, ip, limit="account", throttle="database")
        raise _locked(remaining or config["LOGIN_LOCK_SECONDS"])
    if check_password_hash(account.password_hash, password):
        return _logged_in(account, ip)
    db.session.refresh(account)
    locked = account.failed_logins >= config["LOGIN_MAX_FAILURES"]
    if locked:
        account.locked_until = now + timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
        account.failed_logins = 0
        _alert_lockout(account, ip, "account", config["LOGIN_LOCK_SECONDS"])
    _audit_login("failure", account, name, ip, reason="wrong_password", locked=locked, throttle="database")
    if locked:
        raise _locked(config["LOGIN_LOCK_SECONDS"])
    raise _invalid_credentials()


def _alert_lockout(account: Account, ip: str | None, limit: str, seconds: int) -> None:
    """Record a lockout; an administrator's gets an `auth.lockout` alert event and a WARNING log line."""
    if account.role not in {role.strip() for role in current_app.config["LOGIN_ALERT_ROLES"].split(",")}:
        log.info("login lockout: account %s (%s limit, %s s)", account.id, limit, seconds)
        return
    # Monitoring greps for "LOGIN LOCKOUT ALERT"; the event is in the audit log for the record.
    log.warning(
        "LOGIN LOCKOUT ALERT: %s account %r (id %s) locked out from %s (%s limit) for %s s",
        account.role,
        account.username,
        account.id,
        ip,
        limit,
        seconds,
    )
    audit.record(
        "auth.lockout",
        "alert",
        actor=account,
        object_type="account",
        object_id=account.id,
        ip=ip,
        detail={"role": account.role, "limit": limit, "seconds": int(seconds)},
    )


def _refused(refusal: throttle.Refused) -> APIError:
    """The 429 for an attempt refused before its password was checked."""
    if refusal.limit == "address":
        minutes = (refusal.retry_after + 59) // 60
        return APIError(
            429,
            "too_many_attempts",
            f"Too many failed logins from your network; try again in {minutes} minute(s).",
            headers={"Retry-After": str(refusal.retry_after)},
        )
    return _locked(refusal.retry_after)


def _locked(seconds: float) -> APIError:
    """The 429 for a username locked out (from this address, or everywhere)."""
    seconds = max(int(seconds), 1)
    return APIError(
        429,
        "account_locked",
        f"Too many failed logins; this account is locked for {(seconds + 59) // 60} more minute(s).",
        headers={"Retry-After": str(seconds)},
    )


def logout(account: Account, token: AuthToken, ip: str | None) -> None:
    """Revoke the token used for this request."""
    token.revoked_at = utcnow()
    audit.commit("auth.logout", actor=account, object_type="account", object_id=account.id, ip=ip)


def wechat_login(code: str, ip: str | None) -> tuple[Account, str, object, bool]:
    """Exchange a wx.login code for our token; create the resident account on first login."""
    info = wechat.code_to_session(code)
    openid = info["openid"]
    account = db.session.scalar(sa.select(Account).where(Account.openid == openid))
    created = account is None
    if created:
        account = Account(role=Role.resident.value, openid=openid, unionid=info.get("unionid"))
        db.session.add(account)
        db.session.add(Resident(account=account))
        try:
            db.session.flush()
        except IntegrityError:
            # The same person's other device logged in first: use that account.
            db.session.rollback()
            created = False
            account = db.session.scalar(sa.select(Account).where(Account.openid == openid))
    if not account.is_active:
        audit.commit(
            "auth.wechat_login",
            "denied",
            actor=account,
            object_type="account",
            object_id=account.id,
            ip=ip,
            detail={"reason": "disabled"},
        )
        raise Forbidden("account_disabled", "This account is disabled.")
    account.unionid = info.get("unionid") or account.unionid
    account.session_key_enc = encrypt(info["session_key"], "session_key")
    account.last_login_at = utcnow()
    token, expires_at = issue_token(account)
    audit.commit(
        "auth.wechat_login",
        actor=account,
        object_type="account",
        object_id=account.id,
        ip=ip,
        detail={"new_account": created},
    )
    return account, token, expires_at, created
