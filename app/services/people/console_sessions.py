"""Console sessions: a signed-in browser of the staff console, held server-side.

The browser's cookie carries only a random session id; its SHA-256 names a `console_sessions`
row, and the row decides: revoked (sign-out, sign-out everywhere, a password reset or a
disabling), idle longer than CONSOLE_IDLE_MINUTES, or older than CONSOLE_ABSOLUTE_HOURS ends it.
A session made by the password alone stays *pending* (`verified_at` None) until the second factor
is passed, for at most CONSOLE_PENDING_MINUTES, and opens nothing but the second-factor pages.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Account, ConsoleSession, utcnow
from app.services.people import audit


class SessionEnded(Exception):
    """Raised when a console session id opens nothing: `reason` says why (for the sign-in page)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "missing", "revoked", "idle", "expired", "disabled"


@dataclass(frozen=True)
class Resumed:
    """A live console session and its account."""

    session: ConsoleSession
    account: Account

    @property
    def verified(self) -> bool:
        """Tell whether every factor was passed (else only the second-factor pages open)."""
        return self.session.verified_at is not None


def hash_sid(sid: str) -> str:
    """Return the SHA-256 under which a session id is stored."""
    return hashlib.sha256(sid.encode()).hexdigest()


def _new_sid() -> tuple[str, str]:
    """Return a fresh session id (256 random bits) and its hash."""
    sid = secrets.token_urlsafe(32)
    return sid, hash_sid(sid)


def start(account: Account, ip: str | None, user_agent: str | None, verified: bool) -> str:
    """Open a session for `account` (pending unless `verified`); return its id. The caller commits."""
    config = current_app.config
    now = utcnow()
    sid, digest = _new_sid()
    lifetime = (
        timedelta(hours=config["CONSOLE_ABSOLUTE_HOURS"])
        if verified
        else timedelta(minutes=config["CONSOLE_PENDING_MINUTES"])
    )
    db.session.add(
        ConsoleSession(
            account_id=account.id,
            sid_hash=digest,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            verified_at=now if verified else None,
            ip=(ip or "")[:45] or None,
            user_agent=(user_agent or "")[:255] or None,
        )
    )
    return sid


def verify(session: ConsoleSession) -> str:
    """Mark a pending session signed in and give it a new id (no fixation); the caller commits."""
    now = utcnow()
    sid, digest = _new_sid()
    session.sid_hash = digest
    session.verified_at = now
    session.last_seen_at = now
    session.expires_at = now + timedelta(hours=current_app.config["CONSOLE_ABSOLUTE_HOURS"])
    return sid


def resume(sid: str | None, ip: str | None = None) -> Resumed:
    """Return the live session behind `sid`, touching last_seen_at at most once a minute.

    Raises SessionEnded when there is none; an idle or expired session is revoked (and audited)
    on the way, so it says so once and then just no longer exists.
    """
    if not sid:
        raise SessionEnded("missing")
    row = db.session.execute(
        sa.select(ConsoleSession, Account)
        .join(Account, Account.id == ConsoleSession.account_id)
        .where(ConsoleSession.sid_hash == hash_sid(sid))
    ).first()
    if row is None:
        raise SessionEnded("missing")
    session, account = row
    if session.revoked_at is not None:
        raise SessionEnded("revoked")
    config = current_app.config
    now = utcnow()
    ended = None
    if not account.is_active:
        ended = "disabled"
    elif session.expires_at <= now:
        ended = "expired"
    elif now - session.last_seen_at > timedelta(minutes=config["CONSOLE_IDLE_MINUTES"]):
        ended = "idle"
    if ended is not None:
        session.revoked_at = now
        audit.commit(
            "console.session_end",
            ended,
            actor=account,
            object_type="console_session",
            object_id=session.id,
            ip=ip,
        )
        raise SessionEnded(ended)
    if (now - session.last_seen_at).total_seconds() >= config["CONSOLE_TOUCH_SECONDS"]:
        # One write a minute at most: the idle timeout needs no finer clock than that.
        db.session.execute(
            sa.update(ConsoleSession).where(ConsoleSession.id == session.id).values(last_seen_at=now)
        )
        db.session.commit()
    return Resumed(session, account)


def revoke(session: ConsoleSession) -> None:
    """End one session; the caller commits."""
    session.revoked_at = session.revoked_at or utcnow()


def revoke_all(account_id: int) -> int:
    """End every live console session of an account; return how many. The caller commits."""
    result = db.session.execute(
        sa.update(ConsoleSession)
        .where(ConsoleSession.account_id == account_id, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def live_sessions(account_id: int) -> list[ConsoleSession]:
    """Return an account's signed-in sessions that have not ended, newest first (for its security page)."""
    config = current_app.config
    now = utcnow()
    return list(
        db.session.scalars(
            sa.select(ConsoleSession)
            .where(
                ConsoleSession.account_id == account_id,
                ConsoleSession.revoked_at.is_(None),
                ConsoleSession.verified_at.is_not(None),
                ConsoleSession.expires_at > now,
                ConsoleSession.last_seen_at > now - timedelta(minutes=config["CONSOLE_IDLE_MINUTES"]),
            )
            .order_by(ConsoleSession.id.desc())
        )
    )


def purge_ended_sessions(older_than_days: int = 7) -> int:
    """Delete console sessions expired or revoked more than `older_than_days` ago; return how many."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(
        sa.delete(ConsoleSession).where(
            sa.or_(ConsoleSession.expires_at < cutoff, ConsoleSession.revoked_at < cutoff)
        )
    )
    db.session.commit()
    return result.rowcount
