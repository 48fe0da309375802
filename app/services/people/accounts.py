"""Accounts: staff password check (throttled by people/throttle.py), login (+ TOTP), WeChat login, logout."""

import logging
from collections.abc import Callable
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
from app.services.people import audit, second_factor, throttle
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


def _audit_login(
    outcome: str, account: Account | None, username: str, ip: str | None, action: str = "auth.login", **detail
) -> None:
    """Commit one login event (`action`) about `account` (None: an unknown username)."""
    fields = _who(account, username)
    fields["detail"] = {**fields.get("detail", {}), **detail} or None
    audit.commit(action, outcome, ip=ip, **fields)


def login_staff(
    username: str, password: str, ip: str | None, totp_code: str | None = None
) -> tuple[Account, str, object]:
    """Check a staff password, then the second factor if the account has one; issue a bearer token.

    Returns (account, token, expiry). An account with TOTP on (enrolled in the console) must send
    `totp_code`, a current code or an unused recovery code, as the console asks: without one 401
    `totp_required`; a wrong or used one 401 `invalid_code`, counted by the password's throttle.
    Accounts without TOTP log in with the password alone (a code sent is not looked at).
    """
    account = check_staff_password(username, password, ip)
    method = _check_second_factor(account, totp_code, ip)
    record_sign_in(account)
    token, expires_at = issue_token(account)
    _audit_login("success", account, account.username, ip, **({"second_factor": method} if method else {}))
    return account, token, expires_at


def _check_second_factor(account: Account, code: str | None, ip: str | None) -> str | None:
    """Pass the API login's second factor: "totp", "recovery_code", or None for an account without one."""
    if not second_factor.enabled(account):
        return None
    if not code:
        # The password was right: the client asks the person for a code and sends both again.
        _audit_login("pending", account, account.username, ip, next="second_factor")
        raise APIError(
            401,
            "totp_required",
            "This account has a second factor: send totp_code, the authenticator app's current code "
            "(or an unused recovery code), with the password.",
            field="totp_code",
        )
    used: list[str] = []

    def right() -> bool:
        method = second_factor.check(account, code)
        used.extend([method] if method else [])
        return method is not None

    check_staff_code(account, ip, right, action="auth.login")
    if used == ["recovery_code"]:
        left = {"left": second_factor.recovery_codes_left(account)}
        audit.record("auth.recovery_code", ip=ip, detail=left, **_who(account, account.username))
    return used[0]


def check_staff_password(username: str, password: str, ip: str | None, action: str = "auth.login") -> Account:
    """Check a staff password, throttled before the check; return the active account it opens.

    The one password check of the API's login and the console's sign-in (`action` names the audit
    event: "auth.login" or "console.login"). Unknown usernames go through the same windows, the same
    (dummy) hash check and the same answers as known ones, so nothing tells them apart. Raises 401
    (wrong), 429 (locked out) or 403 (a disabled account with the right password); each audited.
    """
    name = username.strip().lower()
    account = db.session.scalar(sa.select(Account).where(Account.username == name))
    if account is not None and (account.password_hash is None or not account.is_staff):
        account = None  # a resident's account: no password to check, like an unknown name

    def right() -> bool:
        if account is None:
            _spend_a_hash_check(password)
            return False
        return check_password_hash(account.password_hash, password)

    # With a second factor to come, a right password is not yet a sign-in: it must not wipe the
    # failures (wrong codes among them) that count toward this username's lockout.
    code_follows = account is not None and second_factor.enabled(account)
    _throttled_check(account, name, ip, right, action, "wrong_password", _invalid_credentials, code_follows)
    if not account.is_active:
        audit.commit(
            action,
            "denied",
            actor=account,
            object_type="account",
            object_id=account.id,
            ip=ip,
            detail={"reason": "disabled"},
        )
        raise Forbidden("account_disabled", "This account is disabled; ask your administrator.")
    return account


def check_staff_code(account: Account, ip: str | None, check: Callable[[], bool], action: str) -> None:
    """Run a second-factor check of `account` under the password's throttle; raise 401/429 if it fails.

    A wrong code counts toward the same windows as a wrong password (people/throttle.py): the
    lockout stops guessing codes as it stops guessing passwords. Failures are audited as `action`.
    """
    _throttled_check(account, account.username, ip, check, action, "wrong_code", _invalid_code)


def record_sign_in(account: Account) -> None:
    """Note a successful sign-in on the account row (failure counters cleared); the caller commits."""
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = utcnow()


def _invalid_code() -> APIError:
    """The answer to a wrong, used or replayed second-factor code."""
    return APIError(401, "invalid_code", "Wrong or already used code.")


def _throttled_check(
    account: Account | None,
    name: str,
    ip: str | None,
    check: Callable[[], bool],
    action: str,
    reason: str,
    wrong: Callable[[], APIError],
    code_follows: bool = False,
) -> None:
    """Take a throttle slot, run `check`; on failure keep the slot, audit, lock if due and raise.

    On success the slot is given back and the pair's failures forgotten, unless `code_follows`
    (a right password of an account with a second factor): then only the slot is given back.
    """
    try:
        slot = throttle.reserve(name, ip, account.password_hash if account is not None else None)
    except redis.RedisError as error:
        log.warning("login throttle: Redis unavailable (%s); counting failures on the account row", error)
        _check_on_the_row(account, name, ip, check, action, reason, wrong, code_follows)
        return
    if isinstance(slot, throttle.Refused):
        _audit_login("locked", account, name, ip, action, limit=slot.limit)
        raise _refused(slot)
    if not check():
        locked = slot.locks_pair()
        if account is not None and (locked or slot.locks_username()):
            seconds = slot.pair_retry_after if locked else slot.username_retry_after
            # For administrators to see in the staff list; enforced only while Redis is away.
            account.locked_until = utcnow() + timedelta(seconds=seconds)
            _alert_lockout(account, ip, "pair" if locked else "username", seconds)
        detail = {"reason": reason} if account is not None else {}
        _audit_login("failure", account, name, ip, action, **detail, locked=locked)
        if locked:
            raise _locked(slot.pair_retry_after)
        raise wrong()
    try:
        if code_follows:
            throttle.released(slot)
        else:
            throttle.succeeded(slot)
    except redis.RedisError as error:
        # The slot then ages out of its window like a failure: no reason to refuse a right password.
        log.warning("login throttle: could not give back a slot (%s)", error)


def _check_on_the_row(
    account: Account | None,
    name: str,
    ip: str | None,
    check: Callable[[], bool],
    action: str,
    reason: str,
    wrong: Callable[[], APIError],
    code_follows: bool = False,
) -> None:
    """Without Redis: lock per account on its row (the old way), the attempt reserved in one UPDATE.

    No per-address or per-pair windows and no counting of unknown names until Redis is back: login
    keeps working and each account still gets at most LOGIN_MAX_FAILURES checks per lock period.
    A right password with `code_follows` gives its attempt back and keeps the earlier failures.
    """
    config = current_app.config
    if account is None:
        check()  # the dummy hash check: as slow as a known name's
        _audit_login("failure", None, name, ip, action, locked=False, throttle="database")
        raise wrong()
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
        _audit_login("locked", account, name, ip, action, limit="account", throttle="database")
        raise _locked(remaining or config["LOGIN_LOCK_SECONDS"])
    if check():
        if code_follows:  # not a sign-in yet (see _throttled_check): only this attempt is given back
            db.session.execute(
                sa.update(Account)
                .where(Account.id == account.id, Account.failed_logins > 0)
                .values(failed_logins=Account.failed_logins - 1)
                .execution_options(synchronize_session=False)
            )
        return  # else the caller's record_sign_in clears the count
    db.session.refresh(account)
    locked = account.failed_logins >= config["LOGIN_MAX_FAILURES"]
    if locked:
        account.locked_until = now + timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
        account.failed_logins = 0
        _alert_lockout(account, ip, "account", config["LOGIN_LOCK_SECONDS"])
    _audit_login("failure", account, name, ip, action, reason=reason, locked=locked, throttle="database")
    if locked:
        raise _locked(config["LOGIN_LOCK_SECONDS"])
    raise wrong()


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
