"""Log in with a password (staff) or a WeChat code (residents), bind a phone, log out."""

from flask import g

from app.api.json_body import Blueprint
from app.api.schemas.consents import CONSENT_REQUIRED
from app.api.schemas.people import LoginSchema, ProfileSchema, TokenSchema, WeChatCodeSchema
from app.auth import auth_required, client_ip, current_account
from app.errors import ErrorSchema
from app.models import Role
from app.services.people import accounts, residents

URL_PREFIX = "/auth"
blp = Blueprint("auth", __name__, description="Login, logout and WeChat phone binding")


@blp.post("/login")
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(
    401,
    schema=ErrorSchema,
    description="`invalid_credentials`: unknown name, wrong password; `totp_required`: the password is "
    "right but the account has TOTP on and no `totp_code` was sent (no token); `invalid_code`: a wrong, "
    "used or replayed `totp_code` (counted toward the lockout like a wrong password)",
)
@blp.alt_response(
    429,
    schema=ErrorSchema,
    description="`account_locked` (too many failures for this username from this address, or from "
    "anywhere) or `too_many_attempts` (from this address); no password is checked",
    headers={"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
)
def login(args):
    """Log in a staff member with username, password and, once TOTP is on, a code (docs/PEOPLE.md)."""
    # The address the throttle counts by: the client's, through PROXY_COUNT trusted proxies.
    account, token, expires_at = accounts.login_staff(
        args["username"], args["password"], client_ip(), args.get("totp_code")
    )
    return {"token": token, "expires_at": expires_at, "account": account}


@blp.post("/wechat-login")
@blp.arguments(WeChatCodeSchema)
@blp.response(200, TokenSchema)
def wechat_login(args):
    """Log in a resident with a wx.login code; the first login creates the account."""
    account, token, expires_at, created = accounts.wechat_login(args["code"], client_ip())
    return {"token": token, "expires_at": expires_at, "account": account, "is_new": created}


@blp.post("/wechat-phone")
@auth_required(Role.resident)
@blp.arguments(WeChatCodeSchema)
@blp.response(200, ProfileSchema)
@blp.alt_response(403, **CONSENT_REQUIRED)
def wechat_phone(args):
    """Bind the phone number from a getPhoneNumber code to the logged-in resident."""
    return residents.bind_phone(current_account(), args["code"])


@blp.post("/logout")
@auth_required()
@blp.response(204)
def logout():
    """Revoke the token this request was made with."""
    accounts.logout(current_account(), g.auth_token, client_ip())
