"""The staff console under /console/: server-rendered pages in Chinese, a cookie session and CSRF.

Views here are thin, like the API's: parse the form or query, call one service, render a template
from app/templates/console/ (named "console/<page>.html"). Sign-in and its session live in
auth.py (the guard) and sign_in.py (the pages); nav.py says which role sees which entry.
A page module registers its routes on `bp` and is listed in VIEW_MODULES. Every answer carries
a strict Content-Security-Policy: scripts only from /console/static (no inline script; chart
options travel as <script type="application/json">), no CDN.
"""

import importlib
import os

from flask import Blueprint, Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.errors import APIError, envelope
from app.extensions import csrf

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="../templates",
    static_folder="static",
    static_url_path="/static",
)

# The modules that register on `bp` (routes, the layout's context); add yours here.
VIEW_MODULES = (
    "layout",
    "home",
    "sign_in",
    "dashboard",
    "grid_progress",
    "stats_exports",
    "lists",
    "work_queues",
    "grid_workers",
    "staff",
    "exports",
    "certifications",
    "employer_visits",
    "registrations",
    "counter",
    "policies",
    "claims",
    "retention",
    "notices",
    "training",
    "follow_ups",
    "exchange",
    "operators",
    "circle_filings",
    "compliance",
    "funding",
    "supervision",
    "progress_reports",
    "demonstration",
    "queues",
)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
# Chinese titles of the error pages, by status.
ERROR_TITLES = {
    400: "请求无效",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持的操作",
    409: "操作冲突",
    413: "文件过大",
    422: "输入有误",
    429: "尝试次数过多",
    502: "外部服务不可用",
    503: "服务暂时不可用",
}


def wants_json() -> bool:
    """Tell whether the request came from script (fetch or htmx) and should get JSON, not a page."""
    if request.headers.get("HX-Request") or request.headers.get("X-Requested-With"):
        return True
    # A browser's */* (or text/html) prefers the page; only a request asking for JSON gets JSON.
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def error_page(status: int, message: str, code: str = "error", headers: dict | None = None):
    """Answer an error in Chinese: a page for the browser, the JSON envelope for fetch/htmx."""
    if wants_json():
        return envelope(status, code, message, headers=headers)
    title = ERROR_TITLES.get(status, "出错了")
    body = render_template("console/error.html", status=status, title=title, message=message)
    return body, status, headers or {}


@bp.before_request
def check_csrf():
    """Refuse a state-changing console request without a valid CSRF token (form field or X-CSRFToken)."""
    # An address that names no page has nothing to protect: it answers 404 whatever the method.
    if request.method in UNSAFE_METHODS and request.endpoint != "console.unknown_page":
        csrf.protect()


@bp.after_request
def security_headers(response):
    """Send the console's security headers; never cache a console page (it shows personal data)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    """Answer a missing or stale CSRF token with 400 in Chinese."""
    message = "页面已过期或来源无法确认（CSRF 校验失败），操作未执行。请刷新页面后重试。"
    return error_page(400, message, "csrf_failed")


@bp.errorhandler(APIError)
def service_refused(error: APIError):
    """Show a service's refusal (404 outside scope, 403, 409, 422) as a console page."""
    return error_page(error.status, error.message, error.code, error.headers)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Show a plain HTTP error (404, 405, 413) as a console page."""
    status = error.code or 500
    return error_page(status, ERROR_TITLES.get(status, "出错了") + "。", "http_error")


@bp.route("/<path:anything>", methods=["GET", *sorted(UNSAFE_METHODS)])
def unknown_page(anything: str):
    """Answer a console address that names no page with the console's own 404 page."""
    return error_page(404, "没有这个页面。", "not_found")


@bp.app_template_global()
def vendor_ready() -> bool:
    """Tell whether the vendored JS (ECharts, htmx) is built: pages render without it, charts need it."""
    return os.path.exists(os.path.join(bp.static_folder, "vendor", ".installed"))


def register_console(app: Flask) -> None:
    """Load every console page module and register the blueprint with CSRF protection."""
    for name in VIEW_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    csrf.init_app(app)
    app.register_blueprint(bp)
