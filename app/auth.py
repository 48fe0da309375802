"""Tokens, the current account, role checks and place scoping of people-data."""

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, g, request
from flask_smorest import Blueprint

from app.errors import APIError, Forbidden, NotFound
from app.extensions import db
from app.models import STAFF_ROLES, Account, AuthToken, ScopeKind, utcnow

# The column on a people-data model that holds the place id of each scope level.
SCOPE_COLUMNS = {
    ScopeKind.community: "community_id",
    ScopeKind.township: "township_id",
    ScopeKind.circle: "circle_id",
    ScopeKind.district: "district_id",
    ScopeKind.city: "city_id",
}


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


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate() -> tuple[Account, AuthToken]:
    """Return the account and token behind the request's bearer token, or raise 401."""
    token = _bearer_token()
    if token is None:
        raise APIError(401, "auth_required", "Log in first: send 'Authorization: Bearer <token>'.")
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


def current_account() -> Account:
    """Return the logged-in account of this request (set by @auth_required)."""
    return g.account


def auth_required(*roles: str):
    """Require a valid token, and one of `roles` when given; documents bearer security."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            account, auth_token = authenticate()
            if allowed and account.role not in allowed:
                raise Forbidden("role_forbidden", "Your role may not use this endpoint.")
            g.account, g.auth_token = account, auth_token
            return view(*args, **kwargs)

        return Blueprint.doc(security=[{"bearer": []}])(wrapper)

    return decorator


def staff_required(view):
    """Require a logged-in staff account (any staff role)."""
    return auth_required(*STAFF_ROLES)(view)


def scope_clause(model, account: Account):
    """Return the WHERE clause that limits `model` rows to the account's place."""
    if account.role not in STAFF_ROLES or account.scope_kind is None or account.scope_id is None:
        # Anyone without a place sees no people-data; false() keeps it a valid query.
        return sa.false()
    return getattr(model, SCOPE_COLUMNS[ScopeKind(account.scope_kind)]) == account.scope_id


def in_scope(place_ids, account: Account) -> bool:
    """Tell whether a row (or a dict of place columns) lies in a staff account's place.

    The same rule as scope_clause, in Python, for a row already loaded or about to be written.
    """
    if account.role not in STAFF_ROLES or account.scope_kind is None or account.scope_id is None:
        return False
    column = SCOPE_COLUMNS[ScopeKind(account.scope_kind)]
    value = place_ids[column] if isinstance(place_ids, dict) else getattr(place_ids, column)
    return value == account.scope_id


def scoped(statement, model, account: Account):
    """Limit a SELECT of people-data to the account's place."""
    return statement.where(scope_clause(model, account))


def get_in_scope(model, object_id: int, account: Account, code: str):
    """Load one people-data row in the account's place, or 404 (never 403: no leak)."""
    found = db.session.scalar(scoped(sa.select(model).where(model.id == object_id), model, account))
    if found is None:
        raise NotFound(code, f"No {model.__name__.lower()} {object_id} in your area.")
    return found


def client_ip() -> str | None:
    """Return the caller's IP address (the proxy's view when behind one)."""
    return request.remote_addr if request else None


def optional_account() -> Account | None:
    """Return the caller's account when a token is sent (401 if it is bad), else None."""
    if request.headers.get("Authorization") is None:
        return None
    account, auth_token = authenticate()
    g.account, g.auth_token = account, auth_token
    return account
