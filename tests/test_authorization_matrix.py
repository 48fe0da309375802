"""Authorization matrix: every route with an id in its URL, as every role, aimed at an object
outside that role's place or not its own, answers 404 or 403: never 200, never 500.

Routes come from the Flask url_map, so a new route is checked the day it is added (and fails
here until it has a valid body below, if it takes one). The actors all work on side A of the
world (tests/support.py: 城中, 昱中一社区); every object requested is side B's (城东, 昱东一社区).

API routes are sent with each role's bearer token; console routes (/console/) through a console
session of each staff role, signed in through the real pages (TOTP for the administrators who
need it), with a CSRF token and a valid form on every POST. A dashboard is aimed at each of side
B's places and at the city; an export (API or console) is side B's, which only its owner may
open, so the city admin too gets a 404. Residents and employers have no console: their requests
(bearer token and all) must be sent to the sign-in page. A console list names no object (its
rows are the viewer's own): every list is asked for with its default filters off, and must show
none of side B's objects (OWN_ROWS_ONLY).
"""

import io
import re
from dataclasses import dataclass

import pytest

from app.extensions import db
from app.models import STAFF_ROLES, Account, Role
from app.services.lists import REGISTRY
from app.services.stations.training import TRAINEE_ROLES
from tests.conftest import IsolatedClient, make_id_number
from tests.console.conftest import csrf_token
from tests.support import CONSOLE_ID_KEYS, SIDES, assign_directly, build_side, console_client, places_of

# Routes that answer an outsider by design, with the roles for whom they do (None: everyone).
PUBLIC_BY_DESIGN = {
    "jobs.get_job": (None, "a published job is a public posting"),
    "events.get_event": (None, "an event is a public notice"),
    "events.sign_up": (
        {Role.resident, Role.employer, *TRAINEE_ROLES},
        "anyone may sign up to a public event (front-line staff too: training)",
    ),
    "events.cancel_signup": (
        {Role.resident, Role.employer, *TRAINEE_ROLES},
        "it only ever cancels the caller's own signup",
    ),
    "applications.apply": ({Role.resident}, "a resident may apply to any live job"),
    "jobs.contact": ({Role.resident}, "a resident may read a live job's contact (audited)"),
    "jobs.report": ({Role.resident}, "a resident may report any live job"),
    "pages.landing": (None, "the page a phone's camera opens from a station's printed code"),
    "jobs.card": (None, "a published job's card (分享岗位) is a public poster"),
    "pages.job_landing": (None, "the page a phone's camera opens from a job card's code"),
    "console.static": (None, "the console's own JS and CSS files"),
    "push.sms_callback": (None, "an SMS provider's receipts and replies: its token guards it, not a role"),
}
# Console routes whose argument names a list, not an object: they show (or export) the viewer's
# own rows, scoped by lists.page/stream, so staff get 200 (403 for a list not of their role). For
# them the matrix asserts instead that no row of side B shows, for every list.
OWN_ROWS_ONLY = {
    "console.list_page": "a list page shows the viewer's own rows",
    "console.export_form": "the export buttons of the viewer's own list",
    "console.export_list": "exports the viewer's own rows of a list, as its page shows them",
}
# Routes only the object's owner may open: the city admin too gets a 404 for side B's.
OWNER_ONLY = {
    "exports.get",
    "exports.download",
    "console.export_job",
    "console.export_status",
    "console.download_export",
}
# The console's catch-all: no page, so a 404 for everyone, signed in or not.
NO_PAGE = {"console.unknown_page"}
# The city admin's place is the whole city: no object lies outside it. It is still sent to every
# route (never a 500), and may read and change side B.
CITY_WIDE = {Role.city_admin}
# Valid bodies, so a request reaches the scope check instead of stopping at validation (422):
# JSON for the API, a form (plus its CSRF token) for the console.
BODIES = {
    "residents.reveal": {"reason": "授权矩阵检查"},
    "staff.update_staff": {"display_name": "矩阵"},
    "employers.update_employer": {"address": "屯溪区矩阵路1号"},
    "employers.verify": {"decision": "verified"},
    "jobs.update": {"title": "矩阵岗位"},
    "jobs.review": {"decision": "approved"},
    "jobs.report": {"reason": "虚假信息"},
    "applications.apply": {},
    "applications.change_status": {"status": "withdrawn"},
    "stations.update": {"name": "矩阵服务站"},
    "check_ins.serve": {"served": True},
    "placements.answer_own": {"answer": "still_employed"},
    "placements.answer_for": {"answer": "still_employed", "channel": "phone"},
    "exchange.resolve_list_entry": {"outcome": "not_here", "note": "授权矩阵检查"},
    "events.update": {"title": "矩阵招聘会"},
    "events.sign_up": {},
    "grid.update_planned_visit": {"status": "cancelled"},
    "grid.set_communities": {"community_codes": [SIDES["B"]["code"]]},
    "grid.close_need": {},
    "grid.add_action": {"kind": "job_recommended"},
    "console.review_job": {"decision": "approved"},
    "console.verify_employer": {"decision": "verified"},
    "console.set_staff_active": {"active": "0"},
    "console.set_grid_worker_communities": {"codes": SIDES["B"]["code"]},
    "console.reveal_resident": {"reason": "授权矩阵检查"},
    "console.export_stats_table": {"section": "jobs", "table": "pipeline", "format": "csv"},
    "console.export_list": {"format": "csv"},
    "registrations.confirm": {},
    "registrations.withdraw_own": {},
    "registrations.follow_up_own": {"client_id": "matrix-follow-up-own"},
    "registrations.end_own": {"ended_on": "2026-01-01", "reason": "矩阵"},
    "registrations.accept": {},
    "registrations.reject": {"reason": "授权矩阵检查"},
    "registrations.withdraw": {},
    "registrations.follow_up": {"client_id": "matrix-follow-up"},
    "registrations.end": {"ended_on": "2026-01-01", "reason": "授权矩阵检查"},
    "registrations.reveal": {"reason": "授权矩阵检查"},
    "console.reject_registration": {"reason": "授权矩阵检查"},
    "console.enter_unemployment": {
        "client_id": "matrix-counter-u",
        "reason_for_leaving": "矩阵",
        "left_on": "2026-01-01",
    },
    "console.enter_employment": {
        "client_id": "matrix-counter-e",
        "started_on": "2026-01-01",
        "employer_name": "矩阵",
    },
    "console.enter_certification": {"client_id": "matrix-counter-c", "key_group": "disabled"},
    "console.end_registration": {"ended_on": "2026-01-01", "reason": "授权矩阵检查"},
    "certifications.certify": {"valid_from": "2026-01-01"},
    "certifications.reject": {"reason": "授权矩阵检查"},
    "console.certify_certification": {"valid_from": "2026-01-01"},
    "console.reject_certification": {"reason": "授权矩阵检查"},
    **{f"claims.{step}": {} for step in ("accept", "first_review", "second_review", "publicise", "approve")},
    **{f"claims.{step}": {} for step in ("resubmit", "withdraw")},
    "claims.pay": {"payment_reference": "MATRIX-1"},
    "claims.return": {"reason": "授权矩阵检查"},
    "claims.reject": {"reason": "授权矩阵检查"},
    "claims.object_to": {"text": "授权矩阵检查"},
    "claims.resolve_objection": {"decision": "dismissed", "resolution": "授权矩阵检查"},
    "policies.edit_draft": {"title": "矩阵政策"},
    "policies.publish": {},
    "policies.withdraw": {"reason": "授权矩阵检查"},
    "notices.edit": {"title": "矩阵通知"},
    "notices.publish": {},
    "notices.return_notice": {"reason": "授权矩阵检查"},
    "notices.withdraw": {"reason": "授权矩阵检查"},
    "console.return_notice_page": {"reason": "授权矩阵检查"},
    "console.withdraw_notice": {"reason": "授权矩阵检查"},
    "operators.edit_operator": {"name": "矩阵运营机构"},
    "operators.end_contract": {"reason": "授权矩阵检查"},
    "circle_filings.edit_filing": {"name": "矩阵就业圈"},
    "circle_filings.return_filing": {"reason": "授权矩阵检查"},
    **{f"circle_filings.{step}_filing": {} for step in ("file", "withdraw", "accept")},
    "console.end_contract_page": {"reason": "授权矩阵检查"},
    "console.return_circle_filing": {"reason": "授权矩阵检查"},
    "demonstration.confirm": {"top_n": 1},
    "demonstration.publish": {},
    "supervision.record_call": {"reached": False},
    "supervision.answer_finding": {"answer": "授权矩阵检查"},
    "supervision.close_finding": {},
    "supervision.reopen_finding": {"reason": "授权矩阵检查"},
    "progress_reports.edit_report": {"problems": "授权矩阵检查"},
    "progress_reports.return_report": {"comments": "授权矩阵检查"},
    "progress_reports.accept_report": {},
}
UPLOADS = {
    "employers.upload_licence",
    "registrations.attach_form",
    "certifications.upload_own_evidence",
    "certifications.upload_evidence",
    "claims.add_attachment",
    "notices.attach",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# Where each staff role of the matrix works: all on side A, none over side B but the city admin.
STAFF = {
    Role.grid_worker: ("township", "341002002000"),
    Role.station_staff: ("circle", SIDES["A"]["circle"]),
    Role.operator: ("circle", SIDES["A"]["circle"]),
    Role.supervisor: ("circle", SIDES["A"]["circle"]),
    Role.township_admin: ("township", "341002002000"),
    Role.district_admin: ("district", "341003000000"),  # 黄山区: 屯溪 lies outside it
    Role.city_admin: ("city", "341000000000"),
}
# The places a dashboard is aimed at: side B's, from its community up to its district, and the
# city (above every actor's place but the city admin's: a drill-up beyond scope is a 404 too).
OUTSIDE_PLACES = [*places_of("B"), ("city", "341000000000")]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SIGN_IN = "/console/login"


@dataclass
class Actor:
    """One role's way in: bearer headers for the API, a console client (and its CSRF token)."""

    headers: dict
    console: object
    csrf: str | None  # None: no console session, a fresh token of the sign-in page for each form


def person(side: str) -> dict:
    """Return a side's seeker's personal data (distinct per side)."""
    return {
        "name": f"{side}求职者",
        "id_number": make_id_number("19900101"),
        "phone": f"1390000{ord(side):04d}",
    }


def markers(side: str, ids: dict) -> re.Pattern:
    """Return a pattern of what names a side's objects on a page: names, its grid worker's username."""
    names = [f"{side}服务站", f"黄山{side}茶业有限公司", f"{side}求职者", f"{side}户主", f"{side}招聘会"]
    username = db.session.get(Account, ids["account_id"]).username
    return re.compile("|".join([*map(re.escape, names), rf"(?<![\w-]){re.escape(username)}(?![\w-])"]))


def outsider(app, headers: dict) -> Actor:
    """Return a resident's or employer's actor: bearer headers, a console client never signed in."""
    return Actor(headers, IsolatedClient(app, app.response_class), None)


@pytest.fixture
def world(app, client, make_staff, login, wechat_login, make_employer, make_job):
    """Build both sides; return (side B's ids, side B's markers, actors by role)."""
    city = make_staff("city_admin", "city", "341000000000", username="matrix-city")
    city_headers = login(city.username)
    sides = {
        side: build_side(
            client, city_headers, make_staff, wechat_login, make_employer, make_job, side, person(side)
        )
        for side in ("A", "B")
    }
    actors = {
        Role.resident: outsider(app, sides["A"]["resident_headers"]),
        Role.employer: outsider(app, sides["A"]["employer_headers"]),
    }
    for role, (kind, code) in STAFF.items():
        account = make_staff(role.value, kind, code)
        if role == Role.grid_worker:
            assign_directly(account, [SIDES["A"]["code"]])
        actors[role] = Actor(login(account.username), *console_client(app, account))
    ids = sides["B"]["ids"]
    return ids, markers("B", ids), actors


def id_routes(app) -> list:
    """Return (endpoint, method, rule) of every route with an id (or code) in its URL."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.endpoint != "static":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((rule.endpoint, method, rule))
    return sorted(routes, key=lambda route: (route[0], route[1]))


def targets(endpoint: str, rule, ids: dict) -> list[dict]:
    """Return the URL arguments (and query) aiming a route at side B: its object, its places, every list."""
    if {"kind", "code"} <= rule.arguments:
        return [{"kind": kind, "code": code} for kind, code in OUTSIDE_PLACES]
    if "name" in rule.arguments:
        # Every row the viewer may see: filters with a default ("pending" only…) switched off.
        return [
            {"name": name, "per_page": 100, **{spec.name: "" for spec in listing.filters if spec.default}}
            for name, listing in REGISTRY.items()
        ]
    if "anything" in rule.arguments:
        return [{"anything": "no-such-page"}]
    keys = CONSOLE_ID_KEYS.get(endpoint, {})
    return [{name: ids[keys.get(name, name)] for name in rule.arguments}]


def request(app, client, actor: Actor, endpoint, method, arguments):
    """Send one request at side B's object, with a valid body; return the response."""
    path = app.url_map.bind("localhost").build(endpoint, arguments, method=method)
    if endpoint.startswith("console."):
        form = None
        if method in UNSAFE:
            # Being sent to sign in drops the session's CSRF token: an outsider fetches a new one,
            # so its form passes CSRF and meets the sign-in guard.
            form = {"csrf_token": actor.csrf or csrf_token(actor.console), **BODIES.get(endpoint, {})}
        # The bearer token goes along: it must open nothing in the console.
        return actor.console.open(path, method=method, data=form, headers=actor.headers)
    if endpoint in UPLOADS:
        return client.open(
            path,
            method=method,
            data={"file": (io.BytesIO(PNG), "licence.png")},
            headers=actor.headers,
            content_type="multipart/form-data",
        )
    return client.open(path, method=method, json=BODIES.get(endpoint), headers=actor.headers)


def refused(role: Role, endpoint: str, response, text: str, side_b: re.Pattern) -> bool:
    """Tell whether a response keeps side B's object from the role (as the role may be answered)."""
    status = response.status_code
    if endpoint in NO_PAGE:
        return status == 404
    if endpoint.startswith("console.") and role not in STAFF_ROLES:
        # No console for residents and employers: the sign-in page, whatever they ask for.
        to_sign_in = status in (302, 303) and response.location.startswith(SIGN_IN)
        return to_sign_in or status in (401, 403)
    if endpoint in OWN_ROWS_ONLY:
        return status in (200, 403) and (role in CITY_WIDE or not side_b.search(text))
    if role in CITY_WIDE and endpoint not in OWNER_ONLY:
        return status < 500
    return status in (403, 404)


def test_every_id_route_refuses_every_role_an_object_outside_its_reach(app, client, world):
    ids, side_b, actors = world
    assert set(actors) == set(Role), "a new role needs its actor in this matrix"
    routes = id_routes(app)
    assert len(routes) > 40  # the url_map was read
    assert any(endpoint.startswith("console.") for endpoint, _, _ in routes)
    failures, tried, seen_by_city = [], set(), set()
    # The city admin goes last: it may legitimately change side B.
    for role in sorted(Role, key=lambda role: role in CITY_WIDE):
        for endpoint, method, rule in routes:
            roles, _why = PUBLIC_BY_DESIGN.get(endpoint, (set(), ""))
            if roles is None or role in roles:
                continue
            for arguments in targets(endpoint, rule, ids):
                response = request(app, client, actors[role], endpoint, method, arguments)
                tried.add((role, endpoint, method))
                status, text = response.status_code, response.get_data().decode("utf-8", "replace")
                response.close()  # a file download holds its file open until closed
                if role in CITY_WIDE and endpoint in OWN_ROWS_ONLY and side_b.search(text):
                    seen_by_city.add(arguments["name"])
                if not refused(role, endpoint, response, text, side_b):
                    where = f"{method:6} {rule.rule} {arguments}"
                    failures.append(f"{role.value:15} {where} -> {status} {text[:160]}")
    assert failures == [], "\n".join(failures)
    assert len(tried) > 0.9 * len(Role) * len(routes)  # every role tried nearly every route
    # The markers do name what lists show: the city admin, whose place holds side B, finds them.
    assert {"residents", "households", "employers", "stations", "staff_accounts"} <= seen_by_city


def test_routes_public_by_design_exist(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(PUBLIC_BY_DESIGN) | set(OWN_ROWS_ONLY) | OWNER_ONLY | NO_PAGE <= endpoints
    assert set(BODIES) | UPLOADS | set(CONSOLE_ID_KEYS) <= endpoints
