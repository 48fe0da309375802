"""The console's session guard: the cookie's session id -> a live console session -> the staff member.

The Flask session (cookie `console_session`, path /console, HttpOnly, SameSite=Lax, Secure outside
development) holds a random session id and nothing that grants anything by itself: the
`console_sessions` row decides (services/people/console_sessions.py). A bearer token opens nothing
here, as the cookie opens nothing under /api.
"""

from functools import wraps
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for

from app.console import error_page, wants_json
from app.errors import envelope
from app.models import STAFF_ROLES, Account
from app.services.people import console_sessions
from app.services.people.console_sessions import Resumed, SessionEnded

SID_KEY = "sid"
# Why the sign-in page is shown again, in the user's words (only these codes are shown).
ENDED_MESSAGES = {
    "missing": "请先登录。",
    "idle": "您已长时间未操作，为安全起见已退出登录，请重新登录。",
    "expired": "本次登录已超过最长时限，请重新登录。",
    "revoked": "您已退出登录（或在别处退出了全部登录），请重新登录。",
    "disabled": "账号已停用，请联系管理员。",
    "signed_out": "您已安全退出。",
    "signed_out_everywhere": "已退出全部登录（所有浏览器和小程序的登录均已失效）。",
    "pending_expired": "验证已超时，请重新输入密码登录。",
}


def client_ip() -> str | None:
    """Return the caller's address (the proxy's view when behind PROXY_COUNT proxies)."""
    return request.remote_addr


def user_agent() -> str | None:
    """Return the browser's User-Agent, as the sessions list shows it."""
    return request.headers.get("User-Agent")


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a console address on this site (never another host), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/") or "\\" in target:
        return None
    return target


def sign_in_url(reason: str = "missing", next_url: str | None = None) -> str:
    """Return the sign-in page's address, saying why and where to go afterwards."""
    args = {"reason": reason} if reason in ENDED_MESSAGES else {}
    if safe_next(next_url):
        args["next"] = next_url
    return url_for("console.sign_in", **args)


def remember_session(sid: str) -> None:
    """Put a session id in the cookie (a fresh cookie: nothing of an earlier session stays)."""
    session.clear()
    session[SID_KEY] = sid


def forget_session() -> None:
    """Drop the cookie's session id (and its CSRF token with it)."""
    session.clear()


def _ended(reason: str, come_back: bool = True, forget: bool = True):
    """Answer a request whose session is gone: 401 JSON for script, else back to the sign-in page.

    `come_back`: return to this page after signing in; `forget`: drop the cookie's session id
    (kept for a pending sign-in, which a script request must not cancel).
    """
    if forget:
        forget_session()
    if wants_json():
        return envelope(401, "console_session_ended", ENDED_MESSAGES.get(reason, ENDED_MESSAGES["missing"]))
    next_url = request.full_path.rstrip("?") if come_back and request.method == "GET" else None
    return redirect(sign_in_url(reason, next_url))


def resume_session() -> Resumed:
    """Return this request's console session (pending or signed in); raise SessionEnded if none."""
    if "console_resumed" not in g:
        g.console_resumed = console_sessions.resume(session.get(SID_KEY), client_ip())
    return g.console_resumed


def current_staff() -> Account:
    """Return the signed-in staff member of this request (set by @console_login_required)."""
    return g.console_staff


def current_session() -> Resumed:
    """Return the console session of this request (set by the guards)."""
    return g.console_resumed


def console_login_required(*roles: str):
    """Require a signed-in staff member (every factor passed), of one of `roles` when given.

    No session, or an idle, expired or revoked one: the sign-in page (401 JSON for fetch/htmx).
    A role that may not open the page: 403.
    """
    allowed = frozenset(roles) or STAFF_ROLES

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                resumed = resume_session()
            except SessionEnded as ended:
                return _ended(ended.reason)
            if not resumed.verified:
                if wants_json():
                    return _ended("missing", forget=False)
                return redirect(url_for("console.verify_code"))
            if resumed.account.role not in allowed:
                return error_page(403, "您的角色不能使用此页面。", "role_forbidden")
            g.console_staff = resumed.account
            return view(*args, **kwargs)

        return wrapper

    return decorator


def pending_session_required(view):
    """Require a session whose password was right and whose second factor is still due."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            resumed = resume_session()
        except SessionEnded as ended:
            return _ended("pending_expired" if ended.reason == "expired" else ended.reason, come_back=False)
        if resumed.verified:
            return redirect(url_for("console.home"))
        return view(*args, **kwargs)

    return wrapper


def signed_in_staff() -> Account | None:
    """Return the signed-in staff member if there is one (for pages that work either way)."""
    try:
        resumed = resume_session()
    except SessionEnded:
        return None
    return resumed.account if resumed.verified else None
