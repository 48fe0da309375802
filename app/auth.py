"""Request guards for the API: the bearer token of the request, the current account, role checks.

Only views (app/api, and later the console) use this module; services never touch the request.
Tokens themselves and place scoping live in services/people (tokens.py, scoping.py).
"""

from functools import wraps

from flask import g, request
from flask_smorest import Blueprint

from app.errors import APIError, Forbidden
from app.models import STAFF_ROLES, Account
from app.services.people import tokens


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate():
    """Return the account and token behind the request's bearer token, or raise 401."""
    token = _bearer_token()
    if token is None:
        raise APIError(401, "auth_required", "Log in first: send 'Authorization: Bearer <token>'.")
    return tokens.account_for(token)


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
