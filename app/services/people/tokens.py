"""Bearer tokens: issued at login, only their SHA-256 stored, revoked and purged."""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

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


def account_for(token: str) -> tuple[Account, AuthToken]:
    """Return the account and token row behind a bearer token, or raise 401."""
    row = db.session.execute(
        sa.select(AuthToken, Account)
        .join(Account, Account.id == AuthToken.account_id)
        .where(AuthToken.token_hash == hash_token(token))
    ).first()
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
