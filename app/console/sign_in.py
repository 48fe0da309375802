"""Signing in and out of the console, the second factor, and the account's security page."""

from flask import redirect, render_template, request, url_for

from app.console import bp
from app.console.auth import (
    ENDED_MESSAGES,
    client_ip,
    console_login_required,
    current_session,
    current_staff,
    forget_session,
    pending_session_required,
    remember_session,
    resume_session,
    safe_next,
    sign_in_url,
    signed_in_staff,
    user_agent,
)
from app.errors import APIError
from app.services.people import console_sign_in
from app.services.people.console_sessions import SessionEnded
from app.services.people.second_factor import enabled as totp_enabled

# The services' refusals in the user's words, by code ({minutes}: from Retry-After).
MESSAGES = {
    "invalid_credentials": "用户名或密码错误。",
    "account_locked": "登录失败次数过多，账号已临时锁定，请 {minutes} 分钟后再试。",
    "too_many_attempts": "您所在网络的登录失败次数过多，请 {minutes} 分钟后再试。",
    "account_disabled": "账号已停用，请联系管理员。",
    "invalid_code": "验证码不正确或已使用过，请输入认证器上显示的新验证码。",
    "second_factor_required": "您的角色必须使用二次验证，不能关闭。",
}


def _message(error: APIError) -> str:
    """Say a refusal in Chinese."""
    retry_after = int(error.headers.get("Retry-After", 60))
    template = MESSAGES.get(error.code, "操作未成功，请重试。")
    return template.format(minutes=max((retry_after + 59) // 60, 1))


def _next_url() -> str | None:
    """Return the console address to go to after signing in (from the form or the query)."""
    return safe_next(request.form.get("next") or request.args.get("next"))


@bp.route("/login", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form; check the username and password (staff only, with the lockout)."""
    next_url = _next_url()
    if request.method == "GET":
        if signed_in_staff() is not None:
            return redirect(next_url or url_for("console.home"))
        reason = request.args.get("reason")
        notice = ENDED_MESSAGES.get(reason) if reason else None
        return render_template("console/login.html", next=next_url, notice=notice, username="")
    username = request.form.get("username", "")
    try:
        step = console_sign_in.sign_in(username, request.form.get("password", ""), client_ip(), user_agent())
    except APIError as error:
        page = render_template("console/login.html", next=next_url, error=_message(error), username=username)
        return page, error.status
    remember_session(step.sid)
    if step.next == console_sign_in.SECOND_FACTOR:
        return redirect(url_for("console.verify_code", next=next_url))
    if step.next == console_sign_in.ENROL:
        return redirect(url_for("console.enrol_at_sign_in", next=next_url))
    return redirect(next_url or url_for("console.home"))


@bp.route("/login/verify", methods=["GET", "POST"])
@pending_session_required
def verify_code():
    """Ask for the authenticator's code (or a recovery code) after the password."""
    next_url = _next_url()
    if not totp_enabled(current_session().account):
        return redirect(url_for("console.enrol_at_sign_in", next=next_url))
    if request.method == "GET":
        return render_template("console/second_factor.html", next=next_url)
    try:
        sid = console_sign_in.pass_second_factor(current_session(), request.form.get("code", ""), client_ip())
    except APIError as error:
        page = render_template("console/second_factor.html", next=next_url, error=_message(error))
        return page, error.status
    remember_session(sid)
    return redirect(next_url or url_for("console.home"))


def _enrolment(template_args: dict, cancel_url: str):
    """Show the enrolment page, or confirm its code and show the recovery codes once."""
    resumed = current_session()
    if request.method == "POST":
        try:
            enrolled = console_sign_in.confirm_enrolment(resumed, request.form.get("code", ""), client_ip())
        except APIError as error:
            template_args["error"] = _message(error)
            template_args["status"] = error.status
        else:
            if enrolled.sid is None:
                return _codes_page(enrolled.codes, url_for("console.account"))
            remember_session(enrolled.sid)
            return _codes_page(enrolled.codes, template_args.get("next") or url_for("console.home"))
    setup = console_sign_in.enrolment_setup(resumed.account)
    page = render_template("console/enrol.html", **setup, cancel_url=cancel_url, **template_args)
    return page, template_args.get("status", 200)


@bp.route("/login/enrol", methods=["GET", "POST"])
@pending_session_required
def enrol_at_sign_in():
    """Set up the authenticator app during sign-in (city and district administrators must)."""
    if totp_enabled(current_session().account):
        return redirect(url_for("console.verify_code", next=_next_url()))
    return _enrolment({"next": _next_url(), "required": True}, url_for("console.sign_out_form"))


@bp.route("/account/totp", methods=["GET", "POST"])
@console_login_required()
def enrol():
    """Turn on the second factor from the account page (optional for most roles)."""
    if totp_enabled(current_staff()):
        return redirect(url_for("console.account"))
    return _enrolment({"next": None, "required": False}, url_for("console.account"))


@bp.get("/account")
@console_login_required()
def account():
    """Show the account's security: second factor, recovery codes left, signed-in browsers."""
    staff = current_staff()
    overview = console_sign_in.security_overview(staff)
    return render_template("console/account.html", overview=overview, this_session=current_session().session)


@bp.post("/account/totp/disable")
@console_login_required()
def disable_totp():
    """Turn the second factor off, after a current code (not for roles that require it)."""
    try:
        console_sign_in.disable_second_factor(current_staff(), request.form.get("code", ""), client_ip())
    except APIError as error:
        return _account_with_error(error)
    return redirect(url_for("console.account", done="totp_disabled"))


@bp.post("/account/recovery-codes")
@console_login_required()
def renew_recovery_codes():
    """Replace the recovery codes after a current code; show the new ones once."""
    code = request.form.get("code", "")
    try:
        codes = console_sign_in.renew_recovery_codes(current_staff(), code, client_ip())
    except APIError as error:
        return _account_with_error(error)
    return _codes_page(codes, url_for("console.account"))


def _codes_page(codes: list[str], continue_url: str) -> str:
    """Show recovery codes, this once."""
    return render_template("console/recovery_codes.html", codes=codes, continue_url=continue_url)


def _account_with_error(error: APIError):
    """Show the account page again with a refusal."""
    staff = current_staff()
    page = render_template(
        "console/account.html",
        overview=console_sign_in.security_overview(staff),
        this_session=current_session().session,
        error=_message(error),
    )
    return page, error.status


@bp.get("/logout")
def sign_out_form():
    """Offer the sign-out button (signing out is a POST, so no link can do it behind your back)."""
    return render_template("console/sign_out.html")


@bp.post("/logout")
def sign_out():
    """Sign this browser out (a pending sign-in too)."""
    try:
        resumed = resume_session()
    except SessionEnded:
        forget_session()
        return redirect(sign_in_url("signed_out"))
    console_sign_in.sign_out(resumed, client_ip())
    forget_session()
    return redirect(sign_in_url("signed_out"))


@bp.post("/logout-everywhere")
@console_login_required()
def sign_out_everywhere():
    """Sign out every browser of this account and revoke its mini-program / API tokens."""
    console_sign_in.sign_out_everywhere(current_staff(), client_ip())
    forget_session()
    return redirect(sign_in_url("signed_out_everywhere"))
