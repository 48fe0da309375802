"""Bearer tokens: issued at login, only their SHA-256 stored, revoked and purged."""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import defer, load_only

from app.errors import APIError
from app.extensions import db
from app.models import Account, AuthToken, utcnow


def hash_token(token: str) -> str:
    """Return the SHA-256 under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(account: Account) -> tuple[str, datetime]:
    """Create a bearer token for `account` (256 random bits; only its hash is stored)."""
    ttl = current_app.config["STAFF_TOKEN_TTL_SECONDS" if account.is_staff else "RESIDENT_TOKEN_TTL_SECONDS"]
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(seconds=ttl)
    db.session.add(AuthToken(account=account, token_hash=hash_token(token), expires_at=expires_at))
    return token, expires_at


def revoke_tokens(account_id: int) -> int:
    """Revoke every live token of an account; return how many."""
    result = db.session.execute(
        sa.update(AuthToken)
        .where(AuthToken.account_id == account_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


# Every authenticated request reads its token and account: the token's checks, and the account
# without its secrets and sign-in bookkeeping (read when used). PyMySQL parses a packet per column
# of every result, so narrower rows are a measurable share of a hot request's CPU.
_AUTHENTICATED = (
    load_only(AuthToken.id, AuthToken.account_id, AuthToken.expires_at, AuthToken.revoked_at),
    defer(Account.password_hash),
    defer(Account.unionid),
    defer(Account.session_key_enc),
    defer(Account.failed_logins),
    defer(Account.locked_until),
    defer(Account.last_login_at),
    defer(Account.created_by_id),
    defer(Account.totp_secret_enc),
    defer(Account.totp_last_step),
)
# Built once: building this statement with its options cost as much CPU as running it.
_AUTHENTICATE = (
    sa.select(AuthToken, Account)
    .join(Account, Account.id == AuthToken.account_id)
    .where(AuthToken.token_hash == sa.bindparam("token_hash"))
    .options(*_AUTHENTICATED)
)


def account_for(token: str) -> tuple[Account, AuthToken]:
    """Return the account and token row behind a bearer token, or raise 401."""
    row = db.session.execute(_AUTHENTICATE, {"token_hash": hash_token(token)}).first()
    if row is None:
        raise APIError(401, "token_invalid", "This token is not valid; log in again.")
    auth_token, account = row
    if auth_token.revoked_at is not None or auth_token.expires_at <= utcnow():
        raise APIError(401, "token_expired", "This token has expired or was revoked; log in again.")
    if not account.is_active:
        raise APIError(401, "account_disabled", "This account is disabled.")
    return account, auth_token


def purge_expired_tokens(older_than_days: int = 7) -> int:
    """Delete login tokens expired or revoked more than `older_than_days` ago; return how many."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(
        sa.delete(AuthToken).where(sa.or_(AuthToken.expires_at < cutoff, AuthToken.revoked_at < cutoff))
    )
    db.session.commit()
    return result.rowcount
