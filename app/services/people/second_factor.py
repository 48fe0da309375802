"""The console's second factor: TOTP (RFC 6238, an authenticator app) and one-time recovery codes.

Required for city and district administrators, optional for other staff. The secret is stored
AES-GCM encrypted; a code is accepted once (the last accepted 30-second step is kept, so the same
code, or an older one, is refused afterwards); recovery codes are stored as keyed hashes and each
works once. Nothing here commits: the caller commits with its audit event.
"""

import base64
import hmac
import io
import secrets
import time

import pyotp
import sqlalchemy as sa
from flask import current_app

from app.common.crypto import decrypt, encrypt, lookup_hash
from app.extensions import db
from app.models import Account, RecoveryCode, Role, utcnow

# Roles that must pass a second factor to sign in to the console.
REQUIRED_ROLES = frozenset({Role.city_admin, Role.district_admin})
RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
# A code of the step before or after the current one still counts (clocks drift, people type slowly).
VALID_WINDOW = 1
# Recovery codes: no 0/o, 1/l/i, so a code read off paper is typed right.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_SECRET_FIELD = "totp_secret"


def required(account: Account) -> bool:
    """Tell whether `account` must use a second factor."""
    return account.role in REQUIRED_ROLES


def enabled(account: Account) -> bool:
    """Tell whether `account` has a confirmed TOTP secret."""
    return account.totp_enabled_at is not None and account.totp_secret_enc is not None


def _secret(account: Account) -> str | None:
    """Return the account's TOTP secret (confirmed or being enrolled), decrypted."""
    if account.totp_secret_enc is None:
        return None
    return decrypt(account.totp_secret_enc, _SECRET_FIELD)


def begin_enrolment(account: Account) -> str:
    """Return the secret being enrolled, making one if none is pending; the caller commits.

    Until a first code confirms it (`confirm_enrolment`), the secret is stored but not enabled,
    so the enrolment page shows the same secret when reloaded.
    """
    if not enabled(account):
        pending = _secret(account)
        if pending is not None:
            return pending
    secret = pyotp.random_base32()
    account.totp_secret_enc = encrypt(secret, _SECRET_FIELD)
    account.totp_enabled_at = None
    account.totp_last_step = None
    return secret


def provisioning_uri(account: Account, secret: str) -> str:
    """Return the otpauth:// URI an authenticator app reads (from the QR code or typed)."""
    name = account.username or f"account-{account.id}"
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=current_app.config["TOTP_ISSUER"])


def qr_data_uri(text: str) -> str:
    """Return a PNG QR code of `text` as a data: URI (inline in the page; no third party sees it)."""
    import qrcode  # here: qrcode and Pillow load only when a code is drawn

    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _normalise(code: str) -> str:
    """Drop spaces and dashes and lowercase what was typed."""
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _accept_totp(account: Account, secret: str, code: str, now: float | None = None) -> bool:
    """Accept a TOTP code of `secret` once: claim its time step, refuse a step already used."""
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    matched = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            matched = step
    if matched is None:
        return False
    # A conditional UPDATE: two requests with the same code at once cannot both claim its step.
    claimed = db.session.execute(
        sa.update(Account)
        .where(
            Account.id == account.id,
            sa.or_(Account.totp_last_step.is_(None), Account.totp_last_step < matched),
        )
        .values(totp_last_step=matched)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        account.totp_last_step = matched
    return bool(claimed)


def _recovery_hash(code: str) -> str:
    """Return the keyed hash a recovery code is stored under."""
    return lookup_hash(_normalise(code), "recovery_code")


def _use_recovery_code(account: Account, code: str) -> bool:
    """Mark one of the account's unused recovery codes used; tell whether `code` was one."""
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(used)


def check(account: Account, code: str, now: float | None = None) -> str | None:
    """Check a TOTP or recovery code of an enabled account: "totp", "recovery_code" or None."""
    if not enabled(account):
        return None
    typed = _normalise(code)
    if typed.isdigit():
        return "totp" if _accept_totp(account, _secret(account), typed, now) else None
    return "recovery_code" if typed and _use_recovery_code(account, typed) else None


def verify(account: Account, code: str) -> bool:
    """Tell whether `code` (TOTP, or an unused recovery code) passes the account's second factor."""
    return check(account, code) is not None


def confirm_enrolment(account: Account, code: str, now: float | None = None) -> bool:
    """Tell whether `code` comes from the secret being enrolled (its step then counts as used)."""
    if enabled(account):
        return False
    secret = _secret(account)
    return secret is not None and _accept_totp(account, secret, _normalise(code), now)


def enrol(account: Account, secret: str | None = None) -> list[str]:
    """Enable TOTP for `account` with `secret` (default: the one being enrolled, else a new one).

    Returns the new recovery codes (shown once; any earlier ones stop working). The demo passes a
    fixed secret. The caller commits.
    """
    secret = secret or _secret(account) or pyotp.random_base32()
    account.totp_secret_enc = encrypt(secret, _SECRET_FIELD)
    account.totp_enabled_at = utcnow()
    # totp_last_step stays: the step of the code that confirmed the enrolment counts as used.
    return new_recovery_codes(account)


def new_recovery_codes(account: Account) -> list[str]:
    """Replace the account's recovery codes with RECOVERY_CODE_COUNT fresh ones; return them."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(RecoveryCode(account_id=account.id, code_hash=_recovery_hash(code)) for code in codes)
    return codes


def recovery_codes_left(account: Account) -> int:
    """Return how many unused recovery codes the account has."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
    )


def disable(account: Account) -> None:
    """Remove the account's TOTP secret and recovery codes; the caller commits."""
    account.totp_secret_enc = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
