"""Signing in to the staff console: password, second factor (or its enrolment), sign-out.

The console's views call these; each step is audited (docs/CONSOLE.md lists the actions):
`console.login` (outcomes success, pending, failure, locked, denied), `console.logout`,
`console.logout_everywhere`, `console.totp_enrol`, `console.totp_disable`,
`console.recovery_code` (one used), `console.recovery_codes` (renewed), `console.session_end`
(idle or expired, from console_sessions). Failures of a code count toward the password's lockout.
"""

from dataclasses import dataclass

from app.errors import Forbidden
from app.extensions import db
from app.models import Account
from app.services.people import accounts, audit, console_sessions, second_factor, tokens
from app.services.people.console_sessions import Resumed

# What a session still needs after the password.
DONE, SECOND_FACTOR, ENROL = "done", "second_factor", "enrol"


@dataclass(frozen=True)
class Step:
    """Where a sign-in stands: the session id for the cookie and what comes next."""

    sid: str
    next: str  # DONE, SECOND_FACTOR or ENROL


@dataclass(frozen=True)
class Enrolled:
    """A confirmed enrolment: the recovery codes (shown once) and, during sign-in, the new session id."""

    codes: list[str]
    sid: str | None


def _audit(action: str, account: Account, ip: str | None, outcome: str = "success", **detail) -> None:
    """Record one console event about `account` (committed by the caller)."""
    fields = {"actor": account, "object_type": "account", "object_id": account.id, "ip": ip}
    audit.record(action, outcome, detail=detail or None, **fields)


def sign_in(username: str, password: str, ip: str | None, user_agent: str | None) -> Step:
    """Check a staff password (with the login throttle) and open a console session.

    An account with TOTP gets a pending session and must pass a code next; a city or district
    administrator without one must enrol first; anyone else is signed in.
    """
    account = accounts.check_staff_password(username, password, ip, action="console.login")
    if second_factor.enabled(account):
        following = SECOND_FACTOR
    elif second_factor.required(account):
        following = ENROL
    else:
        following = DONE
    sid = console_sessions.start(account, ip, user_agent, verified=following == DONE)
    if following == DONE:
        accounts.record_sign_in(account)
        _audit("console.login", account, ip, second_factor=None)
    else:
        _audit("console.login", account, ip, "pending", next=following)
    db.session.commit()
    return Step(sid, following)


def pass_second_factor(resumed: Resumed, code: str, ip: str | None) -> str:
    """Finish a pending sign-in with a TOTP or recovery code; return the session's new id."""
    account = resumed.account
    method: list[str] = []

    def right() -> bool:
        used = second_factor.check(account, code)
        method.extend([used] if used else [])
        return used is not None

    accounts.check_staff_code(account, ip, right, action="console.login")
    accounts.record_sign_in(account)
    sid = console_sessions.verify(resumed.session)
    if method == ["recovery_code"]:
        _audit("console.recovery_code", account, ip, left=second_factor.recovery_codes_left(account))
    _audit("console.login", account, ip, second_factor=method[0])
    db.session.commit()
    return sid


def enrolment_setup(account: Account) -> dict:
    """Return what the enrolment page shows: the secret being enrolled, its otpauth:// URI, a QR code.

    The same secret until a code confirms it, so reloading the page does not change it.
    """
    secret = second_factor.begin_enrolment(account)
    db.session.commit()
    uri = second_factor.provisioning_uri(account, secret)
    return {"secret": secret, "uri": uri, "qr": second_factor.qr_data_uri(uri)}


def confirm_enrolment(resumed: Resumed, code: str, ip: str | None) -> Enrolled:
    """Enable TOTP once a code from the new secret checks out; a pending sign-in is then complete."""
    account = resumed.account
    accounts.check_staff_code(
        account, ip, lambda: second_factor.confirm_enrolment(account, code), action="console.totp_enrol"
    )
    codes = second_factor.enrol(account)
    _audit("console.totp_enrol", account, ip)
    sid = None
    if not resumed.verified:
        accounts.record_sign_in(account)
        sid = console_sessions.verify(resumed.session)
        _audit("console.login", account, ip, second_factor="totp_enrolled")
    db.session.commit()
    return Enrolled(codes, sid)


def disable_second_factor(account: Account, code: str, ip: str | None) -> None:
    """Turn TOTP off for an account that may go without, after a current code."""
    if second_factor.required(account):
        raise Forbidden("second_factor_required", "Your role must keep its second factor.")
    accounts.check_staff_code(
        account, ip, lambda: second_factor.verify(account, code), action="console.totp_disable"
    )
    second_factor.disable(account)
    _audit("console.totp_disable", account, ip)
    db.session.commit()


def renew_recovery_codes(account: Account, code: str, ip: str | None) -> list[str]:
    """Replace the account's recovery codes after a current code; return the new ones (shown once)."""
    accounts.check_staff_code(
        account, ip, lambda: second_factor.verify(account, code), action="console.recovery_codes"
    )
    codes = second_factor.new_recovery_codes(account)
    _audit("console.recovery_codes", account, ip, count=len(codes))
    db.session.commit()
    return codes


def sign_out(resumed: Resumed, ip: str | None) -> None:
    """End this browser's console session."""
    console_sessions.revoke(resumed.session)
    _audit("console.logout", resumed.account, ip)
    db.session.commit()


def sign_out_everywhere(account: Account, ip: str | None) -> tuple[int, int]:
    """End every console session of the account and revoke its API tokens: (sessions, tokens)."""
    sessions = console_sessions.revoke_all(account.id)
    revoked_tokens = tokens.revoke_tokens(account.id)
    _audit("console.logout_everywhere", account, ip, sessions=sessions, tokens=revoked_tokens)
    db.session.commit()
    return sessions, revoked_tokens


def security_overview(account: Account) -> dict:
    """Return what the account's security page shows: second factor, codes left, live sessions."""
    enabled = second_factor.enabled(account)
    return {
        "totp_enabled": enabled,
        "totp_required": second_factor.required(account),
        "totp_enabled_at": account.totp_enabled_at,
        "recovery_codes_left": second_factor.recovery_codes_left(account) if enabled else 0,
        "sessions": console_sessions.live_sessions(account.id),
        "last_login_at": account.last_login_at,
    }
