"""HTML pages outside the API: the QR landing pages, the live screen and the printable poster.

Every page carries security headers: a Content-Security-Policy that allows nothing but its own
inline style block (by a per-response nonce; the pages run no script: the live screen reloads
with <meta http-equiv="refresh">), no framing, no referrer (the live screen's link is signed and
must not leak to another site), and no MIME sniffing.
"""

import secrets
from datetime import UTC

from flask import Blueprint, g, render_template, request

from app.common import clock
from app.errors import NotFound
from app.extensions import db
from app.models import Event, EventStatus, Station
from app.services.jobs import job_card
from app.services.stations import qr_codes
from app.services.stations.events import signup_count

bp = Blueprint("pages", __name__, template_folder="../templates")

# The live screen reloads itself this often; a code lives QR_ROTATING_SECONDS plus a grace.
LIVE_REFRESH_SECONDS = 5
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
CSP = (
    "default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def csp_nonce() -> str:
    """Return this response's style nonce (made once per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


@bp.context_processor
def nonce_for_templates() -> dict:
    """Give the page templates the nonce their <style> block needs."""
    return {"csp_nonce": csp_nonce()}


@bp.after_request
def security_headers(response):
    """Set the pages' security headers (CSP with this response's nonce, no framing, no referrer)."""
    response.headers["Content-Security-Policy"] = CSP.format(nonce=csp_nonce())
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


@bp.app_template_filter("local_time")
def local_time(moment) -> str:
    """Format a naive-UTC moment on the city's clock, e.g. 2026-12-05 09:00."""
    return moment.replace(tzinfo=UTC).astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M")


def _html(body: str, status: int = 200):
    return body, status, {"Content-Type": "text/html; charset=utf-8", **NO_STORE}


@bp.get("/s/<path:code>")
def landing(code):
    """What a station's or event's QR URL shows outside WeChat: scan it with WeChat instead."""
    station = event = None
    if code.startswith(qr_codes.EVENT_CODE_PREFIX) and code[len(qr_codes.EVENT_CODE_PREFIX) :].isdigit():
        event = db.session.get(Event, int(code[len(qr_codes.EVENT_CODE_PREFIX) :]))
        station = event.station if event is not None else None
    else:
        station = db.session.scalar(db.select(Station).where(Station.code == code))
    if station is None and event is None:
        return _missing()
    return _html(render_template("pages/landing.html", station=station, event=event))


@bp.get("/j/<int:job_id>")
def job_landing(job_id):
    """What a job card's QR URL shows outside WeChat: the job, and to scan it with WeChat instead."""
    try:
        job = job_card.published_job(job_id)
    except NotFound:
        return _html(render_template("pages/job_not_found.html"), 404)
    return _html(render_template("pages/job_landing.html", job=job, wage=job_card.wage_text(job)))


def _missing():
    return _html(render_template("pages/not_found.html"), 404)


def _signed_object(model, object_id: int):
    """Return (the page's object, None), or (None, an HTML refusal) without a genuine signed link.

    The live screen and the poster open only from links minted by staff (see docs/STATIONS.md).
    """
    found = db.session.get(model, object_id)
    version = getattr(found, "qr_version", 0)
    if not qr_codes.check_page_link(request.path, version, request.args.get("exp"), request.args.get("sig")):
        return None, _html(render_template("pages/link_invalid.html"), 403)
    return (found, None) if found is not None else (None, _missing())


def _live(title: str, subtitle: str, data: str, active: bool):
    return _html(
        render_template(
            "pages/live.html",
            title=title,
            subtitle=subtitle,
            svg=qr_codes.svg(data),
            refresh=LIVE_REFRESH_SECONDS,
            active=active,
        )
    )


@bp.get("/stations/<int:station_id>/live")
def station_live(station_id):
    """A full-screen rotating code for a station's screen (a signed link from the API)."""
    station, refusal = _signed_object(Station, station_id)
    if refusal:
        return refusal
    data = qr_codes.station_url(station, qr_codes.rotating_token(station))
    return _live(station.name, station.circle.name, data, station.is_active)


@bp.get("/events/<int:event_id>/live")
def event_live(event_id):
    """A full-screen rotating code for an event's entrance."""
    event, refusal = _signed_object(Event, event_id)
    if refusal:
        return refusal
    signups = f"已报名 {signup_count(event.id)} 人" + (f" / 限 {event.capacity} 人" if event.capacity else "")
    data = qr_codes.event_url(event, qr_codes.event_token(event))
    return _live(event.title, signups, data, event.status == EventStatus.scheduled)


@bp.get("/stations/<int:station_id>/poster")
def station_poster(station_id):
    """A printable A4 poster with the station's printed code (a signed link from the API)."""
    station, refusal = _signed_object(Station, station_id)
    if refusal:
        return refusal
    data = qr_codes.station_url(station, qr_codes.printed_token(station))
    return _html(render_template("pages/poster.html", station=station, svg=qr_codes.svg(data)))
