"""Accounts: staff password login with lockout, WeChat login for residents and employers, logout."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.common.crypto import encrypt
from app.errors import APIError, Forbidden, ValidationFailed
from app.extensions import db
from app.models import Account, AuthToken, Resident, Role, utcnow
from app.services.people import audit
from app.services.people.tokens import issue_token
from app.wechat import wechat


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
    return APIError(401, "invalid_credentials", "Wrong username or password.")


# A throwaway hash per hashing method, checked when the username is unknown.
_DUMMY_HASHES: dict[str, str] = {}


def _spend_a_hash_check(password: str) -> None:
    """Check `password` against a throwaway hash, so an unknown username takes as long as a known one."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password("not-a-real-password")
    check_password_hash(_DUMMY_HASHES[method], password)


def login_staff(username: str, password: str, ip: str | None) -> tuple[Account, str, object]:
    """Check a staff password; count failures and lock after too many. Return (account, token, expiry)."""
    config = current_app.config
    account = db.session.scalar(sa.select(Account).where(Account.username == username.strip().lower()))
    now = utcnow()
    if account is None or account.password_hash is None:
        # Answer an unknown username as slowly as a wrong password: no probing for usernames.
        _spend_a_hash_check(password)
        audit.commit(
            "auth.login", "failure", actor_label=username[:64], ip=ip, detail={"reason": "unknown_username"}
        )
        raise _invalid_credentials()
    if account.locked_until is not None and account.locked_until > now:
        audit.commit(
            "auth.login", "locked", actor=account, object_type="account", object_id=account.id, ip=ip
        )
        raise _locked(account.locked_until - now)
    if not check_password_hash(account.password_hash, password):
        # One UPDATE, so parallel guesses cannot slip past the counter.
        db.session.execute(
            sa.update(Account).where(Account.id == account.id).values(failed_logins=Account.failed_logins + 1)
        )
        db.session.refresh(account)
        locked = account.failed_logins >= config["LOGIN_MAX_FAILURES"]
        if locked:
            account.locked_until = now + timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
            account.failed_logins = 0
        audit.commit(
            "auth.login",
            "failure",
            actor=account,
            object_type="account",
            object_id=account.id,
            ip=ip,
            detail={"reason": "wrong_password", "locked": locked},
        )
        if locked:
            raise _locked(timedelta(seconds=config["LOGIN_LOCK_SECONDS"]))
        raise _invalid_credentials()
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
    account.last_login_at = now
    token, expires_at = issue_token(account)
    audit.commit("auth.login", "success", actor=account, object_type="account", object_id=account.id, ip=ip)
    return account, token, expires_at


def _locked(remaining: timedelta) -> APIError:
    seconds = max(int(remaining.total_seconds()), 1)
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
